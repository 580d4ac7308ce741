//! The git index (`.git/index`): which files a checkout tracks, read from the
//! file itself; git is never run. Versions 2, 3 (extended flags) and 4
//! (prefix-compressed paths); extensions are skipped. The trailing checksum
//! is not verified (that would take a SHA-1), but the whole structure is:
//! every entry, every extension and the checksum's room must fit the file
//! exactly, so a truncated or corrupt index is refused, never half-read.
//! Bytes in, paths out: this module knows nothing of the file system.
//!
//! The format: git's `Documentation/gitformat-index.txt`.

use std::fmt;

/// Why an index was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexError {
    /// It does not start with `DIRC`.
    NotAnIndex,
    /// A version other than 2, 3 and 4.
    Version(u32),
    /// It ends before its entries, extensions and checksum do.
    Truncated,
    /// Its structure is wrong: what is wrong.
    Corrupt(&'static str),
    /// It needs an extension this reader does not know (a split index's
    /// `link`: most entries are in another file).
    Extension([u8; 4]),
}

impl fmt::Display for IndexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexError::NotAnIndex => write!(f, "it is not a git index"),
            IndexError::Version(v) => {
                write!(f, "index version {v} is not supported (2, 3 and 4 are)")
            }
            IndexError::Truncated => write!(f, "it is truncated"),
            IndexError::Corrupt(what) => write!(f, "it is corrupt ({what})"),
            IndexError::Extension([b'l', b'i', b'n', b'k']) => write!(
                f,
                "it is a split index (`core.splitIndex`), whose entries are in another file"
            ),
            IndexError::Extension(sig) => write!(
                f,
                "it needs the `{}` extension, which is not supported",
                sig.escape_ascii()
            ),
        }
    }
}

/// Stat data (ctime, mtime, dev, ino), mode, uid, gid and size: the fixed
/// fields before the object name.
const STAT: usize = 40;
/// The extended flags' bits git knows (skip-worktree, intent-to-add).
const KNOWN_EXTENDED: u16 = 0x6000;

/// The paths of the regular files the index tracks that `keep` accepts
/// (`/`-separated bytes as git stores them, in index order, each once even
/// when a merge conflict lists it at several stages). Symbolic links,
/// submodules and sparse-index directories are left out.
pub fn tracked_files(
    bytes: &[u8],
    keep: impl Fn(&[u8]) -> bool,
) -> Result<Vec<Vec<u8>>, IndexError> {
    // Object names are 20 bytes (SHA-1) or 32 (SHA-256). Nothing in the
    // index says which, but only one lays its entries out to fit the file.
    parse(bytes, 20, &keep).or_else(|e| parse(bytes, 32, &keep).map_err(|_| e))
}

fn parse(
    bytes: &[u8],
    hash_len: usize,
    keep: &dyn Fn(&[u8]) -> bool,
) -> Result<Vec<Vec<u8>>, IndexError> {
    if !bytes.starts_with(b"DIRC") {
        return Err(if b"DIRC".starts_with(bytes) {
            IndexError::Truncated
        } else {
            IndexError::NotAnIndex
        });
    }
    // Everything but the checksum.
    let end = bytes
        .len()
        .checked_sub(hash_len)
        .ok_or(IndexError::Truncated)?;
    let mut r = Reader {
        bytes: bytes.get(..end).ok_or(IndexError::Truncated)?,
        pos: 4,
    };
    let version = r.u32()?;
    if !(2..=4).contains(&version) {
        return Err(IndexError::Version(version));
    }
    let count = r.u32()? as usize;
    // An entry takes its fixed fields and at least two bytes of name: a
    // count the file cannot hold is refused before anything is allocated.
    let fixed = STAT + hash_len + 2;
    if count > end.saturating_sub(12) / (fixed + 2) {
        return Err(IndexError::Truncated);
    }
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut path: Vec<u8> = Vec::new();
    // Said after the extensions: a split index's entries have empty paths,
    // and its `link` extension is the better reason.
    let mut bad_path = Ok(());
    for _ in 0..count {
        let entry = r.entry(version, hash_len, &mut path)?;
        if let Err(e) = check_path(&path, entry.mode) {
            bad_path = bad_path.and(Err(e));
            continue;
        }
        let regular = entry.mode >> 12 == 0b1000;
        if regular && out.last() != Some(&path) && keep(&path) {
            out.push(path.clone());
        }
    }
    r.extensions()?;
    bad_path.map(|()| out)
}

