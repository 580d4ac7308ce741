//! The tree walk: a resource against a `validate.pattern`, as Kyverno's
//! `validate.MatchPattern` walks them.
//!
//! A map pattern is evaluated in two phases: first its condition,
//! existence, equality and negation anchors (sorted by key), then its
//! other keys (global anchors and keys with anchors below them first). A
//! conditional or global anchor that does not match makes the rule skip;
//! a negation anchor that matches makes it fail; anything else that does
//! not match fails, at the most specific resource node.

use std::collections::BTreeMap;

use super::anchor::{self, AnchorKind};
use super::scalar::{self, Leaf, PatScalar};
use super::value::{leaf, size_up_to, Pat};
use crate::yaml::{NodeRef, Span};

/// Most steps one match may take (a step is one resource node against one
/// pattern node).
const MAX_STEPS: u32 = 2_000_000;

/// Why part of a resource did not match, as Kyverno classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    Plain,
    Conditional,
    Global,
    Negation,
    /// Every branch below skipped (Kyverno's `PatternError` with `Skip`).
    Skipped,
}

impl Why {
    pub(crate) fn is_skip(self) -> bool {
        matches!(self, Why::Conditional | Why::Global | Why::Skipped)
    }
}

/// A mismatch: its class, Kyverno's path for it (empty where Kyverno
/// reports none, which makes the rule an error), where in the resource,
/// and what.
#[derive(Debug, Clone)]
pub(crate) struct Mismatch {
    pub why: Why,
    pub path: String,
    pub at: Span,
    pub message: String,
}

type Walked = Result<(), Mismatch>;

/// One match: the step budget and the anchors seen (Kyverno's `AnchorMap`).
pub(crate) struct Walk {
    steps: u32,
    pub exhausted: bool,
    /// Condition, existence and negation anchor keys: whether some
    /// resource map they were checked against had their key.
    pub anchors: BTreeMap<String, bool>,
}

/// A resource position: the node if present, and what to point at if not.
#[derive(Clone, Copy)]
pub(crate) struct Here<'d, 's> {
    pub node: Option<NodeRef<'d, 's>>,
    pub blame: Span,
}

impl Here<'_, '_> {
    fn at(&self) -> Span {
        self.node
            .map(|n| n.span())
            .filter(|s| !s.is_empty())
            .unwrap_or(self.blame)
    }
}

/// Kyverno's path of the node being walked (`/spec/containers/0/`), built
/// only when a mismatch shows it: each level is a segment on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root(&'a str),
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(crate) fn root(text: &'a str) -> Path<'a> {
        Path {
            parent: None,
            seg: Seg::Root(text),
        }
    }
    fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }
    fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(p) = self.parent {
            p.fmt(f)?;
        }
        match self.seg {
            Seg::Root(t) => f.write_str(t),
            Seg::Key(k) => write!(f, "{k}/"),
            Seg::Index(i) => write!(f, "{i}/"),
        }
    }
}

fn plain(path: &Path, at: Span, message: String) -> Mismatch {
    Mismatch {
        why: Why::Plain,
        path: path.to_string(),
        at,
        message,
    }
}

impl Walk {
    pub(crate) fn new() -> Self {
        Walk {
            steps: 0,
            exhausted: false,
            anchors: BTreeMap::new(),
        }
    }

    fn step(&mut self, path: &Path, at: Span) -> Walked {
        self.steps = self.steps.saturating_add(1);
        if self.steps > MAX_STEPS {
            self.exhausted = true;
        }
        if self.exhausted {
            return Err(plain(path, at, "the match took too many steps".into()));
        }
        Ok(())
    }

