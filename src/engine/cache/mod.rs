//! The results cache: each file's per-file results (its facts for the
//! index, and its findings when it is reported), kept between runs in
//! `.shipshape_cache/` and keyed by the file's content, so a run over a
//! large repository reads and parses only what changed. The cross-file
//! pass runs over cached and fresh facts alike: output is the same with or
//! without a cache.
//!
//! `key` says what a cache is valid for (the run key) and when a file's
//! metadata vouches for its content; `disk` reads and writes the file.
//! This module looks files up ([`Cache::probe`]) and writes the new cache
//! from what the pass made of each file ([`Outcome`]). It handles bytes
//! only: the per-file pass encodes and decodes its own results.
//!
//! Never a wrong answer: a cache that is absent, foreign, damaged or
//! unwritable is simply not used, and every failure is a miss.

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::SystemTime;

use crate::config::Config;
use crate::finding::FileId;
use crate::source::file::FileEntry;

mod disk;
mod key;
mod pack;

use disk::{Entry, Loaded, Stored};
pub(super) use key::content_hash;
use key::Meta;

/// The folder the cache goes in when nothing else says.
pub const DEFAULT_DIR: &str = ".shipshape_cache";

/// Where the cache goes.
#[derive(Debug, Clone)]
pub struct CacheDir {
    pub path: PathBuf,
    /// Set when the repository chose the place (the default folder, or the
    /// config's `cache-dir`): it must then lie inside this directory with
    /// no symbolic link on the way, so that a repository cannot make
    /// shipshape write anywhere else (`.shipshape_cache -> ~/.ssh`). A
    /// place the user named (`--cache-dir`, `SHIPSHAPE_CACHE_DIR`) is used
    /// as it is.
    pub within: Option<PathBuf>,
}

/// Why a place the repository chose is not used, if it is not.
fn outside(dir: &CacheDir) -> Option<String> {
    let root = dir.within.as_ref()?;
    let Ok(rel) = dir.path.strip_prefix(root) else {
        return Some(format!(
            "{} is outside {}",
            dir.path.display(),
            root.display()
        ));
    };
    let mut at = root.clone();
    for part in rel.components() {
        let std::path::Component::Normal(name) = part else {
            return Some(format!("{} leaves {}", dir.path.display(), root.display()));
        };
        at.push(name);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Some(format!("{} is a symbolic link", at.display()));
            }
            Ok(m) if !m.is_dir() => return Some(format!("{} is not a folder", at.display())),
            Ok(_) => {}
            // Not there yet: made as a folder when the cache is written.
            Err(_) => break,
        }
    }
    None
}

/// The cache of one run.
pub(super) struct Cache {
    /// `None` when the place may not be used (see [`CacheDir::within`]).
    file: Option<PathBuf>,
    key: u128,
    /// When this run started (ns since the epoch): what its entries record.
    started: i64,
    old: Option<Loaded>,
    /// Why the cache on disk was not used, if it was not.
    unused: Option<String>,
}

/// What the pass made of one file, for writing the cache.
#[derive(Default)]
pub(super) enum Outcome {
    /// Not cached (unread, from stdin, or results that cannot be written).
    #[default]
    None,
    /// Its entry (by index in the loaded cache) is still right as it is.
    Kept(usize),
    /// Its entry's results are right, and its metadata is renewed.
    Renewed(usize, Meta),
    /// Linted this run.
    Fresh(Box<Fresh>),
}

impl Outcome {
    /// The file's results came from the cache.
    pub fn is_hit(&self) -> bool {
        matches!(self, Outcome::Kept(_) | Outcome::Renewed(..))
    }
}

pub(super) struct Fresh {
    fragment: bool,
    meta: Meta,
    hash: u128,
    base: Vec<u8>,
    report: Option<Vec<u8>>,
}

/// A file about to be read: its metadata, and its entry if it has one
/// made under the same terms (same kind, same patch status).
pub(super) struct Probe<'c> {
    cache: &'c Cache,
    fragment: bool,
    meta: Option<Meta>,
    /// The entry's index in the loaded cache.
    entry: Option<usize>,
}

/// An entry's bytes: the base, and the report when the file is reported.
pub(super) type Blobs<'c> = (Cow<'c, [u8]>, Option<Cow<'c, [u8]>>);

impl Cache {
    /// Opens the cache in `dir` for a run walking `walked` (canonical
    /// directories) with `cfg` and the `schemas.paths` files of fingerprint `schemas`.
    pub fn open(dir: &CacheDir, walked: &[PathBuf], cfg: &Config, schemas: u128) -> Cache {
        let key = key::run_key(cfg, schemas);
        let (file, read) = match outside(dir) {
            Some(why) => (None, Err(why)),
            None => {
                let file = dir.path.join(key::scope_name(walked));
                let read = disk::read(&file, key);
                (Some(file), read)
            }
        };
        let (old, unused) = match read {
            Ok(l) => (Some(l), None),
            Err(why) => (None, Some(why)),
        };
        Cache {
            file,
            key,
            started: key::nanos(SystemTime::now()),
            old,
            unused,
        }
    }

