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
use crate::yaml::{NodeRef, ScalarStyle, Span};

/// A pattern, owned: read once from the policy (aliases expanded within a
/// budget) so metadata wildcards can rewrite its keys.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pat {
    Scalar(PatScalar),
    /// Entries in source order.
    Map(Vec<(String, Pat)>),
    Seq(Vec<Pat>),
}

/// Most nodes a pattern may expand to, and how deep it may nest.
const MAX_PATTERN_NODES: usize = 100_000;
const MAX_PATTERN_DEPTH: usize = 128;
/// Most steps one match may take (a step is one resource node against one
/// pattern node).
const MAX_STEPS: u32 = 2_000_000;

/// Reads a pattern node, or says why it is too large.
pub(crate) fn read_pattern(node: NodeRef) -> Result<Pat, String> {
    let mut count = 0;
    read(node, 0, &mut count)
}

fn read(node: NodeRef, depth: usize, count: &mut usize) -> Result<Pat, String> {
    *count += 1;
    if *count > MAX_PATTERN_NODES || depth > MAX_PATTERN_DEPTH {
        return Err("the pattern is too large or too deeply nested".into());
    }
    let node = node.resolve();
    if node.is_map() {
        let mut entries = Vec::new();
        for (k, v) in node.entries() {
            let key = k.as_str().unwrap_or_default().to_string();
            entries.push((key, read(v, depth + 1, count)?));
        }
        return Ok(Pat::Map(entries));
    }
    if node.is_seq() {
        let items = node
            .items()
            .map(|i| read(i, depth + 1, count))
            .collect::<Result<_, _>>()?;
        return Ok(Pat::Seq(items));
    }
    Ok(Pat::Scalar(match leaf(node) {
        Leaf::Null => PatScalar::Null,
        Leaf::Bool(b) => PatScalar::Bool(b),
        Leaf::Int(i) => PatScalar::Num(i as f64),
        Leaf::Float(f) => PatScalar::Num(f),
        Leaf::Str(s) => PatScalar::Str(s.to_string()),
        Leaf::Map | Leaf::Seq => PatScalar::Null,
    }))
}

/// A node as the JSON Kyverno reads (YAML 1.1 scalars, as `sigs.k8s.io/yaml`).
pub(crate) fn leaf<'d>(node: NodeRef<'d, '_>) -> Leaf<'d> {
    use crate::schema::value::{boolean, number, scalar_type, Ty};
    let node = node.resolve();
    if node.is_map() {
        return Leaf::Map;
    }
    if node.is_seq() {
        return Leaf::Seq;
    }
    let Some(s) = node.scalar() else {
        return Leaf::Null;
    };
    if s.style != ScalarStyle::Plain {
        return Leaf::Str(s.text);
    }
    match scalar_type(s.text, true) {
        Ty::Null => Leaf::Null,
        Ty::Bool => Leaf::Bool(boolean(s.text)),
        Ty::Int => match number(&s.text.replace('_', "")) {
            Some(f) if f.abs() < 9.2e18 => Leaf::Int(f as i64),
            Some(f) => Leaf::Float(f),
            None => Leaf::Str(s.text),
        },
        Ty::Float => number(s.text).map_or(Leaf::Str(s.text), Leaf::Float),
        Ty::Str | Ty::Seq | Ty::Map => Leaf::Str(s.text),
    }
}

/// Whether a node reads as a JSON string.
pub(crate) fn is_string(node: NodeRef) -> bool {
    matches!(leaf(node), Leaf::Str(_))
}

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

