//! Policies as rules: each failing policy rule on an object is a finding
//! of that policy rule (`policy/rule`), at the node the evaluation names.
//! The policies are compiled once per run (`policy::PolicySet`); their
//! documentation is their own (`shipshape rule <policy/rule>`). An object
//! whose namespace comes from elsewhere is judged again, by the policies
//! that read it, in the repository pass (`policy::Pass`).

use super::DocCx;
use crate::finding::{Finding, Severity};
use crate::model::k8s::Object;
use crate::policy::{Pass, PolicySet, Violation};
use crate::yaml::{unquoted_span, Span};

/// The help of a finding on an object a policy errored on (rather than
/// failing it): the repository pass counts these per policy rule.
pub const UNDECIDED: &str = "the policy could not be evaluated here; nothing was decided";

/// An object some policy judges in the repository pass, as the file pass
/// leaves it: where it is, and the document to parse again for it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DeferredObject {
    pub span: Span,
    pub doc: Span,
    /// Its `kind` value, as the index's facts name the object.
    pub kind_span: Span,
}

/// Runs every policy of `set` on `obj` in `pass`; says whether some
/// policy left it for the repository pass.
pub fn check(set: &PolicySet, obj: &Object, pass: Pass, cx: &mut DocCx) -> bool {
    // A Kustomize patch is part of an object: judged as rendered, not alone.
    if set.is_empty() || cx.schema.fragment {
        return false;
    }
    let mut violations = Vec::new();
    let deferred = set.check(obj.node, pass, &mut violations);
    if deferred && matches!(pass, Pass::File) {
        cx.deferred.push(DeferredObject {
            span: obj.node.span(),
            doc: obj.node.doc.span,
            kind_span: obj.node.get("kind").map(unquoted_span).unwrap_or_default(),
        });
    }
    for v in violations {
        report(v, obj, cx);
    }
    deferred
}

fn report(v: Violation, obj: &Object, cx: &mut DocCx) {
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
        f = f.severity(Severity::Info).help(UNDECIDED);
    }
    cx.report(f);
}
