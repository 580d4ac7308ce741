//! The official YAML test suite (yaml-test-suite, `data` branch layout) run
//! through our YAML layer, `yaml::parse_stream`.
//!
//! The data lives in `../shared/yaml-test-suite/` (not copied into the
//! project); the tests skip with a note when it is absent. Every case is
//! parsed inside `catch_unwind`, so a panic is reported with its case id and
//! the loop goes on. Each case is read twice: as stored, and with its line
//! endings rewritten to CRLF. For a valid case that has an `in.json`, the
//! documents we build are also compared with it.
//!
//! Known parser limitations do not fail the test: it counts each outcome,
//! prints the table and the cases we get wrong, and asserts only that nothing
//! panicked, that every span (of a node or of an error) is a range of the
//! text on character boundaries, that CRLF reads like LF, and that the pass
//! counts did not fall below the numbers measured when the test was written
//! (a regression guard; docs/reliability.md lists the cases).
//!
//! Regenerate the numbers: `cargo test --test yaml_suite -- --nocapture`
//! (`YAML_SUITE_VERBOSE=1` also prints every case's outcome).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value as Json;
use shipshape::yaml::{self, Limits, LineIndex, NodeRef, ScalarStyle, Value, YamlErrorKind};

/// Measured with saphyr-parser 0.3.x and `Limits::default()`; raise them when
/// the parser gets better, never lower them without saying why in
/// docs/reliability.md.
const MIN_VALID_PASS: usize = 307;
const MIN_ERROR_DETECTED: usize = 94;
const MIN_DATA_MATCH: usize = 276;

/// One test of the suite: `ID` or `ID/NN` for the numbered sub-cases.
struct Case {
    id: String,
    name: String,
    dir: PathBuf,
    error: bool,
}

fn suite_dir() -> Option<PathBuf> {
    shared("yaml-test-suite")
}

/// Every directory holding an `in.yaml`, sorted by id.
fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(e.path());
            }
        }
        if dir.join("in.yaml").is_file() {
            let id = dir
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // A sub-case has its own `===`; fall back to the parent's.
            let name = fs::read_to_string(dir.join("==="))
                .or_else(|_| fs::read_to_string(dir.parent().unwrap().join("===")))
                .unwrap_or_default()
                .trim()
                .to_string();
            out.push(Case {
                id,
                name,
                error: dir.join("error").exists(),
                dir,
            });
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    /// Valid YAML, parsed without any error.
    ValidPass,
    /// Valid YAML that we reject only because of our own policy (duplicate
    /// keys, alias budget, depth or document limits): a documented deviation.
    ValidPolicy,
    /// Valid YAML rejected with a syntax error: a parser failure.
    ValidFail,
    /// Invalid YAML, rejected.
    ErrorDetected,
    /// Invalid YAML, accepted without any error.
    ErrorMissed,
    /// The parser (or our builder) panicked.
    Panic,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::ValidPass => "valid-pass",
            Outcome::ValidPolicy => "valid-policy (deviation)",
            Outcome::ValidFail => "valid-fail",
            Outcome::ErrorDetected => "error-detected",
            Outcome::ErrorMissed => "error-missed",
            Outcome::Panic => "panic",
        }
    }
}

struct CaseResult {
    outcome: Outcome,
    /// The first error, for the report: kind, message and 1-based line:column.
    detail: String,
    /// Errors whose span does not lie inside the text.
    bad_spans: Vec<String>,
    data: DataCheck,
}

/// Line endings to run a case with: as stored (LF), or rewritten to CRLF.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Eol {
    Lf,
    Crlf,
}

