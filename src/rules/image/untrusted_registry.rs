use crate::finding::Location;
use crate::finding::{Finding, RuleMeta};
use crate::index::RepoIndex;
use crate::model::image::{self, has_placeholder};
use crate::model::k8s::Object;
use crate::rules::{DocCx, RepoCx, Rule};
use crate::script::ImagePart;

crate::declare_rule! {
    /// # untrusted-registry
    ///
    /// A container image whose registry host is not matched by
    /// `registries.allowed` (default `*.azurecr.io`). An image with no
    /// registry part comes from Docker Hub: `nginx:1.25` is
    /// `docker.io/library/nginx:1.25`.
    ///
    /// Hosts match exactly, on label boundaries, ignoring case: `*.azurecr.io`
    /// matches `contoso.azurecr.io` (any port) but not `evilazurecr.io`,
    /// `azurecr.io` or `contoso.azurecr.io.attacker.example`. A pattern with
    /// a port (`registry.local:5000`) must match the port too. An image
    /// whose registry is still a template (`${ACR}.azurecr.io/app`) is not
    /// checked.
    ///
    /// Images are judged as they are deployed: a Kustomize `images:` entry's
    /// `newName` (through overlay chains and components), an Argo CD
    /// Application's `kustomize.images` and a Flux Kustomization's
    /// `spec.images` rename what they render. A renamed image is judged at
    /// the override's node; an image every rendering renames is not judged
    /// as written (see `unpinned-image`).
    ///
    /// Images a workflow hands to the cluster itself are judged too:
    /// `azure/k8s-deploy` `images:`, `kubectl set image`, `kubectl run`
    /// `--image`, and `helm --set image.repository=` when it names a
    /// registry. A manifest image that such an entry substitutes keeps its
    /// registry (the task replaces only an `image:` of the same name, even
    /// when the entry's registry is known only at run time), so it is still
    /// judged as written.
    ///
    /// Images in Helm values are judged as `unpinned-image` reads them (the
    /// same values, shapes and precedence): the registry is
    /// `global.imageRegistry` (the Bitnami convention, ahead of the image's
    /// own), else the image's `registry`, else the one `repository` or the
    /// image string names, else Docker Hub, as in a manifest. For a remote
    /// chart (its `values.yaml` not in the repository), a repository that
    /// names no registry is not judged: the chart may put its own in front.
    /// A finding points at the node that gives the registry; one
    /// `global.imageRegistry` serving many images is one finding.
    ///
    /// In Azure Pipelines: `KubernetesManifest@0/1` `containers:` entries and
    /// `HelmDeploy@0/1` `overrideValues` image settings.
    ///
    /// ## Why
    /// The registry decides who can change what runs in your cluster. Images
    /// from public registries can be deleted, rate-limited or replaced; a
    /// private registry under your control (with content trust and scanning)
    /// is the supply-chain boundary the cluster's admission policy usually
    /// enforces too. Finding it at commit time is cheaper than a rejected
    /// deployment.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// image: nginx:1.25                          # docker.io
    /// image: evilazurecr.io/web:1.0              # not a subdomain of azurecr.io
    /// ```
    /// Passes:
    /// ```yaml
    /// image: contoso.azurecr.io/web:1.0
    /// ```
    ///
    /// ## Options
    /// `registries.allowed`: host patterns, e.g.
    /// `["*.azurecr.io", "mcr.microsoft.com"]`.
    pub struct UntrustedRegistry {
        id: "untrusted-registry",
        severity: Error,
        category: "image",
        summary: "an image from a registry outside `registries.allowed`",
    }
}

impl Rule for UntrustedRegistry {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_object(&self, obj: &Object, cx: &mut DocCx) {
        for c in obj.containers() {
            let Some(node) = c.image else { continue };
            let Some(text) = node.as_str() else { continue };
            let Some(r) = untrusted(text, cx.config) else {
                continue;
            };
            let name = c
                .name
                .map(|n| format!(" (container `{n}`)"))
                .unwrap_or_default();
            let object = cx.object_ref(obj);
            cx.report(
                Finding::new(
                    &Self::META,
                    cx.at(crate::yaml::unquoted_span(node)),
                    format!(
                        "image `{text}` comes from `{}`, which is not an allowed registry{name}",
                        r.registry
                    ),
                )
                .label(where_(&r))
                .help(help_for(cx.config))
                .object(Some(object)),
            );
        }
    }

