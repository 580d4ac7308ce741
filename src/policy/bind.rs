//! ValidatingAdmissionPolicyBindings joined to their policies once every
//! policy file is read, and a bound policy run on a resource: once per
//! binding that admits it, once per parameter object the binding picks
//! from the policy files, each failure at the severity the binding's
//! `validationActions` give it. A VAP with no binding in the files runs
//! as written; one that needs parameters nobody gives is not run, and
//! says why.

use std::path::PathBuf;

use super::cel::{Action, Binding, CelPolicy, Family, Inputs, ParamObject, Params, Subject};
use super::kyverno::{Met, Verdict};
use super::meta::Origin;
use crate::finding::Severity;
use crate::yaml::Span;

/// A policy's bindings and the parameter objects of its `paramKind`.
#[derive(Debug)]
pub struct Binds {
    pub bindings: Vec<Binding>,
    pub params: Vec<ParamObject>,
}

/// A rule's verdict on a resource: (rule index, the rule's name as
/// Kyverno reports it, verdict, the severity a binding gives a failure).
pub type Judged = (usize, String, Verdict, Option<Severity>);

/// A problem of the policy files: where, and why (a `policy-not-run` note).
pub type Note = (Origin, Option<Span>, String);

/// What joining the bindings gives: each policy's binds, in order, and
/// the notes to report.
pub struct Joined {
    pub binds: Vec<Option<Binds>>,
    pub notes: Vec<Note>,
    /// Files whose documents are the parameters of a policy.
    pub param_files: Vec<PathBuf>,
}

/// Joins `bindings` to the ValidatingAdmissionPolicies among `policies`
/// (each with its file): a binding naming no policy of the files, and a
/// policy needing parameters no binding gives, are notes.
pub fn join(
    policies: &[Option<(&CelPolicy, &Origin)>],
    bindings: &[(Origin, Binding)],
    params: &[(Origin, ParamObject)],
) -> Joined {
    let mut used = vec![false; bindings.len()];
    let mut out = Joined {
        binds: Vec::with_capacity(policies.len()),
        notes: Vec::new(),
        param_files: Vec::new(),
    };
    for entry in policies {
        let Some((p, origin)) =
            entry.filter(|(p, _)| p.family == Family::ValidatingAdmissionPolicy)
        else {
            out.binds.push(None);
            continue;
        };
        let mine: Vec<Binding> = bindings
            .iter()
            .enumerate()
            .filter(|(_, (_, b))| b.policy == p.name)
            .map(|(j, (_, b))| {
                used[j] = true;
                b.clone()
            })
            .collect();
        let objects: Vec<ParamObject> = match p.param_kind() {
            Some((api, kind)) => params
                .iter()
                .filter(|(_, o)| o.resource.api_version == api && o.resource.kind == kind)
                .map(|(from, o)| {
                    if let Origin::File(path) = from {
                        out.param_files.push(path.clone());
                    }
                    o.clone()
                })
                .collect(),
            None => Vec::new(),
        };
        if let Some(why) = not_run(p, &mine, &objects) {
            out.notes.push((origin.clone(), p.param_kind_at(), why));
        }
        out.binds.push((!mine.is_empty()).then_some(Binds {
            bindings: mine,
            params: objects,
        }));
    }
    for ((origin, b), used) in bindings.iter().zip(used) {
        if !used {
            let why = format!(
                "binding `{}` names policy `{}`, which is not a ValidatingAdmissionPolicy of the policy files",
                b.name, b.policy
            );
            out.notes.push((origin.clone(), Some(b.at), why));
        }
    }
    out
}

/// Why a policy with a `paramKind` cannot run with the bindings given.
fn not_run(p: &CelPolicy, mine: &[Binding], objects: &[ParamObject]) -> Option<String> {
    let kind = match p.param_kind() {
        Some(kind) => kind,
        None if p.has_param_kind() => {
            return Some(format!(
                "policy `{}` is not run: its `paramKind` names no apiVersion and kind",
                p.name
            ))
        }
        None => return None,
    };
    if mine.is_empty() {
        return Some(format!(
            "policy `{}` is not run: it needs `params` ({} `{}`), and no ValidatingAdmissionPolicyBinding in the policy files binds it",
            p.name, kind.0, kind.1
        ));
    }
    let why: Vec<String> = mine
        .iter()
        .filter_map(|b| b.resolvable(kind, objects).err())
        .collect();
    (why.len() == mine.len()).then(|| {
        format!(
            "policy `{}` is not run: it needs `params`, and {}",
            p.name,
            why.join("; ")
        )
    })
}

/// The severity a binding's action gives a failure (`None`: the rule's).
fn severity(action: Action) -> Option<Severity> {
    match action {
        Action::Deny => None,
        Action::Warn => Some(Severity::Warning),
        Action::Audit => Some(Severity::Info),
    }
}

/// Each verdict of a bound policy on `subject`, once per binding that
/// admits it and per parameter object (rule index 0: a VAP is one rule).
pub(super) fn bound_verdicts(
    p: &CelPolicy,
    binds: &Binds,
    (subject, base): (&Subject, &Inputs),
    out: &mut Vec<Judged>,
) {
    let several = binds.bindings.len() > 1;
    for b in &binds.bindings {
        if !matches!(b.admits(&subject.resource), Met::Yes) {
            continue;
        }
        let sev = severity(b.action);
        let mut inputs = *base;
        let objects = match b.params(p.param_kind(), &subject.resource.namespace, &binds.params) {
            Params::None => Vec::new(),
            Params::Objects(list) => list,
            Params::NotFound { deny, what } => {
                // Only where the policy applies: it says it needs params.
                let applies = p.judge(subject, &inputs).iter().any(
                    |(_, v)| matches!(v, Verdict::Skip { reason } if reason.contains("params")),
                );
                if deny && applies {
                    let message = format!(
                        "binding `{}` finds no parameters ({what}, parameterNotFoundAction: Deny)",
                        b.name
                    );
                    let at = super::cel::kind_span(subject.node);
                    out.push((0, p.name.clone(), Verdict::Fail { at, message }, sev));
                }
                continue;
            }
        };
        let label = |o: Option<&ParamObject>| match o {
            Some(o) => format!(" (binding `{}`, params `{}`)", b.name, o.describe()),
            None if several => format!(" (binding `{}`)", b.name),
            None => String::new(),
        };
        let runs: Vec<Option<&ParamObject>> = if objects.is_empty() {
            vec![None]
        } else {
            objects.into_iter().map(Some).collect()
        };
        for o in runs {
            inputs.param_value = o.map(|o| o.value.as_ref());
            for (name, verdict) in p.judge(subject, &inputs) {
                let verdict = match verdict {
                    Verdict::Fail { at, message } => Verdict::Fail {
                        at,
                        message: format!("{message}{}", label(o)),
                    },
                    other => other,
                };
                out.push((0, name, verdict, sev));
            }
        }
    }
}
