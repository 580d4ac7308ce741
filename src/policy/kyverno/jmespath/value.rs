//! The values an expression works on: owned JSON (literals, results built
//! by the expression) or a node of the resource, read lazily, so a result
//! that is a resource node still knows where it is written.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::super::scalar::Leaf;
use super::super::value::leaf;
use crate::yaml::{parse_stream, Limits, NodeRef};

/// A JSON value, or a resource node read as the JSON Kyverno sees.
#[derive(Debug, Clone)]
pub enum Val<'d, 's> {
    Null,
    Bool(bool),
    Num(f64),
    Str(Cow<'d, str>),
    List(Vec<Val<'d, 's>>),
    /// Entries in insertion order, keys unique.
    Map(Vec<(String, Val<'d, 's>)>),
    Node(NodeRef<'d, 's>),
}

/// An owned value with no resource node: a policy's literal.
pub type Json = Val<'static, 'static>;

/// The shape of a value, one level deep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Num,
    Str,
    List,
    Map,
}

impl<'d, 's> Val<'d, 's> {
    pub fn str(s: impl Into<String>) -> Self {
        Val::Str(Cow::Owned(s.into()))
    }

    /// A resource node's scalar as a value (maps and lists stay nodes).
    pub fn norm(&self) -> Val<'d, 's> {
        match self {
            Val::Node(n) => match leaf(*n) {
                Leaf::Null => Val::Null,
                Leaf::Bool(b) => Val::Bool(b),
                Leaf::Int(i) => Val::Num(i as f64),
                Leaf::Float(f) => Val::Num(f),
                Leaf::Str(s) => Val::Str(Cow::Borrowed(s)),
                Leaf::Map | Leaf::Seq => self.clone(),
            },
            v => v.clone(),
        }
    }

    pub fn kind(&self) -> Kind {
        match self {
            Val::Null => Kind::Null,
            Val::Bool(_) => Kind::Bool,
            Val::Num(_) => Kind::Num,
            Val::Str(_) => Kind::Str,
            Val::List(_) => Kind::List,
            Val::Map(_) => Kind::Map,
            Val::Node(n) => match leaf(*n) {
                Leaf::Map => Kind::Map,
                Leaf::Seq => Kind::List,
                _ => self.norm().kind(),
            },
        }
    }

    /// The resource node this value is, if it is one.
    pub fn node(&self) -> Option<NodeRef<'d, 's>> {
        match self {
            Val::Node(n) => Some(*n),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<Cow<'d, str>> {
        match self.norm() {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_num(&self) -> Option<f64> {
        match self.norm() {
            Val::Num(n) => Some(n),
            _ => None,
        }
    }

    /// A list's items (a node's as nodes); `None` for anything else.
    pub fn items(&self) -> Option<Vec<Val<'d, 's>>> {
        match self {
            Val::List(l) => Some(l.clone()),
            Val::Node(n) if n.resolve().is_seq() => {
                Some(n.resolve().items().map(Val::Node).collect())
            }
            _ => None,
        }
    }

    /// A map's entries (a node's as nodes); `None` for anything else.
    pub fn entries(&self) -> Option<Vec<(String, Val<'d, 's>)>> {
        match self {
            Val::Map(m) => Some(m.clone()),
            Val::Node(n) if n.resolve().is_map() => Some(
                n.resolve()
                    .entries()
                    .map(|(k, v)| (key_text(k), Val::Node(v)))
                    .collect(),
            ),
            _ => None,
        }
    }

    /// A map's field (`Null` when absent or not a map).
    pub fn field(&self, key: &str) -> Val<'d, 's> {
        match self {
            Val::Map(m) => m
                .iter()
                .find(|(k, _)| k == key)
                .map_or(Val::Null, |(_, v)| v.clone()),
            Val::Node(n) => n.resolve().get(key).map_or(Val::Null, Val::Node),
            _ => Val::Null,
        }
    }

    /// JMESPath's truth: false, null, "", [] and {} are false.
    pub fn truthy(&self) -> bool {
        match self.norm() {
            Val::Null => false,
            Val::Bool(b) => b,
            Val::Num(_) => true,
            Val::Str(s) => !s.is_empty(),
            Val::List(l) => !l.is_empty(),
            Val::Map(m) => !m.is_empty(),
            Val::Node(n) => {
                let n = n.resolve();
                n.items().next().is_some() || n.entries().next().is_some()
            }
        }
    }

    /// Deep equality, as JSON values.
    pub fn equals(&self, other: &Val) -> bool {
        let (a, b) = (self.norm(), other.norm());
        match (a.kind(), b.kind()) {
            (Kind::List, Kind::List) => {
                let (x, y) = (a.items().unwrap_or_default(), b.items().unwrap_or_default());
                x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| p.equals(q))
            }
            (Kind::Map, Kind::Map) => {
                let (x, y) = (
                    a.entries().unwrap_or_default(),
                    b.entries().unwrap_or_default(),
                );
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && v.equals(v2)))
            }
            _ => match (&a, &b) {
                (Val::Null, Val::Null) => true,
                (Val::Bool(p), Val::Bool(q)) => p == q,
                (Val::Num(p), Val::Num(q)) => p == q,
                (Val::Str(p), Val::Str(q)) => p == q,
                _ => false,
            },
        }
    }

