//! Judging one resource with a run's policies: which policies apply in
//! which pass (`Pass`), each rule's verdict, and the violations it gives.

use super::bind::{bound_verdicts, Judged};
use super::cel::{self, CelPolicy, Subject};
use super::kyverno::{
    generated_from, validate_any_pattern, validate_pattern, Applies, Check, Policy, Resource,
    Verdict,
};
use super::set::{Body, Compiled, PolicySet};
use crate::finding::{RuleMeta, Severity};
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
    /// The severity its binding gives it (`None`: the rule's).
    pub severity: Option<Severity>,
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
            ..cel::Inputs::default()
        };
        // Read, and converted for CEL, once for every policy that applies.
        let mut subject: Option<Subject> = None;
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
            let s = subject.get_or_insert_with(|| Subject::new(doc, namespace));
            let mut judged = Vec::new();
            match &c.body {
                Body::Kyverno(policy) => kyverno_verdicts(policy, &c.rules, s, &mut judged),
                Body::Cel(p) => match &c.binds {
                    Some(b) if c.rules.iter().any(|(_, m)| m.is_some()) => {
                        bound_verdicts(p, b, (s, &inputs), &mut judged)
                    }
                    _ => cel_verdicts(p, &c.rules, (s, &inputs), &mut judged),
                },
                Body::Lazy(l) => {
                    if let Some(p) = l.get() {
                        cel_verdicts(p, &c.rules, (s, &inputs), &mut judged)
                    }
                }
            }
            out.extend(judged.into_iter().filter_map(|j| violation(c, doc, j)));
        }
        deferred
    }
}

/// What a rule's verdict on `doc` reports, if anything.
fn violation(
    c: &Compiled,
    doc: NodeRef,
    (i, name, verdict, severity): Judged,
) -> Option<Violation> {
    let (rule, Some(meta)) = &c.rules[i] else {
        return None;
    };
    let kind = doc.str_at(&["kind"]).unwrap_or_default();
    let secret_like = kind.contains("Secret");
    let generated = (name != *rule).then_some(name);
    let (said, substituted) = match &c.body {
        Body::Kyverno(p) => (
            p.rules[i].message.as_deref(),
            matches!(&p.rules[i].check, Check::Logic(l) if l.message_has_vars()),
        ),
        Body::Cel(_) | Body::Lazy(_) => (None, false),
    };
    let (at, message, error) = match verdict {
        Verdict::Pass | Verdict::Skip { .. } => return None,
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
            let kind_at = doc.get("kind").map_or(doc.span(), |k| k.span());
            (kind_at, format!("{UNDECIDED_PREFIX}{message}"), true)
        }
    };
    // A deny rule with no message says what happened.
    let message = match message.is_empty() {
        true => "denied by the rule's conditions".to_string(),
        false => message,
    };
    Some(Violation {
        rule: meta,
        at,
        message,
        generated,
        error,
        severity,
        help: c.help.clone(),
    })
}

/// Each running pattern rule's verdict on the subject: (rule index, the
/// rule's name as Kyverno reports it, verdict, no severity of its own).
fn kyverno_verdicts(
    policy: &Policy,
    rules: &[(String, Option<&'static RuleMeta>)],
    subject: &Subject,
    out: &mut Vec<Judged>,
) {
    let (doc, resource): (NodeRef, &Resource) = (subject.node, &subject.resource);
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
        out.push((i, name, verdict, None));
    }
}

/// Each running CEL rule's verdict on the subject.
fn cel_verdicts(
    p: &CelPolicy,
    rules: &[(String, Option<&'static RuleMeta>)],
    (subject, inputs): (&Subject, &cel::Inputs),
    out: &mut Vec<Judged>,
) {
    if rules.iter().all(|(_, m)| m.is_none()) {
        return;
    }
    for (name, verdict) in p.judge(subject, inputs) {
        let base = generated_from(&name).unwrap_or(&name);
        let found = rules
            .iter()
            .position(|(r, _)| *r == name)
            .or_else(|| rules.iter().position(|(r, _)| r == base));
        if let Some(i) = found.filter(|&i| rules[i].1.is_some()) {
            out.push((i, name, verdict, None));
        }
    }
}