fn run_case(case: &Case, limits: &Limits, eol: Eol) -> CaseResult {
    let bytes = fs::read(case.dir.join("in.yaml")).expect("read in.yaml");
    let mut src = String::from_utf8(bytes).expect("the suite's inputs are UTF-8");
    if eol == Eol::Crlf {
        src = src.replace("\r\n", "\n").replace('\n', "\r\n");
    }
    let parsed = panic::catch_unwind(AssertUnwindSafe(|| {
        let p = yaml::parse_stream(&src, limits);
        let errors = p
            .errors
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.message.clone(),
                    e.span,
                    e.related.as_ref().map(|r| r.0),
                )
            })
            .collect::<Vec<_>>();
        let docs: Vec<Option<Json>> = p
            .docs
            .iter()
            .map(|d| d.root().map_or(Some(Json::Null), |r| to_json(r, 0)))
            .collect();
        // Rules slice the text with node spans: each must be a range of it.
        let node_spans: Vec<String> = p
            .docs
            .iter()
            .flat_map(|d| d.nodes.iter().map(|n| n.span))
            .filter(|s| !span_ok(&src, *s))
            .map(|s| format!("node span {s:?}"))
            .collect();
        (errors, docs, node_spans)
    }));
    let (errors, docs, mut bad_spans) = match parsed {
        Ok(x) => x,
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic payload".into());
            return CaseResult {
                outcome: Outcome::Panic,
                detail: msg,
                bad_spans: Vec::new(),
                data: DataCheck::NotApplicable,
            };
        }
    };
    let len = src.len();
    for (kind, msg, span, related) in &errors {
        if !span_ok(&src, *span) || related.is_some_and(|r| !span_ok(&src, r)) {
            bad_spans.push(format!(
                "{kind:?} {msg:?} at {span:?} (text is {len} bytes)"
            ));
        }
    }
    let detail = errors
        .first()
        .map(|(kind, msg, span, _)| {
            let (line, col) = LineIndex::new(&src).position(&src, span.start as usize);
            format!("{kind:?} at {line}:{col}: {msg}")
        })
        .unwrap_or_default();
    let outcome = match (case.error, errors.is_empty()) {
        (true, false) => Outcome::ErrorDetected,
        (true, true) => Outcome::ErrorMissed,
        (false, true) => Outcome::ValidPass,
        (false, false) if errors.iter().any(|e| e.0 == YamlErrorKind::Syntax) => Outcome::ValidFail,
        (false, false) => Outcome::ValidPolicy,
    };
    let data = match (outcome, expected_json(&case.dir)) {
        (Outcome::ValidPass, Some(expected)) => compare(&docs, &expected),
        _ => DataCheck::NotApplicable,
    };
    CaseResult {
        outcome,
        detail,
        bad_spans,
        data,
    }
}

/// A span is a range of the text that starts and ends on character boundaries.
fn span_ok(src: &str, s: yaml::Span) -> bool {
    let (a, b) = (s.start as usize, s.end as usize);
    a <= b && b <= src.len() && src.is_char_boundary(a) && src.is_char_boundary(b)
}

/// What the documents of a valid case hold, against the suite's `in.json`
/// (one JSON value per document). This checks our tree builder (spans aside):
/// collections, scalars under the YAML 1.2 core schema, aliases followed.
#[derive(Debug, Clone, PartialEq)]
enum DataCheck {
    /// Not a valid case that parsed, or the suite gives no `in.json`.
    NotApplicable,
    Match,
    Mismatch(String),
}

fn expected_json(dir: &Path) -> Option<Vec<Json>> {
    let text = fs::read_to_string(dir.join("in.json")).ok()?;
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Json>()
        .collect::<std::result::Result<Vec<_>, _>>()
        .ok()
}

fn compare(docs: &[Option<Json>], expected: &[Json]) -> DataCheck {
    if docs.len() != expected.len() {
        return DataCheck::Mismatch(format!(
            "{} documents, in.json has {}",
            docs.len(),
            expected.len()
        ));
    }
    for (i, (got, want)) in docs.iter().zip(expected).enumerate() {
        match got {
            None => {
                return DataCheck::Mismatch(format!(
                    "document {i}: a key that is not a scalar, or nesting too deep to compare"
                ))
            }
            Some(g) if !same(g, want) => {
                return DataCheck::Mismatch(format!("document {i}: got {g}, in.json has {want}"))
            }
            _ => {}
        }
    }
    DataCheck::Match
}

