//! `--diff-base REV`: only findings on lines changed since REV are reported,
//! the others are counted; reading git runs nothing from the repository.

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use common::*;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn deployment(name: &str, image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {image}
  selector: {{matchLabels: {{app: web}}}}
"
    )
}

/// A repository whose first commit holds `app.yaml` with one unpinned,
/// untrusted image (two findings at 10:18).
fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    git(d.path(), &["init", "-q", "-b", "main"]);
    fs::write(d.path().join("app.yaml"), deployment("web", "nginx")).unwrap();
    git(d.path(), &["add", "."]);
    git(d.path(), &["commit", "-q", "-m", "base"]);
    d
}

/// (path, line) of each reported finding.
fn lines(v: &Value) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn only_changed_lines_and_new_files_are_reported() {
    let d = repo();
    // Two lines inserted above the old finding (which moves to line 12, but
    // is not changed), a second Deployment appended, and a new file.
    let text = format!(
        "# comment\n# another\n{}---\n{}",
        deployment("web", "nginx"),
        deployment("api", "redis:latest")
    );
    fs::write(d.path().join("app.yaml"), text).unwrap();
    fs::write(d.path().join("new.yaml"), deployment("new", "busybox")).unwrap();
    let (v, code) = json(d.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&v),
        [
            ("app.yaml".to_string(), 24),
            ("app.yaml".to_string(), 24),
            ("new.yaml".to_string(), 10),
            ("new.yaml".to_string(), 10)
        ],
        "{v:#}"
    );
    assert_eq!(v["summary"]["unchanged"], 2);
    // Without the flag, all six; and no `unchanged` field.
    let (all, _) = json(d.path(), &["--no-config", "."]);
    assert_eq!(all["findings"].as_array().unwrap().len(), 6);
    assert!(all["summary"].get("unchanged").is_none());
    // Human output says what it left out.
    let out = check(d.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("; 2 on unchanged lines not shown (--diff-base)"),
        "{text}"
    );
}

#[test]
fn nothing_changed_means_nothing_reported_and_exit_0() {
    let d = repo();
    let (v, code) = json(d.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["summary"]["unchanged"], 2);
    // Named files, as a pre-commit hook names them.
    let (v, code) = json(
        d.path(),
        &["--no-config", "--diff-base", "HEAD", "app.yaml"],
    );
    assert_eq!((code, v["summary"]["unchanged"].as_u64()), (0, Some(2)));
    // A modified image line is reported.
    fs::write(d.path().join("app.yaml"), deployment("web", "nginx:1")).unwrap();
    let (v, _) = json(
        d.path(),
        &["--no-config", "--diff-base", "HEAD", "app.yaml"],
    );
    assert_eq!(lines(&v), [("app.yaml".to_string(), 10)], "{v:#}");
}

#[test]
fn bad_revisions_and_non_repositories_are_usage_errors() {
    let d = repo();
    let out = check(
        d.path(),
        &["--no-config", "--diff-base", "no-such-rev", "."],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`no-such-rev` is not a commit of this repository"),
        "{err}"
    );
    let plain = tempfile::tempdir().unwrap();
    fs::write(plain.path().join("a.yaml"), "a: 1\n").unwrap();
    let out = check(plain.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--diff-base needs a git checkout"), "{err}");
    // An option-looking revision is not taken for an option.
    let out = check(d.path(), &["--no-config", "--diff-base", "--output=x", "."]);
    assert_eq!(out.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn git_runs_nothing_from_the_repository() {
    let d = repo();
    let marker = |n: &str| d.path().join(format!("PWNED-{n}"));
    // Every way a repository's config and attributes can name a command.
    let cmd = |n: &str| format!("touch {}", marker(n).display());
    git(d.path(), &["config", "diff.evil.command", &cmd("diff")]);
    git(
        d.path(),
        &["config", "diff.evil.textconv", &cmd("textconv")],
    );
    git(d.path(), &["config", "filter.evil.clean", &cmd("clean")]);
    git(d.path(), &["config", "filter.evil.smudge", &cmd("smudge")]);
    git(
        d.path(),
        &["config", "filter.evil.process", &cmd("process")],
    );
    git(d.path(), &["config", "core.fsmonitor", &cmd("fsmonitor")]);
    git(d.path(), &["config", "core.pager", &cmd("pager")]);
    fs::write(d.path().join(".gitattributes"), "* diff=evil filter=evil\n").unwrap();
    fs::create_dir_all(d.path().join(".git/hooks")).unwrap();
    for hook in [
        "post-checkout",
        "post-index-change",
        "reference-transaction",
    ] {
        let p = d.path().join(".git/hooks").join(hook);
        fs::write(&p, format!("#!/bin/sh\n{}\n", cmd(hook))).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::write(d.path().join("app.yaml"), deployment("web", "nginx:2")).unwrap();
    let (v, code) = json(d.path(), &["--no-config", "--diff-base", "HEAD", "."]);
    assert_eq!(code, 1);
    assert_eq!(lines(&v), [("app.yaml".to_string(), 10)], "{v:#}");
    let ran: Vec<String> = fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("PWNED"))
        .collect();
    assert!(ran.is_empty(), "git ran repository commands: {ran:?}");
}
