use std::collections::HashMap;

use crate::finding::{FileId, Finding, Location, RuleMeta, Severity};
use crate::index::RepoIndex;
use crate::model::image::has_placeholder;
use crate::rules::{RepoCx, Rule};
use crate::yaml::Spanned;

use super::{same_name, same_ns, Same};

crate::declare_rule! {
    /// # unresolved-pull-secret
    ///
    /// An `imagePullSecrets` entry (in a pod spec or a ServiceAccount), or a
    /// pull secret a deploy step adds to the pods it deploys
    /// (`azure/k8s-deploy` `imagepullsecrets:`), naming a secret that nothing
    /// in the repository provides in the same namespace: the object's
    /// effective namespace, the step's `namespace` input. A pull secret is
    /// provided by:
    /// - a `Secret` of type `kubernetes.io/dockerconfigjson` (or `dockercfg`);
    /// - a `SealedSecret` or `ExternalSecret` whose target has that name;
    /// - an `azure/k8s-create-secret` step (`secret-name`, `namespace`);
    /// - `kubectl create secret docker-registry NAME [-n NS]` in a workflow.
    ///
    /// Workflow values are resolved from the workflow's literal `env:` and
    /// input defaults (`${{ env.X }}`, `${{ inputs.X }}`, `$X`). When a
    /// namespace (or a name) cannot be known, the finding is an info that
    /// says so: a deploy step with no `namespace` deploys to its kubeconfig
    /// context's, which the repository does not tell. A `Secret` with that
    /// name but another type (`Opaque`) does not count: the kubelet cannot
    /// use it to pull. The finding points at the `name` value, or at the
    /// name in the step's input.
    ///
    /// In Azure Pipelines, `KubernetesManifest@0/1` `imagePullSecrets:` (in
    /// `deploy` and `promote`) names pull secrets the same way; they are
    /// provided by `KubernetesManifest@0/1` `action: createSecret`
    /// (`secretName`, `namespace`; `secretType` `dockerRegistry`, the
    /// default) and `Kubernetes@0/1` with a non-empty `secretName`, and by
    /// `kubectl create secret docker-registry` in scripts. Pipeline
    /// variables (`$(x)`, `${{ variables.x }}`) are expanded on both sides.
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
    /// Fails (nothing creates `acr-creds` in `shop`):
    /// ```yaml
    /// - task: KubernetesManifest@1
    ///   inputs:
    ///     action: deploy
    ///     namespace: shop
    ///     manifests: manifests/web.yaml
    ///     imagePullSecrets: |
    ///       acr-creds
    /// ```
    /// Passes: a `KubernetesManifest@1` step with `action: createSecret`,
    /// `secretName: acr-creds` and `namespace: shop` in the pipeline.
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

/// The providers, by literal name; those whose name still holds a variable
/// may match anything and are candidates for every reference.
struct Providers<'a> {
    all: Vec<Provider<'a>>,
    by_name: HashMap<&'a str, Vec<usize>>,
    wild: Vec<usize>,
}

impl<'a> Providers<'a> {
    fn new(all: Vec<Provider<'a>>) -> Self {
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut wild = Vec::new();
        for (i, p) in all.iter().enumerate() {
            if has_placeholder(p.name) {
                wild.push(i);
            } else {
                by_name.entry(p.name).or_default().push(i);
            }
        }
        Providers { all, by_name, wild }
    }

    /// The providers that may provide `name`: those of that name, then the wild ones.
    fn candidates(&self, name: &str) -> Vec<&Provider<'a>> {
        if has_placeholder(name) {
            return self.all.iter().collect();
        }
        let mut ids: Vec<usize> = self
            .by_name
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        ids.extend(&self.wild);
        ids.into_iter().map(|i| &self.all[i]).collect()
    }
}

/// A pull secret's name where it is referenced: an object's
/// `imagePullSecrets`, or a deploy step's input.
struct Reference<'r> {
    file: FileId,
    secret: &'r Spanned,
    ns: Option<&'r str>,
    /// The deploy step that adds it to the pods it deploys (`via`), if a step does.
    step: Option<&'r str>,
}