    /// The value with every node read into owned JSON (within `budget` nodes).
    pub fn owned(&self, budget: &mut usize) -> Result<Json, String> {
        if *budget == 0 {
            return Err("the value is too large".into());
        }
        *budget -= 1;
        Ok(match self.norm() {
            Val::Null => Val::Null,
            Val::Bool(b) => Val::Bool(b),
            Val::Num(n) => Val::Num(n),
            Val::Str(s) => Val::str(s.into_owned()),
            v @ (Val::List(_) | Val::Map(_) | Val::Node(_)) => match v.kind() {
                Kind::List => Val::List(
                    v.items()
                        .unwrap_or_default()
                        .iter()
                        .map(|i| i.owned(budget))
                        .collect::<Result<_, _>>()?,
                ),
                _ => Val::Map(
                    v.entries()
                        .unwrap_or_default()
                        .iter()
                        .map(|(k, i)| Ok((k.clone(), i.owned(budget)?)))
                        .collect::<Result<_, String>>()?,
                ),
            },
        })
    }

    /// JSON text, as Go's `json.Marshal` writes it (map keys sorted).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut budget = 100_000;
        write_json(self, &mut out, &mut budget);
        out
    }

    /// The text a `{{ }}` variable inside a longer string becomes.
    pub fn to_text(&self) -> String {
        match self.norm() {
            Val::Str(s) => s.into_owned(),
            Val::Null => String::new(),
            v => v.to_json(),
        }
    }
}

fn key_text(k: NodeRef) -> String {
    k.as_str()
        .map(str::to_string)
        .or_else(|| k.scalar().map(|s| s.text.to_string()))
        .unwrap_or_default()
}

/// A number as Go's JSON writes a float64.
pub fn num_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn write_json(v: &Val, out: &mut String, budget: &mut usize) {
    if *budget == 0 {
        out.push_str("null");
        return;
    }
    *budget -= 1;
    match v.norm() {
        Val::Null => out.push_str("null"),
        Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Val::Num(n) => out.push_str(&num_text(n)),
        Val::Str(s) => out.push_str(&serde_json::to_string(s.as_ref()).unwrap_or_default()),
        v => {
            if let Some(items) = v.items() {
                out.push('[');
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json(x, out, budget);
                }
                out.push(']');
            } else {
                let mut entries = v.entries().unwrap_or_default();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                out.push('{');
                for (i, (k, x)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    write_json(x, out, budget);
                }
                out.push('}');
            }
        }
    }
}

/// JSON or YAML text read into an owned value (`parse_json`, `parse_yaml`,
/// a JSON literal); `None` when it does not parse.
pub fn parse_text(text: &str) -> Option<Json> {
    let parsed = parse_stream(text, &Limits::default());
    if !parsed.errors.is_empty() {
        return None;
    }
    let Some(root) = parsed.docs.first().and_then(|d| d.root()) else {
        return Some(Val::Null);
    };
    let mut budget = 100_000;
    Val::Node(root).owned(&mut budget).ok()
}

/// Orders two values of the same sortable kind (numbers or strings).
pub fn order(a: &Val, b: &Val) -> Option<Ordering> {
    match (a.kind(), b.kind()) {
        (Kind::Num, Kind::Num) => a.as_num()?.partial_cmp(&b.as_num()?),
        (Kind::Str, Kind::Str) => Some(a.as_str()?.cmp(&b.as_str()?)),
        _ => None,
    }
}

impl PartialEq for Val<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.equals(other)
    }
}
