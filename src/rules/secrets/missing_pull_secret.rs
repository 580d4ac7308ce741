use crate::config::Auth;
use crate::finding::{Finding, Location, RuleMeta, Severity};
use crate::index::RepoIndex;
use crate::rules::image::untrusted_registry::concrete_registry;
use crate::rules::workflow::mode::{decide, WfMode};
use crate::rules::{RepoCx, Rule};

use super::{same_ns, Same};

crate::declare_rule! {
    /// # missing-pull-secret
    ///
    /// A pod template with an image from a registry listed in
    /// `registries.private` with `auth: pull-secret` (the default for
    /// `*.azurecr.io`), and none of:
    /// - a non-empty `imagePullSecrets` in the pod spec;
    /// - its ServiceAccount (`serviceAccountName`, else `default`) defined in
    ///   this repository, in the same effective namespace, with
    ///   `imagePullSecrets`;
    /// - a push workflow that deploys this manifest with `azure/k8s-deploy`
    ///   and `imagepullsecrets:`.
    ///
    /// `auth: node-identity` (AKS with ACR attached through the kubelet
    /// identity) turns the rule off for that registry. When the pod's or the
    /// ServiceAccount's namespace cannot be known, the finding is an info that
    /// says so instead of a guess. The finding points at the first such image.
    ///
    /// In Azure Pipelines, `KubernetesManifest@0/1` `imagePullSecrets:` adds
    /// secrets to the pod specs of the `manifests:` a push-mode pipeline
    /// deploys, like k8s-deploy `imagepullsecrets:`.
    ///
    /// ## Why
    /// Without credentials the kubelet cannot pull from a private registry:
    /// the pod sits in `ImagePullBackOff` and the rollout never finishes, which
    /// is found after the merge, in the cluster, instead of at review.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: web
    ///       image: contoso.azurecr.io/web:1.4.2
    /// ```
    /// Passes:
    /// ```yaml
    /// spec:
    ///   imagePullSecrets:
    ///     - name: acr-pull
    ///   containers:
    ///     - name: web
    ///       image: contoso.azurecr.io/web:1.4.2
    /// ```
    /// or, when the cluster pulls with its own identity:
    /// ```yaml
    /// # .shipshape.yaml
    /// registries:
    ///   private:
    ///     - match: "*.azurecr.io"
    ///       auth: node-identity
    /// ```
    ///
    /// ## Options
    /// `registries.private`: `[{match: <host pattern>, auth: pull-secret | node-identity}]`.
    pub struct MissingPullSecret {
        id: "missing-pull-secret",
        severity: Error,
        category: "secrets",
        summary: "an image from a private registry with no pull secret",
    }
}

impl Rule for MissingPullSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        // Files deployed with k8s-deploy `imagepullsecrets:` by push workflows.
        let mut injected: Vec<(u32, &str)> = Vec::new();
        for wf in &index.workflows {
            let deploys: Vec<_> = wf
                .deploys
                .iter()
                .filter(|d| !d.pull_secrets.is_empty())
                .collect();
            if deploys.is_empty() || decide(wf, index, cx.config).mode != WfMode::Push {
                continue;
            }
            let repo = index.repo(wf.file);
            injected.extend(
                deploys
                    .iter()
                    .flat_map(|d| d.paths.iter().map(move |p| (repo, p.as_str()))),
            );
        }
        for (i, o) in index.objects.iter().enumerate() {
            if !o.has_pod || !o.pull_secrets.is_empty() {
                continue;
            }
            let private = o.images.iter().find_map(|img| {
                let r = concrete_registry(&img.value)?;
                let p = cx.config.private_registry(&r)?;
                (p.auth == Auth::PullSecret).then_some((img, r, p))
            });
            let Some((img, r, pattern)) = private else {
                continue;
            };
            let path = &index.paths[o.file as usize];
            let repo = index.repo(o.file);
            if injected.iter().any(|(r, p)| {
                *r == repo
                    && (p == path || path.starts_with(&format!("{}/", p.trim_end_matches('/'))))
            }) {
                continue;
            }
            let ns = index.effective_ns[i].as_ref().map(|e| e.value.as_str());
            let sa_name = o.service_account.as_deref().unwrap_or("default");
            let mut unknown_sa = None;
            let mut covered = false;
            for (j, sa) in index.objects.iter().enumerate() {
                if sa.kind != "ServiceAccount"
                    || sa.pull_secrets.is_empty()
                    || sa.name.as_ref().map(|n| n.value.as_str()) != Some(sa_name)
                {
                    continue;
                }
                match same_ns(ns, index.effective_ns[j].as_ref().map(|e| e.value.as_str())) {
                    Same::Yes => covered = true,
                    Same::Unknown => unknown_sa = Some(sa),
                    Same::No => {}
                }
            }
            if covered {
                continue;
            }
            let at = Location {
                file: o.file,
                span: img.span,
            };
            let obj = Some(o.object_ref(ns));
            let help = format!(
                "add `imagePullSecrets` to the pod spec or to ServiceAccount `{sa_name}`{}, or set `auth: node-identity` for `{}` in `registries.private` if the cluster pulls with its own identity (AKS with ACR attached)",
                ns.map(|n| format!(" in namespace `{n}`")).unwrap_or_default(),
                pattern.pattern.text
            );
            let f = match unknown_sa {
                Some(sa) => Finding::new(
                    &Self::META,
                    at,
                    format!("cannot tell whether ServiceAccount `{sa_name}` (which has imagePullSecrets) is in this pod's namespace, for private image `{}`", img.value),
                )
                .severity(Severity::Info)
                .related(Location { file: sa.file, span: sa.kind_span }, "ServiceAccount with imagePullSecrets, namespace unknown")
                .help("set `metadata.namespace` (or a kustomization `namespace:`) on both so the namespace is known"),
                None => Finding::new(
                    &Self::META,
                    at,
                    format!("image `{}` comes from the private registry `{}` but the pod has no image pull secret", img.value, r.registry),
                )
                .label("needs credentials to pull"),
            };
            cx.findings.push(f.help(help).object(obj));
        }
    }
}
