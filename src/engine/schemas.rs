//! Schemas that depend on the whole run: the `schemas.paths` catalog,
//! which files are Kustomize patches (read before the file pass, so a patch
//! is validated as the partial object it is), and the repository's CRDs
//! (applied after it, since a CRD may sit anywhere in the tree).

use std::collections::HashMap;
use std::path::PathBuf;

use super::reparse::{for_objects, map_in_order, shift_finding, shifted};
use crate::config::{Config, Level};
use crate::finding::{FileId, Finding, Location};
use crate::index::RepoIndex;
use crate::rules::schema::schema_violation::{self, SchemaViolation};
use crate::rules::{DocCx, PendingObject, SchemaCx};
use crate::schema::compile::{compile, Compiled};
use crate::schema::crd::CrdVersion;
use crate::schema::{Catalog, LoadError};
use crate::source::file::{load_text, FileEntry};
use crate::source::kind::FileKind;
use crate::source::path::{dir_of, join_norm, normalized};
use crate::yaml::{self, Span};

/// What validation needs before the file pass: the catalog, what could not
/// be loaded into it, and which files are patches.
pub(super) fn before(cfg: &Config, files: &[FileEntry]) -> (Catalog, Vec<LoadError>, Vec<bool>) {
    let (catalog, errors) = catalog(cfg);
    (catalog, errors, patch_files(files, cfg))
}

/// The `schemas.paths` catalog, and what could not be loaded.
fn catalog(cfg: &Config) -> (Catalog, Vec<LoadError>) {
    let mut catalog = Catalog::default();
    if cfg.schemas.paths.is_empty() {
        return (catalog, Vec::new());
    }
    let dirs: Vec<PathBuf> = cfg.schemas.paths.iter().map(|p| cfg.root.join(p)).collect();
    let errors = catalog.load_paths(&dirs, &cfg.limits.yaml);
    (catalog, errors)
}

/// A finding for each `schemas.paths` file that could not be used, at its
/// place in that file (added to the file table, after the file pass).
pub(super) fn load_errors(
    errors: Vec<LoadError>,
    files: &mut Vec<FileEntry>,
    cwd: &std::path::Path,
    findings: &mut Vec<Finding>,
) {
    for e in errors {
        let id = files.len() as FileId;
        files.push(FileEntry {
            path: crate::source::file::display_path(&e.path, cwd),
            fs_path: e.path.clone(),
            kind: FileKind::Manifest,
            text: None,
            error: None,
            outside: None,
            focus: true,
            explicit: true,
        });
        let at = Location {
            file: id,
            span: e.offset.map(|o| Span::new(o, o)).unwrap_or_default(),
        };
        findings.push(
            Finding::new(
                &SchemaViolation::META,
                at,
                format!("schema not loaded: {}", e.message),
            )
            .help("fix or remove the file; the other schemas are still used"),
        );
    }
}

/// Which files a kustomization uses as patches (`patches[].path`,
/// `patchesStrategicMerge`, `patchesJson6902[].path`), by file id.
fn patch_files(files: &[FileEntry], cfg: &Config) -> Vec<bool> {
    let mut is_patch: Vec<bool> = files.iter().map(|f| named_like_a_patch(&f.path)).collect();
    let kustomizations: Vec<&FileEntry> = files
        .iter()
        .filter(|f| f.kind == FileKind::Kustomization)
        .collect();
    if kustomizations.is_empty() {
        return is_patch;
    }
    // Display paths are mostly normal already: borrowed, not rebuilt.
    let by_path: HashMap<std::borrow::Cow<str>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (normalized(&f.path), i))
        .collect();
    let mut whole = Vec::new();
    for k in kustomizations {
        let Ok(text) = load_text(k, cfg.limits.max_file_size) else {
            continue;
        };
        let parsed = yaml::parse_stream(&text.text, &cfg.limits.yaml);
        let dir = dir_of(&k.path);
        for doc in &parsed.docs {
            let Some(root) = doc.root() else { continue };
            let (patches, resources) = patch_paths(root);
            for rel in patches {
                if let Some(&i) = by_path.get(join_norm(&join_norm("", dir), rel).as_str()) {
                    is_patch[i] = true;
                }
            }
            for rel in resources {
                if let Some(&i) = by_path.get(join_norm(&join_norm("", dir), rel).as_str()) {
                    whole.push(i);
                }
            }
        }
    }
    // A file a kustomization renders as a resource is a whole object,
    // whatever its name says.
    for i in whole {
        is_patch[i] = false;
    }
    is_patch
}

