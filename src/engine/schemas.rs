//! Schemas that depend on the whole run: the `schemas.paths` catalog,
//! which files are Kustomize patches (read before the file pass, so a patch
//! is validated as the partial object it is), and the repository's CRDs
//! (applied after it, since a CRD may sit anywhere in the tree).

use std::collections::HashMap;
use std::path::PathBuf;

use rayon::prelude::*;

use crate::config::{Config, Level};
use crate::finding::{FileId, Finding, Location};
use crate::index::RepoIndex;
use crate::model::k8s;
use crate::rules::schema::schema_violation::{self, SchemaViolation};
use crate::rules::{DocCx, PendingObject, SchemaCx};
use crate::schema::compile::{compile, Compiled};
use crate::schema::crd::CrdVersion;
use crate::schema::{Catalog, LoadError};
use crate::source::file::{load_text, FileEntry};
use crate::source::kind::FileKind;
use crate::source::path::{dir_of, join_norm};
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
    let by_path: HashMap<String, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (join_norm("", &f.path), i))
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
                if let Some(&i) = by_path.get(&join_norm(&join_norm("", dir), rel)) {
                    is_patch[i] = true;
                }
            }
            for rel in resources {
                if let Some(&i) = by_path.get(&join_norm(&join_norm("", dir), rel)) {
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
    let mut own: HashMap<(u32, String, String), Compiled> = HashMap::new();
    for (file, v) in crds {
        match compile(&v.schema, None, true) {
            Ok(c) => {
                own.entry((run.index.repo(file), v.api_version, v.kind))
                    .or_insert(c);
            }
            Err(e) => findings.push(Finding::new(
                &SchemaViolation::META,
                Location { file, span: v.span },
                format!(
                    "this CRD's schema for {} {} cannot be used: {}",
                    v.api_version, v.kind, e.0
                ),
            )),
        }
    }
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
    // What a bundled schema said of these objects gives way to the repository's CRD.
    findings.retain(|f| {
        f.rule != SchemaViolation::META.id
            || !redo.get(&f.primary.file).is_some_and(|objs| {
                objs.iter().any(|o| {
                    o.checked
                        && o.span.start <= f.primary.span.start
                        && f.primary.span.end <= o.span.end
                })
            })
    });
    let mut redo: Vec<(FileId, Vec<PendingObject>)> = redo.into_iter().collect();
    redo.sort_by_key(|(f, _)| *f);
    let catalog = Catalog::default();
    let found: Vec<Vec<Finding>> = redo
        .par_iter()
        .map(|(file, objs)| {
            revalidate(
                &files[*file as usize],
                *file,
                objs,
                (&own, run.index.repo(*file)),
                cfg,
                &catalog,
                patches.get(*file as usize).copied().unwrap_or(false),
            )
        })
        .collect();
    findings.extend(found.into_iter().flatten());
    unvalidated
}

/// Validates a file's custom resources against the repository's CRDs.
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
    let parsed = yaml::parse_stream(&text.text, &cfg.limits.yaml);
    let mut cx = DocCx {
        file: id,
        path: &f.path,
        config: cfg,
        findings: &mut out,
        object: None,
        schema: SchemaCx::new(catalog, fragment),
    };
    for doc in &parsed.docs {
        let Some(root) = doc.root() else { continue };
        for obj in k8s::objects(root) {
            if !objs.iter().any(|o| o.span == obj.node.span()) {
                continue;
            }
            let key = (repo, obj.api_version.to_string(), obj.kind.to_string());
            if let Some(schema) = own.get(&key) {
                schema_violation::check_object_with(&obj, schema, true, &mut cx);
            }
        }
    }
    out
}
