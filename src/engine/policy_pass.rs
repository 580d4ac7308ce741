//! The policies that read a resource's namespace (`policy::scope`), on the
//! objects whose namespace comes from elsewhere: judged once the index
//! knows each object's effective namespace (from a Kustomization, an Argo
//! CD Application, a Flux Kustomization) and the repository's Namespace
//! objects. Only the documents the file pass named are parsed again.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::policy_render::{self, Judged};
use super::reparse::{for_objects, map_in_order, shift_finding, shifted};
use crate::config::Config;
use crate::finding::{FileId, Finding};
use crate::index::RepoIndex;
use crate::model::k8s;
use crate::policy::{Needs, Pass, PolicySet};
use crate::rules::policy::DeferredObject;
use crate::rules::{DocCx, SchemaCx};
use crate::schema::Catalog;
use crate::source::file::{load_text, FileEntry};
use crate::yaml::{self, unquoted_span, NodeRef, Span};

/// What the pass reads from.
pub(super) struct Repository<'a> {
    pub files: &'a [FileEntry],
    pub index: &'a RepoIndex,
    pub cfg: &'a Config,
    pub set: &'a PolicySet,
    /// Which files are Kustomize patches (partial objects: not judged).
    pub patches: &'a [bool],
}

/// [`check`] on the run's pool, if it has one.
pub(super) fn run(
    run: &Repository,
    deferred: Vec<(FileId, DeferredObject)>,
    pool: Option<&rayon::ThreadPool>,
    findings: &mut Vec<Finding>,
) {
    match pool {
        Some(p) => p.install(|| check(run, deferred, true, findings)),
        None => check(run, deferred, false, findings),
    }
}

/// Judges the deferred objects and the objects renderings change; their
/// findings are added to `findings`.
fn check(
    run: &Repository,
    deferred: Vec<(FileId, DeferredObject)>,
    parallel: bool,
    findings: &mut Vec<Finding>,
) {
    let judged = |f: FileId| {
        let i = f as usize;
        run.files.get(i).is_some_and(|e| e.focus) && !run.patches.get(i).copied().unwrap_or(false)
    };
    let rendered = match run.set.is_empty() {
        true => BTreeMap::new(),
        false => policy_render::rendered_objects(run.index, judged),
    };
    if deferred.is_empty() && rendered.is_empty() {
        return;
    }
    let mut by_file: BTreeMap<FileId, Vec<DeferredObject>> = BTreeMap::new();
    for (file, d) in deferred {
        by_file.entry(file).or_default().push(d);
    }
    let object_at: HashMap<(FileId, Span), u32> = run
        .index
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| by_file.contains_key(&o.file))
        .map(|(i, o)| ((o.file, o.kind_span), i as u32))
        .collect();
    let object_of = |file: FileId, d: &DeferredObject| object_at.get(&(file, d.kind_span)).copied();
    // The Namespace objects of the namespaces met, read when some policy
    // reads them.
    let mut names: Vec<String> = Vec::new();
    if run.set.needs() == Needs::Object {
        let deferred = by_file
            .iter()
            .flat_map(|(f, ds)| ds.iter().map(|d| object_of(*f, d)));
        let changed = rendered.values().flatten().map(|r| Some(r.object));
        names = deferred
            .chain(changed)
            .map(|o| namespace_name(run.index, o))
            .collect();
        names.sort();
        names.dedup();
    }
    let texts = namespace_texts(run, names);
    let parsed: Vec<_> = texts
        .iter()
        .map(|(_, _, t)| yaml::parse_stream(t, &run.cfg.limits.yaml))
        .collect();
    let namespaces = namespace_nodes(&texts, &parsed);
    let namespace_of = |o: Option<u32>| {
        let ns = namespace_name(run.index, o);
        let object = namespaces.get(ns.as_str()).copied();
        (ns, object)
    };
    let groups: Vec<_> = by_file.into_iter().collect();
    let found: Vec<Vec<Finding>> = map_in_order(&groups, parallel, |(file, objs)| {
        let judge = |d: &DeferredObject| namespace_of(object_of(*file, d));
        judge_file(run, *file, objs, &judge)
    });
    findings.extend(found.into_iter().flatten());
    let groups: Vec<_> = rendered.into_iter().collect();
    let judged: Vec<Judged> = map_in_order(&groups, parallel, |(file, objs)| {
        let of = |o: u32| namespace_of(Some(o));
        policy_render::judge_file((run.files, run.cfg, run.set), *file, objs, &of)
    });
    let judged = groups.iter().map(|(f, _)| *f).zip(judged);
    apply_renderings(run.set, judged, findings);
}

