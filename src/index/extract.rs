//! The facts of one Kubernetes object or kustomization, taken in the
//! parallel pass: names, images, pull secrets, what it provides. Argo CD and
//! Flux objects' facts are `gitops`'s, monitoring objects' `monitoring`'s.

use super::{KustomizationFacts, ObjectExtra, ObjectFacts};
use crate::finding::FileId;
use crate::model::k8s::{containers_of, Object};
use crate::model::kustomize::ImageOverride;
use crate::yaml::{unquoted_span, NodeRef, Spanned};

fn names_of(list: Option<NodeRef>) -> Vec<Spanned> {
    list.map(|l| {
        l.items()
            .filter_map(|i| i.get("name").and_then(Spanned::of))
            .collect()
    })
    .unwrap_or_default()
}

pub const DOCKER_SECRET_TYPES: [&str; 2] =
    ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];

/// Extracts the facts of one Kubernetes object.
pub fn object(file: FileId, obj: &Object) -> ObjectFacts {
    let n = obj.node;
    let mut f = ObjectFacts {
        file,
        api_version: obj.api_version.to_string(),
        kind: obj.kind.to_string(),
        name: n.path(&["metadata", "name"]).and_then(Spanned::of),
        namespace: obj.namespace_node().and_then(Spanned::of),
        kind_span: n.get("kind").map(unquoted_span).unwrap_or_default(),
        ..Default::default()
    };
    let mut x = ObjectExtra {
        part_of: n
            .path(&["metadata", "labels", "app.kubernetes.io/part-of"])
            .and_then(|v| v.as_str())
            .map(str::to_string),
        instance: n
            .path(&["metadata", "labels", "app.kubernetes.io/instance"])
            .and_then(|v| v.as_str())
            .map(str::to_string),
        argocd_secret_type: n
            .path(&["metadata", "labels", "argocd.argoproj.io/secret-type"])
            .is_some(),
        ..Default::default()
    };
    if let Some(pod) = obj.pod_spec() {
        f.has_pod = true;
        for c in containers_of(pod) {
            if let Some(img) = c.image.and_then(Spanned::of) {
                f.images.push(img);
            }
        }
        f.pull_secrets = names_of(pod.get("imagePullSecrets"));
        f.service_account = pod
            .get("serviceAccountName")
            .or_else(|| pod.get("serviceAccount"))
            .and_then(|s| s.as_string())
            .map(str::to_string);
    }
    let group = obj.group();
    let spec = n.get("spec");
    match (group, obj.kind) {
        ("", "ServiceAccount") => f.pull_secrets = names_of(n.get("imagePullSecrets")),
        ("", "Secret") => {
            let ty = n.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if DOCKER_SECRET_TYPES.contains(&ty) {
                x.provides_pull_secret = f.name.as_ref().map(|s| s.value.clone());
            }
        }
        (g, "SealedSecret") if g.starts_with("bitnami.com") => {
            x.argocd_secret_type |= makes_argocd_secret(spec, &["template"]);
            x.provides_pull_secret = spec
                .and_then(|s| s.str_at(&["template", "metadata", "name"]))
                .map(str::to_string)
                .or_else(|| f.name.as_ref().map(|s| s.value.clone()));
        }
        (g, "ExternalSecret") if g.starts_with("external-secrets.io") => {
            x.argocd_secret_type |= makes_argocd_secret(spec, &["target", "template"]);
            x.provides_pull_secret = spec
                .and_then(|s| s.str_at(&["target", "name"]))
                .map(str::to_string)
                .or_else(|| f.name.as_ref().map(|s| s.value.clone()));
        }
        _ => {
            super::gitops::facts(group, obj.kind, spec, &mut x);
            x.helm = super::helm::sources(file, group, obj.kind, spec);
        }
    }
    x.monitors_operator =
        super::monitoring::for_operator(obj) || super::monitoring::routes_to_operator(obj);
    if !x.is_empty() {
        f.extra = Some(Box::new(x));
    }
    f
}

/// Whether a SealedSecret's or ExternalSecret's template (at `template` under
/// `spec`) labels the Secret it makes as Argo CD repository or cluster credentials.
fn makes_argocd_secret(spec: Option<NodeRef>, template: &[&str]) -> bool {
    spec.and_then(|s| s.path(template))
        .and_then(|t| t.path(&["metadata", "labels", "argocd.argoproj.io/secret-type"]))
        .is_some()
}

/// Extracts a Kustomize kustomization's namespace and resources.
pub fn kustomization(file: FileId, root: NodeRef) -> KustomizationFacts {
    let mut resources = Vec::new();
    let mut components = 0;
    for key in ["resources", "bases", "components"] {
        if let Some(list) = root.get(key) {
            let before = resources.len();
            resources.extend(list.items().filter_map(|i| i.as_str()).map(str::to_string));
            if key == "components" {
                components = resources.len() - before;
            }
        }
    }
    KustomizationFacts {
        file,
        namespace: root.get("namespace").and_then(Spanned::of),
        resources,
        components,
        images: ImageOverride::list(root.get("images")),
        config_map_files: super::helm::generated_files(root),
    }
}