    /// Images whose name a Kustomize or operator override sets are judged
    /// at the override; an image every rendering renames is not judged as
    /// written.
    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        deployed_by_workflows(index, cx);
        let eff = &index.effective;
        for &(file, span) in &eff.name_replaced {
            cx.withdraw(&Self::META, Location { file, span });
        }
        let mut seen = std::collections::HashSet::new();
        for e in &eff.changed {
            let Some(at) = e.name_from else { continue };
            let Some(r) = untrusted(&e.text, cx.config) else {
                continue;
            };
            if !seen.insert((at, e.text.as_str())) {
                continue;
            }
            let message = format!(
                "image `{}` comes from `{}`, which is not an allowed registry ({})",
                e.text,
                r.registry,
                e.context(index)
            );
            let f = super::at_override(&Self::META, index, e, at, message);
            cx.findings
                .push(f.label(where_(&r)).help(help_for(cx.config)));
        }
        // Images in charts' values, at the node that gives the registry (one
        // finding per node: `global.imageRegistry` may serve many images).
        let mut seen = std::collections::HashSet::new();
        for e in &index.helm {
            let Some(at) = &e.registry_at else { continue };
            // With the chart's own repository, only a registry in the values is judged.
            let probe = e.text.replace('…', "chart-image");
            if probe == "chart-image" {
                continue;
            }
            let Some(r) = untrusted(&probe, cx.config) else {
                continue;
            };
            // A remote chart may put a registry of its own in front of a
            // repository that names none: only a named registry is judged.
            if e.defaults.is_none() && !r.explicit_registry {
                continue;
            }
            if seen.insert((at.at, r.registry.clone())) {
                let image = if e.repository_known {
                    format!("image `{}`", e.text)
                } else {
                    format!("`{}`", e.path)
                };
                let message = format!(
                    "{image} comes from `{}`, which is not an allowed registry ({})",
                    r.registry,
                    e.context(index)
                );
                let f = super::helm::finding(&Self::META, index, e, at, message);
                cx.findings
                    .push(f.label(where_(&r)).help(help_for(cx.config)));
            }
        }
    }
}

/// Images a workflow hands to the cluster itself (`azure/k8s-deploy`
/// `images:`, `kubectl set image`, `helm --set image.repository=` with a
/// registry).
fn deployed_by_workflows(index: &RepoIndex, cx: &mut RepoCx) {
    for wf in &index.workflows {
        for d in &wf.deploys {
            for (part, img) in d.image_values() {
                let r = match part {
                    ImagePart::Reference => untrusted(&img.value, cx.config),
                    // A repository alone may get its registry from the chart.
                    ImagePart::Repository => {
                        untrusted(&img.value, cx.config).filter(|r| r.explicit_registry)
                    }
                    ImagePart::Tag => None,
                };
                let Some(r) = r else { continue };
                cx.findings.push(
                    Finding::new(
                        &UntrustedRegistry::META,
                        Location {
                            file: wf.file,
                            span: img.span,
                        },
                        format!(
                            "image `{}` comes from `{}`, which is not an allowed registry, deployed by `{}`",
                            img.value, r.registry, d.via
                        ),
                    )
                    .label(where_(&r))
                    .help(help_for(cx.config)),
                );
            }
        }
    }
}

/// The parsed reference when its registry is known and not allowed.
fn untrusted(text: &str, config: &crate::config::Config) -> Option<image::ImageRef> {
    let r = concrete_registry(text)?;
    (!config.allowed_registries.iter().any(|p| p.matches(&r))).then_some(r)
}

fn where_(r: &image::ImageRef) -> String {
    if r.explicit_registry {
        format!("registry `{}`", r.registry)
    } else {
        "no registry: Docker Hub (`docker.io`)".to_string()
    }
}

/// The help line, the same for every finding of a run: made once per
/// allowed list and shared (on the corpus it repeats 19,000 times).
fn help_for(config: &crate::config::Config) -> std::sync::Arc<str> {
    static CACHE: std::sync::Mutex<Option<(Vec<String>, std::sync::Arc<str>)>> =
        std::sync::Mutex::new(None);
    let allowed = || config.allowed_registries.iter().map(|p| p.text.as_str());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((key, help)) = cache.as_ref() {
        if key.iter().map(String::as_str).eq(allowed()) {
            return help.clone();
        }
    }
    let list: Vec<&str> = allowed().collect();
    let help: std::sync::Arc<str> = format!(
        "push the image to an allowed registry ({}) and reference it there, or allow this registry in `registries.allowed`",
        if list.is_empty() { "none is allowed".to_string() } else { list.join(", ") }
    )
    .into();
    *cache = Some((allowed().map(str::to_string).collect(), help.clone()));
    help
}

/// The parsed reference when its registry is known: no placeholder in the
/// registry part. A placeholder in the tag alone does not hide the registry.
pub fn concrete_registry(text: &str) -> Option<image::ImageRef> {
    if !has_placeholder(text) {
        return image::parse(text).ok();
    }
    let (first, _) = text.split_once('/')?;
    let is_registry = first.contains('.') || first.contains(':') || first == "localhost";
    if !is_registry || has_placeholder(first) {
        return None;
    }
    // Substitute a neutral path and tag to parse the registry alone.
    image::parse(&format!("{first}/placeholder:0")).ok()
}
