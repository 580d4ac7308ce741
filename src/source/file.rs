//! A file of the run: how it is shown, what kind it is, and how its text is
//! read again (from memory for stdin, else from disk) whenever a later phase
//! needs it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::contain::Outside;
use super::kind::FileKind;
use super::text::{self, LoadError, Text};

/// A file of the run.
#[derive(Debug)]
pub struct FileEntry {
    /// As shown to users: relative to the working directory, `/`-separated.
    pub path: String,
    pub fs_path: PathBuf,
    pub kind: FileKind,
    /// The text, for files that do not live on disk (stdin).
    pub text: Option<Arc<str>>,
    /// Why the file could not even be opened (a named path that does not exist, a walk error).
    pub error: Option<String>,
    /// A named file that a symbolic link takes outside its tree: never read.
    pub outside: Option<Outside>,
    /// Linted and reported (false: read only for the repository index).
    pub focus: bool,
    /// Named on the command line (or stdin), not found by the walk.
    pub explicit: bool,
}

/// Display form of a path: relative to the working directory when under it, `/`-separated.
pub fn display_path(p: &Path, cwd: &Path) -> String {
    let rel = if p.is_absolute() {
        p.strip_prefix(cwd).unwrap_or(p)
    } else {
        p
    };
    let mut s: String = rel.to_string_lossy().replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// Reads the text of a file of the run: from memory for stdin, else from
/// disk, refusing files over `max_size` bytes and files that resolve outside
/// their tree.
pub fn load_text(f: &FileEntry, max_size: u64) -> Result<Text, LoadError> {
    if f.outside.is_some() {
        return Err(LoadError::Io(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "a symbolic link to outside the repository",
        )));
    }
    match &f.text {
        Some(t) => Ok(text::decode(t.as_bytes().to_vec())),
        None => text::load(&f.fs_path, max_size),
    }
}
