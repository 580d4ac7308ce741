//! In a git checkout, the files git tracks are linted even when an ignore
//! file matches them; untracked ignored files stay skipped. The checkouts
//! here are the tree `tests/support/git-index/make.sh` made its indexes
//! from, laid out again with that index copied to `.git/index`: no git runs
//! (one test also runs the real git, and skips without it).

mod common;

use std::fs;
use std::path::Path;

use common::*;

/// The fixture tree, every candidate file holding broken YAML, so that each
/// file linted says so with an `invalid-yaml` finding on line 1. Untracked:
/// `kustomize/untracked.yaml` and `vendor/untracked.yaml` (ignored), and
/// `notes/later.yaml` in the v2 and SHA-256 indexes (not ignored).
fn checkout(index: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let broken = "a: [\n";
    for path in [
        "app/deployment.yaml",
        "kustomize/kustomization.yaml",
        "kustomize/base/service.yaml",
        "kustomize/overlays/production/a-rather-long-file-name-so-that-prefixes-compress.yaml",
        "kustomize/untracked.yaml",
        "café/configmap.yaml",
        "notes/later.yaml",
        "vendor/untracked.yaml",
    ] {
        write(d.path(), path, broken);
    }
    write(d.path(), ".gitignore", "kustomize\nvendor/\n*.log\n");
    write(d.path(), "kustomize/README.md", "# notes\n");
    write(d.path(), "scripts/run.sh", "#!/bin/sh\n");
    write(d.path(), "vendor/chart/Chart.yaml", "apiVersion: v2\n");
    write(
        d.path(),
        "vendor/chart/templates/deployment.yaml",
        "a: {{ .Values.x }}-y\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("app/deployment.yaml", d.path().join("link.yaml")).unwrap();
    let git = d.path().join(".git");
    fs::create_dir(&git).unwrap();
    fs::copy(
        root().join("tests/support/git-index").join(index),
        git.join("index"),
    )
    .unwrap();
    d
}

/// The files linted (each has its `invalid-yaml` finding), and the other findings.
fn linted(
    dir: &Path,
    args: &[&str],
) -> (Vec<String>, Vec<(String, String, u64)>, serde_json::Value) {
    let mut a = vec!["--no-config"];
    a.extend_from_slice(args);
    let (v, _) = json(dir, &a);
    let (invalid, other): (Vec<_>, Vec<_>) =
        triples(&v).into_iter().partition(|t| t.0 == "invalid-yaml");
    (invalid.into_iter().map(|t| t.1).collect(), other, v)
}

/// What the fixture indexes track that is a candidate, plus the untracked
/// `notes/later.yaml` (no ignore file matches it).
const TRACKED: &[&str] = &[
    "app/deployment.yaml",
    "café/configmap.yaml",
    "kustomize/base/service.yaml",
    "kustomize/kustomization.yaml",
    "kustomize/overlays/production/a-rather-long-file-name-so-that-prefixes-compress.yaml",
    "notes/later.yaml",
];

/// What the walk finds without the index.
const UNIGNORED: &[&str] = &[
    "app/deployment.yaml",
    "café/configmap.yaml",
    "notes/later.yaml",
];

#[test]
fn tracked_files_an_ignore_file_matches_are_linted() {
    for index in ["v2.index", "v3.index", "v4.index", "sha256.index"] {
        let d = checkout(index);
        let (files, other, v) = linted(d.path(), &[]);
        assert_eq!(files, TRACKED, "{index}");
        assert_eq!(other, vec![], "{index}");
        // The tracked chart under `vendor/` is known as a chart: its
        // template is skipped, its `Chart.yaml` read as a chart's (for
        // values), not as a manifest.
        assert_eq!(v["summary"]["skipped"], 1, "{index}");
        assert_eq!(v["summary"]["files"], TRACKED.len() + 1, "{index}");
    }
}

/// A directory named is walked whatever ignores it (as before); below it,
/// its tracked files are found where an ignore file hides them.
#[test]
fn a_subdirectory_of_a_checkout_gets_its_tracked_files() {
    let d = checkout("v4.index");
    write(d.path(), "kustomize/.gitignore", "base/\n");
    write(d.path(), "kustomize/base/untracked.yaml", "a: [\n");
    let (files, _, _) = linted(d.path(), &["kustomize"]);
    assert_eq!(
        files,
        [&TRACKED[2..5], &["kustomize/untracked.yaml"]].concat()
    );
    let (files, _, _) = linted(&d.path().join("kustomize"), &["."]);
    assert_eq!(
        files,
        [
            "base/service.yaml",
            "kustomization.yaml",
            "overlays/production/a-rather-long-file-name-so-that-prefixes-compress.yaml",
            "untracked.yaml"
        ]
    );
}

#[test]
fn exclude_globs_still_leave_tracked_files_out() {
    let d = checkout("v2.index");
    write(
        d.path(),
        ".shipshape.yaml",
        "exclude: [\"kustomize/overlays/**\", \"kustomize/base/service.yaml\"]\n",
    );
    let (v, _) = json(d.path(), &[]);
    let files: Vec<String> = triples(&v).into_iter().map(|t| t.1).collect();
    assert_eq!(
        files,
        [
            "app/deployment.yaml",
            "café/configmap.yaml",
            "kustomize/kustomization.yaml",
            "notes/later.yaml"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_tracked_path_through_a_symbolic_link_is_not_followed() {
    let d = checkout("v2.index");
    let elsewhere = tempfile::tempdir().unwrap();
    write(elsewhere.path(), "service.yaml", "a: [\n");
    fs::remove_dir_all(d.path().join("kustomize/base")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), d.path().join("kustomize/base")).unwrap();
    let (files, _, _) = linted(d.path(), &[]);
    assert!(
        !files.contains(&"kustomize/base/service.yaml".to_string()),
        "{files:?}"
    );
    assert!(files.contains(&"kustomize/kustomization.yaml".to_string()));
}

#[test]
fn a_dot_git_file_is_followed_to_its_git_directory() {
    let d = checkout("v4.index");
    fs::rename(d.path().join(".git"), d.path().join("gitdir")).unwrap();
    fs::write(d.path().join(".git"), "gitdir: gitdir\n").unwrap();
    let (files, other, _) = linted(d.path(), &[]);
    assert_eq!(files, TRACKED);
    assert_eq!(other, vec![]);
}

/// Without a readable index, today's walk: ignored files are skipped, and
/// an info says why, never failing the run on its own.
#[test]
fn an_unreadable_index_falls_back_to_the_walk_with_an_info() {
    let truncated = {
        let d = checkout("v2.index");
        let index = d.path().join(".git/index");
        let bytes = fs::read(&index).unwrap();
        fs::write(&index, &bytes[..bytes.len() / 2]).unwrap();
        (d, "it is truncated")
    };
    let split = (checkout("split.index"), "it is a split index");
    let garbage = {
        let d = checkout("v2.index");
        fs::write(d.path().join(".git/index"), "not an index at all").unwrap();
        (d, "it is not a git index")
    };
    for (d, why) in [truncated, split, garbage] {
        let (files, other, v) = linted(d.path(), &[]);
        assert_eq!(files, UNIGNORED, "{why}");
        assert_eq!(
            other,
            vec![("git-index-unreadable".into(), ".git/index".into(), 1)]
        );
        let info = &v["findings"].as_array().unwrap()[0];
        assert_eq!(info["severity"], "info");
        let message = info["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("git index not read: {why}")),
            "{message}"
        );
        // The info alone fails nothing; `rules:` turns it off.
        fs::remove_dir_all(d.path().join("app")).unwrap();
        fs::remove_dir_all(d.path().join("café")).unwrap();
        fs::remove_dir_all(d.path().join("notes")).unwrap();
        let out = check(d.path(), &["--no-config"]);
        assert_eq!(out.status.code(), Some(0), "{why}");
        write(
            d.path(),
            ".shipshape.yaml",
            "rules:\n  git-index-unreadable: off\n",
        );
        let (v, code) = json(d.path(), &[]);
        assert_eq!((triples(&v), code), (vec![], 0));
    }
    // A `.git` file naming nothing: the note is about it.
    let d = checkout("v2.index");
    fs::remove_dir_all(d.path().join(".git")).unwrap();
    fs::write(d.path().join(".git"), "gitdir: /no/such/dir\n").unwrap();
    let (files, other, _) = linted(d.path(), &[]);
    assert_eq!(files, UNIGNORED);
    assert_eq!(
        other,
        vec![("git-index-unreadable".into(), ".git".into(), 1)]
    );
}

#[test]
fn no_index_yet_is_no_problem() {
    let d = checkout("v2.index");
    fs::remove_file(d.path().join(".git/index")).unwrap();
    let (files, other, _) = linted(d.path(), &[]);
    assert_eq!(files, UNIGNORED);
    assert_eq!(other, vec![]);
}

/// The index git writes today, when git is here (skipped without it).
#[test]
fn the_index_of_the_git_at_hand_is_read() {
    let git = |dir: &Path, args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(dir)
            .args(["-c", "core.hooksPath=/dev/null"])
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let d = checkout("v2.index");
    fs::remove_dir_all(d.path().join(".git")).unwrap();
    if !installed("git") {
        eprintln!("skipped: git is not installed");
        return;
    }
    assert!(git(d.path(), &["init", "-q"]));
    for version in ["2", "4"] {
        assert!(git(d.path(), &["add", "."]));
        assert!(git(
            d.path(),
            &[
                "add",
                "-f",
                "kustomize/kustomization.yaml",
                "kustomize/base"
            ]
        ));
        assert!(git(d.path(), &["update-index", "--index-version", version]));
        let (files, other, _) = linted(d.path(), &[]);
        assert_eq!(
            files,
            [
                "app/deployment.yaml",
                "café/configmap.yaml",
                "kustomize/base/service.yaml",
                "kustomize/kustomization.yaml",
                "notes/later.yaml"
            ],
            "index version {version}"
        );
        assert_eq!(other, vec![]);
    }
}
