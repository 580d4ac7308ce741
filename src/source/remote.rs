//! A repository's names, for recognising it when a workflow checks it out
//! (`repository: org/gitops`) or an Argo CD Application names its URL: the
//! `owner/name` of each remote in its git config, read as text. git is not
//! run, and nothing but `url =` lines of `[remote ...]` sections is kept.
//!
//! `.git` may be a directory or a file pointing at one (`gitdir: ...`,
//! worktrees and submodules; a worktree's remotes are in the `commondir`).

use std::io::Read;
use std::path::{Path, PathBuf};

/// Config files larger than this are not read (a real one is a few KB).
const MAX_CONFIG: u64 = 256 * 1024;

/// `owner/name`, lowercased, from a repository URL or slug: `org/gitops`,
/// `https://github.com/Org/GitOps.git`, `git@github.com:org/gitops`,
/// `ssh://git@host:22/org/gitops/`, Azure DevOps `.../project/_git/repo`
/// (`project/repo`). The host is not kept: two hosts rarely hold the same
/// `owner/name` among the repositories of one run. None when the text has
/// fewer than two path parts, or a `${{ }}`/`$VAR` placeholder in them.
pub fn slug(url: &str) -> Option<String> {
    let url = url.trim();
    // A clone of a local path names no hosted repository.
    if url.starts_with(['/', '.', '~']) || url.starts_with("file:") {
        return None;
    }
    let rest = match url.split_once("://") {
        Some((_, r)) => r.split_once('/').map_or("", |(_, p)| p),
        // scp-like `user@host:path`, but not a Windows drive or a bare slug.
        None => match url.split_once(':') {
            Some((host, p)) if host.contains('@') || host.contains('.') => p,
            _ => url,
        },
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    let parts: Vec<&str> = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != "_git")
        .collect();
    let [.., owner, name] = parts.as_slice() else {
        return None;
    };
    let name = name.strip_suffix(".git").unwrap_or(name);
    if name.is_empty() || [owner, &name].iter().any(|p| p.contains('$')) {
        return None;
    }
    Some(format!("{owner}/{name}").to_ascii_lowercase())
}

/// The slugs of the remotes of the repository rooted at `root`, sorted,
/// without duplicates; empty when it has no readable git config.
pub fn remotes(root: &Path) -> Vec<String> {
    let Some(config) = config_path(root) else {
        return Vec::new();
    };
    let mut out: Vec<String> = read_small(&config)
        .map(|text| remote_urls(&text).filter_map(slug).collect())
        .unwrap_or_default();
    out.sort();
    out.dedup();
    out
}

/// The git config of the repository at `root`.
fn config_path(root: &Path) -> Option<PathBuf> {
    let dotgit = root.join(".git");
    let meta = std::fs::symlink_metadata(&dotgit).ok()?;
    if meta.is_dir() {
        return Some(dotgit.join("config"));
    }
    if !meta.is_file() {
        return None;
    }
    let text = read_small(&dotgit)?;
    let gitdir = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
    let gitdir = root.join(gitdir);
    let common = read_small(&gitdir.join("commondir"))
        .map(|c| gitdir.join(c.trim()))
        .unwrap_or(gitdir);
    Some(common.join("config"))
}

/// A regular file's text, at most `MAX_CONFIG` bytes of it. Anything else
/// (a FIFO would block the open, a device never end) is not opened.
fn read_small(path: &Path) -> Option<String> {
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The `url` values of `[remote "..."]` sections of a git config's text.
fn remote_urls(text: &str) -> impl Iterator<Item = &str> {
    let mut in_remote = false;
    text.lines().filter_map(move |line| {
        let line = line.trim();
        if line.starts_with('[') {
            in_remote = line
                .trim_start_matches('[')
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("remote");
            return None;
        }
        if !in_remote {
            return None;
        }
        let (key, value) = line.split_once('=')?;
        key.trim().eq_ignore_ascii_case("url").then(|| {
            let v = value.trim();
            let v = v.split([';', '#']).next().unwrap_or(v).trim();
            v.trim_matches('"')
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for (url, want) in [
            ("org/gitops", Some("org/gitops")),
            ("https://github.com/Org/GitOps.git", Some("org/gitops")),
            ("https://github.com/org/gitops/", Some("org/gitops")),
            ("git@github.com:org/gitops.git", Some("org/gitops")),
            ("ssh://git@host.example:2222/org/gitops", Some("org/gitops")),
            (
                "https://dev.azure.com/contoso/shop/_git/gitops",
                Some("shop/gitops"),
            ),
            ("https://github.com/org/gitops?ref=main", Some("org/gitops")),
            ("${{ github.repository_owner }}/gitops", None),
            ("gitops", None),
            ("/srv/mirrors/org/gitops", None),
            ("../org/gitops.git", None),
            ("file:///srv/org/gitops", None),
            ("https://github.com/", None),
            ("", None),
        ] {
            assert_eq!(slug(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn reads_remote_urls_only() {
        let text = "[core]\n\turl = https://x/not/this\n[remote \"origin\"]\n\turl = git@github.com:org/app.git\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[remote \"up\"]\n  URL = \"https://github.com/up/app\" ; comment\n[branch \"main\"]\n\tremote = origin\n";
        assert_eq!(
            remote_urls(text).collect::<Vec<_>>(),
            ["git@github.com:org/app.git", "https://github.com/up/app"]
        );
    }

    #[test]
    fn finds_the_config_of_a_checkout_and_a_worktree() {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("main");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::write(
            main.join(".git/config"),
            "[remote \"origin\"]\n\turl = https://github.com/org/gitops.git\n",
        )
        .unwrap();
        assert_eq!(remotes(&main), ["org/gitops"]);
        let wt = dir.path().join("wt");
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(wt.join(".git"), "gitdir: ../main/.git/worktrees/wt\n").unwrap();
        std::fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        assert_eq!(remotes(&wt), ["org/gitops"]);
        assert!(remotes(dir.path()).is_empty());
    }
}
