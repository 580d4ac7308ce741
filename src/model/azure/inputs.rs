//! A task step's `inputs:`, read as Azure Pipelines reads them: names are
//! case-insensitive and each input may be given by its name or its alias.

use super::expr;
use crate::yaml::NodeRef;

#[derive(Clone, Copy)]
pub struct Inputs<'d, 's> {
    pub node: Option<NodeRef<'d, 's>>,
}

impl<'d, 's> Inputs<'d, 's> {
    /// The first input given under any of `names` (the name and its aliases).
    pub fn get(&self, names: &[&str]) -> Option<NodeRef<'d, 's>> {
        let node = self.node?;
        let entries = expr::entries(node);
        names.iter().find_map(|name| {
            entries
                .iter()
                .find(|(k, _)| k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| *v)
                .filter(|v| v.scalar().is_some())
        })
    }

    /// The text of an input, trimmed, when given and not empty.
    pub fn text(&self, names: &[&str]) -> Option<&'d str> {
        self.get(names)
            .and_then(|n| n.as_str())
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }

    /// Whether an input's value equals one of `values`, case-insensitively
    /// (the default when it is not given: `default`).
    pub fn is(&self, names: &[&str], default: &str, values: &[&str]) -> bool {
        let v = self.text(names).unwrap_or(default);
        values.iter().any(|x| x.eq_ignore_ascii_case(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn case_insensitive_and_aliases() {
        let src = "inputs:\n  dockerfile: app/Dockerfile\n  kubernetesServiceConnection: aks\n  ${{ if x }}:\n    Command: Push\n";
        let p = parse_stream(src, &Limits::default());
        let i = Inputs {
            node: p.docs[0].root().unwrap().get("inputs"),
        };
        assert_eq!(i.text(&["Dockerfile"]), Some("app/Dockerfile"));
        assert_eq!(
            i.text(&["kubernetesServiceEndpoint", "kubernetesServiceConnection"]),
            Some("aks")
        );
        assert!(i.is(&["command"], "buildAndPush", &["push"]));
        assert!(i.is(&["action"], "deploy", &["deploy"]));
    }
}
