//! Byte offsets to 1-based line and column, computed once per file.

/// Start offset of every line in a source text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(src: &str) -> Self {
        let mut starts = Vec::with_capacity(src.len() / 32 + 1);
        starts.push(0);
        // Line breaks as YAML knows them: `\n`, `\r\n`, and a lone `\r`.
        // memchr's vectorised search: most bytes are not line breaks.
        let bytes = src.as_bytes();
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n') {
                starts.push((i + 1) as u32);
            }
        }
        LineIndex { starts }
    }

    /// Number of lines (a trailing newline opens an empty last line).
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(0) as usize
    }

    /// 1-based line and column; the column counts Unicode scalar values.
    /// Offsets past the end or inside a character are clamped.
    pub fn position(&self, src: &str, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        // A byte-order mark is not a column.
        let start = if start == 0 && src.starts_with('\u{feff}') {
            3.min(offset)
        } else {
            start
        };
        let col = src[start..offset].chars().count();
        (line + 1, col + 1)
    }

    /// The text of 0-based `line`, without its line terminator.
    pub fn line_text<'s>(&self, src: &'s str, line: usize) -> &'s str {
        let start = self.line_start(line).min(src.len());
        let end = self
            .starts
            .get(line + 1)
            .map(|&e| e as usize)
            .unwrap_or(src.len())
            .min(src.len());
        src[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_handle_crlf() {
        let src = "a: é\r\nbb: x\n";
        let idx = LineIndex::new(src);
        assert_eq!(idx.position(src, 0), (1, 1));
        // `x` is at byte 12 (é is two bytes, \r\n two more).
        let x = src.find('x').unwrap();
        assert_eq!(idx.position(src, x), (2, 5));
        assert_eq!(idx.line_text(src, 0), "a: é");
        // Offset inside é clamps to its start.
        assert_eq!(idx.position(src, 4), (1, 4));
        assert_eq!(idx.position(src, 999), (3, 1));
        // Old Mac line endings, and a BOM on line 1.
        let cr = "a: 1\rb: 2\r";
        assert_eq!(LineIndex::new(cr).position(cr, 5), (2, 1));
        let bom = "\u{feff}a: 1\n";
        assert_eq!(LineIndex::new(bom).position(bom, 3), (1, 1));
        assert_eq!(LineIndex::new(bom).position(bom, 6), (1, 4));
        // Mixed breaks: a lone CR, then CRLF, then LF, each one break.
        let mixed = "a\r\r\nb\nc";
        let idx = LineIndex::new(mixed);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_text(mixed, 1), "");
        assert_eq!(idx.position(mixed, 4), (3, 1));
        assert_eq!(idx.position(mixed, 6), (4, 1));
    }
}
