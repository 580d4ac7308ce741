//! Builds `Document`s from saphyr-parser events, enforcing the limits.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle as PStyle};

use super::tree::{Document, Kind, Node, NodeId, ScalarStyle, Span, Value};

/// Resource limits for one file. Every limit hit is a diagnostic, never a crash.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of collections in a document.
    pub max_depth: usize,
    /// Most documents read from one file; the rest of the file is skipped.
    pub max_documents: usize,
    /// Most nodes one document may expand to when its aliases are followed.
    pub max_alias_expansion: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 1_000,
            max_documents: 200_000,
            max_alias_expansion: 1_000_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    DuplicateKey,
    AliasBomb,
    RecursiveAlias,
    TooDeep,
    TooManyDocuments,
}

#[derive(Debug, Clone)]
pub struct YamlError {
    pub kind: YamlErrorKind,
    pub message: String,
    pub span: Span,
    /// A second place worth showing (the first occurrence of a duplicate key).
    pub related: Option<(Span, String)>,
}

/// The result of reading a YAML stream: the documents that parsed (a document
/// with an error is dropped, the ones before it are kept) and the errors.
#[derive(Debug, Default)]
pub struct ParsedStream<'s> {
    pub docs: Vec<Document<'s>>,
    pub errors: Vec<YamlError>,
}

