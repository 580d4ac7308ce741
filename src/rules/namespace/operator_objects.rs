//! Which objects are the GitOps operator's own, and so belong in its
//! namespace: its configuration (Argo CD's Applications and projects,
//! every Flux object, `argocd-*`/`flux-*`/`gotk-*` objects, objects labelled
//! as part of the operator, Argo CD credentials) and its helpers (the
//! Secrets and ConfigMaps Flux objects read in their own namespace: a
//! Receiver's token, a Provider's or GitRepository's credentials, values and
//! substitutions; monitoring objects and dashboards made for the operator).
//! Everything else placed there is the application's.

use std::collections::HashSet;

use crate::index::{ObjectFacts, RepoIndex};

/// Argo CD's own kinds (`argoproj.io`); Argo Rollouts and Workflows share
/// the group but run application pods.
const ARGO_CD_KINDS: &[&str] = &[
    "Application",
    "ApplicationSet",
    "AppProject",
    "ArgoCD",
    "ArgoCDExport",
];

/// Kinds that are never namespaced: they are in no namespace to judge.
const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
    "ClusterIssuer",
    "ClusterPolicy",
    "ClusterSecretStore",
];

/// Operator configuration, judged from the object alone.
pub fn is_operator_config(o: &ObjectFacts) -> bool {
    let group = o.group();
    let name = o.name.as_ref().map(|n| n.value.as_str()).unwrap_or("");
    (group.starts_with("argoproj.io") && ARGO_CD_KINDS.contains(&o.kind.as_str()))
        || group.ends_with("fluxcd.io")
        || name.starts_with("argocd-")
        || names_argo_cd(name)
        || name.starts_with("gotk-")
        || name.starts_with("flux-")
        || o.extra().argocd_secret_type
        || o.extra().monitors_operator
        || matches!(
            o.extra().part_of.as_deref(),
            Some("argocd" | "argo-cd" | "flux" | "flux-system")
        )
        || o.extra().instance.as_deref() == Some("flux-system")
}

/// A name with `argocd` or `argo-cd` as one of its words (`argo-cd`,
/// `gateway-to-argocd-tls`): the route, grant or certificate that exposes
/// Argo CD's own server.
fn names_argo_cd(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let words: Vec<&str> = n.split(['-', '.', '_']).collect();
    words.contains(&"argocd") || words.windows(2).any(|w| w == ["argo", "cd"])
}

pub fn is_cluster_scoped(o: &ObjectFacts) -> bool {
    CLUSTER_SCOPED.contains(&o.kind.as_str())
}

/// The Secret or ConfigMap an object is or makes: (kind, name).
fn made(o: &ObjectFacts) -> Option<(&str, &str)> {
    let name = o.name.as_ref().map(|n| n.value.as_str());
    match (o.group(), o.kind.as_str()) {
        ("", k @ ("Secret" | "ConfigMap")) => Some((k, name?)),
        (g, "SealedSecret") if g.starts_with("bitnami.com") => {
            Some(("Secret", o.extra().provides_pull_secret.as_deref()?))
        }
        (g, "ExternalSecret") if g.starts_with("external-secrets.io") => {
            Some(("Secret", o.extra().provides_pull_secret.as_deref()?))
        }
        _ => None,
    }
}

/// The operator's own objects among an index's, by object index.
pub struct OperatorObjects {
    own: Vec<bool>,
}

impl OperatorObjects {
    pub fn new(index: &RepoIndex) -> OperatorObjects {
        let ns = |i: usize| {
            index
                .effective_ns
                .get(i)
                .and_then(|e| e.as_ref())
                .map(|e| e.value.as_str())
        };
        // What Flux objects read, in their namespace: (namespace, kind, name).
        let read: HashSet<(Option<&str>, &str, &str)> = index
            .objects
            .iter()
            .enumerate()
            .flat_map(|(i, o)| {
                o.extra()
                    .operator_reads
                    .iter()
                    .map(move |(k, n)| (ns(i), k.as_str(), n.as_str()))
            })
            .collect();
        let own = index
            .objects
            .iter()
            .enumerate()
            .map(|(i, o)| {
                is_operator_config(o) || made(o).is_some_and(|(k, n)| read.contains(&(ns(i), k, n)))
            })
            .collect();
        OperatorObjects { own }
    }

    /// Whether object `i` is the operator's configuration or its helper.
    pub fn is_own(&self, i: usize) -> bool {
        self.own.get(i).copied().unwrap_or(false)
    }
}