/// JSON equality with numbers compared by value (`1` == `1.0`).
fn same(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Our tree as JSON: plain scalars typed by the YAML 1.2 core schema, other
/// styles strings, aliases followed, mapping keys by their text (a later
/// duplicate would win, as in JSON). `None` for a collection used as a key.
fn to_json(n: NodeRef<'_, '_>, depth: usize) -> Option<Json> {
    if depth > 200 {
        return None;
    }
    Some(match n.value() {
        Value::Scalar(s) if s.style == ScalarStyle::Plain => core_schema(s.text),
        Value::Scalar(s) => Json::String(s.text.to_string()),
        Value::Seq(_) => Json::Array(
            n.items()
                .map(|i| to_json(i, depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        Value::Map(_) => {
            let mut m = serde_json::Map::new();
            for (k, v) in n.entries() {
                let key = k.scalar()?.text.to_string();
                m.insert(key, to_json(v, depth + 1)?);
            }
            Json::Object(m)
        }
        Value::Alias(_) => return None,
    })
}

fn core_schema(t: &str) -> Json {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => return Json::Null,
        "true" | "True" | "TRUE" => return Json::Bool(true),
        "false" | "False" | "FALSE" => return Json::Bool(false),
        _ => {}
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let neg = t.starts_with('-');
    let radix = |digits: &str, r| {
        i64::from_str_radix(digits, r)
            .ok()
            .map(|v| Json::from(if neg { -v } else { v }))
    };
    if let Some(v) = body.strip_prefix("0x").and_then(|h| radix(h, 16)) {
        return v;
    }
    if let Some(v) = body.strip_prefix("0o").and_then(|o| radix(o, 8)) {
        return v;
    }
    if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = t.parse::<i64>() {
            return Json::from(v);
        }
    }
    let float_chars = body
        .bytes()
        .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b));
    if float_chars && body.bytes().any(|b| b.is_ascii_digit()) {
        if let Some(n) = t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
            return Json::Number(n);
        }
    }
    Json::String(t.to_string())
}

#[test]
fn yaml_test_suite() {
    let Some(root) = suite_dir() else {
        eprintln!("note: ../shared/yaml-test-suite is absent; skipping the YAML test suite");
        return;
    };
    let all = cases(&root);
    assert!(!all.is_empty(), "no case found under {}", root.display());
    let limits = Limits::default();

    // Keep the default hook's output out of the way: panics are reported below.
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let results: Vec<(&Case, CaseResult)> = all
        .iter()
        .map(|c| (c, run_case(c, &limits, Eol::Lf)))
        .collect();
    // The same cases with CRLF line endings: the same outcome, the same data.
    let crlf: Vec<(&Case, CaseResult)> = all
        .iter()
        .map(|c| (c, run_case(c, &limits, Eol::Crlf)))
        .collect();
    panic::set_hook(hook);

    let mut counts: BTreeMap<Outcome, usize> = BTreeMap::new();
    for (_, r) in &results {
        *counts.entry(r.outcome).or_default() += 1;
    }
    let n = |o| counts.get(&o).copied().unwrap_or(0);
    let valid = all.iter().filter(|c| !c.error).count();
    eprintln!(
        "\nyaml-test-suite: {} cases ({valid} valid, {} error)",
        all.len(),
        all.len() - valid
    );
    eprintln!("| outcome | cases |\n|---|---|");
    for o in [
        Outcome::ValidPass,
        Outcome::ValidPolicy,
        Outcome::ValidFail,
        Outcome::ErrorDetected,
        Outcome::ErrorMissed,
        Outcome::Panic,
    ] {
        eprintln!("| {} | {} |", o.label(), n(o));
    }
    for o in [
        Outcome::ValidFail,
        Outcome::ValidPolicy,
        Outcome::ErrorMissed,
        Outcome::Panic,
    ] {
        let wrong: Vec<_> = results.iter().filter(|(_, r)| r.outcome == o).collect();
        if wrong.is_empty() {
            continue;
        }
        eprintln!("\n{} ({}):", o.label(), wrong.len());
        for (c, r) in wrong {
            if r.detail.is_empty() {
                eprintln!("  {} {}", c.id, c.name);
            } else {
                eprintln!("  {} {} -- {}", c.id, c.name, r.detail);
            }
        }
    }

    // Which of our error kinds caught the invalid inputs.
    let mut caught_by: BTreeMap<String, usize> = BTreeMap::new();
    for (_, r) in &results {
        if r.outcome == Outcome::ErrorDetected {
            let kind = r.detail.split(' ').next().unwrap_or("").to_string();
            *caught_by.entry(kind).or_default() += 1;
        }
    }
    eprintln!("\nerror-detected by first error kind: {caught_by:?}");
    if std::env::var_os("YAML_SUITE_VERBOSE").is_some() {
        for (c, r) in &results {
            eprintln!(
                "  {} [{}] {} -- {}",
                c.id,
                r.outcome.label(),
                c.name,
                r.detail
            );
        }
    }

    let matched = results
        .iter()
        .filter(|(_, r)| r.data == DataCheck::Match)
        .count();
    let mismatched: Vec<_> = results
        .iter()
        .filter_map(|(c, r)| match &r.data {
            DataCheck::Mismatch(why) => Some((c, why)),
            _ => None,
        })
        .collect();
    eprintln!(
        "\ndata against in.json (valid-pass cases that have one): {matched} match, {} differ",
        mismatched.len()
    );
    for (c, why) in &mismatched {
        eprintln!("  {} {} -- {why}", c.id, c.name);
    }

    let crlf_differs: Vec<_> = results
        .iter()
        .zip(&crlf)
        .filter(|((_, a), (_, b))| a.outcome != b.outcome || a.data != b.data)
        .map(|((c, a), (_, b))| (c, a, b))
        .collect();
    eprintln!(
        "\nwith CRLF line endings: {} cases differ from LF",
        crlf_differs.len()
    );
    for (c, a, b) in &crlf_differs {
        eprintln!(
            "  {} {} -- LF {} {:?}; CRLF {} {} {:?}",
            c.id,
            c.name,
            a.outcome.label(),
            a.data,
            b.outcome.label(),
            b.detail,
            b.data
        );
    }

    let both = results
        .iter()
        .map(|(c, r)| (c, r, "LF"))
        .chain(crlf.iter().map(|(c, r)| (c, r, "CRLF")));
    let panics: Vec<String> = both
        .clone()
        .filter(|(_, r, _)| r.outcome == Outcome::Panic)
        .map(|(c, r, eol)| format!("{} ({}, {eol}): {}", c.id, c.name, r.detail))
        .collect();
    assert!(
        panics.is_empty(),
        "parse_stream panicked on:\n{}",
        panics.join("\n")
    );
    let bad: Vec<String> = both
        .flat_map(|(c, r, eol)| {
            r.bad_spans
                .iter()
                .map(move |b| format!("{} ({eol}): {b}", c.id))
        })
        .collect();
    assert!(
        bad.is_empty(),
        "spans that are not ranges of the text:\n{}",
        bad.join("\n")
    );
    assert!(
        crlf_differs.is_empty(),
        "{} cases read differently with CRLF line endings (none did when measured)",
        crlf_differs.len()
    );
    assert!(
        n(Outcome::ValidPass) >= MIN_VALID_PASS,
        "valid-pass fell to {} (was {MIN_VALID_PASS})",
        n(Outcome::ValidPass)
    );
    assert!(
        n(Outcome::ErrorDetected) >= MIN_ERROR_DETECTED,
        "error-detected fell to {} (was {MIN_ERROR_DETECTED})",
        n(Outcome::ErrorDetected)
    );
    assert!(
        matched >= MIN_DATA_MATCH,
        "documents matching in.json fell to {matched} (was {MIN_DATA_MATCH})"
    );
}

