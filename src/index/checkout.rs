//! Which repository a workflow's workspace path is in. A job's workspace
//! holds what it checked out: its own repository at the root (or under
//! `actions/checkout`'s `path:`), and any other repository it checked out
//! or cloned into a folder. A path under such a folder is that
//! repository's, relative to the folder: a tag bump in `gitops/apps/web`
//! after checking out `org/gitops` into `gitops` edits `apps/web` of
//! `org/gitops`, which is judged where it is linted, and not at all when it
//! is not.

use super::repos::Named;
use super::workflow::{CheckoutFact, StepPos, WorkflowFacts};
use super::RepoIndex;

/// Where a workspace path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located<'a> {
    /// In linted repository `repo`, at `path` (repository-relative);
    /// `checkout` is the other repository's checkout it came through.
    Linted {
        repo: u32,
        path: String,
        checkout: Option<&'a CheckoutFact>,
    },
    /// In a repository the run does not hold, or cannot tell.
    Elsewhere {
        checkout: &'a CheckoutFact,
        path: String,
    },
}

/// `path` relative to the directory `dir` when it is inside it.
fn under<'p>(dir: &str, path: &'p str) -> Option<&'p str> {
    if dir.is_empty() {
        return Some(path);
    }
    match path.strip_prefix(dir)? {
        "" => Some(""),
        rest => rest.strip_prefix('/'),
    }
}

impl RepoIndex {
    /// The repository holding workspace path `path` of workflow `wf`, for a
    /// step at `pos`: the deepest folder checked out before it in its job
    /// (the latest of equals); without one, the workflow's own repository.
    pub fn locate<'a>(&self, wf: &'a WorkflowFacts, pos: StepPos, path: &str) -> Located<'a> {
        let here = self.repo(wf.file);
        let found = wf
            .checkouts
            .iter()
            .filter(|c| c.pos.before(&pos))
            .filter_map(|c| under(&c.path, path).map(|rest| (c, rest)))
            .max_by_key(|(c, _)| (c.path.len(), c.pos.step, c.pos.offset));
        let Some((c, rest)) = found else {
            return Located::Linted {
                repo: here,
                path: path.to_string(),
                checkout: None,
            };
        };
        let rest = rest.to_string();
        let Some(repository) = &c.repository else {
            return Located::Linted {
                repo: here,
                path: rest,
                checkout: None,
            };
        };
        match self.repo_named(repository, here) {
            Named::Linted(repo) => Located::Linted {
                repo,
                path: rest,
                checkout: (repo != here).then_some(c),
            },
            Named::Elsewhere | Named::Unknown => Located::Elsewhere {
                checkout: c,
                path: rest,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::repos::RepoName;

    fn checkout(step: u32, repository: Option<&str>, path: &str) -> CheckoutFact {
        CheckoutFact {
            pos: StepPos {
                job: 0,
                step,
                offset: 0,
            },
            repository: repository.map(str::to_string),
            path: path.to_string(),
            span: Default::default(),
        }
    }

    #[test]
    fn paths_belong_to_the_deepest_earlier_checkout() {
        let index = RepoIndex {
            repos: vec![0, 1],
            paths: vec![".github/workflows/ci.yml".into(), "apps/web.yaml".into()],
            repo_names: vec![
                RepoName {
                    dir: "app".into(),
                    remotes: vec![],
                },
                RepoName {
                    dir: "gitops".into(),
                    remotes: vec![],
                },
            ],
            ..RepoIndex::default()
        };
        let wf = WorkflowFacts {
            checkouts: vec![
                checkout(0, None, "src"),
                checkout(1, Some("org/gitops"), "gitops"),
                checkout(2, Some("org/other"), "other"),
            ],
            ..WorkflowFacts::default()
        };
        let at = |step| StepPos {
            job: 0,
            step,
            offset: 0,
        };
        let linted = |repo, path: &str, via: Option<usize>| Located::Linted {
            repo,
            path: path.into(),
            checkout: via.map(|i| &wf.checkouts[i]),
        };
        assert_eq!(
            index.locate(&wf, at(5), "src/k8s/web.yaml"),
            linted(0, "k8s/web.yaml", None)
        );
        assert_eq!(
            index.locate(&wf, at(5), "gitops/apps/web.yaml"),
            linted(1, "apps/web.yaml", Some(1))
        );
        assert_eq!(
            index.locate(&wf, at(5), "other/x.yaml"),
            Located::Elsewhere {
                checkout: &wf.checkouts[2],
                path: "x.yaml".into()
            }
        );
        // Before the checkout, the folder is nobody's: the workflow's own path.
        assert_eq!(
            index.locate(&wf, at(1), "gitops/apps/web.yaml"),
            linted(0, "gitops/apps/web.yaml", None)
        );
        assert_eq!(
            index.locate(&wf, at(5), "gitopsx/a.yaml"),
            linted(0, "gitopsx/a.yaml", None)
        );
        // Another job's checkouts are not this job's.
        let other_job = StepPos {
            job: 1,
            step: 5,
            offset: 0,
        };
        assert_eq!(
            index.locate(&wf, other_job, "gitops/apps/web.yaml"),
            linted(0, "gitops/apps/web.yaml", None)
        );
    }
}
