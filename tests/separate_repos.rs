//! Separate repositories linted together: how one is recognised when
//! another names it (a workflow's checkout, an Argo CD `repoURL`), by its
//! git remotes or, without a git config, by its directory's name.

mod common;

use std::path::Path;

use common::*;

const WORKFLOW: &str = r#"name: Release
on: push
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: |
          docker build . -t contoso.azurecr.io/shop/web:${{ github.sha }}
          docker push contoso.azurecr.io/shop/web:${{ github.sha }}
      - uses: actions/checkout@v4
        with:
          repository: contoso/shop-gitops
          path: gitops
      - run: |
          yq -i '.spec.template.spec.containers[0].image = "contoso.azurecr.io/shop/web:${{ github.sha }}"' gitops/apps/web/deployment.yaml
          sed -i "s|shop/web:.*|shop/web:${{ github.sha }}|" gitops/apps/web/deploy.yaml
"#;

fn deployment(image: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: web\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n        - name: web\n          image: {image}\n"
    )
}

/// The findings of the two rules that read other repositories.
fn ours(v: &serde_json::Value) -> Vec<(String, String, u64)> {
    triples(v)
        .into_iter()
        .filter(|t| t.0 == "workflow-image-mismatch" || t.0 == "operator-namespace")
        .collect()
}

fn findings(dir: &Path, args: &[&str]) -> Vec<(String, String, u64)> {
    let mut a = vec!["--no-config"];
    a.extend_from_slice(args);
    ours(&json(dir, &a).0)
}

fn t(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

#[test]
fn both_folders_named_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "app/.github/workflows/release.yml", WORKFLOW);
    // No marker, no git config: a repository because it is named.
    write(
        root,
        "shop-gitops/apps/web/deployment.yaml",
        &deployment("contoso.azurecr.io/shop/frontend:1.0.0"),
    );
    assert_eq!(
        findings(root, &["app", "shop-gitops"]),
        [
            t(
                "workflow-image-mismatch",
                "app/.github/workflows/release.yml",
                16
            ),
            t(
                "workflow-image-mismatch",
                "app/.github/workflows/release.yml",
                17
            ),
        ]
    );
    // The app alone: the GitOps repository is out of sight, nothing is missing.
    assert_eq!(findings(root, &["app"]), []);
}

#[test]
fn git_remotes_name_the_repositories() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let remote = |url: &str| {
        format!("[core]\n\tbare = false\n[remote \"origin\"]\n\turl = {url}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n")
    };
    write(
        root,
        "web/.git/config",
        &remote("git@github.com:contoso/web.git"),
    );
    write(root, "web/.github/workflows/release.yml", WORKFLOW);
    write(
        root,
        "web/k8s/deployment.yaml",
        &deployment("contoso.azurecr.io/shop/web:1.0.0"),
    );
    // Cloned under another name: found by its remote, not its directory.
    write(
        root,
        "deploy/.git/config",
        &remote("https://github.com/contoso/shop-gitops.git"),
    );
    write(
        root,
        "deploy/apps/web/deployment.yaml",
        &deployment("contoso.azurecr.io/shop/web:1.0.0"),
    );
    // Deploys the web repository's k8s folder into argocd: judged there.
    write(
        root,
        "deploy/argocd/web.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/contoso/web.git\n    path: k8s\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n",
    );
    // Another repository's `apps/web`: not this one's folder of that name.
    write(
        root,
        "deploy/argocd/tools.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: tools\n  namespace: argocd\nspec:\n  project: default\n  source:\n    repoURL: https://github.com/contoso/tools.git\n    path: apps/web\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: argocd\n",
    );
    let (v, _) = json(root, &["--no-config", "."]);
    let got = ours(&v);
    assert_eq!(
        got,
        [
            t("operator-namespace", "deploy/argocd/tools.yaml", 13),
            t("operator-namespace", "deploy/argocd/web.yaml", 13),
            t(
                "workflow-image-mismatch",
                "web/.github/workflows/release.yml",
                17
            ),
        ],
        "{v:#}"
    );
    let messages: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap_or(""))
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`apps/web` of `contoso/tools`, another repository")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`contoso/shop-gitops` has no `apps/web/deploy.yaml`")),
        "{messages:?}"
    );
    // The web repository's `k8s` folder, found through the `repoURL`.
    assert!(
        messages.iter().any(|m| m.starts_with(
            "Application `web` deploys application workloads into the operator namespace"
        )),
        "{messages:?}"
    );
}
