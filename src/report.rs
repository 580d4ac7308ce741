//! Turns byte spans into lines and columns, once, for every output format.
//! Sources are (re)loaded on demand through a small cache, so the output
//! phase never holds every file's text at once.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use crate::config::Config;
use crate::engine::FileEntry;
use crate::finding::{FileId, Location};
use crate::yaml::{LineIndex, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

pub struct Loaded {
    pub text: String,
    pub lines: LineIndex,
}

/// Findings come sorted by file, so a few files cover every revisit (labels in
/// other files); each of the output's parallel chunks has its own cache.
const CACHE_FILES: usize = 4;

pub struct Sources<'a> {
    files: &'a [FileEntry],
    config: &'a Config,
    positions: Option<&'a PositionCache>,
    redactions: Option<&'a HashMap<FileId, Vec<Span>>>,
    cache: HashMap<FileId, Option<Rc<Loaded>>>,
    order: VecDeque<FileId>,
}

impl<'a> Sources<'a> {
    pub fn new(files: &'a [FileEntry], config: &'a Config) -> Self {
        Sources {
            files,
            config,
            positions: None,
            redactions: None,
            cache: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    pub fn path(&self, file: FileId) -> &str {
        self.files
            .get(file as usize)
            .map(|f| f.path.as_str())
            .unwrap_or("")
    }

    /// Redacts these secret value spans from every source shown.
    pub fn with_redactions(mut self, r: &'a HashMap<FileId, Vec<Span>>) -> Self {
        self.redactions = Some(r);
        self
    }

    /// Uses positions computed earlier, reading files only for the rest.
    pub fn with_positions(mut self, cache: &'a PositionCache) -> Self {
        self.positions = Some(cache);
        self
    }

    /// The text of a file, or None if it cannot be read (any more).
    pub fn get(&mut self, file: FileId) -> Option<Rc<Loaded>> {
        if let Some(hit) = self.cache.get(&file) {
            return hit.clone();
        }
        let loaded = self.files.get(file as usize).and_then(|f| {
            if f.error.is_some() {
                return None;
            }
            let redact = self.redactions.and_then(|r| r.get(&file));
            crate::engine::load_text(f, self.config).ok().map(|mut t| {
                if let Some(spans) = redact {
                    crate::redact::apply(&mut t.text, spans);
                }
                let lines = LineIndex::new(&t.text);
                Rc::new(Loaded {
                    text: t.text,
                    lines,
                })
            })
        });
        if self.order.len() >= CACHE_FILES {
            if let Some(old) = self.order.pop_front() {
                self.cache.remove(&old);
            }
        }
        self.order.push_back(file);
        self.cache.insert(file, loaded.clone());
        loaded
    }

    pub fn place(&mut self, loc: Location) -> Place {
        let path = self.path(loc.file).to_string();
        if let Some(cache) = self.positions {
            if let (Some(start), Some(end)) = (
                cache.get(loc.file, loc.span.start),
                cache.get(loc.file, loc.span.end),
            ) {
                return Place {
                    path,
                    file: loc.file,
                    span: loc.span,
                    start,
                    end,
                };
            }
        }
        let (start, end) = match self.get(loc.file) {
            Some(src) => {
                let pos = |off: usize| {
                    let off = crate::yaml::lines_floor(&src.text, off);
                    let (line, column) = src.lines.position(&src.text, off);
                    Position {
                        line,
                        column,
                        offset: off,
                    }
                };
                (pos(loc.span.start as usize), pos(loc.span.end as usize))
            }
            None => {
                let p = Position {
                    line: 1,
                    column: 1,
                    offset: 0,
                };
                (p, p)
            }
        };
        Place {
            path,
            file: loc.file,
            span: loc.span,
            start,
            end,
        }
    }
}
