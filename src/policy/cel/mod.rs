//! CEL policies, offline: Kubernetes' `ValidatingAdmissionPolicy`, Kyverno's
//! `ValidatingPolicy` and the `validate.cel` rules of Kyverno's
//! `ClusterPolicy`/`Policy`.
//!
//! [`compile`] reads a policy document once into an owned, `Send + Sync`
//! [`CelPolicy`] (every expression parsed, a compile error pointing at the
//! expression's node); [`CelPolicy::evaluate`] judges a resource document
//! as a CREATE request would be judged, giving Kyverno's [`Verdict`] per
//! rule (a ValidatingPolicy or VAP is one rule, named after the policy).
//! What needs the cluster (`authorizer`, Kyverno's `resource`/`http`/
//! `image` libraries, `request.userInfo`, a `namespaceObject` or `params`
//! that were not given, a namespace selector without the namespace's
//! labels) is a `Skip` saying so, never a guess.
//!
//! `expr` holds one expression and the evaluation bound (see there),
//! `rewrite` the AST rewrite that enforces it;
//! `value` turns YAML nodes into CEL values; `k8s` holds Kubernetes' CEL
//! libraries (`quantity`, regex `find`, list `min`/`max`, `ip`/`cidr`); `program` the expressions of a
//! policy and Kyverno's autogen rewrite; `eval` runs a program on a
//! resource; `matching` reads `matchConstraints`; `field_path` resolves a
//! validation's `fieldPath`; `admission` and `rules` read the policy kinds;
//! `binding` reads a VAP binding and picks its parameter objects; `subject`
//! holds a resource converted once for every policy; `shared` the values
//! whose copies share their contents; `culprit` finds the container a
//! failing validation fails on.
//! This module reads no files and reports no findings.

mod admission;
mod binding;
mod culprit;
mod eval;
mod expr;
mod field_path;
mod k8s;
mod matching;
mod program;
mod rewrite;
mod rules;
mod shared;
mod subject;
mod value;

pub use binding::{is_binding, Action, Binding, ParamObject, Params};
pub use eval::{kind_span, Inputs};
pub use expr::{COST_LIMIT, MAX_SOURCE, TOTAL_COST_LIMIT};
pub use k8s::MAX_STRING;
pub use matching::plural;
pub use program::CompileError;
pub use subject::Subject;
pub use value::{MAX_VALUE_DEPTH, MAX_VALUE_NODES};

use crate::policy::kyverno::Verdict;
use crate::yaml::{NodeRef, Span};

/// The three kinds of CEL policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// A Kyverno `ClusterPolicy`/`Policy` with `validate.cel` rules.
    ValidateCel,
    /// Kyverno's `ValidatingPolicy`.
    ValidatingPolicy,
    /// Kubernetes' `ValidatingAdmissionPolicy`.
    ValidatingAdmissionPolicy,
}

#[derive(Debug, Clone)]
enum Body {
    Admission(Box<admission::AdmissionPolicy>),
    Rules(rules::CelRules),
}

/// A compiled CEL policy: owned, `Send + Sync`, evaluated from any thread.
#[derive(Debug, Clone)]
pub struct CelPolicy {
    pub name: String,
    pub family: Family,
    body: Body,
}

/// Compiles `doc` if it is a CEL policy (`Ok(None)` if it is not one).
pub fn compile(doc: NodeRef) -> Result<Option<CelPolicy>, CompileError> {
    if let Some(kyverno) = admission::family(doc) {
        let p = admission::AdmissionPolicy::read(doc, kyverno)?;
        return Ok(Some(CelPolicy {
            name: p.name.clone(),
            family: if kyverno {
                Family::ValidatingPolicy
            } else {
                Family::ValidatingAdmissionPolicy
            },
            body: Body::Admission(Box::new(p)),
        }));
    }
    if rules::has_cel_rules(doc) {
        let p = rules::CelRules::read(doc)?;
        return Ok(Some(CelPolicy {
            name: p.name.clone(),
            family: Family::ValidateCel,
            body: Body::Rules(p),
        }));
    }
    Ok(None)
}

impl CelPolicy {
    /// The names of its rules: the policy's own name for a ValidatingPolicy
    /// or VAP, each `validate.cel` rule's name for a Kyverno policy.
    pub fn rule_names(&self) -> Vec<String> {
        match &self.body {
            Body::Admission(p) => vec![p.name.clone()],
            Body::Rules(p) => p.rules.iter().map(|r| r.name.clone()).collect(),
        }
    }

    /// A ValidatingAdmissionPolicy's `paramKind` (API version, kind).
    pub fn param_kind(&self) -> Option<(&str, &str)> {
        match &self.body {
            Body::Admission(p) => p
                .param_kind_of
                .as_ref()
                .map(|(a, k)| (a.as_str(), k.as_str())),
            Body::Rules(_) => None,
        }
    }

    /// Whether the policy declares a `paramKind`.
    pub fn has_param_kind(&self) -> bool {
        matches!(&self.body, Body::Admission(p) if p.param_kind)
    }

    /// Where its `paramKind` is written.
    pub fn param_kind_at(&self) -> Option<Span> {
        match &self.body {
            Body::Admission(p) => p.param_kind_at,
            Body::Rules(_) => None,
        }
    }

    /// The verdict of each rule that applies to `resource`; a namespaced
    /// resource that names no namespace is in `namespace`.
    pub fn evaluate(&self, resource: NodeRef, namespace: &str) -> Vec<(String, Verdict)> {
        self.evaluate_with(
            resource,
            &Inputs {
                namespace,
                ..Inputs::default()
            },
        )
    }

    /// [`Self::evaluate`] with the namespace object or parameters known.
    pub fn evaluate_with(&self, resource: NodeRef, inputs: &Inputs) -> Vec<(String, Verdict)> {
        self.judge(&Subject::new(resource, inputs.namespace), inputs)
    }

    /// [`Self::evaluate_with`] on a resource already read (`inputs.namespace`
    /// is the one `subject` was read with): the subject's CEL value is
    /// built once for every policy judging it.
    pub fn judge(&self, subject: &Subject, inputs: &Inputs) -> Vec<(String, Verdict)> {
        match &self.body {
            Body::Admission(p) => p
                .evaluate(subject, inputs)
                .map(|v| (p.name.clone(), v))
                .into_iter()
                .collect(),
            Body::Rules(p) => p.evaluate(subject, inputs),
        }
    }
}

#[cfg(test)]
mod tests;
