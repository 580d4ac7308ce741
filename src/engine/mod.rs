//! The engine: it orchestrates the phases of a run and knows no output
//! format. `files` walks and lays out the file table; `file_pass` lints
//! every file in parallel (reading through `read`); `repo_pass` builds the
//! repository index and runs the cross-file rules (`helm_values` reads the
//! Helm values the index names but the file pass did not keep); `finish` applies
//! severities and suppressions and sorts; `diff_base` keeps only the
//! findings on lines changed since a revision. It returns findings with byte
//! spans, sorted deterministically, and the positions the per-file pass
//! already resolved.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::config::{Config, Level};
use crate::finding::suppress::Suppressed;
use crate::finding::{FileId, Finding};
use crate::index::RepoIndex;
use crate::report::PositionCache;
use crate::rules::{self, Rule};
use crate::source::file::FileEntry;
use crate::source::git::GitBase;
use crate::yaml::Span;

pub mod cache;
mod diff_base;
mod file_pass;
mod file_result;
mod files;
mod finish;
mod helm_values;
mod policies;
mod policy_pass;
mod policy_render;
mod read;
mod reparse;
mod repo_pass;
mod schemas;
mod template;

pub use finish::{report_order, severity_counts};

/// What to lint and how.
pub struct Options {
    pub paths: Vec<PathBuf>,
    /// Lint this text as if it were the file at this path (`--stdin-filename`).
    pub stdin: Option<(PathBuf, String)>,
    pub threads: usize,
    pub no_ignore: bool,
    pub config: Config,
    /// When set, this directory is also walked for context: its files feed
    /// the repository index (so cross-file rules see the whole repository),
    /// but only the files in `paths` (and stdin) are linted and reported.
    /// The CLI sets it to the working directory when files are named one by
    /// one (pre-commit) or a buffer comes on stdin (editors).
    pub context: Option<PathBuf>,
    /// Record the peak resident memory after each phase (`--stats`).
    pub stats: bool,
    /// Read named files even when a symbolic link takes them outside the
    /// tree they were named in (`--follow-outside-links`; see
    /// `source::contain`). Never a config key: a repository must not be
    /// able to turn its own guard off.
    pub follow_outside_links: bool,
    /// `--diff-base`: report only findings on lines changed since this
    /// revision (see `diff_base`).
    pub diff_base: Option<GitBase>,
    /// The results cache's folder (see `cache`); `None`: no cache.
    pub cache: Option<cache::CacheDir>,
}

#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub walk: Duration,
    pub lint: Duration,
    pub index: Duration,
    pub repo_rules: Duration,
    pub finish: Duration,
    pub bytes: u64,
    /// Peak resident set size (KiB) after each phase, when asked for.
    pub peak_rss: Vec<(&'static str, u64)>,
    /// What the results cache did, when there is one.
    pub cache: Option<CacheStats>,
}

/// What the results cache did in a run.
#[derive(Debug, Clone)]
pub struct CacheStats {
    /// Files whose results came from the cache, of those it could hold.
    pub hits: usize,
    pub files: usize,
    /// Why the cache on disk was not used, if it was not.
    pub unused: Option<String>,
    /// Bytes written, or why it could not be written; `Ok(None)`: no change.
    pub written: Result<Option<u64>, String>,
}

/// The process's peak resident set size so far, in KiB (Linux only).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Debug, Default, Clone)]
pub struct Counts {
    /// Files read and linted.
    pub files: usize,
    /// Non-empty YAML documents.
    pub documents: usize,
    /// Files skipped: Helm chart files, templates, files over the size
    /// limit, named files linking outside the repository.
    pub skipped: usize,
    /// Files that could not be read.
    pub unreadable: usize,
    /// Kubernetes objects whose kind has no schema (not validated).
    pub unvalidated: usize,
}

pub struct Run {
    pub files: Vec<FileEntry>,
    /// The working directory: display paths are relative to it.
    pub cwd: PathBuf,
    /// Sorted by (path, offset, rule); suppressed and disabled ones removed.
    pub findings: Vec<Finding>,
    /// The findings a `# shipshape: ignore[...]` comment silenced, in the
    /// same order (none with `--no-ignore`). Only formats that report
    /// suppressions read them; counts and the exit code never do.
    pub suppressed: Vec<Suppressed>,
    pub counts: Counts,
    pub stats: Stats,
    pub index: RepoIndex,
    /// Line/column of the offsets per-file findings mention, computed in the parallel pass.
    pub positions: PositionCache,
    /// Secret value spans per file: every display of a source redacts them.
    pub redactions: HashMap<FileId, Vec<Span>>,
    /// The worker threads of the run (none for small runs or `--threads 1`),
    /// kept for the output formats to render in parallel.
    pub pool: Option<rayon::ThreadPool>,
    /// With `--diff-base`: how many findings were on unchanged lines and
    /// are not reported.
    pub unchanged: Option<usize>,
}

/// Below this many files, lint on the calling thread.
const PARALLEL_MIN_FILES: usize = 64;

