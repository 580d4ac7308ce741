//! The first phase: walk the named paths (and the context directory), and
//! lay out the run's file table in path order, so file ids, and therefore
//! output, never depend on the walk's thread interleaving.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Options;
use crate::finding::{FileId, Finding, Location};
use crate::rules::engine as er;
use crate::source::contain;
use crate::source::file::{display_path, FileEntry};
use crate::source::kind::{file_kind, FileKind};
use crate::source::walk::{self, Discovery};
use crate::yaml::Span;

/// The file table, and what the walk saw that the index phase still needs.
pub(super) struct Walked {
    /// Every file of the run, sorted by display path.
    pub files: Vec<FileEntry>,
    /// Each walked directory: as given, and canonical.
    pub dirs: Vec<(PathBuf, PathBuf)>,
    /// Canonical directories holding a repository marker.
    pub markers: HashSet<PathBuf>,
    /// Git indexes that could not be read, and why (each once).
    pub index_problems: Vec<(PathBuf, String)>,
}

/// Walks `opts.paths` (and `opts.context`, for index-only files).
pub(super) fn walk(opts: &Options, cwd: &Path) -> Walked {
    let cfg = &opts.config;
    let excludes = walk::build_excludes(&cfg.exclude);
    let mut disc = walk::discover(
        &opts.paths,
        &excludes,
        &cfg.root,
        opts.threads,
        opts.follow_outside_links,
    );
    let mut context = match &opts.context {
        Some(dir) => walk::discover(
            std::slice::from_ref(dir),
            &excludes,
            &cfg.root,
            opts.threads,
            opts.follow_outside_links,
        ),
        None => Discovery::default(),
    };
    let mut files = focus_files(&mut disc, opts, cwd);
    // Context files: everything else in the context directory, index only.
    if !context.files.is_empty() {
        let named: HashSet<String> = files.iter().map(|f| f.path.clone()).collect();
        let chart_dirs = &context.chart_dirs;
        let found = std::mem::take(&mut context.files);
        files.extend(found.into_iter().filter_map(|f| {
            let path = display_path(&f.path, cwd);
            (!named.contains(&path)).then(|| FileEntry {
                kind: file_kind(&path, walk::in_chart(&f.path, chart_dirs, false)),
                path,
                fs_path: f.path,
                text: None,
                error: None,
                outside: None,
                focus: false,
                explicit: f.explicit,
            })
        }));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut dirs = std::mem::take(&mut disc.walked);
    dirs.append(&mut context.walked);
    let mut markers = std::mem::take(&mut disc.repo_markers);
    markers.extend(context.repo_markers.drain());
    let mut index_problems = std::mem::take(&mut disc.index_problems);
    index_problems.append(&mut context.index_problems);
    index_problems.sort();
    index_problems.dedup_by(|a, b| a.0 == b.0);
    Walked {
        files,
        dirs,
        markers,
        index_problems,
    }
}

/// A `git-index-unreadable` note for each git index that could not be
/// read, about a file added to the table (after the file pass: the index is
/// never linted). Its `error` keeps its bytes out of any snippet.
pub(super) fn index_problems(
    problems: Vec<(PathBuf, String)>,
    files: &mut Vec<FileEntry>,
    cwd: &Path,
    findings: &mut Vec<Finding>,
) {
    for (path, why) in problems {
        let id = files.len() as FileId;
        files.push(FileEntry {
            path: display_path(&path, cwd),
            fs_path: path,
            kind: FileKind::Manifest,
            text: None,
            error: Some(why.clone()),
            outside: None,
            focus: true,
            explicit: true,
        });
        let at = Location {
            file: id,
            span: Span::default(),
        };
        findings.push(
            Finding::new(
                &er::GitIndexUnreadable::META,
                at,
                format!("git index not read: {why}; files an ignore file matches are skipped, even those git tracks"),
            )
            .help("name ignored files on the command line to lint them, or turn this note off with `rules: {git-index-unreadable: off}`"),
        );
    }
}

/// The files that are linted and reported: walked, named, from stdin, or
/// named but unreadable.
fn focus_files(disc: &mut Discovery, opts: &Options, cwd: &Path) -> Vec<FileEntry> {
    // The walk's list is consumed, not copied: nothing holds two lists of paths.
    let found = std::mem::take(&mut disc.files);
    let mut files: Vec<FileEntry> = found
        .into_iter()
        .map(|f| {
            let path = display_path(&f.path, cwd);
            let chart = walk::in_chart(&f.path, &disc.chart_dirs, f.explicit);
            FileEntry {
                kind: file_kind(&path, chart),
                path,
                fs_path: f.path,
                text: None,
                error: None,
                outside: None,
                focus: true,
                explicit: f.explicit,
            }
        })
        .collect();
    if let Some((as_path, text)) = &opts.stdin {
        let path = display_path(as_path, cwd);
        files.retain(|f| f.path != path);
        let chart = walk::in_chart(as_path, &disc.chart_dirs, true);
        let outside = (!opts.follow_outside_links)
            .then(|| contain::outside(as_path, cwd))
            .flatten();
        files.push(FileEntry {
            kind: file_kind(&path, chart),
            path,
            fs_path: as_path.clone(),
            text: outside.is_none().then(|| Arc::from(text.as_str())),
            error: None,
            outside,
            focus: true,
            explicit: true,
        });
    }
    for (path, outside) in std::mem::take(&mut disc.outside) {
        files.push(FileEntry {
            path: display_path(&path, cwd),
            fs_path: path,
            kind: FileKind::Manifest,
            text: None,
            error: None,
            outside: Some(outside),
            focus: true,
            explicit: true,
        });
    }
    for (path, err) in &disc.errors {
        files.push(FileEntry {
            path: display_path(path, cwd),
            fs_path: path.clone(),
            kind: FileKind::Manifest,
            text: None,
            error: Some(err.clone()),
            outside: None,
            focus: true,
            explicit: true,
        });
    }
    files
}