    /// Looks up file `f` (linted as a patch when `fragment`), before it is
    /// read. The file is only asked for its metadata when it has an entry:
    /// otherwise reading it says the same.
    pub fn probe(&self, f: &FileEntry, fragment: bool) -> Probe<'_> {
        let entry = self.old.as_ref().and_then(|old| {
            old.find(&f.path).filter(|&i| {
                let e = &old.entries[i];
                e.kind == f.kind as u8 && e.fragment == fragment
            })
        });
        let meta = entry
            .and_then(|_| std::fs::metadata(&f.fs_path).ok())
            .map(|m| Meta::of(&m));
        Probe {
            cache: self,
            fragment,
            meta,
            entry,
        }
    }

    /// How many entries the cache on disk had, if it was used.
    pub fn loaded(&self) -> Option<usize> {
        self.old.as_ref().map(|l| l.entries.len())
    }

    /// Why the cache on disk was not used.
    pub fn unused(&self) -> Option<&str> {
        self.unused.as_deref()
    }

    /// Writes the cache for this run's files, from what the pass made of
    /// each (in file order), if anything changed. `Ok(Some(bytes))` when
    /// written, `Ok(None)` when it was already right.
    pub fn save(
        &self,
        files: &[FileEntry],
        outcomes: &[(FileId, Outcome)],
    ) -> Result<Option<u64>, String> {
        let mut changed = self.old.is_none();
        let mut entries = Vec::with_capacity(outcomes.len());
        for (id, outcome) in outcomes {
            let Some(f) = files.get(*id as usize) else {
                continue;
            };
            let entry = match outcome {
                Outcome::None => None,
                Outcome::Kept(i) => self.kept(*i),
                Outcome::Renewed(i, meta) => self.kept(*i).map(|e| Entry {
                    meta: *meta,
                    recorded: self.started,
                    ..e
                }),
                Outcome::Fresh(fresh) => Some(Entry {
                    path: &f.path,
                    kind: f.kind as u8,
                    fragment: fresh.fragment,
                    meta: fresh.meta,
                    recorded: self.started,
                    hash: fresh.hash,
                    base: &fresh.base,
                    report: fresh.report.as_deref(),
                }),
            };
            changed |= matches!(outcome, Outcome::Renewed(..) | Outcome::Fresh(_));
            entries.extend(entry);
        }
        // Files gone since (deleted, renamed, excluded) leave the cache.
        changed |= self.loaded() != Some(entries.len());
        if !changed {
            return Ok(None);
        }
        let Some(file) = &self.file else {
            return Err(self.unused.clone().unwrap_or_default());
        };
        disk::write(file, self.key, &entries).map(Some)
    }

    /// Entry `i` of the loaded cache, as it is written again.
    fn kept(&self, i: usize) -> Option<Entry<'_>> {
        let old = self.old.as_ref()?;
        let s = old.entries.get(i)?;
        Some(Entry {
            path: old.path(s),
            kind: s.kind,
            fragment: s.fragment,
            meta: s.meta,
            recorded: s.recorded,
            hash: s.hash,
            base: &old.data[s.base.clone()],
            report: s.report.clone().map(|r| &old.data[r]),
        })
    }
}

impl<'c> Probe<'c> {
    /// The file's entry in the loaded cache.
    fn stored(&self) -> Option<&'c Stored> {
        self.cache.old.as_ref()?.entries.get(self.entry?)
    }

    fn blobs(&self, focus: bool) -> Option<Blobs<'c>> {
        let (old, e) = (self.cache.old.as_ref()?, self.stored()?);
        let report = match (focus, e.report.clone()) {
            (true, None) => return None,
            (true, Some(r)) => Some(pack::unpack(&old.data[r])?),
            (false, _) => None,
        };
        Some((pack::unpack(&old.data[e.base.clone()])?, report))
    }

    /// The entry's bytes when the file's metadata vouches for them (the
    /// file need not be read), and what to keep of the entry.
    pub fn unchanged(&self, focus: bool) -> Option<(Blobs<'c>, Outcome)> {
        let (e, meta) = (self.stored()?, self.meta?);
        e.meta.vouches(&meta, e.recorded).then_some(())?;
        Some((self.blobs(focus)?, Outcome::Kept(self.entry?)))
    }

    /// The entry's bytes when the file, read, hashes to `hash`, and what
    /// to keep of the entry.
    pub fn same_content(&self, hash: u128, focus: bool) -> Option<(Blobs<'c>, Outcome)> {
        let (i, e) = (self.entry?, self.stored().filter(|e| e.hash == hash)?);
        let blobs = self.blobs(focus)?;
        let outcome = match self.meta {
            // Renewed when that lets the next run skip reading the file.
            Some(meta) if meta != e.meta || meta.vouches(&meta, self.cache.started) => {
                Outcome::Renewed(i, meta)
            }
            _ => Outcome::Kept(i),
        };
        Some((blobs, outcome))
    }

    /// What to keep of a file linted this run: `read`, its metadata when
    /// it was read; `base` and `report`, its results' bytes.
    pub fn fresh(
        &self,
        hash: u128,
        read: Option<&std::fs::Metadata>,
        base: &[u8],
        report: Option<&[u8]>,
    ) -> Outcome {
        match self.meta.or(read.map(Meta::of)) {
            Some(meta) => Outcome::Fresh(Box::new(Fresh {
                fragment: self.fragment,
                meta,
                hash,
                base: pack::pack(base),
                report: report.map(pack::pack),
            })),
            None => Outcome::None,
        }
    }
}

/// `SHIPSHAPE_CACHE_DIR`, when set and not empty.
pub fn env_dir() -> Option<PathBuf> {
    std::env::var_os("SHIPSHAPE_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
}
