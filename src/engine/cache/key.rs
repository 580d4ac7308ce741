//! What a cache is valid for, and what a file was when it was read.
//!
//! The **run key** changes whenever a file's results could: another
//! shipshape (its version, and the executable itself, so every build
//! starts afresh), another config (all of it, as `Debug` prints it: only
//! ordered collections), other `schemas.paths` files, another cache format.
//! A cache with another key is ignored whole. The executable's identity
//! (size, times, inode) also makes a cache file someone else wrote (one
//! committed to the repository) useless: nobody can guess it.
//!
//! The **scope** names the cache file: the directories the run walks, so a
//! pre-commit run (the working directory for context) and `check .` share
//! one file, and linting another folder does not evict it.
//!
//! A file's [`Meta`] lets a warm run skip reading a file: the entry is
//! trusted without reading only when size, times and inode are unchanged
//! and the file's last change is [`RACY`] older than the run that recorded
//! it (a write in the same clock tick as that read would otherwise go
//! unseen, git's "racy clean" problem). Anything else is read and hashed.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xxhash_rust::xxh3::Xxh3;

use crate::config::Config;

/// Bumped whenever what an entry holds changes shape.
pub(super) const FORMAT: u32 = 4;

/// How much older than the recording run a file's last change must be for
/// its metadata alone to vouch for its content (coarse file system clocks).
pub(super) const RACY: Duration = Duration::from_secs(2);

/// The key a cache must carry to be used by this run.
pub(super) fn run_key(cfg: &Config, schemas_fingerprint: u128) -> u128 {
    let mut h = Xxh3::new();
    h.update(&FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&[0]);
    match std::env::current_exe().and_then(std::fs::metadata) {
        Ok(m) => h.update(&Meta::of(&m).bytes()),
        // No identity for the executable: a key no other run shares.
        Err(_) => h.update(&nanos(SystemTime::now()).to_le_bytes()),
    }
    h.update(format!("{cfg:?}").as_bytes());
    h.update(&schemas_fingerprint.to_le_bytes());
    h.digest128()
}

/// The cache file's name for a run walking `dirs` (canonical paths).
pub(super) fn scope_name(dirs: &[PathBuf]) -> String {
    let mut dirs: Vec<&Path> = dirs.iter().map(PathBuf::as_path).collect();
    dirs.sort();
    dirs.dedup();
    let mut h = Xxh3::new();
    for d in dirs {
        h.update(d.as_os_str().as_encoded_bytes());
        h.update(&[0]);
    }
    format!("results-{:016x}.bin", h.digest())
}

/// The content hash of a file's bytes.
pub fn content_hash(bytes: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(bytes)
}

/// What the file system says of a file, enough to notice a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Meta {
    pub size: u64,
    /// Modification and status-change times, in nanoseconds since the epoch.
    pub mtime: i64,
    pub ctime: i64,
    pub ino: u64,
    pub dev: u64,
}

impl Meta {
    pub fn of(m: &std::fs::Metadata) -> Meta {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| s.saturating_mul(1_000_000_000).saturating_add(n);
            Meta {
                size: m.len(),
                mtime: ns(m.mtime(), m.mtime_nsec()),
                ctime: ns(m.ctime(), m.ctime_nsec()),
                ino: m.ino(),
                dev: m.dev(),
            }
        }
        #[cfg(not(unix))]
        {
            let mtime = m.modified().map(nanos).unwrap_or(0);
            Meta {
                size: m.len(),
                mtime,
                ctime: mtime,
                ino: 0,
                dev: 0,
            }
        }
    }

    fn bytes(&self) -> [u8; 40] {
        let mut out = [0; 40];
        for (i, v) in [
            self.size,
            self.mtime as u64,
            self.ctime as u64,
            self.ino,
            self.dev,
        ]
        .into_iter()
        .enumerate()
        {
            out[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Whether a file with this metadata, recorded by a run that started at
    /// `recorded`, is the file the entry was made from.
    pub fn vouches(&self, now: &Meta, recorded: i64) -> bool {
        self == now && self.mtime.max(self.ctime) < recorded.saturating_sub(RACY.as_nanos() as i64)
    }
}

/// Nanoseconds since the epoch (0 before it).
pub(super) fn nanos(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos().min(i64::MAX as u128) as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn meta(mtime: i64) -> Meta {
        Meta {
            size: 10,
            mtime,
            ctime: mtime,
            ino: 1,
            dev: 1,
        }
    }

    #[test]
    fn unchanged_old_files_are_vouched_for() {
        assert!(meta(100 * S).vouches(&meta(100 * S), 200 * S));
    }

    #[test]
    fn a_change_of_size_time_or_inode_is_not() {
        let old = meta(100 * S);
        for now in [
            Meta { size: 11, ..old },
            Meta {
                mtime: 101 * S,
                ..old
            },
            Meta {
                ctime: 101 * S,
                ..old
            },
            Meta { ino: 2, ..old },
            Meta { dev: 2, ..old },
        ] {
            assert!(!old.vouches(&now, 200 * S), "{now:?}");
        }
    }

    #[test]
    fn a_file_changed_close_to_the_recording_run_is_read_again() {
        // Written in the same second the run read it: its metadata could
        // stay the same through another write.
        assert!(!meta(100 * S).vouches(&meta(100 * S), 101 * S));
        assert!(!meta(100 * S).vouches(&meta(100 * S), 100 * S));
        // A status change (a rewrite that put the old mtime back) counts too.
        let restored = Meta {
            ctime: 199 * S,
            ..meta(100 * S)
        };
        assert!(!restored.vouches(&restored, 200 * S));
    }

    #[test]
    fn scope_names_ignore_order_and_repeats() {
        let a = PathBuf::from("/r/a");
        let b = PathBuf::from("/r/b");
        assert_eq!(
            scope_name(&[a.clone(), b.clone()]),
            scope_name(&[b.clone(), a.clone(), a.clone()])
        );
        assert_ne!(scope_name(std::slice::from_ref(&a)), scope_name(&[b]));
    }

    #[test]
    fn the_run_key_follows_the_config() {
        let a = Config::default();
        let mut b = Config::default();
        b.require_digest = !b.require_digest;
        assert_eq!(run_key(&a, 0), run_key(&a, 0));
        assert_ne!(run_key(&a, 0), run_key(&b, 0));
        assert_ne!(run_key(&a, 0), run_key(&a, 1));
    }
}
