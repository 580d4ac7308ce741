//! The engine: discovery, the parallel per-file pass, the repository index,
//! the cross-file pass, suppressions and severities. It knows no output
//! format: it returns findings with byte spans, sorted deterministically.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::classify::{self, FileKind};
use crate::config::{Config, Level};
use crate::discover;
use crate::finding::{FileId, Finding, Location, Severity};
use crate::index::{FileFacts, RepoIndex};
use crate::model::{k8s, workflow::Workflow};
use crate::rules::{self, engine as er, DocCx, RepoCx, Rule};
use crate::source::{self, TextProblem};
use crate::suppress::{self, Suppression};
use crate::yaml::{self, Span};

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
}

/// A file of the run.
#[derive(Debug)]
pub struct FileEntry {
    /// As shown to users: relative to the working directory, `/`-separated.
    pub path: String,
    pub fs_path: PathBuf,
    pub kind: FileKind,
    /// The text, for files that do not live on disk (stdin).
    pub text: Option<Arc<str>>,
    /// Why the file could not even be opened (a named path that does not exist, a walk error).
    pub error: Option<String>,
    /// Linted and reported (false: read only for the repository index).
    pub focus: bool,
    /// Named on the command line (or stdin), not found by the walk.
    pub explicit: bool,
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
    /// Files skipped (Helm chart files).
    pub skipped: usize,
    /// Files that could not be read.
    pub unreadable: usize,
}

pub struct Run {
    pub files: Vec<FileEntry>,
    /// Sorted by (path, offset, rule); suppressed and disabled ones removed.
    pub findings: Vec<Finding>,
    pub counts: Counts,
    pub stats: Stats,
    pub index: RepoIndex,
    /// Line/column of the offsets per-file findings mention, computed in the parallel pass.
    pub positions: crate::report::PositionCache,
    /// Secret value spans per file: every display of a source redacts them.
    pub redactions: std::collections::HashMap<FileId, Vec<Span>>,
    /// The worker threads of the run (none for small runs or `--threads 1`),
    /// kept for the output formats to render in parallel.
    pub pool: Option<rayon::ThreadPool>,
}

#[derive(Default)]
struct FileResult {
    findings: Vec<Finding>,
    /// Spans of secret values, redacted whenever this file is shown.
    redact: Vec<Span>,
    positions: Vec<(u32, crate::report::Position)>,
    facts: FileFacts,
    suppressions: Vec<Suppression>,
    documents: usize,
    skipped: bool,
    unreadable: bool,
    linted: bool,
    bytes: u64,
}

/// What the parallel pass keeps: per-file results folded together in file order.
#[derive(Default)]
struct Pass1 {
    findings: Vec<Finding>,
    positions: crate::report::PositionCache,
    redactions: Vec<(FileId, Vec<Span>)>,
    facts: FileFacts,
    suppressions: Vec<(FileId, Vec<Suppression>)>,
    counts: Counts,
    bytes: u64,
}

impl Pass1 {
    fn add(mut self, id: FileId, f: &FileEntry, r: FileResult) -> Self {
        self.findings.extend(r.findings);
        if !r.redact.is_empty() {
            self.redactions.push((id, r.redact));
        }
        self.positions.extend_file(id, r.positions);
        self.facts.objects.extend(r.facts.objects);
        self.facts.kustomizations.extend(r.facts.kustomizations);
        self.facts.workflows.extend(r.facts.workflows);
        if !r.suppressions.is_empty() {
            self.suppressions.push((id, r.suppressions));
        }
        self.bytes += r.bytes;
        if f.focus {
            self.counts.documents += r.documents;
            self.counts.skipped += usize::from(r.skipped);
            self.counts.unreadable += usize::from(r.unreadable);
            self.counts.files += usize::from(r.linted);
        }
        self
    }

    /// Joins two accumulators, `self` holding the earlier files.
    fn merge(mut self, other: Self) -> Self {
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
        join(&mut self.suppressions, other.suppressions);
        self.bytes += other.bytes;
        self.counts.documents += other.counts.documents;
        self.counts.skipped += other.counts.skipped;
        self.counts.unreadable += other.counts.unreadable;
        self.counts.files += other.counts.files;
        self
    }
}

