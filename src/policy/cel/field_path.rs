//! A validation's `fieldPath` (`spec.containers[0].image`,
//! `metadata.labels['app.kubernetes.io/name']`) resolved to the resource
//! node it names, so a failure points there.

use crate::yaml::NodeRef;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The steps of `path`, or `None` when it is not a path we read.
fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = path.trim().strip_prefix('.').unwrap_or(path.trim());
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let inner = r[..end].trim();
            let key = inner
                .strip_prefix('\'')
                .and_then(|k| k.strip_suffix('\''))
                .or_else(|| inner.strip_prefix('"').and_then(|k| k.strip_suffix('"')));
            match key {
                Some(k) => steps.push(Step::Key(k.to_string())),
                None => steps.push(Step::Index(inner.parse().ok()?)),
            }
            rest = &r[end + 1..];
            rest = rest.strip_prefix('.').unwrap_or(rest);
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        steps.push(Step::Key(rest[..end].to_string()));
        rest = &rest[end..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    (!steps.is_empty()).then_some(steps)
}

/// The node `path` names under `root`, if the path reads and the node exists.
pub fn resolve<'d, 's>(root: NodeRef<'d, 's>, path: &str) -> Option<NodeRef<'d, 's>> {
    parse(path)?.iter().try_fold(root, |node, step| match step {
        Step::Key(k) => node.get(k),
        Step::Index(i) => node.items().nth(*i),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn paths_resolve_to_nodes() {
        let src = "spec:\n  containers:\n    - name: a\n      image: nginx\nmetadata:\n  labels:\n    app.kubernetes.io/name: x\n";
        let ps = parse_stream(src, &Limits::default());
        let root = ps.docs[0].root().unwrap();
        let at = |p: &str| resolve(root, p).and_then(|n| n.as_str());
        assert_eq!(at("spec.containers[0].image"), Some("nginx"));
        assert_eq!(at(".spec.containers[0].name"), Some("a"));
        assert_eq!(at("metadata.labels['app.kubernetes.io/name']"), Some("x"));
        assert_eq!(at("metadata.labels[\"app.kubernetes.io/name\"]"), Some("x"));
        assert_eq!(at("spec.containers[1].image"), None);
        assert_eq!(at("spec.containers[x]"), None);
        assert_eq!(at("spec..x"), None);
        assert_eq!(at(""), None);
    }
}
