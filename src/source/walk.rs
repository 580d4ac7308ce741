//! File discovery: a parallel, `.gitignore`-aware walk that yields candidate
//! files in a deterministic (sorted) order, plus the files git tracks that
//! an ignore file hid (`tracked`).

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

use super::contain::{self, Outside};
use super::kind::is_candidate;
use super::tracked::Checkouts;

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
    /// Files named explicitly that a symbolic link takes outside their tree:
    /// not read (see `contain`).
    pub outside: Vec<(PathBuf, Outside)>,
    /// Git indexes (or `.git` files) of walked checkouts that could not be
    /// read, and why: there, tracked files an ignore file matches are
    /// skipped, as outside a checkout.
    pub index_problems: Vec<(PathBuf, String)>,
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

/// What the walkers collect, from any thread.
#[derive(Default)]
struct Collected {
    found: Mutex<Vec<Found>>,
    charts: Mutex<HashSet<OsString>>,
    markers: std::sync::Arc<Mutex<Vec<PathBuf>>>,
}

/// Walks `paths`. Files named explicitly are included, unless a symbolic
/// link takes them outside the tree they were named in and `follow_outside`
/// is false (then they are listed in `outside`); directories are walked
/// honoring `.gitignore`, skipping `.git`, symlinks and `excludes` (matched
/// relative to `root`), except that in a git checkout the files git tracks
/// are found whatever an ignore file says.
pub fn discover(
    paths: &[PathBuf],
    excludes: &GlobSet,
    root: &Path,
    threads: usize,
    follow_outside: bool,
) -> Discovery {
    let collected = Collected::default();
    let mut out = Discovery::default();
    let root_abs = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    // Where named files must stay: resolved at the first named file, once.
    let mut cwd: Option<PathBuf> = None;
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
            // An explicit file (or a symlink to one inside its tree) is linted.
            if !follow_outside {
                let cwd = cwd.get_or_insert_with(|| {
                    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
                    contain::canonical_cwd(&here)
                });
                if let Some(o) = contain::outside_from(p, cwd) {
                    out.outside.push((p.clone(), o));
                    continue;
                }
            }
            lock(&collected.found).push(Found {
                path: p.clone(),
                explicit: true,
            });
            continue;
        }
        let base_abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        out.walked.push((p.clone(), base_abs.clone()));
        let dir = WalkedDir {
            path: p,
            canonical: base_abs,
            root: &root_abs,
            excludes,
        };
        for e in walk_dir(&dir, threads, &collected) {
            out.errors.push((p.clone(), e));
        }
    }
    let mut files = std::mem::take(&mut *lock(&collected.found));
    sort(&mut files);
    let (tracked, problems) = add_tracked(&out.walked, &files, (excludes, &root_abs), &collected);
    out.index_problems = problems;
    if !tracked.is_empty() {
        files.extend(tracked.into_iter().map(|path| Found {
            path,
            explicit: false,
        }));
        sort(&mut files);
    }
    out.files = files;
    out.chart_dirs = collected.charts.into_inner().unwrap_or_default();
    // Markers are walk paths: make them canonical through their walked root.
    let markers = std::mem::take(&mut *lock(&collected.markers));
    for m in markers {
        let canonical = canonical_under(&out.walked, &m);
        out.repo_markers.insert(canonical.unwrap_or(m));
    }
    out
}

/// Byte order, not `Path`'s component-wise order: same determinism,
/// cheaper. A path found twice is kept once.
fn sort(files: &mut Vec<Found>) {
    files.sort_by(|a, b| {
        a.path
            .as_os_str()
            .cmp(b.path.as_os_str())
            .then(a.explicit.cmp(&b.explicit))
    });
    files.dedup_by(|a, b| a.path == b.path);
}

/// The files git tracks under each walked directory that the walk did not
/// find (`files` is sorted): an ignore file matched them. What the walk
/// would have noted of them is noted in `collected` (a chart's
/// `Chart.yaml`, a `.github` directory on their way). Indexes that could
/// not be read are returned as problems.
fn add_tracked(
    walked: &[(PathBuf, PathBuf)],
    files: &[Found],
    (excludes, root): (&GlobSet, &Path),
    collected: &Collected,
) -> (Vec<PathBuf>, Vec<(PathBuf, String)>) {
    let mut checkouts = Checkouts::default();
    let mut added = Vec::new();
    for (dir, canonical) in walked {
        let seen = |p: &Path| {
            files
                .binary_search_by(|f| f.path.as_os_str().cmp(p.as_os_str()))
                .is_ok()
        };
        let excluded = |p: &Path| is_excluded(excludes, root, dir, canonical, p);
        for path in checkouts.missed(dir, canonical, seen, excluded) {
            if path.file_name().is_some_and(|n| n == "Chart.yaml") {
                if let Some(parent) = path.parent() {
                    lock(&collected.charts).insert(parent.as_os_str().to_owned());
                }
            }
            let below = path.ancestors().skip(1).take_while(|a| a != dir);
            for github in below.filter(|a| a.file_name().is_some_and(|n| n == ".github")) {
                note_parent(&collected.markers, github);
            }
            added.push(path);
        }
    }
    (added, checkouts.problems)
}

