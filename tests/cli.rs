//! End-to-end behaviour of `shipshape check`, `rules` and `rule`.

mod common;

use std::fs;

use common::*;

const UNTAGGED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: web\n          image: contoso.azurecr.io/web\n      imagePullSecrets:\n        - name: acr\n  selector: {matchLabels: {app: web}}\n";
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: acr\n  namespace: shop\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: e30=\n";

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), "k8s/deployment.yaml", UNTAGGED);
    write(d.path(), "k8s/secret.yaml", SECRET);
    d
}

#[test]
fn json_contract_fields_and_positions() {
    let d = repo();
    let (v, code) = json(d.path(), &["--no-config", "."]);
    assert_eq!(code, 1);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "shipshape");
    assert_eq!(v["summary"]["files"], 2);
    assert_eq!(v["summary"]["documents"], 2);
    assert_eq!(v["summary"]["errors"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "unpinned-image");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["path"], "k8s/deployment.yaml");
    assert_eq!(f["start"]["line"], 11);
    assert_eq!(f["start"]["column"], 18);
    let offset = UNTAGGED.find("contoso.azurecr.io/web").unwrap() as u64;
    assert_eq!(f["start"]["offset"], offset);
    assert_eq!(
        f["end"]["offset"],
        offset + "contoso.azurecr.io/web".len() as u64
    );
    assert_eq!(f["object"]["kind"], "Deployment");
    assert_eq!(f["object"]["apiVersion"], "apps/v1");
    assert_eq!(f["object"]["name"], "web");
    assert_eq!(f["object"]["namespace"], "shop");
    assert!(f["help"].as_str().unwrap().contains("pin"));
}

#[test]
fn columns_count_characters_not_bytes() {
    let d = tempfile::tempdir().unwrap();
    let text = UNTAGGED
        .replace("name: web\n          image", "name: wéb\n          image")
        .replace("  name: web\n  namespace", "  name: wébé\n  namespace");
    write(d.path(), "d.yaml", &text);
    let (v, _) = json(d.path(), &["--no-config", "d.yaml"]);
    let f = &v["findings"][0];
    assert_eq!(f["start"]["column"], 18);
    assert_eq!(f["start"]["offset"], text.find("contoso").unwrap() as u64);
}

