//! A CEL policy's rules described from its YAML alone: its name, family
//! and rule names without compiling it (built-in policies compile on first
//! use), and each rule registered as a rule (`<policy>/vap`,
//! `<policy>/vpol`, `<policy>/<rule>`).

use super::cel::Family;
use super::kyverno::{annotations, Policy};
use super::meta::{self, Describe, Origin};
use crate::finding::RuleMeta;
use crate::yaml::NodeRef;

/// A CEL policy's name, family and rule names, read without compiling it.
pub fn cel_outline(root: NodeRef) -> Option<(String, Family, Vec<String>)> {
    let kind = root.str_at(&["kind"])?;
    let group = root.str_at(&["apiVersion"])?.split('/').next()?;
    let name = root
        .str_at(&["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    let family = match (group, kind) {
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            Family::ValidatingAdmissionPolicy
        }
        ("policies.kyverno.io", "ValidatingPolicy") => Family::ValidatingPolicy,
        _ if Policy::is_policy(root) => {
            let names: Vec<String> = root
                .path(&["spec", "rules"])
                .into_iter()
                .flat_map(|l| l.items())
                .filter(|r| r.path(&["validate", "cel"]).is_some())
                .filter_map(|r| r.str_at(&["name"]).map(str::to_string))
                .collect();
            return (!names.is_empty()).then_some((name, Family::ValidateCel, names));
        }
        _ => return None,
    };
    Some((name.clone(), family, vec![name]))
}

/// Registers a CEL policy's rules: one for an admission policy
/// (`<policy>/vap` or `<policy>/vpol`), one per `validate.cel` rule of a
/// Kyverno policy.
pub fn register_cel(
    policy: &str,
    family: Family,
    names: &[String],
    root: NodeRef,
    origin: &Origin,
    text: &str,
) -> Vec<(String, Option<&'static RuleMeta>)> {
    let annotations = annotations(root);
    let (kind, id_rule) = match family {
        Family::ValidatingAdmissionPolicy => ("ValidatingAdmissionPolicy", Some("vap")),
        Family::ValidatingPolicy => ("Kyverno ValidatingPolicy", Some("vpol")),
        Family::ValidateCel => ("Kyverno ClusterPolicy (`validate.cel`)", None),
    };
    let rules_node = root.path(&["spec", "rules"]);
    let validations = root.path(&["spec", "validations"]);
    names
        .iter()
        .map(|name| {
            let node = match id_rule {
                Some(_) => validations,
                None => rules_node
                    .into_iter()
                    .flat_map(|l| l.items())
                    .find(|r| r.str_at(&["name"]) == Some(name.as_str())),
            };
            let message = match id_rule {
                Some(_) => validations
                    .and_then(|l| l.items().next())
                    .and_then(|v| v.str_at(&["message"])),
                None => node.and_then(|n| n.str_at(&["validate", "message"])),
            };
            let d = Describe {
                policy,
                rule: id_rule.unwrap_or(name),
                kind,
                annotations: &annotations,
                message,
                span: node.map_or(root.span(), |n| n.span()),
                autogen: family != Family::ValidatingAdmissionPolicy,
            };
            (name.clone(), Some(meta::register(&d, origin, text)))
        })
        .collect()
}
