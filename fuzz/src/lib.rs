//! The fuzz targets of shipshape, shared by the libFuzzer targets
//! (`fuzz_targets/*.rs`, run with `cargo fuzz`), the stable std-only fuzzer
//! (`src/bin/fuzz.rs`) and the regression replay (`tests/regressions.rs`).
//!
//! Every `check_*` function takes raw fuzzer bytes. A panic inside shipshape
//! propagates (it is the crash); a broken property (a span outside the text or
//! inside a character, a cycle in a YAML tree, invalid JSON output) is
//! returned as `Err(description)`, and the callers turn it into a crash too.

use std::cell::RefCell;
use std::path::PathBuf;

use shipshape::yaml::{self, LineIndex, NodeRef, Span, Value};

/// The no-raw-control oracle, shared with the bad-input matrix.
#[path = "../../tests/common/controls.rs"]
mod controls;

pub mod seeds;

/// The fuzz targets, by name.
pub const TARGETS: &[&str] = &["yaml", "lint", "config", "shell", "schema"];

/// Runs one target on one input. `lint` picks its mode from the input (see
/// [`lint_mode_of`]).
pub fn check(target: &str, data: &[u8]) -> Result<(), String> {
    match target {
        "yaml" => check_yaml(data),
        "lint" => check_lint(data),
        "config" => check_config(data),
        "shell" => check_shell(data),
        "schema" => check_schema(data),
        other => Err(format!("unknown fuzz target `{other}`")),
    }
}

/// Like [`check`], and also takes `lint@MODE` (MODE: a stdin path of
/// [`LINT_MODES`] such as `x.yaml`, or `disk`) to lint in a fixed mode: the
/// mode of plain `lint` depends on the bytes, so minimising needs it pinned.
pub fn check_spec(spec: &str, data: &[u8]) -> Result<(), String> {
    match spec.strip_prefix("lint@") {
        Some(name) => {
            let mode = LINT_MODES
                .iter()
                .copied()
                .find(|m| lint_mode_name(*m) == name)
                .ok_or_else(|| format!("unknown lint mode `{name}`"))?;
            check_lint_mode(data, mode)
        }
        None => check(spec, data),
    }
}

/// The name of a lint mode in a `lint@MODE` spec.
pub fn lint_mode_name(m: LintMode) -> &'static str {
    match m {
        LintMode::Stdin(path) => path,
        LintMode::Disk => "disk",
        LintMode::Diff => "diff",
    }
}

fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// A span must lie in `0..=len`, be ordered, and start and end on char boundaries.
fn span_ok(text: &str, start: usize, end: usize, what: &dyn Fn() -> String) -> Result<(), String> {
    if start > end {
        return Err(format!("{}: span {start}..{end} is reversed", what()));
    }
    if end > text.len() {
        return Err(format!(
            "{}: span {start}..{end} ends past the text ({} bytes)",
            what(),
            text.len()
        ));
    }
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return Err(format!(
            "{}: span {start}..{end} is not on char boundaries",
            what()
        ));
    }
    Ok(())
}

fn span_ok_s(text: &str, s: Span, what: &dyn Fn() -> String) -> Result<(), String> {
    span_ok(text, s.start as usize, s.end as usize, what)
}

// ---------------------------------------------------------------- yaml

/// Target 1: the YAML layer. `parse_stream` must not panic; every error and
/// node span lies in the text on char boundaries; every child and alias id is
/// in the arena; the tree (children plus alias edges) has no cycle, so any
/// walk through `NodeRef` terminates; the `NodeRef` API works on every node;
/// `LineIndex::position` works for every span start and end.
pub fn check_yaml(data: &[u8]) -> Result<(), String> {
    let text = text_of(data);
    check_yaml_text(&text)
}

