//! The arena tree and a borrowed handle (`NodeRef`) to navigate it.

use std::borrow::Cow;

/// Index of a node in its document's arena.
pub type NodeId = u32;

/// A half-open byte range in the file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone)]
pub struct Scalar<'s> {
    pub text: Cow<'s, str>,
    pub style: ScalarStyle,
}

#[derive(Debug, Clone)]
pub enum Value<'s> {
    Scalar(Scalar<'s>),
    Seq(Vec<NodeId>),
    /// Key/value pairs in source order (duplicates are reported, the first wins on lookup).
    Map(Vec<(NodeId, NodeId)>),
    /// An alias to an anchored node, never expanded.
    Alias(NodeId),
}

#[derive(Debug, Clone)]
pub struct Node<'s> {
    pub value: Value<'s>,
    pub span: Span,
}

/// One YAML document of a stream.
#[derive(Debug, Default)]
pub struct Document<'s> {
    pub nodes: Vec<Node<'s>>,
    pub root: Option<NodeId>,
    /// 0-based position of the document in its file.
    pub index: usize,
    /// Byte extent of the document's content.
    pub span: Span,
}

impl<'s> Document<'s> {
    pub fn root(&self) -> Option<NodeRef<'_, 's>> {
        self.root.map(|id| NodeRef { doc: self, id })
    }
    pub fn node(&self, id: NodeId) -> NodeRef<'_, 's> {
        NodeRef { doc: self, id }
    }
}

/// A node handle. Navigation follows aliases transparently (aliases point
/// backwards to already-closed nodes, so this cannot loop).
#[derive(Clone, Copy)]
pub struct NodeRef<'d, 's> {
    pub doc: &'d Document<'s>,
    pub id: NodeId,
}

impl std::fmt::Debug for NodeRef<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NodeRef({}, {:?})", self.id, self.span())
    }
}

const MAX_ALIAS_HOPS: usize = 64;

impl<'d, 's> NodeRef<'d, 's> {
    fn raw(&self) -> &'d Node<'s> {
        &self.doc.nodes[self.id as usize]
    }

    /// The span where this node is written (an alias's own span, not its target's).
    pub fn span(&self) -> Span {
        self.raw().span
    }

    /// Follows aliases to the node they name.
    pub fn resolve(self) -> NodeRef<'d, 's> {
        let mut cur = self;
        for _ in 0..MAX_ALIAS_HOPS {
            match cur.raw().value {
                Value::Alias(t) if (t as usize) < self.doc.nodes.len() => {
                    cur = NodeRef {
                        doc: self.doc,
                        id: t,
                    }
                }
                _ => break,
            }
        }
        cur
    }

    pub fn is_alias(&self) -> bool {
        matches!(self.raw().value, Value::Alias(_))
    }

    pub fn value(&self) -> &'d Value<'s> {
        &self.resolve().raw().value
    }

    pub fn scalar(&self) -> Option<&'d Scalar<'s>> {
        match self.value() {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar, whatever type it resolves to.
    pub fn as_str(&self) -> Option<&'d str> {
        self.scalar().map(|s| s.text.as_ref())
    }

    /// The text of a scalar that is a string under the YAML 1.2 core schema
    /// (quoted, block, or plain and not null, bool or number).
    pub fn as_string(&self) -> Option<&'d str> {
        let s = self.scalar()?;
        if s.style != ScalarStyle::Plain || !plain_is_non_string(&s.text) {
            Some(s.text.as_ref())
        } else {
            None
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(s) if s.style == ScalarStyle::Plain && is_null_text(&s.text))
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value(), Value::Map(_))
    }

    pub fn is_seq(&self) -> bool {
        matches!(self.value(), Value::Seq(_))
    }

    /// Sequence items (empty for anything else).
    pub fn items(self) -> impl Iterator<Item = NodeRef<'d, 's>> + 'd {
        let doc = self.doc;
        let ids: &'d [NodeId] = match self.value() {
            Value::Seq(v) => v,
            _ => &[],
        };
        ids.iter().map(move |&id| NodeRef { doc, id })
    }

    /// Mapping entries as (key, value), in source order (empty for anything else).
    pub fn entries(self) -> impl Iterator<Item = (NodeRef<'d, 's>, NodeRef<'d, 's>)> + 'd {
        let doc = self.doc;
        let pairs: &'d [(NodeId, NodeId)] = match self.value() {
            Value::Map(v) => v,
            _ => &[],
        };
        pairs
            .iter()
            .map(move |&(k, v)| (NodeRef { doc, id: k }, NodeRef { doc, id: v }))
    }

    /// The key node and value of `key` in a mapping; falls back to `<<` merge keys.
    pub fn get_entry(self, key: &str) -> Option<(NodeRef<'d, 's>, NodeRef<'d, 's>)> {
        let mut merges = None;
        for (k, v) in self.entries() {
            match k.as_str() {
                Some(t) if t == key => return Some((k, v)),
                Some("<<") if merges.is_none() => merges = Some(v),
                _ => {}
            }
        }
        let merge = merges?;
        if merge.is_map() {
            return merge.resolve().get_entry_direct(key);
        }
        merge
            .items()
            .find_map(|m| m.resolve().get_entry_direct(key))
    }

    fn get_entry_direct(self, key: &str) -> Option<(NodeRef<'d, 's>, NodeRef<'d, 's>)> {
        self.entries().find(|(k, _)| k.as_str() == Some(key))
    }

    /// The value of `key` in a mapping.
    pub fn get(self, key: &str) -> Option<NodeRef<'d, 's>> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys.
    pub fn path(self, keys: &[&str]) -> Option<NodeRef<'d, 's>> {
        keys.iter().try_fold(self, |n, k| n.get(k))
    }

    /// Convenience: the string at a key path.
    pub fn str_at(self, keys: &[&str]) -> Option<&'d str> {
        self.path(keys).and_then(|n| n.as_str())
    }
}

pub fn is_null_text(t: &str) -> bool {
    matches!(t, "" | "~" | "null" | "Null" | "NULL")
}

/// Whether a plain scalar resolves to null, a bool or a number (YAML 1.2 core schema).
pub fn plain_is_non_string(t: &str) -> bool {
    if is_null_text(t) {
        return true;
    }
    if matches!(
        t,
        "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "-.inf"
            | "+.Inf"
            | "-.Inf"
            | "+.INF"
            | "-.INF"
            | ".nan"
            | ".NaN"
            | ".NAN"
    ) {
        return true;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = body.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    // Integers and floats: digits, one optional dot, optional exponent.
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for b in mant.bytes() {
        match b {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match exp {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    }
}
