//! Anchors in pattern keys (`(key)`, `=(key)`, `^(key)`, `X(key)`,
//! `<(key)`, `+(key)`) and the one place Kyverno lets a key hold
//! wildcards: label and annotation keys under `metadata`
//! (`ExpandInMetadata`).

use super::scalar::{has_wildcard, wildcard_match, PatScalar};
use super::value::Pat;
use crate::yaml::NodeRef;

/// What an anchor asks of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnchorKind {
    /// `(key)`: the rest of the map applies only if this matches.
    Condition,
    /// `<(key)`: the whole rule applies only if this matches.
    Global,
    /// `X(key)`: the key must be absent.
    Negation,
    /// `+(key)`: a mutation anchor; validation reads the key literally.
    AddIfNotPresent,
    /// `=(key)`: if present, it must match.
    Equality,
    /// `^(key)`: at least one element of the list must match.
    Existence,
}

impl AnchorKind {
    pub(crate) fn modifier(self) -> &'static str {
        match self {
            AnchorKind::Condition => "",
            AnchorKind::Global => "<",
            AnchorKind::Negation => "X",
            AnchorKind::AddIfNotPresent => "+",
            AnchorKind::Equality => "=",
            AnchorKind::Existence => "^",
        }
    }

    /// The anchors evaluated before the plain keys of a map.
    pub(crate) fn is_early(self) -> bool {
        matches!(
            self,
            AnchorKind::Condition
                | AnchorKind::Existence
                | AnchorKind::Equality
                | AnchorKind::Negation
        )
    }
}

/// An anchored key: its kind and the key inside the parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Anchor<'k> {
    pub kind: AnchorKind,
    pub key: &'k str,
}

/// Reads `[modifier](key)`; surrounding whitespace is ignored.
pub(crate) fn parse(text: &str) -> Option<Anchor<'_>> {
    let t = text.trim();
    let (kind, rest) = match t.as_bytes().first()? {
        b'<' => (AnchorKind::Global, &t[1..]),
        b'X' => (AnchorKind::Negation, &t[1..]),
        b'+' => (AnchorKind::AddIfNotPresent, &t[1..]),
        b'=' => (AnchorKind::Equality, &t[1..]),
        b'^' => (AnchorKind::Existence, &t[1..]),
        _ => (AnchorKind::Condition, t),
    };
    let key = rest.strip_prefix('(')?.strip_suffix(')')?;
    (!key.is_empty()).then_some(Anchor { kind, key })
}

/// Whether any map in `pat` has an anchored key (any kind but `+`).
pub(crate) fn has_nested_anchors(pat: &Pat) -> bool {
    match pat {
        Pat::Map(entries) => entries.iter().any(|(k, v)| {
            parse(k).is_some_and(|a| a.kind != AnchorKind::AddIfNotPresent) || has_nested_anchors(v)
        }),
        Pat::Seq(items) => items.iter().any(has_nested_anchors),
        Pat::Scalar(_) => false,
    }
}

/// The entry named `tag`, written plainly or as an anchor.
fn tagged(entries: &[(String, Pat)], tag: &str) -> Option<usize> {
    entries
        .iter()
        .position(|(k, _)| k == tag || parse(k).is_some_and(|a| a.key == tag))
}

/// Kyverno's `ExpandInMetadata`: a wildcard label or annotation key of the
/// pattern becomes the first key of the resource's labels (annotations) it
/// matches. As in Kyverno, once the resource has such a map, the pattern's
/// map keeps only its string values. Returns the index of the `metadata`
/// entry and its new value; `None` when nothing changes. The caller pays
/// for the copy: it is the size of the pattern's `metadata`.
pub(crate) fn expand_in_metadata(
    pattern: &[(String, Pat)],
    resource: NodeRef,
) -> Option<(usize, Pat)> {
    let mi = tagged(pattern, "metadata")?;
    let res_meta = resource.get("metadata").filter(|m| !m.is_null())?;
    let Pat::Map(meta) = &pattern[mi].1 else {
        return None;
    };
    let mut meta = meta.clone();
    let mut changed = false;
    for tag in ["labels", "annotations"] {
        if let Some((i, expanded)) = expand_tag(&meta, tag, res_meta) {
            meta[i].1 = Pat::Map(expanded);
            changed = true;
        }
    }
    changed.then_some((mi, Pat::Map(meta)))
}

/// Whether Kyverno would expand this map's metadata: it has a `metadata`
/// entry that is a map and the resource has metadata.
pub(crate) fn metadata_of(pattern: &[(String, Pat)]) -> Option<&Pat> {
    tagged(pattern, "metadata").map(|i| &pattern[i].1)
}

