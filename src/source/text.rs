//! Reading a file's bytes into text: size limit, BOMs, UTF-16 and invalid
//! UTF-8. The same function serves the lint pass and the output pass, so byte
//! offsets always refer to the same text.

use std::io::Read;
use std::path::Path;

/// A problem with the text itself, found while decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// Invalid UTF-8 at this byte offset (the text is decoded lossily).
    NotUtf8 { offset: usize },
    /// A NUL byte at this offset: a binary file.
    Binary { offset: usize },
}

#[derive(Debug)]
pub struct Text {
    pub text: String,
    pub problem: Option<TextProblem>,
}

#[derive(Debug)]
pub enum LoadError {
    Io(std::io::Error),
    TooLarge { size: u64, limit: u64 },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io(e) => write!(f, "{e}"),
            LoadError::TooLarge { size, limit } => {
                write!(
                    f,
                    "file is {size} bytes, larger than the limit of {limit} bytes"
                )
            }
        }
    }
}

/// Reads a file, refusing (without reading) anything larger than `limit` bytes.
pub fn load(path: &Path, limit: u64) -> Result<Text, LoadError> {
    let mut bytes = Vec::new();
    read_into(path, limit, &mut bytes)?;
    Ok(decode(bytes))
}

/// Reads a file into `buf` (cleared first, capacity kept), refusing (without
/// reading) anything larger than `limit` bytes. Returns the file's metadata
/// as it was before reading.
pub fn read_into(
    path: &Path,
    limit: u64,
    buf: &mut Vec<u8>,
) -> Result<std::fs::Metadata, LoadError> {
    buf.clear();
    let file = std::fs::File::open(path).map_err(LoadError::Io)?;
    let meta = file.metadata().map_err(LoadError::Io)?;
    let size = meta.len();
    if size > limit {
        return Err(LoadError::TooLarge { size, limit });
    }
    buf.reserve(size as usize + 1);
    // Read at most limit+1 bytes in case the file grew after the stat.
    file.take(limit + 1)
        .read_to_end(buf)
        .map_err(LoadError::Io)?;
    if buf.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            size: buf.len() as u64,
            limit,
        });
    }
    Ok(meta)
}

/// The bytes as text when `decode` would return them unchanged with no
/// problem (the common case), without copying.
pub fn as_plain_utf8(bytes: &[u8]) -> Option<&str> {
    if bytes.starts_with(&[0xFF, 0xFE])
        || bytes.starts_with(&[0xFE, 0xFF])
        || memchr::memchr(0, bytes).is_some()
    {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// Decodes bytes into text. UTF-8 (with or without BOM) is kept byte for byte;
/// UTF-16 with a BOM is transcoded; anything else is decoded lossily and flagged.
pub fn decode(bytes: Vec<u8>) -> Text {
    if bytes.len() >= 2 && (bytes[..2] == [0xFF, 0xFE] || bytes[..2] == [0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let units = bytes[2..].chunks(2).map(|c| {
            let pair = [c[0], *c.get(1).unwrap_or(&0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        let text: String = char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect();
        return with_nul_check(text, None);
    }
    match String::from_utf8(bytes) {
        Ok(text) => with_nul_check(text, None),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            with_nul_check(text, Some(TextProblem::NotUtf8 { offset }))
        }
    }
}

fn with_nul_check(text: String, problem: Option<TextProblem>) -> Text {
    let bytes = text.as_bytes();
    let nul = memchr::memchr(0, bytes);
    let problem = match (nul, problem) {
        (Some(offset), p)
            if p.as_ref()
                .is_none_or(|p| matches!(p, TextProblem::NotUtf8 { offset: o } if offset < *o)) =>
        {
            Some(TextProblem::Binary { offset })
        }
        (_, p) => p,
    };
    Text { text, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "a: é\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let t = decode(bytes);
        assert_eq!(t.text, "a: é\n");
        assert_eq!(t.problem, None);
    }

    #[test]
    fn invalid_utf8_is_flagged_at_its_offset() {
        let t = decode(b"a: 1\nb: \xff\n".to_vec());
        assert_eq!(t.problem, Some(TextProblem::NotUtf8 { offset: 8 }));
    }

    #[test]
    fn nul_bytes_mean_binary() {
        let t = decode(b"\x00\x01\x02".to_vec());
        assert_eq!(t.problem, Some(TextProblem::Binary { offset: 0 }));
    }
}
