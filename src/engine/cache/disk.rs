//! The cache file: a header that says whose it is, then every entry.
//!
//! ```text
//! magic (16 bytes) | format (u32) | run key (u128) | payload length (u64)
//! | checksum of the payload (XXH3-128 seeded by the key) | payload
//! ```
//!
//! The payload is the entries, in file order, as postcard. A file that is
//! short, foreign, of another key or format, or whose checksum fails is
//! ignored whole, before anything in it is decoded; an entry's results are
//! decoded only when its file is looked up. Writes go to a temporary file
//! in the same folder, renamed over the cache: a reader sees the old file
//! or the new one, never half of one, and of two runs writing at once the
//! last rename wins with a whole file.

use std::io::{Read, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::key::{Meta, FORMAT};

const MAGIC: &[u8; 16] = b"shipshape-cache\n";
/// No cache file is read past this size (a corpus of 15,000 files makes ~10 MB).
const MAX_SIZE: u64 = 1 << 30;
const HEADER: usize = 16 + 4 + 16 + 8 + 16;

/// One file's entry as written.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Entry<'a> {
    pub path: &'a str,
    pub kind: u8,
    /// Linted as a Kustomize patch (a fragment).
    pub fragment: bool,
    pub meta: Meta,
    /// When the run that read the file started (ns since the epoch).
    pub recorded: i64,
    pub hash: u128,
    /// What every run needs: the file's facts for the index.
    #[serde(borrow)]
    pub base: &'a [u8],
    /// What only a run that reports the file needs: its findings. Absent
    /// when the file was read for context only.
    #[serde(borrow)]
    pub report: Option<&'a [u8]>,
}

/// An entry of a loaded file: byte ranges into its data.
#[derive(Debug, Clone)]
pub(super) struct Stored {
    pub path: Range<usize>,
    pub kind: u8,
    pub fragment: bool,
    pub meta: Meta,
    pub recorded: i64,
    pub hash: u128,
    pub base: Range<usize>,
    pub report: Option<Range<usize>>,
}

/// A cache file read and checked: its bytes and its entries, by path.
pub(super) struct Loaded {
    pub data: Vec<u8>,
    /// Sorted by path.
    pub entries: Vec<Stored>,
}

impl Loaded {
    pub fn path(&self, s: &Stored) -> &str {
        std::str::from_utf8(&self.data[s.path.clone()]).unwrap_or("")
    }
    /// The index in `entries` of the entry for `path`.
    pub fn find(&self, path: &str) -> Option<usize> {
        // Bytes compare as the text does: the entries were sorted so.
        self.entries
            .binary_search_by(|s| self.data[s.path.clone()].cmp(path.as_bytes()))
            .ok()
    }
}

/// Reads the cache file at `file` if it is this run's (`key`): `Err` says
/// why it is not used (absent, another key, damaged).
pub(super) fn read(file: &Path, key: u128) -> Result<Loaded, String> {
    // Only a regular file is read: a link (to `/dev/zero`, say, committed
    // in place of a cache file) or a pipe could never end.
    let meta = std::fs::symlink_metadata(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "none yet".to_string(),
        _ => format!("not readable: {e}"),
    })?;
    if !meta.file_type().is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_SIZE {
        return Err(format!("larger than {MAX_SIZE} bytes"));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SIZE + 1).read_to_end(&mut data))
        .map_err(|e| format!("not readable: {e}"))?;
    let payload = check(&data, key)?;
    let entries: Vec<Entry> = postcard::from_bytes(payload).map_err(|e| format!("damaged: {e}"))?;
    let base = data.as_ptr() as usize;
    let range = |s: &[u8]| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };
    let mut stored: Vec<Stored> = entries
        .iter()
        .map(|e| Stored {
            path: range(e.path.as_bytes()),
            kind: e.kind,
            fragment: e.fragment,
            meta: e.meta,
            recorded: e.recorded,
            hash: e.hash,
            base: range(e.base),
            report: e.report.map(range),
        })
        .collect();
    drop(entries);
    let path = |s: &Stored| &data[s.path.clone()];
    stored.sort_by(|a, b| path(a).cmp(path(b)));
    stored.dedup_by(|a, b| path(a) == path(b));
    Ok(Loaded {
        data,
        entries: stored,
    })
}

