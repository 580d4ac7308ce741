//! Files git tracks that the walk's ignore rules hid. Argo CD and Flux
//! deploy what is committed, `.gitignore` or not (a pattern meant for a
//! downloaded `kustomize` binary also matches a committed `kustomize/`
//! folder), so in a git checkout every tracked candidate file is linted.
//! The index is read by `git_index`, never by running git; only `exclude`
//! globs still leave a tracked file out. What this module adds, the walk
//! could have found: a regular file reached through directories only (no
//! symbolic link), nothing inside a `.git`.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::git_index;
use super::kind::is_candidate;

/// A larger index is not read (git's own for a 2-million-file tree is ~200 MB).
const MAX_INDEX_BYTES: u64 = 512 << 20;

/// The checkouts one discovery met, each index read once.
#[derive(Default)]
pub struct Checkouts {
    /// By checkout root (canonical): its tracked candidate files, or None
    /// when its index could not be read (said once, in `problems`).
    read: HashMap<PathBuf, Option<Arc<Vec<Vec<u8>>>>>,
    /// The index (or `.git` file) that could not be read, and why.
    pub problems: Vec<(PathBuf, String)>,
}

impl Checkouts {
    /// The tracked candidate files under the walked directory `dir` (as
    /// named; `canonical` is its canonical path) that `seen` does not hold
    /// and `excluded` (asked about every directory on the way, as the walk
    /// prunes) does not exclude, spelled as the walk spells paths.
    pub fn missed(
        &mut self,
        dir: &Path,
        canonical: &Path,
        seen: impl Fn(&Path) -> bool,
        excluded: impl Fn(&Path) -> bool,
    ) -> Vec<PathBuf> {
        let Some((root, files)) = self.tracked(canonical) else {
            return Vec::new();
        };
        let Some(prefix) = canonical.strip_prefix(&root).ok().and_then(prefix_bytes) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for tracked in files.iter() {
            let Some(tail) = tracked.strip_prefix(prefix.as_slice()) else {
                continue;
            };
            let Some(parts) = tail
                .split(|&b| b == b'/')
                .map(os)
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let mut path = dir.to_path_buf();
            path.extend(&parts);
            if !seen(&path) && reachable(dir, &parts, &excluded) {
                out.push(path);
            }
        }
        out
    }

    /// The root of the checkout holding `canonical`, and its tracked
    /// candidate files; None outside a checkout or when its index could not
    /// be read.
    fn tracked(&mut self, canonical: &Path) -> Option<(PathBuf, Arc<Vec<Vec<u8>>>)> {
        let root = canonical
            .ancestors()
            .find(|a| std::fs::symlink_metadata(a.join(".git")).is_ok())?;
        if let Some(known) = self.read.get(root) {
            return known.clone().map(|f| (root.to_path_buf(), f));
        }
        let files = match read_index(root) {
            Ok(files) => Some(Arc::new(files)),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        };
        self.read.insert(root.to_path_buf(), files.clone());
        files.map(|f| (root.to_path_buf(), f))
    }
}

/// The tracked candidate files of the checkout at `root`: none when it has
/// no index yet; the file and the reason when it cannot be read.
fn read_index(root: &Path) -> Result<Vec<Vec<u8>>, (PathBuf, String)> {
    let index = git_dir(root)?.join("index");
    let bytes = match std::fs::metadata(&index) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Ok(m) if m.len() > MAX_INDEX_BYTES => {
            return Err((index, format!("it is larger than {MAX_INDEX_BYTES} bytes")))
        }
        _ => std::fs::read(&index).map_err(|e| (index.clone(), e.to_string()))?,
    };
    git_index::tracked_files(&bytes, |path| {
        let name = path.rsplit(|&b| b == b'/').next().unwrap_or_default();
        is_candidate(&String::from_utf8_lossy(name))
    })
    .map_err(|e| (index, e.to_string()))
}

/// The git directory of the checkout at `root`: `.git` itself, or where a
/// `.git` file (a linked worktree, a submodule) points with `gitdir:`.
fn git_dir(root: &Path) -> Result<PathBuf, (PathBuf, String)> {
    let dot_git = root.join(".git");
    if dot_git.is_dir() {
        return Ok(dot_git);
    }
    let problem = |why: &str| (dot_git.clone(), why.to_string());
    // A `.git` file is one line; a larger one is not one.
    let text = std::fs::File::open(&dot_git)
        .and_then(|f| {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::Read::take(f, 4096), &mut s).map(|_| s)
        })
        .map_err(|e| problem(&e.to_string()))?;
    let target = text
        .strip_prefix("gitdir:")
        .map(str::trim)
        .filter(|t| !t.is_empty() && !t.contains('\n'))
        .ok_or_else(|| problem("it is neither a directory nor a `gitdir:` line"))?;
    let dir = root.join(target);
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(problem("the git directory it names does not exist"))
    }
}

/// `a/b/` for the relative path `a/b` (empty for the root itself), as the
/// index spells it; None for a part that is not valid there.
fn prefix_bytes(rel: &Path) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for part in rel.iter() {
        out.extend_from_slice(bytes(part)?);
        out.push(b'/');
    }
    Some(out)
}

#[cfg(unix)]
fn os(part: &[u8]) -> Option<&OsStr> {
    use std::os::unix::ffi::OsStrExt;
    Some(OsStr::from_bytes(part))
}

/// Elsewhere an index path is UTF-8 (git for Windows writes it so).
#[cfg(not(unix))]
fn os(part: &[u8]) -> Option<&OsStr> {
    std::str::from_utf8(part).ok().map(OsStr::new)
}

#[cfg(unix)]
fn bytes(part: &OsStr) -> Option<&[u8]> {
    use std::os::unix::ffi::OsStrExt;
    Some(part.as_bytes())
}

#[cfg(not(unix))]
fn bytes(part: &OsStr) -> Option<&[u8]> {
    part.to_str().map(str::as_bytes)
}

/// Whether the walk could have reached `dir/parts…`: no part is `.git`,
/// excluded, or a symbolic link, and the last is a regular file.
fn reachable(dir: &Path, parts: &[&OsStr], excluded: &impl Fn(&Path) -> bool) -> bool {
    let mut path = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        if part.eq_ignore_ascii_case(".git") {
            return false;
        }
        path.push(part);
        if excluded(&path) {
            return false;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            return false;
        };
        let last = i + 1 == parts.len();
        if (last && !meta.is_file()) || (!last && !meta.is_dir()) {
            return false;
        }
    }
    true
}