fn plain(path: &str, at: Span, message: String) -> Mismatch {
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

    fn step(&mut self, path: &str, at: Span) -> Walked {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            self.exhausted = true;
        }
        if self.exhausted {
            return Err(plain(path, at, "the match took too many steps".into()));
        }
        Ok(())
    }

    /// Kyverno's `validateResourceElement`.
    pub(crate) fn element(&mut self, here: Here, pat: &Pat, path: &str) -> Walked {
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
    fn map(&mut self, map: NodeRef, at: Span, entries: &[(String, Pat)], path: &str) -> Walked {
        let expanded = anchor::expand_in_metadata(entries, map);
        let entries = expanded.as_deref().unwrap_or(entries);
        let mut early: Vec<&(String, Pat)> = Vec::new();
        let mut rest: Vec<&(String, Pat)> = Vec::new();
        for e in entries {
            match anchor::parse(&e.0) {
                Some(a) if a.kind.is_early() => early.push(e),
                _ => rest.push(e),
            }
        }
        early.sort_by(|a, b| a.0.cmp(&b.0));
        self.map_anchors(map, at, &early, path)?;
        rest.sort_by(|a, b| a.0.cmp(&b.0));
        // Global anchors and keys with anchors below them go first (last
        // sorted first, as Kyverno pushes each to the front of its list).
        let (front, back): (Vec<_>, Vec<_>) = rest.into_iter().partition(|(k, v)| {
            anchor::parse(k).is_some_and(|a| a.kind == AnchorKind::Global)
                || anchor::has_nested_anchors(v)
        });
        for (k, v) in front.into_iter().rev().chain(back) {
            self.handle(map, at, k, v, path)?;
        }
        Ok(())
    }

    /// Phase one of a map: its condition, existence, equality and negation
    /// anchors. Skips are collected; the map skips if nothing applied, or
    /// if an anchor of this very map skipped.
    fn map_anchors(
        &mut self,
        map: NodeRef,
        at: Span,
        early: &[&(String, Pat)],
        path: &str,
    ) -> Walked {
        let mut skips: Vec<Mismatch> = Vec::new();
        let mut applied = 0;
        for (k, v) in early.iter().map(|e| (&e.0, &e.1)) {
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
    fn handle(&mut self, map: NodeRef, at: Span, key: &str, pat: &Pat, path: &str) -> Walked {
        let Some(a) = anchor::parse(key).filter(|a| a.kind != AnchorKind::AddIfNotPresent) else {
            return self.plain_key(map, at, key, pat, path);
        };
        let sub = format!("{path}{}/", a.key);
        let entry = map.get_entry(a.key);
        let here = Here {
            node: entry.map(|(_, v)| v),
            blame: entry.map_or(at, |(k, _)| k.span()),
        };
        match (a.kind, entry) {
            (AnchorKind::Negation, Some((k, _))) => Err(Mismatch {
                why: Why::Negation,
                path: sub.clone(),
                at: k.span(),
                message: format!("negation anchor matched in resource: {sub} is not allowed"),
            }),
            (AnchorKind::Condition, None) => Err(Mismatch {
                why: Why::Conditional,
                path: sub,
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
    fn plain_key(&mut self, map: NodeRef, at: Span, key: &str, pat: &Pat, path: &str) -> Walked {
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
        self.element(here, pat, &format!("{path}{key}/"))
    }

    /// `^(key)`: for each map of the pattern list, some element matches.
    fn existence(&mut self, here: Here, pat: &Pat, path: &str) -> Walked {
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
                if self.element(here, p, &format!("{path}{i}/")).is_ok() {
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
    fn array(&mut self, seq: NodeRef, items: &[Pat], path: &str) -> Walked {
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
                        "",
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
    fn elements(&mut self, elems: &[(NodeRef, &Pat)], path: &str, at: Span) -> Walked {
        let mut skips = Vec::new();
        let mut applied = 0;
        for (i, (node, pat)) in elems.iter().enumerate() {
            let here = Here {
                node: Some(*node),
                blame: node.span(),
            };
            match self.element(here, pat, &format!("{path}{i}/")) {
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

fn skipped(path: &str, at: Span, skips: &[Mismatch]) -> Mismatch {
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

fn value_mismatch(node: Option<NodeRef>, at: Span, p: &PatScalar, path: &str) -> Mismatch {
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
