//! Azure Pipelines templates: a pipeline's facts include those of the
//! templates it references, transitively (at most 20 deep, cycles cut),
//! resolved within its repository (`/path` from the repository root, else
//! from the including file). What a template does is reported at the
//! `template:` reference in the pipeline, with the template named, so mode
//! detection sees a commit in one file and cluster access in another. A
//! file that is only a template is not a pipeline of its own: it is judged
//! through the pipelines that use it. References into other repositories
//! (`file@alias`) are not followed.

use std::collections::HashSet;

use super::workflow::{Hit, PushFact, StepPos, WorkflowFacts};
use super::RepoIndex;
use crate::finding::FileId;
use crate::model::azure::TemplateUse;
use crate::source::path::{dir_of, join_norm};
use crate::yaml::Span;

const MAX_DEPTH: usize = 20;

/// A `template:` reference that is not followed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub file: FileId,
    pub span: Span,
    pub path: String,
    pub why: &'static str,
}

/// Why a reference `resolve` could not follow is not followed.
fn why_unresolved(path: &str) -> &'static str {
    match path.rsplit_once('@') {
        Some((_, alias)) if alias != "self" => {
            "it is in another repository (`@alias`), which is not linted with this one"
        }
        _ if path.contains("${{") || path.contains("$(") => {
            "its path is an expression, known only when the pipeline runs"
        }
        _ => "no such file in the linted repository",
    }
}

/// Every reference of every pipeline and template that does not resolve.
fn unresolved(index: &RepoIndex) -> Vec<Unresolved> {
    let mut out = Vec::new();
    for wf in &index.workflows {
        for t in &wf.templates {
            if resolve(index, wf.file, &t.path).is_none() {
                out.push(Unresolved {
                    file: wf.file,
                    span: t.span,
                    path: t.path.clone(),
                    why: why_unresolved(&t.path),
                });
            }
        }
    }
    out.sort_by_key(|u| (u.file, u.span));
    out.dedup();
    out
}

/// The file a reference in `from` names, in the same repository.
fn resolve(index: &RepoIndex, from: FileId, path: &str) -> Option<FileId> {
    let path = match path.rsplit_once('@') {
        Some((p, "self")) => p,
        Some(_) => return None,
        None => path,
    };
    if path.contains("${{") || path.contains("$(") {
        return None;
    }
    let here = index.paths.get(from as usize)?;
    let rel = match path.strip_prefix('/') {
        Some(abs) => join_norm("", abs),
        None => join_norm(dir_of(here), path),
    };
    index.file_at(index.repo(from), &rel)
}

/// Adds each pipeline's templates' facts to it, then drops the templates:
/// template-only files, and every file another one references.
pub fn include(index: &mut RepoIndex) {
    index.unresolved_templates = unresolved(index);
    let mut added: Vec<(usize, WorkflowFacts)> = Vec::new();
    // Files some pipeline or template references: templates, whatever their shape.
    let mut referenced: HashSet<FileId> = HashSet::new();
    for wf in &index.workflows {
        referenced.extend(
            wf.templates
                .iter()
                .filter_map(|t| resolve(index, wf.file, &t.path))
                .filter(|f| *f != wf.file),
        );
    }
    for (i, wf) in index.workflows.iter().enumerate() {
        if wf.template_only || wf.templates.is_empty() || referenced.contains(&wf.file) {
            continue;
        }
        let mut into = WorkflowFacts::default();
        let mut seen: HashSet<FileId> = HashSet::from([wf.file]);
        // (the reference in the pipeline, the file it leads to, depth)
        let mut work: Vec<(&TemplateUse, FileId, usize)> = wf
            .templates
            .iter()
            .filter_map(|t| resolve(index, wf.file, &t.path).map(|f| (t, f, 1)))
            .collect();
        while let Some((site, file, depth)) = work.pop() {
            if depth > MAX_DEPTH || !seen.insert(file) {
                continue;
            }
            let name = index.paths.get(file as usize).map_or("?", String::as_str);
            for t in index.workflows.iter().filter(|t| t.file == file) {
                merge(&mut into, t, site, name);
                work.extend(
                    t.templates.iter().filter_map(|n| {
                        resolve(index, file, &n.path).map(|f| (site, f, depth + 1))
                    }),
                );
            }
        }
        added.push((i, into));
    }
    for (i, more) in added {
        index.workflows[i].append(more);
    }
    index
        .workflows
        .retain(|w| !w.template_only && !referenced.contains(&w.file));
}

/// A template's facts, placed at the reference `site` in the pipeline.
fn merge(into: &mut WorkflowFacts, t: &WorkflowFacts, site: &TemplateUse, name: &str) {
    let span = site.span;
    let pos = StepPos {
        job: site.job,
        step: site.step,
        offset: span.start,
    };
    let named = |what: &str| format!("{what} (in the template `{name}`)");
    for h in &t.cluster_access {
        into.cluster_access.push(Hit {
            what: named(&h.what),
            span,
        });
    }
    for h in &t.commits {
        into.commits.push(Hit {
            what: named(&h.what),
            span,
        });
    }
    for e in &t.edits {
        let mut e = e.clone();
        (e.span, e.pos) = (span, pos);
        into.edits.push(e);
    }
    for d in &t.deploys {
        let mut d = d.clone();
        (d.span, d.pos) = (span, pos);
        for i in &mut d.images {
            i.span = span;
        }
        for (_, i) in &mut d.set_images {
            i.span = span;
        }
        for s in &mut d.pull_secrets {
            s.span = span;
        }
        into.deploys.push(d);
    }
    for (from, to) in [(&t.pushes, &mut into.pushes), (&t.builds, &mut into.builds)] {
        to.extend(from.iter().map(|p| PushFact {
            image: p.image.clone(),
            span,
        }));
    }
    for s in &t.secrets_created {
        let mut s = s.clone();
        s.span = span;
        into.secrets_created.push(s);
    }
    for c in &t.checkouts {
        let mut c = c.clone();
        (c.span, c.pos) = (span, pos);
        into.checkouts.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unresolved_references_say_why() {
        assert!(why_unresolved("steps/a.yml@shared").contains("another repository"));
        assert!(why_unresolved("${{ parameters.t }}/a.yml").contains("expression"));
        assert!(why_unresolved("steps/missing.yml").contains("no such file"));
        assert!(why_unresolved("steps/missing.yml@self").contains("no such file"));
    }

    #[test]
    fn references_resolve_in_the_repository() {
        let mut index = RepoIndex {
            paths: vec![
                "ci/azure-pipelines.yml".into(),
                "ci/steps/a.yml".into(),
                "templates/b.yml".into(),
            ],
            repos: vec![0, 0, 0],
            ..RepoIndex::default()
        };
        index.seal_paths();
        assert_eq!(resolve(&index, 0, "steps/a.yml"), Some(1));
        assert_eq!(resolve(&index, 0, "/templates/b.yml"), Some(2));
        assert_eq!(resolve(&index, 1, "../../templates/b.yml@self"), Some(2));
        assert_eq!(resolve(&index, 0, "steps/a.yml@shared"), None);
        assert_eq!(resolve(&index, 0, "missing.yml"), None);
        assert_eq!(resolve(&index, 0, "${{ parameters.t }}.yml"), None);
    }
}
