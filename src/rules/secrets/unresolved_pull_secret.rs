use crate::finding::{FileId, Finding, Location, RuleMeta, Severity};
use crate::index::RepoIndex;
use crate::rules::{RepoCx, Rule};
use crate::yaml::Spanned;

use super::{same_name, same_ns, Same};

crate::declare_rule! {
    /// # unresolved-pull-secret
    ///
    /// An `imagePullSecrets` entry (in a pod spec or a ServiceAccount) naming a
    /// secret that nothing in the repository provides in the same effective
    /// namespace. A pull secret is provided by:
    /// - a `Secret` of type `kubernetes.io/dockerconfigjson` (or `dockercfg`);
    /// - a `SealedSecret` or `ExternalSecret` whose target has that name;
    /// - an `azure/k8s-create-secret` step (`secret-name`, `namespace`);
    /// - `kubectl create secret docker-registry NAME [-n NS]` in a workflow.
    ///
    /// Workflow values are resolved from the workflow's literal `env:` and
    /// input defaults (`${{ env.X }}`, `${{ inputs.X }}`, `$X`). When a
    /// namespace (or a name) cannot be known, the finding is an info that
    /// says so. A `Secret` with that name but another type (`Opaque`) does not
    /// count: the kubelet cannot use it to pull. The finding points at the
    /// `name` value.
    ///
    /// In Azure Pipelines, pull secrets are provided by
    /// `KubernetesManifest@0/1` `action: createSecret` (`secretName`,
    /// `namespace`; `secretType` `dockerRegistry`, the default) and
    /// `Kubernetes@0/1` with a non-empty `secretName`, and by `kubectl create
    /// secret docker-registry` in scripts.
    ///
    /// ## Why
    /// A pull secret that does not exist in the pod's namespace fails exactly
    /// like a missing one (`ImagePullBackOff`), but looks fine in review.
    /// Secrets are namespaced: one in `default` does nothing for a pod in `shop`.
    ///
    /// ## Example
    /// Fails (the secret lives in another namespace):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: { name: acr-pull, namespace: default }
    /// type: kubernetes.io/dockerconfigjson
    /// ---
    /// # a Deployment in namespace shop
    ///       imagePullSecrets:
    ///         - name: acr-pull
    /// ```
    /// Passes: the same Secret with `namespace: shop`, or a workflow step
    /// `kubectl create secret docker-registry acr-pull -n shop ...`.
    ///
    /// ## Options
    /// None.
    pub struct UnresolvedPullSecret {
        id: "unresolved-pull-secret",
        severity: Error,
        category: "secrets",
        summary: "an imagePullSecrets name nothing in the repository provides",
    }
}

struct Provider<'a> {
    name: &'a str,
    ns: Option<&'a str>,
    at: Location,
    what: &'static str,
}

impl Rule for UnresolvedPullSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        let providers = providers(index);
        // Providers by literal name; those whose name still holds a variable
        // may match anything and are checked for every reference.
        let mut by_name: std::collections::HashMap<&str, Vec<&Provider>> =
            std::collections::HashMap::new();
        let mut wild: Vec<&Provider> = Vec::new();
        for p in &providers {
            if crate::model::image::has_placeholder(p.name) {
                wild.push(p);
            } else {
                by_name.entry(p.name).or_default().push(p);
            }
        }
        for (i, o) in index.objects.iter().enumerate() {
            if o.pull_secrets.is_empty() {
                continue;
            }
            let ns = index.effective_ns[i].as_ref().map(|e| e.value.as_str());
            for secret in &o.pull_secrets {
                let candidates: Vec<&Provider> =
                    if crate::model::image::has_placeholder(&secret.value) {
                        providers.iter().collect()
                    } else {
                        by_name
                            .get(secret.value.as_str())
                            .into_iter()
                            .flatten()
                            .chain(wild.iter())
                            .copied()
                            .collect()
                    };
                let (best, candidate, elsewhere) = resolve(&secret.value, ns, candidates);
                if best == Same::Yes {
                    continue;
                }
                let f = unresolved(o.file, secret, ns, best, candidate, elsewhere);
                cx.findings.push(f.object(Some(o.object_ref(ns))));
            }
        }
    }
}