/// Partial objects by their name, whether or not a kustomization uses them
/// (yet): files in a `patches` folder or named `*patch*` (Kustomize and
/// kubebuilder scaffolds), and Chainsaw's `*assert*` files (partial
/// objects a test expects to find).
fn named_like_a_patch(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("").to_ascii_lowercase();
    let dirs: Vec<&str> = parts.collect();
    // Words of the name: `manager_auth_proxy_patch.yaml`, `patch-replicas.yaml`
    // (not `dispatcher.yaml`).
    let has_word = |w: &str| name.split(['-', '_', '.']).any(|t| t == w);
    has_word("patch")
        || has_word("patches")
        || dirs.iter().any(|d| d.eq_ignore_ascii_case("patches"))
        || (has_word("assert") && dirs.contains(&".chainsaw-test"))
}

/// The paths a kustomization names as patches, and as resources.
fn patch_paths<'d>(root: yaml::NodeRef<'d, '_>) -> (Vec<&'d str>, Vec<&'d str>) {
    let mut out = Vec::new();
    let resources: Vec<&str> = ["resources", "bases"]
        .iter()
        .filter_map(|k| root.get(k))
        .flat_map(|l| l.items())
        .filter_map(|i| i.as_str())
        .collect();
    for key in ["patches", "patchesJson6902", "patchesStrategicMerge"] {
        let Some(list) = root.get(key) else { continue };
        for item in list.items() {
            let path = if item.is_map() {
                item.get("path").and_then(|p| p.as_str())
            } else {
                item.as_str()
            };
            // An inline patch is YAML text, not a path.
            if let Some(p) = path.filter(|p| !p.contains('\n') && !p.contains(": ")) {
                out.push(p);
            }
        }
    }
    (out, resources)
}

/// What the repository pass does with CRDs: custom resources validated
/// against the repository's own CRDs (replacing what a bundled schema said),
/// and objects left with no schema counted (or reported, under
/// `schemas.require`). Returns how many objects had no schema.
/// The repository pass of validation, on the pool: custom resources
/// against the repository's CRDs. Returns how many objects had no schema.
pub(super) fn after_index(
    files: &[FileEntry],
    index: &RepoIndex,
    cfg: &Config,
    patches: &[bool],
    (pending, crds): Leftovers,
    pool: Option<&rayon::ThreadPool>,
    findings: &mut Vec<Finding>,
) -> usize {
    let input = Repository {
        files,
        index,
        cfg,
        patches,
        parallel: pool.is_some(),
    };
    let run = || repository_crds(&input, pending, crds, findings);
    match pool {
        Some(p) => p.install(run),
        None => run(),
    }
}

/// What the file pass leaves for the repository pass: custom resources and CRDs.
pub(super) type Leftovers = (Vec<(FileId, PendingObject)>, Vec<(FileId, CrdVersion)>);

/// What the repository pass validates with.
struct Repository<'a> {
    pub files: &'a [FileEntry],
    pub index: &'a RepoIndex,
    pub cfg: &'a Config,
    pub patches: &'a [bool],
    /// On the run's pool; without one, on this thread (rayon's global pool
    /// would start a thread per CPU for a handful of files).
    pub parallel: bool,
}