/// Below this many files, lint on the calling thread.
const PARALLEL_MIN_FILES: usize = 64;

/// Display form of a path: relative to the working directory when under it, `/`-separated.
pub fn display_path(p: &Path, cwd: &Path) -> String {
    let rel = if p.is_absolute() {
        p.strip_prefix(cwd).unwrap_or(p)
    } else {
        p
    };
    let mut s: String = rel.to_string_lossy().replace('\\', "/");
    while let Some(rest) = s.strip_prefix("./") {
        s = rest.to_string();
    }
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// Runs the whole pipeline.
pub fn run(opts: &Options) -> Run {
    let t0 = Instant::now();
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let cfg = &opts.config;
    let excludes = discover::build_excludes(&cfg.exclude);
    let mut disc = discover::discover(&opts.paths, &excludes, &cfg.root, opts.threads);
    let mut context = match &opts.context {
        Some(dir) => discover::discover(
            std::slice::from_ref(dir),
            &excludes,
            &cfg.root,
            opts.threads,
        ),
        None => discover::Discovery::default(),
    };

    // The walk's list is consumed, not copied: nothing holds two lists of paths.
    let found = std::mem::take(&mut disc.files);
    let mut files: Vec<FileEntry> = found
        .into_iter()
        .map(|f| {
            let path = display_path(&f.path, &cwd);
            let chart = discover::in_chart(&f.path, &disc.chart_dirs, f.explicit);
            FileEntry {
                kind: classify::file_kind(&path, chart),
                path,
                fs_path: f.path,
                text: None,
                error: None,
                focus: true,
                explicit: f.explicit,
            }
        })
        .collect();
    if let Some((as_path, text)) = &opts.stdin {
        let path = display_path(as_path, &cwd);
        files.retain(|f| f.path != path);
        let chart = discover::in_chart(as_path, &disc.chart_dirs, true);
        files.push(FileEntry {
            kind: classify::file_kind(&path, chart),
            path,
            fs_path: as_path.clone(),
            text: Some(Arc::from(text.as_str())),
            error: None,
            focus: true,
            explicit: true,
        });
    }
    for (path, err) in &disc.errors {
        files.push(FileEntry {
            path: display_path(path, &cwd),
            fs_path: path.clone(),
            kind: FileKind::Manifest,
            text: None,
            error: Some(err.clone()),
            focus: true,
            explicit: true,
        });
    }
    // Context files: everything else in the context directory, index only.
    if !context.files.is_empty() {
        let named: std::collections::HashSet<String> =
            files.iter().map(|f| f.path.clone()).collect();
        let chart_dirs = &context.chart_dirs;
        let found = std::mem::take(&mut context.files);
        files.extend(found.into_iter().filter_map(|f| {
            let path = display_path(&f.path, &cwd);
            (!named.contains(&path)).then(|| FileEntry {
                kind: classify::file_kind(&path, discover::in_chart(&f.path, chart_dirs, false)),
                path,
                fs_path: f.path,
                text: None,
                error: None,
                focus: false,
                explicit: f.explicit,
            })
        }));
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let walk = t0.elapsed();
    let mut peak_rss = Vec::new();
    let mut mark = |phase: &'static str| {
        if opts.stats {
            peak_rss.extend(peak_rss_kib().map(|k| (phase, k)));
        }
    };
    mark("walk");

    // Pass 1: every file in parallel. Results come back in file order.
    let t1 = Instant::now();
    let active: Vec<&'static dyn Rule> = rules::RULES
        .iter()
        .copied()
        .filter(|r| cfg.level(r.meta()) != Level::Off)
        .collect();
    let lint_one = |(i, f): (usize, &FileEntry)| lint_file(i as FileId, f, cfg, &active);
    // Threads cost more than they save on a handful of files (the pre-commit
    // case): a pool is only started when there is work to share.
    let pool = (opts.threads > 1 && files.len() >= PARALLEL_MIN_FILES)
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(opts.threads)
                .build()
                .ok()
        })
        .flatten();
    // Each result is folded into its worker's accumulator as soon as the file
    // is done (the tree is already gone), and accumulators are joined in file
    // order: nothing per file is held beyond what the index and the output need.
    let add = |acc: Pass1, (i, f): (usize, &FileEntry)| acc.add(i as FileId, f, lint_one((i, f)));
    let pass1 = match &pool {
        Some(pool) => pool.install(|| {
            files
                .par_iter()
                .enumerate()
                .fold(Pass1::default, add)
                .reduce(Pass1::default, Pass1::merge)
        }),
        None => files.iter().enumerate().fold(Pass1::default(), add),
    };
    let lint = t1.elapsed();
    mark("parse+rules");

    // The index.
    let t2 = Instant::now();
    let Pass1 {
        mut findings,
        mut positions,
        redactions,
        facts,
        suppressions,
        counts,
        bytes,
    } = pass1;
    positions.seal();
    let redactions: std::collections::HashMap<FileId, Vec<Span>> = redactions.into_iter().collect();
    let mut index = RepoIndex {
        objects: facts.objects,
        kustomizations: facts.kustomizations,
        workflows: facts.workflows,
        ..RepoIndex::default()
    };
    let mut walked = std::mem::take(&mut disc.walked);
    walked.append(&mut context.walked);
    let mut markers = std::mem::take(&mut disc.repo_markers);
    markers.extend(context.repo_markers.drain());
    let mut roots = RepoRoots::new(&opts.paths, &cwd, &walked, markers);
    let mut canon = CanonicalDirs::default();
    for f in &files {
        // A walked file's canonical path is its walked root's plus the rest:
        // the walk follows no links. Named files are resolved on disk.
        let under_walk = (!f.explicit)
            .then(|| discover::canonical_under(&walked, &f.fs_path))
            .flatten();
        let abs = under_walk.unwrap_or_else(|| canon.file(&f.fs_path, &cwd));
        let (repo, root) = roots.of(&abs);
        let rel = abs
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| f.path.clone());
        index.paths.push(rel);
        index.repos.push(repo);
    }
    index.seal_paths();
    crate::index_build::finish(&mut index, cfg);
    let index_time = t2.elapsed();
    mark("index");

    // Pass 2: cross-file rules over the index.
    let t3 = Instant::now();
    for rule in &active {
        let mut cx = RepoCx {
            config: cfg,
            findings: &mut findings,
        };
        rule.check_repo(&index, &mut cx);
    }
    let repo_rules = t3.elapsed();
    findings.retain(|f| files.get(f.primary.file as usize).is_some_and(|e| e.focus));

    let t4 = Instant::now();
    let findings = finish(findings, &files, suppressions, cfg, opts.no_ignore);
    let finish_time = t4.elapsed();
    mark("suppressions");
    Run {
        files,
        findings,
        counts,
        stats: Stats {
            walk,
            lint,
            index: index_time,
            repo_rules,
            finish: finish_time,
            bytes,
            peak_rss,
        },
        index,
        positions,
        redactions,
        pool,
    }
}

