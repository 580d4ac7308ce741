//! A resource node as the CEL value the API server hands a policy: the
//! JSON `sigs.k8s.io/yaml` makes of the document (YAML 1.1 scalars, map
//! keys as strings), aliases expanded within a budget so a document cannot
//! grow without bound on the way in. Its maps and lists are shared by
//! their copies (`shared`): selecting a field copies no subtree.

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString,
};
use cel::common::value::Val;
use cel::objects::{Key, Map};
use cel::Value;

use super::shared::{SharedList, SharedMap};
use crate::policy::kyverno::{leaf, Leaf};
use crate::yaml::NodeRef;

/// Most nodes a converted document may have (aliases expanded), and how
/// deep it may nest: the input side of the evaluation bound.
pub const MAX_VALUE_NODES: usize = 200_000;
pub const MAX_VALUE_DEPTH: usize = 128;

/// `node` as a CEL value, or why it is too large to be one.
#[cfg(test)]
pub fn to_value(node: NodeRef) -> Result<Value, String> {
    let val = to_val(node)?;
    Value::try_from(val.as_ref()).map_err(|e| e.to_string())
}

/// `node` as the runtime's own value, built directly (no `Value` between).
pub fn to_val(node: NodeRef) -> Result<Box<dyn Val>, String> {
    let mut count = 0;
    convert(node, 0, &mut count)
}

fn convert(node: NodeRef, depth: usize, count: &mut usize) -> Result<Box<dyn Val>, String> {
    *count += 1;
    if *count > MAX_VALUE_NODES {
        return Err(format!(
            "the document has more than {MAX_VALUE_NODES} nodes (aliases expanded)"
        ));
    }
    if depth > MAX_VALUE_DEPTH {
        return Err(format!(
            "the document nests deeper than {MAX_VALUE_DEPTH} levels"
        ));
    }
    Ok(match leaf(node) {
        Leaf::Null => Box::new(CelNull),
        Leaf::Bool(b) => Box::new(CelBool::from(b)),
        Leaf::Int(i) => Box::new(CelInt::from(i)),
        Leaf::Float(f) => Box::new(CelDouble::from(f)),
        Leaf::Str(s) => Box::new(CelString::from(s.to_string())),
        Leaf::Seq => {
            let items = node
                .resolve()
                .items()
                .map(|i| convert(i, depth + 1, count))
                .collect::<Result<Vec<_>, _>>()?;
            Box::new(SharedList::new(CelList::from(items)))
        }
        Leaf::Map => {
            let mut map = HashMap::new();
            for (k, v) in node.resolve().entries() {
                let key = k.resolve().as_str().unwrap_or_default().to_string();
                let value = convert(v, depth + 1, count)?;
                // The first of duplicate keys wins, as on lookup in the tree.
                map.entry(CelMapKey::from(key)).or_insert(value);
            }
            Box::new(SharedMap::new(CelMap::from(map)))
        }
    })
}

/// `value` as the runtime's value, its top-level map or list shared by
/// its copies (a context is handed a copy for each policy).
pub fn shared(value: Value) -> Box<dyn Val> {
    let entries = match value {
        Value::Map(m) => m,
        other => return Box::<dyn Val>::try_from(other).unwrap_or_else(|_| Box::new(CelNull)),
    };
    let map: HashMap<CelMapKey, Box<dyn Val>> = entries
        .map
        .iter()
        .filter_map(|(k, v)| {
            let key = match k {
                Key::String(s) => CelMapKey::from(s.to_string()),
                _ => return None,
            };
            Some((key, Box::<dyn Val>::try_from(v.clone()).ok()?))
        })
        .collect();
    Box::new(SharedMap::new(CelMap::from(map)))
}

/// A string-keyed CEL map.
pub fn map_of(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let map: HashMap<Key, Value> = entries
        .into_iter()
        .map(|(k, v)| (Key::String(Arc::new(k.to_string())), v))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

pub fn string(s: &str) -> Value {
    Value::String(Arc::new(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn convert_text(src: &str) -> Result<Value, String> {
        let ps = parse_stream(src, &Limits::default());
        to_value(ps.docs[0].root().unwrap())
    }

    fn get<'v>(v: &'v Value, key: &str) -> &'v Value {
        match v {
            Value::Map(m) => &m.map[&Key::String(Arc::new(key.into()))],
            _ => panic!("not a map: {v:?}"),
        }
    }

    #[test]
    fn scalars_are_typed_as_kubectl_sends_them() {
        let v = convert_text(
            "a: x\nb: '3'\nc: 3\nd: 3.5\ne: yes\nf: ~\ng: [1, two]\nh: {k: v}\ni: 1_000\n",
        )
        .unwrap();
        assert_eq!(get(&v, "a"), &string("x"));
        assert_eq!(get(&v, "b"), &string("3"));
        assert_eq!(get(&v, "c"), &Value::Int(3));
        assert_eq!(get(&v, "d"), &Value::Float(3.5));
        assert_eq!(get(&v, "e"), &Value::Bool(true));
        assert_eq!(get(&v, "f"), &Value::Null);
        assert_eq!(
            get(&v, "g"),
            &Value::List(Arc::new(vec![Value::Int(1), string("two")]))
        );
        assert_eq!(get(get(&v, "h"), "k"), &string("v"));
        assert_eq!(get(&v, "i"), &Value::Int(1000));
    }

    #[test]
    fn aliases_are_expanded_within_the_budget() {
        let v = convert_text("a: &x {k: 1}\nb: *x\n").unwrap();
        assert_eq!(get(get(&v, "b"), "k"), &Value::Int(1));
        // A billion laughs: every level doubles the expanded size.
        let mut src = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let prev = i - 1;
            src.push_str(&format!(
                "l{i}: &l{i} [*l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}, *l{prev}]\n"
            ));
        }
        let limits = Limits {
            max_alias_expansion: u64::MAX,
            ..Limits::default()
        };
        let ps = parse_stream(&src, &limits);
        if let Some(root) = ps.docs.first().and_then(|d| d.root()) {
            let err = to_value(root).unwrap_err();
            assert!(err.contains("more than"), "{err}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let src = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        let err = convert_text(&src).unwrap_err();
        assert!(err.contains("nests deeper"), "{err}");
    }
}
