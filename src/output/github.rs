//! GitHub Actions annotations (`--format github`): one workflow command per
//! finding, which the runner turns into an annotation on the file and line
//! (docs/github-annotations.md), then one plain summary line.
//!
//! ```text
//! ::error file=k8s/web.yaml,line=18,col=18,endLine=18,endColumn=23,title=shipshape (unpinned-image)::image `redis` has no tag…
//! ```
//!
//! A workflow command is a whole log line starting `::`, so repository text
//! must never end the line or the property list early: it is first made
//! visible (`finding::visible`: no control character, no bidirectional
//! override, no line separator survives), then escaped as the runner
//! unescapes it (`%`, CR and LF in the message; also `:` and `,` in
//! properties). The message's own lines (the note on the object, the help)
//! are joined with escaped line breaks, which the annotation shows as lines.
//! Suppressed findings are not annotated.

use std::io::Write;

use crate::config::Config;
use crate::engine::Run;
use crate::finding::visible::visible;
use crate::finding::{Finding, Severity};
use crate::report::Sources;

use super::region::Region;
use super::Summary;

pub fn write(run: &Run, config: &Config, out: &mut dyn Write) -> std::io::Result<()> {
    super::render_in_order(run, config, out, |_, f, sources, buf| {
        annotate(f, sources, buf);
    })?;
    // Not a workflow command: it starts with a word, not `::`.
    writeln!(out, "shipshape: {}", Summary::of(run).counts_line())
}

fn command(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Writes one finding's workflow command line.
fn annotate(f: &Finding, sources: &mut Sources, buf: &mut Vec<u8>) {
    let place = sources.place(f.primary);
    let r = Region::of(&place, sources);
    let line = format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        command(f.severity),
        property(&visible(&place.path)),
        r.start_line,
        r.start_column,
        r.end_line,
        r.end_column,
        property(&format!("shipshape ({})", f.rule)),
        data(&super::full_message(f, visible)),
    );
    buf.extend_from_slice(line.as_bytes());
}

/// A command's data (after the second `::`), escaped as the runner unescapes it.
pub fn data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value: like [`data`], and `:` and `,`, which would end the
/// property list or the property.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_unescapes() {
        assert_eq!(data("100% a\r\nb::c,d"), "100%25 a%0D%0Ab::c,d");
        assert_eq!(property("a%b\r\nc::d,e"), "a%25b%0D%0Ac%3A%3Ad%2Ce");
        // Escaping `%` first: an escape already in the text stays literal.
        assert_eq!(property("%0A%3A"), "%250A%253A");
    }
}
