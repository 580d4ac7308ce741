//! Which resources a policy can judge, read from its `match` kinds or
//! `matchConstraints.resourceRules`: a pre-check, so an object is only
//! tried against the policies that name its kind. Over-inclusive by
//! design: wildcards, `group/version/Kind` and subresources mean "any".

use super::cel;
use super::kyverno::{Filter, Policy, POD_CONTROLLERS};
use crate::yaml::NodeRef;

/// The pod controllers' resources, which rules for Pods also judge.
fn with_controllers(mut resources: Vec<String>) -> Vec<String> {
    if resources.iter().any(|r| r == "pods") {
        resources.extend(POD_CONTROLLERS.iter().map(|k| cel::plural(k)));
    }
    resources
}

/// A Kyverno policy's kinds, as resources (`None`: any, or not simply
/// named: wildcards, `group/version/Kind`, subresources, a filter with no
/// kinds).
pub fn kyverno_resources(policy: &Policy) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for rule in &policy.rules {
        // `filters` yields the legacy top-level filter too, empty when the
        // block uses `any` or `all`.
        let filters: Vec<_> = rule
            .matches
            .iter()
            .flat_map(|b| b.filters())
            .filter(|f| **f != Filter::default())
            .collect();
        if filters.is_empty() && rule.matches.is_some() {
            return None;
        }
        for f in filters {
            if f.kinds.is_empty() {
                return None;
            }
            for k in &f.kinds {
                if k.contains(['*', '?', '/']) {
                    return None;
                }
                out.push(cel::plural(k));
            }
        }
    }
    Some(with_controllers(out))
}

/// A CEL policy's resources, from `matchConstraints.resourceRules`, or
/// its rules' `match` kinds for `validate.cel` (`None`: any).
pub fn resources_of(root: NodeRef) -> Option<Vec<String>> {
    let mut out = Vec::new();
    if let Some(rules) = root.path(&["spec", "matchConstraints", "resourceRules"]) {
        for rule in rules.items() {
            let list = rule.get("resources")?;
            for r in list.items() {
                let r = r.as_str()?;
                if r.contains(['*', '/']) {
                    return None;
                }
                out.push(r.to_ascii_lowercase());
            }
        }
        return Some(with_controllers(out));
    }
    match Policy::read(root) {
        Ok(p) if Policy::is_policy(root) => kyverno_resources(&p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn of(src: &str) -> Option<Vec<String>> {
        let ps = parse_stream(src, &Limits::default());
        resources_of(ps.docs[0].root().unwrap())
    }

    #[test]
    fn named_kinds_and_their_controllers_or_any() {
        let pods = "apiVersion: policies.kyverno.io/v1alpha1\nkind: ValidatingPolicy\nspec:\n  matchConstraints:\n    resourceRules:\n      - resources: [pods]\n";
        let got = of(pods).unwrap();
        for r in ["pods", "deployments", "cronjobs", "statefulsets"] {
            assert!(got.iter().any(|g| g == r), "{r} in {got:?}");
        }
        assert!(!got.iter().any(|g| g == "services"));
        assert_eq!(of(&pods.replace("[pods]", "['*']")), None);
        assert_eq!(of(&pods.replace("[pods]", "[deployments/scale]")), None);
        let kyverno = "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nmetadata: {name: p}\nspec:\n  rules:\n    - name: r\n      match: {any: [{resources: {kinds: [Service]}}]}\n      validate: {cel: {expressions: [{expression: 'true'}]}}\n";
        assert_eq!(of(kyverno), Some(vec!["services".to_string()]));
        assert_eq!(
            of(&kyverno.replace("[Service]", "[apps/v1/Deployment]")),
            None
        );
    }
}
