//! Deciding, per workflow, whether it deploys in push or pull (GitOps) mode,
//! with the evidence, so `--explain-mode` can say why.

use crate::config::{Config, Mode};
use crate::finding::visible::visible;
use crate::index::checkout::Located;
use crate::index::workflow::{StepPos, WorkflowFacts};
use crate::index::RepoIndex;
use crate::yaml::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WfMode {
    Push,
    Pull,
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub what: String,
    /// Where in the workflow, if a step is the evidence.
    pub span: Option<Span>,
}

#[derive(Debug, Clone)]
pub struct Decision {
    pub mode: WfMode,
    pub evidence: Vec<Evidence>,
}

/// Whether a workspace path holds Kubernetes manifests (or could: a YAML
/// file outside `.github/`), in whichever repository it is (`locate`).
fn is_manifest_path(index: &RepoIndex, wf: &WorkflowFacts, pos: StepPos, path: &str) -> bool {
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return false;
    }
    let (repo, path) = match index.locate(wf, pos, path) {
        Located::Linted { repo, path, .. } => (repo, path),
        Located::Elsewhere { path, .. } => return !path.starts_with(".github/"),
    };
    if path.starts_with(".github/") {
        return false;
    }
    match index.file_at(repo, &path) {
        Some(id) => {
            index.objects.iter().any(|o| o.file == id)
                || index.kustomizations.iter().any(|k| k.file == id)
        }
        None => true,
    }
}

pub fn decide(wf: &WorkflowFacts, index: &RepoIndex, cfg: &Config) -> Decision {
    let repo = index.repo(wf.file);
    match cfg.mode {
        Mode::Pull => {
            return Decision {
                mode: WfMode::Pull,
                evidence: vec![Evidence {
                    what: "`mode: pull` in the config".into(),
                    span: None,
                }],
            }
        }
        Mode::Push => {
            return Decision {
                mode: WfMode::Push,
                evidence: vec![Evidence {
                    what: "`mode: push` in the config".into(),
                    span: None,
                }],
            }
        }
        Mode::Auto => {}
    }
    let mut evidence = Vec::new();
    let manifest_edit = wf.edits.iter().find_map(|e| {
        e.files
            .iter()
            .find(|f| is_manifest_path(index, wf, e.pos, f))
            .map(|f| (e, f))
    });
    if let (Some((edit, file)), Some(commit)) = (manifest_edit, wf.commits.first()) {
        evidence.push(Evidence {
            what: format!("edits the manifest `{file}`"),
            span: Some(edit.span),
        });
        evidence.push(Evidence {
            what: format!("commits it ({})", commit.what),
            span: Some(commit.span),
        });
        return Decision {
            mode: WfMode::Pull,
            evidence,
        };
    }
    for d in &wf.deploys {
        for p in &d.paths {
            let prefix = format!("{}/", p.trim_end_matches('/'));
            if let Some((_, file, by)) = index
                .synced
                .iter()
                .find(|(r, f, _)| *r == repo && (f == p || f.starts_with(&prefix)))
            {
                evidence.push(Evidence {
                    what: format!("deploys `{file}`, which {by} syncs from this repository"),
                    span: Some(d.span),
                });
                return Decision {
                    mode: WfMode::Pull,
                    evidence,
                };
            }
        }
    }
    let why = if manifest_edit.is_some() {
        "edits manifests but never commits them"
    } else if !wf.commits.is_empty() {
        "commits, but edits no manifest"
    } else if !wf.deploys.is_empty() {
        "deploys manifests no operator syncs"
    } else {
        "neither commits manifest changes nor deploys operator-synced manifests"
    };
    evidence.push(Evidence {
        what: why.into(),
        span: None,
    });
    Decision {
        mode: WfMode::Push,
        evidence,
    }
}

/// `--explain-mode`: each workflow's mode and the evidence, one block per workflow.
pub fn explain(index: &RepoIndex, cfg: &Config, out: &mut dyn std::io::Write) {
    for wf in &index.workflows {
        let d = decide(wf, index, cfg);
        let mode = match d.mode {
            WfMode::Push => "push",
            WfMode::Pull => "pull",
        };
        let path = index
            .paths
            .get(wf.file as usize)
            .map_or("?", String::as_str);
        let _ = writeln!(out, "{}: {mode} mode", visible(path));
        for e in &d.evidence {
            let _ = writeln!(out, "  - {}", visible(&e.what));
        }
    }
}
