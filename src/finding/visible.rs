//! Text from the repository, made safe to show in a terminal or a CI log.
//!
//! Paths, object names, image references, values quoted in messages and the
//! source lines of snippets all come from files anyone can open a pull
//! request with. Shown raw, an ESC starts a terminal escape sequence (an OSC
//! retitles the terminal, CSI sequences rewrite what the reader sees), a CR
//! or LF forges a line of output (in a GitHub Actions log, a forged line
//! starting `::` is a workflow command), and the bidirectional overrides of
//! "Trojan Source" make text read differently from what it is. Every
//! human-readable format passes such text through here: C0 and C1 controls
//! and DEL, bidirectional overrides, isolates and marks, and the Unicode line
//! and paragraph separators are rendered visibly (`\e`, `\n`, `\u{202e}`),
//! whatever the colour setting. Machine formats (JSON) escape by their own
//! rules instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must never reach a terminal or a log raw.
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// Appends the visible form of `c` (a character `needs_escape` accepts).
fn push_escaped(c: char, out: &mut String) {
    let short = match c {
        '\0' => "\\0",
        '\u{7}' => "\\a",
        '\u{8}' => "\\b",
        '\t' => "\\t",
        '\n' => "\\n",
        '\u{b}' => "\\v",
        '\u{c}' => "\\f",
        '\r' => "\\r",
        '\u{1b}' => "\\e",
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
            return;
        }
    };
    out.push_str(short);
}

/// `s` with every character that `needs_escape` rendered visibly; borrowed
/// when there is none (the common case costs one scan).
pub fn visible(s: &str) -> Cow<'_, str> {
    let Some(first) = s.find(needs_escape) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    for c in s[first..].chars() {
        if needs_escape(c) {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Source text for a snippet, made visible like [`visible`] but keeping its
/// line structure and tabs (which the renderer lays out itself): `\n`, a
/// `\r` right before `\n`, and `\t` stay as they are, and a lone `\r` (a
/// line break in YAML, and in `LineIndex`) becomes `\n`, so the renderer
/// breaks the line where the line numbers do. Byte offsets into the original
/// text move to the escaped one with [`Shifts::map`].
pub fn visible_source(s: &str) -> (Cow<'_, str>, Shifts) {
    let keep = |s: &str, i: usize, c: char| {
        c == '\n' || c == '\t' || (c == '\r' && s.as_bytes().get(i + 1) == Some(&b'\n'))
    };
    let first = s
        .char_indices()
        .find(|&(i, c)| needs_escape(c) && !keep(s, i, c));
    let Some((first, _)) = first else {
        return (Cow::Borrowed(s), Shifts(Vec::new()));
    };
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(&s[..first]);
    let mut shifts = Vec::new();
    for (i, c) in s[first..].char_indices().map(|(i, c)| (i + first, c)) {
        if c == '\r' && !keep(s, i, c) {
            // A lone CR: the same line break, spelled as the renderer reads it.
            out.push('\n');
        } else if needs_escape(c) && !keep(s, i, c) {
            let before = out.len();
            push_escaped(c, &mut out);
            let grown = (out.len() - before) - c.len_utf8();
            shifts.push((i + c.len_utf8(), grown));
        } else {
            out.push(c);
        }
    }
    (Cow::Owned(out), Shifts(shifts))
}

/// Where offsets of a text move once [`visible_source`] escaped it: for
/// each escaped character, the offset just after it and how many bytes its
/// escape added.
#[derive(Debug, Default)]
pub struct Shifts(Vec<(usize, usize)>);

impl Shifts {
    /// The offset in the escaped text of `offset` in the original one. An
    /// offset before an escaped character stays before its escape; one after
    /// it moves past the escape.
    pub fn map(&self, offset: usize) -> usize {
        let n = self.0.partition_point(|&(end, _)| end <= offset);
        offset + self.0[..n].iter().map(|&(_, grown)| grown).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_are_rendered_visibly() {
        assert_eq!(visible("p\u{1b}]0;pwned\u{7}"), "p\\e]0;pwned\\a");
        assert_eq!(visible("a\r\nb\tc\0"), "a\\r\\nb\\tc\\0");
        assert_eq!(visible("x\u{9b}31m\u{7f}"), "x\\u{9b}31m\\u{7f}");
        assert_eq!(
            visible("admin\u{202e}\u{2066}txt\u{2069}\u{2028}"),
            "admin\\u{202e}\\u{2066}txt\\u{2069}\\u{2028}"
        );
        // Everything else, including non-ASCII text, is left alone.
        assert!(matches!(visible("café ünïcode → ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn nothing_that_needs_escape_survives() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        assert!(!visible(&all).chars().any(needs_escape));
        let (src, _) = visible_source(&all);
        assert!(src
            .chars()
            .all(|c| !needs_escape(c) || c == '\n' || c == '\t' || c == '\r'));
        assert!(!src.replace("\r\n", "").contains('\r'));
    }

    #[test]
    fn source_keeps_its_lines_and_offsets_follow() {
        let s = "a: \u{1b}[31mred\r\nb: x\ry\tz\u{7}\n";
        let (out, shifts) = visible_source(s);
        assert_eq!(out, "a: \\e[31mred\r\nb: x\ny\tz\\a\n");
        for (i, c) in s.char_indices() {
            let j = shifts.map(i);
            match c {
                '\r' if i != 11 => assert_eq!(&out[j..j + 1], "\n", "lone CR at {i}"),
                '\u{1b}' | '\u{7}' => assert_eq!(out.as_bytes()[j], b'\\', "offset {i}"),
                _ => assert_eq!(out[j..].chars().next(), Some(c), "offset {i}"),
            }
        }
        assert_eq!(shifts.map(s.len()), out.len());
    }
}