/// Converts saphyr's character indexes to byte offsets with a forward-moving
/// cursor: O(1) memory, amortised O(1) per lookup since events arrive in order.
struct CharToByte<'s> {
    src: &'s str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'s> CharToByte<'s> {
    fn new(src: &'s str) -> Self {
        CharToByte {
            src,
            ascii: src.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }
    fn byte(&mut self, char_idx: usize) -> usize {
        if self.ascii {
            return char_idx.min(self.src.len());
        }
        // Spans arrive nearly in order; step back (rarely, and a little) rather than restart.
        if char_idx < self.chars {
            let mut back = self.src[..self.bytes].chars().rev();
            while self.chars > char_idx {
                match back.next() {
                    Some(c) => {
                        self.chars -= 1;
                        self.bytes -= c.len_utf8();
                    }
                    None => break,
                }
            }
            return self.bytes;
        }
        // Forward: jump as many bytes as characters are missing and count the
        // characters that start in that stretch (a tight loop over bytes); what
        // multi-byte characters left short is made up by the next jump.
        let bytes = self.src.as_bytes();
        while self.chars < char_idx && self.bytes < bytes.len() {
            let end = (self.bytes + (char_idx - self.chars)).min(bytes.len());
            self.chars += bytes[self.bytes..end]
                .iter()
                .filter(|&&b| b & 0xC0 != 0x80)
                .count();
            self.bytes = end;
            // Finish a character the jump ended inside.
            while self.bytes < bytes.len() && bytes[self.bytes] & 0xC0 == 0x80 {
                self.bytes += 1;
            }
        }
        self.bytes
    }
    fn span(&mut self, sp: &saphyr_parser::Span) -> Span {
        let s = self.byte(sp.start.index());
        let e = self.byte(sp.end.index());
        Span::new(s, e)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FrameKind {
    Seq,
    Map,
}

struct Frame {
    id: NodeId,
    kind: FrameKind,
    anchor: usize,
    expanded_at_open: u64,
    /// Where this collection's children start in `Builder::pending`.
    children_start: usize,
}

struct Anchor {
    node: NodeId,
    /// Expanded size once the node is closed; `None` while it is still open.
    size: Option<u64>,
}

struct Builder<'s, 'l> {
    src: &'s str,
    limits: &'l Limits,
    doc: Document<'s>,
    stack: Vec<Frame>,
    /// Children of the open collections, innermost last; moved into
    /// `doc.edges` when their collection closes, so each collection's
    /// children end up contiguous without a `Vec` of their own.
    pending: Vec<NodeId>,
    anchors: HashMap<usize, Anchor>,
    expanded: u64,
    /// Set when the current document hit an error: events are drained, not built.
    poisoned: bool,
    in_doc: bool,
}

impl<'s, 'l> Builder<'s, 'l> {
    fn new(src: &'s str, limits: &'l Limits) -> Self {
        Builder {
            src,
            limits,
            doc: Document::default(),
            stack: Vec::new(),
            pending: Vec::new(),
            anchors: HashMap::new(),
            expanded: 0,
            poisoned: false,
            in_doc: false,
        }
    }

    fn start_doc(&mut self, index: usize, start: usize) {
        self.doc = Document {
            src: self.src,
            index,
            span: Span::new(start, start),
            ..Default::default()
        };
        self.stack.clear();
        self.pending.clear();
        self.anchors.clear();
        self.expanded = 0;
        self.poisoned = false;
        self.in_doc = true;
    }

    fn push_node(&mut self, kind: Kind, a: u32, b: u32, span: Span) -> NodeId {
        let id = self.doc.nodes.len() as NodeId;
        self.doc.nodes.push(Node { span, a, b, kind });
        id
    }

    fn attach(&mut self, id: NodeId) {
        if self.stack.is_empty() {
            if self.doc.root.is_none() {
                self.doc.root = Some(id);
            }
        } else {
            self.pending.push(id);
        }
    }

    fn open(&mut self, kind: FrameKind, anchor: usize, span: Span) -> Result<(), YamlError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(YamlError {
                kind: YamlErrorKind::TooDeep,
                message: format!(
                    "nesting is deeper than the limit of {} levels",
                    self.limits.max_depth
                ),
                span,
                related: None,
            });
        }
        let node_kind = match kind {
            FrameKind::Seq => Kind::Seq,
            FrameKind::Map => Kind::Map,
        };
        let id = self.push_node(node_kind, 0, 0, span);
        self.expanded += 1;
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchor {
                    node: id,
                    size: None,
                },
            );
        }
        self.stack.push(Frame {
            id,
            kind,
            anchor,
            expanded_at_open: self.expanded - 1,
            children_start: self.pending.len(),
        });
        Ok(())
    }

    fn close(&mut self, end_span: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let start = frame.children_start.min(self.pending.len());
        let mut count = self.pending.len() - start;
        if frame.kind == FrameKind::Map {
            // A key without a value cannot come from the parser; never trust it.
            if count % 2 == 1 {
                self.pending.pop();
                count -= 1;
            }
            self.check_duplicates(start)?;
        }
        let child_end = self.pending[start..]
            .last()
            .map(|&c| self.doc.nodes[c as usize].span.end);
        let edges_start = self.doc.edges.len();
        self.doc.edges.extend_from_slice(&self.pending[start..]);
        self.pending.truncate(start);
        let node = &mut self.doc.nodes[frame.id as usize];
        node.a = edges_start as u32;
        node.b = if frame.kind == FrameKind::Map {
            (count / 2) as u32
        } else {
            count as u32
        };
        // Flow collections end at their bracket; block ones at their last child.
        let child_end = child_end.unwrap_or(node.span.end);
        let end = if end_span.is_empty() {
            child_end
        } else {
            end_span.end.max(child_end)
        };
        node.span.end = end.max(node.span.start);
        if frame.anchor != 0 {
            let size = self.expanded - frame.expanded_at_open;
            if let Some(a) = self.anchors.get_mut(&frame.anchor) {
                a.size = Some(size);
            }
        }
        self.attach(frame.id);
        Ok(())
    }

    /// The text of a key node (following one alias), unless it is a merge key.
    fn key_text(&self, id: NodeId) -> Option<&str> {
        let mut id = id;
        if self.doc.nodes[id as usize].kind == Kind::Alias {
            id = self.doc.nodes[id as usize].a;
        }
        match self.doc.value(id) {
            Value::Scalar(s) if s.text != "<<" => Some(s.text),
            _ => None,
        }
    }

    fn check_duplicates(&self, start: usize) -> Result<(), YamlError> {
        let keys: Vec<NodeId> = self.pending[start..].iter().step_by(2).copied().collect();
        let dup = |first: NodeId, second: NodeId, text: &str| YamlError {
            kind: YamlErrorKind::DuplicateKey,
            message: format!("duplicate key `{text}`"),
            span: self.doc.nodes[second as usize].span,
            related: Some((
                self.doc.nodes[first as usize].span,
                "first defined here".into(),
            )),
        };
        if keys.len() <= 12 {
            for (i, &k) in keys.iter().enumerate() {
                let Some(t) = self.key_text(k) else { continue };
                if let Some(&first) = keys[..i].iter().find(|&&p| self.key_text(p) == Some(t)) {
                    return Err(dup(first, k, t));
                }
            }
        } else {
            let mut seen: HashMap<&str, NodeId> = HashMap::with_capacity(keys.len());
            for &k in &keys {
                let Some(t) = self.key_text(k) else { continue };
                if let Some(&first) = seen.get(t) {
                    return Err(dup(first, k, t));
                }
                seen.insert(t, k);
            }
        }
        Ok(())
    }

    fn scalar(&mut self, text: &str, style: PStyle, anchor: usize, span: Span) {
        let style = match style {
            PStyle::Plain => ScalarStyle::Plain,
            PStyle::SingleQuoted => ScalarStyle::SingleQuoted,
            PStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
            PStyle::Literal => ScalarStyle::Literal,
            PStyle::Folded => ScalarStyle::Folded,
        };
        // Most scalars read exactly as written: point into the source.
        let (s, e) = (span.start as usize, span.end as usize);
        let inner = match style {
            ScalarStyle::Plain => Some(s),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if e >= s + 2 => Some(s + 1),
            _ => None,
        };
        let mut span = span;
        let (kind, a) = match inner {
            Some(i) if self.src.get(i..i + text.len()) == Some(text) => {
                // saphyr ends a quoted scalar's span after the spaces and
                // comment that follow it: end it at its closing quote.
                if style != ScalarStyle::Plain && e > i + text.len() {
                    span.end = (i + text.len() + 1) as u32;
                }
                (Kind::SrcScalar(style), i as u32)
            }
            _ => {
                let at = self.doc.pool.len() as u32;
                self.doc.pool.push_str(text);
                (Kind::PoolScalar(style), at)
            }
        };
        let id = self.push_node(kind, a, text.len() as u32, span);
        self.expanded += 1;
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchor {
                    node: id,
                    size: Some(1),
                },
            );
        }
        self.attach(id);
    }

    fn alias(&mut self, anchor: usize, span: Span) -> Result<(), YamlError> {
        let Some(a) = self.anchors.get(&anchor) else {
            return Err(YamlError {
                kind: YamlErrorKind::Syntax,
                message: "alias to an unknown anchor".into(),
                span,
                related: None,
            });
        };
        let Some(size) = a.size else {
            return Err(YamlError {
                kind: YamlErrorKind::RecursiveAlias,
                message: "alias refers to a node that contains it (a recursive alias)".into(),
                span,
                related: Some((
                    self.doc.nodes[a.node as usize].span,
                    "anchor defined here".into(),
                )),
            });
        };
        let target = a.node;
        self.expanded = self.expanded.saturating_add(size);
        if self.expanded > self.limits.max_alias_expansion {
            return Err(YamlError {
                kind: YamlErrorKind::AliasBomb,
                message: format!(
                    "aliases expand this document past {} nodes (an alias bomb?)",
                    self.limits.max_alias_expansion
                ),
                span,
                related: None,
            });
        }
        let id = self.push_node(Kind::Alias, target, 0, span);
        self.attach(id);
        Ok(())
    }
}

