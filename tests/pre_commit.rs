//! The pre-commit hook (`.pre-commit-hooks.yaml`) run for real: pre-commit
//! from PyPI installs this repository's hook (`language: rust`, so it
//! `cargo install`s it), `pre-commit install` puts it in a scratch repository,
//! and `git commit` runs it.
//!
//! **Which revision is installed.** Not HEAD: a test of HEAD passes while the
//! working tree's hook or code is broken, and every commit would rebuild it.
//! Nor `pre-commit try-repo`, which cannot be `pre-commit install`ed and
//! builds into a throwaway store every run. The test snapshots the working
//! tree (tracked and untracked files, `.gitignore` honoured, uncommitted
//! changes included, as try-repo does) minus what `cargo install` never reads
//! (tests, fixtures, docs, benchmarks, fuzzing, CI files), commits it in a
//! cache directory with a fixed author and date, and names that commit as
//! `rev:`. The commit id is a function of the content, so pre-commit's store
//! (kept under `$CARGO_TARGET_TMPDIR`) reuses the built hook until the code
//! changes, and the build's own target directory is kept too, so a change
//! rebuilds only this crate. In CI (a fresh clone) the snapshot is HEAD's tree.
//!
//! First run on a fresh machine: installing pre-commit (~15 s) and a release
//! build of shipshape (minutes on two cores); later runs: a few seconds.
//! Skips (saying so) when pre-commit cannot be installed from PyPI.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use support::*;

const PRE_COMMIT: &str = "pre-commit==4.7.0";

/// Top-level entries of the repository that `cargo install` never reads.
const NOT_BUILT: &[&str] = &[
    ".ci",
    ".github",
    "bench",
    "docs",
    "fixtures",
    "fuzz",
    "scripts",
    "tests",
    "action.yml",
];

/// `git` with no system or global configuration (no hooksPath, signing or
/// templates of the machine's), whatever repository the test runs inside.
fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "shipshape tests")
        .env("GIT_AUTHOR_EMAIL", "tests@shipshape.invalid")
        .env("GIT_COMMITTER_NAME", "shipshape tests")
        .env("GIT_COMMITTER_EMAIL", "tests@shipshape.invalid")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY");
    c
}

fn ok(out: Output, what: &str) -> Output {
    assert!(out.status.success(), "{what} failed:\n{}", text(&out));
    out
}

fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = ok(run(git(dir).args(args)), &format!("git {}", args.join(" ")));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The working tree as a commit whose id depends only on the content (see
/// the module doc): `(repository, commit id)`.
fn hook_source() -> Option<(PathBuf, String)> {
    let files = run(git(&root()).args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]));
    if !files.status.success() {
        eprintln!(
            "SKIPPED: {} is not a git checkout: {}",
            root().display(),
            text(&files)
        );
        return None;
    }
    let sources = cache_dir().join("pre-commit").join("sources");
    let tmp = sources.join(format!("tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).unwrap();
    for rel in String::from_utf8(files.stdout).unwrap().split('\0') {
        let top = rel.split('/').next().unwrap_or("");
        if rel.is_empty()
            || NOT_BUILT.contains(&top)
            || (!rel.contains('/') && rel.ends_with(".md"))
        {
            continue;
        }
        let from = root().join(rel);
        let Ok(meta) = fs::symlink_metadata(&from) else {
            continue; // deleted in the working tree
        };
        let to = tmp.join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        if meta.file_type().is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(fs::read_link(&from).unwrap(), &to).unwrap();
        } else {
            fs::copy(&from, &to).unwrap();
        }
    }
    git_ok(&tmp, &["init", "-q"]);
    git_ok(&tmp, &["add", "-A"]);
    let commit = git(&tmp)
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .args(["commit", "-q", "--no-verify", "-m", "shipshape hook source"])
        .output()
        .unwrap();
    ok(commit, "committing the hook source");
    let id = git_ok(&tmp, &["rev-parse", "HEAD"]);
    let dir = sources.join(&id);
    if dir.exists() || fs::rename(&tmp, &dir).is_err() {
        fs::remove_dir_all(&tmp).unwrap();
    }
    Some((dir, id))
}

