//! The PyPI package's definition (`pyproject.toml`, built by maturin). The
//! build itself is `scripts/build-wheel.sh` (a release build: minutes, so not
//! part of `cargo test`); this checks the definition cheaply: it parses (with
//! Python's own `tomllib`), makes a binary wheel, and takes its version from
//! Cargo.toml.

mod support;

use std::process::Command;

use serde_json::{json, Value};
use support::*;

/// A TOML file read by Python's `tomllib` (3.11+), as JSON; `None` (saying
/// so) when no such Python is here.
fn toml(rel: &str) -> Option<Value> {
    let script =
        "import json, sys, tomllib\nprint(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))";
    let out = match Command::new("python3")
        .args(["-c", script])
        .arg(root().join(rel))
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIPPED: python3 cannot be run: {e}");
            return None;
        }
    };
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("No module named 'tomllib'") {
        eprintln!("SKIPPED: python3 is older than 3.11 (no tomllib)");
        return None;
    }
    assert!(out.status.success(), "{rel} does not parse: {err}");
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn pyproject_builds_the_binary_with_maturin_at_cargos_version() {
    let Some(py) = toml("pyproject.toml") else {
        return;
    };
    let cargo = toml("Cargo.toml").unwrap();
    assert_eq!(py["build-system"]["build-backend"], "maturin");
    assert_eq!(py["build-system"]["requires"], json!(["maturin>=1,<2"]));
    assert_eq!(py["tool"]["maturin"]["bindings"], "bin");
    let project = &py["project"];
    // The version is Cargo's: maturin fills it in; none is written here.
    assert_eq!(project["dynamic"], json!(["version"]));
    assert!(project.get("version").is_none());
    assert!(cargo["package"]["version"].is_string());
    // `shipshape` on PyPI is another project; the command is still `shipshape`.
    assert_eq!(project["name"], "shipshape-lint");
    assert_eq!(cargo["package"]["name"], "shipshape");
    assert!(
        project.get("scripts").is_none(),
        "the binary is the command"
    );
    assert_eq!(project["license"], cargo["package"]["license"]);
    assert_eq!(project["description"], cargo["package"]["description"]);
    assert_eq!(project["readme"], "README.md");
    assert!(project["requires-python"].is_string());
    let classifiers = project["classifiers"].as_array().unwrap();
    assert!(classifiers.contains(&json!("Programming Language :: Rust")));
    // PEP 639: a license expression and license classifiers do not mix.
    assert!(!classifiers
        .iter()
        .any(|c| c.as_str().unwrap().starts_with("License ::")));
}

#[cfg(unix)]
#[test]
fn the_scripts_are_executable() {
    use std::os::unix::fs::PermissionsExt;
    for rel in [
        "scripts/build-wheel.sh",
        "scripts/action/check.sh",
        "scripts/action/install-pypi.sh",
        "scripts/action/source-key.sh",
    ] {
        let mode = std::fs::metadata(root().join(rel))
            .unwrap()
            .permissions()
            .mode();
        assert!(mode & 0o111 != 0, "{rel} is not executable");
    }
}
