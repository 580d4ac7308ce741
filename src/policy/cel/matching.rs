//! `spec.matchConstraints` of a ValidatingAdmissionPolicy or a Kyverno
//! ValidatingPolicy, owned, and whether a resource document meets it as a
//! CREATE request: resource rules (groups, versions, resources by plural
//! name, operations, resource names), exclude rules, the object selector on
//! the resource's labels, and the namespace selector when the namespace's
//! labels are known.

use crate::policy::kyverno::strings as filter_strings;
use crate::policy::kyverno::{Met, Resource, Selector, SelectorOp};
use crate::yaml::NodeRef;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceRule {
    pub groups: Vec<String>,
    pub versions: Vec<String>,
    /// Plural names (`pods`, `*`, `pods/exec`).
    pub resources: Vec<String>,
    pub operations: Vec<String>,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    pub rules: Vec<ResourceRule>,
    pub exclude: Vec<ResourceRule>,
    pub namespace_selector: Option<Selector>,
    pub object_selector: Option<Selector>,
}

/// An optional list of strings: absent or null is empty.
fn strings(n: Option<NodeRef>, what: &str) -> Result<Vec<String>, String> {
    n.map_or(Ok(Vec::new()), |n| filter_strings(n, what))
}

fn read_rule(n: NodeRef) -> Result<ResourceRule, String> {
    Ok(ResourceRule {
        groups: strings(n.get("apiGroups"), "apiGroups")?,
        versions: strings(n.get("apiVersions"), "apiVersions")?,
        resources: strings(n.get("resources"), "resources")?,
        operations: strings(n.get("operations"), "operations")?,
        names: strings(n.get("resourceNames"), "resourceNames")?,
    })
}

/// A Kubernetes `LabelSelector`; an empty one is `None` (it selects all).
pub fn read_selector(n: NodeRef) -> Result<Option<Selector>, String> {
    let mut sel = Selector::default();
    if let Some(labels) = n.get("matchLabels") {
        for (k, v) in labels.entries() {
            sel.match_labels.push((
                k.as_str().unwrap_or_default().to_string(),
                v.as_str().unwrap_or_default().to_string(),
            ));
        }
    }
    for e in n
        .get("matchExpressions")
        .into_iter()
        .flat_map(|l| l.items())
    {
        let key = e.str_at(&["key"]).unwrap_or_default().to_string();
        let values = strings(e.get("values"), "values")?;
        let other = e.str_at(&["operator"]);
        let Some(op) = other.and_then(SelectorOp::parse) else {
            return Err(format!("unknown selector operator {other:?}"));
        };
        sel.expressions.push((key, op, values));
    }
    Ok((!sel.match_labels.is_empty() || !sel.expressions.is_empty()).then_some(sel))
}

impl Constraints {
    pub fn read(n: NodeRef) -> Result<Constraints, String> {
        let rules = |key: &str| -> Result<Vec<ResourceRule>, String> {
            n.get(key)
                .into_iter()
                .flat_map(|l| l.items())
                .map(read_rule)
                .collect()
        };
        let selector = |key: &str| match n.get(key) {
            Some(s) => read_selector(s).map_err(|e| format!("`{key}`: {e}")),
            None => Ok(None),
        };
        Ok(Constraints {
            rules: rules("resourceRules")?,
            exclude: rules("excludeResourceRules")?,
            namespace_selector: selector("namespaceSelector")?,
            object_selector: selector("objectSelector")?,
        })
    }

    /// Whether a CREATE of `r` meets the constraints. `ns_labels` are the
    /// labels of the resource's namespace when known.
    pub fn meets(&self, r: &Resource, ns_labels: Option<&[(String, String)]>) -> Met {
        if !self.rules.iter().any(|rule| rule_matches(rule, r)) {
            return Met::No(format!("no resource rule matches {}", r.kind));
        }
        if self.exclude.iter().any(|rule| rule_matches(rule, r)) {
            return Met::No("an exclude resource rule matches".into());
        }
        if let Some(sel) = &self.object_selector {
            if !sel.matches(&r.labels) {
                return Met::No("the object selector does not select the resource".into());
            }
        }
        if let Some(sel) = &self.namespace_selector {
            // A Namespace is selected by its own labels.
            if r.kind == "Namespace" && r.api_version == "v1" && !sel.matches(&r.labels) {
                return Met::No("the namespace selector does not select the namespace".into());
            }
            if !r.namespace.is_empty() {
                match ns_labels {
                    Some(labels) if !sel.matches(labels) => {
                        return Met::No(
                            "the namespace selector does not select its namespace".into(),
                        )
                    }
                    Some(_) => {}
                    None => {
                        return Met::Unknown(
                            "the namespace selector needs the namespace's labels".into(),
                        )
                    }
                }
            }
        }
        Met::Yes
    }