struct PreCommit {
    python: PathBuf,
    home: PathBuf,
    cargo_target: PathBuf,
}

impl PreCommit {
    /// An environment in which pre-commit, and git's hook, use the cached store.
    fn env(&self, c: &mut Command) {
        c.env("PRE_COMMIT_HOME", &self.home)
            .env("PRE_COMMIT_COLOR", "never")
            .env("CARGO_TARGET_DIR", &self.cargo_target)
            .env("NO_COLOR", "1");
    }
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        let mut c = Command::new(&self.python);
        c.current_dir(dir).args(["-m", "pre_commit"]).args(args);
        copy_git_env(&mut c);
        self.env(&mut c);
        run(&mut c)
    }
    fn commit(&self, dir: &Path, message: &str) -> Output {
        let mut c = git(dir);
        c.args(["commit", "-m", message]);
        self.env(&mut c);
        run(&mut c)
    }
}

/// The hermetic git environment of [`git`], for a process that runs git.
fn copy_git_env(c: &mut Command) {
    let g = git(Path::new("."));
    for (k, v) in g.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn deployment(name: &str, image: &str, pull_secret: Option<&str>) -> String {
    let mut lines = vec![
        "apiVersion: apps/v1".to_string(),
        "kind: Deployment".into(),
        "metadata:".into(),
        format!("  name: {name}"),
        "  namespace: shop".into(),
        "spec:".into(),
        "  selector:".into(),
        "    matchLabels:".into(),
        format!("      app: {name}"),
        "  template:".into(),
        "    metadata:".into(),
        "      labels:".into(),
        format!("        app: {name}"),
        "    spec:".into(),
        "      containers:".into(),
        format!("        - name: {name}"),
        format!("          image: {image}"),
    ];
    if let Some(s) = pull_secret {
        lines.push("      imagePullSecrets:".into());
        lines.push(format!("        - name: {s}"));
    }
    lines.join("\n") + "\n"
}

const PULL_SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acr-pull\n  namespace: shop\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: e30=\n";

#[test]
fn hook_rejects_violations_passes_clean_commits_and_sees_the_whole_repository() {
    let Some(python) = python_tools("pre-commit", &[PRE_COMMIT]) else {
        return;
    };
    let Some((source, rev)) = hook_source() else {
        return;
    };
    let pc = PreCommit {
        python,
        home: cache_dir().join("pre-commit").join("home"),
        cargo_target: cache_dir().join("pre-commit").join("cargo-target"),
    };
    let version = pc.run(Path::new("."), &["--version"]);
    eprintln!("{}", text(&version).trim());

    let work = tempfile::tempdir().unwrap();
    let repo = work.path();
    git_ok(repo, &["init", "-q"]);
    write(
        repo,
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: shipshape\n",
            source.display()
        ),
    );
    git_ok(repo, &["add", ".pre-commit-config.yaml"]);
    // `install --install-hooks` builds the hook now (cargo install, release)
    // rather than inside the first commit.
    let started = Instant::now();
    ok(
        pc.run(repo, &["install", "--install-hooks"]),
        "pre-commit install --install-hooks",
    );
    eprintln!(
        "pre-commit install --install-hooks (hook source {rev}): {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Hooks built for older snapshots are used by no config that still
    // exists (earlier runs' scratch repositories are gone): drop them. This
    // run's config is in use, so its hook stays for the next run.
    ok(pc.run(repo, &["gc"]), "pre-commit gc");
    let first = pc.commit(repo, "pre-commit configuration");
    assert!(first.status.success(), "{}", text(&first));
    assert!(
        text(&first).contains("shipshape (GitOps guardrails)"),
        "the hook ran on the config file:\n{}",
        text(&first)
    );

    // (a) A violation is rejected, with the rule and the file shown.
    write(
        repo,
        "k8s/web.yaml",
        &deployment("web", "nginx:latest", Some("acr-pull")),
    );
    write(repo, "k8s/pull-secret.yaml", PULL_SECRET);
    git_ok(repo, &["add", "k8s"]);
    let bad = pc.commit(repo, "web on nginx:latest");
    let out = text(&bad);
    assert!(!bad.status.success(), "a violation was committed:\n{out}");
    assert!(out.contains("Failed"), "{out}");
    assert!(out.contains("error[untrusted-registry]"), "{out}");
    assert!(out.contains("error[unpinned-image]"), "{out}");
    assert!(out.contains("k8s/web.yaml:"), "{out}");
    assert!(
        git(repo)
            .args(["rev-parse", "-q", "--verify", "HEAD~1"])
            .output()
            .unwrap()
            .stdout
            .is_empty(),
        "no commit was made"
    );

    // (b) The same files fixed commit cleanly.
    write(
        repo,
        "k8s/web.yaml",
        &deployment("web", "contoso.azurecr.io/web:1.4.2", Some("acr-pull")),
    );
    git_ok(repo, &["add", "k8s"]);
    let good = pc.commit(repo, "web from ACR, pinned");
    assert!(good.status.success(), "{}", text(&good));
    assert!(text(&good).contains("Passed"), "{}", text(&good));

    // A violation committed past the hook stays in the repository; later
    // commits that do not touch it are not blamed for it: only the files
    // pre-commit names are linted.
    write(
        repo,
        "legacy/old.yaml",
        &deployment("old", "nginx:latest", None),
    );
    git_ok(repo, &["add", "legacy"]);
    git_ok(
        repo,
        &["commit", "-q", "--no-verify", "-m", "legacy, unchecked"],
    );

    // (c) pre-commit names only the staged file; its pull secret is defined
    // in an unchanged file it does not name, and shipshape still sees it.
    write(
        repo,
        "k8s/web.yaml",
        &deployment("web", "contoso.azurecr.io/web:1.5.0", Some("acr-pull")),
    );
    // An unstaged edit of the secret's file (the secret renamed away):
    // pre-commit stashes it while the hook runs, so the committed secret is
    // the one shipshape sees.
    write(
        repo,
        "k8s/pull-secret.yaml",
        &PULL_SECRET.replace("acr-pull", "renamed"),
    );
    git_ok(repo, &["add", "k8s/web.yaml"]);
    let subset = pc.commit(repo, "web 1.5.0");
    let out = text(&subset);
    assert!(subset.status.success(), "{out}");
    assert!(out.contains("Passed"), "{out}");
    assert!(!out.contains("unresolved-pull-secret"), "{out}");
    assert!(!out.contains("legacy/old.yaml"), "{out}");

    // ... and the same rule does fire on a subset when the secret is nowhere.
    write(
        repo,
        "k8s/api.yaml",
        &deployment("api", "contoso.azurecr.io/api:2.0.0", Some("api-pull")),
    );
    git_ok(repo, &["add", "k8s/api.yaml"]);
    let missing = pc.commit(repo, "api with a pull secret nobody defines");
    let out = text(&missing);
    assert!(!missing.status.success(), "{out}");
    assert!(out.contains("error[unresolved-pull-secret]"), "{out}");
    assert!(out.contains("k8s/api.yaml:"), "{out}");
    assert!(!out.contains("k8s/web.yaml"), "{out}");
    assert!(!out.contains("legacy/old.yaml"), "{out}");
}

#[test]
fn hook_definition_is_what_pre_commit_needs() {
    let hooks = yaml_file(&root().join(".pre-commit-hooks.yaml"));
    let hooks = hooks.as_array().expect("a list of hooks");
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(h["id"], "shipshape");
    assert_eq!(h["entry"], "shipshape check");
    assert_eq!(h["language"], "rust");
    assert_eq!(h["types_or"], serde_json::json!(["yaml", "json"]));
    assert_eq!(h["require_serial"], true);
    assert_eq!(h["pass_filenames"], true);
    assert!(h["name"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(h["description"].as_str().is_some_and(|s| s.len() > 40));
}
