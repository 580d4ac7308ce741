//! The two sides as the matcher reads them: the pattern as an owned tree
//! (read once from the policy, aliases expanded within a budget, so
//! metadata wildcards can rewrite its keys) and a resource node as the
//! JSON value Kyverno sees.

use super::jmespath::Val;
use super::scalar::{Leaf, PatScalar};
use crate::yaml::{NodeRef, ScalarStyle};

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

/// A pattern from a value its variables were substituted into.
pub(crate) fn pat_of(v: &Val) -> Pat {
    match v.norm() {
        Val::Null => Pat::Scalar(PatScalar::Null),
        Val::Bool(b) => Pat::Scalar(PatScalar::Bool(b)),
        Val::Num(n) => Pat::Scalar(PatScalar::Num(n)),
        Val::Str(s) => Pat::Scalar(PatScalar::Str(s.into_owned())),
        v => match v.items() {
            Some(items) => Pat::Seq(items.iter().map(pat_of).collect()),
            None => Pat::Map(
                v.entries()
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, x)| (k.clone(), pat_of(x)))
                    .collect(),
            ),
        },
    }
}

/// The number of nodes of a pattern, counted up to `limit`.
pub(crate) fn size_up_to(pat: &Pat, limit: usize) -> usize {
    let mut stack = vec![pat];
    let mut n = 0;
    while let Some(p) = stack.pop() {
        n += 1;
        if n >= limit {
            break;
        }
        match p {
            Pat::Map(entries) => stack.extend(entries.iter().map(|(_, v)| v)),
            Pat::Seq(items) => stack.extend(items),
            Pat::Scalar(_) => {}
        }
    }
    n
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn resource_values_as_json() {
        let src = "[a, 'b', 3, 3.5, 1_000, yes, true, null, ~, '', {x: 1}, [1], 0x10, '3']";
        let ps = parse_stream(src, &Limits::default());
        let got: Vec<Leaf> = ps.docs[0].root().unwrap().items().map(leaf).collect();
        use Leaf::*;
        assert_eq!(
            got,
            [
                Str("a"),
                Str("b"),
                Int(3),
                Float(3.5),
                Int(1000),
                Bool(true),
                Bool(true),
                Null,
                Null,
                Str(""),
                Map,
                Seq,
                Int(16),
                Str("3")
            ]
        );
    }

    #[test]
    fn patterns_read_numbers_as_floats() {
        let ps = parse_stream("{a: 3, b: '3', c: [x], d: null}", &Limits::default());
        let pat = read_pattern(ps.docs[0].root().unwrap()).unwrap();
        let Pat::Map(entries) = pat else { panic!() };
        assert_eq!(entries[0].1, Pat::Scalar(PatScalar::Num(3.0)));
        assert_eq!(entries[1].1, Pat::Scalar(PatScalar::Str("3".into())));
        assert!(matches!(entries[2].1, Pat::Seq(_)));
        assert_eq!(entries[3].1, Pat::Scalar(PatScalar::Null));
    }
}