/// Whether `entry`, a path under the walked directory `walk_root`
/// (canonically `base_abs`), matches an `exclude` glob (relative to `root`).
fn is_excluded(
    excludes: &GlobSet,
    root: &Path,
    walk_root: &Path,
    base_abs: &Path,
    entry: &Path,
) -> bool {
    if excludes.is_empty() {
        return false;
    }
    let Ok(tail) = entry.strip_prefix(walk_root) else {
        return false;
    };
    base_abs
        .join(tail)
        .strip_prefix(root)
        .is_ok_and(|r| excludes.is_match(r))
}

/// A lock, whether or not another thread panicked holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A directory to walk: as named, canonical, and what excludes are relative to.
struct WalkedDir<'a> {
    path: &'a PathBuf,
    canonical: PathBuf,
    root: &'a Path,
    excludes: &'a GlobSet,
}

/// Walks one directory into `collected`; returns the walk's errors.
fn walk_dir(dir: &WalkedDir, threads: usize, collected: &Collected) -> Vec<String> {
    // Excluded paths are pruned in the walker itself, so excluded
    // directories are never entered.
    let (walk_root, excl, root_abs, base_abs) = (
        dir.path.clone(),
        dir.excludes.clone(),
        dir.root.to_path_buf(),
        dir.canonical.clone(),
    );
    let walk_markers = collected.markers.clone();
    let excluded =
        move |entry: &Path| -> bool { is_excluded(&excl, &root_abs, &walk_root, &base_abs, entry) };
    let mut builder = WalkBuilder::new(dir.path);
    builder
        .hidden(false)
        .require_git(false)
        // The user's own global excludes (`core.excludesFile`) are not the
        // repository's: what is linted must not depend on whose machine it
        // runs on. (Reading them also compiled a regex on every run, a
        // third of a small run's instructions.)
        .git_global(false)
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
    let on_entry = |entry: Result<ignore::DirEntry, ignore::Error>| match entry {
        Ok(e) => visit(e, collected),
        // Loops are impossible (links are not followed); report the rest.
        Err(e) => lock(&errors).push(e.to_string()),
    };
    if threads <= 1 {
        builder.build().for_each(on_entry);
    } else if !walk_small(&builder, collected, &errors) {
        builder.build_parallel().run(|| {
            let on_entry = &on_entry;
            Box::new(move |entry| {
                on_entry(entry);
                WalkState::Continue
            })
        });
    }
    errors.into_inner().unwrap_or_default()
}

/// Entries a directory may have for its walk to stay on this thread.
const SMALL_WALK: usize = 2_000;

/// Walks a small directory on this thread: walker threads cost more to
/// start, and sleep waiting for work, than a pre-commit-sized walk takes.
/// Past `SMALL_WALK` entries it gives up, keeping nothing (the `.git`
/// markers its filter noted are noted again, harmlessly), and returns
/// false for the parallel walk to start over.
fn walk_small(builder: &WalkBuilder, collected: &Collected, errors: &Mutex<Vec<String>>) -> bool {
    let local = Collected::default();
    let mut local_errors = Vec::new();
    for (n, entry) in builder.build().enumerate() {
        if n >= SMALL_WALK {
            return false;
        }
        match entry {
            Ok(e) => visit(e, &local),
            Err(e) => local_errors.push(e.to_string()),
        }
    }
    lock(&collected.found).append(&mut lock(&local.found));
    lock(&collected.markers).append(&mut lock(&local.markers));
    lock(&collected.charts).extend(lock(&local.charts).drain());
    lock(errors).append(&mut local_errors);
    true
}

/// One walked entry: a candidate file, a chart's `Chart.yaml`, or a `.github` marker.
fn visit(entry: ignore::DirEntry, collected: &Collected) {
    if !entry.file_type().is_some_and(|ft| ft.is_file()) {
        if entry.file_name() == ".github" && entry.file_type().is_some_and(|ft| ft.is_dir()) {
            note_parent(&collected.markers, entry.path());
        }
        return;
    }
    let name = entry.file_name().to_string_lossy();
    if name == "Chart.yaml" {
        if let Some(parent) = entry.path().parent() {
            lock(&collected.charts).insert(parent.as_os_str().to_owned());
        }
    }
    if is_candidate(&name) {
        lock(&collected.found).push(Found {
            path: entry.into_path(),
            explicit: false,
        });
    }
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
