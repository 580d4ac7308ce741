//! The GitHub Action (`action.yml`), its scripts, the example workflow
//! (`docs/examples/shipshape-check.yml`) and the release workflow
//! (`.github/workflows/release.yml`): structure, pinning and injection rules
//! checked here; SchemaStore's schemas (through check-jsonschema) and zizmor
//! from PyPI when they can be installed; and shipshape itself finds nothing
//! in any of them. The workflows cannot run here: what a runner does with
//! them is not tested.

mod support;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::*;

const ACTION: &str = "action.yml";
const RELEASE: &str = ".github/workflows/release.yml";
const EXAMPLE: &str = "docs/examples/shipshape-check.yml";
const CHECK_JSONSCHEMA: &str = "check-jsonschema==0.39.0";
const ZIZMOR: &str = "zizmor==1.32.0";

fn load(rel: &str) -> Value {
    yaml_file(&root().join(rel))
}

/// Every `${{ ... }}` expression in a string.
fn expressions(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("${{") {
        let after = &rest[i + 3..];
        let end = after.find("}}").expect("unterminated expression");
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

/// Every string in a JSON tree; an `if:` condition, an expression without
/// `${{ }}`, is given with them.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            out.push(k.clone());
            match x.as_str() {
                Some(cond) if k == "if" && !cond.contains("${{") => {
                    out.push(format!("${{{{ {cond} }}}}"))
                }
                _ => strings(x, out),
            }
        }),
        _ => {}
    }
}

/// Identifiers after `prefix` in expressions (`inputs.`, `steps.`).
fn referenced(v: &Value, prefix: &str) -> BTreeSet<String> {
    let mut all = Vec::new();
    strings(v, &mut all);
    let mut names = BTreeSet::new();
    for s in &all {
        for e in expressions(s) {
            let mut rest = e;
            while let Some(i) = rest.find(prefix) {
                let boundary = i == 0 || !rest.as_bytes()[i - 1].is_ascii_alphanumeric();
                let tail = &rest[i + prefix.len()..];
                let name: String = tail
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                if boundary && !name.is_empty() {
                    names.insert(name.clone());
                }
                rest = &tail[name.len()..];
            }
        }
    }
    names
}

/// The steps of an action, or of every job of a workflow.
fn steps(doc: &Value) -> Vec<&Value> {
    if let Some(s) = doc["runs"]["steps"].as_array() {
        return s.iter().collect();
    }
    doc["jobs"]
        .as_object()
        .expect("jobs")
        .values()
        .flat_map(|j| j["steps"].as_array().expect("steps"))
        .collect()
}

/// `uses:` is pinned to a full commit id (a local `./` action needs none).
fn check_pinned_and_no_expression_in_run(rel: &str, doc: &Value) {
    for step in steps(doc) {
        if let Some(uses) = step["uses"].as_str() {
            if uses.starts_with("./") {
                continue;
            }
            let (_, rev) = uses.split_once('@').unwrap_or((uses, ""));
            assert!(
                rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()),
                "{rel}: `uses: {uses}` is not pinned to a full commit id"
            );
        }
        if let Some(run) = step["run"].as_str() {
            // Values reach scripts through `env:`; an expression in the script
            // text would be spliced in before the shell parses it.
            assert!(
                expressions(run).is_empty(),
                "{rel}: `${{{{ }}}}` inside `run:` {run:?}"
            );
        }
    }
}