/// Everything that provides a pull secret: docker-registry Secrets,
/// SealedSecrets and ExternalSecrets, and workflow steps that create one.
fn providers(index: &RepoIndex) -> Vec<Provider<'_>> {
    let mut providers: Vec<Provider> = Vec::new();
    for (i, o) in index.objects.iter().enumerate() {
        if let Some(name) = &o.extra().provides_pull_secret {
            providers.push(Provider {
                name,
                ns: index.effective_ns[i].as_ref().map(|e| e.value.as_str()),
                at: Location {
                    file: o.file,
                    span: o.name.as_ref().map(|n| n.span).unwrap_or(o.kind_span),
                },
                what: "provided here",
            });
        }
    }
    for wf in &index.workflows {
        for s in &wf.secrets_created {
            providers.push(Provider {
                name: &s.name,
                ns: s.namespace.as_deref(),
                at: Location {
                    file: wf.file,
                    span: s.span,
                },
                what: "created by this workflow step",
            });
        }
    }
    providers
}

/// How well the candidates provide `name` in `ns`: provided (`Yes`), maybe
/// (`Unknown`, with the first such candidate), or not, with the first
/// provider of that name in another namespace.
fn resolve<'p, 'a>(
    name: &str,
    ns: Option<&str>,
    candidates: Vec<&'p Provider<'a>>,
) -> (Same, Option<&'p Provider<'a>>, Option<&'p Provider<'a>>) {
    let mut best = Same::No;
    let mut candidate: Option<&Provider> = None;
    let mut elsewhere: Option<&Provider> = None;
    for p in candidates {
        let same = same_name(name, p.name);
        if same == Same::No {
            continue;
        }
        let both = match (same, same_ns(ns, p.ns)) {
            (Same::Yes, Same::Yes) => Same::Yes,
            (_, Same::No) => Same::No,
            _ => Same::Unknown,
        };
        match both {
            Same::Yes => {
                best = Same::Yes;
                break;
            }
            Same::Unknown => {
                best = Same::Unknown;
                candidate.get_or_insert(p);
            }
            Same::No => {
                elsewhere.get_or_insert(p);
            }
        }
    }
    (best, candidate, elsewhere)
}

/// The finding for a pull secret that is not (provably) provided.
fn unresolved(
    file: FileId,
    secret: &Spanned,
    ns: Option<&str>,
    best: Same,
    candidate: Option<&Provider>,
    elsewhere: Option<&Provider>,
) -> Finding {
    let at = Location {
        file,
        span: secret.span,
    };
    let in_ns = ns
        .map(|n| format!(" in namespace `{n}`"))
        .unwrap_or_default();
    match (best, candidate, elsewhere) {
        (Same::Unknown, Some(p), _) => Finding::new(
            &UnresolvedPullSecret::META,
            at,
            format!("cannot prove that pull secret `{}` is provided{in_ns}: a namespace or name is not known", secret.value),
        )
        .severity(Severity::Info)
        .related(p.at, format!("`{}` {} (namespace {})", p.name, p.what, p.ns.map(|n| format!("`{n}`")).unwrap_or_else(|| "unknown".into())))
        .help("set `metadata.namespace` (or a kustomization `namespace:`) and give the secret a literal name so it can be checked"),
        (_, _, Some(p)) => Finding::new(
            &UnresolvedPullSecret::META,
            at,
            format!("pull secret `{}` is provided only in namespace `{}`, not{in_ns}", secret.value, p.ns.unwrap_or("?")),
        )
        .label("not in this namespace")
        .related(p.at, format!("`{}` {}", p.name, p.what))
        .help("secrets are namespaced: create the docker-registry secret in this object's namespace too"),
        _ => Finding::new(&UnresolvedPullSecret::META, at, format!("nothing in the repository provides the pull secret `{}`{in_ns}", secret.value))
            .label("no such docker-registry secret")
            .help("add a Secret of type kubernetes.io/dockerconfigjson (a SealedSecret or ExternalSecret, for real credentials) with this name in the same namespace, or create it in the deploying workflow"),
    }
}