    /// Kyverno's `validateResourceElement`.
    pub(crate) fn element(&mut self, here: Here, pat: &Pat, path: &Path) -> Walked {
        self.step(path, here.at())?;
        let node = here.node.map(NodeRef::resolve);
        match pat {
            Pat::Map(entries) => match node.filter(|n| n.is_map()) {
                Some(map) => {
                    self.note_anchors(entries, map);
                    self.map(map, here.blame, entries, path)
                }
                None => Err(plain(
                    path,
                    here.at(),
                    format!(
                        "pattern and resource have different structures at path {path}: expected a map, found {}",
                        shown(node)
                    ),
                )),
            },
            Pat::Seq(items) => match node.filter(|n| n.is_seq()) {
                Some(seq) => self.array(seq, items, path),
                None => Err(plain(
                    path,
                    here.at(),
                    format!("validation rule failed at path {path}, resource does not satisfy the expected overlay pattern"),
                )),
            },
            Pat::Scalar(p) => match node.filter(|n| n.is_seq()) {
                Some(seq) => {
                    for item in seq.items() {
                        self.step(path, item.span())?;
                        if !scalar::matches(leaf(item), p) {
                            return Err(value_mismatch(Some(item), item.span(), p, path));
                        }
                    }
                    Ok(())
                }
                None if scalar::matches(node.map_or(Leaf::Null, leaf), p) => Ok(()),
                None => Err(value_mismatch(node, here.at(), p, path)),
            },
        }
    }

    /// Kyverno's `AnchorMap.CheckAnchorInResource`.
    fn note_anchors(&mut self, entries: &[(String, Pat)], map: NodeRef) {
        for (k, _) in entries {
            let Some(a) = anchor::parse(k) else { continue };
            if !matches!(
                a.kind,
                AnchorKind::Condition | AnchorKind::Existence | AnchorKind::Negation
            ) {
                continue;
            }
            let present = map.get_entry(a.key).is_some();
            let seen = self.anchors.entry(k.clone()).or_insert(false);
            *seen |= present;
        }
    }

