use crate::finding::Location;
use crate::finding::{Finding, RuleMeta};
use crate::index::helm_resolve::HelmImage;
use crate::index::RepoIndex;
use crate::model::helm_images::TagFrom;
use crate::model::image::{self, has_placeholder};
use crate::model::k8s::Object;
use crate::rules::{DocCx, RepoCx, Rule};
use crate::script::ImagePart;

crate::declare_rule! {
    /// # unpinned-image
    ///
    /// A container image (in `containers`, `initContainers` or
    /// `ephemeralContainers` of any pod template: Pod, Deployment,
    /// StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job,
    /// CronJob, Argo Rollout, PodTemplate, KEDA ScaledJob, Knative Service)
    /// with no tag and no digest, or with
    /// a mutable tag (`images.mutable-tags`, default `latest`). With
    /// `images.require-digest: true`, every image without a digest.
    ///
    /// References are parsed by the OCI distribution grammar: a registry with
    /// a port (`localhost:5000/app`) is not a tag. Values that are still
    /// templates (`${IMAGE}`, `{{ .Values.image }}`, `${{ ... }}`) are not
    /// checked.
    ///
    /// Images are judged as they are deployed. A Kustomize `images:` entry
    /// (`newTag`, `digest`, `newName`) applies to what its kustomization
    /// renders, through overlay chains and components, and so do an Argo CD
    /// Application's `kustomize.images` and a Flux Kustomization's
    /// `spec.images`. An override that sets a mutable tag is reported at the
    /// override (`newTag: latest`), with the image as written as a related
    /// location. An image that every rendering re-pins is not judged as
    /// written; one that some rendering deploys as written (an overlay that
    /// does not override it, an Application pointing at the base, or a file
    /// nothing renders) is. An image a Skaffold config of the repository
    /// builds (`build.artifacts[].image`, by name) is a placeholder Skaffold
    /// replaces at deploy time, and is not judged as written. An Azure
    /// Developer CLI project (`azure.yaml`) service deployed to AKS through
    /// a kustomization applies its `edits` (`set image NAME=IMAGE`) like an
    /// overlay's `images:`.
    ///
    /// Images a workflow hands to the cluster itself are judged too:
    /// `azure/k8s-deploy` `images:`, `kubectl set image`, `kubectl run` and
    /// `kubectl create deployment` `--image`, and `helm --set image.tag=` (or
    /// `image=`, `*.image.tag=`), after the workflow's literal `env:` is
    /// expanded. Expressions such as `${{ github.sha }}` are pinned by
    /// construction and not judged. A manifest image whose tag an
    /// `azure/k8s-deploy` `images:` or `KubernetesManifest` `containers:`
    /// entry replaces (the same name) is not judged as written, unless
    /// something else (an operator, a kustomization) also deploys the file.
    /// An entry whose registry is known only at run time
    /// (`$(RegistryName)/web:$(tag)`) replaces a manifest image of the same
    /// repository path that writes its registry
    /// (`contoso.azurecr.io/web`), as `workflow-image-mismatch` compares
    /// them; one with a placeholder repository replaces nothing.
    ///
    /// Images in Helm values are judged too, templates unrendered: a
    /// chart's `values.yaml` (and `values-*.yaml` named by a deployer), with
    /// what an Argo CD Application gives it (`valueFiles`, including
    /// `$ref/...` files of this repository, `values`, `valuesObject`,
    /// `parameters`) or a Flux HelmRelease (`chart.spec.valuesFiles`,
    /// `valuesFrom` ConfigMaps of the repository or made by a Kustomize
    /// `configMapGenerator`, `spec.values`), merged in that order. The
    /// shapes understood, anywhere in the values (`controller.image`,
    /// `subchart.image`, lists of containers): `image: repo:tag` (also
    /// under keys ending in `Image`), and `image:` maps of `registry`,
    /// `repository`, `tag` and `digest` (or `sha`). A finding points at the node that
    /// sets the tag (`tag: latest`, or the string), with the chart default
    /// it overrides as a related location. Not a finding: an image map with
    /// no or an empty `tag` (the chart uses its `appVersion`, judged only by
    /// `images.require-digest`), a bare string outside a list (`initImage:
    /// busybox`: the template may add the tag) or one beside a tag key
    /// (`imageTag`), values with placeholders. A chart default that every
    /// Application or HelmRelease deploying the chart overrides is not
    /// judged; a chart nothing deploys is judged as written (a subchart in
    /// another chart's `charts/` is not: its parent's values may override
    /// it, and those are not followed). For a remote
    /// chart only the values given to it are judged (a `tag: latest` alone
    /// is reported). A HelmRelease's `valuesFrom` Secrets are never read.
    ///
    /// In Azure Pipelines: `KubernetesManifest@0/1` `containers:` entries and
    /// `HelmDeploy@0/1` `overrideValues` image settings
    /// (`image=`, `*.image.tag=`).
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
    /// ```yaml
    /// # charts/web/values.yaml
    /// image:
    ///   repository: contoso.azurecr.io/web
    ///   tag: latest
    /// ```
    /// Passes:
    /// ```yaml
    /// containers:
    ///   - name: cache
    ///     image: redis:7.2.4
    ///   - name: web
    ///     image: contoso.azurecr.io/web@sha256:3f1e…
    /// ```
    /// ```yaml
    /// # charts/web/values.yaml
    /// image:
    ///   repository: contoso.azurecr.io/web
    ///   tag: ""                    # the chart's appVersion
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
            let Some(v) = judge(text, cx.config) else {
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
                    format!("{}{name}", v.message),
                )
                .label(v.label)
                .help(v.help)
                .object(Some(object)),
            );
        }
    }

    /// Images whose tag or digest a Kustomize or operator override sets
    /// are judged at the override; an image every rendering re-pins is not
    /// judged as written.
    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        deployed_by_workflows(index, cx);
        let eff = &index.effective;
        for &(file, span) in &eff.pin_replaced {
            cx.withdraw(&Self::META, Location { file, span });
        }
        let mut seen = std::collections::HashSet::new();
        for e in &eff.changed {
            let Some(at) = e.pin_from else { continue };
            let Some(v) = judge(&e.text, cx.config) else {
                continue;
            };
            if !seen.insert((at, e.text.as_str())) {
                continue;
            }
            let message = format!("{} {}", v.message, e.context(index));
            let f = super::at_override(&Self::META, index, e, at, message);
            cx.findings.push(f.label(v.label).help(v.help));
        }
        let mut seen = std::collections::HashSet::new();
        for e in &index.helm {
            let Some(pin) = &e.pin_at else { continue };
            let Some(v) = helm_verdict(e, cx.config) else {
                continue;
            };
            if seen.insert((pin.at, e.text.as_str())) {
                let message = format!("{} {}", v.message, e.context(index));
                let f = super::helm::finding(&Self::META, index, e, pin, message);
                cx.findings.push(f.label(v.label).help(v.help));
            }
        }
    }
}