pub fn check_yaml_text(text: &str) -> Result<(), String> {
    let parsed = yaml::parse_stream(text, &yaml::Limits::default());
    let lines = LineIndex::new(text);
    let mut starts = Vec::new();
    for (i, e) in parsed.errors.iter().enumerate() {
        span_ok_s(text, e.span, &|| {
            format!("error #{i} ({:?}: {})", e.kind, e.message)
        })?;
        starts.push(e.span);
        if let Some((s, _)) = &e.related {
            span_ok_s(text, *s, &|| format!("related span of error #{i}"))?;
            starts.push(*s);
        }
    }
    for (di, doc) in parsed.docs.iter().enumerate() {
        span_ok_s(text, doc.span, &|| format!("doc #{di}"))?;
        let n = doc.nodes.len();
        if let Some(r) = doc.root {
            if r as usize >= n {
                return Err(format!("doc #{di}: root id {r} not in arena of {n} nodes"));
            }
        }
        for (id, node) in doc.nodes.iter().enumerate() {
            span_ok_s(text, node.span, &|| format!("doc #{di} node #{id}"))?;
            starts.push(node.span);
            let bad = |c: u32| (c as usize) >= n;
            let out_of_arena = match doc.value(id as u32) {
                Value::Seq(v) => v.iter().any(|&c| bad(c)),
                Value::Map(v) => v.len() % 2 != 0 || v.iter().any(|&c| bad(c)),
                Value::Alias(t) => bad(t),
                Value::Scalar(_) => false,
            };
            if out_of_arena {
                return Err(format!(
                    "doc #{di} node #{id}: child or alias id outside the arena (or odd map edges)"
                ));
            }
        }
        check_acyclic(doc, di)?;
        if let Some(root) = doc.root() {
            walk_api(root, n)?;
        }
    }
    for s in starts {
        for off in [s.start as usize, s.end as usize] {
            let (line, col) = lines.position(text, off);
            if line == 0 || col == 0 || line > lines.line_count() {
                return Err(format!(
                    "LineIndex::position({off}) = ({line}, {col}) with {} lines",
                    lines.line_count()
                ));
            }
            let _ = lines.line_text(text, line - 1);
        }
    }
    Ok(())
}

/// Children of a node in the arena, alias edges included.
fn edges(doc: &yaml::Document<'_>, id: usize) -> Vec<u32> {
    match doc.value(id as u32) {
        Value::Seq(v) | Value::Map(v) => v.to_vec(),
        Value::Alias(t) => vec![t],
        Value::Scalar(_) => Vec::new(),
    }
}

/// Iterative three-colour DFS over children and alias edges from every node:
/// a back edge is a cycle, i.e. a recursive walk through `NodeRef` would not end.
fn check_acyclic(doc: &yaml::Document<'_>, di: usize) -> Result<(), String> {
    let n = doc.nodes.len();
    let mut colour = vec![0u8; n];
    for start in 0..n {
        if colour[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<u32>, usize)> = vec![(start, edges(doc, start), 0)];
        colour[start] = 1;
        while let Some(top) = stack.last_mut() {
            if top.2 < top.1.len() {
                let c = top.1[top.2] as usize;
                top.2 += 1;
                match colour[c] {
                    0 => {
                        colour[c] = 1;
                        let e = edges(doc, c);
                        stack.push((c, e, 0));
                    }
                    1 => {
                        let at = doc.nodes[c].span;
                        return Err(format!(
                            "doc #{di}: cycle through node #{c} ({at:?}): a walk would not end"
                        ));
                    }
                    _ => {}
                }
            } else {
                colour[top.0] = 2;
                stack.pop();
            }
        }
    }
    Ok(())
}