/// The payload of a cache file, if its header says it is this run's and
/// its checksum holds.
fn check(data: &[u8], key: u128) -> Result<&[u8], String> {
    if data.len() < HEADER || &data[..16] != MAGIC {
        return Err("damaged: not a cache file".into());
    }
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap_or_default());
    let u64_at = |i: usize| u64::from_le_bytes(data[i..i + 8].try_into().unwrap_or_default());
    let u128_at = |i: usize| u128::from_le_bytes(data[i..i + 16].try_into().unwrap_or_default());
    if u32_at(16) != FORMAT || u128_at(20) != key {
        return Err("made by another version or config".into());
    }
    let payload = &data[HEADER..];
    if u64_at(36) != payload.len() as u64 {
        return Err("damaged: truncated".into());
    }
    if u128_at(44) != checksum(payload, key) {
        return Err("damaged: checksum".into());
    }
    Ok(payload)
}

fn checksum(payload: &[u8], key: u128) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_seed(payload, key as u64 ^ (key >> 64) as u64)
}

/// Writes `entries` as the cache file `file` (atomically), creating its
/// folder with a `.gitignore` that ignores it. Returns the bytes written.
pub(super) fn write(file: &Path, key: u128, entries: &[Entry]) -> Result<u64, String> {
    let dir = file.parent().unwrap_or(Path::new("."));
    prepare(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let payload = postcard::to_stdvec(entries).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(&payload, key).to_le_bytes());
    out.extend_from_slice(&payload);
    let tmp = temporary(file);
    let written = std::fs::File::create_new(&tmp)
        .and_then(|mut f| f.write_all(&out))
        .and_then(|()| std::fs::rename(&tmp, file));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", file.display()));
    }
    Ok(out.len() as u64)
}

/// The cache folder, with a `.gitignore` of `*` (so it is never committed)
/// and a `CACHEDIR.TAG` (so backup tools skip it).
fn prepare(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    create_once(
        &dir.join(".gitignore"),
        "# Automatically created by shipshape: its results cache.\n*\n",
    )?;
    create_once(
        &dir.join("CACHEDIR.TAG"),
        "Signature: 8a477f597d28d172789f06886806bc55\n\
         # This file is a cache directory tag created by shipshape.\n",
    )
}

/// Writes a new file, leaving whatever is already there (a file, or a link:
/// never followed) as it is.
fn create_once(path: &Path, text: &str) -> std::io::Result<()> {
    match std::fs::File::create_new(path) {
        Ok(mut f) => f.write_all(text.as_bytes()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// A name no other writer uses at the same time.
fn temporary(file: &Path) -> PathBuf {
    static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = super::key::nanos(std::time::SystemTime::now());
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{}.{nanos}.{n}.tmp", std::process::id()));
    file.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry<'_> {
        Entry {
            path,
            kind: 1,
            fragment: false,
            meta: Meta::default(),
            recorded: 5,
            hash: 42,
            base: b"facts",
            report: Some(b"findings"),
        }
    }

    #[test]
    fn a_written_file_reads_back_sorted_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c/results.bin");
        write(&file, 7, &[entry("b.yaml"), entry("a.yaml")]).unwrap();
        let loaded = read(&file, 7).unwrap();
        let paths: Vec<&str> = loaded.entries.iter().map(|s| loaded.path(s)).collect();
        assert_eq!(paths, ["a.yaml", "b.yaml"]);
        let b = &loaded.entries[loaded.find("b.yaml").unwrap()];
        assert_eq!(&loaded.data[b.base.clone()], b"facts");
        assert_eq!(
            b.report.clone().map(|r| &loaded.data[r]),
            Some(&b"findings"[..])
        );
        assert!(dir.path().join("c/.gitignore").exists());
        assert!(dir.path().join("c/CACHEDIR.TAG").exists());
    }

    #[test]
    fn another_key_or_any_damage_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results.bin");
        write(&file, 7, &[entry("a.yaml")]).unwrap();
        assert!(read(&file, 8).is_err());
        let good = std::fs::read(&file).unwrap();
        for cut in [0, 10, HEADER, good.len() - 1] {
            std::fs::write(&file, &good[..cut]).unwrap();
            assert!(read(&file, 7).is_err(), "truncated at {cut}");
        }
        for i in 0..good.len() {
            let mut bad = good.clone();
            bad[i] ^= 0x20;
            std::fs::write(&file, &bad).unwrap();
            assert!(read(&file, 7).is_err(), "byte {i} flipped");
        }
    }
}