#[test]
fn exit_codes() {
    // 0: nothing at or above --fail-on.
    let clean = fixture("reference/current-pull-clean");
    assert_eq!(check(&clean, &["."]).status.code(), Some(0));
    // 1: an error finding; and --fail-on never turns it into 0.
    let d = repo();
    assert_eq!(check(d.path(), &["--no-config"]).status.code(), Some(1));
    assert_eq!(
        check(d.path(), &["--no-config", "--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    // 2: a path that cannot be read; the other files are still linted.
    let out = check(
        d.path(),
        &["--no-config", "--format", "json", "k8s", "missing.yaml"],
    );
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"io-error"), "{rules:?}");
    assert!(rules.contains(&"unpinned-image"), "{rules:?}");
    // 2: a usage error.
    assert_eq!(
        check(d.path(), &["--format", "yaml"]).status.code(),
        Some(2)
    );
}

#[test]
fn warnings_fail_only_when_asked() {
    let d = repo();
    write(
        d.path(),
        ".shipshape.yaml",
        "rules:\n  unpinned-image: warning\n",
    );
    assert_eq!(check(d.path(), &[]).status.code(), Some(0));
    assert_eq!(
        check(d.path(), &["--fail-on", "warning"]).status.code(),
        Some(1)
    );
    let (v, _) = json(d.path(), &[]);
    assert_eq!(v["findings"][0]["severity"], "warning");
}

#[test]
fn config_errors_point_into_the_config() {
    let d = repo();
    write(
        d.path(),
        ".shipshape.yaml",
        "mode: sideways\nregistrys:\n  allowed: []\n",
    );
    let out = check(d.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[invalid-config]: mode must be one of auto, push, pull"),
        "{err}"
    );
    assert!(err.contains(".shipshape.yaml:1:7"), "{err}");
    assert!(err.contains("did you mean `registries`?"), "{err}");
    // --no-config ignores it; --config picks another.
    assert_eq!(check(d.path(), &["--no-config"]).status.code(), Some(1));
    write(d.path(), "other.yaml", "rules:\n  unpinned-image: off\n");
    assert_eq!(
        check(d.path(), &["--config", "other.yaml"]).status.code(),
        Some(0)
    );
}

#[test]
fn config_is_found_upwards_and_in_dot_github() {
    let d = repo();
    write(
        d.path(),
        ".github/shipshape.yaml",
        "rules:\n  unpinned-image: off\n",
    );
    assert_eq!(check(&d.path().join("k8s"), &["."]).status.code(), Some(0));
}

#[test]
fn gitignore_and_exclude_are_honoured_but_explicit_files_are_linted() {
    let d = repo();
    write(d.path(), "vendor/x.yaml", UNTAGGED);
    write(d.path(), "build/y.yaml", UNTAGGED);
    write(d.path(), ".gitignore", "build/\n");
    write(d.path(), ".shipshape.yaml", "exclude: [\"vendor/**\"]\n");
    let (v, _) = json(d.path(), &[]);
    let paths: Vec<String> = triples(&v).into_iter().map(|t| t.1).collect();
    assert_eq!(paths, ["k8s/deployment.yaml"]);
    // A named file is linted even if ignored, with the repository as context
    // (its pull secret, defined in k8s/secret.yaml, resolves).
    let (v, _) = json(d.path(), &["build/y.yaml"]);
    assert_eq!(
        triples(&v),
        vec![("unpinned-image".into(), "build/y.yaml".into(), 11)]
    );
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn workflows_in_hidden_github_dir_are_found() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n        run: twice\n");
    let (v, _) = json(d.path(), &["--no-config"]);
    assert_eq!(
        triples(&v),
        vec![("invalid-yaml".into(), ".github/workflows/ci.yml".into(), 7)]
    );
}

#[test]
fn stdin_is_linted_as_the_named_file() {
    let d = repo();
    let out = shipshape()
        .current_dir(d.path())
        .args([
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "k8s/deployment.yaml",
            "-",
        ])
        .write_stdin(UNTAGGED.replace("image: contoso.azurecr.io/web\n", "image: redis\n"))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = triples(&v);
    // The buffer replaces the file on disk; the rest of the repository is indexed
    // (the pull secret in k8s/secret.yaml resolves) but not reported.
    assert_eq!(
        t,
        vec![
            ("unpinned-image".into(), "k8s/deployment.yaml".into(), 11),
            (
                "untrusted-registry".into(),
                "k8s/deployment.yaml".into(),
                11
            )
        ]
    );
    assert_eq!(v["summary"]["files"], 1);
}

#[test]
fn suppressions_and_no_ignore() {
    let d = tempfile::tempdir().unwrap();
    let text = UNTAGGED.replace(
        "          image: contoso.azurecr.io/web\n",
        "          # shipshape: ignore[unpinned-image] built from main nightly, see OPS-1\n          image: contoso.azurecr.io/web\n",
    );
    write(d.path(), "d.yaml", &text);
    write(d.path(), "s.yaml", SECRET);
    let (v, code) = json(d.path(), &["--no-config"]);
    assert_eq!(triples(&v), vec![]);
    assert_eq!(code, 0);
    let (v, code) = json(d.path(), &["--no-config", "--no-ignore"]);
    assert_eq!(
        triples(&v),
        vec![("unpinned-image".into(), "d.yaml".into(), 12)]
    );
    assert_eq!(code, 1);
    // Trailing form, and an unused one.
    let text = UNTAGGED.replace(
        "image: contoso.azurecr.io/web\n",
        "image: contoso.azurecr.io/web # shipshape: ignore[unpinned-image, untrusted-registry] nightly\n",
    );
    write(d.path(), "d.yaml", &text);
    let (v, _) = json(d.path(), &["--no-config"]);
    assert_eq!(
        triples(&v),
        vec![("unused-ignore".into(), "d.yaml".into(), 11)]
    );
    assert_eq!(v["findings"][0]["severity"], "info");
}

#[test]
fn helm_charts_are_skipped_and_counted() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write(
        d.path(),
        "chart/templates/d.yaml",
        "{{- if .Values.x }}\nimage: {{ .Values.image }}\n{{- end }}\n",
    );
    let (v, code) = json(d.path(), &["--no-config"]);
    assert_eq!(triples(&v), vec![]);
    // The template; Chart.yaml is read for the chart's name.
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(code, 0);
}

