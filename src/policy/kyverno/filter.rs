//! A rule's `match` and `exclude` blocks and whether a resource meets them,
//! as Kyverno's `MatchesResourceDescription` decides it (`pkg/engine/utils`,
//! `pkg/utils/match`). Criteria that need cluster or request state
//! (`namespaceSelector`, `subjects`, `roles`, `clusterRoles`) are read but
//! never guessed: a filter that would depend on them is `Unknown`.

use super::scalar::{has_wildcard, wildcard_match};
use crate::yaml::NodeRef;

/// The facts of a resource document a filter looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resource {
    pub kind: String,
    pub api_version: String,
    pub name: String,
    pub namespace: String,
    pub labels: Vec<(String, String)>,
    pub annotations: Vec<(String, String)>,
}

impl Resource {
    pub fn read(doc: NodeRef) -> Resource {
        let s = |keys: &[&str]| doc.str_at(keys).unwrap_or_default().to_string();
        let pairs = |key: &str| {
            doc.path(&["metadata", key])
                .into_iter()
                .flat_map(|m| m.entries())
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        };
        let mut name = s(&["metadata", "name"]);
        if name.is_empty() {
            name = s(&["metadata", "generateName"]);
        }
        Resource {
            kind: s(&["kind"]),
            api_version: s(&["apiVersion"]),
            name,
            namespace: s(&["metadata", "namespace"]),
            labels: pairs("labels"),
            annotations: pairs("annotations"),
        }
    }

    /// The namespace Kyverno's CLI gives a resource that names none:
    /// `default`, unless its kind is one of Kubernetes' cluster-scoped
    /// kinds (a kind it does not know counts as namespaced, as there).
    pub fn default_namespace(&mut self, namespace: &str) {
        if self.namespace.is_empty() && !is_cluster_scoped(&self.api_version, &self.kind) {
            self.namespace = namespace.to_string();
        }
    }

    fn group_version(&self) -> (&str, &str) {
        match self.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.api_version.as_str()),
        }
    }
}

/// Kubernetes' built-in cluster-scoped kinds, by API group.
const CLUSTER_SCOPED: &[(&str, &[&str])] = &[
    (
        "",
        &["Namespace", "Node", "PersistentVolume", "ComponentStatus"],
    ),
    (
        "rbac.authorization.k8s.io",
        &["ClusterRole", "ClusterRoleBinding"],
    ),
    ("apiextensions.k8s.io", &["CustomResourceDefinition"]),
    (
        "admissionregistration.k8s.io",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding",
            "MutatingAdmissionPolicy",
            "MutatingAdmissionPolicyBinding",
        ],
    ),
    ("apiregistration.k8s.io", &["APIService"]),
    (
        "storage.k8s.io",
        &["StorageClass", "CSIDriver", "CSINode", "VolumeAttachment"],
    ),
    ("scheduling.k8s.io", &["PriorityClass"]),
    ("node.k8s.io", &["RuntimeClass"]),
    (
        "networking.k8s.io",
        &["IngressClass", "IPAddress", "ServiceCIDR"],
    ),
    ("policy", &["PodSecurityPolicy"]),
    (
        "certificates.k8s.io",
        &["CertificateSigningRequest", "ClusterTrustBundle"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        &["FlowSchema", "PriorityLevelConfiguration"],
    ),
    ("resource.k8s.io", &["DeviceClass"]),
];

pub(crate) fn is_cluster_scoped(api_version: &str, kind: &str) -> bool {
    let group = api_version.split_once('/').map_or("", |(g, _)| g);
    CLUSTER_SCOPED
        .iter()
        .any(|(g, kinds)| *g == group && kinds.contains(&kind))
}

