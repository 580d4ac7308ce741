//! The linted repositories' names, and finding one by the name another file
//! gives it: a workflow's `actions/checkout` `repository: org/gitops`, an
//! Argo CD `repoURL`, a Flux GitRepository `url`.
//!
//! A repository is recognised by the `owner/name` of its git remotes (read
//! from its `.git/config`, `source::remote`); one whose remotes are unknown
//! (no `.git`: a fixture, an exported tree, a folder named on the command
//! line) by its directory's name, which is how `git clone` and
//! `actions/checkout` name it. A name two such directories share says
//! nothing, and finds none.

use std::path::Path;

use super::RepoIndex;
use crate::source::remote;

/// What a repository root is called.
#[derive(Debug, Clone, Default)]
pub struct RepoName {
    /// The root directory's name, lowercased.
    pub dir: String,
    /// `owner/name` of each git remote, lowercased (empty when unknown).
    pub remotes: Vec<String>,
}

impl RepoName {
    /// The names of the repository rooted at `root` (reads its git config).
    pub fn of(root: &Path) -> RepoName {
        RepoName {
            dir: root
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default(),
            remotes: remote::remotes(root),
        }
    }
}

/// Where a named repository is, as far as the run can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// One of the linted repositories.
    Linted(u32),
    /// Not among them: `from` has known remotes and this is none of them,
    /// and no other linted repository answers to the name.
    Elsewhere,
    /// Nothing says which: the name is a placeholder, or matches nothing
    /// while `from`'s own remotes are unknown.
    Unknown,
}

impl RepoIndex {
    /// The linted repository a URL or `owner/name` names, seen from
    /// repository `from` (which wins a tie).
    pub fn repo_named(&self, url: &str, from: u32) -> Named {
        let Some(slug) = remote::slug(url) else {
            return Named::Unknown;
        };
        let by_remote = |id: &u32| {
            self.repo_names
                .get(*id as usize)
                .is_some_and(|n| n.remotes.contains(&slug))
        };
        let ids = 0..self.repo_names.len() as u32;
        if by_remote(&from) {
            return Named::Linted(from);
        }
        if let Some(id) = ids.clone().find(by_remote) {
            return Named::Linted(id);
        }
        let name = slug.rsplit('/').next().unwrap_or("");
        let by_dir: Vec<u32> = ids
            .filter(|&id| {
                let n = &self.repo_names[id as usize];
                n.remotes.is_empty() && n.dir == name
            })
            .collect();
        match by_dir.as_slice() {
            [id] => Named::Linted(*id),
            _ if self
                .repo_names
                .get(from as usize)
                .is_some_and(|n| !n.remotes.is_empty()) =>
            {
                Named::Elsewhere
            }
            _ => Named::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(names: &[(&str, &[&str])]) -> RepoIndex {
        RepoIndex {
            repo_names: names
                .iter()
                .map(|(d, r)| RepoName {
                    dir: d.to_string(),
                    remotes: r.iter().map(|s| s.to_string()).collect(),
                })
                .collect(),
            ..RepoIndex::default()
        }
    }

    #[test]
    fn by_remote_then_by_directory() {
        let ix = index(&[("app", &["org/app"]), ("deploy", &["org/gitops"])]);
        assert_eq!(
            ix.repo_named("https://github.com/org/gitops", 0),
            Named::Linted(1)
        );
        assert_eq!(ix.repo_named("org/app", 1), Named::Linted(0));
        assert_eq!(ix.repo_named("org/other", 0), Named::Elsewhere);
        assert_eq!(ix.repo_named("${{ env.REPO }}", 0), Named::Unknown);

        let ix = index(&[("app", &[]), ("gitops", &[])]);
        assert_eq!(ix.repo_named("org/GitOps", 0), Named::Linted(1));
        assert_eq!(ix.repo_named("org/other", 0), Named::Unknown);
        // A directory with known remotes is not matched by its name.
        let ix = index(&[("app", &[]), ("gitops", &["org/something"])]);
        assert_eq!(ix.repo_named("org/gitops", 0), Named::Unknown);
        // Two directories of that name: neither.
        let ix = index(&[("gitops", &[]), ("gitops", &[])]);
        assert_eq!(ix.repo_named("org/gitops", 0), Named::Unknown);
    }
}