/// Absolute, symlink-free paths, resolving each directory once rather than
/// every file (a `canonicalize` costs a syscall per path component).
#[derive(Default)]
struct CanonicalDirs(std::collections::HashMap<PathBuf, PathBuf>);

impl CanonicalDirs {
    fn file(&mut self, path: &Path, cwd: &Path) -> PathBuf {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = self
            .0
            .entry(parent.to_path_buf())
            .or_insert_with(|| std::fs::canonicalize(parent).unwrap_or_else(|_| cwd.join(parent)));
        match path.file_name() {
            Some(name) => dir.join(name),
            None => dir.clone(),
        }
    }
}

/// Finds each file's repository root: the nearest ancestor holding `.git` or
/// `.github`, searching no higher than the linted directory that holds the
/// file (the working directory, for files named one by one); without a marker,
/// the linted directory itself. So several repositories side by side (a
/// monorepo of examples, the test corpus) each keep their own paths, and the
/// directory you lint is the repository unless it holds smaller ones.
struct RepoRoots {
    /// Canonical linted directories, longest first.
    linted: Vec<PathBuf>,
    /// Canonical walked directories: below them, `markers` says where
    /// repositories start and the disk is not asked.
    walked: Vec<PathBuf>,
    markers: std::collections::HashSet<PathBuf>,
    by_dir: std::collections::HashMap<PathBuf, PathBuf>,
    ids: Vec<PathBuf>,
}