/// Whether a resource meets a filter or a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Met {
    Yes,
    No(String),
    /// Depends on cluster or request state.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl SelectorOp {
    /// A label selector's `operator`.
    pub fn parse(s: &str) -> Option<SelectorOp> {
        Some(match s {
            "In" => SelectorOp::In,
            "NotIn" => SelectorOp::NotIn,
            "Exists" => SelectorOp::Exists,
            "DoesNotExist" => SelectorOp::DoesNotExist,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub match_labels: Vec<(String, String)>,
    pub expressions: Vec<(String, SelectorOp, Vec<String>)>,
    /// Kubernetes refuses the selector (an unknown operator, values where
    /// none belong): it matches nothing.
    pub invalid: Option<String>,
}

/// One resource filter: a `ResourceDescription` and its user info.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub name: Option<String>,
    pub names: Vec<String>,
    pub namespaces: Vec<String>,
    pub annotations: Vec<(String, String)>,
    pub selector: Option<Selector>,
    pub operations: Vec<String>,
    /// Criteria that need cluster or request state, by key.
    pub needs_cluster: Vec<String>,
}

/// A `match` or `exclude` block: `any` if it has any, else `all`, else the
/// legacy top-level filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Block {
    pub any: Vec<Filter>,
    pub all: Vec<Filter>,
    pub resources: Filter,
}

/// Which pod controller an auto-generated rule is for: its filters' kinds
/// are rewritten as Kyverno's `pkg/autogen` rewrites them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gen<'a> {
    Direct,
    /// A controller with `spec.template`: filters naming Pod name it instead.
    Controller(&'a str),
    /// CronJob: every `any`/`all` filter names CronJob.
    CronJob,
}

/// A list of strings (null: empty); `what` names it in the error.
pub(crate) fn strings(n: NodeRef, what: &str) -> Result<Vec<String>, String> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    if !n.is_seq() {
        return Err(format!("`{what}` is not a list"));
    }
    n.items()
        .map(|i| {
            i.as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("`{what}` holds a non-scalar"))
        })
        .collect()
}

fn string_map(n: NodeRef, what: &str) -> Result<Vec<(String, String)>, String> {
    if n.is_null() {
        return Ok(Vec::new());
    }
    if !n.is_map() {
        return Err(format!("`{what}` is not a map"));
    }
    n.entries()
        .map(|(k, v)| match (k.as_str(), v.as_str()) {
            (Some(k), Some(v)) => Ok((k.to_string(), v.to_string())),
            _ => Err(format!("`{what}` holds a non-scalar")),
        })
        .collect()
}

fn read_selector(n: NodeRef) -> Result<Selector, String> {
    if !n.is_map() && !n.is_null() {
        return Err("`selector` is not a map".into());
    }
    let mut sel = Selector::default();
    for (k, v) in n.entries() {
        match k.as_str() {
            Some("matchLabels") => sel.match_labels = string_map(v, "matchLabels")?,
            Some("matchExpressions") => {
                for e in v.items() {
                    let key = e.str_at(&["key"]).unwrap_or_default().to_string();
                    let values = match e.get("values") {
                        Some(vs) => strings(vs, "values")?,
                        None => Vec::new(),
                    };
                    let other = e.str_at(&["operator"]);
                    let Some(op) = other.and_then(SelectorOp::parse) else {
                        sel.invalid = Some(format!("unknown operator {other:?}"));
                        continue;
                    };
                    let needs_values = matches!(op, SelectorOp::In | SelectorOp::NotIn);
                    if needs_values == values.is_empty() {
                        sel.invalid = Some(format!("operator {op:?} with values {values:?}"));
                    }
                    sel.expressions.push((key, op, values));
                }
            }
            _ => return Err(format!("unknown selector key {:?}", k.as_str())),
        }
    }
    Ok(sel)
}

/// A `ResourceDescription` (the value of `resources`) into `f`.
fn read_description(n: NodeRef, f: &mut Filter) -> Result<(), String> {
    if !n.is_map() && !n.is_null() {
        return Err("`resources` is not a map".into());
    }
    for (k, v) in n.entries() {
        let key = k.as_str().unwrap_or_default();
        match key {
            "kinds" => f.kinds = strings(v, key)?,
            "name" => f.name = v.as_str().filter(|s| !s.is_empty()).map(str::to_string),
            "names" => f.names = strings(v, key)?,
            "namespaces" => f.namespaces = strings(v, key)?,
            "annotations" => f.annotations = string_map(v, key)?,
            "operations" => f.operations = strings(v, key)?,
            "selector" if !v.is_null() => f.selector = Some(read_selector(v)?),
            "namespaceSelector" if !v.is_null() => f.needs_cluster.push(key.to_string()),
            "selector" | "namespaceSelector" => {}
            _ => return Err(format!("unknown key `{key}` in `resources`")),
        }
    }
    Ok(())
}

