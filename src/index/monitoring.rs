//! Monitoring objects and dashboards made for the GitOps operator itself
//! (Flux's or Argo CD's controllers), which belong beside it: a
//! ServiceMonitor or PodMonitor selecting the operator's pods, a
//! PrometheusRule alerting only on the operator's metrics, a
//! GrafanaDashboard or dashboards ConfigMap showing them; and the routes
//! that expose the operator's own services (an HTTPRoute or Ingress whose
//! every backend is Flux's `webhook-receiver` or Argo CD's server). Judged
//! from the object alone; objects labelled or named for the operator are
//! the rule's to recognise.

use crate::model::k8s::Object;
use crate::yaml::NodeRef;

/// Flux's controllers, as their pods' `app` label names them.
const FLUX_CONTROLLERS: &[&str] = &[
    "source-controller",
    "kustomize-controller",
    "helm-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
];

/// Label values that name the operator as a whole.
const OPERATOR_NAMES: &[&str] = &["flux", "flux-system", "argocd", "argo-cd"];

/// Text that only the operator's metrics, logs or sources hold: Flux's
/// `gotk_*` and Argo CD's `argocd_*` metrics, their namespaces and projects.
const OPERATOR_MARKS: &[&str] = &[
    "gotk_",
    "argocd_",
    "flux-system",
    "fluxcd",
    "argoproj",
    "argo-cd",
];

/// An HTTPRoute, GRPCRoute or Ingress whose every backend is a service of
/// the operator: Flux's `webhook-receiver` or `notification-controller`,
/// Argo CD's `argocd-server` (also with a release prefix).
pub(super) fn routes_to_operator(obj: &Object) -> bool {
    let spec = obj.node.get("spec");
    let mut names: Vec<&str> = Vec::new();
    let rules = spec
        .and_then(|s| s.get("rules"))
        .into_iter()
        .flat_map(|r| r.items());
    match (obj.group(), obj.kind) {
        ("gateway.networking.k8s.io", "HTTPRoute" | "GRPCRoute") => {
            for r in rules {
                let refs = r.get("backendRefs").into_iter().flat_map(|b| b.items());
                names.extend(refs.filter_map(|b| b.str_at(&["name"])));
            }
        }
        ("networking.k8s.io", "Ingress") => {
            for r in rules {
                let paths = r
                    .path(&["http", "paths"])
                    .into_iter()
                    .flat_map(|p| p.items());
                names.extend(paths.filter_map(|p| p.str_at(&["backend", "service", "name"])));
            }
            names.extend(spec.and_then(|s| s.str_at(&["defaultBackend", "service", "name"])));
        }
        _ => return false,
    }
    let operator_service = |n: &str| {
        matches!(
            n,
            "webhook-receiver" | "notification-controller" | "argocd-server"
        ) || n.ends_with("-argocd-server")
    };
    !names.is_empty() && names.iter().all(|n| operator_service(n))
}

fn mentions_operator(text: &str) -> bool {
    OPERATOR_MARKS.iter().any(|m| text.contains(m))
}

/// Whether `obj` is a monitoring object or dashboard for the operator.
pub(super) fn for_operator(obj: &Object) -> bool {
    let n = obj.node;
    let spec = n.get("spec");
    match (obj.group(), obj.kind) {
        (g, "ServiceMonitor" | "PodMonitor") if g.starts_with("monitoring.coreos.com") => spec
            .and_then(|s| s.get("selector"))
            .is_some_and(selects_operator),
        (g, "PrometheusRule") if g.starts_with("monitoring.coreos.com") => {
            let exprs: Vec<&str> = spec
                .and_then(|s| s.get("groups"))
                .into_iter()
                .flat_map(|g| g.items())
                .filter_map(|g| g.get("rules"))
                .flat_map(|r| r.items())
                .filter_map(|r| r.str_at(&["expr"]))
                .collect();
            !exprs.is_empty() && exprs.iter().all(|e| mentions_operator(e))
        }
        (g, "GrafanaDashboard") if g.starts_with("grafana.integreatly.org") => ["url", "json"]
            .iter()
            .filter_map(|k| spec.and_then(|s| s.str_at(&[k])))
            .any(mentions_operator),
        ("", "ConfigMap") => {
            let dashboards = n
                .path(&["metadata", "labels"])
                .into_iter()
                .flat_map(|l| l.entries())
                .filter_map(|(k, _)| k.as_str())
                .any(|k| k.contains("dashboard"));
            if !dashboards {
                return false;
            }
            let data: Vec<(&str, &str)> = n
                .get("data")
                .into_iter()
                .flat_map(|d| d.entries())
                .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
                .collect();
            !data.is_empty()
                && data.iter().all(|(k, v)| {
                    let k = k.to_ascii_lowercase();
                    k.contains("flux") || k.contains("argocd") || mentions_operator(v)
                })
        }
        _ => false,
    }
}

/// Whether a label value (under `key`) names the operator or one of its parts.
fn operator_label(key: &str, value: &str) -> bool {
    let v = value.to_ascii_lowercase();
    FLUX_CONTROLLERS.contains(&v.as_str())
        || v.starts_with("argocd-")
        || (OPERATOR_NAMES.contains(&v.as_str())
            && ["part-of", "instance", "name", "app"]
                .iter()
                .any(|k| key.ends_with(k)))
}

/// A label selector that picks the operator's pods or services: one of its
/// terms names the operator (all the values of an `In` term do).
fn selects_operator(selector: NodeRef) -> bool {
    let labels = selector
        .get("matchLabels")
        .into_iter()
        .flat_map(|m| m.entries())
        .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
        .any(|(k, v)| operator_label(k, v));
    let expressions = selector
        .get("matchExpressions")
        .into_iter()
        .flat_map(|e| e.items())
        .any(|e| {
            let key = e.str_at(&["key"]).unwrap_or("");
            let values: Vec<&str> = e
                .get("values")
                .into_iter()
                .flat_map(|v| v.items())
                .filter_map(|v| v.as_str())
                .collect();
            e.str_at(&["operator"]) == Some("In")
                && !values.is_empty()
                && values.iter().all(|v| operator_label(key, v))
        });
    labels || expressions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_labels() {
        assert!(operator_label("app", "source-controller"));
        assert!(operator_label("app.kubernetes.io/part-of", "flux"));
        assert!(operator_label("app.kubernetes.io/name", "argocd-metrics"));
        assert!(!operator_label("app.kubernetes.io/component", "flux"));
        assert!(!operator_label("app", "web"));
        assert!(mentions_operator(
            "sum(gotk_reconcile_condition{type=\"Ready\"})"
        ));
        assert!(!mentions_operator("rate(http_requests_total[5m])"));
    }
}