/// Walks the document through the public `NodeRef` API (`entries`, `items`,
/// `resolve`, `as_str`, `get`, ...), visiting each resolved node once, with a
/// step budget as a second guard against non-termination.
fn walk_api(root: NodeRef<'_, '_>, n: usize) -> Result<(), String> {
    let mut seen = vec![false; n];
    let mut stack = vec![root];
    let mut steps = 0usize;
    let budget = 16 * n + 64;
    while let Some(node) = stack.pop() {
        steps += 1;
        if steps > budget {
            return Err(format!(
                "NodeRef walk exceeded {budget} steps over {n} nodes"
            ));
        }
        let r = node.resolve();
        let _ = (node.span(), node.is_alias(), r.span());
        if seen[r.id as usize] {
            continue;
        }
        seen[r.id as usize] = true;
        let _ = (
            r.as_str(),
            r.as_string(),
            r.is_null(),
            r.is_map(),
            r.is_seq(),
        );
        if r.is_map() {
            let _ = r.get("apiVersion");
            let _ = r.get("<<");
            let _ = r.path(&["metadata", "name"]);
            let _ = r.str_at(&["spec", "template", "spec"]);
            for (k, v) in r.entries() {
                if let Some(key) = k.as_str() {
                    // Lookup by every key: exercises the merge-key fallback too.
                    let _ = r.get_entry(key);
                }
                stack.push(k);
                stack.push(v);
            }
        }
        for item in r.items() {
            stack.push(item);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- lint

/// How the `lint` target presents the input to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LintMode {
    /// `Options.stdin` with this path (so the path decides the file kind).
    Stdin(&'static str),
    /// The raw bytes written to disk as several files of one repository
    /// (manifest, workflow, kustomization), linted as a directory: covers
    /// decoding (BOMs, invalid UTF-8, NULs), discovery and cross-file rules.
    Disk,
    /// Differential: the (lossily decoded) text linted once from stdin as
    /// `x.yaml` and once from disk as the only file `x.yaml` of a directory;
    /// both runs must report the same findings (rule, severity, spans,
    /// message, help, labels).
    Diff,
}

pub const LINT_MODES: &[LintMode] = &[
    LintMode::Stdin("x.yaml"),
    LintMode::Stdin(".github/workflows/x.yml"),
    LintMode::Stdin("kustomization.yaml"),
    LintMode::Stdin("action.yml"),
    LintMode::Stdin("x.json"),
    LintMode::Disk,
    LintMode::Diff,
];

/// The mode a given input is linted in: a hash of the bytes, so a saved
/// input always replays the same way.
pub fn lint_mode_of(data: &[u8]) -> LintMode {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    LINT_MODES[(h % LINT_MODES.len() as u64) as usize]
}

/// Target 2: whole-file lint in the mode picked by [`lint_mode_of`].
/// A broken property names the mode (`[lint@MODE] …`); a panic does not, but
/// `fuzz --replay lint@MODE` or the regression replay try every mode.
pub fn check_lint(data: &[u8]) -> Result<(), String> {
    let mode = lint_mode_of(data);
    check_lint_mode(data, mode).map_err(|e| format!("[lint@{}] {e}", lint_mode_name(mode)))
}

thread_local! {
    /// One single-thread rayon pool per thread: the engine never uses a
    /// second core, and a hung worker of the stable fuzzer never blocks the
    /// pool of the worker that replaces it.
    static POOL: rayon::ThreadPool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread rayon pool");
    static DISK: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

fn scratch_dir() -> PathBuf {
    DISK.with(|d| {
        d.borrow_mut()
            .get_or_insert_with(|| {
                static NEXT: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let dir =
                    std::env::temp_dir().join(format!("shipshape-fuzz-{}-{n}", std::process::id()));
                std::fs::create_dir_all(dir.join(".github/workflows")).expect("scratch dir");
                dir
            })
            .clone()
    })
}

pub fn check_lint_mode(data: &[u8], mode: LintMode) -> Result<(), String> {
    let config = shipshape::config::Config::default();
    let styled = data.len() % 2 == 1;
    let opts = match mode {
        LintMode::Diff => return check_lint_diff(data, styled),
        LintMode::Stdin(path) => shipshape::engine::Options {
            paths: vec![],
            stdin: Some((PathBuf::from(path), text_of(data).into_owned())),
            threads: 1,
            no_ignore: false,
            config,
            context: None,
            stats: false,
            follow_outside_links: false,
            diff_base: None,
        },
        LintMode::Disk => {
            let dir = scratch_dir();
            for f in ["x.yaml", ".github/workflows/ci.yml", "kustomization.yaml"] {
                std::fs::write(dir.join(f), data).map_err(|e| format!("scratch write: {e}"))?;
            }
            shipshape::engine::Options {
                paths: vec![dir],
                stdin: None,
                threads: 1,
                no_ignore: false,
                config,
                context: None,
                stats: false,
                follow_outside_links: false,
                diff_base: None,
            }
        }
    };
    POOL.with(|pool| pool.install(|| lint_and_render(&opts, styled)))
}

fn check_lint_diff(data: &[u8], styled: bool) -> Result<(), String> {
    let text = text_of(data).into_owned();
    let dir = PathBuf::from(format!("{}-single", scratch_dir().display()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("scratch dir: {e}"))?;
    std::fs::write(dir.join("x.yaml"), text.as_bytes())
        .map_err(|e| format!("scratch write: {e}"))?;
    let opts = |stdin: bool| shipshape::engine::Options {
        paths: if stdin { vec![] } else { vec![dir.clone()] },
        stdin: stdin.then(|| (PathBuf::from("x.yaml"), text.clone())),
        threads: 1,
        no_ignore: false,
        config: shipshape::config::Config::default(),
        context: None,
        stats: false,
        follow_outside_links: false,
        diff_base: None,
    };
    let (a, b) = POOL.with(|pool| {
        pool.install(|| -> Result<_, String> {
            Ok((
                lint_render_collect(&opts(true), styled)?,
                lint_render_collect(&opts(false), styled)?,
            ))
        })
    })?;
    if a != b {
        let first = a
            .iter()
            .zip(&b)
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("stdin: {x}\n  disk:  {y}"))
            .unwrap_or_else(|| format!("stdin: {a:?}\n  disk:  {b:?}"));
        return Err(format!(
            "stdin and disk lint of the same x.yaml differ ({} vs {} findings):\n  {first}",
            a.len(),
            b.len()
        ));
    }
    Ok(())
}

/// Runs the engine, checks every finding's spans against its file's text,
/// and renders the run as JSON (which must parse) and as human output (which
/// must carry no raw control character: see `controls::raw_control`).
pub fn lint_and_render(opts: &shipshape::engine::Options, styled: bool) -> Result<(), String> {
    lint_render_collect(opts, styled).map(|_| ())
}

/// [`lint_and_render`], returning each finding as one line (rule, severity,
/// spans, message, help, labels; no paths) for comparisons.
fn lint_render_collect(
    opts: &shipshape::engine::Options,
    styled: bool,
) -> Result<Vec<String>, String> {
    let run = shipshape::engine::run(opts);
    let keys: Vec<String> = run
        .findings
        .iter()
        .map(|f| {
            let related: Vec<String> = f
                .related
                .iter()
                .map(|l| {
                    format!(
                        "{}@{}..{}:{}",
                        l.at.file, l.at.span.start, l.at.span.end, l.message
                    )
                })
                .collect();
            format!(
                "{} {:?} {}..{} {:?} help={:?} label={:?} related={related:?}",
                f.rule,
                f.severity,
                f.primary.span.start,
                f.primary.span.end,
                f.message,
                f.help,
                f.label
            )
        })
        .collect();
    let mut sources = shipshape::report::Sources::new(&run.files, &opts.config);
    for (i, f) in run.findings.iter().enumerate() {
        let locs = std::iter::once(f.primary).chain(f.related.iter().map(|l| l.at));
        for loc in locs {
            if run.files.get(loc.file as usize).is_none() {
                return Err(format!(
                    "finding #{i} ({}) names file #{} of {}",
                    f.rule,
                    loc.file,
                    run.files.len()
                ));
            }
            if let Some(src) = sources.get(loc.file) {
                span_ok_s(&src.text, loc.span, &|| {
                    format!("finding #{i} ({}: {})", f.rule, f.message)
                })?;
            }
        }
    }
    let mut json = Vec::new();
    shipshape::output::json::write(&run, &opts.config, &mut json)
        .map_err(|e| format!("json::write: {e}"))?;
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&json) {
        return Err(format!("json::write produced invalid JSON: {e}"));
    }
    let mut human = Vec::new();
    let hopts = shipshape::output::human::Options {
        styled,
        elapsed_ms: 0,
    };
    shipshape::output::human::write(&run, &opts.config, &mut human, &hopts)
        .map_err(|e| format!("human::write: {e}"))?;
    if let Some(bad) = controls::raw_control(&human, styled) {
        return Err(format!(
            "human output ({}) carries a raw control character: {bad}",
            if styled { "coloured" } else { "plain" }
        ));
    }
    Ok(keys)
}


/// Whether known, still-open issues are tolerated while fuzzing (so the fuzzer
/// keeps looking for new ones). `SHIPSHAPE_FUZZ_STRICT=1` turns them back
/// into failures; the regression replay (`tests/regressions.rs`) is always
/// strict. Each known issue has an input under `regressions/` and is listed
/// in `regressions/README.md`; remove its exception here once it is fixed.
#[allow(dead_code)]
fn tolerate_known() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    !*STRICT.get_or_init(|| std::env::var_os("SHIPSHAPE_FUZZ_STRICT").is_some_and(|v| v != "0"))
}

// No known issue is open. To add one: a narrow predicate here, e.g.
// `fn known_issue_x(finding, span, text) -> bool { tolerate_known() && ... }`,
// consulted where the property is checked; remove it with the fix. (The
// first one, `lint/not-utf8-span-inside-replacement-char`, was fixed in
// 03888ad within an hour and its exception removed.)

// ---------------------------------------------------------------- config

/// A small repository to lint with a fuzzed config that parsed: images,
/// registries and namespaces for the config's patterns to match.
const CONFIG_PROBE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  template:
    spec:
      imagePullSecrets: [{name: acr}]
      containers:
      - name: web
        image: myreg.azurecr.io/web:latest
      - name: side
        image: docker.io/library/nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000
";

/// Target 3: the config loader. Errors' spans lie in the text on char
/// boundaries; a config that parses is then used for a lint run (so fuzzed
/// registry patterns, excludes, rule levels and limits reach the engine).
pub fn check_config(data: &[u8]) -> Result<(), String> {
    let text = text_of(data);
    let ids = shipshape::rules::ids();
    match shipshape::config::parse(&text, &ids) {
        Err(errors) => {
            for (i, e) in errors.iter().enumerate() {
                span_ok_s(&text, e.span, &|| {
                    format!("config error #{i} ({})", e.message)
                })?;
            }
            Ok(())
        }
        Ok(config) => {
            let opts = shipshape::engine::Options {
                paths: vec![],
                stdin: Some((PathBuf::from("deploy.yaml"), CONFIG_PROBE.to_string())),
                threads: 1,
                no_ignore: false,
                config,
                context: None,
                stats: false,
                follow_outside_links: false,
                diff_base: None,
            };
            POOL.with(|pool| pool.install(|| lint_and_render(&opts, false)))
        }
    }
}

// ---------------------------------------------------------------- shell

/// Target 4: the shell analyser. Every range of `script::analyze` and of
/// the `script::shell::commands` it is built on lies in the script, ordered, on
/// char boundaries.
pub fn check_shell(data: &[u8]) -> Result<(), String> {
    let text = text_of(data);
    let t: &str = &text;
    let r = |range: &std::ops::Range<usize>, what: &str| {
        span_ok(t, range.start, range.end, &|| what.to_string())
    };
    for (i, c) in shipshape::script::shell::commands(t).iter().enumerate() {
        for w in &c.words {
            r(&w.range, &format!("command #{i} word {:?}", w.text))?;
            let _ = (w.is_flag(), w.assignment());
        }
        for rd in &c.redirects {
            r(
                &rd.target.range,
                &format!("command #{i} redirect {:?}", rd.op),
            )?;
        }
        if !c.words.is_empty() || !c.redirects.is_empty() {
            r(&c.range(), &format!("command #{i} range"))?;
        }
        let _ = (c.program(), c.args(), c.assignments(), c.program_index());
    }
    let f = shipshape::script::analyze(t);
    for h in f.cluster_access.iter().chain(&f.commits) {
        r(&h.range, &format!("hit {:?}", h.what))?;
    }
    for d in &f.deploys {
        r(&d.range, &format!("deploy {:?}", d.tool))?;
        for p in &d.paths {
            r(&p.range, &format!("deploy path {:?}", p.value))?;
        }
    }
    for i in f.builds.iter().chain(&f.pushes) {
        r(&i.range, &format!("image {:?}", i.value))?;
    }
    for e in &f.edits {
        r(&e.range, &format!("edit {:?}", e.tool))?;
        for p in &e.files {
            r(&p.range, &format!("edit file {:?}", p.value))?;
        }
    }
    for s in &f.pull_secrets {
        r(&s.range, &format!("pull secret {:?}", s.name))?;
    }
    Ok(())
}

// ---------------------------------------------------------------- schema

/// The bundled schemas the `schema` target can be told to use: an input
/// whose first byte is `0x01..=0x08` (and that holds no NUL) is validated
/// against entry `(byte - 1) % len`, the byte stripped.
pub const SCHEMA_PICKS: &[(&str, &str)] = &[
    ("kubernetes", "apps/v1 Deployment"),
    ("crds", "argoproj.io/v1alpha1 Application"),
    ("github", "workflow"),
    ("kustomize", "kustomization"),
    ("github", "action"),
    ("kubernetes", "v1 Pod"),
    ("crds", "argoproj.io/v1alpha1 ApplicationSet"),
    ("kubernetes", "batch/v1 CronJob"),
];

/// The validator's cap on violations per `validate` call
/// (`schema::validate::MAX_VIOLATIONS`, private there).
pub const MAX_VIOLATIONS: usize = 100;

/// Documents of one input that are validated: bounds the work per input.
const SCHEMA_MAX_DOCS: usize = 4;
/// Served CRD versions of one input that are compiled and used.
const SCHEMA_MAX_CRDS: usize = 2;
/// Once validation has taken this long for one input, the rest of its
/// (schema, document) pairs are skipped. One `validate` call is bounded by
/// the validator's visit budget (2,000,000 schema nodes: about 0.25 s in a
/// release build, more under ASan); a pathological schema reaches it on
/// every document, and an input that validates many pairs would add those
/// up past libFuzzer's `-timeout` without anything being wrong. So a
/// timeout means that one call took too long. (Timing only decides how
/// much of an input is validated, never whether a property holds.)
const SCHEMA_TIME_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);

/// How the `schema` target reads an input (see [`check_schema`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaMode {
    /// `JSON schema \0 YAML`.
    Custom,
    /// A selector byte, then YAML: against [`SCHEMA_PICKS`]`[i]`.
    Pick(usize),
    /// YAML only: each document against its own bundled schema.
    Own,
}

