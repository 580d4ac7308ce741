//! Policies as rules: each failing policy rule on an object is a finding
//! of that policy rule (`policy/rule`), at the node the evaluation names.
//! The policies are compiled once per run (`policy::PolicySet`); their
//! documentation is their own (`shipshape rule <policy/rule>`).

use super::DocCx;
use crate::finding::{Finding, Severity};
use crate::model::k8s::Object;
use crate::policy::PolicySet;

/// Runs every policy of `set` on `obj`.
pub fn check(set: &PolicySet, obj: &Object, cx: &mut DocCx) {
    // A Kustomize patch is part of an object: judged as rendered, not alone.
    if set.is_empty() || cx.schema.fragment {
        return;
    }
    let mut violations = Vec::new();
    set.check(obj.node, &mut violations);
    for v in violations {
        let object = cx.object_ref(obj);
        let mut f = Finding::new(v.rule, cx.at(v.at), v.message).object(Some(object));
        if let Some(help) = v.help {
            f = f.help(help);
        }
        if let Some(name) = v.generated {
            f = f.label(format!("in the pod template (Kyverno's `{name}` rule)"));
        }
        if let Some(severity) = v.severity {
            f = f.severity(severity);
        }
        if v.error {
            f = f
                .severity(Severity::Info)
                .help("the policy could not be evaluated here; nothing was decided");
        }
        cx.report(f);
    }
}
