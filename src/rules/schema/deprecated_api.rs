use crate::finding::{Finding, RuleMeta, Severity};
use crate::model::k8s::Object;
use crate::rules::{DocCx, Rule};
use crate::schema::deprecated;

crate::declare_rule! {
    /// # deprecated-api
    ///
    /// An object whose `apiVersion` is deprecated, or removed, in the target
    /// Kubernetes version (`schemas.kubernetes-version`, or
    /// `--kubernetes-version`; default: the bundled schemas' version). A
    /// removed API is an error: the API server no longer serves it and the
    /// apply fails. A deprecated one is a warning naming the version that
    /// removes it. Both name the replacement. The table of APIs is data,
    /// `schemas/deprecated-apis.json`, taken from the Kubernetes Deprecated
    /// API Migration Guide and checked against each version's published
    /// schemas (`schemas/deprecated-apis.md`).
    ///
    /// ## Why
    /// A cluster upgrade removes APIs. Manifests still written against them
    /// keep passing review and then fail to apply, or an operator stops
    /// syncing, on the day of the upgrade. Knowing it before the upgrade is
    /// the whole point.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// apiVersion: extensions/v1beta1   # removed in 1.22: use networking.k8s.io/v1
    /// kind: Ingress
    /// ```
    /// Passes:
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// ```
    ///
    /// ## Options
    /// `schemas.kubernetes-version` (default: the bundled version).
    pub struct DeprecatedApi {
        id: "deprecated-api",
        severity: Error,
        category: "schema",
        summary: "an apiVersion deprecated or removed in the target Kubernetes version",
    }
}

impl Rule for DeprecatedApi {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_object(&self, obj: &Object, cx: &mut DocCx) {
        let Some(api) = deprecated::lookup(obj.api_version, obj.kind) else {
            return;
        };
        let Some(target) = deprecated::version(cx.config.schemas.kubernetes_version) else {
            return;
        };
        let removed = deprecated::removed_in(api, target);
        let deprecated = api.deprecated.is_some_and(|d| d <= target);
        if !removed && !deprecated {
            return;
        }
        let v = |(a, b): (u32, u32)| format!("{a}.{b}");
        let what = format!("{} {}", api.api_version, api.kind);
        let message = match (removed, api.removed, api.deprecated) {
            (true, Some(r), _) => format!("{what} was removed in Kubernetes {}", v(r)),
            (_, Some(r), Some(d)) => format!(
                "{what} is deprecated since Kubernetes {} and removed in {}",
                v(d),
                v(r)
            ),
            (_, _, Some(d)) => format!("{what} is deprecated since Kubernetes {}", v(d)),
            _ => format!("{what} is deprecated"),
        };
        let kind = api.replacement_kind.as_deref().unwrap_or(&api.kind);
        let help = match (&api.replacement, &api.note) {
            (Some(r), Some(n)) => format!("use {r} {kind} ({n})"),
            (Some(r), None) => format!("use {r} {kind}"),
            (None, Some(n)) => n.clone(),
            (None, None) => "it has no replacement: remove the object".to_string(),
        };
        let at = obj
            .node
            .get("apiVersion")
            .map(|n| n.span())
            .unwrap_or_default();
        let mut f = Finding::new(&Self::META, cx.at(at), message).help(help);
        if !removed {
            f = f.severity(Severity::Warning);
        }
        let object = Some(cx.object_ref(obj));
        cx.report(f.object(object));
    }
}