pub fn schema_mode_of(data: &[u8]) -> SchemaMode {
    if data.contains(&0) {
        SchemaMode::Custom
    } else {
        match data.first() {
            Some(&b @ 1..=8) => SchemaMode::Pick((b as usize - 1) % SCHEMA_PICKS.len()),
            _ => SchemaMode::Own,
        }
    }
}

fn bundle(name: &str) -> &'static shipshape::schema::bundled::Bundle {
    use shipshape::schema::bundled;
    match name {
        "kubernetes" => &bundled::KUBERNETES,
        "crds" => &bundled::CRDS,
        "github" => &bundled::GITHUB,
        _ => &bundled::KUSTOMIZE,
    }
}

/// The option sets of the engine: a Kubernetes object (strict), a
/// Kustomize patch (fragment, lenient, a secret's values not quoted), and a
/// workflow or kustomization (YAML 1.2, no null for any type).
const SCHEMA_OPTIONS: [shipshape::schema::validate::Options; 3] = {
    use shipshape::schema::validate::Options;
    [
        Options::OBJECT,
        Options {
            strict: false,
            fragment: true,
            quote: false,
            ..Options::OBJECT
        },
        Options::DOCUMENT,
    ]
};

/// Where the engine anchors an object's missing fields: its `kind` value,
/// else the first key, else the node.
fn schema_anchor(root: NodeRef<'_, '_>) -> Span {
    if let Some((_, v)) = root.get_entry("kind") {
        return v.span();
    }
    root.entries()
        .next()
        .map(|(k, _)| k.span())
        .unwrap_or_else(|| root.span())
}