/// What an entry says besides its path.
struct Entry {
    mode: u32,
}

struct Reader<'a> {
    /// The index without its checksum.
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self.pos.checked_add(n).ok_or(IndexError::Truncated)?;
        let taken = self.bytes.get(self.pos..end).ok_or(IndexError::Truncated)?;
        self.pos = end;
        Ok(taken)
    }

    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u16(&mut self) -> Result<u16, IndexError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Bytes up to the next NUL, which is consumed.
    fn until_nul(&mut self) -> Result<&'a [u8], IndexError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let len = memchr::memchr(0, rest).ok_or(IndexError::Truncated)?;
        self.pos += len + 1;
        Ok(&rest[..len])
    }

    /// git's offset varint (`varint.c`): each continuation adds one before
    /// shifting, so every value has one encoding.
    fn varint(&mut self) -> Result<usize, IndexError> {
        let mut c = self.take(1)?[0];
        let mut value = usize::from(c & 0x7f);
        while c & 0x80 != 0 {
            value = value
                .checked_add(1)
                .filter(|v| v.leading_zeros() >= 7)
                .ok_or(IndexError::Corrupt("a path prefix length overflows"))?;
            c = self.take(1)?[0];
            value = (value << 7) | usize::from(c & 0x7f);
        }
        Ok(value)
    }

    /// One entry; its path replaces `path` (which holds the previous one,
    /// the base of a version 4 path).
    fn entry(
        &mut self,
        version: u32,
        hash_len: usize,
        path: &mut Vec<u8>,
    ) -> Result<Entry, IndexError> {
        let start = self.pos;
        let fields = self.take(STAT + hash_len)?;
        let mode = u32::from_be_bytes([fields[24], fields[25], fields[26], fields[27]]);
        let flags = self.u16()?;
        if flags & 0x4000 != 0 {
            if version < 3 {
                return Err(IndexError::Corrupt("extended flags in a version 2 index"));
            }
            if self.u16()? & !KNOWN_EXTENDED != 0 {
                return Err(IndexError::Corrupt("unknown extended flags"));
            }
        }
        if version == 4 {
            let strip = self.varint()?;
            let kept = path.len().checked_sub(strip).ok_or(IndexError::Corrupt(
                "a path prefix longer than the previous path",
            ))?;
            path.truncate(kept);
            path.extend_from_slice(self.until_nul()?);
        } else {
            let name = self.until_nul()?;
            path.clear();
            path.extend_from_slice(name);
            // NULs pad the entry to a multiple of eight bytes, one at least.
            let fixed = self.pos - start - name.len() - 1;
            let size = (fixed + name.len() + 8) & !7;
            let padding = self.take(size - (self.pos - start))?;
            if padding.iter().any(|&b| b != 0) {
                return Err(IndexError::Corrupt("an entry's padding is not NUL"));
            }
        }
        // The flags hold the path's length, or 0xFFF for 0xFFF and longer.
        let said = usize::from(flags & 0x0fff);
        if (said < 0xfff && said != path.len()) || (said == 0xfff && path.len() < 0xfff) {
            return Err(IndexError::Corrupt(
                "a path's length differs from its entry's",
            ));
        }
        Ok(Entry { mode })
    }

    /// Skips the extensions, which must end exactly where the checksum starts.
    fn extensions(&mut self) -> Result<(), IndexError> {
        while self.pos < self.bytes.len() {
            let sig = self.take(4)?;
            let size = self.u32()? as usize;
            self.take(size)?;
            // An extension whose name starts with an upper-case letter is
            // optional; the others change what the entries mean. A sparse
            // index's `sdir` only says directory entries may appear, which
            // are skipped anyway.
            if !sig[0].is_ascii_uppercase() && sig != b"sdir" {
                return Err(IndexError::Extension([sig[0], sig[1], sig[2], sig[3]]));
            }
        }
        Ok(())
    }
}

