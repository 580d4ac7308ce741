//! Output formats. Each reads a finished `Run`; the engine knows none of them.
pub mod human;
pub mod json;

use std::io::Write;

use rayon::prelude::*;

use crate::config::Config;
use crate::engine::Run;
use crate::finding::Finding;
use crate::report::Sources;

/// About this many findings are rendered by one task (always whole files).
const CHUNK: usize = 256;
/// Chunks rendered before writing: bounds the rendered text held at once.
const WAVE: usize = 16;

/// Renders every finding with `render(index, finding, sources, buffer)` and
/// writes the text in order. Findings are cut into chunks of whole files
/// (a chunk's sources are read once, by its own cache) and, when the run has
/// worker threads, chunks are rendered in parallel a wave at a time, so the
/// output is identical whatever the thread count and never held whole.
pub(crate) fn render_in_order<F>(
    run: &Run,
    config: &Config,
    out: &mut dyn Write,
    render: F,
) -> std::io::Result<()>
where
    F: Fn(usize, &Finding, &mut Sources, &mut Vec<u8>) + Sync,
{
    let findings = &run.findings;
    // Chunk boundaries: after CHUNK findings, at the next change of file.
    let mut bounds = vec![0];
    let mut last = 0;
    for i in 1..findings.len() {
        if i - last >= CHUNK && findings[i].primary.file != findings[i - 1].primary.file {
            bounds.push(i);
            last = i;
        }
    }
    bounds.push(findings.len());
    let ranges: Vec<(usize, usize)> = bounds.windows(2).map(|w| (w[0], w[1])).collect();
    let render_chunk = |&(lo, hi): &(usize, usize)| {
        let mut sources = Sources::new(&run.files, config)
            .with_positions(&run.positions)
            .with_redactions(&run.redactions);
        let mut buf = Vec::new();
        for (i, f) in findings[lo..hi].iter().enumerate() {
            render(lo + i, f, &mut sources, &mut buf);
        }
        buf
    };
    match &run.pool {
        Some(pool) if ranges.len() > 1 => {
            for wave in ranges.chunks(WAVE) {
                let texts: Vec<Vec<u8>> =
                    pool.install(|| wave.par_iter().map(render_chunk).collect());
                for t in texts {
                    out.write_all(&t)?;
                }
            }
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
}

impl Summary {
    pub fn of(run: &Run) -> Self {
        let (errors, warnings, infos) = crate::engine::severity_counts(&run.findings);
        Summary {
            files: run.counts.files,
            documents: run.counts.documents,
            skipped: run.counts.skipped,
            findings: run.findings.len(),
            errors,
            warnings,
            infos,
        }
    }
}

pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
