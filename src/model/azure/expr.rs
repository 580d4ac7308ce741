//! Template expressions used as keys: `${{ if ... }}:`, `${{ elseif ... }}:`,
//! `${{ else }}:`, `${{ each ... }}:`, `${{ insert }}:`. Nothing is
//! evaluated: a linter judges every branch, so their values are read as if
//! they were written in place.

use crate::yaml::{Document, NodeId, NodeRef};

/// How deep expression keys nest before the rest is ignored.
const MAX_DEPTH: usize = 16;

/// Whether a key is a template expression (`${{ ... }}`).
pub fn is_expr_key(key: &str) -> bool {
    key.trim_start().starts_with("${{")
}

/// A mapping's entries, with the entries under expression keys in their place.
pub fn entries<'d, 's>(node: NodeRef<'d, 's>) -> Vec<(NodeRef<'d, 's>, NodeRef<'d, 's>)> {
    let mut out = Vec::new();
    push_entries(node, &mut out, 0);
    out
}

fn push_entries<'d, 's>(
    node: NodeRef<'d, 's>,
    out: &mut Vec<(NodeRef<'d, 's>, NodeRef<'d, 's>)>,
    depth: usize,
) {
    for (k, v) in node.entries() {
        match k.as_str() {
            Some(key) if is_expr_key(key) => {
                if depth < MAX_DEPTH && v.is_map() {
                    push_entries(v.resolve(), out, depth + 1);
                }
            }
            _ => out.push((k, v)),
        }
    }
}

/// The value of `key` in a mapping, looking under expression keys too.
pub fn get<'d, 's>(node: NodeRef<'d, 's>, key: &str) -> Option<NodeRef<'d, 's>> {
    node.get(key).or_else(|| {
        entries(node)
            .into_iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)
    })
}

/// The string at `key` (see [`get`]).
pub fn get_str<'d>(node: NodeRef<'d, '_>, key: &str) -> Option<&'d str> {
    get(node, key).and_then(|n| n.as_str())
}

/// A sequence's items; an item that is a one-key mapping with an expression
/// key (`- ${{ if ... }}:`) stands for the items of its value.
pub fn items<'d, 's>(node: NodeRef<'d, 's>) -> Vec<NodeRef<'d, 's>> {
    let mut out = Vec::new();
    push_items(node, &mut out, 0);
    out
}

fn push_items<'d, 's>(node: NodeRef<'d, 's>, out: &mut Vec<NodeRef<'d, 's>>, depth: usize) {
    for item in node.items() {
        let item = item.resolve();
        if let Some(value) = expr_item(item) {
            if depth < MAX_DEPTH {
                if value.is_seq() {
                    push_items(value.resolve(), out, depth + 1);
                } else if value.is_map() {
                    out.push(value.resolve());
                }
            }
            continue;
        }
        out.push(item);
    }
}

/// The document as a schema sees it: every mapping's entries and every
/// sequence's items with those under expression keys in their place, as
/// [`entries`] and [`items`] read them (a copy sharing the spans), or
/// `None` when the document has no expression key.
pub fn spliced<'s>(doc: &Document<'s>) -> Option<Document<'s>> {
    let mut children = Vec::new();
    for id in 0..doc.node_count() as NodeId {
        let n = doc.node(id);
        if n.is_alias() {
            continue;
        }
        if n.is_map()
            && n.entries()
                .any(|(k, _)| k.as_str().is_some_and(is_expr_key))
        {
            let ids = entries(n).into_iter().flat_map(|(k, v)| [k.id, v.id]);
            children.push((id, ids.collect()));
        } else if n.is_seq() && n.items().any(|i| expr_item(i.resolve()).is_some()) {
            // Only items from a branch can be guards.
            let direct: Vec<NodeId> = n.items().map(|i| i.resolve().id).collect();
            let kept = items(n)
                .into_iter()
                .filter(|i| direct.contains(&i.id) || !is_guard(*i));
            children.push((id, kept.map(|i| i.id).collect()));
        }
    }
    (!children.is_empty()).then(|| doc.regrouped(&children))
}

/// An item that is a sentence used as a key (`- 'Illegal entry point,
/// is1ESPipeline is not defined.': error`): a template's deliberate
/// compile-time error, written under a condition that should never hold.
fn is_guard(item: NodeRef) -> bool {
    let mut e = item.entries();
    matches!(
        (e.next(), e.next()),
        (Some((k, _)), None) if k.as_str().is_some_and(|k| k.trim().contains(' '))
    )
}

/// The value of a `- ${{ ... }}: value` item.
fn expr_item<'d, 's>(item: NodeRef<'d, 's>) -> Option<NodeRef<'d, 's>> {
    let mut e = item.entries();
    let (k, v) = e.next()?;
    (e.next().is_none() && k.as_str().is_some_and(is_expr_key)).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn reads_every_branch() {
        let src = "steps:\n- script: a\n- ${{ if eq(x, 1) }}:\n  - script: b\n  - ${{ each s in y }}:\n    - script: c\n- ${{ else }}:\n  - script: d\nvariables:\n  a: 1\n  ${{ if true }}:\n    b: 2\n  ${{ else }}:\n    b: 3\n";
        let p = parse_stream(src, &Limits::default());
        let root = p.docs[0].root().unwrap();
        let scripts: Vec<_> = items(root.get("steps").unwrap())
            .into_iter()
            .filter_map(|s| s.get("script").and_then(|n| n.as_str()))
            .collect();
        assert_eq!(scripts, ["a", "b", "c", "d"]);
        let vars: Vec<_> = entries(root.get("variables").unwrap())
            .into_iter()
            .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
            .collect();
        assert_eq!(vars, [("a", "1"), ("b", "2"), ("b", "3")]);
        assert_eq!(get_str(root.get("variables").unwrap(), "b"), Some("2"));
    }

    #[test]
    fn the_spliced_document_has_every_branch_in_place() {
        let src = "steps:\n- script: a\n- ${{ if eq(x, 1) }}:\n  - script: b\n  - ${{ each s in y }}:\n    - script: c\n- ${{ else }}:\n  - script: d\nvariables:\n  a: 1\n  ${{ if true }}:\n    b: 2\n";
        let p = parse_stream(src, &Limits::default());
        let view = spliced(&p.docs[0]).expect("expression keys");
        let root = view.root().unwrap();
        let scripts: Vec<_> = root
            .get("steps")
            .unwrap()
            .items()
            .map(|s| {
                let s = s.get("script").unwrap();
                (s.as_str().unwrap(), &src[s.span().range()])
            })
            .collect();
        assert_eq!(scripts, [("a", "a"), ("b", "b"), ("c", "c"), ("d", "d")]);
        let vars: Vec<_> = root
            .get("variables")
            .unwrap()
            .entries()
            .map(|(k, _)| k.as_str().unwrap())
            .collect();
        assert_eq!(vars, ["a", "b"]);
        let plain = parse_stream("steps:\n- script: a\n", &Limits::default());
        assert!(spliced(&plain.docs[0]).is_none());
    }
}
