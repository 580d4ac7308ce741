//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod controls;

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// `../shared/<rel>` when present; tests that need it skip cleanly otherwise.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("..").join("shared").join(rel);
    p.exists().then_some(p)
}

pub fn shipshape() -> Command {
    let mut c = Command::cargo_bin("shipshape").expect("binary");
    c.env("NO_COLOR", "1").env_remove("CLICOLOR_FORCE");
    // One results cache for every test run, out of the source tree: a second
    // `cargo test` then checks every expectation against cached results.
    c.env("SHIPSHAPE_CACHE_DIR", test_cache());
    c
}

/// Writes `rel` under `dir`, making its folders.
pub fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Copies the tree `from` to `to` (made if missing).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// The results cache the tests share, under `target/tmp`.
pub fn test_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("results-cache")
}

/// Runs `shipshape check ARGS` in `dir`.
pub fn check(dir: &Path, args: &[&str]) -> Output {
    shipshape()
        .current_dir(dir)
        .arg("check")
        .args(args)
        .output()
        .expect("run")
}

pub fn json(dir: &Path, args: &[&str]) -> (serde_json::Value, i32) {
    let mut a = vec!["--format", "json"];
    a.extend_from_slice(args);
    let out = check(dir, &a);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (v, out.status.code().unwrap_or(-1))
}

/// (rule, path, line) of every finding.
pub fn triples(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    let mut t: Vec<_> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["start"]["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    t.sort();
    t
}

/// Human output with the timing in the summary line removed.
pub fn scrub(s: &str) -> String {
    s.lines()
        .map(|l| match (l.rfind(") in "), l.ends_with(" ms")) {
            (Some(i), true) => format!("{}) in [TIME] ms", &l[..i]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a program runs here (`PROGRAM --version` succeeds).
pub fn installed(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
