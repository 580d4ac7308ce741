//! `--diff-base REV`, adopting shipshape on an existing repository: only
//! findings on lines added or modified since REV are reported (every
//! finding of a file REV does not have), and the others are counted. Lines
//! are compared in-process with what git stored at REV (`source::git`), so
//! no diff driver or filter of the repository runs. Findings about a file
//! rather than a line (it could not be read, was too large, links outside)
//! are always reported.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use similar::{capture_diff_slices, Algorithm, DiffOp};

use crate::finding::{FileId, Finding};
use crate::rules;
use crate::source::file::{load_text, FileEntry};
use crate::source::git::GitBase;
use crate::yaml::LineIndex;

/// The findings to report, and how many were on unchanged lines.
pub(super) fn keep_changed(
    findings: Vec<Finding>,
    files: &[FileEntry],
    base: &GitBase,
    max_size: u64,
    cwd: &Path,
) -> (Vec<Finding>, usize) {
    let with_findings: BTreeSet<FileId> = findings.iter().map(|f| f.primary.file).collect();
    let rel: Vec<(FileId, String)> = with_findings
        .iter()
        .filter_map(|&id| {
            let f = files.get(id as usize)?;
            relative(&f.fs_path, &base.toplevel, cwd).map(|r| (id, r))
        })
        .collect();
    let paths: Vec<String> = rel.iter().map(|(_, p)| p.clone()).collect();
    // A git failure (the repository changed under us) keeps everything.
    let blobs = base.blobs(&paths).unwrap_or_default();
    // Per file whose lines could be compared: its changed lines, and its
    // current text's line index to place findings.
    let mut changed: HashMap<FileId, (BTreeSet<usize>, LineIndex)> = HashMap::new();
    for (id, path) in &rel {
        if let Some(Some(old)) = blobs.get(path) {
            if let Some(c) = changed_lines(&files[*id as usize], old, max_size) {
                changed.insert(*id, c);
            }
        }
    }
    let mut hidden = 0;
    let kept = findings
        .into_iter()
        .filter(|f| {
            let keep = keep(f, &changed);
            hidden += usize::from(!keep);
            keep
        })
        .collect();
    (kept, hidden)
}

/// Whether a finding is on a changed line (or about a whole file, or in a
/// file whose lines could not be compared: new, outside the repository).
fn keep(f: &Finding, changed: &HashMap<FileId, (BTreeSet<usize>, LineIndex)>) -> bool {
    if rules::find(f.rule).is_some_and(|m| m.category == "meta") {
        return true;
    }
    let Some((lines, index)) = changed.get(&f.primary.file) else {
        return true;
    };
    let first = index.line_of(f.primary.span.start as usize);
    let last = index
        .line_of((f.primary.span.end as usize).saturating_sub(1))
        .max(first);
    lines.range(first..=last).next().is_some()
}

/// The path of a file relative to the repository's top level, `/`-separated;
/// `None` outside it.
fn relative(fs_path: &Path, toplevel: &Path, cwd: &Path) -> Option<String> {
    let abs = cwd.join(fs_path);
    let canonical = match std::fs::canonicalize(&abs) {
        Ok(p) => p,
        // A buffer on stdin for a file not saved yet: its directory exists.
        Err(_) => std::fs::canonicalize(abs.parent()?)
            .ok()?
            .join(abs.file_name()?),
    };
    let rel = canonical.strip_prefix(toplevel).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The 0-based lines of the file's current text that are added or modified
/// against `old`, and that text's line index; `None` when it cannot be read.
fn changed_lines(f: &FileEntry, old: &[u8], max_size: u64) -> Option<(BTreeSet<usize>, LineIndex)> {
    let new = load_text(f, max_size).ok()?.text;
    let old = String::from_utf8_lossy(old);
    Some((changed_between(&old, &new), LineIndex::new(&new)))
}

/// Lines of `new` (0-based, split as `LineIndex` splits them) that are not
/// lines of `old` kept in place by a line diff.
fn changed_between(old: &str, new: &str) -> BTreeSet<usize> {
    let lines = |t: &str| -> Vec<String> {
        let index = LineIndex::new(t);
        (0..index.line_count())
            .map(|l| index.line_text(t, l).trim_end_matches('\r').to_string())
            .collect()
    };
    let (old, new) = (lines(old), lines(new));
    let mut out = BTreeSet::new();
    for op in capture_diff_slices(Algorithm::Myers, &old, &new) {
        match op {
            DiffOp::Insert {
                new_index, new_len, ..
            }
            | DiffOp::Replace {
                new_index, new_len, ..
            } => out.extend(new_index..new_index + new_len),
            DiffOp::Equal { .. } | DiffOp::Delete { .. } => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_and_modified_lines_are_changed_moved_ones_are_not() {
        let old = "a: 1\nb: 2\nc: 3\nd: 4\n";
        let new = "x: 0\na: 1\nb: 20\nc: 3\nd: 4\ne: 5\n";
        assert_eq!(changed_between(old, new), BTreeSet::from([0, 2, 5]));
        assert_eq!(changed_between(new, new), BTreeSet::new());
        // Deleting lines changes none of the remaining ones.
        assert_eq!(changed_between(old, "a: 1\nd: 4\n"), BTreeSet::new());
        // CRLF and CR-only endings split as LineIndex splits them.
        assert_eq!(
            changed_between("a\r\nb\r\n", "a\r\nc\r\n"),
            BTreeSet::from([1])
        );
        assert_eq!(changed_between("a\rb\r", "a\rc\r"), BTreeSet::from([1]));
    }
}