/// A path git could have written: relative, without empty, `.` or `..`
/// parts (a sparse-index directory ends with `/`). Anything else would
/// take a join outside the checkout.
fn check_path(path: &[u8], mode: u32) -> Result<(), IndexError> {
    let dir = mode >> 12 == 0b0100;
    let path = match path.strip_suffix(b"/") {
        Some(p) if dir => p,
        _ => path,
    };
    if path
        .split(|&b| b == b'/')
        .any(|part| part.is_empty() || part == b"." || part == b"..")
    {
        return Err(IndexError::Corrupt(
            "a path with an empty, `.` or `..` part",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indexes made by git (`tests/support/git-index/make.sh`).
    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/support/git-index/{name}.index",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn all(bytes: &[u8]) -> Result<Vec<String>, IndexError> {
        tracked_files(bytes, |_| true).map(|v| {
            v.into_iter()
                .map(|p| String::from_utf8_lossy(&p).into_owned())
                .collect()
        })
    }

    /// The regular files of the fixture tree (`link.yaml`, a symbolic
    /// link, is tracked but left out).
    const FILES: &[&str] = &[
        ".gitignore",
        "app/deployment.yaml",
        "café/configmap.yaml",
        "kustomize/README.md",
        "kustomize/base/service.yaml",
        "kustomize/kustomization.yaml",
        "kustomize/overlays/production/a-rather-long-file-name-so-that-prefixes-compress.yaml",
        "scripts/run.sh",
        "vendor/chart/Chart.yaml",
        "vendor/chart/templates/deployment.yaml",
    ];

    fn with_later() -> Vec<&'static str> {
        let mut v = FILES.to_vec();
        v.insert(7, "notes/later.yaml");
        v
    }

    #[test]
    fn indexes_git_wrote_are_read() {
        assert_eq!(fixture("v2")[7], 2);
        assert_eq!(all(&fixture("v2")).unwrap(), FILES);
        // Version 3: `notes/later.yaml` was added with --intent-to-add.
        assert_eq!(fixture("v3")[7], 3);
        assert_eq!(all(&fixture("v3")).unwrap(), with_later());
        // Version 4: the same entries, prefix-compressed.
        assert_eq!(fixture("v4")[7], 4);
        assert_eq!(all(&fixture("v4")).unwrap(), with_later());
        // SHA-256 object names: 32 bytes each.
        assert_eq!(all(&fixture("sha256")).unwrap(), FILES);
    }

    #[test]
    fn keep_chooses_what_is_kept() {
        let yaml = tracked_files(&fixture("v4"), |p| p.ends_with(b".yaml")).unwrap();
        assert_eq!(yaml.len(), 8);
        assert!(yaml.iter().all(|p| p.ends_with(b".yaml")));
    }

    #[test]
    fn a_split_index_is_refused() {
        assert_eq!(all(&fixture("split")), Err(IndexError::Extension(*b"link")));
    }

    #[test]
    fn every_truncation_is_refused_or_reads_the_same() {
        for name in ["v2", "v3", "v4", "sha256", "split"] {
            let bytes = fixture(name);
            let whole = all(&bytes);
            for len in 0..bytes.len() {
                // A cut that leaves whole extensions and 20 bytes after them
                // reads those bytes as the checksum: the entries are the same.
                match all(&bytes[..len]) {
                    Err(_) => {}
                    ok => assert_eq!(ok, whole, "{name} cut at {len}"),
                }
            }
        }
    }

    #[test]
    fn mutated_indexes_never_panic() {
        // Every bit of every byte flipped, and bytes set to 0x00 and 0xff:
        // each must parse to a result or an error, never a panic or a hang.
        for name in ["v2", "v3", "v4", "sha256"] {
            let bytes = fixture(name);
            for i in 0..bytes.len() {
                let mut b = bytes.clone();
                for v in (0..8).map(|bit| bytes[i] ^ (1 << bit)).chain([0, 0xff]) {
                    b[i] = v;
                    let _ = all(&b);
                }
            }
        }
    }

    /// An index as git would write it, from (path, mode, stage, extended flags).
    fn write(
        version: u32,
        entries: &[(&[u8], u32, u16, u16)],
        extensions: &[(&[u8; 4], &[u8])],
    ) -> Vec<u8> {
        let mut b = b"DIRC".to_vec();
        b.extend(version.to_be_bytes());
        b.extend((entries.len() as u32).to_be_bytes());
        let mut prev: &[u8] = b"";
        for &(path, mode, stage, ext) in entries {
            let start = b.len();
            b.extend([0; 24]);
            b.extend(mode.to_be_bytes());
            b.extend([0; 12 + 20]);
            let mut flags = (stage << 12) | path.len().min(0xfff) as u16;
            if ext != 0 {
                flags |= 0x4000;
            }
            b.extend(flags.to_be_bytes());
            if ext != 0 {
                b.extend(ext.to_be_bytes());
            }
            if version == 4 {
                let common = prev.iter().zip(path).take_while(|(a, b)| a == b).count();
                // git's varint: each continuation byte stands for one more.
                let mut strip = prev.len() - common;
                let mut varint = vec![(strip & 0x7f) as u8];
                while strip >> 7 != 0 {
                    strip = (strip >> 7) - 1;
                    varint.insert(0, 0x80 | (strip & 0x7f) as u8);
                }
                b.extend(varint);
                b.extend(&path[common..]);
                b.push(0);
            } else {
                b.extend(path);
                b.push(0);
                while !(b.len() - start).is_multiple_of(8) {
                    b.push(0);
                }
            }
            prev = path;
        }
        for (sig, data) in extensions {
            b.extend(*sig);
            b.extend((data.len() as u32).to_be_bytes());
            b.extend(*data);
        }
        b.extend([0; 20]);
        b
    }

    const FILE: u32 = 0o100644;

    #[test]
    fn conflicted_paths_are_listed_once_and_other_kinds_not_at_all() {
        for version in [2, 3, 4] {
            let bytes = write(
                version,
                &[
                    (b"a.yaml", FILE, 1, 0),
                    (b"a.yaml", FILE, 2, 0),
                    (b"a.yaml", FILE, 3, 0),
                    (b"b.yaml", 0o120000, 0, 0),
                    (b"c/d.yaml", 0o100755, 0, 0),
                    (b"sub", 0o160000, 0, 0),
                ],
                &[(b"TREE", b"whatever"), (b"REUC", b"")],
            );
            assert_eq!(all(&bytes).unwrap(), ["a.yaml", "c/d.yaml"], "v{version}");
        }
    }

    #[test]
    fn version_4_paths_build_on_the_previous_one() {
        let long = [b'x'; 5000];
        let mut deep = b"dir/".to_vec();
        deep.extend(long);
        let bytes = write(
            4,
            &[
                (b"dir/a.yaml", FILE, 0, 0),
                (b"dir/ab.yaml", FILE, 0, 0),
                (&deep, FILE, 0, 0),
                (b"e.yaml", FILE, 0, 0),
            ],
            &[],
        );
        let files = tracked_files(&bytes, |_| true).unwrap();
        assert_eq!(
            files[..2],
            [b"dir/a.yaml".to_vec(), b"dir/ab.yaml".to_vec()]
        );
        assert_eq!(files[2], deep, "a path of 0xFFF bytes or more");
        assert_eq!(files[3], b"e.yaml");
        // Removing more than the previous path had is corrupt.
        let mut bad = write(4, &[(b"a.yaml", FILE, 0, 0)], &[]);
        bad[12 + 62] = 7;
        assert!(matches!(all(&bad), Err(IndexError::Corrupt(_))));
    }

    #[test]
    fn sparse_directories_and_extended_flags_are_understood() {
        let bytes = write(
            3,
            &[
                (b"a.yaml", FILE, 0, 0x2000), // intent-to-add
                (b"b/", 0o040000, 0, 0x4000), // sparse directory, skip-worktree
                (b"c.yaml", FILE, 0, 0x4000), // skip-worktree
            ],
            &[(b"sdir", b"")],
        );
        assert_eq!(all(&bytes).unwrap(), ["a.yaml", "c.yaml"]);
    }

    #[test]
    fn what_git_would_not_write_is_refused() {
        let corrupt = |b: &[u8]| matches!(all(b), Err(IndexError::Corrupt(_)));
        assert_eq!(all(b"PACK0000"), Err(IndexError::NotAnIndex));
        assert_eq!(all(b"DI"), Err(IndexError::Truncated));
        assert_eq!(all(b""), Err(IndexError::Truncated));
        let mut v5 = write(2, &[], &[]);
        v5[7] = 5;
        assert_eq!(all(&v5), Err(IndexError::Version(5)));
        // Paths that would leave the checkout.
        for path in [
            &b"../x.yaml"[..],
            b"/x.yaml",
            b"a//x.yaml",
            b"a/./x.yaml",
            b"a/",
        ] {
            assert!(corrupt(&write(2, &[(path, FILE, 0, 0)], &[])), "{path:?}");
        }
        // Extended flags in version 2; flags git does not know.
        assert!(corrupt(&write(2, &[(b"a", FILE, 0, 0x2000)], &[])));
        assert!(corrupt(&write(3, &[(b"a", FILE, 0, 0x0001)], &[])));
        // A length that disagrees with the path; padding that is not NUL.
        let mut b = write(2, &[(b"abc", FILE, 0, 0)], &[]);
        b[12 + 61] = 4;
        assert!(corrupt(&b));
        let mut b = write(2, &[(b"abc", FILE, 0, 0)], &[]);
        b[12 + 62 + 4] = b'x';
        assert!(corrupt(&b));
        // More entries than the file could hold; bytes after the last extension.
        let mut b = write(2, &[(b"a", FILE, 0, 0)], &[]);
        b[11] = 200;
        assert_eq!(all(&b), Err(IndexError::Truncated));
        let mut b = write(2, &[(b"a", FILE, 0, 0)], &[]);
        b.splice(b.len() - 20..b.len() - 20, [1, 2, 3]);
        assert_eq!(all(&b), Err(IndexError::Truncated));
        // A mandatory extension this reader does not know.
        assert_eq!(
            all(&write(2, &[], &[(b"zzzz", b"")])),
            Err(IndexError::Extension(*b"zzzz"))
        );
        // A varint that overflows.
        let mut b = write(4, &[(b"a", FILE, 0, 0)], &[]);
        let at = 12 + 62;
        b.splice(at..at + 1, [0xff; 12].into_iter().chain([0]));
        assert!(all(&b).is_err());
    }

    #[test]
    fn messages_say_what_is_wrong() {
        assert_eq!(
            IndexError::Extension(*b"link").to_string(),
            "it is a split index (`core.splitIndex`), whose entries are in another file"
        );
        assert_eq!(
            IndexError::Extension(*b"a\x1b[m").to_string(),
            "it needs the `a\\x1b[m` extension, which is not supported"
        );
        assert_eq!(
            IndexError::Version(5).to_string(),
            "index version 5 is not supported (2, 3 and 4 are)"
        );
    }
}