fn expand_tag(
    meta: &[(String, Pat)],
    tag: &str,
    res_meta: NodeRef,
) -> Option<(usize, Vec<(String, Pat)>)> {
    let i = tagged(meta, tag)?;
    let Pat::Map(entries) = &meta[i].1 else {
        return None;
    };
    let res_map = res_meta
        .entries()
        .find(|(k, _)| {
            k.as_str()
                .is_some_and(|k| k == tag || parse(k).is_some_and(|a| a.key == tag))
        })
        .map(|(_, v)| v.resolve())
        .filter(|v| v.is_map())?;
    let res_keys: Vec<&str> = res_map
        .entries()
        .filter(|(_, v)| super::value::is_string(*v))
        .filter_map(|(k, _)| k.as_str())
        .collect();
    let first_match = |pat: &str| {
        res_keys
            .iter()
            .find(|k| wildcard_match(pat, k))
            .map(|k| k.to_string())
    };
    let mut out = Vec::new();
    for (k, v) in entries {
        if !matches!(v, Pat::Scalar(PatScalar::Str(_))) {
            continue;
        }
        let key = if !has_wildcard(k) {
            k.clone()
        } else if let Some(a) = parse(k) {
            let key = first_match(a.key).unwrap_or_else(|| a.key.to_string());
            format!("{}({key})", a.kind.modifier())
        } else {
            first_match(k).unwrap_or_else(|| k.clone())
        };
        out.push((key, v.clone()));
    }
    Some((i, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_anchors() {
        let p = |t| parse(t).map(|a| (a.kind, a.key));
        assert_eq!(p("(name)"), Some((AnchorKind::Condition, "name")));
        assert_eq!(p(" =(name) "), Some((AnchorKind::Equality, "name")));
        assert_eq!(p("^(list)"), Some((AnchorKind::Existence, "list")));
        assert_eq!(p("X(key)"), Some((AnchorKind::Negation, "key")));
        assert_eq!(p("<(key)"), Some((AnchorKind::Global, "key")));
        assert_eq!(p("+(key)"), Some((AnchorKind::AddIfNotPresent, "key")));
        assert_eq!(p("()"), None);
        assert_eq!(p("name"), None);
        assert_eq!(p("(name"), None);
        assert_eq!(p("Y(name)"), None);
        assert_eq!(p("((a))"), Some((AnchorKind::Condition, "(a)")));
    }

    /// The pattern's `metadata.labels` after expansion against `resource`.
    fn expanded_labels(pattern: &str, resource: &str) -> Option<Vec<(String, Pat)>> {
        use crate::yaml::{parse_stream, Limits};
        let (ps, rs) = (
            parse_stream(pattern, &Limits::default()),
            parse_stream(resource, &Limits::default()),
        );
        let Pat::Map(p) = super::super::value::read_pattern(ps.docs[0].root()?).ok()? else {
            return None;
        };
        let (_, out) = expand_in_metadata(&p, rs.docs[0].root()?)?;
        let Pat::Map(meta) = &out else {
            return None;
        };
        match &meta[tagged(meta, "labels")?].1 {
            Pat::Map(labels) => Some(labels.clone()),
            _ => None,
        }
    }

    #[test]
    fn expands_metadata_wildcard_keys() {
        let s = |t: &str| Pat::Scalar(PatScalar::Str(t.into()));
        let e = |p, r| expanded_labels(p, r);
        assert_eq!(
            e(
                "metadata: {labels: {'test/*': '*'}}",
                "metadata: {labels: {test/test: test}}"
            ),
            Some(vec![("test/test".into(), s("*"))])
        );
        assert_eq!(
            e(
                "metadata: {labels: {'=(test/*)': test}}",
                "metadata: {labels: {test/test: test}}"
            ),
            Some(vec![("=(test/test)".into(), s("test"))])
        );
        assert_eq!(
            e(
                "metadata: {labels: {'test/*': '*'}}",
                "metadata: {labels: {test/test1: x}}"
            ),
            Some(vec![("test/test1".into(), s("*"))])
        );
        // No match: the key stays as written; non-string values are dropped.
        assert_eq!(
            e(
                "metadata: {labels: {'a*': x, b: 1, c: null}}",
                "metadata: {labels: {z: x}}"
            ),
            Some(vec![("a*".into(), s("x"))])
        );
        // No labels map in the resource, or no metadata: nothing changes.
        assert_eq!(
            e("metadata: {labels: {'a*': x}}", "metadata: {name: n}"),
            None
        );
        assert_eq!(e("metadata: {labels: {'a*': x}}", "kind: Pod"), None);
    }

    #[test]
    fn nested_anchors() {
        let leaf = || Pat::Scalar(PatScalar::Str("x".into()));
        let m = |k: &str, v| Pat::Map(vec![(k.to_string(), v)]);
        assert!(has_nested_anchors(&m("a", m("(b)", leaf()))));
        assert!(has_nested_anchors(&Pat::Seq(vec![m("X(b)", leaf())])));
        assert!(!has_nested_anchors(&m("a", m("+(b)", leaf()))));
        assert!(!has_nested_anchors(&m("a", leaf())));
    }
}