/// Error cases run through the binary: for each, the CLI reports
/// `invalid-yaml` at the line and column of the library's first error.
/// Chosen for variety: tab indentation, an unclosed flow sequence (the error
/// is at the end of the text), an unclosed quote, a bad escape, a sub-case.
const CLI_SAMPLE: &[&str] = &["4EJS", "6JTT", "CQ3W", "55WF", "DK95/01"];

#[test]
fn error_cases_through_the_cli() {
    let Some(root) = suite_dir() else {
        eprintln!("note: ../shared/yaml-test-suite is absent; skipping");
        return;
    };
    for id in CLI_SAMPLE {
        let dir = root.join(id);
        assert!(dir.join("error").exists(), "{id} is not an error case");
        let bytes = fs::read(dir.join("in.yaml")).unwrap();
        let src = String::from_utf8(bytes.clone()).unwrap();
        let parsed = yaml::parse_stream(&src, &Limits::default());
        let first = parsed
            .errors
            .first()
            .unwrap_or_else(|| panic!("{id}: no error"));
        let (line, col) = LineIndex::new(&src).position(&src, first.span.start as usize);

        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("case.yaml"), &bytes).unwrap();
        let (v, code) = json(tmp.path(), &["--no-config", "case.yaml"]);
        assert_eq!(code, 1, "{id}: exit code\n{v:#}");
        let findings = v["findings"].as_array().unwrap();
        let f = findings
            .iter()
            .find(|f| f["rule"] == "invalid-yaml")
            .unwrap_or_else(|| panic!("{id}: no invalid-yaml finding\n{v:#}"));
        assert_eq!(f["path"], "case.yaml", "{id}");
        assert_eq!(f["severity"], "error", "{id}");
        assert_eq!(f["message"], first.message.as_str(), "{id}");
        assert_eq!(
            (f["start"]["line"].as_u64(), f["start"]["column"].as_u64()),
            (Some(line as u64), Some(col as u64)),
            "{id}: position\n{v:#}"
        );
    }
}