/// A `ResourceFilter` (or the legacy block's own keys, `any` and `all`
/// left to the caller).
fn read_filter(n: NodeRef, legacy: bool) -> Result<Filter, String> {
    if !n.is_map() {
        return Err("a resource filter is not a map".into());
    }
    let mut f = Filter::default();
    for (k, v) in n.entries() {
        let key = k.as_str().unwrap_or_default();
        match key {
            "resources" => read_description(v, &mut f)?,
            "subjects" | "roles" | "clusterRoles" => {
                if v.items().next().is_some() {
                    f.needs_cluster.push(key.to_string());
                }
            }
            "any" | "all" if legacy => {}
            _ => return Err(format!("unknown key `{key}` in a resource filter")),
        }
    }
    Ok(f)
}

impl Block {
    pub fn read(n: NodeRef) -> Result<Block, String> {
        if !n.is_map() {
            return Err("`match`/`exclude` is not a map".into());
        }
        let list = |key: &str| -> Result<Vec<Filter>, String> {
            match n.get(key) {
                None => Ok(Vec::new()),
                Some(l) if l.is_null() => Ok(Vec::new()),
                Some(l) if l.is_seq() => l.items().map(|i| read_filter(i, false)).collect(),
                Some(_) => Err(format!("`{key}` is not a list")),
            }
        };
        Ok(Block {
            any: list("any")?,
            all: list("all")?,
            resources: read_filter(n, true)?,
        })
    }

    /// Every filter of the block, `any`, `all` and legacy.
    pub fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.any
            .iter()
            .chain(&self.all)
            .chain(std::iter::once(&self.resources))
    }

    /// Kyverno's `GetKinds`: every kind the block names.
    pub fn kinds(&self) -> impl Iterator<Item = &str> {
        self.filters()
            .flat_map(|f| f.kinds.iter().map(String::as_str))
    }

    /// `match`: whether the resource is selected.
    pub fn matches(&self, r: &Resource, gen: Gen) -> Met {
        if !self.any.is_empty() {
            let mut unknown = None;
            for f in &self.any {
                match f.meets(r, gen, true, true) {
                    Met::Yes => return Met::Yes,
                    Met::Unknown(why) => unknown = unknown.or(Some(why)),
                    Met::No(_) => {}
                }
            }
            return match unknown {
                Some(why) => Met::Unknown(why),
                None => Met::No("no `match.any` filter matched".into()),
            };
        }
        if !self.all.is_empty() {
            return all_of(self.all.iter().map(|f| f.meets(r, gen, true, true)));
        }
        self.resources.meets(r, gen, false, true)
    }

    /// `exclude`: `Yes` when the resource is excluded.
    pub fn excludes(&self, r: &Resource, gen: Gen) -> Met {
        if !self.any.is_empty() {
            let mut unknown = None;
            for f in self.any.iter().filter(|f| !f.is_empty()) {
                match f.meets(r, gen, true, false) {
                    Met::Yes => return Met::Yes,
                    Met::Unknown(why) => unknown = unknown.or(Some(why)),
                    Met::No(_) => {}
                }
            }
            return unknown.map_or(Met::No("not excluded".into()), Met::Unknown);
        }
        if !self.all.is_empty() {
            // An empty filter excludes nothing, so it keeps the resource.
            if self.all.iter().any(Filter::is_empty) {
                return Met::No("not excluded".into());
            }
            return all_of(self.all.iter().map(|f| f.meets(r, gen, true, false)));
        }
        if self.resources.is_empty() {
            return Met::No("not excluded".into());
        }
        self.resources.meets(r, gen, false, false)
    }
}