impl RepoRoots {
    fn new(
        paths: &[PathBuf],
        cwd: &Path,
        walked: &[(PathBuf, PathBuf)],
        markers: std::collections::HashSet<PathBuf>,
    ) -> Self {
        let mut linted: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        linted.push(std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf()));
        linted.sort_by_key(|p| std::cmp::Reverse(p.as_os_str().len()));
        RepoRoots {
            linted,
            walked: walked.iter().map(|(_, c)| c.clone()).collect(),
            markers,
            by_dir: Default::default(),
            ids: Vec::new(),
        }
    }

    fn root_of_dir(&mut self, dir: &Path) -> PathBuf {
        if let Some(hit) = self.by_dir.get(dir) {
            return hit.clone();
        }
        let stop = self.linted.iter().find(|l| dir.starts_with(l)).cloned();
        let mut chain = Vec::new();
        let mut cur = Some(dir);
        let mut found = None;
        while let Some(d) = cur {
            if let Some(hit) = self.by_dir.get(d) {
                found = Some(hit.clone());
                break;
            }
            chain.push(d.to_path_buf());
            let marked = if self.walked.iter().any(|w| d.starts_with(w)) {
                self.markers.contains(d)
            } else {
                d.join(".git").exists() || d.join(".github").is_dir()
            };
            if marked {
                found = Some(d.to_path_buf());
                break;
            }
            if Some(d) == stop.as_deref() {
                break;
            }
            cur = d.parent();
        }
        let root = found.or(stop).unwrap_or_else(|| dir.to_path_buf());
        for d in chain {
            self.by_dir.insert(d, root.clone());
        }
        root
    }

    fn of(&mut self, file: &Path) -> (u32, PathBuf) {
        let root = self.root_of_dir(file.parent().unwrap_or(Path::new("/")));
        let id = match self.ids.iter().position(|r| *r == root) {
            Some(i) => i,
            None => {
                self.ids.push(root.clone());
                self.ids.len() - 1
            }
        };
        (id as u32, root)
    }
}

/// Reads the text of a file of the run: from memory for stdin, else from disk.
pub fn load_text(f: &FileEntry, cfg: &Config) -> Result<source::Text, source::LoadError> {
    match &f.text {
        Some(t) => Ok(source::decode(t.as_bytes().to_vec())),
        None => source::load(&f.fs_path, cfg.limits.max_file_size),
    }
}