#[test]
fn action_is_a_valid_composite_action() {
    let a = load(ACTION);
    assert_eq!(a["name"], "shipshape");
    assert!(a["description"].as_str().is_some_and(|d| d.len() > 40));
    assert_eq!(a["runs"]["using"], "composite");
    for step in steps(&a) {
        if step.get("run").is_some() {
            assert!(
                step["shell"].is_string(),
                "a `run:` step without `shell:`: {step}"
            );
        }
        assert!(
            step.get("run").is_some() != step.get("uses").is_some(),
            "a step has exactly one of run and uses: {step}"
        );
    }
    let declared: BTreeSet<String> = a["inputs"]
        .as_object()
        .expect("inputs")
        .keys()
        .cloned()
        .collect();
    for name in [
        "paths",
        "config",
        "format",
        "fail-on",
        "upload-sarif",
        "version",
    ] {
        assert!(declared.contains(name), "input {name} is missing");
        assert!(
            a["inputs"][name]["description"].is_string(),
            "input {name} has no description"
        );
    }
    // Every input used is declared, and every input declared is used.
    let used = referenced(&a, "inputs.");
    assert_eq!(used, declared);
    let ids: BTreeSet<String> = steps(&a)
        .iter()
        .filter_map(|s| s["id"].as_str().map(String::from))
        .collect();
    let refs = referenced(&a, "steps.");
    assert!(
        refs.is_subset(&ids),
        "unknown step ids: {:?}",
        refs.difference(&ids)
    );
    check_pinned_and_no_expression_in_run(ACTION, &a);
    // The scripts the steps run are in the repository.
    let mut all = Vec::new();
    strings(&a, &mut all);
    for s in all
        .iter()
        .filter(|s| s.contains("$GITHUB_ACTION_PATH/scripts/"))
    {
        let rel = s.split("$GITHUB_ACTION_PATH/").nth(1).unwrap();
        let rel = rel.split('"').next().unwrap();
        assert!(root().join(rel).is_file(), "{rel} is missing");
    }
}

#[test]
fn workflows_are_pinned_least_privileged_and_injection_free() {
    for rel in [RELEASE, EXAMPLE] {
        let w = load(rel);
        assert!(w["on"].is_object(), "{rel}: on");
        assert_eq!(
            w["permissions"],
            serde_json::json!({}),
            "{rel}: top-level permissions"
        );
        for (name, job) in w["jobs"].as_object().unwrap() {
            let perms = job["permissions"]
                .as_object()
                .unwrap_or_else(|| panic!("{rel}: job {name} states no permissions"));
            let oidc = perms.get("id-token").and_then(Value::as_str) == Some("write");
            assert!(
                !oidc || (rel == RELEASE && name == "pypi"),
                "{rel}: job {name} can mint OIDC tokens"
            );
            assert!(
                perms.values().all(|v| v == "read" || v == "write"),
                "{rel}: job {name}: {perms:?}"
            );
        }
        check_pinned_and_no_expression_in_run(rel, &w);
    }
    let release = load(RELEASE);
    assert_eq!(release["on"]["push"]["tags"], serde_json::json!(["v*"]));
    assert_eq!(
        release["jobs"]["pypi"]["permissions"],
        serde_json::json!({"id-token": "write"})
    );
    let targets: Vec<&str> = release["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["target"].as_str().unwrap())
        .collect();
    for t in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ] {
        assert!(targets.contains(&t), "release builds no {t}");
    }
    let example = load(EXAMPLE);
    let job = &example["jobs"]["shipshape"];
    assert_eq!(job["permissions"]["security-events"], "write");
    assert_eq!(job["permissions"]["contents"], "read");
    assert!(example["on"].get("pull_request").is_some());
}

/// A directory holding `files` (repository path → source path) as a repository.
fn scratch_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join(".git")).unwrap();
    for (to, from) in files {
        let p = d.path().join(to);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::copy(root().join(from), p).unwrap();
    }
    d
}

fn shipshape_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(dir)
        .env("SHIPSHAPE_CACHE_DIR", test_cache())
        .args(["check", "--format", "json", "--fail-on", "info"])
        .args(args)
        .output()
        .unwrap();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    (v, out.status.code().unwrap_or(-1))
}

