//! SARIF 2.1.0 (`--format sarif`), for code scanning and SARIF viewers
//! (docs/sarif.md). One run; the driver lists every rule of the registry
//! (`rules`); each finding is a result (`result`) with its region, related
//! locations and fingerprint (`fingerprint`), paths as URIs against
//! `%SRCROOT%` (`uri`). Findings a `# shipshape: ignore[...]` comment
//! silenced are results too, carrying an `inSource` suppression with the
//! comment's reason; the other formats leave them out.
//!
//! Written like the JSON format: the envelope is serialised with no result
//! and the results spliced in, rendered by file chunks in parallel and
//! written in order. Text is exact (JSON escapes C0 controls); the other
//! characters that must never reach a terminal raw (DEL, C1 controls,
//! bidirectional controls, line separators) are written as `\u` escapes
//! too, which changes no string's value.

mod fingerprint;
mod model;
mod result;
mod rules;
mod uri;

use std::collections::BTreeMap;
use std::io::Write;

use model::{BaseUri, Driver, Log, Run as SarifRun, Tool};
use result::{Cx, Entry};

use crate::config::Config;
use crate::engine::Run;
use crate::finding::visible::needs_escape;

pub fn write(run: &Run, config: &Config, out: &mut dyn Write) -> std::io::Result<()> {
    // The binary's rules, then the user's policy rules the findings name.
    let extra = run
        .findings
        .iter()
        .chain(run.suppressed.iter().map(|s| &s.finding))
        .map(|f| f.rule);
    let (rules, rule_index) = rules::descriptors(extra);
    let mut base_ids = BTreeMap::new();
    if let Some(root) = uri::directory(&run.cwd) {
        base_ids.insert(uri::SRCROOT, BaseUri { uri: root });
    }
    let log = Log {
        schema: model::SCHEMA,
        version: "2.1.0",
        runs: [SarifRun {
            tool: Tool {
                driver: Driver {
                    name: "shipshape",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            original_uri_base_ids: base_ids,
            column_kind: "unicodeCodePoints",
            results: Vec::new(),
        }],
    };
    let envelope = escape_unsafe(serde_json::to_string_pretty(&log)?);
    const EMPTY: &str = "\"results\": []";
    let (head, tail) = envelope
        .rsplit_once(EMPTY)
        .ok_or_else(|| std::io::Error::other("unexpected SARIF envelope"))?;
    let entries = entries(run);
    out.write_all(head.as_bytes())?;
    if entries.is_empty() {
        out.write_all(EMPTY.as_bytes())?;
    } else {
        out.write_all(b"\"results\": [")?;
        let file_of = |e: &Entry| e.finding().primary.file;
        super::render_chunks_in_order(run, config, &entries, file_of, out, |lo, chunk, s, buf| {
            let mut cx = Cx {
                sources: s,
                rule_index: &rule_index,
                occurrences: Default::default(),
            };
            for (i, e) in chunk.iter().enumerate() {
                buf.extend_from_slice(if lo + i == 0 { b"\n" } else { b",\n" });
                write_result(&result::result(*e, &mut cx), buf);
            }
        })?;
        out.write_all(b"\n      ]")?;
    }
    out.write_all(tail.as_bytes())?;
    writeln!(out)
}

/// Results sit at depth 4 of the log (`runs[0].results[i]`).
const RESULT_INDENT: &[u8] = b"        ";

/// A result pretty-printed and indented to its depth (JSON strings hold no
/// raw newline, so indenting after each newline is exact).
fn write_result(r: &model::SarifResult, buf: &mut Vec<u8>) {
    let Ok(one) = serde_json::to_string_pretty(r) else {
        return;
    };
    buf.extend_from_slice(RESULT_INDENT);
    for &b in escape_unsafe(one).as_bytes() {
        buf.push(b);
        if b == b'\n' {
            buf.extend_from_slice(RESULT_INDENT);
        }
    }
}

/// The reported and the suppressed findings, merged in the order every
/// output shows (both lists are in it already), so a result's fingerprint
/// does not depend on whether its neighbours are suppressed.
fn entries(run: &Run) -> Vec<Entry<'_>> {
    let (mut a, mut b) = (
        run.findings.iter().peekable(),
        run.suppressed.iter().peekable(),
    );
    let mut out = Vec::with_capacity(run.findings.len() + run.suppressed.len());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(f), Some(s))
                if crate::engine::report_order(&s.finding, f, &run.files).is_lt() =>
            {
                b.next().map(Entry::Suppressed)
            }
            (Some(_), _) => a.next().map(Entry::Reported),
            (None, Some(_)) => b.next().map(Entry::Suppressed),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

/// `json` with every non-ASCII character that [`needs_escape`] (and DEL)
/// written as a `\u` escape. Such characters only occur inside strings
/// (JSON's own syntax is ASCII), where the escape means the same character.
fn escape_unsafe(json: String) -> String {
    let unsafe_char = |c: char| c >= '\u{7f}' && needs_escape(c);
    if !json.contains(unsafe_char) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_char(c) {
            // Every such character is in the Basic Multilingual Plane.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_characters_are_escaped_without_changing_the_value() {
        let value = "a\u{7f}b\u{9b}c\u{202e}d\u{2028}e é\u{1b}\n";
        let json = serde_json::to_string_pretty(&serde_json::json!({ "k": value })).unwrap();
        let escaped = escape_unsafe(json);
        assert!(
            !escaped.chars().any(|c| needs_escape(c) && c != '\n'),
            "{escaped}"
        );
        assert!(escaped.contains('é'));
        let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back["k"], value);
    }
}
