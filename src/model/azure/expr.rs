//! Template expressions used as keys: `${{ if ... }}:`, `${{ elseif ... }}:`,
//! `${{ else }}:`, `${{ each ... }}:`, `${{ insert }}:`. Nothing is
//! evaluated: a linter judges every branch, so their values are read as if
//! they were written in place.

use crate::yaml::NodeRef;

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
}