#[test]
fn shipshape_finds_nothing_in_its_own_action_and_workflows() {
    // Where they live in this repository and where a user puts them.
    let d = scratch_repo(&[
        ("action.yml", ACTION),
        (".github/workflows/release.yml", RELEASE),
        (".github/workflows/shipshape.yml", EXAMPLE),
        (".pre-commit-hooks.yaml", ".pre-commit-hooks.yaml"),
    ]);
    for args in [&["--no-config"][..], &[][..]] {
        let (v, code) = shipshape_json(d.path(), args);
        assert_eq!(v["findings"], serde_json::json!([]), "{args:?}");
        assert_eq!(code, 0);
        assert_eq!(v["summary"]["files"], 4, "{v}");
    }
    // In place, as the files are named (the whole repository is indexed).
    let (v, code) = shipshape_json(&root(), &["--no-config", ACTION, RELEASE, EXAMPLE]);
    assert_eq!(v["findings"], serde_json::json!([]));
    assert_eq!(code, 0);
}

/// Runs `scripts/action/check.sh` as the action does, with `env`.
fn check_sh(dir: &Path, env: &[(&str, &str)]) -> (std::process::Output, String) {
    let output = dir.join("github-output");
    let _ = fs::remove_file(&output);
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/action/check.sh"))
        .current_dir(dir)
        .env("SHIPSHAPE", env!("CARGO_BIN_EXE_shipshape"))
        .env("GITHUB_OUTPUT", &output)
        .env("SHIPSHAPE_CACHE_DIR", test_cache())
        .env("NO_COLOR", "1");
    for k in [
        "INPUT_PATHS",
        "INPUT_CONFIG",
        "INPUT_FORMAT",
        "INPUT_FAIL_ON",
        "SHIPSHAPE_OUTPUT",
    ] {
        c.env_remove(k);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    let out = run(&mut c);
    (out, fs::read_to_string(&output).unwrap_or_default())
}

#[cfg(unix)]
#[test]
fn the_action_check_script_passes_inputs_as_arguments() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fs::create_dir_all(dir.join("k8s")).unwrap();
    fs::create_dir_all(dir.join("more")).unwrap();
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: nginx:latest\n  selector: {matchLabels: {app: web}}\n";
    fs::write(dir.join("k8s/web.yaml"), deploy).unwrap();
    fs::write(dir.join("more/web.yaml"), deploy).unwrap();
    fs::write(dir.join("clean.yaml"), "a: 1\n").unwrap();

    // Defaults: the whole directory, errors fail; `auto` is `github` when the
    // binary has it and `human` otherwise.
    let (out, _) = check_sh(dir, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let empty = tempfile::tempdir().unwrap();
    let has_github = Command::new(env!("CARGO_BIN_EXE_shipshape"))
        .current_dir(empty.path())
        .args(["check", "--no-config", "--format", "github"])
        .args(["--stdin-filename", "probe.yaml", "-"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .status
        .success();
    let stdout = String::from_utf8_lossy(&out.stdout);
    if has_github {
        assert!(stdout.contains("::error"), "{stdout}");
    } else {
        assert!(stdout.contains("error[unpinned-image]"), "{stdout}");
    }
    assert!(stdout.contains("more/web.yaml"), "{stdout}");

    // Paths split on spaces and newlines, and nothing else.
    let (out, _) = check_sh(
        dir,
        &[
            ("INPUT_PATHS", "clean.yaml\n k8s/web.yaml"),
            ("INPUT_FORMAT", "json"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["summary"]["files"], 2);
    let (out, _) = check_sh(dir, &[("INPUT_PATHS", "*.yaml $(touch pwned)")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!dir.join("pwned").exists());
    // A path that looks like an option is a path.
    let (out, _) = check_sh(dir, &[("INPUT_PATHS", "--no-config")]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--no-config"), "{}", text(&out));

    // fail-on and config.
    let (out, _) = check_sh(dir, &[("INPUT_PATHS", "k8s"), ("INPUT_FAIL_ON", "never")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    fs::write(
        dir.join("quiet.yaml"),
        "rules:\n  unpinned-image: off\n  untrusted-registry: off\n  missing-pull-secret: off\n",
    )
    .unwrap();
    let (out, _) = check_sh(
        dir,
        &[("INPUT_PATHS", "k8s"), ("INPUT_CONFIG", "quiet.yaml")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for (k, v) in [
        ("INPUT_FAIL_ON", "sometimes"),
        ("INPUT_FORMAT", "yaml; rm -rf /"),
    ] {
        let (out, _) = check_sh(dir, &[(k, v)]);
        assert_eq!(out.status.code(), Some(2), "{k}");
        assert!(!text(&out).contains(v), "the bad value is not echoed");
    }

    // SHIPSHAPE_OUTPUT: the report goes to the file, named as the step output.
    let report = dir.join("report.json");
    let (out, github_output) = check_sh(
        dir,
        &[
            ("INPUT_PATHS", "k8s"),
            ("INPUT_FORMAT", "json"),
            ("INPUT_FAIL_ON", "never"),
            ("SHIPSHAPE_OUTPUT", report.to_str().unwrap()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert!(!v["findings"].as_array().unwrap().is_empty());
    assert_eq!(github_output, format!("file={}\n", report.display()));
}

#[cfg(unix)]
#[test]
fn the_action_cache_key_follows_the_source() {
    let key = |dir: &Path| {
        let out_file = tempfile::NamedTempFile::new().unwrap();
        let out = run(Command::new("bash")
            .arg(root().join("scripts/action/source-key.sh"))
            .env("GITHUB_ACTION_PATH", dir)
            .env("GITHUB_OUTPUT", out_file.path()));
        assert!(out.status.success(), "{}", text(&out));
        fs::read_to_string(out_file.path()).unwrap()
    };
    let a = key(&root());
    assert!(
        a.starts_with("key=") && a.trim_end().len() == 4 + 32,
        "{a:?}"
    );
    assert_eq!(a, key(&root()));
    // A copy of the sources with one byte changed keys differently.
    let d = tempfile::tempdir().unwrap();
    for rel in ["Cargo.toml", "Cargo.lock", "src/main.rs"] {
        let p = d.path().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::copy(root().join(rel), &p).unwrap();
    }
    fs::create_dir(d.path().join("vendor")).unwrap();
    let b = key(d.path());
    fs::write(d.path().join("src/main.rs"), "fn main() {}\n").unwrap();
    assert_ne!(b, key(d.path()));
}

#[cfg(unix)]
#[test]
fn the_action_pypi_install_refuses_a_version_that_is_not_one() {
    for bad in ["", "latest", "1.0 --index-url=http://x", "../1.0"] {
        let d = tempfile::tempdir().unwrap();
        let out = run(Command::new("bash")
            .arg(root().join("scripts/action/install-pypi.sh"))
            .env("SHIPSHAPE_VERSION", bad)
            .env("SHIPSHAPE_HOME", d.path()));
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {}", text(&out));
        assert!(fs::read_dir(d.path()).unwrap().next().is_none(), "{bad:?}");
    }
}

/// A tool from a cached virtualenv: its console script (zizmor is a native
/// binary, which a renamed venv does not break) or `python -m module`.
fn tool(python: &Path, exe: &str) -> PathBuf {
    python.parent().unwrap().join(exe)
}

#[test]
fn schemastore_schemas_accept_the_action_and_workflows() {
    let Some(python) = python_tools("check-jsonschema", &[CHECK_JSONSCHEMA]) else {
        return;
    };
    for (schema, files) in [
        ("vendor.github-actions", &[ACTION][..]),
        ("vendor.github-workflows", &[RELEASE, EXAMPLE][..]),
    ] {
        let out = run(Command::new(&python)
            .current_dir(root())
            .args(["-m", "check_jsonschema", "--builtin-schema", schema])
            .args(files));
        assert!(out.status.success(), "{schema}: {}", text(&out));
    }
}

#[test]
fn zizmor_finds_nothing() {
    let Some(python) = python_tools("zizmor", &[ZIZMOR]) else {
        return;
    };
    let out = run(Command::new(tool(&python, "zizmor"))
        .current_dir(root())
        .args([
            "--offline",
            "--no-progress",
            "--persona",
            "auditor",
            "--min-confidence",
            "low",
        ])
        .args([ACTION, RELEASE, EXAMPLE]));
    assert!(out.status.success(), "{}", text(&out));
}

/// The results cache the tests share, out of the source tree.
fn test_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("results-cache")
}
