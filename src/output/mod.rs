//! Output formats. Each reads a finished `Run`; the engine knows none of them.
pub mod github;
pub mod human;
pub mod json;
mod one_line;
pub mod region;
pub mod sarif;

use std::borrow::Cow;
use std::io::Write;

use crate::config::Config;
use crate::engine::Run;
use crate::finding::{FileId, Finding};
use crate::model::k8s::ObjectRef;
use crate::report::Sources;

/// About this many findings are rendered by one task (always whole files).
const CHUNK: usize = 256;
/// Chunks rendered but not yet written, at most: bounds the text held at once.
const IN_FLIGHT: usize = 16;

/// Renders every finding with `render(index, finding, sources, buffer)` and
/// writes the text in order. Findings are cut into chunks of whole files
/// (a chunk's sources are read once, by its own cache) and, when the run has
/// worker threads, chunks are rendered in parallel and written as soon as
/// every earlier one is, so the output is identical whatever the thread count
/// and never held whole.
pub(crate) fn render_in_order<F>(
    run: &Run,
    config: &Config,
    out: &mut dyn Write,
    render: F,
) -> std::io::Result<()>
where
    F: Fn(usize, &Finding, &mut Sources, &mut Vec<u8>) + Sync,
{
    let file_of = |f: &Finding| f.primary.file;
    render_chunks_in_order(
        run,
        config,
        &run.findings,
        file_of,
        out,
        |lo, chunk, s, buf| {
            for (i, f) in chunk.iter().enumerate() {
                render(lo + i, f, s, buf);
            }
        },
    )
}

/// [`render_in_order`] for any list of items sorted by file (`file_of`),
/// rendered a whole chunk at a time by `render(index of its first item,
/// chunk, sources, buffer)`: a format that carries state from one item to the
/// next within a file (SARIF's fingerprints) keeps it in its chunk.
pub(crate) fn render_chunks_in_order<T, K, F>(
    run: &Run,
    config: &Config,
    items: &[T],
    file_of: K,
    out: &mut dyn Write,
    render: F,
) -> std::io::Result<()>
where
    T: Sync,
    K: Fn(&T) -> FileId,
    F: Fn(usize, &[T], &mut Sources, &mut Vec<u8>) + Sync,
{
    // Chunk boundaries: after CHUNK items, at the next change of file.
    let mut bounds = vec![0];
    let mut last = 0;
    for i in 1..items.len() {
        if i - last >= CHUNK && file_of(&items[i]) != file_of(&items[i - 1]) {
            bounds.push(i);
            last = i;
        }
    }
    bounds.push(items.len());
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let render_chunk = |&(lo, hi): &(usize, usize)| {
        let mut sources = Sources::new(&run.files, config)
            .with_positions(&run.positions)
            .with_redactions(&run.redactions);
        let mut buf = Vec::new();
        render(lo, &items[lo..hi], &mut sources, &mut buf);
        buf
    };
    match &run.pool {
        Some(pool) if ranges.len() > 1 => {
            // Workers render chunks; this thread writes them in order as they
            // arrive. At most IN_FLIGHT chunks are rendered and not yet written,
            // so a slow reader holds the rendering back instead of filling memory.
            let (tx, rx) = std::sync::mpsc::channel::<(usize, Vec<u8>)>();
            pool.in_place_scope(|scope| {
                let render_chunk = &render_chunk;
                let spawn = |k: usize| {
                    let (tx, range) = (tx.clone(), ranges[k]);
                    scope.spawn(move |_| {
                        let _ = tx.send((k, render_chunk(&range)));
                    });
                };
                let mut spawned = 0;
                while spawned < ranges.len().min(IN_FLIGHT) {
                    spawn(spawned);
                    spawned += 1;
                }
                let mut pending = std::collections::BTreeMap::new();
                let (mut written, mut received) = (0, 0);
                let mut result = Ok(());
                while received < spawned {
                    let Ok((k, text)) = rx.recv() else { break };
                    received += 1;
                    pending.insert(k, text);
                    while let Some(text) = pending.remove(&written) {
                        written += 1;
                        if result.is_ok() {
                            result = out.write_all(&text);
                        }
                        if result.is_ok() && spawned < ranges.len() {
                            spawn(spawned);
                            spawned += 1;
                        }
                    }
                }
                result
            })?;
        }
        _ => {
            for r in &ranges {
                out.write_all(&render_chunk(r))?;
            }
        }
    }
    Ok(())
}

/// Summary numbers shared by every format.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub files: usize,
    pub documents: usize,
    pub skipped: usize,
    pub findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Kubernetes objects whose kind has no schema (not validated).
    pub unvalidated: usize,
    /// With `--diff-base`: findings on unchanged lines, not reported.
    pub unchanged: Option<usize>,
}

impl Summary {
    pub fn of(run: &Run) -> Self {
        let (errors, warnings, infos) = crate::engine::severity_counts(&run.findings);
        Summary {
            files: run.counts.files,
            documents: run.counts.documents,
            skipped: run.counts.skipped,
            unvalidated: run.counts.unvalidated,
            findings: run.findings.len(),
            errors,
            warnings,
            infos,
            unchanged: run.unchanged,
        }
    }
}

impl Summary {
    /// "3 errors, 1 warning in 6 files (6 documents, 2 skipped)": the counts
    /// the text formats end with.
    pub fn counts_line(&self) -> String {
        let mut line = format!(
            "{}, {}",
            plural(self.errors, "error"),
            plural(self.warnings, "warning")
        );
        if self.infos > 0 {
            line.push_str(&format!(", {}", plural(self.infos, "info")));
        }
        line.push_str(&format!(
            " in {} ({}",
            plural(self.files, "file"),
            plural(self.documents, "document")
        ));
        if self.skipped > 0 {
            line.push_str(&format!(", {} skipped", self.skipped));
        }
        if self.unvalidated > 0 {
            let what = if self.unvalidated == 1 {
                "object"
            } else {
                "objects"
            };
            line.push_str(&format!(", {} {what} with no schema", self.unvalidated));
        }
        line.push(')');
        if let Some(n) = self.unchanged {
            line.push_str(&format!("; {n} on unchanged lines not shown (--diff-base)"));
        }
        line
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// "in Deployment `x` (namespace `y`)": the object a finding is about, each
/// part passed through `show` (`visible` for terminals and logs, as it is for
/// SARIF, whose JSON escapes it).
pub(crate) fn object_note(o: &ObjectRef, show: fn(&str) -> Cow<'_, str>) -> String {
    let mut s = format!("in {}", show(&o.kind));
    if let Some(n) = &o.name {
        s.push_str(&format!(" `{}`", show(n)));
    }
    if let Some(ns) = &o.namespace {
        s.push_str(&format!(" (namespace `{}`)", show(ns)));
    }
    s
}

/// A finding as one text: its message, then `note: <object>` and `help:`,
/// a line each, every piece passed through `show` (the line breaks are this
/// text's own structure).
pub(crate) fn full_message(f: &Finding, show: fn(&str) -> Cow<'_, str>) -> String {
    let mut text = show(&f.message).into_owned();
    if let Some(o) = &f.object {
        text.push_str("\nnote: ");
        text.push_str(&object_note(o, show));
    }
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(&show(help));
    }
    text
}