impl Rule for UnresolvedPullSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        let providers = Providers::new(providers(index));
        for (i, o) in index.objects.iter().enumerate() {
            if o.pull_secrets.is_empty() {
                continue;
            }
            let ns = index.effective_ns[i].as_ref().map(|e| e.value.as_str());
            for secret in &o.pull_secrets {
                let r = Reference {
                    file: o.file,
                    secret,
                    ns,
                    step: None,
                };
                if let Some(f) = judge(&r, &providers) {
                    cx.findings.push(f.object(Some(o.object_ref(ns))));
                }
            }
        }
        for wf in &index.workflows {
            for d in &wf.deploys {
                let ns = d.namespace.as_deref().filter(|n| !n.trim().is_empty());
                for secret in &d.pull_secrets {
                    let r = Reference {
                        file: wf.file,
                        secret,
                        ns,
                        step: Some(&d.via),
                    };
                    cx.findings.extend(judge(&r, &providers));
                }
            }
        }
    }
}

/// The finding for a reference that is not (provably) provided.
fn judge(r: &Reference, providers: &Providers) -> Option<Finding> {
    let (best, candidate, elsewhere) =
        resolve(&r.secret.value, r.ns, providers.candidates(&r.secret.value));
    (best != Same::Yes).then(|| unresolved(r, best, candidate, elsewhere))
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

/// The finding for a pull secret that is not (provably) provided, at the
/// name where it is referenced.
fn unresolved(
    r: &Reference,
    best: Same,
    candidate: Option<&Provider>,
    elsewhere: Option<&Provider>,
) -> Finding {
    let at = Location {
        file: r.file,
        span: r.secret.span,
    };
    let name = &r.secret.value;
    let in_ns =
        r.ns.map(|n| format!(" in namespace `{n}`"))
            .unwrap_or_default();
    // What a deploy step's reference is, said after its name.
    let added = r
        .step
        .map(|via| format!(", which `{via}` adds to the pods it deploys,"))
        .unwrap_or_default();
    match (best, candidate, elsewhere) {
        (Same::Unknown, Some(p), _) => Finding::new(
            &UnresolvedPullSecret::META,
            at,
            format!("cannot prove that pull secret `{name}`{added} is provided{in_ns}: a namespace or name is not known"),
        )
        .severity(Severity::Info)
        .related(p.at, format!("`{}` {} (namespace {})", p.name, p.what, p.ns.map(|n| format!("`{n}`")).unwrap_or_else(|| "unknown".into())))
        .help(match r.step {
            None => "set `metadata.namespace` (or a kustomization `namespace:`) and give the secret a literal name so it can be checked",
            Some(_) => "give the deploy step a literal `namespace` and the secret a literal name so it can be checked",
        }),
        (_, _, Some(p)) => Finding::new(
            &UnresolvedPullSecret::META,
            at,
            format!("pull secret `{name}`{added} is provided only in namespace `{}`, not{in_ns}", p.ns.unwrap_or("?")),
        )
        .label("not in this namespace")
        .related(p.at, format!("`{}` {}", p.name, p.what))
        .help(match r.step {
            None => "secrets are namespaced: create the docker-registry secret in this object's namespace too",
            Some(_) => "secrets are namespaced: create the docker-registry secret in the namespace the step deploys to too",
        }),
        _ => Finding::new(&UnresolvedPullSecret::META, at, format!("nothing in the repository provides the pull secret `{name}`{}{in_ns}", added.trim_end_matches(',')))
            .label("no such docker-registry secret")
            .help(match r.step {
                None => "add a Secret of type kubernetes.io/dockerconfigjson (a SealedSecret or ExternalSecret, for real credentials) with this name in the same namespace, or create it in the deploying workflow",
                Some(_) => "create it before the deploy (KubernetesManifest `action: createSecret`, `azure/k8s-create-secret`, `kubectl create secret docker-registry`), or add a Secret of type kubernetes.io/dockerconfigjson (a SealedSecret or ExternalSecret, for real credentials) with this name in the namespace it deploys to",
            }),
    }
}
