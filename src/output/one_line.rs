//! Plain human output for the common finding, written directly: one
//! annotation on one short line of printable ASCII, no related labels.
//!
//! annotate-snippets lays every diagnostic out on a grid of styled
//! characters; on the corpus that was about 9% of all the instructions of a
//! run, for findings that are 99% of this one shape. This writes the same
//! bytes straight away. Anything else (colour, related labels, tabs,
//! non-ASCII or long lines, control characters in a message, a line that
//! ends in blanks) goes to annotate-snippets. The tests below hold both to
//! the same output, byte for byte, over generated cases.

use std::fmt::Write as _;

/// Longest source line taken here: annotate-snippets trims lines wider than
/// its terminal width, which this does not imitate.
const MAX_LINE: usize = 100;

/// One finding of the simple shape, all of it already known to the caller.
pub(super) struct OneLine<'a> {
    pub level: &'static str,
    pub rule: &'a str,
    pub message: &'a str,
    pub path: &'a str,
    /// 1-based line number.
    pub line_no: usize,
    /// The line's text, without its terminator.
    pub line: &'a str,
    /// Byte range of the annotation in `line`.
    pub start: usize,
    pub end: usize,
    pub label: Option<&'a str>,
    pub note: Option<&'a str>,
    pub help: Option<&'a str>,
}

fn plain_text(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_control)
}

impl OneLine<'_> {
    /// Whether `write` renders this exactly as annotate-snippets does.
    pub fn supported(&self) -> bool {
        self.start < self.end
            && self.end <= self.line.len()
            && self.line.len() <= MAX_LINE
            && self.line.bytes().all(|b| (0x20..0x7f).contains(&b))
            && !self.line.ends_with(' ')
            && self.line_no > 0
            && plain_text(self.message)
            && plain_text(self.path)
            && [self.label, self.note, self.help]
                .iter()
                .all(|t| t.is_none_or(plain_text))
    }

    /// Appends the rendering (no trailing newline, as annotate-snippets).
    pub fn write(&self, out: &mut Vec<u8>) {
        let mut s =
            String::with_capacity(256 + self.message.len() + self.path.len() + 2 * self.line.len());
        let num = self.line_no.to_string();
        let pad = " ".repeat(num.len() + 1);
        let _ = writeln!(s, "{}[{}]: {}", self.level, self.rule, self.message);
        let tail: Vec<(&str, &str)> = [("note", self.note), ("help", self.help)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
        // The underline closes the group when nothing follows it.
        let gutter = if tail.is_empty() { "╰╴" } else { "│ " };
        let _ = write!(
            s,
            "{pad}╭▸ {}:{}:{}\n{pad}│\n{num} │ {}\n{pad}{gutter}",
            self.path,
            self.line_no,
            self.start + 1,
            self.line
        );
        s.push_str(&" ".repeat(self.start));
        s.push_str(&"━".repeat(self.end - self.start));
        if let Some(label) = self.label {
            s.push(' ');
            s.push_str(label);
        }
        if !tail.is_empty() {
            let _ = write!(s, "\n{pad}│");
            for (i, (kind, text)) in tail.iter().enumerate() {
                let corner = if i + 1 == tail.len() { '╰' } else { '├' };
                let _ = write!(s, "\n{pad}{corner} {kind}: {text}");
            }
        }
        out.extend_from_slice(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use annotate_snippets::{AnnotationKind, Group, Level, Snippet};

    /// The same finding through annotate-snippets, as `human::render_finding`
    /// builds it.
    fn reference(c: &OneLine) -> String {
        let level = match c.level {
            "error" => Level::ERROR,
            "warning" => Level::WARNING,
            _ => Level::INFO,
        };
        let mut ann = AnnotationKind::Primary.span(c.start..c.end);
        if let Some(l) = c.label {
            ann = ann.label(l);
        }
        let snippet = Snippet::source(c.line)
            .line_start(c.line_no)
            .path(c.path)
            .fold(true)
            .annotation(ann);
        let mut group =
            Group::with_title(level.primary_title(c.message).id(c.rule)).element(snippet);
        if let Some(n) = c.note {
            group = group.element(Level::NOTE.message(n));
        }
        if let Some(h) = c.help {
            group = group.element(Level::HELP.message(h));
        }
        super::super::human::renderer(false).render(&[group])
    }

    fn ours(c: &OneLine) -> String {
        let mut v = Vec::new();
        c.write(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn matches_annotate_snippets_byte_for_byte() {
        let lines = [
            "x",
            "image: redis",
            "        image: mcr.microsoft.com/oss/bitnami/redis:6.0.8",
            "  - name: a  # comment",
            "key: \"quoted value\" ",
            "a:b",
            "{a: [1, 2], b: 'c'}",
        ];
        let texts = [
            None,
            Some("no tag: the runtime pulls `latest`"),
            Some("ünïcödé … 日本語 label"),
        ];
        let mut checked = 0;
        let mut seed = 7u64;
        for line in lines {
            for line_no in [1, 9, 10, 99, 100, 12345] {
                for _ in 0..12 {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let start = (seed >> 33) as usize % line.len();
                    let end = start + 1 + (seed >> 45) as usize % (line.len() - start);
                    let pick = |k: u64| texts[((seed >> k) % 3) as usize];
                    let c = OneLine {
                        level: ["error", "warning", "info"][(seed >> 40) as usize % 3],
                        rule: "unpinned-image",
                        message: "image `redis` has no tag … (container `x`)",
                        path: "dir/fïle.yaml",
                        line_no,
                        line,
                        start,
                        end,
                        label: pick(20),
                        note: pick(24),
                        help: pick(28),
                    };
                    if !c.supported() {
                        continue;
                    }
                    assert_eq!(ours(&c), reference(&c), "{line:?} {start}..{end}");
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "only {checked} cases checked");
    }

    #[test]
    fn longest_supported_line_renders_like_annotate_snippets() {
        for len in [MAX_LINE - 1, MAX_LINE] {
            let line = "a".repeat(len);
            for (start, end) in [(0, 1), (0, len), (len - 1, len), (len / 2, len / 2 + 3)] {
                let c = OneLine {
                    level: "error",
                    rule: "r",
                    message: "m",
                    path: "p.yaml",
                    line_no: 7,
                    line: &line,
                    start,
                    end,
                    label: Some("label"),
                    note: None,
                    help: Some("help"),
                };
                assert!(c.supported());
                assert_eq!(ours(&c), reference(&c), "len {len}, {start}..{end}");
            }
        }
    }

    #[test]
    fn unusual_shapes_are_left_to_annotate_snippets() {
        let base = OneLine {
            level: "error",
            rule: "r",
            message: "m",
            path: "p.yaml",
            line_no: 1,
            line: "image: x",
            start: 7,
            end: 8,
            label: None,
            note: None,
            help: None,
        };
        assert!(base.supported());
        let line = "a".repeat(MAX_LINE + 1);
        for c in [
            OneLine {
                line: "\timage: x",
                ..base
            },
            OneLine {
                line: "image: é",
                ..base
            },
            OneLine {
                line: "image: x ",
                ..base
            },
            OneLine {
                line: &line,
                ..base
            },
            OneLine {
                start: 7,
                end: 7,
                ..base
            },
            OneLine { end: 9, ..base },
            OneLine {
                message: "two\nlines",
                ..base
            },
            OneLine {
                help: Some("tab\there"),
                ..base
            },
            OneLine { path: "", ..base },
        ] {
            assert!(!c.supported());
        }
    }
}
