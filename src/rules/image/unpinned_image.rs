use crate::finding::{Finding, RuleMeta};
use crate::model::image::{self, has_placeholder};
use crate::model::k8s::Object;
use crate::rules::{DocCx, Rule};

crate::declare_rule! {
    /// # unpinned-image
    ///
    /// A container image (in `containers`, `initContainers` or
    /// `ephemeralContainers` of any pod template: Pod, Deployment,
    /// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
    /// CronJob, Argo Rollout, PodTemplate) with no tag and no digest, or with
    /// a mutable tag (`images.mutable-tags`, default `latest`). With
    /// `images.require-digest: true`, every image without a digest.
    ///
    /// References are parsed by the OCI distribution grammar: a registry with
    /// a port (`localhost:5000/app`) is not a tag. Values that are still
    /// templates (`${IMAGE}`, `{{ .Values.image }}`, `${{ ... }}`) are not
    /// checked.
    ///
    /// ## Why
    /// With no tag the runtime pulls `latest`, and `latest` moves: two nodes
    /// can run different code under one Deployment, a rollback redeploys
    /// whatever `latest` is today, and GitOps loses the property that git says
    /// exactly what runs. A digest is the only immutable reference.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// containers:
    ///   - name: cache
    ///     image: redis            # no tag: pulls latest
    ///   - name: web
    ///     image: contoso.azurecr.io/web:latest
    /// ```
    /// Passes:
    /// ```yaml
    /// containers:
    ///   - name: cache
    ///     image: redis:7.2.4
    ///   - name: web
    ///     image: contoso.azurecr.io/web@sha256:3f1e…
    /// ```
    ///
    /// ## Options
    /// `images.mutable-tags` (default `[latest]`), `images.require-digest`
    /// (default `false`).
    pub struct UnpinnedImage {
        id: "unpinned-image",
        severity: Error,
        category: "image",
        summary: "an image with no tag or digest, or a mutable tag",
    }
}

impl Rule for UnpinnedImage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_object(&self, obj: &Object, cx: &mut DocCx) {
        for c in obj.containers() {
            let Some(node) = c.image else { continue };
            let Some(text) = node.as_str() else { continue };
            if has_placeholder(text) {
                continue;
            }
            let Ok(r) = image::parse(text) else { continue };
            let (message, label, help) = if r.digest.is_some() {
                continue;
            } else if let Some(tag) = r
                .tag
                .as_deref()
                .filter(|t| cx.config.mutable_tags.iter().any(|m| m == t))
            {
                (
                    format!("image `{text}` uses the mutable tag `{tag}`"),
                    std::borrow::Cow::Owned(format!("`{tag}` moves")),
                    "pin a version tag or a digest (`name@sha256:…`)",
                )
            } else if r.tag.is_none() {
                (
                    format!("image `{text}` has no tag or digest"),
                    std::borrow::Cow::Borrowed("no tag: the runtime pulls `latest`"),
                    "pin a version tag or a digest (`name@sha256:…`)",
                )
            } else if cx.config.require_digest {
                (
                    format!("image `{text}` is not pinned by digest"),
                    std::borrow::Cow::Borrowed("tags can be moved"),
                    "append the digest the tag points to (`name:tag@sha256:…`); `images.require-digest` is on",
                )
            } else {
                continue;
            };
            let name = c
                .name
                .map(|n| format!(" in {} `{n}`", singular(c.group)))
                .unwrap_or_default();
            let object = cx.object_ref(obj);
            cx.report(
                Finding::new(
                    &Self::META,
                    cx.at(crate::yaml::unquoted_span(node)),
                    format!("{message}{name}"),
                )
                .label(label)
                .help(help)
                .object(Some(object)),
            );
        }
    }
}

fn singular(group: &str) -> &'static str {
    match group {
        "initContainers" => "init container",
        "ephemeralContainers" => "ephemeral container",
        _ => "container",
    }
}