fn lint_file(id: FileId, f: &FileEntry, cfg: &Config, active: &[&'static dyn Rule]) -> FileResult {
    let mut r = FileResult::default();
    if f.kind == FileKind::HelmChart {
        r.skipped = true;
        return r;
    }
    let at = |span: Span| Location { file: id, span };
    if let Some(err) = &f.error {
        r.unreadable = true;
        r.findings.push(Finding::new(
            &er::IoError::META,
            at(Span::default()),
            format!("could not read the file: {err}"),
        ));
        return r;
    }
    // Files are read into a per-thread buffer that keeps its capacity, and
    // borrowed as text when they are plain UTF-8: no allocation per file.
    let mut buf = ReadBuffer::take();
    // `None`: the buffer holds plain UTF-8, borrowed as is; `Some`: decoded text.
    let decoded = match &f.text {
        Some(t) => Ok(Some(source::decode(t.as_bytes().to_vec()))),
        None => source::read_into(&f.fs_path, cfg.limits.max_file_size, &mut buf.0).map(|()| {
            source::as_plain_utf8(&buf.0)
                .is_none()
                .then(|| source::decode(buf.0.clone()))
        }),
    };
    let decoded = match decoded {
        Ok(d) => d,
        Err(source::LoadError::TooLarge { size, limit }) => {
            r.skipped = true;
            r.findings.push(
                Finding::new(
                    &er::FileTooLarge::META,
                    at(Span::default()),
                    format!("file skipped: {size} bytes is over the limit of {limit} bytes"),
                )
                .help("raise `limits.max-file-size` (or `--max-file-size`), or exclude the file"),
            );
            return r;
        }
        Err(e) => {
            r.unreadable = true;
            r.findings.push(Finding::new(
                &er::IoError::META,
                at(Span::default()),
                format!("could not read the file: {e}"),
            ));
            return r;
        }
    };
    let (src, problem): (&str, Option<&TextProblem>) = match &decoded {
        Some(t) => (t.text.as_str(), t.problem.as_ref()),
        None => (source::as_plain_utf8(&buf.0).unwrap_or(""), None),
    };
    r.linted = true;
    r.bytes = src.len() as u64;
    let is_json = f.path.ends_with(".json");
    if let Some(problem) = problem {
        let (offset, msg) = match problem {
            TextProblem::NotUtf8 { offset } => (
                *offset,
                "the file is not UTF-8 text: invalid byte sequence here",
            ),
            TextProblem::Binary { offset } => {
                (*offset, "the file is binary, not YAML: it holds a NUL byte")
            }
        };
        if !is_json || looks_like_manifest(src) {
            r.findings.push(Finding::new(
                &er::InvalidYaml::META,
                // The whole character: U+FFFD (from a bad byte) is three bytes.
                at(Span::new(
                    offset,
                    offset
                        + src
                            .get(offset..)
                            .and_then(|t| t.chars().next())
                            .map_or(1, char::len_utf8),
                )),
                msg,
            ));
        }
        return r;
    }
    let parsed = yaml::parse_stream(src, &cfg.limits.yaml);
    // A template that is not YAML until rendered (Go templates outside a Helm
    // chart, as in kustomize generators or test data) is skipped and counted,
    // like a chart file, rather than reported as a syntax error.
    if !parsed.errors.is_empty() && is_template(src) {
        r.linted = false;
        r.skipped = true;
        return r;
    }
    // A JSON file that does not parse is only ours to report if it is a manifest.
    if !(is_json && !parsed.errors.is_empty() && !looks_like_manifest(src)) {
        for e in &parsed.errors {
            let mut finding = Finding::new(&er::InvalidYaml::META, at(e.span), e.message.clone());
            if let Some((span, msg)) = &e.related {
                finding = finding.related(at(*span), msg.clone());
            }
            finding = match e.kind {
                yaml::YamlErrorKind::DuplicateKey => {
                    finding.help("remove one of the two; consumers disagree on which one wins")
                }
                yaml::YamlErrorKind::AliasBomb => finding
                    .help("expand the aliases by hand, or raise `limits.max-alias-expansion`"),
                yaml::YamlErrorKind::TooDeep => {
                    finding.help("raise `limits.max-depth` if this nesting is intended")
                }
                yaml::YamlErrorKind::TooManyDocuments => {
                    finding.help("raise `limits.max-documents`, or split the file")
                }
                _ => finding,
            };
            r.findings.push(finding);
        }
    }
    // Context files feed the index only: no per-file rules, nothing reported.
    let active: &[&'static dyn Rule] = if f.focus { active } else { &[] };
    let mut cx = DocCx {
        file: id,
        path: &f.path,
        config: cfg,
        findings: &mut r.findings,
        object: None,
    };
    for doc in &parsed.docs {
        let Some(root) = doc.root() else { continue };
        if root.is_null() {
            continue;
        }
        r.documents += 1;
        match f.kind {
            FileKind::Workflow => {
                crate::redact::workflow_literals(root, &mut r.redact);
                if let Some(wf) = Workflow::new(root) {
                    for rule in active {
                        rule.check_workflow(&wf, &mut cx);
                    }
                    r.facts
                        .workflows
                        .push(crate::model::workflow_facts::extract(id, src, &wf));
                }
            }
            FileKind::Kustomization if classify::is_kustomize(root) => {
                r.facts
                    .kustomizations
                    .push(crate::index_build::kustomization(id, root));
            }
            FileKind::Action => crate::redact::workflow_literals(root, &mut r.redact),
            FileKind::HelmChart => {}
            _ => {
                for obj in k8s::objects(root) {
                    for rule in active {
                        rule.check_object(&obj, &mut cx);
                    }
                    r.facts.objects.push(crate::index_build::object(id, &obj));
                    crate::redact::object_secrets(&obj, &mut r.redact);
                }
            }
        }
    }
    if let Some(first) = parsed.errors.iter().map(|e| e.span.start as usize).min() {
        r.redact
            .extend(crate::redact::fallback_spans(src, first, f.kind));
    }
    if f.focus {
        r.suppressions = suppress::scan(src, &parsed.docs);
        r.positions = crate::report::positions_for(id, src, &r.findings);
    } else {
        r.findings.clear();
    }
    r
}

thread_local! {
    static READ_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The calling thread's read buffer, given back when dropped.
struct ReadBuffer(Vec<u8>);

impl ReadBuffer {
    fn take() -> Self {
        ReadBuffer(READ_BUFFER.with(|b| b.take()))
    }
}

impl Drop for ReadBuffer {
    fn drop(&mut self) {
        let mut v = std::mem::take(&mut self.0);
        // Do not keep an unusually large buffer alive between files.
        if v.capacity() > 16 << 20 {
            v = Vec::new();
        }
        v.clear();
        READ_BUFFER.with(|b| b.set(v));
    }
}

/// Whether text carries Go template actions: `{{ .Field }}`, trim markers
/// `{{-` / `-}}`, comments `{{/*`, or a line that starts with `{{`.
fn is_template(src: &str) -> bool {
    src.contains("{{")
        && (["{{ .", "{{.", "{{-", "-}}", "{{/*"]
            .iter()
            .any(|m| src.contains(m))
            || src.lines().any(|l| l.trim_start().starts_with("{{")))
}

fn looks_like_manifest(src: &str) -> bool {
    src.contains("\"apiVersion\"") && src.contains("\"kind\"")
}

/// Applies suppressions and configured severities, reports unused
/// suppressions, and sorts. Lines are needed for suppressions, so files
/// with suppressions are read again here, one at a time.
fn finish(
    mut findings: Vec<Finding>,
    files: &[FileEntry],
    suppressions: Vec<(FileId, Vec<Suppression>)>,
    cfg: &Config,
    no_ignore: bool,
) -> Vec<Finding> {
    // Configured severities; disabled rules are dropped.
    findings.retain_mut(|f| {
        let Some(meta) = rules::find(f.rule) else {
            return true;
        };
        match cfg.level(meta) {
            _ if meta.always_on => true,
            Level::Off => false,
            Level::On(sev) => {
                f.severity = if f.severity == meta.default_severity {
                    sev
                } else {
                    f.severity.min(sev)
                };
                true
            }
        }
    });
    if !no_ignore {
        let mut extra = Vec::new();
        for (file, sups) in suppressions {
            let Some(entry) = files.get(file as usize) else {
                continue;
            };
            let Ok(text) = load_text(entry, cfg) else {
                continue;
            };
            let lines = yaml::LineIndex::new(&text.text);
            let mut used = vec![vec![false; 0]; sups.len()];
            for (i, s) in sups.iter().enumerate() {
                used[i] = vec![false; s.rules.len()];
            }
            let target_line =
                |s: &Suppression| lines.line_of(s.span.start as usize) + usize::from(s.standalone);
            findings.retain(|f| {
                if f.primary.file != file || rules::find(f.rule).is_some_and(|m| m.always_on) {
                    return true;
                }
                let line = lines.line_of(f.primary.span.start as usize);
                let mut keep = true;
                for (i, s) in sups.iter().enumerate() {
                    if target_line(s) != line {
                        continue;
                    }
                    for (j, (id, _)) in s.rules.iter().enumerate() {
                        if id == f.rule {
                            used[i][j] = true;
                            keep = false;
                        }
                    }
                }
                keep
            });
            let meta = &er::UnusedIgnore::META;
            if cfg.level(meta) == Level::Off {
                continue;
            }
            for (i, s) in sups.iter().enumerate() {
                let at = |span| Location { file, span };
                if s.reason.is_none() {
                    extra.push(
                        Finding::new(meta, at(s.span), "suppression gives no reason")
                            .help("say why after the bracket: `# shipshape: ignore[rule-id] why this is safe`"),
                    );
                }
                if s.rules.is_empty() {
                    extra.push(
                        Finding::new(meta, at(s.span), "suppression names no rule")
                            .help("name the rules: `ignore[rule-id]`"),
                    );
                }
                for (j, (id, span)) in s.rules.iter().enumerate() {
                    if used[i][j] {
                        continue;
                    }
                    match rules::find(id) {
                        None => {
                            let known = rules::ids();
                            let help = crate::config::closest(id, &known)
                                .map(|c| format!("did you mean `{c}`?"))
                                .unwrap_or_else(|| "`shipshape rules` lists the rule ids".into());
                            extra.push(Finding::new(meta, at(*span), format!("unknown rule `{id}` in suppression")).help(help));
                        }
                        Some(m) if cfg.level(m) == Level::Off => {}
                        Some(_) => extra.push(
                            Finding::new(meta, at(*span), format!("`{id}` is not reported here: the suppression is unused"))
                                .help("remove it (a suppression governs its own line, or the next line when it stands alone)"),
                        ),
                    }
                }
            }
        }
        for mut f in extra {
            if let Level::On(sev) = cfg.level(&er::UnusedIgnore::META) {
                f.severity = sev;
            }
            findings.push(f);
        }
    }
    // A stable sort of indices, then the permutation applied in place: a
    // stable sort of the findings themselves would allocate half of them again.
    let path_of = |f: &Finding| {
        files
            .get(f.primary.file as usize)
            .map(|e| e.path.as_str())
            .unwrap_or("")
    };
    let key = |f: &Finding| (path_of(f), f.primary.span.start, f.rule, f.primary.span.end);
    let mut order: Vec<u32> = (0..findings.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (fa, fb) = (&findings[a as usize], &findings[b as usize]);
        key(fa)
            .cmp(&key(fb))
            .then_with(|| fa.message.cmp(&fb.message))
    });
    permute(&mut findings, order);
    findings.dedup_by(|a, b| a.rule == b.rule && a.primary == b.primary && a.message == b.message);
    findings
}

/// Reorders `items` so that position `i` holds what was at `order[i]`.
fn permute<T>(items: &mut [T], mut order: Vec<u32>) {
    for start in 0..items.len() {
        // Follow the cycle through `start`, marking visited slots with u32::MAX.
        let mut i = start;
        while order[i] != u32::MAX {
            let from = order[i] as usize;
            order[i] = u32::MAX;
            if from == start || order[from] == u32::MAX {
                break;
            }
            items.swap(i, from);
            i = from;
        }
    }
}

/// Severity counts of a list of findings: (errors, warnings, infos).
pub fn severity_counts(findings: &[Finding]) -> (usize, usize, usize) {
    findings
        .iter()
        .fold((0, 0, 0), |(e, w, i), f| match f.severity {
            Severity::Error => (e + 1, w, i),
            Severity::Warning => (e, w + 1, i),
            Severity::Info => (e, w, i + 1),
        })
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_applies_the_order_in_place() {
        // Every permutation of five items, including cycles of every length.
        let mut order: Vec<u32> = (0..5).collect();
        let mut count = 0;
        loop {
            let mut items: Vec<char> = "abcde".chars().collect();
            permute(&mut items, order.clone());
            let want: Vec<char> = order
                .iter()
                .map(|&i| b"abcde"[i as usize] as char)
                .collect();
            assert_eq!(items, want, "order {order:?}");
            count += 1;
            // Next permutation (lexicographic).
            let Some(k) = (0..4).rev().find(|&k| order[k] < order[k + 1]) else {
                break;
            };
            let l = (k + 1..5).rev().find(|&l| order[k] < order[l]).unwrap();
            order.swap(k, l);
            order[k + 1..].reverse();
        }
        assert_eq!(count, 120);
    }
}
