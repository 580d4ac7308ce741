//! The policies that read a resource's namespace (`policy::scope`), on the
//! objects whose namespace comes from elsewhere: judged once the index
//! knows each object's effective namespace (from a Kustomization, an Argo
//! CD Application, a Flux Kustomization) and the repository's Namespace
//! objects. Only the documents the file pass named are parsed again.

use std::collections::{BTreeMap, HashMap};

use super::reparse::{for_objects, map_in_order, shifted};
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

/// Judges the deferred objects; their findings are added to `findings`.
fn check(
    run: &Repository,
    deferred: Vec<(FileId, DeferredObject)>,
    parallel: bool,
    findings: &mut Vec<Finding>,
) {
    if deferred.is_empty() {
        return;
    }
    let mut by_file: BTreeMap<FileId, Vec<DeferredObject>> = BTreeMap::new();
    for (file, d) in deferred {
        by_file.entry(file).or_default().push(d);
    }
    let object_at: HashMap<(FileId, Span), usize> = run
        .index
        .objects
        .iter()
        .enumerate()
        .filter(|(_, o)| by_file.contains_key(&o.file))
        .map(|(i, o)| ((o.file, o.kind_span), i))
        .collect();
    let namespace_of = |file: FileId, d: &DeferredObject| -> String {
        object_at
            .get(&(file, d.kind_span))
            .and_then(|&i| run.index.effective_ns.get(i).cloned().flatten())
            .map_or_else(|| "default".to_string(), |e| e.value)
    };
    // The Namespace objects of the namespaces met, read when some policy
    // reads them.
    let mut texts: Vec<(String, FileId, Span, String)> = Vec::new();
    if run.set.needs() == Needs::Object {
        let mut names: Vec<String> = by_file
            .iter()
            .flat_map(|(f, ds)| ds.iter().map(|d| namespace_of(*f, d)))
            .collect();
        names.sort();
        names.dedup();
        for name in names {
            if let Some((file, kind_span)) = namespace_object(run.index, &name) {
                let entry = &run.files[file as usize];
                if let Ok(t) = load_text(entry, run.cfg.limits.max_file_size) {
                    texts.push((name, file, kind_span, t.text));
                }
            }
        }
    }
    let parsed: Vec<_> = texts
        .iter()
        .map(|(_, _, _, t)| yaml::parse_stream(t, &run.cfg.limits.yaml))
        .collect();
    let mut namespaces: HashMap<&str, NodeRef> = HashMap::new();
    for ((name, _, kind_span, _), p) in texts.iter().zip(&parsed) {
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
    let groups: Vec<_> = by_file.into_iter().collect();
    let found: Vec<Vec<Finding>> = map_in_order(&groups, parallel, |(file, objs)| {
        let judge = |d: &DeferredObject| {
            let ns = namespace_of(*file, d);
            let object = namespaces.get(ns.as_str()).copied();
            (ns, object)
        };
        judge_file(run, *file, objs, &judge)
    });
    findings.extend(found.into_iter().flatten());
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
            for mut finding in found {
                finding.primary.span = shifted(finding.primary.span, shift);
                for r in &mut finding.related {
                    r.at.span = shifted(r.at.span, shift);
                }
                out.push(finding);
            }
            true
        },
    );
    out
}
