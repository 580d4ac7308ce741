//! Which repository each file belongs to. Argo CD `path:` and workflow paths
//! are relative to a repository, so every file gets a repository id and a
//! path relative to that repository's root. Asks the disk only outside the
//! walked directories (where the walk already saw the `.git`/`.github` markers).

use std::path::{Path, PathBuf};

/// Absolute, symlink-free paths, resolving each directory once rather than
/// every file (a `canonicalize` costs a syscall per path component).
#[derive(Default)]
pub struct CanonicalDirs(std::collections::HashMap<PathBuf, PathBuf>);

impl CanonicalDirs {
    pub fn file(&mut self, path: &Path, cwd: &Path) -> PathBuf {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = self
            .0
            .entry(parent.to_path_buf())
            .or_insert_with(|| std::fs::canonicalize(parent).unwrap_or_else(|_| cwd.join(parent)));
        match path.file_name() {
            Some(name) => dir.join(name),
            None => dir.clone(),
        }
    }
}

/// Finds each file's repository root: the nearest ancestor holding `.git` or
/// `.github`, searching no higher than the linted directory that holds the
/// file (the working directory, for files named one by one); without a marker,
/// the linted directory itself. So several repositories side by side (a
/// monorepo of examples, the test corpus) each keep their own paths, and the
/// directory you lint is the repository unless it holds smaller ones.
pub struct RepoRoots {
    /// Canonical linted directories, longest first.
    linted: Vec<PathBuf>,
    /// Canonical walked directories: below them, `markers` says where
    /// repositories start and the disk is not asked.
    walked: Vec<PathBuf>,
    markers: std::collections::HashSet<PathBuf>,
    by_dir: std::collections::HashMap<PathBuf, PathBuf>,
    ids: Vec<PathBuf>,
}

impl RepoRoots {
    pub fn new(
        paths: &[PathBuf],
        cwd: &Path,
        walked: &[(PathBuf, PathBuf)],
        markers: std::collections::HashSet<PathBuf>,
    ) -> Self {
        let mut linted: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        linted.push(std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf()));
        linted.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        RepoRoots {
            linted,
            walked: walked.iter().map(|(_, c)| c.clone()).collect(),
            markers,
            by_dir: Default::default(),
            ids: Vec::new(),
        }
    }

    fn root_of_dir(&mut self, dir: &Path) -> PathBuf {
        if let Some(hit) = self.by_dir.get(dir) {
            return hit.clone();
        }
        let stop = self.linted.iter().find(|l| dir.starts_with(l)).cloned();
        let mut chain = Vec::new();
        let mut cur = Some(dir);
        let mut found = None;
        while let Some(d) = cur {
            if let Some(hit) = self.by_dir.get(d) {
                found = Some(hit.clone());
                break;
            }
            chain.push(d.to_path_buf());
            let marked = if self.walked.iter().any(|w| d.starts_with(w)) {
                self.markers.contains(d)
            } else {
                d.join(".git").exists() || d.join(".github").is_dir()
            };
            if marked {
                found = Some(d.to_path_buf());
                break;
            }
            if Some(d) == stop.as_deref() {
                break;
            }
            cur = d.parent();
        }
        let root = found.or(stop).unwrap_or_else(|| dir.to_path_buf());
        for d in chain {
            self.by_dir.insert(d, root.clone());
        }
        root
    }

    /// Every repository root found so far, by id.
    pub fn roots(&self) -> &[PathBuf] {
        &self.ids
    }

    /// The repository id and root of a file (an absolute, canonical path).
    pub fn of(&mut self, file: &Path) -> (u32, PathBuf) {
        let root = self.root_of_dir(file.parent().unwrap_or(Path::new("/")));
        let id = match self.ids.iter().position(|r| *r == root) {
            Some(i) => i,
            None => {
                self.ids.push(root.clone());
                self.ids.len() - 1
            }
        };
        (id as u32, root)
    }
}
