//! File discovery: a parallel, `.gitignore`-aware walk that yields candidate
//! files in a deterministic (sorted) order.

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use super::kind::is_candidate;

/// A file found by the walk (or named explicitly).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub path: PathBuf,
    pub explicit: bool,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Found>,
    /// Directories holding a `Chart.yaml`, spelled as the walk spells them
    /// (compared as strings: `Path`'s hash parses components, and this set
    /// is asked about every ancestor of every file).
    pub chart_dirs: HashSet<OsString>,
    /// Paths that do not exist or could not be walked, with the reason.
    pub errors: Vec<(PathBuf, String)>,
    /// Each directory walked: as given, and canonical. Below it the walk
    /// follows no symlink, so a walked file's canonical path is the
    /// canonical root joined with the rest (no syscall per file).
    pub walked: Vec<(PathBuf, PathBuf)>,
    /// Canonical directories the walk saw holding `.git` or a `.github`
    /// directory (repository roots), so finding a file's repository needs no
    /// look at the disk.
    pub repo_markers: HashSet<PathBuf>,
}

pub fn build_excludes(globs: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = GlobBuilder::new(g).literal_separator(true).build() {
            b.add(glob);
        }
        // `dir/**` also excludes `dir` itself, so the walk can prune it.
        if let Some(dir) = g.strip_suffix("/**") {
            if let Ok(glob) = GlobBuilder::new(dir).literal_separator(true).build() {
                b.add(glob);
            }
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// Walks `paths`. Files named explicitly are always included; directories are
/// walked honoring `.gitignore`, skipping `.git`, symlinks and `excludes`
/// (matched relative to `root`).
pub fn discover(paths: &[PathBuf], excludes: &GlobSet, root: &Path, threads: usize) -> Discovery {
    let found = Mutex::new(Vec::new());
    let charts = Mutex::new(HashSet::new());
    let markers = std::sync::Arc::new(Mutex::new(Vec::new()));
    let mut out = Discovery::default();
    let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for p in paths {
        // A path named on the command line is followed, even a symlink: the
        // user asked for it. Links met while walking are not.
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push((p.clone(), e.to_string()));
                continue;
            }
        };
        if !meta.is_dir() {
            // An explicit file (or a symlink to one) is always linted.
            found.lock().unwrap_or_else(|e| e.into_inner()).push(Found {
                path: p.clone(),
                explicit: true,
            });
            continue;
        }
        let base_abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        out.walked.push((p.clone(), base_abs.clone()));
        // Excluded paths are pruned in the walker itself, so excluded
        // directories are never entered.
        let (walk_root, excl, root_abs2) = (p.clone(), excludes.clone(), root_abs.clone());
        let walk_markers = markers.clone();
        let excluded = move |entry: &Path| -> bool {
            if excl.is_empty() {
                return false;
            }
            let Ok(tail) = entry.strip_prefix(&walk_root) else {
                return false;
            };
            base_abs
                .join(tail)
                .strip_prefix(&root_abs2)
                .is_ok_and(|r| excl.is_match(r))
        };
        let mut builder = WalkBuilder::new(p);
        builder
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .threads(threads.max(1))
            .filter_entry(move |e| {
                if e.file_name() == ".git" {
                    // Noted (a repository root), never entered.
                    note_parent(&walk_markers, e.path());
                    return false;
                }
                !excluded(e.path())
            });
        let errors = Mutex::new(Vec::new());
        let visit = |entry: Result<ignore::DirEntry, ignore::Error>| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    // Loops are impossible (links are not followed); report the rest.
                    errors
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(e.to_string());
                    return;
                }
            };
            if !entry.file_type().is_some_and(|ft| ft.is_file()) {
                if entry.file_name() == ".github" && entry.file_type().is_some_and(|ft| ft.is_dir())
                {
                    note_parent(&markers, entry.path());
                }
                return;
            }
            let name = entry.file_name().to_string_lossy();
            if name == "Chart.yaml" {
                if let Some(parent) = entry.path().parent() {
                    charts
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(parent.as_os_str().to_owned());
                }
            }
            if is_candidate(&name) {
                found.lock().unwrap_or_else(|e| e.into_inner()).push(Found {
                    path: entry.into_path(),
                    explicit: false,
                });
            }
        };
        if threads <= 1 {
            // No walker threads: on a small repository (a pre-commit hook)
            // their start-up costs more than the walk.
            builder.build().for_each(visit);
        } else {
            builder.build_parallel().run(|| {
                let visit = &visit;
                Box::new(move |entry| {
                    visit(entry);
                    WalkState::Continue
                })
            });
        }
        for e in errors.into_inner().unwrap_or_default() {
            out.errors.push((p.clone(), e));
        }
    }
    let mut files = found.into_inner().unwrap_or_default();
    // Byte order, not `Path`'s component-wise order: same determinism, cheaper.
    files.sort_by(|a, b| {
        a.path
            .as_os_str()
            .cmp(b.path.as_os_str())
            .then(a.explicit.cmp(&b.explicit))
    });
    files.dedup_by(|a, b| a.path == b.path);
    out.files = files;
    out.chart_dirs = charts.into_inner().unwrap_or_default();
    // Markers are walk paths: make them canonical through their walked root.
    let markers = std::mem::take(&mut *markers.lock().unwrap_or_else(|e| e.into_inner()));
    for m in markers {
        let canonical = canonical_under(&out.walked, &m);
        out.repo_markers.insert(canonical.unwrap_or(m));
    }
    out
}

/// Records the directory holding `entry` (a repository marker).
fn note_parent(markers: &Mutex<Vec<PathBuf>>, entry: &Path) {
    if let Some(parent) = entry.parent() {
        markers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(parent.to_path_buf());
    }
}

/// The canonical form of a path the walk produced: its walked root's
/// canonical path joined with the rest (the walk follows no links below a
/// root). None for a path under no walked root.
pub fn canonical_under(walked: &[(PathBuf, PathBuf)], path: &Path) -> Option<PathBuf> {
    walked
        .iter()
        .find_map(|(p, c)| path.strip_prefix(p).ok().map(|tail| c.join(tail)))
}

/// Whether `path` lies under a Helm chart directory (one holding `Chart.yaml`).
/// Explicitly named files outside any walked directory are checked on disk.
pub fn in_chart(path: &Path, chart_dirs: &HashSet<OsString>, check_disk: bool) -> bool {
    if chart_dirs.is_empty() && !check_disk {
        return false;
    }
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() {
            break;
        }
        if chart_dirs.contains(d.as_os_str()) || (check_disk && d.join("Chart.yaml").is_file()) {
            return true;
        }
        dir = d.parent();
    }
    false
}