fn repository_crds(
    run: &Repository,
    pending: Vec<(FileId, PendingObject)>,
    crds: Vec<(FileId, CrdVersion)>,
    findings: &mut Vec<Finding>,
) -> usize {
    let (files, cfg, patches) = (run.files, run.cfg, run.patches);
    if cfg.level(&SchemaViolation::META) == Level::Off {
        return 0;
    }
    let own = used_crds(run, &pending, crds, findings);
    let mut unvalidated = 0;
    let mut redo: HashMap<FileId, Vec<PendingObject>> = HashMap::new();
    for (file, p) in pending {
        if own.contains_key(&(run.index.repo(file), p.api_version.clone(), p.kind.clone())) {
            redo.entry(file).or_default().push(p);
        } else if !p.checked {
            unvalidated += 1;
            if cfg.schemas.require {
                let at = Location {
                    file,
                    span: p.kind_span,
                };
                findings.extend(schema_violation::missing_schema(
                    &p.api_version,
                    &p.kind,
                    at,
                ));
            }
        }
    }
    if redo.is_empty() {
        return unvalidated;
    }
    // An object a bundled schema accepts stays accepted: a repository's
    // CRD may be a trimmed test copy. The others are judged again below.
    let said = |f: &Finding, file: FileId, o: &PendingObject| {
        f.rule == SchemaViolation::META.id && f.primary.file == file && within(f, o.span)
    };
    let mut bundled: HashMap<(FileId, Span), usize> = HashMap::new();
    for f in findings.iter() {
        if let Some(objs) = redo.get(&f.primary.file) {
            for o in objs
                .iter()
                .filter(|o| o.checked && said(f, f.primary.file, o))
            {
                *bundled.entry((f.primary.file, o.span)).or_default() += 1;
            }
        }
    }
    for (file, objs) in redo.iter_mut() {
        objs.retain(|o| !o.checked || bundled.contains_key(&(*file, o.span)));
    }
    let mut redo: Vec<(FileId, Vec<PendingObject>)> =
        redo.into_iter().filter(|(_, o)| !o.is_empty()).collect();
    redo.sort_by_key(|(f, _)| *f);
    let catalog = Catalog::default();
    let found: Vec<Vec<Finding>> = map_in_order(&redo, run.parallel, |(file, objs)| {
        revalidate(
            &files[*file as usize],
            *file,
            objs,
            (&own, run.index.repo(*file)),
            cfg,
            &catalog,
            patches.get(*file as usize).copied().unwrap_or(false),
        )
    });
    // Each object keeps whichever judgement finds less: the bundled
    // schema's or the repository CRD's.
    // The bundled findings given up, dropped in one pass at the end.
    let mut superseded: HashMap<FileId, Vec<&PendingObject>> = HashMap::new();
    let mut kept = Vec::new();
    for ((file, objs), mut again) in redo.iter().zip(found) {
        for o in objs {
            let mine = again.iter().filter(|f| within(f, o.span)).count();
            let theirs = bundled.get(&(*file, o.span)).copied();
            if theirs.is_some_and(|n| n <= mine) {
                again.retain(|f| !within(f, o.span));
            } else if theirs.is_some() {
                superseded.entry(*file).or_default().push(o);
            }
        }
        kept.extend(again);
    }
    if !superseded.is_empty() {
        findings.retain(|f| {
            let objs = superseded.get(&f.primary.file);
            !objs.is_some_and(|objs| objs.iter().any(|o| said(f, f.primary.file, o)))
        });
    }
    findings.extend(kept);
    unvalidated
}

fn within(f: &Finding, span: Span) -> bool {
    span.start <= f.primary.span.start && f.primary.span.end <= span.end
}

/// A repository's CRD by (repository, apiVersion, kind).
type CrdKey = (u32, String, String);

/// The CRDs some custom resource of their repository uses, compiled: the
/// first CRD in path order for each kind. Only these are read again and
/// converted (a repository often vendors hundreds no object uses).
fn used_crds(
    run: &Repository,
    pending: &[(FileId, PendingObject)],
    crds: Vec<(FileId, CrdVersion)>,
    findings: &mut Vec<Finding>,
) -> HashMap<CrdKey, Compiled> {
    let key = |file: FileId, api: &str, kind: &str| {
        (run.index.repo(file), api.to_string(), kind.to_string())
    };
    let needed: std::collections::HashSet<CrdKey> = pending
        .iter()
        .map(|(f, p)| key(*f, &p.api_version, &p.kind))
        .collect();
    let mut chosen: HashMap<CrdKey, (FileId, CrdVersion)> = HashMap::new();
    for (file, v) in crds {
        let k = key(file, &v.api_version, &v.kind);
        if needed.contains(&k) && !chosen.contains_key(&k) {
            chosen.insert(k, (file, v));
        }
    }
    let mut by_file: HashMap<FileId, Vec<(CrdKey, CrdVersion)>> = HashMap::new();
    for (k, (file, v)) in chosen {
        by_file.entry(file).or_default().push((k, v));
    }
    let mut by_file: Vec<(FileId, Vec<(CrdKey, CrdVersion)>)> = by_file.into_iter().collect();
    by_file.sort_by_key(|(f, _)| *f);
    let read: Vec<Vec<(CrdKey, Result<Compiled, Finding>)>> =
        map_in_order(&by_file, run.parallel, |(file, decls)| {
            read_crds(&run.files[*file as usize], *file, decls, run.cfg)
        });
    let mut own = HashMap::new();
    for (k, r) in read.into_iter().flatten() {
        match r {
            Ok(c) => {
                own.insert(k, c);
            }
            Err(f) => findings.push(f),
        }
    }
    own
}

