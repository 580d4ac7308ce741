//! Why a policy, or a rule of one, is not run offline, in the user's terms.

use crate::yaml::NodeRef;

/// Policy kinds that are recognised but not run offline, and why.
pub fn not_run_kind(doc: NodeRef) -> Option<String> {
    let kind = doc.str_at(&["kind"])?;
    let api = doc.str_at(&["apiVersion"]).unwrap_or_default();
    let group = api.split('/').next().unwrap_or_default();
    let why = match (group, kind) {
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => return None,
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy")
        | ("policies.kyverno.io", "MutatingPolicy") => {
            "mutating policies change objects at admission; nothing to check offline"
        }
        ("policies.kyverno.io", "GeneratingPolicy") => {
            "generating policies create objects in the cluster; nothing to check offline"
        }
        ("policies.kyverno.io", "ImageValidatingPolicy") => {
            "image verification needs the registry (network), which shipshape never reaches"
        }
        ("policies.kyverno.io", "DeletingPolicy")
        | ("kyverno.io", "CleanupPolicy" | "ClusterCleanupPolicy") => {
            "cleanup policies act on the cluster; nothing to check offline"
        }
        _ => return None,
    };
    Some(format!("{kind} not run: {why}"))
}

/// Why a rule is not run, in the user's terms.
pub fn explain(why: &str) -> String {
    let said = match why {
        "rule uses `mutate`" => {
            "a mutate rule changes objects at admission; nothing to check offline"
        }
        "rule uses `generate`" => {
            "a generate rule creates objects in the cluster; nothing to check offline"
        }
        "rule uses `verifyImages`" => {
            "image verification needs the registry (network), which shipshape never reaches"
        }
        "rule uses `celPreconditions`" => "`celPreconditions` are not supported yet",
        "validate uses `podSecurity`" => "`podSecurity` is not supported yet",
        _ => return why.to_string(),
    };
    said.to_string()
}