/// Runs the whole pipeline.
pub fn run(opts: &Options) -> Run {
    let cfg = &opts.config;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut peak_rss = Vec::new();
    let mut mark = |phase: &'static str| {
        if opts.stats {
            peak_rss.extend(peak_rss_kib().map(|k| (phase, k)));
        }
    };

    let t0 = Instant::now();
    let walked = files::walk(opts, &cwd);
    let mut files = walked.files;
    let (catalog, schema_errors, patches) = schemas::before(cfg, &files);
    let mut policy_set = policies::load(cfg);
    let results_cache = open_cache(opts, &walked.dirs, (&catalog, &policy_set));
    let walk = t0.elapsed();
    mark("walk");

    // Pass 1: every file in parallel. Results come back in file order.
    let t1 = Instant::now();
    let active = active_rules(cfg);
    let pool = worker_pool(opts.threads, files.len());
    let input = file_pass::PassInput {
        cfg,
        active: &active,
        catalog: &catalog,
        policies: &policy_set,
        patches: &patches,
        cache: results_cache.as_ref(),
    };
    let mut pass1 = file_pass::lint_all(&files, &input, pool.as_ref());
    let cache_stats = results_cache.map(|c| save_cache(&c, &files, &pass1.cache));
    let lint = t1.elapsed();
    mark("parse+rules");

    // The index.
    let t2 = Instant::now();
    let mut findings = std::mem::take(&mut pass1.findings);
    schemas::load_errors(schema_errors, &mut files, &cwd, &mut findings);
    files::index_problems(walked.index_problems, &mut files, &cwd, &mut findings);
    let mut positions = pass1.positions;
    positions.seal();
    let mut index = repo_pass::index(
        std::mem::take(&mut pass1.facts),
        &files,
        &opts.paths,
        &cwd,
        &walked.dirs,
        walked.markers,
    );
    pass1.counts.unvalidated = schemas::after_index(
        &files,
        &index,
        cfg,
        &patches,
        (pass1.pending, pass1.crds),
        pool.as_ref(),
        &mut findings,
    );
    index.helm = helm_values::effective(&index, &files, cfg);
    let index_time = t2.elapsed();
    mark("index");

    // Pass 2: cross-file rules over the index.
    let t3 = Instant::now();
    let rules = (&active[..], (&policy_set, pass1.deferred, pool.as_ref()));
    repo_pass::check(&index, (cfg, &files, &patches), rules, &mut findings);
    policies::problems(&mut policy_set, cfg, &mut files, &cwd, &mut findings);
    let repo_rules = t3.elapsed();
    findings.retain(|f| files.get(f.primary.file as usize).is_some_and(|e| e.focus));

    let t4 = Instant::now();
    let finished = finish::finish(findings, &files, pass1.suppressions, cfg, opts.no_ignore);
    let (findings, unchanged) = changed_only(opts, finished.findings, &files, &cwd);
    let finish_time = t4.elapsed();
    mark("suppressions");
    Run {
        files,
        cwd,
        findings,
        suppressed: finished.suppressed,
        counts: pass1.counts,
        stats: Stats {
            walk,
            lint,
            index: index_time,
            repo_rules,
            finish: finish_time,
            bytes: pass1.bytes,
            peak_rss,
            cache: cache_stats,
        },
        index,
        positions,
        redactions: pass1.redactions.into_iter().collect(),
        pool,
        unchanged,
    }
}

/// The rules the config does not turn off.
fn active_rules(cfg: &Config) -> Vec<&'static dyn Rule> {
    rules::RULES
        .iter()
        .copied()
        .filter(|r| cfg.level(r.meta()) != Level::Off)
        .collect()
}

/// The results cache for a run walking `dirs` (as given, canonical), unless `--no-cache`.
/// The cache is keyed by the `schemas.paths` schemas and the policies run.
fn open_cache(
    opts: &Options,
    dirs: &[(PathBuf, PathBuf)],
    (catalog, policies): (&crate::schema::Catalog, &crate::policy::PolicySet),
) -> Option<cache::Cache> {
    let dir = opts.cache.as_ref()?;
    let schemas = catalog.fingerprint() ^ policies.fingerprint().rotate_left(64);
    crate::finding::wire::set_rule_ids(rules::ids);
    let walked: Vec<PathBuf> = dirs.iter().map(|(_, c)| c.clone()).collect();
    Some(cache::Cache::open(dir, &walked, &opts.config, schemas))
}

/// Writes the results cache for the next run, and says what it did.
fn save_cache(
    c: &cache::Cache,
    files: &[FileEntry],
    outcomes: &[(FileId, cache::Outcome)],
) -> CacheStats {
    let hits = outcomes.iter().filter(|(_, o)| o.is_hit()).count();
    CacheStats {
        hits,
        files: outcomes.len(),
        unused: c.unused().map(str::to_string),
        written: c.save(files, outcomes),
    }
}

/// With `--diff-base`, the findings on changed lines and how many were not.
fn changed_only(
    opts: &Options,
    findings: Vec<Finding>,
    files: &[FileEntry],
    cwd: &std::path::Path,
) -> (Vec<Finding>, Option<usize>) {
    match &opts.diff_base {
        Some(base) => {
            let max = opts.config.limits.max_file_size;
            let (kept, hidden) = diff_base::keep_changed(findings, files, base, max, cwd);
            (kept, Some(hidden))
        }
        None => (findings, None),
    }
}

/// Threads cost more than they save on a handful of files (the pre-commit
/// case): a pool is only started when there is work to share.
fn worker_pool(threads: usize, files: usize) -> Option<rayon::ThreadPool> {
    (threads > 1 && files >= PARALLEL_MIN_FILES)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .ok()
        })
        .flatten()
}
