//! Manifest validation end to end: the settings (`schemas.strict`,
//! `schemas.require`, `schemas.paths`), CRDs in the repository (which win
//! over a bundled schema, and only within their own repository), patches,
//! and output that is the same whatever the thread count.

mod common;

use common::*;

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: contoso.azurecr.io/web:1.0.0
          imagePullPolicyy: Always
";

const CONFIG: &str =
    "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\n";

fn schema_findings(v: &serde_json::Value) -> Vec<(String, u64, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "schema-violation")
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["start"]["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn strict_reports_unknown_fields_and_strict_false_allows_them() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".shipshape.yaml", CONFIG);
    write(d.path(), "web.yaml", WEB);
    let (v, code) = json(d.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        schema_findings(&v),
        [(
            "web.yaml".to_string(),
            14,
            "unknown field \"imagePullPolicyy\" in container \"web\"; did you mean \"imagePullPolicy\"?".to_string()
        )]
    );
    write(
        d.path(),
        ".shipshape.yaml",
        &format!("{CONFIG}schemas:\n  strict: false\n"),
    );
    let (v, code) = json(d.path(), &["."]);
    assert_eq!((schema_findings(&v).len(), code), (0, 0), "{v:#}");
}

#[test]
fn require_reports_objects_with_no_schema_and_the_summary_counts_them() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".shipshape.yaml", CONFIG);
    let mystery = "apiVersion: example.net/v1\nkind: Mystery\nmetadata: {name: m}\n";
    write(d.path(), "m.yaml", mystery);
    let (v, code) = json(d.path(), &["."]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["unvalidated"], 1);
    write(
        d.path(),
        ".shipshape.yaml",
        &format!("{CONFIG}schemas:\n  require: true\n"),
    );
    let (v, code) = json(d.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        schema_findings(&v),
        [(
            "m.yaml".to_string(),
            2,
            "no schema for example.net/v1 Mystery".to_string()
        )]
    );
}

/// An Argo CD Application CRD of the repository's own, which allows a field
/// the bundled one does not.
const APP_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: applications.argoproj.io}
spec:
  group: argoproj.io
  names: {kind: Application, plural: applications}
  scope: Namespaced
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                project: {type: string}
                flavour: {type: string}
";

const APP: &str = "apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: a, namespace: argocd}
spec:
  project: default
  flavour: vanilla
";

#[test]
fn a_crd_in_the_repository_wins_over_the_bundled_schema_in_its_repository_only() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".shipshape.yaml", CONFIG);
    // Two repositories in one run: `own` carries the CRD, `other` does not.
    write(d.path(), "own/.git/HEAD", "ref: refs/heads/main\n");
    write(d.path(), "own/crd.yaml", APP_CRD);
    write(d.path(), "own/app.yaml", APP);
    write(d.path(), "other/.git/HEAD", "ref: refs/heads/main\n");
    write(d.path(), "other/app.yaml", APP);
    let (v, _) = json(d.path(), &["own", "other"]);
    let found = schema_findings(&v);
    assert!(
        found.iter().all(|(p, _, _)| p.starts_with("other/")),
        "{found:#?}"
    );
    // The bundled schema judges `other`: `flavour` is unknown there, and
    // `destination` and `source(s)` are missing.
    assert!(
        found
            .iter()
            .any(|(p, l, m)| p == "other/app.yaml" && *l == 6 && m.contains("\"flavour\"")),
        "{found:#?}"
    );
}

#[test]
fn patches_are_fragments_and_a_bad_schema_file_is_reported_where_it_breaks() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        ".shipshape.yaml",
        &format!("{CONFIG}schemas:\n  paths: [extra]\n"),
    );
    write(
        d.path(),
        "base/kustomization.yaml",
        "resources: [web.yaml]\npatches:\n  - path: scale.yaml\n",
    );
    write(
        d.path(),
        "base/web.yaml",
        &WEB.replace("imagePullPolicyy", "imagePullPolicy"),
    );
    write(
        d.path(),
        "base/scale.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n",
    );
    write(
        d.path(),
        "extra/bad.json",
        "{\n  \"type\": \"object\",\n  oops\n}\n",
    );
    let (v, code) = json(d.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(
        schema_findings(&v)
            .iter()
            .map(|(p, l, _)| (p.as_str(), *l))
            .collect::<Vec<_>>(),
        [("extra/bad.json", 3)],
        "{v:#}"
    );
}

#[test]
fn a_broken_crd_is_reported_at_its_schema_and_the_run_goes_on() {
    let d = tempfile::tempdir().unwrap();
    write(d.path(), ".shipshape.yaml", CONFIG);
    let crd = APP_CRD
        .replace("argoproj.io", "example.com")
        .replace("applications.", "widgets.")
        .replace("kind: Application", "kind: Widget")
        .replace(
            "{type: string}\n                flavour",
            "{type: strin}\n                flavour",
        );
    write(d.path(), "crd.yaml", &crd);
    write(
        d.path(),
        "widget.yaml",
        "apiVersion: example.com/v1alpha1\nkind: Widget\nmetadata: {name: w}\nspec: {project: p}\n",
    );
    write(d.path(), "web.yaml", WEB);
    let (v, code) = json(d.path(), &["."]);
    assert_eq!(code, 1);
    let found = schema_findings(&v);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert_eq!(found[0].0, "crd.yaml");
    assert_eq!(found[0].1, 14, "at `openAPIV3Schema:`'s value: {found:#?}");
    assert!(found[0].2.contains("unknown type `strin`"), "{found:#?}");
    // The other file is still validated.
    assert_eq!(found[1].0, "web.yaml");
}

#[test]
fn findings_are_the_same_on_one_thread_and_many() {
    let Some(corpus) = shared("corpus/argoproj__argo-cd") else {
        eprintln!("note: ../shared/corpus is absent; skipping");
        return;
    };
    let one = check(&corpus, &["--format", "json", "--threads", "1", "."]);
    let two = check(&corpus, &["--format", "json", "--threads", "2", "."]);
    let strip = |o: &std::process::Output| {
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["findings"].clone()
    };
    let (a, b) = (strip(&one), strip(&two));
    assert!(a
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "schema-violation"));
    assert_eq!(a, b);
}