/// What is wrong with an image that Helm values describe: as written when
/// the values give its tag, only its missing digest when the chart's
/// `appVersion` does, and only a mutable tag when the repository is the
/// chart's own.
fn helm_verdict(e: &HelmImage, config: &crate::config::Config) -> Option<Verdict> {
    match e.tag_from {
        TagFrom::Unknown => None,
        TagFrom::ChartDefault if config.require_digest && !has_placeholder(&e.text) => {
            Some(Verdict {
                message: format!(
                    "image `{}` (tagged with the chart's `appVersion`) is not pinned by digest",
                    e.text
                ),
                label: std::borrow::Cow::Borrowed("no digest"),
                help: "set the image's `digest` in the values; `images.require-digest` is on",
            })
        }
        TagFrom::ChartDefault => None,
        TagFrom::Written if e.repository_known => judge(&e.text, config),
        TagFrom::Written => {
            let tag = e.tag.as_deref()?;
            config
                .mutable_tags
                .iter()
                .any(|m| m == tag)
                .then(|| Verdict {
                    message: format!("the tag `{tag}` of `{}` is mutable", e.path),
                    label: std::borrow::Cow::Owned(format!("`{tag}` moves")),
                    help: PIN,
                })
        }
    }
}

/// Images a workflow hands to the cluster itself: `azure/k8s-deploy`
/// `images:`, `kubectl set image`, `kubectl run --image`, `helm --set
/// image.tag=`. Expressions (`${{ github.sha }}`) are pinned by
/// construction and not judged.
fn deployed_by_workflows(index: &RepoIndex, cx: &mut RepoCx) {
    for wf in &index.workflows {
        for d in &wf.deploys {
            for (part, img) in d.image_values() {
                let v = match part {
                    ImagePart::Reference => judge(&img.value, cx.config),
                    ImagePart::Tag => mutable_tag(&img.value, cx.config),
                    ImagePart::Repository => None,
                };
                let Some(v) = v else { continue };
                cx.findings.push(
                    Finding::new(
                        &UnpinnedImage::META,
                        Location {
                            file: wf.file,
                            span: img.span,
                        },
                        format!("{}, deployed by `{}`", v.message, d.via),
                    )
                    .label(v.label)
                    .help("deploy an immutable reference: a version tag, a digest, or the commit's tag (`${{ github.sha }}`)"),
                );
            }
        }
    }
}

/// A tag set on its own (`--set image.tag=latest`), if it is mutable.
fn mutable_tag(tag: &str, config: &crate::config::Config) -> Option<Verdict> {
    if has_placeholder(tag) || !config.mutable_tags.iter().any(|m| m == tag) {
        return None;
    }
    Some(Verdict {
        message: format!("the image tag `{tag}` is mutable"),
        label: std::borrow::Cow::Owned(format!("`{tag}` moves")),
        help: PIN,
    })
}

/// What is wrong with an image reference, if anything.
struct Verdict {
    message: String,
    label: std::borrow::Cow<'static, str>,
    help: &'static str,
}

const PIN: &str = "pin a version tag or a digest (`name@sha256:…`)";

fn judge(text: &str, config: &crate::config::Config) -> Option<Verdict> {
    if has_placeholder(text) {
        return None;
    }
    let r = image::parse(text).ok()?;
    if r.digest.is_some() {
        return None;
    }
    let v = if let Some(tag) = r
        .tag
        .as_deref()
        .filter(|t| config.mutable_tags.iter().any(|m| m == t))
    {
        Verdict {
            message: format!("image `{text}` uses the mutable tag `{tag}`"),
            label: std::borrow::Cow::Owned(format!("`{tag}` moves")),
            help: PIN,
        }
    } else if r.tag.is_none() {
        Verdict {
            message: format!("image `{text}` has no tag or digest"),
            label: std::borrow::Cow::Borrowed("no tag: the runtime pulls `latest`"),
            help: PIN,
        }
    } else if config.require_digest {
        Verdict {
            message: format!("image `{text}` is not pinned by digest"),
            label: std::borrow::Cow::Borrowed("tags can be moved"),
            help: "append the digest the tag points to (`name:tag@sha256:…`); `images.require-digest` is on",
        }
    } else {
        return None;
    };
    Some(v)
}

fn singular(group: &str) -> &'static str {
    match group {
        "initContainers" => "init container",
        "ephemeralContainers" => "ephemeral container",
        _ => "container",
    }
}