/// An object's effective namespace, else `default`.
fn namespace_name(index: &RepoIndex, object: Option<u32>) -> String {
    object
        .and_then(|i| index.effective_ns.get(i as usize).cloned().flatten())
        .map_or_else(|| "default".to_string(), |e| e.value)
}

/// The text of each named namespace's Namespace object's file, with the
/// object's `kind` extent.
fn namespace_texts(run: &Repository, names: Vec<String>) -> Vec<(String, Span, String)> {
    let mut texts = Vec::new();
    for name in names {
        if let Some((file, kind_span)) = namespace_object(run.index, &name) {
            let entry = &run.files[file as usize];
            if let Ok(t) = load_text(entry, run.cfg.limits.max_file_size) {
                texts.push((name, kind_span, t.text));
            }
        }
    }
    texts
}

/// Each namespace's object node in the parsed texts.
fn namespace_nodes<'p, 't>(
    texts: &'p [(String, Span, String)],
    parsed: &'p [yaml::ParsedStream<'t>],
) -> HashMap<&'p str, NodeRef<'p, 't>> {
    let mut namespaces = HashMap::new();
    for ((name, kind_span, _), p) in texts.iter().zip(parsed) {
        let found = p
            .docs
            .iter()
            .filter_map(|d| d.root())
            .flat_map(k8s::objects)
            .find(|o| o.node.get("kind").map(unquoted_span) == Some(*kind_span));
        if let Some(o) = found {
            namespaces.insert(name.as_str(), o.node);
        }
    }
    namespaces
}

/// Adds the renderings' findings (each once) and withdraws the policy
/// findings of objects never deployed as written.
fn apply_renderings(
    set: &PolicySet,
    judged: impl Iterator<Item = (FileId, Judged)>,
    findings: &mut Vec<Finding>,
) {
    let ids: HashSet<&str> = set.metas().map(|m| m.id).collect();
    let mut withdrawn: Vec<(FileId, Span)> = Vec::new();
    let mut added = Vec::new();
    for (file, j) in judged {
        withdrawn.extend(j.withdrawn.into_iter().map(|s| (file, s)));
        added.extend(j.findings);
    }
    let inside = |f: &Finding| {
        withdrawn.iter().any(|(file, s)| {
            f.primary.file == *file
                && s.start <= f.primary.span.start
                && f.primary.span.end <= s.end
        })
    };
    findings.retain(|f| !(ids.contains(f.rule) && inside(f)));
    let key = |f: &Finding| (f.rule, f.primary, f.message.to_string());
    let mut seen: HashSet<_> = findings
        .iter()
        .filter(|f| ids.contains(f.rule))
        .map(key)
        .collect();
    for f in added {
        if seen.insert(key(&f)) {
            findings.push(f);
        }
    }
}

/// The repository's Namespace object named `name`: the first in path order.
fn namespace_object(index: &RepoIndex, name: &str) -> Option<(FileId, Span)> {
    index
        .objects
        .iter()
        .filter(|o| o.kind == "Namespace" && o.api_version == "v1")
        .filter(|o| o.name.as_ref().is_some_and(|n| n.value == name))
        .min_by_key(|o| &index.paths[o.file as usize])
        .map(|o| (o.file, o.kind_span))
}

/// One file's deferred objects, judged with their namespaces.
fn judge_file<'n, 't>(
    run: &Repository,
    file: FileId,
    objs: &[DeferredObject],
    namespace: &dyn Fn(&DeferredObject) -> (String, Option<NodeRef<'n, 't>>),
) -> Vec<Finding> {
    let mut out = Vec::new();
    let f = &run.files[file as usize];
    let Ok(text) = load_text(f, run.cfg.limits.max_file_size) else {
        return out;
    };
    let catalog = Catalog::default();
    let mut done: Vec<Span> = Vec::new();
    for_objects(
        &text.text,
        objs.iter().map(|o| o.doc),
        run.cfg,
        |obj, shift| {
            let span = shifted(obj.node.span(), shift);
            let Some(d) = objs.iter().find(|o| o.span == span) else {
                return false;
            };
            if done.contains(&span) {
                return false;
            }
            done.push(span);
            let (ns, namespace_object) = namespace(d);
            let mut found = Vec::new();
            let mut cx = DocCx {
                file,
                path: &f.path,
                config: run.cfg,
                findings: &mut found,
                object: None,
                schema: SchemaCx::new(&catalog, false),
                deferred: Vec::new(),
            };
            let pass = Pass::Repo {
                namespace: &ns,
                namespace_object,
            };
            crate::rules::policy::check(run.set, obj, pass, &mut cx);
            out.extend(found.into_iter().map(|f| shift_finding(f, shift)));
            true
        },
    );
    out
}
