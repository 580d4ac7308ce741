//! JSON output, version 1: a public contract (docs/json-output.md,
//! schemas/shipshape-output-v1.schema.json). These structs are frozen and
//! separate from the internal findings model: change them only with a new version.

use std::io::Write;

use serde::Serialize;

use crate::engine::Run;
use crate::finding::Finding;
use crate::report::{Place, Sources};

use super::Summary;

#[derive(Serialize)]
struct Report<'a> {
    version: u32,
    tool: Tool,
    summary: JsonSummary,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    documents: usize,
    skipped: usize,
    unvalidated: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    /// Only with `--diff-base`.
    #[serde(skip_serializing_if = "Option::is_none")]
    unchanged: Option<usize>,
}

#[derive(Serialize)]
struct Pos {
    line: usize,
    column: usize,
    offset: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<'a> {
    api_version: &'a str,
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'a str>,
}

#[derive(Serialize)]
struct Related<'a> {
    path: String,
    start: Pos,
    end: Pos,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    path: String,
    start: Pos,
    end: Pos,
    #[serde(skip_serializing_if = "Option::is_none")]
    object: Option<Object<'a>>,
    related: Vec<Related<'a>>,
}

fn pos(p: &crate::report::Position) -> Pos {
    Pos {
        line: p.line,
        column: p.column,
        offset: p.offset,
    }
}

fn located(p: &Place) -> (String, Pos, Pos) {
    (p.path.clone(), pos(&p.start), pos(&p.end))
}

fn finding<'a>(f: &'a Finding, sources: &mut Sources) -> JsonFinding<'a> {
    let (path, start, end) = located(&sources.place(f.primary));
    JsonFinding {
        rule: f.rule,
        severity: f.severity.as_str(),
        message: &f.message,
        help: f.help.as_deref(),
        path,
        start,
        end,
        object: f.object.as_ref().map(|o| Object {
            api_version: &o.api_version,
            kind: &o.kind,
            name: o.name.as_deref(),
            namespace: o.namespace.as_deref(),
        }),
        related: f
            .related
            .iter()
            .map(|l| {
                let (path, start, end) = located(&sources.place(l.at));
                Related {
                    path,
                    start,
                    end,
                    message: &l.message,
                }
            })
            .collect(),
    }
}

/// Writes the report as `serde_json::to_writer_pretty` would write the whole
/// [`Report`], but finding by finding (rendered in parallel, never all held):
/// the envelope is serialised with an empty list and the findings spliced
/// into it, each pretty-printed and indented to its depth (JSON strings hold
/// no raw newline, so indenting after each newline is exact).
pub fn write(
    run: &Run,
    config: &crate::config::Config,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let s = Summary::of(run);
    let report = Report {
        version: 1,
        tool: Tool {
            name: "shipshape",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: JsonSummary {
            files: s.files,
            documents: s.documents,
            skipped: s.skipped,
            unvalidated: s.unvalidated,
            findings: s.findings,
            errors: s.errors,
            warnings: s.warnings,
            infos: s.infos,
            unchanged: s.unchanged,
        },
        findings: Vec::new(),
    };
    let envelope = serde_json::to_string_pretty(&report)?;
    if run.findings.is_empty() {
        out.write_all(envelope.as_bytes())?;
        return writeln!(out);
    }
    let (head, tail) = envelope
        .rsplit_once("[]")
        .ok_or_else(|| std::io::Error::other("unexpected JSON envelope"))?;
    out.write_all(head.as_bytes())?;
    out.write_all(b"[")?;
    super::render_in_order(run, config, out, |i, f, sources, buf| {
        buf.extend_from_slice(if i == 0 { b"\n    " } else { b",\n    " });
        let mut one = Vec::new();
        if serde_json::to_writer_pretty(&mut one, &finding(f, sources)).is_ok() {
            for &b in &one {
                buf.push(b);
                if b == b'\n' {
                    buf.extend_from_slice(b"    ");
                }
            }
        }
    })?;
    out.write_all(b"\n  ]")?;
    out.write_all(tail.as_bytes())?;
    writeln!(out)
}