/// Parses every document of `src`. Never panics; errors are returned with spans.
pub fn parse_stream<'s>(src: &'s str, limits: &Limits) -> ParsedStream<'s> {
    let mut out = ParsedStream::default();
    let mut conv = CharToByte::new(src);
    let mut b = Builder::new(src, limits);
    let mut doc_index = 0usize;
    for item in Parser::new_from_str(src) {
        let (ev, psp) = match item {
            Ok(x) => x,
            Err(e) => {
                let at = conv.byte(e.marker().index());
                let end = next_char_end(src, at);
                out.errors.push(YamlError {
                    kind: YamlErrorKind::Syntax,
                    message: e.info().to_string(),
                    span: Span::new(at, end),
                    related: None,
                });
                break;
            }
        };
        let span = conv.span(&psp);
        if b.poisoned && !matches!(ev, Event::DocumentEnd | Event::StreamEnd) {
            continue;
        }
        let res = match ev {
            Event::DocumentStart(_) => {
                if out.docs.len() >= limits.max_documents {
                    out.errors.push(YamlError {
                        kind: YamlErrorKind::TooManyDocuments,
                        message: format!(
                            "more than {} documents in one file; the rest is not read",
                            limits.max_documents
                        ),
                        span: Span::new(
                            span.start as usize,
                            next_char_end(src, span.start as usize),
                        ),
                        related: None,
                    });
                    return out;
                }
                b.start_doc(doc_index, span.start as usize);
                doc_index += 1;
                Ok(())
            }
            Event::DocumentEnd => {
                if b.in_doc && !b.poisoned {
                    let mut doc = std::mem::take(&mut b.doc);
                    if let Some(r) = doc.root {
                        let rs = doc.nodes[r as usize].span;
                        doc.span = Span::new(rs.start as usize, rs.end as usize);
                    }
                    out.docs.push(doc);
                }
                b.in_doc = false;
                b.poisoned = false;
                Ok(())
            }
            Event::Scalar(text, style, anchor, _) => {
                b.scalar(&text, style, anchor, span);
                Ok(())
            }
            Event::SequenceStart(anchor, _) => b.open(FrameKind::Seq, anchor, span),
            Event::MappingStart(anchor, _) => b.open(FrameKind::Map, anchor, span),
            Event::SequenceEnd | Event::MappingEnd => b.close(span),
            Event::Alias(anchor) => b.alias(anchor, span),
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(()),
        };
        if let Err(e) = res {
            out.errors.push(e);
            b.poisoned = true;
            b.doc = Document::default();
            b.stack.clear();
            b.pending.clear();
        }
    }
    out
}