fn all_of(mets: impl Iterator<Item = Met>) -> Met {
    let mut unknown = None;
    for m in mets {
        match m {
            Met::No(why) => return Met::No(why),
            Met::Unknown(why) => unknown = unknown.or(Some(why)),
            Met::Yes => {}
        }
    }
    unknown.map_or(Met::Yes, Met::Unknown)
}

/// Kyverno's `ParseKindSelector` without subresources: (group, version, kind).
fn parse_kind(sel: &str) -> Option<(&str, &str, &str)> {
    let is_version = |s: &str| {
        s == "*"
            || s.strip_prefix('v').is_some_and(|rest| {
                let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                rest.len() > digits.len()
                    && (digits.is_empty()
                        || ["alpha", "beta"].iter().any(|p| {
                            digits.strip_prefix(p).is_some_and(|d| {
                                !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
                            })
                        }))
            })
    };
    let parts: Vec<&str> = sel.split('/').collect();
    // A subresource (`Pod.status`, `Pod/exec`) never matches a manifest.
    if parts.last().is_some_and(|k| k.contains('.')) {
        return None;
    }
    match parts.as_slice() {
        [k] => Some(("*", "*", k)),
        ["*", "*"] => Some(("*", "*", "*")),
        [v, k] if is_version(v) => Some(("*", v, k)),
        [_, _] => None,
        [v, _, _] if is_version(v) => None,
        [g, v, k] => Some((g, v, k)),
        _ => None,
    }
}

/// Kyverno's `CheckKind` for a manifest (no subresource).
pub fn kind_matches(kinds: &[String], r: &Resource) -> bool {
    let (group, version) = r.group_version();
    kinds.iter().any(|k| {
        parse_kind(k).is_some_and(|(g, v, kind)| {
            wildcard_match(g, group) && wildcard_match(v, version) && wildcard_match(kind, &r.kind)
        })
    })
}

/// Kyverno's `ContainsKind`: whether a kind list names `kind` (any group
/// or version).
pub fn names_kind(kinds: &[String], kind: &str) -> bool {
    kinds
        .iter()
        .any(|k| k.rsplit('/').next().is_some_and(|last| last == kind))
}

impl Selector {
    /// `metav1.LabelSelector` after Kyverno's `ReplaceInSelector`.
    pub fn matches(&self, labels: &[(String, String)]) -> bool {
        if self.invalid.is_some() {
            return false;
        }
        let label = |k: &str| labels.iter().find(|(lk, _)| lk == k).map(|(_, v)| v);
        let labels_ok = self.match_labels.iter().all(|(k, v)| {
            if has_wildcard(k) || has_wildcard(v) {
                if labels
                    .iter()
                    .any(|(lk, lv)| wildcard_match(k, lk) && wildcard_match(v, lv))
                {
                    return true;
                }
                let (k, v) = (k.replace(['*', '?'], "0"), v.replace(['*', '?'], "0"));
                return label(&k) == Some(&v);
            }
            label(k) == Some(v)
        });
        labels_ok
            && self.expressions.iter().all(|(k, op, values)| match op {
                SelectorOp::In => label(k).is_some_and(|v| values.contains(v)),
                SelectorOp::NotIn => label(k).is_none_or(|v| !values.contains(v)),
                SelectorOp::Exists => label(k).is_some(),
                SelectorOp::DoesNotExist => label(k).is_none(),
            })
    }
}

/// Kyverno's `ConvertKindsToGVK`: the kinds auto-generated rules name.
fn gvk(kind: &str) -> String {
    let gv = match kind {
        "DaemonSet" | "Deployment" | "StatefulSet" | "ReplicaSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        "ReplicationController" | "Pod" => "v1",
        _ => return kind.to_string(),
    };
    format!("{gv}/{kind}")
}

