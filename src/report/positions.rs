//! Byte offsets turned into lines and columns, once: in the parallel pass
//! for the offsets a file's findings mention (`positions_for`), kept in one
//! sorted table (`PositionCache`) that every output format reads.

use crate::finding::FileId;
use crate::yaml::{LineIndex, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// 1-based.
    pub line: usize,
    /// 1-based, in Unicode scalar values.
    pub column: usize,
    /// 0-based byte offset.
    pub offset: usize,
}

/// A resolved location.
#[derive(Debug, Clone)]
pub struct Place {
    pub path: String,
    pub file: FileId,
    pub span: Span,
    pub start: Position,
    pub end: Position,
}

/// Positions already computed (by the parallel pass, while each file's text
/// was in memory): one sorted table of (file, byte offset, position), looked
/// up by binary search. Files arrive in id order, each with its offsets sorted,
/// so building it is appending.
#[derive(Debug, Default)]
pub struct PositionCache(Vec<Cached>);

/// One entry, 20 bytes (a `(FileId, u32, Position)` tuple is 32): it is held
/// until output for two offsets of every finding. Offsets, lines and columns
/// fit in `u32` as spans do.
#[derive(Debug, Clone, Copy)]
pub struct Cached {
    file: FileId,
    offset: u32,
    /// `Position::offset`: `offset` moved to a character boundary.
    at: u32,
    line: u32,
    column: u32,
}

impl Cached {
    fn key(&self) -> (FileId, u32) {
        (self.file, self.offset)
    }
}

impl PositionCache {
    pub fn get(&self, file: FileId, offset: u32) -> Option<Position> {
        self.0
            .binary_search_by(|c| c.key().cmp(&(file, offset)))
            .ok()
            .map(|i| {
                let c = self.0[i];
                Position {
                    line: c.line as usize,
                    column: c.column as usize,
                    offset: c.at as usize,
                }
            })
    }
    /// Appends one file's positions (from [`positions_for`]).
    pub fn extend_file(&mut self, file: FileId, positions: Vec<(u32, Position)>) {
        self.0
            .extend(positions.into_iter().map(|(offset, p)| Cached {
                file,
                offset,
                at: p.offset as u32,
                line: p.line as u32,
                column: p.column as u32,
            }));
    }
    pub fn append(&mut self, mut other: PositionCache) {
        if self.0.is_empty() {
            *self = other;
        } else {
            self.0.append(&mut other.0);
        }
    }
    /// Restores the order if files were appended out of order.
    pub fn seal(&mut self) {
        if !self.0.is_sorted_by_key(Cached::key) {
            self.0.sort_by_key(Cached::key);
            self.0.dedup_by_key(|c| c.key());
        }
    }
}

/// Computes the positions of every offset a file's own findings mention,
/// sorted by offset, each once.
pub fn positions_for(
    file: FileId,
    src: &str,
    findings: &[crate::finding::Finding],
) -> Vec<(u32, Position)> {
    if findings.is_empty() {
        return Vec::new();
    }
    let mut offsets: Vec<u32> = findings
        .iter()
        .flat_map(|f| std::iter::once(f.primary).chain(f.related.iter().map(|l| l.at)))
        .filter(|l| l.file == file)
        .flat_map(|l| [l.span.start, l.span.end])
        .collect();
    offsets.sort_unstable();
    offsets.dedup();
    let lines = LineIndex::new(src);
    offsets
        .into_iter()
        .map(|off| {
            let o = crate::yaml::lines_floor(src, off as usize);
            let (line, column) = lines.position(src, o);
            (
                off,
                Position {
                    line,
                    column,
                    offset: o,
                },
            )
        })
        .collect()
}