fn next_char_end(src: &str, at: usize) -> usize {
    let at = super::lines::floor_char_boundary(src, at);
    src[at..]
        .chars()
        .next()
        .filter(|c| *c != '\n' && *c != '\r')
        .map(|c| at + c.len_utf8())
        .unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> ParsedStream<'_> {
        parse_stream(src, &Limits::default())
    }

    #[test]
    fn char_to_byte_matches_char_indices_in_any_order() {
        let src = "aé日本\u{1F600}b: ééé x\n日\u{feff}end";
        let mut want: Vec<usize> = src.char_indices().map(|(b, _)| b).collect();
        want.push(src.len());
        // Forward in steps of every size, then backward, then past the end.
        for step in 1..5 {
            let mut conv = CharToByte::new(src);
            for c in (0..want.len()).step_by(step) {
                assert_eq!(conv.byte(c), want[c], "forward step {step}, char {c}");
            }
            for c in (0..want.len()).rev().step_by(step) {
                assert_eq!(conv.byte(c), want[c], "backward step {step}, char {c}");
            }
        }
        let mut conv = CharToByte::new(src);
        assert_eq!(conv.byte(want.len() + 10), src.len());
        assert_eq!(conv.byte(3), want[3]);
    }

    #[test]
    fn quoted_scalars_end_at_their_closing_quote() {
        let src = "a: \"2.0.1\"   # pinned\nb: 'x'\t# c\nc: \"e\\u0041\"\n";
        let p = parse(src);
        let root = p.docs[0].root().unwrap();
        let span = |k: &str| &src[root.get(k).unwrap().span().range()];
        assert_eq!(span("a"), "\"2.0.1\"");
        assert_eq!(span("b"), "'x'");
        assert_eq!(span("c"), "\"e\\u0041\"");
    }

    #[test]
    fn spans_are_bytes_and_cover_values() {
        let src = "a: \"é\"\nbé: plain value\nc: [1, {k: v}]\n";
        let p = parse(src);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        let root = p.docs[0].root().unwrap();
        let b = root.get("bé").unwrap();
        assert_eq!(&src[b.span().range()], "plain value");
        let a = root.get("a").unwrap();
        assert_eq!(&src[a.span().range()], "\"é\"");
        let c = root.get("c").unwrap();
        assert_eq!(&src[c.span().range()], "[1, {k: v}]");
        let k = c.items().nth(1).unwrap().get("k").unwrap();
        assert_eq!(&src[k.span().range()], "v");
    }

    #[test]
    fn block_collections_span_their_children() {
        let src = "top:\n  a: 1\n  list:\n  - x\n  - y\nnext: 2\n";
        let p = parse(src);
        let top = p.docs[0].root().unwrap().get("top").unwrap();
        assert_eq!(&src[top.span().range()], "a: 1\n  list:\n  - x\n  - y");
    }

    #[test]
    fn duplicate_keys_are_reported_with_both_spans() {
        let src = "a: 1\nb: 2\na: 3\n";
        let p = parse(src);
        assert_eq!(p.errors.len(), 1);
        let e = &p.errors[0];
        assert_eq!(e.kind, YamlErrorKind::DuplicateKey);
        assert_eq!(e.span.start, 10);
        assert_eq!(e.related.as_ref().unwrap().0.start, 0);
        assert!(p.docs.is_empty());
    }

    #[test]
    fn duplicate_keys_in_large_maps() {
        let mut src = String::new();
        for i in 0..40 {
            src.push_str(&format!("k{i}: {i}\n"));
        }
        src.push_str("k7: again\n");
        let p = parse(&src);
        assert_eq!(p.errors[0].kind, YamlErrorKind::DuplicateKey);
    }

    #[test]
    fn billion_laughs_is_a_diagnostic() {
        let mut src = String::from(
            "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for i in 1..10 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p},*a{p}]\n"
            ));
        }
        let p = parse(&src);
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].kind, YamlErrorKind::AliasBomb);
    }

    #[test]
    fn recursive_alias_is_a_diagnostic() {
        let p = parse("- &a [*a]\n");
        assert_eq!(p.errors[0].kind, YamlErrorKind::RecursiveAlias);
    }

    #[test]
    fn aliases_resolve_without_copying() {
        let src = "base: &b {image: nginx}\nuse: *b\nmerged:\n  <<: *b\n  extra: 1\n";
        let p = parse(src);
        let root = p.docs[0].root().unwrap();
        assert_eq!(root.str_at(&["use", "image"]), Some("nginx"));
        assert_eq!(root.str_at(&["merged", "image"]), Some("nginx"));
        assert_eq!(root.str_at(&["merged", "extra"]), Some("1"));
    }

    #[test]
    fn deep_nesting_hits_the_limit_without_overflow() {
        // Flow nesting: the parser's own recursion guard answers first.
        let depth = 10_000;
        let src = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let p = parse(&src);
        assert_eq!(p.errors[0].kind, YamlErrorKind::Syntax);
        // Block nesting: ours.
        let mut src = String::new();
        for i in 0..1_500 {
            src.push_str(&" ".repeat(i));
            src.push_str("k:\n");
        }
        let p = parse(&src);
        assert_eq!(p.errors[0].kind, YamlErrorKind::TooDeep);
    }

    #[test]
    fn syntax_error_keeps_earlier_documents() {
        let src = "a: 1\n---\nb: [x\n";
        let p = parse(src);
        assert_eq!(p.docs.len(), 1);
        assert_eq!(p.errors[0].kind, YamlErrorKind::Syntax);
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let p = parse("---\n---\na: 1\n---\n# only a comment\n");
        assert!(p.errors.is_empty());
        assert!(p
            .docs
            .iter()
            .any(|d| d.root().and_then(|r| r.get("a")).is_some()));
    }

    #[test]
    fn core_schema_strings() {
        let p = parse("a: 1\nb: \"1\"\nc: yes\nd: null\ne: 1.5e3\n");
        let r = p.docs[0].root().unwrap();
        assert_eq!(r.get("a").unwrap().as_string(), None);
        assert_eq!(r.get("b").unwrap().as_string(), Some("1"));
        assert_eq!(r.get("c").unwrap().as_string(), Some("yes"));
        assert_eq!(r.get("d").unwrap().as_string(), None);
        assert_eq!(r.get("e").unwrap().as_string(), None);
    }
}
