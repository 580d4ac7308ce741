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

pub struct Loaded {
    pub text: String,
    pub lines: LineIndex,
}

const CACHE_FILES: usize = 32;

pub struct Sources<'a> {
    files: &'a [FileEntry],
    config: &'a Config,
    cache: HashMap<FileId, Option<Rc<Loaded>>>,
    order: VecDeque<FileId>,
}

impl<'a> Sources<'a> {
    pub fn new(files: &'a [FileEntry], config: &'a Config) -> Self {
        Sources {
            files,
            config,
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

    /// The text of a file, or None if it cannot be read (any more).
    pub fn get(&mut self, file: FileId) -> Option<Rc<Loaded>> {
        if let Some(hit) = self.cache.get(&file) {
            return hit.clone();
        }
        let loaded = self.files.get(file as usize).and_then(|f| {
            if f.error.is_some() {
                return None;
            }
            crate::engine::load_text(f, self.config).ok().map(|t| {
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