    /// Kyverno's `validateMap`: anchors first, then the other keys.
    fn map(&mut self, map: NodeRef, at: Span, entries: &[(String, Pat)], path: &Path) -> Walked {
        self.charge(entries.len(), path, at)?;
        if let Some(meta) = anchor::metadata_of(entries) {
            self.charge(size_up_to(meta, MAX_STEPS as usize), path, at)?;
        }
        let expanded = anchor::expand_in_metadata(entries, map);
        let view: Vec<(&str, &Pat)> = entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| match &expanded {
                Some((mi, m)) if *mi == i => (k.as_str(), m),
                _ => (k.as_str(), v),
            })
            .collect();
        let (mut early, mut rest): (Vec<_>, Vec<_>) = view
            .into_iter()
            .partition(|(k, _)| anchor::parse(k).is_some_and(|a| a.kind.is_early()));
        early.sort_by(|a, b| a.0.cmp(b.0));
        self.map_anchors(map, at, &early, path)?;
        rest.sort_by(|a, b| a.0.cmp(b.0));
        // Global anchors and keys with anchors below them go first (last
        // sorted first, as Kyverno pushes each to the front of its list).
        let mut front = Vec::new();
        let mut back = Vec::new();
        for (k, v) in rest {
            let global = anchor::parse(k).is_some_and(|a| a.kind == AnchorKind::Global);
            if global || self.nested_anchors(v, path, at)? {
                front.push((k, v));
            } else {
                back.push((k, v));
            }
        }
        for (k, v) in front.into_iter().rev().chain(back) {
            self.handle(map, at, k, v, path)?;
        }
        Ok(())
    }

    /// Counts `n` units of work against the budget.
    fn charge(&mut self, n: usize, path: &Path, at: Span) -> Walked {
        self.steps = self.steps.saturating_add(n.min(u32::MAX as usize) as u32);
        self.step(path, at)
    }

    /// [`anchor::has_nested_anchors`], paid for by the nodes it reads.
    fn nested_anchors(&mut self, pat: &Pat, path: &Path, at: Span) -> Result<bool, Mismatch> {
        self.charge(size_up_to(pat, MAX_STEPS as usize), path, at)?;
        Ok(anchor::has_nested_anchors(pat))
    }

    /// Phase one of a map: its condition, existence, equality and negation
    /// anchors. Skips are collected; the map skips if nothing applied, or
    /// if an anchor of this very map skipped.
    fn map_anchors(
        &mut self,
        map: NodeRef,
        at: Span,
        early: &[(&str, &Pat)],
        path: &Path,
    ) -> Walked {
        let mut skips: Vec<Mismatch> = Vec::new();
        let mut applied = 0;
        for &(k, v) in early {
            match self.handle(map, at, k, v, path) {
                Ok(()) => applied += 1,
                Err(e) if self.exhausted => return Err(e),
                Err(e) if e.why.is_skip() => skips.push(e),
                Err(e) => {
                    if !skips.iter().any(|s| s.why != Why::Skipped) {
                        return Err(e);
                    }
                }
            }
        }
        if skips.is_empty() {
            return Ok(());
        }
        if applied == 0 || skips.iter().any(|s| s.why != Why::Skipped) {
            return Err(skipped(path, at, &skips));
        }
        Ok(())
    }

    /// Kyverno's element handlers: one key of a map pattern.
    fn handle(&mut self, map: NodeRef, at: Span, key: &str, pat: &Pat, path: &Path) -> Walked {
        let Some(a) = anchor::parse(key).filter(|a| a.kind != AnchorKind::AddIfNotPresent) else {
            return self.plain_key(map, at, key, pat, path);
        };
        let sub = path.key(a.key);
        let entry = map.get_entry(a.key);
        let here = Here {
            node: entry.map(|(_, v)| v),
            blame: entry.map_or(at, |(k, _)| k.span()),
        };
        match (a.kind, entry) {
            (AnchorKind::Negation, Some((k, _))) => Err(Mismatch {
                why: Why::Negation,
                path: sub.to_string(),
                at: k.span(),
                message: format!("negation anchor matched in resource: {sub} is not allowed"),
            }),
            (AnchorKind::Condition, None) => Err(Mismatch {
                why: Why::Conditional,
                path: sub.to_string(),
                at,
                message: "conditional anchor mismatch: conditional anchor key doesn't exist in the resource".into(),
            }),
            (AnchorKind::Condition | AnchorKind::Global, Some(_)) => {
                self.element(here, pat, &sub).map_err(|mut e| {
                    if !self.exhausted {
                        let (why, what) = if a.kind == AnchorKind::Global {
                            (Why::Global, "global anchor mismatch")
                        } else {
                            (Why::Conditional, "conditional anchor mismatch")
                        };
                        e.why = why;
                        e.message = format!("{what}: {}", e.message);
                    }
                    e
                })
            }
            (AnchorKind::Equality, Some(_)) => self.element(here, pat, &sub),
            (AnchorKind::Existence, Some(_)) => self.existence(here, pat, &sub),
            _ => Ok(()),
        }
    }

    /// A key without an anchor (or with `+`, read literally).
    fn plain_key(&mut self, map: NodeRef, at: Span, key: &str, pat: &Pat, path: &Path) -> Walked {
        let entry = map.get_entry(key);
        let here = Here {
            node: entry.map(|(_, v)| v),
            blame: entry.map_or(at, |(k, _)| k.span()),
        };
        if matches!(pat, Pat::Scalar(PatScalar::Str(s)) if s == "*") {
            return match entry {
                Some((_, v)) if !v.is_null() => Ok(()),
                _ => Err(plain(
                    path,
                    here.at(),
                    format!("{path}{key} not found: it must be present and not empty"),
                )),
            };
        }
        self.element(here, pat, &path.key(key))
    }

    /// `^(key)`: for each map of the pattern list, some element matches.
    fn existence(&mut self, here: Here, pat: &Pat, path: &Path) -> Walked {
        let at = here.at();
        let list = here.node.map(NodeRef::resolve).filter(|n| n.is_seq());
        let Some(list) = list else {
            return Err(plain(
                path,
                at,
                format!("existence anchor at path {path} needs a list in the resource"),
            ));
        };
        let Pat::Seq(maps) = pat else {
            return Err(plain(
                path,
                at,
                format!("existence anchor at path {path} needs a list pattern"),
            ));
        };
        for p in maps {
            if !matches!(p, Pat::Map(_)) {
                return Err(plain(
                    path,
                    at,
                    format!("existence anchor at path {path} needs a list of maps"),
                ));
            }
            let mut found = false;
            for (i, item) in list.items().enumerate() {
                let here = Here {
                    node: Some(item),
                    blame: item.span(),
                };
                if self.element(here, p, &path.index(i)).is_ok() {
                    found = true;
                    break;
                }
                if self.exhausted {
                    return Err(plain(path, at, "the match took too many steps".into()));
                }
            }
            if !found {
                return Err(plain(
                    path,
                    at,
                    format!(
                        "existence anchor validation failed at path {path}: no element matches"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Kyverno's `validateArray`.
    fn array(&mut self, seq: NodeRef, items: &[Pat], path: &Path) -> Walked {
        let at = seq.span();
        let Some(first) = items.first() else {
            return Err(plain(
                path,
                at,
                format!("the pattern list at path {path} is empty"),
            ));
        };
        match first {
            // One map pattern for every element, anchors handled per element.
            Pat::Map(_) => {
                let elems: Vec<_> = seq.items().map(|n| (n, first)).collect();
                self.elements(&elems, path, at)
            }
            // A scalar pattern applies to every element.
            Pat::Scalar(_) => self.element(
                Here {
                    node: Some(seq),
                    blame: at,
                },
                first,
                path,
            ),
            Pat::Seq(_) => {
                let len = seq.items().count();
                if len < items.len() {
                    return Err(plain(
                        &Path::root(""),
                        at,
                        format!(
                            "the list at path {path} has {len} elements, the pattern {}",
                            items.len()
                        ),
                    ));
                }
                let elems: Vec<_> = seq.items().zip(items).collect();
                self.elements(&elems, path, at)
            }
        }
    }

    /// Elements against patterns: skipped elements are passed over; the
    /// list skips if every element skipped.
    fn elements(&mut self, elems: &[(NodeRef, &Pat)], path: &Path, at: Span) -> Walked {
        let mut skips = Vec::new();
        let mut applied = 0;
        for (i, (node, pat)) in elems.iter().enumerate() {
            let here = Here {
                node: Some(*node),
                blame: node.span(),
            };
            match self.element(here, pat, &path.index(i)) {
                Ok(()) => applied += 1,
                Err(e) if e.why.is_skip() && !self.exhausted => skips.push(e),
                Err(e) => return Err(e),
            }
        }
        if applied == 0 && !skips.is_empty() {
            return Err(skipped(path, at, &skips));
        }
        Ok(())
    }
}

fn skipped(path: &Path, at: Span, skips: &[Mismatch]) -> Mismatch {
    let message = skips
        .iter()
        .map(|s| s.message.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Mismatch {
        why: Why::Skipped,
        path: path.to_string(),
        at,
        message,
    }
}

fn value_mismatch(node: Option<NodeRef>, at: Span, p: &PatScalar, path: &Path) -> Mismatch {
    let want = match p {
        PatScalar::Null => "null".to_string(),
        PatScalar::Bool(b) => b.to_string(),
        PatScalar::Num(n) => n.to_string(),
        PatScalar::Str(s) => visible(s),
    };
    plain(
        path,
        at,
        format!(
            "resource value {} does not match '{want}' at path {path}",
            shown(node)
        ),
    )
}

/// A resource value in a message: scalars quoted and cut short, with
/// control characters escaped.
fn shown(node: Option<NodeRef>) -> String {
    match node.map(NodeRef::resolve) {
        None => "(absent)".into(),
        Some(n) if n.is_map() => "a map".into(),
        Some(n) if n.is_seq() => "a list".into(),
        Some(n) if n.is_null() => "null".into(),
        Some(n) => format!("'{}'", visible(n.as_str().unwrap_or_default())),
    }
}

fn visible(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 80 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::kyverno::value::read_pattern;
    use crate::yaml::{parse_stream, Limits};

    /// Walks `resource` against `pattern` (both YAML or JSON text) and
    /// returns Kyverno's path of the mismatch, if any.
    fn walk(pattern: &str, resource: &str) -> Result<(), String> {
        let (ps, rs) = (
            parse_stream(pattern, &Limits::default()),
            parse_stream(resource, &Limits::default()),
        );
        let pat = read_pattern(ps.docs[0].root().unwrap()).unwrap();
        let root = rs.docs[0].root().unwrap();
        let here = Here {
            node: Some(root),
            blame: root.span(),
        };
        Walk::new()
            .element(here, &pat, &Path::root("/"))
            .map_err(|e| e.path)
    }

    /// Kyverno's `validate_test.go` map cases: pattern, resource, the path
    /// of the mismatch, whether it matches.
    #[test]
    fn kyverno_map_cases() {
        for (name, pattern, resource, path, ok) in [
            (
                "TestValidateMap",
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "?*", "resources": {"requests": {"cpu": "<4|8"}}}]}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx-deployment", "labels": {"app": "nginx"}}, "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}}, "template": {"metadata": {"labels": {"app": "nginx"}}, "spec": {"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "nginx", "image": "https://nirmata/nginx:latest", "imagePullPolicy": "Always", "readinessProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "initialDelaySeconds": 5, "periodSeconds": 10}, "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 15, "periodSeconds": 11}, "resources": {"limits": {"memory": "2Gi", "cpu": 8}, "requests": {"memory": "512Mi", "cpu": "8"}}, "ports": [{"containerPort": 80}]}]}}}}"#,
                "",
                true,
            ),
            (
                "TestValidateMap_AsteriskForMap",
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "*", "livenessProbe": "*"}]}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "game-web", "labels": {"originalLabel": "isHere"}}, "spec": {"selector": {"matchLabels": {"app": "nginxo"}}, "serviceName": "nginxo", "replicas": 3, "template": {"metadata": {"labels": {"app": "nginxo"}}, "spec": {"terminationGracePeriodSeconds": 10, "containers": [{"name": "nginxo", "image": "registry.k8s.io/nginx-but-no-slim:0.8", "ports": [{"containerPort": 8780, "name": "webp"}], "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginxo/html"}], "livenessProbe": {"periodSeconds": 11}}]}}, "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "my-storage-class", "resources": {"requests": {"storage": "1Gi"}}}}]}}"#,
                "",
                true,
            ),
            (
                "TestValidateMap_AsteriskForArray",
                r#"{"spec": {"template": {"spec": {"containers": "*"}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "game-web", "labels": {"originalLabel": "isHere"}}, "spec": {"selector": {"matchLabels": {"app": "nginxo"}}, "serviceName": "nginxo", "replicas": 3, "template": {"metadata": {"labels": {"app": "nginxo"}}, "spec": {"terminationGracePeriodSeconds": 10, "containers": [{"name": "nginxo", "image": "registry.k8s.io/nginx-but-no-slim:0.8", "ports": [{"containerPort": 8780, "name": "webp"}], "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginxo/html"}], "livenessProbe": {"periodSeconds": 11}}]}}, "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "my-storage-class", "resources": {"requests": {"storage": "1Gi"}}}}]}}"#,
                "",
                true,
            ),
            (
                "TestValidateMap_AsteriskFieldIsMissing",
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "*", "livenessProbe": "*"}]}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "game-web", "labels": {"originalLabel": "isHere"}}, "spec": {"selector": {"matchLabels": {"app": "nginxo"}}, "serviceName": "nginxo", "replicas": 3, "template": {"metadata": {"labels": {"app": "nginxo"}}, "spec": {"terminationGracePeriodSeconds": 10, "containers": [{"name": "nginxo", "image": "registry.k8s.io/nginx-but-no-slim:0.8", "ports": [{"containerPort": 8780, "name": "webp"}], "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginxo/html"}], "livenessProbe": null}]}}, "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "my-storage-class", "resources": {"requests": {"storage": "1Gi"}}}}]}}"#,
                "/spec/template/spec/containers/0/",
                false,
            ),
            (
                "TestValidateMap_livenessProbeIsNull",
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "*", "livenessProbe": null}]}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "game-web", "labels": {"originalLabel": "isHere"}}, "spec": {"selector": {"matchLabels": {"app": "nginxo"}}, "serviceName": "nginxo", "replicas": 3, "template": {"metadata": {"labels": {"app": "nginxo"}}, "spec": {"terminationGracePeriodSeconds": 10, "containers": [{"name": "nginxo", "image": "registry.k8s.io/nginx-but-no-slim:0.8", "ports": [{"containerPort": 8780, "name": "webp"}], "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginxo/html"}], "livenessProbe": null}]}}, "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "my-storage-class", "resources": {"requests": {"storage": "1Gi"}}}}]}}"#,
                "",
                true,
            ),
            (
                "TestValidateMap_livenessProbeIsMissing",
                r#"{"spec": {"template": {"spec": {"containers": [{"name": "*", "livenessProbe": null}]}}}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "game-web", "labels": {"originalLabel": "isHere"}}, "spec": {"selector": {"matchLabels": {"app": "nginxo"}}, "serviceName": "nginxo", "replicas": 3, "template": {"metadata": {"labels": {"app": "nginxo"}}, "spec": {"terminationGracePeriodSeconds": 10, "containers": [{"name": "nginxo", "image": "registry.k8s.io/nginx-but-no-slim:0.8", "ports": [{"containerPort": 8780, "name": "webp"}], "volumeMounts": [{"name": "www", "mountPath": "/usr/share/nginxo/html"}]}]}}, "volumeClaimTemplates": [{"metadata": {"name": "www"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "my-storage-class", "resources": {"requests": {"storage": "1Gi"}}}}]}}"#,
                "",
                true,
            ),
            (
                "TestValidateMapElement_OneElementInArrayPass",
                r#"[{"(name)": "nirmata-*", "object": [{"(key1)": "value*", "key2": "value*"}]}]"#,
                r#"[{"name": "nirmata-1", "object": [{"key1": "value1", "key2": "value2"}]}]"#,
                "",
                true,
            ),
            (
                "TestValidateMap_MalformedReferenceOnlyDolarMark",
                r#"{"spec": {"containers": [{"name": "*", "resources": {"requests": {"memory": "$"}, "limits": {"memory": "2048Mi"}}}]}}"#,
                r#"{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "nginx-deployment", "labels": {"app": "nginx"}}, "spec": {"containers": [{"name": "nirmata", "resources": {"requests": {"memory": "1024Mi"}, "limits": {"memory": "2048Mi"}}}]}}"#,
                "/spec/containers/0/resources/requests/memory/",
                false,
            ),
            (
                "TestValidateMap_AbsolutePathToMetadata",
                r#"{"spec": {"containers": [{"(name)": "kyverno", "image": "kyverno.io*"}]}}"#,
                r#"{"spec": {"containers": [{"name": "kyverno", "image": "kyverno.io/test:latest"}]}}"#,
                "",
                true,
            ),
            (
                "TestValidateMapElement_OneElementInArrayNotPass",
                r#"[{"(name)": "nirmata-*", "object": [{"(key1)": "value*", "key2": "value*"}]}]"#,
                r#"[{"name": "nirmata-1", "object": [{"key1": "value5", "key2": "1value1"}]}]"#,
                "/0/object/0/key2/",
                false,
            ),
        ] {
            match walk(pattern, resource) {
                Ok(()) => assert!(ok, "{name}: matched"),
                Err(p) => {
                    assert!(!ok, "{name}: failed at {p}");
                    assert_eq!(p, path, "{name}");
                }
            }
        }
    }

    /// Kyverno's wildcard keys under metadata labels and annotations.
    #[test]
    fn metadata_wildcard_keys() {
        for (i, (pattern, resource, path, ok)) in [
            (
                r#"{"metadata" : {"annotations": {"test/*": "value1"}}}"#,
                r#"{"metadata" : {"annotations": {"test/bar": "value1"}}}"#,
                "",
                true,
            ),
            (
                r#"{"metadata" : {"annotations": {"test/b??": "v*"}}}"#,
                r#"{"metadata" : {"annotations": {"test/bar": "value1"}}}"#,
                "",
                true,
            ),
            (
                r#"{}"#,
                r#"{"metadata" : {"annotations": {"test/bar": "value1"}}}"#,
                "",
                true,
            ),
            (
                r#"{"metadata" : {"annotations": {"test/b??": "v*"}}}"#,
                r#"{"metadata" : {"labels": {"test/bar": "value1"}}}"#,
                "/metadata/annotations/",
                false,
            ),
            (
                r#"{"metadata" : {"labels": {"*/test": "foo"}}}"#,
                r#"{"metadata" : {"labels": {"foo/test": "foo"}}}"#,
                "",
                true,
            ),
            (
                r#"{"metadata" : {"labels": {"foo/a*": "bar"}}}"#,
                r#"{"metadata" : {"labels": {"foo/aa?": "bar", "foo/789": "bar"}}}"#,
                "",
                true,
            ),
            (
                r#"{"metadata" : {"labels": {"foo/ABC*": "bar"}}}"#,
                r#"{"metadata" : {"labels": {"foo/AB?": "bar", "foo/ABC": "bar2"}}}"#,
                "/metadata/labels/foo/ABC/",
                false,
            ),
            (
                r#"{"=(metadata)" : {"=(labels)": {"foo/P*": "bar", "foo/Q*": "bar2"}}}"#,
                r#"{"metadata" : {"labels": {"foo/PQR": "bar", "foo/QR": "bar2"}}}"#,
                "",
                true,
            ),
            (
                r#"{"metadata" : {"labels": {"foo/1*": "bar"}}}"#,
                r#"{"metadata" : {"labels": {"foo/123": "bar222"}}}"#,
                "/metadata/labels/foo/123/",
                false,
            ),
            (
                r#"{"metadata" : {"labels": {"foo/X*": "bar", "foo/A*": "bar2"}}}"#,
                r#"{"metadata" : {"labels": {"foo/XYZ": "bar"}}}"#,
                "/metadata/labels/foo/A*/",
                false,
            ),
            (
                r#"{"=(metadata)" : {"=(labels)": {"foo/1*": "bar", "foo/4*": "bar2"}}}"#,
                r#"{"metadata" : {"labels": {"foo/123": "bar"}}}"#,
                "/metadata/labels/foo/4*/",
                false,
            ),
        ]
        .into_iter()
        .enumerate()
        {
            match walk(pattern, resource) {
                Ok(()) => assert!(ok, "case {}: matched", i + 1),
                Err(p) => {
                    assert!(!ok, "case {}: failed at {p}", i + 1);
                    assert_eq!(p, path, "case {}", i + 1);
                }
            }
        }
    }

    #[test]
    fn existence_anchor_needs_one_element() {
        let pattern = r#"{"^(list)": [{"(name)": "nirmata-*", "object": [{"(key1)": "value*", "key2": "value*"}]}]}"#;
        let two = r#"{"list": [{"name": "nirmata-1", "object": [{"key1": "value1", "key2": "value2"}]},
            {"name": "nirmata-1", "object": [{"key1": "not_value", "key2": "not_value"}]}]}"#;
        assert_eq!(walk(pattern, two), Ok(()));
        let none =
            r#"{"list": [{"name": "nirmata-1", "object": [{"key1": "value1", "key2": "x"}]}]}"#;
        assert_eq!(walk(pattern, none), Err("/list/".into()));
        // Not a list in the resource.
        assert!(walk(pattern, r#"{"list": {"name": "x"}}"#).is_err());
        assert_eq!(walk(pattern, r#"{"other": 1}"#), Ok(()));
    }

    #[test]
    fn asterisk_needs_a_non_null_value() {
        let pattern = "spec:\n  livenessProbe:\n    periodSeconds: '*'\n";
        assert_eq!(
            walk(pattern, "spec:\n  livenessProbe:\n    periodSeconds: 11\n"),
            Ok(())
        );
        assert_eq!(
            walk(
                pattern,
                "spec:\n  livenessProbe:\n    periodSeconds: {a: 1}\n"
            ),
            Ok(())
        );
        assert_eq!(
            walk(pattern, "spec:\n  livenessProbe:\n    periodSeconds:\n"),
            Err("/spec/livenessProbe/".into())
        );
    }

    #[test]
    fn lists() {
        // A scalar pattern applies to every element.
        assert_eq!(walk("a: ['x*']", "a: [x1, x2]"), Ok(()));
        assert_eq!(walk("a: ['x*']", "a: [x1, y2]"), Err("/a/".into()));
        assert_eq!(walk("a: 'x*'", "a: [x1, x2]"), Ok(()));
        // Lists of lists compare element-wise; a shorter resource list has no path.
        assert_eq!(walk("a: [[1], [2]]", "a: [[1], [2], [3]]"), Ok(()));
        assert_eq!(walk("a: [[1], [2]]", "a: [[1]]"), Err(String::new()));
        assert_eq!(walk("a: []", "a: [1]"), Err("/a/".into()));
        // Only the first map of a pattern list is used.
        assert_eq!(walk("a: [{x: 1}, {y: 2}]", "a: [{x: 1}]"), Ok(()));
        assert_eq!(walk("a: [{x: 1}]", "a: []"), Ok(()));
        assert_eq!(walk("a: [{x: 1}]", "a: [1]"), Err("/a/0/".into()));
    }

    #[test]
    fn anchors_and_missing_values() {
        // Negation: the key must be absent, whatever its value.
        assert!(walk("X(hostPath): null", "hostPath: {}").is_err());
        assert_eq!(walk("X(hostPath): null", "name: a"), Ok(()));
        // Equality: checked only when present.
        assert_eq!(walk("=(a): 1", "b: 2"), Ok(()));
        assert!(walk("=(a): 1", "a: 2").is_err());
        // A missing value reads as 0 for comparisons, and as null.
        assert_eq!(walk("a: '<10'", "b: 1"), Ok(()));
        assert_eq!(walk("a: null", "b: 1"), Ok(()));
        assert!(walk("a: '?*'", "b: 1").is_err());
        assert!(walk("a: {b: 1}", "c: 1").is_err());
    }

    #[test]
    fn mismatch_points_at_the_node() {
        let resource = "spec:\n  containers:\n  - name: a\n    image: nginx:latest\n";
        let ps = parse_stream(
            "spec: {containers: [{image: '!*:latest'}]}",
            &Limits::default(),
        );
        let rs = parse_stream(resource, &Limits::default());
        let pat = read_pattern(ps.docs[0].root().unwrap()).unwrap();
        let root = rs.docs[0].root().unwrap();
        let here = Here {
            node: Some(root),
            blame: root.span(),
        };
        let e = Walk::new()
            .element(here, &pat, &Path::root("/"))
            .unwrap_err();
        assert_eq!(&resource[e.at.range()], "nginx:latest");
        assert_eq!(e.path, "/spec/containers/0/image/");
        // A missing field points at the key of the map it is missing from.
        let ps = parse_stream("spec: {containers: [{tag: '?*'}]}", &Limits::default());
        let pat = read_pattern(ps.docs[0].root().unwrap()).unwrap();
        let e = Walk::new()
            .element(here, &pat, &Path::root("/"))
            .unwrap_err();
        assert_eq!(&resource[e.at.range()], "name: a\n    image: nginx:latest");
    }

    #[test]
    fn alias_bombs_are_bounded() {
        // Nine levels of ten aliases each: 10^9 nodes when expanded.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = format!("{{n: *a{}}}", i - 1);
            bomb += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", "));
        }
        bomb += "top: *a8\n";
        let limits = Limits {
            max_alias_expansion: u64::MAX,
            ..Limits::default()
        };
        let bs = parse_stream(&bomb, &limits);
        let root = bs.docs[0].root().unwrap();
        // As a pattern it is too large to read.
        assert!(read_pattern(root).is_err());
        // As a resource the walk stops at its step budget.
        let nested = (0..8).fold("'?*'".to_string(), |p, _| format!("[{{n: {p}}}]"));
        let text = format!("top: {nested}");
        let ps = parse_stream(&text, &limits);
        let pat = read_pattern(ps.docs[0].root().unwrap()).unwrap();
        let mut w = Walk::new();
        let here = Here {
            node: Some(root),
            blame: root.span(),
        };
        assert!(w.element(here, &pat, &Path::root("/")).is_err());
        assert!(w.exhausted);
    }
}
