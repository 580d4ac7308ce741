//! Output formats. Each reads a finished `Run`; the engine knows none of them.
pub mod human;
pub mod json;

use crate::engine::Run;

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
