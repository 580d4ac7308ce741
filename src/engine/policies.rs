//! The run's policies, before the file pass: the built-in sets the config
//! turns on and the files of `policies.paths`, compiled once; and, after
//! the pass, what could not be used, at its place in its policy file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::{Config, Level};
use crate::finding::{FileId, Finding, Location, Severity};
use crate::policy::UNDECIDED_PREFIX;
use crate::policy::{Origin, PolicySet, Problem};
use crate::rules::engine::{InvalidPolicy, PolicyNotRun};
use crate::rules::policy::UNDECIDED;
use crate::source::file::{display_path, FileEntry};
use crate::source::kind::FileKind;

/// Most policy files read from the folders of `policies.paths`.
const MAX_POLICY_FILES: usize = 10_000;

/// Compiles the run's policies; the rules the config turns off are dropped.
pub(super) fn load(cfg: &Config) -> PolicySet {
    let mut set = PolicySet::default();
    set.add_builtin_sets(&cfg.policies.sets);
    let mut paths = Vec::new();
    for p in &cfg.policies.paths {
        let path = cfg.root.join(p);
        if !path.exists() {
            set.problems.push(Problem {
                origin: Origin::File(path.clone()),
                span: None,
                message: format!("`policies.paths` names `{p}`, which does not exist"),
                severity: Severity::Error,
                syntax: false,
            });
            continue;
        }
        collect(&path, &mut paths, &mut set, 0);
    }
    paths.sort();
    paths.dedup();
    for path in paths {
        let origin = Origin::File(path.clone());
        match read(&path, cfg.limits.max_file_size) {
            Ok(text) => set.add_text(origin, &text, &cfg.limits.yaml),
            Err(why) => set.problems.push(Problem {
                origin,
                span: None,
                message: why,
                severity: Severity::Error,
                syntax: false,
            }),
        }
    }
    set.bind();
    set.retain_rules(|m| cfg.level(m) != Level::Off);
    set
}

/// A policy file's text, or why it cannot be read.
fn read(path: &Path, max: u64) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read the policy file: {e}"))?;
    if meta.len() > max {
        return Err(format!(
            "the policy file is larger than `limits.max-file-size` ({max} bytes)"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read the policy file: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "the policy file is not UTF-8 text".to_string())
}

/// The YAML files under `path` (itself, if a file), sorted, hidden
/// entries skipped, within a depth and count bound.
fn collect(path: &Path, out: &mut Vec<PathBuf>, set: &mut PolicySet, depth: usize) {
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.is_file() {
        if out.len() < MAX_POLICY_FILES {
            out.push(path.to_path_buf());
        }
        return;
    }
    if !meta.is_dir() || depth > 32 {
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) => {
            set.problems.push(Problem {
                origin: Origin::File(path.to_path_buf()),
                span: None,
                message: format!("cannot read the policy folder: {e}"),
                severity: Severity::Error,
                syntax: false,
            });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for c in children {
        let name = c.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.starts_with('.') {
            continue;
        }
        let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
        if c.is_dir() {
            collect(&c, out, set, depth + 1);
        } else if yaml && out.len() < MAX_POLICY_FILES {
            out.push(c);
        }
    }
}

/// A finding for each policy problem, at its place in its file (a file the
/// walk did not list is added to the file table). Built-in policies have
/// none (a test says so).
pub(super) fn problems(
    set: &mut PolicySet,
    cfg: &Config,
    files: &mut Vec<FileEntry>,
    cwd: &Path,
    findings: &mut Vec<Finding>,
) {
    evaluation_errors(set, findings, files);
    for p in std::mem::take(&mut set.problems) {
        let Origin::File(path) = &p.origin else {
            continue;
        };
        let meta = match p.severity {
            Severity::Error | Severity::Warning => &InvalidPolicy::META,
            _ => &PolicyNotRun::META,
        };
        if cfg.level(meta) == Level::Off {
            continue;
        }
        let shown = display_path(path, cwd);
        let listed = files.iter().position(|f| f.path == shown);
        // A linted policy file's syntax errors are `invalid-yaml` already.
        if p.syntax && listed.is_some() {
            continue;
        }
        let id = match listed {
            Some(i) => i as FileId,
            None => {
                files.push(FileEntry {
                    path: shown,
                    fs_path: path.clone(),
                    kind: FileKind::Manifest,
                    text: None,
                    error: None,
                    outside: None,
                    focus: true,
                    explicit: true,
                });
                (files.len() - 1) as FileId
            }
        };
        let at = Location {
            file: id,
            span: p.span.unwrap_or_default(),
        };
        let help = match p.severity {
            Severity::Error => "fix the policy; every other policy still runs",
            Severity::Warning => "the policy fails to evaluate where a field it reads is absent or of another type: guard it (`has()`, `?.`, `orValue`)",
            _ => "nothing to do unless you expected this rule to run",
        };
        let f = Finding::new(meta, at, p.message).help(help);
        findings.push(match p.severity {
            Severity::Warning => f.severity(Severity::Warning),
            _ => f,
        });
    }
}

/// A problem, at the rule in its policy file, for each rule of a user's
/// policy that errored on some object (the objects keep their info
/// finding): a broken policy is fixed in the policy.
fn evaluation_errors(set: &mut PolicySet, findings: &[Finding], files: &[FileEntry]) {
    let mut errored: BTreeMap<&str, (usize, &Finding)> = BTreeMap::new();
    for f in findings {
        if f.help.as_ref().is_some_and(|h| h.as_ref() == UNDECIDED) && f.rule.contains('/') {
            errored.entry(f.rule).or_insert((0, f)).0 += 1;
        }
    }
    for (id, (n, first)) in errored {
        let Some((origin @ Origin::File(_), at)) = set.rule_site(id) else {
            continue;
        };
        let origin = origin.clone();
        let path = files
            .get(first.primary.file as usize)
            .map_or("?", |e| e.path.as_str());
        let objects = if n == 1 { "object" } else { "objects" };
        set.problems.push(Problem {
            origin,
            span: Some(at),
            message: format!(
                "rule `{id}` errored on {n} {objects} (the first in {path}): {}",
                first
                    .message
                    .strip_prefix(UNDECIDED_PREFIX)
                    .unwrap_or(&first.message)
            ),
            severity: Severity::Warning,
            syntax: false,
        });
    }
}