    /// Kyverno's `CanAutoGen`: one rule, for `v1` `pods` alone, no object
    /// selector, no exclusions, no names.
    pub fn pods_only(&self) -> bool {
        let [rule] = self.rules.as_slice() else {
            return false;
        };
        self.object_selector.is_none()
            && self.exclude.is_empty()
            && rule.names.is_empty()
            && rule.groups == [""]
            && rule.versions == ["v1"]
            && rule.resources == ["pods"]
    }
}

fn any_of(list: &[String], value: &str) -> bool {
    list.iter().any(|x| x == "*" || x == value)
}

fn rule_matches(rule: &ResourceRule, r: &Resource) -> bool {
    let (group, version) = match r.api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", r.api_version.as_str()),
    };
    let plural = plural(&r.kind);
    any_of(&rule.groups, group)
        && any_of(&rule.versions, version)
        && rule.resources.iter().any(|x| x == "*" || *x == plural)
        && (rule.operations.is_empty() || any_of(&rule.operations, "CREATE"))
        && (rule.names.is_empty() || rule.names.contains(&r.name))
}

/// Kinds whose plural the rules below do not make.
const IRREGULAR: [(&str, &str); 4] = [
    ("Endpoints", "endpoints"),
    ("PodMetrics", "pods"),
    ("NodeMetrics", "nodes"),
    ("ComponentStatus", "componentstatuses"),
];

/// The resource (plural) name of a kind, as the API server names built-in
/// kinds and CRDs conventionally name theirs.
pub fn plural(kind: &str) -> String {
    if let Some((_, p)) = IRREGULAR.iter().find(|(k, _)| *k == kind) {
        return p.to_string();
    }
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    if let Some(stem) = lower.strip_suffix('y') {
        if !stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            return format!("{stem}ies");
        }
    }
    format!("{lower}s")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn plurals_of_builtin_kinds() {
        for (k, p) in [
            ("Pod", "pods"),
            ("Ingress", "ingresses"),
            ("NetworkPolicy", "networkpolicies"),
            ("Gateway", "gateways"),
            ("Endpoints", "endpoints"),
            ("ClusterRole", "clusterroles"),
            ("PodDisruptionBudget", "poddisruptionbudgets"),
        ] {
            assert_eq!(plural(k), p);
        }
    }

    fn resource(src: &str) -> Resource {
        let ps = parse_stream(src, &Limits::default());
        let mut r = Resource::read(ps.docs[0].root().unwrap());
        r.default_namespace("default");
        r
    }

    #[test]
    fn rules_selectors_and_exclusions() {
        let src = "resourceRules:\n  - apiGroups: ['']\n    apiVersions: [v1]\n    resources: [pods]\n    operations: [CREATE, UPDATE]\nexcludeResourceRules:\n  - apiGroups: ['']\n    apiVersions: [v1]\n    resources: [pods]\n    resourceNames: [skipme]\nobjectSelector:\n  matchExpressions:\n    - {key: tier, operator: NotIn, values: [system]}\n";
        let ps = parse_stream(src, &Limits::default());
        let c = Constraints::read(ps.docs[0].root().unwrap()).unwrap();
        assert!(!c.pods_only(), "an object selector stops autogen");
        let pod = resource("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n");
        assert_eq!(c.meets(&pod, None), Met::Yes);
        let skipped = resource("apiVersion: v1\nkind: Pod\nmetadata: {name: skipme}\n");
        assert!(matches!(c.meets(&skipped, None), Met::No(_)));
        let system =
            resource("apiVersion: v1\nkind: Pod\nmetadata: {name: a, labels: {tier: system}}\n");
        assert!(matches!(c.meets(&system, None), Met::No(_)));
        let deploy = resource("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n");
        assert!(matches!(c.meets(&deploy, None), Met::No(_)));
    }

    #[test]
    fn namespace_selectors_need_labels() {
        let src = "resourceRules:\n  - {apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], operations: ['*']}\nnamespaceSelector:\n  matchLabels: {team: a}\n";
        let ps = parse_stream(src, &Limits::default());
        let c = Constraints::read(ps.docs[0].root().unwrap()).unwrap();
        let cm = resource("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
        assert!(matches!(c.meets(&cm, None), Met::Unknown(_)));
        let labels = [("team".to_string(), "a".to_string())];
        assert_eq!(c.meets(&cm, Some(&labels)), Met::Yes);
        assert!(matches!(c.meets(&cm, Some(&[])), Met::No(_)));
        let role = resource(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: a}\n",
        );
        assert_eq!(
            c.meets(&role, None),
            Met::Yes,
            "cluster-scoped: not selected"
        );
        let ns =
            resource("apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {team: a}}\n");
        assert_eq!(
            c.meets(&ns, None),
            Met::Yes,
            "a Namespace by its own labels"
        );
        let ns = resource("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n");
        assert!(matches!(c.meets(&ns, None), Met::No(_)));
    }
}