#[test]
fn rules_catalog_and_rule_docs() {
    let out = shipshape().args(["rules"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for id in [
        "invalid-yaml",
        "unpinned-image",
        "untrusted-registry",
        "missing-pull-secret",
        "unresolved-pull-secret",
        "pull-mode-cluster-credentials",
        "operator-namespace",
        "workflow-image-mismatch",
        "unused-ignore",
    ] {
        assert!(text.contains(id), "{id} missing from `shipshape rules`");
    }
    let out = shipshape()
        .args(["rule", "unpinned-image"])
        .output()
        .unwrap();
    let doc = String::from_utf8_lossy(&out.stdout);
    assert!(doc.starts_with("# unpinned-image\n"));
    assert!(
        doc.contains("## Why")
            && doc.contains("Fails:")
            && doc.contains("Passes:")
            && doc.contains("## Options")
    );
    let out = shipshape()
        .args(["rule", "unpinned-imag"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `unpinned-image`?"));
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let dir = fixture("");
    let one = check(&dir, &["--format", "json", "--threads", "1", "."]).stdout;
    for threads in ["2", "4", "8"] {
        for _ in 0..2 {
            let many = check(&dir, &["--format", "json", "--threads", threads, "."]).stdout;
            assert!(one == many, "JSON output differs with --threads {threads}");
        }
    }
    let human1 = scrub(&String::from_utf8_lossy(
        &check(&dir, &["--threads", "1", "."]).stdout,
    ));
    let human4 = scrub(&String::from_utf8_lossy(
        &check(&dir, &["--threads", "4", "."]).stdout,
    ));
    assert_eq!(human1, human4);
}

#[test]
fn color_is_controlled_by_flag_and_no_color() {
    let d = repo();
    let plain = check(d.path(), &["--no-config"]).stdout;
    assert!(!plain.contains(&0x1b), "NO_COLOR output has escapes");
    let colored = check(d.path(), &["--no-config", "--color", "always"]).stdout;
    assert!(colored.contains(&0x1b), "--color always has no escapes");
}

#[test]
fn explain_mode_prints_the_evidence() {
    let out = check(&fixture("pull-flask-app"), &["--explain-mode", "."]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(".github/workflows/gitops.yml: pull mode"),
        "{err}"
    );
    assert!(
        err.contains("edits the manifest `workloads/flask/deployment.yaml`"),
        "{err}"
    );
    let out = check(&fixture("push-voting-app"), &["--explain-mode", "."]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("deploy.yml: push mode"));
}

#[test]
fn stats_report_phases() {
    let out = check(&fixture("push-voting-app"), &["--stats", "."]);
    let err = String::from_utf8_lossy(&out.stderr);
    for phase in [
        "walk",
        "parse+rules",
        "index",
        "cross-file rules",
        "output",
        "bytes",
    ] {
        assert!(err.contains(phase), "{phase} missing: {err}");
    }
    // Peak memory per phase, where /proc says it (Linux): plausible, and
    // never decreasing from one phase to the next (it is a high-water mark).
    if cfg!(target_os = "linux") {
        let line = err
            .lines()
            .find(|l| l.starts_with("stats: peak memory after "))
            .unwrap_or_else(|| panic!("no peak memory line: {err}"));
        let mibs: Vec<f64> = line
            .split(", ")
            .map(|part| {
                let mib = part.trim_end_matches(" MiB");
                mib.rsplit(' ').next().unwrap().parse::<f64>().unwrap()
            })
            .collect();
        assert_eq!(mibs.len(), 5, "{line}");
        assert!(mibs.windows(2).all(|w| w[0] <= w[1]), "{line}");
        assert!(mibs[0] > 1.0 && mibs[4] < 1024.0, "{line}");
    }
}

#[test]
fn the_corpus_is_linted_without_a_crash() {
    let Some(corpus) = shared("corpus") else {
        eprintln!("skipped: ../shared/corpus is absent");
        return;
    };
    let (v, code) = json(&common::root(), &[corpus.to_str().unwrap()]);
    assert!(code == 0 || code == 1, "exit {code}");
    assert!(
        v["summary"]["files"].as_u64().unwrap() > 10_000,
        "{}",
        v["summary"]
    );
    assert!(v["summary"]["documents"].as_u64().unwrap() > 20_000);
    // The peers' nemeses are all linted and reported like any other file.
    let paths: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["path"].as_str())
        .collect();
    assert!(
        paths
            .iter()
            .any(|p| p.ends_with("err/recursive_anchors.yaml")),
        "recursive anchors not reported"
    );
}

#[test]
fn docs_rules_md_is_generated_from_the_rules() {
    let out = shipshape()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = root().join("docs/rules.md");
    if std::env::var_os("SHIPSHAPE_UPDATE_DOCS").is_some() {
        fs::write(&path, &generated).unwrap();
    }
    let committed = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `SHIPSHAPE_UPDATE_DOCS=1 cargo test --test cli docs_rules`"
    );
}

#[test]
fn go_templates_outside_charts_are_skipped_not_reported() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "gen/services.yaml",
        "{{- range $i := until .Count }}\n- name: svc-{{ $i }}\n  image: redis\n{{- end }}\n",
    );
    write(d.path(), "ok.yaml", "# a value that merely mentions braces is linted as usual\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  tpl: \"{{ .Values.x }}\"\n");
    write(d.path(), "broken.yaml", "a: [1\n");
    let (v, _) = json(d.path(), &["--no-config"]);
    assert_eq!(
        triples(&v),
        vec![("invalid-yaml".into(), "broken.yaml".into(), 2)]
    );
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["summary"]["files"], 2);
}

