//! Reading one file for the per-file pass: into a per-thread buffer that
//! keeps its capacity, borrowed as text when it is plain UTF-8 (no
//! allocation per file), decoded otherwise. A file that cannot be read, is
//! too large or is not text becomes a finding here, never an error.

use crate::finding::{FileId, Finding, Location};
use crate::rules::engine as er;
use crate::source::file::FileEntry;
use crate::source::text::{self, LoadError, Text, TextProblem};
use crate::yaml::Span;

thread_local! {
    static READ_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The calling thread's read buffer, given back when dropped.
pub(super) struct ReadBuffer(pub Vec<u8>);

impl ReadBuffer {
    pub fn take() -> Self {
        ReadBuffer(READ_BUFFER.with(|b| b.take()))
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        // Do not keep an unusually large buffer alive between files.
        if v.capacity() > 16 << 20 {
            v = Vec::new();
        }
        v.clear();
        READ_BUFFER.with(|b| b.set(v));
    }
}

/// Why a file was not linted, as the per-file pass counts it.
pub(super) enum Unread {
    /// Over the size limit: skipped.
    Skipped(Box<Finding>),
    /// Could not be read.
    Unreadable(Box<Finding>),
}

/// What reading a file gave: `text` is `None` when the buffer holds plain
/// UTF-8, to be borrowed as is, else the decoded text; `meta` is the file's
/// metadata before it was read (none for stdin).
pub(super) struct Read {
    pub text: Option<Text>,
    pub meta: Option<std::fs::Metadata>,
}

/// Reads a file of the run into `buf`.
pub(super) fn read(
    id: FileId,
    f: &FileEntry,
    max_size: u64,
    buf: &mut Vec<u8>,
) -> Result<Read, Unread> {
    let at = Location {
        file: id,
        span: Span::default(),
    };
    let decoded = match &f.text {
        Some(t) => Ok(Read {
            text: Some(text::decode(t.as_bytes().to_vec())),
            meta: None,
        }),
        None => text::read_into(&f.fs_path, max_size, buf).map(|meta| Read {
            text: text::as_plain_utf8(buf)
                .is_none()
                .then(|| text::decode(buf.clone())),
            meta: Some(meta),
        }),
    };
    decoded.map_err(|e| match e {
        LoadError::TooLarge { size, limit } => Unread::Skipped(Box::new(
            Finding::new(
                &er::FileTooLarge::META,
                at,
                format!("file skipped: {size} bytes is over the limit of {limit} bytes"),
            )
            .help("raise `limits.max-file-size` (or `--max-file-size`), or exclude the file"),
        )),
        e => Unread::Unreadable(Box::new(Finding::new(
            &er::IoError::META,
            at,
            format!("could not read the file: {e}"),
        ))),
    })
}

/// The finding for text that is not UTF-8 or is binary, at the offending
/// character (U+FFFD, from a bad byte, is three bytes).
pub(super) fn text_problem(id: FileId, src: &str, problem: &TextProblem) -> Finding {
    let (offset, msg) = match problem {
        TextProblem::NotUtf8 { offset } => (
            *offset,
            "the file is not UTF-8 text: invalid byte sequence here",
        ),
        TextProblem::Binary { offset } => {
            (*offset, "the file is binary, not YAML: it holds a NUL byte")
        }
    };
    let len = src
        .get(offset..)
        .and_then(|t| t.chars().next())
        .map_or(1, char::len_utf8);
    Finding::new(
        &er::InvalidYaml::META,
        Location {
            file: id,
            span: Span::new(offset, offset + len),
        },
        msg,
    )
}

/// Whether a JSON file looks like a Kubernetes manifest (and so is ours to report).
pub(super) fn looks_like_manifest(src: &str) -> bool {
    src.contains("\"apiVersion\"") && src.contains("\"kind\"")
}
