use crate::finding::{Finding, RuleMeta};
use crate::model::image::{self, has_placeholder};
use crate::model::k8s::Object;
use crate::rules::{DocCx, Rule};

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
            let Some(r) = concrete_registry(text) else {
                continue;
            };
            if cx.config.allowed_registries.iter().any(|p| p.matches(&r)) {
                continue;
            }
            let where_ = if r.explicit_registry {
                format!("registry `{}`", r.registry)
            } else {
                "no registry: Docker Hub (`docker.io`)".to_string()
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
                .label(where_)
                .help(help_for(cx.config))
                .object(Some(object)),
            );
        }
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
