//! The text of the run's files as the output shows it: reloaded on demand
//! through a small cache (the output phase never holds every file's text at
//! once), with secret values redacted, and each location placed at its line
//! and column.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use super::positions::{Place, Position, PositionCache};
use crate::config::Config;
use crate::finding::{FileId, Location};
use crate::source::file::{load_text, FileEntry};
use crate::yaml::{LineIndex, Span};

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
            load_text(f, self.config.limits.max_file_size)
                .ok()
                .map(|mut t| {
                    if let Some(spans) = redact {
                        super::redact::apply(&mut t.text, spans);
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