/// Reads a file again for the schemas of the CRDs declared in it: only
/// the documents that hold them are parsed (a vendored install bundle can
/// be megabytes of other objects).
fn read_crds(
    f: &FileEntry,
    id: FileId,
    decls: &[(CrdKey, CrdVersion)],
    cfg: &Config,
) -> Vec<(CrdKey, Result<Compiled, Finding>)> {
    let Ok(text) = load_text(f, cfg.limits.max_file_size) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let at = |span: Span| Location { file: id, span };
    let mut done: Vec<Span> = Vec::new();
    for_objects(
        &text.text,
        decls.iter().map(|(_, d)| d.doc),
        cfg,
        |obj, shift| {
            let span = shifted(obj.node.span(), shift);
            let here: Vec<&(CrdKey, CrdVersion)> =
                decls.iter().filter(|(_, d)| d.object == span).collect();
            if here.is_empty() || done.contains(&span) {
                return false;
            }
            done.push(span);
            let versions = crate::schema::crd::versions(obj.node);
            for (k, d) in here {
                let r = match &versions {
                    Err((span, m)) => Err(Finding::new(
                        &SchemaViolation::META,
                        at(shifted(*span, shift)),
                        format!("this CRD's schema cannot be used: {m}"),
                    )),
                    Ok(vs) => {
                        let Some(v) = vs
                            .iter()
                            .find(|v| v.api_version == d.api_version && v.kind == d.kind)
                        else {
                            continue;
                        };
                        compile(&v.schema, None, true).map_err(|e| {
                            Finding::new(
                                &SchemaViolation::META,
                                at(shifted(v.span, shift)),
                                format!(
                                    "this CRD's schema for {} {} cannot be used: {}",
                                    v.api_version, v.kind, e.0
                                ),
                            )
                        })
                    }
                };
                out.push((k.clone(), r));
            }
            true
        },
    );
    out
}

/// Validates a file's custom resources against the repository's CRDs,
/// parsing only the documents that hold them.
fn revalidate(
    f: &FileEntry,
    id: FileId,
    objs: &[PendingObject],
    (own, repo): (&HashMap<(u32, String, String), Compiled>, u32),
    cfg: &Config,
    catalog: &Catalog,
    fragment: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Ok(text) = load_text(f, cfg.limits.max_file_size) else {
        return out;
    };
    let mut done: Vec<Span> = Vec::new();
    for_objects(&text.text, objs.iter().map(|o| o.doc), cfg, |obj, shift| {
        let span = shifted(obj.node.span(), shift);
        if !objs.iter().any(|o| o.span == span) || done.contains(&span) {
            return false;
        }
        let key = (repo, obj.api_version.to_string(), obj.kind.to_string());
        let Some(schema) = own.get(&key) else {
            return false;
        };
        done.push(span);
        let mut found = Vec::new();
        let mut cx = DocCx {
            file: id,
            path: &f.path,
            config: cfg,
            findings: &mut found,
            object: None,
            schema: SchemaCx::new(catalog, fragment),
            deferred: Vec::new(),
        };
        schema_violation::check_object_with(obj, schema, true, &mut cx);
        out.extend(found.into_iter().map(|f| shift_finding(f, shift)));
        true
    });
    out
}
