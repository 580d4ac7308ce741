//! File discovery: a parallel, `.gitignore`-aware walk that yields candidate
//! files in a deterministic (sorted) order.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use crate::classify::is_candidate;

/// A file found by the walk (or named explicitly).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub path: PathBuf,
    pub explicit: bool,
}

#[derive(Debug, Default)]
pub struct Discovery {
    pub files: Vec<Found>,
    /// Directories holding a `Chart.yaml`.
    pub chart_dirs: BTreeSet<PathBuf>,
    /// Paths that do not exist or could not be walked, with the reason.
    pub errors: Vec<(PathBuf, String)>,
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
    let charts = Mutex::new(BTreeSet::new());
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
        let rel_to_root = |entry: &Path| -> Option<PathBuf> {
            let tail = entry.strip_prefix(p).ok()?;
            base_abs
                .join(tail)
                .strip_prefix(&root_abs)
                .ok()
                .map(Path::to_path_buf)
        };
        let excluded = |entry: &Path| {
            !excludes.is_empty() && rel_to_root(entry).is_some_and(|r| excludes.is_match(&r))
        };
        let walker = WalkBuilder::new(p)
            .hidden(false)
            .require_git(false)
            .follow_links(false)
            .threads(threads.max(1))
            .filter_entry(move |e| e.file_name() != ".git")
            .build_parallel();
        let errors = Mutex::new(Vec::new());
        walker.run(|| {
            let found = &found;
            let charts = &charts;
            let errors = &errors;
            let excluded = &excluded;
            Box::new(move |entry| {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        // Loops are impossible (links are not followed); report the rest.
                        errors
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(e.to_string());
                        return WalkState::Continue;
                    }
                };
                let Some(ft) = entry.file_type() else {
                    return WalkState::Continue;
                };
                if excluded(entry.path()) {
                    return if ft.is_dir() {
                        WalkState::Skip
                    } else {
                        WalkState::Continue
                    };
                }
                if !ft.is_file() {
                    return WalkState::Continue;
                }
                let name = entry.file_name().to_string_lossy();
                if name == "Chart.yaml" {
                    if let Some(parent) = entry.path().parent() {
                        charts
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(parent.to_path_buf());
                    }
                }
                if is_candidate(&name) {
                    found.lock().unwrap_or_else(|e| e.into_inner()).push(Found {
                        path: entry.into_path(),
                        explicit: false,
                    });
                }
                WalkState::Continue
            })
        });
        for e in errors.into_inner().unwrap_or_default() {
            out.errors.push((p.clone(), e));
        }
    }
    let mut files = found.into_inner().unwrap_or_default();
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    out.files = files;
    out.chart_dirs = charts.into_inner().unwrap_or_default();
    out
}

/// Whether `path` lies under a Helm chart directory (one holding `Chart.yaml`).
/// Explicitly named files outside any walked directory are checked on disk.
pub fn in_chart(path: &Path, chart_dirs: &BTreeSet<PathBuf>, check_disk: bool) -> bool {
    let mut dir = path.parent();
    while let Some(d) = dir {
        if d.as_os_str().is_empty() {
            break;
        }
        if chart_dirs.contains(d) || (check_disk && d.join("Chart.yaml").is_file()) {
            return true;
        }
        dir = d.parent();
    }
    false
}
