//! Inline suppressions: `# shipshape: ignore[rule-id, other-id] reason`.
//!
//! A trailing comment applies to findings starting on its own line; a comment
//! alone on its line applies to the line below. Text inside a scalar (a
//! `run: |` script, a quoted string) is never a suppression.

use super::{Finding, Location};
use crate::yaml::{Document, Span};

/// A finding that a suppression comment silenced. The run keeps it aside:
/// formats that can say "suppressed, and why" (SARIF) report it; the others
/// neither show nor count it, and neither does the exit code.
#[derive(Debug, Clone)]
pub struct Suppressed {
    pub finding: Finding,
    /// The comment that silenced it, from `#` to the end of its line.
    pub by: Location,
    /// The comment's reason (the text after `]`), if it gives one.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// The whole comment, from `#`.
    pub span: Span,
    /// Whether the comment stands alone on its line (then it governs the next line).
    pub standalone: bool,
    /// Rule ids with their spans.
    pub rules: Vec<(String, Span)>,
    pub reason: Option<String>,
}

const MARKER: &str = "shipshape:";

/// Finds every suppression comment in `src` that is not inside a scalar of `docs`.
pub fn scan(src: &str, docs: &[Document]) -> Vec<Suppression> {
    if !src.contains(MARKER) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in src.split_inclusive('\n') {
        if let Some(s) = scan_line(line, line_start) {
            if !inside_scalar(s.span.start, docs) {
                out.push(s);
            }
        }
        line_start += line.len();
    }
    out
}

fn scan_line(line: &str, base: usize) -> Option<Suppression> {
    let mut search = 0;
    while let Some(rel) = line[search..].find('#') {
        let hash = search + rel;
        search = hash + 1;
        // A comment starts at the line start or after white space.
        if hash > 0 && !line.as_bytes()[hash - 1].is_ascii_whitespace() {
            continue;
        }
        let body = line[hash + 1..].trim_start();
        let Some(rest) = body.strip_prefix(MARKER) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = rest.strip_prefix("ignore[") else {
            continue;
        };
        let close = rest.find(']')?;
        let list_start = base + line.len() - line[hash..].len() + (line[hash..].len() - rest.len());
        let mut rules = Vec::new();
        let mut offset = 0;
        for part in rest[..close].split(',') {
            let lead = part.len() - part.trim_start().len();
            let id = part.trim();
            if !id.is_empty() {
                let s = list_start + offset + lead;
                rules.push((id.to_string(), Span::new(s, s + id.len())));
            }
            offset += part.len() + 1;
        }
        let reason = rest[close + 1..].trim();
        let end = base + line.trim_end_matches(['\n', '\r']).len();
        return Some(Suppression {
            span: Span::new(base + hash, end),
            standalone: line[..hash].trim().is_empty(),
            rules,
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        });
    }
    None
}

fn inside_scalar(offset: u32, docs: &[Document]) -> bool {
    docs.iter()
        .filter(|d| d.span.start <= offset && offset < d.span.end.max(d.span.start + 1))
        .any(|d| {
            d.scalar_spans()
                .any(|sp| sp.start <= offset && offset < sp.end)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn trailing_and_standalone() {
        let src = "a: 1 # shipshape: ignore[x-rule, y] because\n# shipshape: ignore[z]\nb: 2\n";
        let p = parse_stream(src, &Limits::default());
        let s = scan(src, &p.docs);
        assert_eq!(s.len(), 2);
        assert!(!s[0].standalone);
        assert_eq!(
            s[0].rules.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
            ["x-rule", "y"]
        );
        assert_eq!(&src[s[0].rules[1].1.range()], "y");
        assert_eq!(s[0].reason.as_deref(), Some("because"));
        assert!(s[1].standalone);
        assert_eq!(s[1].reason, None);
    }

    #[test]
    fn not_inside_scalars() {
        let src =
            "run: |\n  echo hi # shipshape: ignore[x] nope\nurl: 'a # shipshape: ignore[x] no'\n";
        let p = parse_stream(src, &Limits::default());
        assert!(scan(src, &p.docs).is_empty());
    }
}
