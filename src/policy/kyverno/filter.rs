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

    fn group_version(&self) -> (&str, &str) {
        match self.api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", self.api_version.as_str()),
        }
    }
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

fn strings(n: NodeRef, what: &str) -> Result<Vec<String>, String> {
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
                    let op = match e.str_at(&["operator"]) {
                        Some("In") => SelectorOp::In,
                        Some("NotIn") => SelectorOp::NotIn,
                        Some("Exists") => SelectorOp::Exists,
                        Some("DoesNotExist") => SelectorOp::DoesNotExist,
                        other => {
                            sel.invalid = Some(format!("unknown operator {other:?}"));
                            continue;
                        }
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
            Gen::Controller(k) if !in_list || names_kind(&self.kinds, "Pod") => vec![k.to_string()],
            Gen::Controller(_) => self.kinds.clone(),
            Gen::CronJob if in_list || !self.kinds.is_empty() => vec!["CronJob".to_string()],
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
