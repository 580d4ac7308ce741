//! Judging one resource with a run's policies: which policies apply in
//! which pass (`Pass`), each rule's verdict, and the violations it gives.

use super::cel::{self, CelPolicy};
use super::kyverno::{
    generated_from, validate_any_pattern, validate_pattern, Applies, Check, Policy, Resource,
    Verdict,
};
use super::set::{Body, PolicySet};
use crate::finding::RuleMeta;
use crate::yaml::{NodeRef, Span};
use std::sync::Arc;

/// A resource a policy rule judges failing (or could not decide).
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: &'static RuleMeta,
    /// The most specific resource node: the field that failed to match.
    pub at: Span,
    pub message: String,
    /// The rule's name as Kyverno reports it (`autogen-<rule>` on a pod
    /// controller), when it is not the rule's own.
    pub generated: Option<String>,
    /// The policy errored on this resource rather than failing it.
    pub error: bool,
    /// The policy's remediation (`shipshape.dev/remediation`).
    pub help: Option<Arc<str>>,
}

/// How the message of a finding on an object a policy errored on begins.
pub const UNDECIDED_PREFIX: &str = "the policy could not decide this object: ";

/// Which pass judges a resource. Policies that read nothing of the
/// namespace judge each object in the file pass (`File`; a namespaced
/// object naming no namespace is in `default`, as Kyverno's CLI reads it).
/// Those that read it judge an object whose namespace comes from elsewhere
/// in the repository pass (`Repo`), with its effective namespace (else
/// `default`) and that namespace's object when the repository holds one.
#[derive(Debug, Clone, Copy)]
pub enum Pass<'r, 't> {
    File,
    Repo {
        namespace: &'r str,
        namespace_object: Option<NodeRef<'r, 't>>,
    },
}

impl PolicySet {
    /// Judges one resource document in `pass`; says whether some policy
    /// was left for the repository pass (see [`Pass`]).
    pub fn check(&self, doc: NodeRef, pass: Pass, out: &mut Vec<Violation>) -> bool {
        let kind = doc.str_at(&["kind"]).unwrap_or_default();
        let secret_like = kind.contains("Secret");
        let kind_at = doc.get("kind").map_or(doc.span(), |k| k.span());
        let plural = cel::plural(kind);
        let (namespace, namespace_object) = match pass {
            Pass::File => ("default", None),
            Pass::Repo {
                namespace,
                namespace_object,
            } => (namespace, namespace_object),
        };
        let inputs = cel::Inputs {
            namespace,
            namespace_object,
            params: None,
        };
        let mut resource: Option<Resource> = None;
        let mut deferred = false;
        for c in &self.compiled {
            if c.resources.as_ref().is_some_and(|r| !r.contains(&plural)) {
                continue;
            }
            let late = c.needs.deferred(doc);
            deferred |= late;
            if late != matches!(pass, Pass::Repo { .. }) {
                continue;
            }
            let mut judged = Vec::new();
            match &c.body {
                Body::Kyverno(policy) => {
                    let r = resource.get_or_insert_with(|| {
                        let mut r = Resource::read(doc);
                        r.default_namespace(namespace);
                        r
                    });
                    kyverno_verdicts(policy, &c.rules, (doc, r), &mut judged)
                }
                Body::Cel(p) => cel_verdicts(p, &c.rules, (doc, &inputs), &mut judged),
                Body::Lazy(l) => {
                    if let Some(p) = l.get() {
                        cel_verdicts(p, &c.rules, (doc, &inputs), &mut judged)
                    }
                }
            }
            for (i, name, verdict) in judged {
                let (rule, Some(meta)) = &c.rules[i] else {
                    continue;
                };
                let generated = (name != *rule).then_some(name);
                let (said, substituted) = match &c.body {
                    Body::Kyverno(p) => (
                        p.rules[i].message.as_deref(),
                        matches!(&p.rules[i].check, Check::Logic(l) if l.message_has_vars()),
                    ),
                    Body::Cel(_) | Body::Lazy(_) => (None, false),
                };
                let (at, message, error) = match verdict {
                    Verdict::Pass | Verdict::Skip { .. } => continue,
                    // Values of a Secret-like object are never quoted.
                    Verdict::Fail { at, message } if secret_like => {
                        (at, said.unwrap_or(&message).to_string(), false)
                    }
                    // A message with variables arrives substituted.
                    Verdict::Fail { at, message } if substituted || message.is_empty() => (
                        at,
                        said.filter(|_| message.is_empty())
                            .map_or(message, str::to_string),
                        false,
                    ),
                    Verdict::Fail { at, message } => match said {
                        Some(said) => (at, format!("{said}: {message}"), false),
                        None => (at, message, false),
                    },
                    Verdict::Error { message } => {
                        (kind_at, format!("{UNDECIDED_PREFIX}{message}"), true)
                    }
                };
                // A deny rule with no message says what happened.
                let message = match message.is_empty() {
                    true => "denied by the rule's conditions".to_string(),
                    false => message,
                };
                out.push(Violation {
                    rule: meta,
                    at,
                    message,
                    generated,
                    error,
                    help: c.help.clone(),
                });
            }
        }
        deferred
    }
}

/// Each running pattern rule's verdict on `doc`: (rule index, the rule's
/// name as Kyverno reports it, verdict).
fn kyverno_verdicts(
    policy: &Policy,
    rules: &[(String, Option<&'static RuleMeta>)],
    (doc, resource): (NodeRef, &Resource),
    out: &mut Vec<(usize, String, Verdict)>,
) {
    for (i, (rule, (_, meta))) in policy.rules.iter().zip(rules).enumerate() {
        if meta.is_none() {
            continue;
        }
        let (at, name) = match policy.applies_to(rule, doc, resource) {
            Applies::Yes { at: Some(at), rule } => (at, rule),
            // A pod controller with no pod template, or a rule that
            // depends on the cluster: not judged.
            Applies::Yes { at: None, .. } | Applies::No(_) | Applies::Unknown(_) => continue,
        };
        let verdict = match &rule.check {
            Check::Pattern(p) => validate_pattern(at, p),
            Check::AnyPattern(list) => validate_any_pattern(at, list),
            Check::Logic(l) => l.decide(doc, at, &resource.namespace),
            Check::Undecidable(_) | Check::Invalid { .. } => continue,
        };
        out.push((i, name, verdict));
    }
}

/// Each running CEL rule's verdict on `doc`.
fn cel_verdicts(
    p: &CelPolicy,
    rules: &[(String, Option<&'static RuleMeta>)],
    (doc, inputs): (NodeRef, &cel::Inputs),
    out: &mut Vec<(usize, String, Verdict)>,
) {
    if rules.iter().all(|(_, m)| m.is_none()) {
        return;
    }
    for (name, verdict) in p.evaluate_with(doc, inputs) {
        let base = generated_from(&name).unwrap_or(&name);
        let found = rules
            .iter()
            .position(|(r, _)| *r == name)
            .or_else(|| rules.iter().position(|(r, _)| r == base));
        if let Some(i) = found.filter(|&i| rules[i].1.is_some()) {
            out.push((i, name, verdict));
        }
    }
}