impl Filter {
    /// Kyverno's `ResourceDescription.IsEmpty` with empty user info.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
            && self.name.is_none()
            && self.names.is_empty()
            && self.namespaces.is_empty()
            && self.annotations.is_empty()
            && self.selector.is_none()
            && self.operations.is_empty()
            && self.needs_cluster.is_empty()
    }

    fn kinds_for(&self, gen: Gen<'_>, in_list: bool) -> Vec<String> {
        match gen {
            Gen::Direct => self.kinds.clone(),
            Gen::Controller(k) if !in_list || names_kind(&self.kinds, "Pod") => vec![gvk(k)],
            Gen::Controller(_) => self.kinds.clone(),
            Gen::CronJob if in_list || !self.kinds.is_empty() => vec![gvk("CronJob")],
            Gen::CronJob => Vec::new(),
        }
    }

    /// Kyverno's `doesResourceMatchConditionBlock`, operation CREATE.
    /// `in_list`: the filter is an `any`/`all` item (auto-gen rewrites
    /// those by their own kinds). `matching`: a legacy `match` block's
    /// filter gets the controller kinds even when it names no kind.
    pub fn meets(&self, r: &Resource, gen: Gen, in_list: bool, matching: bool) -> Met {
        if self.is_empty() && matching {
            return Met::No("match cannot be empty".into());
        }
        if !self.operations.is_empty() && !self.operations.iter().any(|o| o == "CREATE") {
            return Met::No("operation does not match".into());
        }
        let mut kinds = self.kinds_for(gen, in_list);
        if matches!(gen, Gen::Controller(_)) && !in_list && !matching && self.kinds.is_empty() {
            kinds.clear();
        }
        if !kinds.is_empty() && !kind_matches(&kinds, r) {
            return Met::No(format!("kind does not match {kinds:?}"));
        }
        if let Some(n) = &self.name {
            if !wildcard_match(n, &r.name) {
                return Met::No("name does not match".into());
            }
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| wildcard_match(n, &r.name)) {
            return Met::No("none of the names match".into());
        }
        let ns = if r.kind == "Namespace" {
            &r.name
        } else {
            &r.namespace
        };
        if !self.namespaces.is_empty() && !self.namespaces.iter().any(|n| wildcard_match(n, ns)) {
            return Met::No("namespace does not match".into());
        }
        let annotations_ok = self.annotations.iter().all(|(k, v)| {
            r.annotations
                .iter()
                .any(|(rk, rv)| wildcard_match(k, rk) && wildcard_match(v, rv))
        });
        if !annotations_ok {
            return Met::No("annotations do not match".into());
        }
        if let Some(sel) = &self.selector {
            if !sel.matches(&r.labels) {
                return Met::No("selector does not match".into());
            }
        }
        if !self.needs_cluster.is_empty() {
            return Met::Unknown(format!(
                "`{}` needs cluster or request state",
                self.needs_cluster.join("`, `")
            ));
        }
        Met::Yes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn resource(text: &str) -> Resource {
        let s = parse_stream(text, &Limits::default());
        Resource::read(s.docs[0].root().unwrap())
    }

    fn block(text: &str) -> Block {
        let s = parse_stream(text, &Limits::default());
        Block::read(s.docs[0].root().unwrap()).unwrap()
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n  namespace: shop\n  labels: {app: web, tier: front}\n  annotations: {team: blue}\n";
    const DEPLOY: &str =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\n";

    fn yes(m: &str, r: &str) -> bool {
        match block(m).matches(&resource(r), Gen::Direct) {
            Met::Yes => true,
            Met::No(_) => false,
            Met::Unknown(why) => panic!("unknown: {why}"),
        }
    }

    #[test]
    fn kinds() {
        assert!(yes("resources: {kinds: [Pod]}", POD));
        assert!(!yes("resources: {kinds: [Deployment]}", POD));
        assert!(yes("resources: {kinds: [apps/v1/Deployment]}", DEPLOY));
        assert!(!yes("resources: {kinds: [batch/v1/Deployment]}", DEPLOY));
        assert!(yes("resources: {kinds: [v1/Deployment]}", DEPLOY));
        assert!(!yes("resources: {kinds: [v2/Deployment]}", DEPLOY));
        assert!(yes("resources: {kinds: [v1/Pod]}", POD));
        assert!(yes("resources: {kinds: ['*']}", POD));
        assert!(yes("resources: {kinds: ['*/*']}", DEPLOY));
        assert!(yes("resources: {kinds: ['Deploy*']}", DEPLOY));
        assert!(yes("resources: {kinds: ['apps/*/Deployment']}", DEPLOY));
        // Subresources never match a manifest.
        assert!(!yes("resources: {kinds: [Pod/exec]}", POD));
        assert!(!yes("resources: {kinds: [Pod.status]}", POD));
    }

    #[test]
    fn names_and_namespaces() {
        assert!(yes("resources: {kinds: [Pod], name: 'web-*'}", POD));
        assert!(!yes("resources: {kinds: [Pod], name: 'api-?'}", POD));
        assert!(yes("resources: {kinds: [Pod], names: [x, 'web-?']}", POD));
        assert!(!yes("resources: {kinds: [Pod], names: [x, y]}", POD));
        assert!(yes(
            "resources: {kinds: [Pod], namespaces: [dev, 'sh*']}",
            POD
        ));
        assert!(!yes("resources: {kinds: [Pod], namespaces: [dev]}", POD));
        // A Namespace's namespace is its name.
        let ns = "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n";
        assert!(yes(
            "resources: {kinds: [Namespace], namespaces: [prod]}",
            ns
        ));
        // A resource without a namespace meets no namespace pattern but `*`.
        let bare = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        assert!(!yes(
            "resources: {kinds: [Pod], namespaces: [default]}",
            bare
        ));
        assert!(yes("resources: {kinds: [Pod], namespaces: ['*']}", bare));
    }

    #[test]
    fn generate_name_stands_for_a_missing_name() {
        let r = "apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\n";
        assert!(yes("resources: {kinds: [Pod], names: ['job-*']}", r));
    }

    #[test]
    fn selectors() {
        let m = |sel: &str| {
            yes(
                &format!("resources: {{kinds: [Pod], selector: {sel}}}"),
                POD,
            )
        };
        assert!(m("{matchLabels: {app: web}}"));
        assert!(!m("{matchLabels: {app: api}}"));
        assert!(m("{matchLabels: {'ap*': 'w?b'}}"));
        assert!(!m("{matchLabels: {'x*': '*'}}"));
        assert!(m("{}"));
        let e = |op: &str, vals: &str| {
            m(&format!(
                "{{matchExpressions: [{{key: app, operator: {op}{vals}}}]}}"
            ))
        };
        assert!(e("In", ", values: [web, api]"));
        assert!(!e("In", ", values: [api]"));
        assert!(e("NotIn", ", values: [api]"));
        assert!(!e("NotIn", ", values: [web]"));
        assert!(e("Exists", ""));
        assert!(!e("DoesNotExist", ""));
        // Invalid selectors match nothing.
        assert!(!e("In", ""));
        assert!(!e("Exists", ", values: [web]"));
        assert!(!e("Near", ", values: [web]"));
        assert!(m(
            "{matchExpressions: [{key: nope, operator: DoesNotExist}]}"
        ));
        assert!(m(
            "{matchExpressions: [{key: nope, operator: NotIn, values: [a]}]}"
        ));
    }

    #[test]
    fn operations_and_annotations() {
        assert!(yes(
            "resources: {kinds: [Pod], operations: [CREATE, UPDATE]}",
            POD
        ));
        assert!(!yes("resources: {kinds: [Pod], operations: [DELETE]}", POD));
        assert!(yes(
            "resources: {kinds: [Pod], annotations: {team: blue}}",
            POD
        ));
        assert!(yes(
            "resources: {kinds: [Pod], annotations: {'te*': 'b*'}}",
            POD
        ));
        assert!(!yes(
            "resources: {kinds: [Pod], annotations: {team: red}}",
            POD
        ));
    }

    #[test]
    fn any_all_and_legacy() {
        assert!(yes(
            "any: [{resources: {kinds: [Service]}}, {resources: {kinds: [Pod]}}]",
            POD
        ));
        assert!(!yes("any: [{resources: {kinds: [Service]}}]", POD));
        assert!(yes(
            "all: [{resources: {kinds: [Pod]}}, {resources: {names: ['web*']}}]",
            POD
        ));
        assert!(!yes(
            "all: [{resources: {kinds: [Pod]}}, {resources: {names: [x]}}]",
            POD
        ));
        // `any` wins over the legacy filter, as in Kyverno.
        assert!(yes(
            "any: [{resources: {kinds: [Pod]}}]\nresources: {kinds: [Service]}",
            POD
        ));
        // An empty match filter matches nothing.
        assert!(!yes("any: [{resources: {}}]", POD));
        assert!(!yes("{}", POD));
    }

    #[test]
    fn cluster_state_is_unknown_not_guessed() {
        let r = resource(POD);
        for m in [
            "any: [{resources: {kinds: [Pod], namespaceSelector: {matchLabels: {a: b}}}}]",
            "any: [{subjects: [{kind: User, name: x}]}]",
            "resources: {kinds: [Pod]}\nroles: [admin]",
            "all: [{resources: {kinds: [Pod]}}, {clusterRoles: [x]}]",
        ] {
            assert!(
                matches!(block(m).matches(&r, Gen::Direct), Met::Unknown(_)),
                "{m}"
            );
        }
        // A failing decidable criterion decides even so.
        let m = "any: [{resources: {kinds: [Service], namespaceSelector: {matchLabels: {a: b}}}}]";
        assert!(matches!(block(m).matches(&r, Gen::Direct), Met::No(_)));
        let e = "any: [{subjects: [{kind: User, name: x}]}]";
        assert!(matches!(
            block(e).excludes(&r, Gen::Direct),
            Met::Unknown(_)
        ));
    }

    #[test]
    fn exclude_blocks() {
        let r = resource(POD);
        let ex = |t: &str| block(t).excludes(&r, Gen::Direct) == Met::Yes;
        assert!(ex(
            "any: [{resources: {namespaces: [kube-system]}}, {resources: {names: ['web*']}}]"
        ));
        assert!(!ex("any: [{resources: {namespaces: [kube-system]}}]"));
        assert!(ex(
            "all: [{resources: {kinds: [Pod]}}, {resources: {namespaces: [shop]}}]"
        ));
        assert!(!ex(
            "all: [{resources: {kinds: [Pod]}}, {resources: {namespaces: [x]}}]"
        ));
        assert!(ex("resources: {selector: {matchLabels: {tier: front}}}"));
        assert!(!ex("resources: {}"));
        assert!(!ex("any: [{resources: {}}]"));
    }

    #[test]
    fn autogen_rewrites_kinds() {
        let r = resource(DEPLOY);
        let b = block("any: [{resources: {kinds: [Pod]}}]");
        assert_eq!(b.matches(&r, Gen::Controller("Deployment")), Met::Yes);
        assert!(matches!(b.matches(&r, Gen::Direct), Met::No(_)));
        let legacy = block("resources: {kinds: [Pod]}");
        assert_eq!(legacy.matches(&r, Gen::Controller("Deployment")), Met::Yes);
        // An exclude without kinds keeps applying to the controller.
        let ex = block("resources: {namespaces: [shop]}");
        assert_eq!(ex.excludes(&r, Gen::Controller("Deployment")), Met::Yes);
        let cj = resource("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\n");
        assert_eq!(b.matches(&cj, Gen::CronJob), Met::Yes);
        // Auto-generated rules name the controllers' current API versions.
        let old = resource("apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n");
        assert!(matches!(b.matches(&old, Gen::CronJob), Met::No(_)));
        let old =
            resource("apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: d}\n");
        assert!(matches!(
            b.matches(&old, Gen::Controller("Deployment")),
            Met::No(_)
        ));
    }

    #[test]
    fn bad_blocks_are_errors_not_panics() {
        for t in [
            "[a]",
            "any: x",
            "any: [x]",
            "resources: [x]",
            "resources: {kinds: x}",
            "resources: {kinds: [{a: b}]}",
            "resources: {selector: [x]}",
            "resources: {selector: {matchLabels: [x]}}",
            "resources: {bogus: 1}",
            "bogus: 1",
        ] {
            let s = parse_stream(t, &Limits::default());
            assert!(Block::read(s.docs[0].root().unwrap()).is_err(), "{t}");
        }
    }
}
