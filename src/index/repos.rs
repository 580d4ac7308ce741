//! The linted repositories' names, and finding one by the name another file
//! gives it: a workflow's `actions/checkout` `repository: org/gitops`, an
//! Argo CD `repoURL`, a Flux GitRepository `url`.
//!
//! A repository is recognised by the `owner/name` of its git remotes (read
//! from its `.git/config`, `source::remote`); one whose remotes are unknown
//! (no `.git`: a fixture, an exported tree, a folder named on the command
//! line) by its directory's name, which is how `git clone` and
//! `actions/checkout` name it. A remote of the same name under another
//! owner or host (a fork, a mirror) also answers, since that is how a
//! repository is usually linted: from a clone of someone's fork. A name two
//! repositories share says nothing, and finds neither.

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
        let name = slug.rsplit('/').next().unwrap_or("");
        let names = &self.repo_names;
        let ids = || 0..names.len() as u32;
        let exact = |id: &u32| names[*id as usize].remotes.contains(&slug);
        // A fork or mirror keeps the name under another owner or host.
        let same_name = |id: &u32| {
            names[*id as usize]
                .remotes
                .iter()
                .any(|r| r.rsplit('/').next() == Some(name))
        };
        let by_dir = |id: &u32| {
            let n = &names[*id as usize];
            n.remotes.is_empty() && n.dir == name
        };
        let from_known = names
            .get(from as usize)
            .is_some_and(|n| !n.remotes.is_empty());
        if from_known && (exact(&from) || same_name(&from)) {
            return Named::Linted(from);
        }
        if let Some(id) = ids().find(exact) {
            return Named::Linted(id);
        }
        for matches in [&same_name as &dyn Fn(&u32) -> bool, &by_dir] {
            let found: Vec<u32> = ids().filter(|id| matches(id)).collect();
            if let [id] = found.as_slice() {
                return Named::Linted(*id);
            }
        }
        if from_known {
            Named::Elsewhere
        } else {
            Named::Unknown
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
        // A fork: the name under another owner is still this repository.
        let ix = index(&[("fleet", &["me/fleet-infra"]), ("x", &["org/tools"])]);
        assert_eq!(
            ix.repo_named("ssh://git@github.com/contoso/fleet-infra", 0),
            Named::Linted(0)
        );
        assert_eq!(ix.repo_named("contoso/tools", 0), Named::Linted(1));
        assert_eq!(ix.repo_named("contoso/apps", 0), Named::Elsewhere);
    }
}
