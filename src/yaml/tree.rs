//! The arena tree and a borrowed handle (`NodeRef`) to navigate it.

/// Index of a node in its document's arena.
pub type NodeId = u32;

/// A half-open byte range in the file's text.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
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

/// A scalar's text and style.
#[derive(Debug, Clone, Copy)]
pub struct Scalar<'d> {
    pub text: &'d str,
    pub style: ScalarStyle,
}

/// What a node is. Collections hand out their children as slices of ids.
#[derive(Debug, Clone, Copy)]
pub enum Value<'d> {
    Scalar(Scalar<'d>),
    Seq(&'d [NodeId]),
    /// Keys and values interleaved (`k0, v0, k1, v1, ...`), in source order.
    /// Duplicate keys are reported; the first wins on lookup.
    Map(&'d [NodeId]),
    /// An alias to an anchored node, never expanded.
    Alias(NodeId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text is `src[a..a + b]`: the scalar reads exactly as written.
    SrcScalar(ScalarStyle),
    /// Text is `pool[a..a + b]`: unescaped or folded, so it differs from the source.
    PoolScalar(ScalarStyle),
    /// Children are `edges[a..a + b]`.
    Seq,
    /// Keys and values are `edges[a..a + 2b]`.
    Map,
    /// Target node id is `a`.
    Alias,
}

/// A node: 20 bytes, no allocation of its own.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub span: Span,
    pub(crate) a: u32,
    pub(crate) b: u32,
    pub(crate) kind: Kind,
}

/// One YAML document of a stream: a flat arena of nodes, the children of
/// every collection in one edge list, and one string pool for scalars whose
/// text is not a slice of the source.
#[derive(Debug, Default)]
pub struct Document<'s> {
    pub(crate) src: &'s str,
    pub nodes: Vec<Node>,
    pub(crate) edges: Vec<NodeId>,
    pub(crate) pool: String,
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
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }
    /// The value of a node as written (an alias stays an alias).
    pub fn value(&self, id: NodeId) -> Value<'_> {
        let n = &self.nodes[id as usize];
        let (a, b) = (n.a as usize, n.b as usize);
        match n.kind {
            Kind::SrcScalar(style) => Value::Scalar(Scalar {
                text: self.src.get(a..a + b).unwrap_or(""),
                style,
            }),
            Kind::PoolScalar(style) => Value::Scalar(Scalar {
                text: self.pool.get(a..a + b).unwrap_or(""),
                style,
            }),
            Kind::Seq => Value::Seq(self.edges.get(a..a + b).unwrap_or(&[])),
            Kind::Map => Value::Map(self.edges.get(a..a + 2 * b).unwrap_or(&[])),
            Kind::Alias => Value::Alias(n.a),
        }
    }
    /// A copy in which the collections named in `children` have other
    /// children: ids of this document's nodes (keys and values interleaved
    /// for a mapping). Every span, scalar and other collection is as it
    /// was: the document seen in another shape (Azure Pipelines' template
    /// expressions with their branches in place). An id that is not a
    /// collection, or a mapping given an odd count, is left as it was.
    pub fn regrouped(&self, children: &[(NodeId, Vec<NodeId>)]) -> Document<'s> {
        let mut d = Document {
            src: self.src,
            nodes: self.nodes.clone(),
            edges: self.edges.clone(),
            pool: self.pool.clone(),
            root: self.root,
            index: self.index,
            span: self.span,
        };
        let count = self.nodes.len() as NodeId;
        for (id, kids) in children {
            if kids.iter().any(|k| *k >= count) {
                continue;
            }
            let Some(n) = d.nodes.get_mut(*id as usize) else {
                continue;
            };
            let b = match n.kind {
                Kind::Seq => kids.len(),
                Kind::Map if kids.len() % 2 == 0 => kids.len() / 2,
                _ => continue,
            };
            n.a = d.edges.len() as u32;
            n.b = b as u32;
            d.edges.extend_from_slice(kids);
        }
        d
    }

    /// Spans of every scalar node.
    pub fn scalar_spans(&self) -> impl Iterator<Item = Span> + '_ {
        self.nodes
            .iter()
            .filter(|n| matches!(n.kind, Kind::SrcScalar(_) | Kind::PoolScalar(_)))
            .map(|n| n.span)
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
    fn raw(&self) -> &'d Node {
        &self.doc.nodes[self.id as usize]
    }

    /// The span where this node is written (an alias's own span, not its target's).
    /// Identity of the node (its document's address and its id): equal for
    /// two references to the same node of the same live document.
    pub fn key(&self) -> (usize, u32) {
        (self.doc as *const Document as usize, self.id)
    }

    pub fn span(&self) -> Span {
        self.raw().span
    }

    /// Follows aliases to the node they name.
    pub fn resolve(self) -> NodeRef<'d, 's> {
        let mut cur = self;
        for _ in 0..MAX_ALIAS_HOPS {
            let raw = cur.raw();
            match raw.kind {
                Kind::Alias if (raw.a as usize) < self.doc.nodes.len() => {
                    cur = NodeRef {
                        doc: self.doc,
                        id: raw.a,
                    }
                }
                _ => break,
            }
        }
        cur
    }

    pub fn is_alias(&self) -> bool {
        self.raw().kind == Kind::Alias
    }

    /// The value, aliases followed.
    pub fn value(&self) -> Value<'d> {
        let r = self.resolve();
        r.doc.value(r.id)
    }

    pub fn scalar(&self) -> Option<Scalar<'d>> {
        match self.value() {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar, whatever type it resolves to.
    pub fn as_str(&self) -> Option<&'d str> {
        self.scalar().map(|s| s.text)
    }

    /// The text of a scalar that is a string under the YAML 1.2 core schema
    /// (quoted, block, or plain and not null, bool or number).
    pub fn as_string(&self) -> Option<&'d str> {
        let s = self.scalar()?;
        if s.style != ScalarStyle::Plain || !plain_is_non_string(s.text) {
            Some(s.text)
        } else {
            None
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar(), Some(s) if s.style == ScalarStyle::Plain && is_null_text(s.text))
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
        let flat: &'d [NodeId] = match self.value() {
            Value::Map(v) => v,
            _ => &[],
        };
        flat.chunks_exact(2)
            .map(move |kv| (NodeRef { doc, id: kv[0] }, NodeRef { doc, id: kv[1] }))
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
