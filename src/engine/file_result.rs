//! What the per-file pass gives the run: one file's results, in two parts
//! the results cache keeps apart (`base`, what every run needs for the
//! index; `report`, what only a run reporting the file needs), and the
//! accumulator they are folded into, in file order.

use super::cache::Outcome;
use super::Counts;
use crate::finding::suppress::Suppression;
use crate::finding::{wire, FileId, Finding};
use crate::index::FileFacts;
use crate::report::positions::{Position, PositionCache};
use crate::rules::policy::DeferredObject;
use crate::rules::PendingObject;
use crate::schema::crd::CrdVersion;
use crate::source::file::FileEntry;
use crate::yaml::Span;

/// What one file gives the run.
#[derive(Default)]
pub(super) struct FileResult {
    pub base: Base,
    pub report: Report,
    pub unreadable: bool,
    /// What the results cache makes of this file.
    pub cache: Outcome,
}

/// What every run needs of a file, reported or read for context.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Base {
    pub facts: FileFacts,
    /// Spans of secret values, redacted whenever this file is shown.
    pub redact: Vec<Span>,
    pub documents: usize,
    pub skipped: bool,
    pub linted: bool,
    pub bytes: u64,
}

/// What a run that reports the file needs: its findings and what the
/// later phases finish them with.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Report {
    pub findings: Vec<Finding>,
    pub positions: Vec<(u32, Position)>,
    pub suppressions: Vec<Suppression>,
    pub pending: Vec<PendingObject>,
    pub crds: Vec<CrdVersion>,
    /// Objects some policy judges in the repository pass.
    pub deferred: Vec<DeferredObject>,
}

impl FileResult {
    /// The cache's bytes for this result of file `id`: the base, and the
    /// report when the file was reported. `None` when a part cannot be
    /// written (a fact naming another file): the file is just not cached.
    pub fn encode(&self, id: FileId, focus: bool) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        wire::as_file(id, || {
            let base = postcard::to_stdvec(&self.base).ok()?;
            let report = match focus {
                true => Some(postcard::to_stdvec(&self.report).ok()?),
                false => None,
            };
            Some((base, report))
        })
    }

    /// A result of file `id` from the cache's bytes (the report only when
    /// the file is reported), or `None` if they do not read back.
    pub fn decode(id: FileId, base: &[u8], report: Option<&[u8]>) -> Option<FileResult> {
        wire::as_file(id, || {
            Some(FileResult {
                base: postcard::from_bytes(base).ok()?,
                report: match report {
                    Some(r) => postcard::from_bytes(r).ok()?,
                    None => Report::default(),
                },
                ..FileResult::default()
            })
        })
    }
}

/// What the parallel pass keeps: per-file results folded together in file order.
#[derive(Default)]
pub(super) struct Pass1 {
    pub findings: Vec<Finding>,
    pub positions: PositionCache,
    pub redactions: Vec<(FileId, Vec<Span>)>,
    pub facts: FileFacts,
    pub suppressions: Vec<(FileId, Vec<Suppression>)>,
    /// Custom resources and CRDs, for the repository pass.
    pub pending: Vec<(FileId, PendingObject)>,
    pub crds: Vec<(FileId, CrdVersion)>,
    /// Objects some policy judges in the repository pass.
    pub deferred: Vec<(FileId, DeferredObject)>,
    pub counts: Counts,
    pub bytes: u64,
    /// What the results cache makes of each file, for writing it.
    pub cache: Vec<(FileId, Outcome)>,
}

impl Pass1 {
    pub fn add(mut self, id: FileId, f: &FileEntry, r: FileResult) -> Self {
        let (base, report) = (r.base, r.report);
        self.findings.extend(report.findings);
        if !base.redact.is_empty() {
            self.redactions.push((id, base.redact));
        }
        self.positions.extend_file(id, report.positions);
        let facts = base.facts;
        self.facts.objects.extend(facts.objects);
        self.facts.kustomizations.extend(facts.kustomizations);
        self.facts.workflows.extend(facts.workflows);
        self.facts.built.extend(facts.built);
        self.facts.azd.extend(facts.azd);
        self.facts.helm.extend(facts.helm);
        if !report.suppressions.is_empty() {
            self.suppressions.push((id, report.suppressions));
        }
        self.pending
            .extend(report.pending.into_iter().map(|p| (id, p)));
        self.crds.extend(report.crds.into_iter().map(|c| (id, c)));
        self.deferred
            .extend(report.deferred.into_iter().map(|d| (id, d)));
        self.bytes += base.bytes;
        if f.focus {
            self.counts.documents += base.documents;
            self.counts.skipped += usize::from(base.skipped);
            self.counts.unreadable += usize::from(r.unreadable);
            self.counts.files += usize::from(base.linted);
        }
        if !matches!(r.cache, Outcome::None) {
            self.cache.push((id, r.cache));
        }
        self
    }

    /// Joins two accumulators, `self` holding the earlier files.
    pub fn merge(mut self, other: Self) -> Self {
        fn join<T>(a: &mut Vec<T>, mut b: Vec<T>) {
            if a.is_empty() {
                *a = b;
            } else {
                a.append(&mut b);
            }
        }
        join(&mut self.findings, other.findings);
        self.positions.append(other.positions);
        join(&mut self.redactions, other.redactions);
        join(&mut self.facts.objects, other.facts.objects);
        join(&mut self.facts.kustomizations, other.facts.kustomizations);
        join(&mut self.facts.workflows, other.facts.workflows);
        join(&mut self.facts.built, other.facts.built);
        join(&mut self.facts.azd, other.facts.azd);
        join(&mut self.facts.helm, other.facts.helm);
        join(&mut self.suppressions, other.suppressions);
        join(&mut self.pending, other.pending);
        join(&mut self.crds, other.crds);
        join(&mut self.deferred, other.deferred);
        join(&mut self.cache, other.cache);
        self.bytes += other.bytes;
        self.counts.documents += other.counts.documents;
        self.counts.skipped += other.counts.skipped;
        self.counts.unreadable += other.counts.unreadable;
        self.counts.files += other.counts.files;
        self
    }
}
