//! Named paths stay inside. A file named on the command line (as a
//! pre-commit hook names staged files) or given as `--stdin-filename` is
//! read only if it resolves, through symbolic links, inside the tree it was
//! named in: the working directory when it is named there, else its own
//! repository (the nearest ancestor holding `.git` or `.github`), else its
//! own directory. A link committed to a repository cannot make shipshape
//! read, and show lines of, a file outside it. Walked directories never
//! follow links at all (`walk`).

use std::path::{Component, Path, PathBuf};

/// A named path that resolves outside the tree it was named in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outside {
    /// Where the links lead.
    pub target: PathBuf,
    /// The tree it should have stayed in.
    pub boundary: PathBuf,
}

/// `path` made absolute against `cwd` and normalised without asking the
/// disk: `.` dropped, `..` taken lexically, links not followed.
fn lexical(path: &Path, cwd: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in cwd.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// The tree a path named at `lexical` (absolute, unresolved) must stay in.
fn boundary(lexical: &Path, cwd: &Path) -> PathBuf {
    if lexical.starts_with(cwd) {
        return cwd.to_path_buf();
    }
    let parent = lexical.parent().unwrap_or(lexical);
    parent
        .ancestors()
        .find(|d| d.join(".git").exists() || d.join(".github").is_dir())
        .unwrap_or(parent)
        .to_path_buf()
}

/// Whether the named `path` resolves outside its tree; `None` when it stays
/// inside, or does not exist (nothing would be read from it).
pub fn outside(path: &Path, cwd: &Path) -> Option<Outside> {
    outside_from(path, &canonical_cwd(cwd))
}

/// The working directory as `outside_from` wants it: resolved once, for
/// any number of named paths.
pub fn canonical_cwd(cwd: &Path) -> PathBuf {
    std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf())
}

/// [`outside`], with the working directory already [`canonical_cwd`].
pub fn outside_from(path: &Path, cwd: &Path) -> Option<Outside> {
    // What opening `path` from `cwd` reaches (the OS takes `..` after a link
    // from the link's target, so this is not `lexical`).
    let target = std::fs::canonicalize(cwd.join(path)).ok()?;
    let named = lexical(path, cwd);
    let boundary = boundary(&named, cwd);
    // The boundary itself may sit behind a link (a checkout under a linked
    // home directory): compare resolved with resolved.
    let resolved_boundary = std::fs::canonicalize(&boundary).unwrap_or_else(|_| boundary.clone());
    (!target.starts_with(&resolved_boundary)).then_some(Outside { target, boundary })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_paths_do_not_touch_the_disk() {
        let cwd = Path::new("/repo");
        assert_eq!(
            lexical(Path::new("a/./b/../c.yaml"), cwd),
            Path::new("/repo/a/c.yaml")
        );
        assert_eq!(lexical(Path::new("../x.yaml"), cwd), Path::new("/x.yaml"));
        assert_eq!(
            lexical(Path::new("/abs/y.yaml"), cwd),
            Path::new("/abs/y.yaml")
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_tree_are_outside() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let repo = root.join("repo");
        let secret = root.join("secret");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("k8s")).unwrap();
        std::fs::create_dir_all(&secret).unwrap();
        std::fs::write(secret.join("file"), "password: x\n").unwrap();
        std::fs::write(repo.join("k8s/app.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(secret.join("file"), repo.join("k8s.yaml")).unwrap();
        std::os::unix::fs::symlink("k8s/app.yaml", repo.join("inside.yaml")).unwrap();
        std::os::unix::fs::symlink(&secret, repo.join("linkdir")).unwrap();

        // Named from the repository root (pre-commit).
        let out = outside(Path::new("k8s.yaml"), &repo).unwrap();
        assert_eq!(out.target, secret.join("file"));
        assert_eq!(out.boundary, repo);
        assert_eq!(outside(Path::new("inside.yaml"), &repo), None);
        assert_eq!(outside(Path::new("k8s/app.yaml"), &repo), None);
        // A linked directory on the way out counts too.
        assert!(outside(Path::new("linkdir/file"), &repo).is_some());
        // Named from elsewhere: the file's own repository is the boundary.
        let out = outside(&repo.join("k8s.yaml"), &root.join("secret")).unwrap();
        assert_eq!(out.boundary, repo);
        // A file named plainly, wherever it is, is not a link out of anything.
        assert_eq!(outside(&secret.join("file"), &repo), None);
        // Nothing to read, nothing to refuse.
        assert_eq!(outside(Path::new("missing.yaml"), &repo), None);
    }
}