#[test]
fn output_file_gets_the_report_and_stderr_the_summary() {
    use clap::ValueEnum;
    let d = repo();
    // Every format: a format added later is held to this too.
    for format in shipshape::cli::Format::value_variants() {
        let name = format.to_possible_value().unwrap().get_name().to_string();
        let plain = check(d.path(), &["--no-config", "--format", &name]);
        let to_file = check(
            d.path(),
            &["--no-config", "--format", &name, "--output", "report.out"],
        );
        assert_eq!(to_file.status.code(), plain.status.code(), "{name}");
        assert_eq!(to_file.status.code(), Some(1), "{name}");
        assert!(to_file.stdout.is_empty(), "{name}: stdout not empty");
        let written = fs::read_to_string(d.path().join("report.out")).unwrap();
        assert_eq!(
            scrub(&written),
            scrub(&String::from_utf8_lossy(&plain.stdout)),
            "{name}"
        );
        let err = String::from_utf8_lossy(&to_file.stderr);
        let last = scrub(err.lines().last().unwrap_or(""));
        assert_eq!(
            last, "1 error, 0 warnings in 2 files (2 documents) in [TIME] ms",
            "{name}: {err}"
        );
    }
    // Exit code 0 stays 0; a file has no colours unless asked for.
    let out = shipshape()
        .current_dir(d.path())
        .env("CLICOLOR_FORCE", "1")
        .args(["check", "--no-config", "--fail-on", "never", "-o", "r.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!fs::read(d.path().join("r.txt")).unwrap().contains(&0x1b));
    check(
        d.path(),
        &["--no-config", "--color", "always", "-o", "r.txt"],
    );
    assert!(fs::read(d.path().join("r.txt")).unwrap().contains(&0x1b));
    // A file that cannot be written is an error, said on stderr.
    let out = check(d.path(), &["--no-config", "-o", "no/such/dir/r.txt"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write no/such/dir/r.txt"));
}

/// Past the walk's small-tree limit (2,000 entries) the parallel walker
/// runs: it must find what the single-thread walk finds.
#[test]
fn a_large_tree_walks_in_parallel_to_the_same_files() {
    let d = tempfile::tempdir().unwrap();
    for i in 0..2_200 {
        write(
            d.path(),
            &format!("apps/a{}/cm{i}.yaml", i % 40),
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"),
        );
    }
    write(d.path(), ".gitignore", "ignored/\n");
    write(d.path(), "ignored/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n");
    write(
        d.path(),
        "charts/web/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write(d.path(), "charts/web/templates/d.yaml", "{{ .Values.x }}\n");
    write(d.path(), "apps/a1/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n");
    let one = check(
        d.path(),
        &["--no-config", "--format", "json", "--threads", "1", "."],
    )
    .stdout;
    let many = check(
        d.path(),
        &["--no-config", "--format", "json", "--threads", "4", "."],
    )
    .stdout;
    assert!(one == many, "JSON output differs between the walks");
    let v: serde_json::Value = serde_json::from_slice(&one).unwrap();
    // 2,200 ConfigMaps, the pod and the chart's Chart.yaml; not the ignored pod.
    assert_eq!(v["summary"]["files"], 2_202, "{}", v["summary"]);
    assert_eq!(v["summary"]["skipped"], 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 2, "{v}");
}
