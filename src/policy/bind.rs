//! ValidatingAdmissionPolicyBindings joined to their policies once every
//! policy file is read, and a bound policy run on a resource: once per
//! binding that admits it, once per parameter object the binding picks
//! from the policy files, each failure at the severity the binding's
//! `validationActions` give it. A VAP with no binding in the files runs
//! as written; one that needs parameters nobody gives is not run, and
//! says why.

use std::path::PathBuf;
use std::sync::Arc;

use super::cel::{Action, Binding, CelPolicy, Family, Inputs, ParamObject, Params, Subject};
use super::kyverno::{Met, Verdict};
use super::meta::Origin;
use super::set::{Body, Compiled, Judged, PolicySet};
use crate::finding::Severity;

/// A policy's bindings and the parameter objects of its `paramKind`.
#[derive(Debug)]
pub struct Binds {
    pub bindings: Vec<Binding>,
    pub params: Vec<ParamObject>,
}

impl PolicySet {
    /// Joins the bindings read so far to their policies (call once, after
    /// the last policy file): a binding naming no policy of the files, and
    /// a policy needing parameters no binding gives, are problems.
    pub fn bind(&mut self) {
        let bindings = std::mem::take(&mut self.bindings);
        let params = std::mem::take(&mut self.params);
        let mut used = vec![false; bindings.len()];
        let mut param_files: Vec<PathBuf> = Vec::new();
        for i in 0..self.compiled.len() {
            let c = &self.compiled[i];
            let Body::Cel(p) = &c.body else { continue };
            if p.family != Family::ValidatingAdmissionPolicy {
                continue;
            }
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
                    .map(|(origin, o)| {
                        if let Origin::File(path) = origin {
                            param_files.push(path.clone());
                        }
                        o.clone()
                    })
                    .collect(),
                None => Vec::new(),
            };
            if let Some(why) = not_run(p, &mine, &objects) {
                let origin = c.origin.clone();
                let at = p.param_kind_at();
                self.problem(&origin, at, why, Severity::Info);
            }
            if mine.is_empty() {
                continue;
            }
            let mut kept = Compiled::clone(&self.compiled[i]);
            kept.binds = Some(Arc::new(Binds {
                bindings: mine,
                params: objects,
            }));
            self.compiled[i] = Arc::new(kept);
        }
        for ((origin, b), used) in bindings.iter().zip(used) {
            if !used {
                let why = format!(
                    "binding `{}` names policy `{}`, which is not a ValidatingAdmissionPolicy of the policy files",
                    b.name, b.policy
                );
                self.problem(origin, Some(b.at), why, Severity::Info);
            }
        }
        // A file of parameter objects is not a file without a policy.
        self.problems.retain(|p| {
            !(p.span.is_none()
                && p.message.starts_with("no policy in this file")
                && matches!(&p.origin, Origin::File(f) if param_files.contains(f)))
        });
    }
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
    subject: &Subject,
    out: &mut Vec<Judged>,
) {
    let several = binds.bindings.len() > 1;
    for b in &binds.bindings {
        if !matches!(b.admits(&subject.resource), Met::Yes) {
            continue;
        }
        let sev = severity(b.action);
        let mut inputs = Inputs {
            namespace: "default",
            ..Inputs::default()
        };
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