/// Checks one list of violations: at most [`MAX_VIOLATIONS`], each with a
/// message and a span in `text` on char boundaries.
fn violations_ok(
    found: &[shipshape::schema::validate::Violation],
    text: &str,
    what: &dyn Fn() -> String,
) -> Result<(), String> {
    if found.len() > MAX_VIOLATIONS {
        return Err(format!(
            "{}: {} violations from one validate call (cap {MAX_VIOLATIONS})",
            what(),
            found.len()
        ));
    }
    for (i, v) in found.iter().enumerate() {
        span_ok_s(text, v.span, &|| {
            format!(
                "{}: violation #{i} ({:?}: {})",
                what(),
                v.problem,
                v.message
            )
        })?;
        if v.message.is_empty() {
            return Err(format!("{}: violation #{i} has no message", what()));
        }
    }
    Ok(())
}

/// The validations of one input: the documents, the text their spans are
/// in, and the time spent so far.
struct SchemaRun<'a, 'd, 's> {
    roots: &'a [NodeRef<'d, 's>],
    text: &'a str,
    /// Picks the option set of each (schema, document) pair, so mutations
    /// that change the length try the others.
    salt: usize,
    pairs: usize,
    started: std::time::Instant,
}

impl SchemaRun<'_, '_, '_> {
    fn over_time(&self) -> bool {
        self.started.elapsed() > SCHEMA_TIME_BUDGET
    }

    /// Every document against `c`, each with one option set; the first
    /// document twice, and the two results must be equal.
    fn against(
        &mut self,
        c: &shipshape::schema::compile::Compiled,
        name: &dyn Fn() -> String,
    ) -> Result<(), String> {
        use shipshape::schema::validate::validate;
        for (di, root) in self.roots.iter().enumerate() {
            if self.over_time() {
                return Ok(());
            }
            let oi = (self.salt + self.pairs) % SCHEMA_OPTIONS.len();
            self.pairs += 1;
            let opts = SCHEMA_OPTIONS[oi];
            let what = || format!("{} doc #{di} options #{oi}", name());
            let anchor = schema_anchor(*root);
            let found = validate(c, *root, anchor, opts);
            violations_ok(&found, self.text, &what)?;
            if di == 0 && !self.over_time() {
                let again = validate(c, *root, anchor, opts);
                if again != found {
                    return Err(format!(
                        "{}: validation is not deterministic ({} then {} violations; first: {:?} / {:?})",
                        what(),
                        found.len(),
                        again.len(),
                        found.first(),
                        again.first()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Target 5: the schema compiler, loader and validator.
///
/// - **custom** (the input holds a NUL): the bytes before the first NUL are
///   a JSON Schema, the rest YAML. The schema (when it is JSON) is compiled
///   with its `definitions`/`$defs`/`defs`, plain and structural, and what
///   compiles validates the documents. Both parts are also written to a
///   scratch folder (`widget-example.com-v1.json`, `crd.yaml`) and loaded
///   with `Catalog::load_paths`, whose errors' offsets must lie in their
///   file on char boundaries.
/// - **pick** (no NUL, first byte `0x01..=0x08`): the documents against a
///   bundled schema of [`SCHEMA_PICKS`].
/// - **own** (otherwise): each document against its own bundled schema
///   (by `apiVersion` and `kind`, or as a workflow, action or kustomization
///   by its keys), and a custom resource's `metadata` against ObjectMeta.
///
/// In every mode each document also goes through `crd::to_json` and
/// `crd::versions`; the served schemas (up to 2) are compiled, structural
/// and not, and the structural one validates the documents.
///
/// Up to 4 documents; each (schema, document) pair validated once, with
/// one of the engine's three option sets (by pair and input length); the
/// first document of each schema twice. See [`SCHEMA_TIME_BUDGET`].
///
/// Checked: no panic and no stack overflow (on the one-thread rayon pool,
/// whose 2 MiB stack is the engine workers'); no hang (libFuzzer's
/// `-timeout`, the stable fuzzer's 2 s); at most [`MAX_VIOLATIONS`]
/// violations per `validate` call; every violation span in the YAML text on
/// char boundaries; the same violations a second time; a compiled schema's
/// root in its arena and the arena within `MAX_NODES`; `crd::versions`'
/// spans in the text.
pub fn check_schema(data: &[u8]) -> Result<(), String> {
    POOL.with(|pool| pool.install(|| check_schema_mode(data, schema_mode_of(data))))
}

pub fn check_schema_mode(data: &[u8], mode: SchemaMode) -> Result<(), String> {
    use shipshape::schema::compile::{compile, Compiled, MAX_NODES};
    use shipshape::schema::{bundled, crd};
    let (schema_part, yaml_part) = match mode {
        SchemaMode::Custom => {
            let nul = data.iter().position(|&b| b == 0).unwrap_or(data.len());
            (Some(&data[..nul]), data.get(nul + 1..).unwrap_or(&[]))
        }
        SchemaMode::Pick(_) => (None, data.get(1..).unwrap_or(&[])),
        SchemaMode::Own => (None, data),
    };
    let text = text_of(yaml_part);
    let text: &str = &text;
    let parsed = yaml::parse_stream(text, &yaml::Limits::default());
    let roots: Vec<NodeRef<'_, '_>> = parsed
        .docs
        .iter()
        .filter_map(|d| d.root())
        .take(SCHEMA_MAX_DOCS)
        .collect();
    let mut run = SchemaRun {
        roots: &roots,
        text,
        salt: data.len(),
        pairs: 0,
        started: std::time::Instant::now(),
    };
    let arena_ok = |c: &Compiled, what: &dyn Fn() -> String| {
        if c.nodes.len() > MAX_NODES || c.root as usize >= c.nodes.len() {
            return Err(format!(
                "{}: compiled to root {} of {} nodes (cap {MAX_NODES})",
                what(),
                c.root,
                c.nodes.len()
            ));
        }
        Ok(())
    };

    if let Some(schema_bytes) = schema_part {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(schema_bytes) {
            let defs = ["definitions", "$defs", "defs"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|d| d.as_object()));
            for structural in [false, true] {
                let name = || format!("custom schema (structural {structural})");
                if let Ok(c) = compile(&v, defs, structural) {
                    arena_ok(&c, &name)?;
                    run.against(&c, &name)?;
                }
            }
        }
        check_schema_loader(schema_bytes, yaml_part)?;
    }

    match mode {
        SchemaMode::Pick(i) => {
            let (b, key) = SCHEMA_PICKS[i];
            let c = bundle(b)
                .get(key)
                .ok_or_else(|| format!("bundled schema {b}:{key} does not compile"))?;
            run.against(&c, &|| format!("bundled {key}"))?;
        }
        SchemaMode::Own => {
            for (di, root) in roots.iter().enumerate() {
                let api = root.str_at(&["apiVersion"]);
                let kind = root.str_at(&["kind"]);
                let (c, custom, oi) = match (api, kind) {
                    (Some(a), Some(k)) => (
                        bundled::object(a, k),
                        bundled::CRDS.has(&format!("{a} {k}")),
                        (run.salt + di) % 2,
                    ),
                    _ if root.get("jobs").is_some() => (bundled::GITHUB.get("workflow"), false, 2),
                    _ if root.get("runs").is_some() => (bundled::GITHUB.get("action"), false, 2),
                    _ if root.get("resources").is_some() => {
                        (bundled::KUSTOMIZE.get("kustomization"), false, 2)
                    }
                    _ => (None, false, 0),
                };
                let Some(c) = c else { continue };
                if run.over_time() {
                    break;
                }
                let opts = SCHEMA_OPTIONS[oi];
                let found =
                    shipshape::schema::validate::validate(&c, *root, schema_anchor(*root), opts);
                violations_ok(&found, text, &|| {
                    format!("own schema of doc #{di} options #{oi}")
                })?;
                if custom {
                    if let (Some(meta), Some((k, v))) =
                        (bundled::object_meta(), root.get_entry("metadata"))
                    {
                        let found = shipshape::schema::validate::validate_under(
                            &meta,
                            v,
                            k.span(),
                            opts,
                            "metadata",
                        );
                        violations_ok(&found, text, &|| format!("metadata of doc #{di}"))?;
                    }
                }
            }
        }
        SchemaMode::Custom => {}
    }

    // Every document as a CRD: its served schemas, compiled, against every document.
    let mut served = 0;
    for (di, root) in roots.iter().enumerate() {
        let _ = crd::to_json(*root);
        let versions = match crd::versions(*root) {
            Ok(v) => v,
            Err((span, m)) => {
                span_ok_s(text, span, &|| {
                    format!("crd::versions error of doc #{di}: {m}")
                })?;
                continue;
            }
        };
        for v in versions {
            span_ok_s(text, v.span, &|| {
                format!("CRD version {} of doc #{di}", v.api_version)
            })?;
            if served >= SCHEMA_MAX_CRDS {
                continue;
            }
            served += 1;
            for structural in [false, true] {
                let name = || {
                    format!(
                        "CRD {} {} of doc #{di} (structural {structural})",
                        v.api_version, v.kind
                    )
                };
                if let Ok(c) = compile(&v.schema, None, structural) {
                    arena_ok(&c, &name)?;
                    if structural {
                        run.against(&c, &name)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// `Catalog::load_paths` on the two parts written as files: every error's
/// offset lies in its file's text on a char boundary.
fn check_schema_loader(schema: &[u8], yaml_part: &[u8]) -> Result<(), String> {
    let dir = scratch_dir().join("schemas");
    std::fs::create_dir_all(&dir).map_err(|e| format!("scratch dir: {e}"))?;
    // Named in kubeconform's layout, so the loader finds a kind for any schema.
    let json_path = dir.join("widget-example.com-v1.json");
    let yaml_path = dir.join("crd.yaml");
    std::fs::write(&json_path, schema).map_err(|e| format!("scratch write: {e}"))?;
    std::fs::write(&yaml_path, yaml_part).map_err(|e| format!("scratch write: {e}"))?;
    let mut catalog = shipshape::schema::Catalog::default();
    let errors = catalog.load_paths(&[dir], &yaml::Limits::default());
    for (i, e) in errors.iter().enumerate() {
        let Some(off) = e.offset else { continue };
        let bytes = if e.path == json_path {
            schema
        } else if e.path == yaml_path {
            yaml_part
        } else {
            return Err(format!("load error #{i} names {}", e.path.display()));
        };
        // The loader reads files with `read_to_string`: an error with an
        // offset is about a file that is UTF-8.
        let file_text = std::str::from_utf8(bytes).map_err(|_| {
            format!(
                "load error #{i} ({}) has an offset in a non-UTF-8 file",
                e.message
            )
        })?;
        span_ok(file_text, off, off, &|| {
            format!("load error #{i} in {} ({})", e.path.display(), e.message)
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------- panics

/// Runs `f`, turning a panic into `Err` with its message (and location, when
/// [`install_panic_hook`] is in force).
pub fn catch(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            let recorded = LAST_PANIC
                .with(|p| p.borrow_mut().take())
                .or_else(|| PANIC_ANY.lock().unwrap_or_else(|e| e.into_inner()).take());
            Err(recorded.unwrap_or_else(|| {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".into());
                format!("panic: {msg}")
            }))
        }
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A quiet panic hook that records `panic at FILE:LINE: MESSAGE` for [`catch`]
/// (on the panicking thread, and on every thread for rayon's re-raised panics).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".into());
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let text = format!("panic at {at}: {msg}");
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(text.clone()));
        *PANIC_ANY.lock().unwrap_or_else(|e| e.into_inner()) = Some(text);
    }));
}

/// The last panic recorded on any thread (a rayon worker's panic is recorded
/// there, then re-raised on the calling thread with the same payload).
pub static PANIC_ANY: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);
