//! A finding's place as the line/column region that SARIF and GitHub
//! annotations carry, and the source text it covers.
//!
//! Columns count Unicode scalar values (`report::Position`). A span that
//! ends where a line starts (just after a line break) is moved back to the
//! end of the line before: both formats define the end line as the line of
//! the region's last character, and an annotation should not spill onto a
//! line it does not touch.

use crate::report::sources::Loaded;
use crate::report::{Place, Sources};

/// A region: 1-based lines and columns, the end column exclusive (the
/// column after the last character), and its byte range in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte range in the file's text as `Sources` loads it (redacted).
    pub start: usize,
    pub end: usize,
}

impl Region {
    /// The region of `place`, reading its source (through `sources`, cached)
    /// only when the end has to move off a line break.
    pub fn of(place: &Place, sources: &mut Sources) -> Region {
        let (s, e) = (place.start, place.end);
        let mut r = Region {
            start_line: s.line,
            start_column: s.column,
            end_line: e.line.max(s.line),
            end_column: e.column,
            start: s.offset,
            end: e.offset.max(s.offset),
        };
        if e.line < s.line || (e.line == s.line && e.column < s.column) {
            // Not expected from a span; keep the region well formed.
            (r.end_line, r.end_column) = (s.line, s.column);
        } else if e.column == 1 && e.line > s.line && e.offset > s.offset {
            if let Some(src) = sources.get(place.file) {
                r.back_off_line_break(&src);
            }
        }
        r
    }

    /// Moves an end that sits at the start of a line to the end of the text
    /// of the line before (its line break excluded).
    fn back_off_line_break(&mut self, src: &Loaded) {
        let text = src.text.as_str();
        let prev = self.end_line - 2; // 0-based index of the line before
        let line_end = src.lines.line_start(prev) + src.lines.line_text(text, prev).len();
        let line_end = line_end.max(self.start).min(text.len());
        let (line, column) = src.lines.position(text, line_end);
        if (line, column) >= (self.start_line, self.start_column) {
            (self.end_line, self.end_column, self.end) = (line, column, line_end);
        }
    }

    /// The text the region covers.
    pub fn text<'t>(&self, src: &'t Loaded) -> &'t str {
        let text = src.text.as_str();
        let start = crate::yaml::lines_floor(text, self.start.min(text.len()));
        let end = crate::yaml::lines_floor(text, self.end.min(text.len())).max(start);
        &text[start..end]
    }

    /// The whole lines the region is on, without the last line's break (and
    /// without a byte-order mark, which is not text).
    pub fn lines<'t>(&self, src: &'t Loaded) -> &'t str {
        let text = src.text.as_str();
        let first = self.start_line.saturating_sub(1);
        let last = self.end_line.saturating_sub(1).max(first);
        let start = src.lines.line_start(first).min(text.len());
        let end = (src.lines.line_start(last) + src.lines.line_text(text, last).len())
            .clamp(start, text.len());
        let lines = &text[start..end];
        if start == 0 {
            lines.strip_prefix('\u{feff}').unwrap_or(lines)
        } else {
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Location;
    use crate::source::file::FileEntry;
    use crate::source::kind::FileKind;
    use crate::yaml::Span;

    fn entry(text: &str) -> FileEntry {
        FileEntry {
            path: "a.yaml".into(),
            fs_path: "a.yaml".into(),
            kind: FileKind::Manifest,
            text: Some(text.into()),
            error: None,
            outside: None,
            focus: true,
            explicit: true,
        }
    }

    fn region(text: &str, start: usize, end: usize) -> (Region, String, String) {
        let files = [entry(text)];
        let config = crate::config::Config::default();
        let mut sources = Sources::new(&files, &config);
        let place = sources.place(Location {
            file: 0,
            span: Span::new(start, end),
        });
        let r = Region::of(&place, &mut sources);
        let src = sources.get(0).unwrap();
        (r, r.text(&src).to_string(), r.lines(&src).to_string())
    }

    #[test]
    fn columns_count_characters_and_the_end_is_exclusive() {
        let text = "a: é\nimage: ünï\n";
        let start = text.find("ünï").unwrap();
        let (r, covered, lines) = region(text, start, start + "ünï".len());
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (2, 8, 2, 11)
        );
        assert_eq!(covered, "ünï");
        assert_eq!(lines, "image: ünï");
    }

    #[test]
    fn an_end_at_a_line_start_moves_back_off_the_line_break() {
        let text = "run: |\n  echo a\n  echo b\r\nnext: 1\n";
        let start = text.find("echo a").unwrap();
        let end = text.find("next").unwrap();
        let (r, covered, lines) = region(text, start, end);
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (2, 3, 3, 9)
        );
        assert_eq!(covered, "echo a\n  echo b");
        assert_eq!(lines, "  echo a\n  echo b");
        // A whole-file finding and an empty span stay where they are.
        let (r, covered, lines) = region(text, 0, 0);
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (1, 1, 1, 1)
        );
        assert_eq!((covered.as_str(), lines.as_str()), ("", "run: |"));
    }

    #[test]
    fn a_byte_order_mark_is_not_text() {
        let text = "\u{feff}image: x\n";
        let (r, covered, lines) = region(text, 3, 8);
        assert_eq!((r.start_line, r.start_column, r.end_column), (1, 1, 6));
        assert_eq!((covered.as_str(), lines.as_str()), ("image", "image: x"));
    }
}
