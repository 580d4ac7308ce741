//! One program run against one resource: the offline context (`object`,
//! `request` as a CREATE, `oldObject` null, `namespaceObject` and `params`
//! when given), match conditions, variables in order, validations; the
//! verdict in Kyverno's terms, a failure at the most specific node (its
//! `fieldPath`, else the container it fails on, else the `kind`).

use std::collections::HashMap;
use std::sync::Arc;

use cel::common::types::{CelMap, CelMapKey};
use cel::Value;

use super::culprit::failing_container;
use super::expr::{with_context, Budget, Expr};
use super::field_path;
use super::program::{Program, Validation};
use super::shared::SharedMap;
use super::subject::Subject;
use super::value::to_val;
use crate::policy::kyverno::{Resource, Verdict};
use crate::yaml::{unquoted_span, NodeRef, Span};
use cel::common::types::CelNull;
use cel::common::value::Val;

/// What the offline evaluation is given beyond the resource.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'r, 't> {
    /// The namespace a namespaced resource that names none is deployed to.
    pub namespace: &'r str,
    /// The resource's Namespace object, when known.
    pub namespace_object: Option<NodeRef<'r, 't>>,
    /// The policy's parameter object, when known.
    pub params: Option<NodeRef<'r, 't>>,
    /// The parameter object already converted (a binding's, from the
    /// policy files); used before `params`.
    pub param_value: Option<&'r (dyn Val + 'static)>,
}

/// Where a failure points when no field path resolves: the resource's
/// `kind` value, else the resource.
pub fn kind_span(resource: NodeRef) -> Span {
    resource
        .get("kind")
        .map(unquoted_span)
        .unwrap_or_else(|| resource.span())
}

/// Why the program cannot be judged offline with these inputs, if so. A
/// cluster-scoped resource (`r.namespace` empty) has a null `namespaceObject`.
pub fn missing(
    program: &Program,
    inputs: &Inputs,
    r: &Resource,
    has_param_kind: bool,
) -> Option<String> {
    let uses = program.uses();
    if let Some(why) = uses.cluster {
        return Some(why);
    }
    if uses.user_info {
        return Some("reads `request.userInfo`: depends on who makes the request".into());
    }
    if uses.namespace_object && inputs.namespace_object.is_none() && !r.namespace.is_empty() {
        return Some("reads `namespaceObject`, which was not given".into());
    }
    if (uses.params || has_param_kind) && inputs.params.is_none() && inputs.param_value.is_none() {
        return Some("needs `params` (paramKind), which were not given".into());
    }
    None
}

/// The resource's root and, for an auto-generated rule, its pod template:
/// where a `fieldPath` is looked up, the template first.
pub struct Target<'s, 'r, 't> {
    /// A validation that fails to evaluate denies the request
    /// (`failurePolicy: Fail` of a VAP and of Kyverno's `validate.cel`),
    /// rather than being an error.
    pub errors_fail: bool,
    pub subject: &'s Subject<'r, 't>,
    pub template: Option<NodeRef<'r, 't>>,
}

/// `variables`: a map sharing the values (a copy per variable defined).
fn variables_value(vars: &HashMap<CelMapKey<'static>, Box<dyn Val>>) -> Box<dyn Val> {
    Box::new(SharedMap::new(CelMap::from(vars.clone())))
}

fn eval_bool(e: &Expr, ctx: &cel::Context, budget: &Arc<Budget>) -> Result<bool, String> {
    match e.eval(ctx, budget)? {
        Value::Bool(b) => Ok(b),
        other => Err(format!(
            "the expression returned {:?}, not a bool",
            other.type_of()
        )),
    }
}

/// Runs `program` on the target; `inputs` were checked with [`missing`].
pub fn run(program: &Program, target: &Target, inputs: &Inputs) -> Verdict {
    let object = match target.subject.object() {
        Ok(v) => v,
        Err(message) => return Verdict::Error { message },
    };
    let optional = |n: Option<NodeRef>| -> Result<Box<dyn Val>, String> {
        match n {
            Some(n) => to_val(n),
            None => Ok(Box::new(CelNull)),
        }
    };
    let params = match inputs.param_value {
        Some(v) => Ok(v.clone_as_boxed()),
        None => optional(inputs.params),
    };
    let (namespace_object, params) = match (optional(inputs.namespace_object), params) {
        (Ok(ns), Ok(p)) => (ns, p),
        (Err(message), _) | (_, Err(message)) => return Verdict::Error { message },
    };
    with_context(|ctx| {
        ctx.add_variable_as_val("object", object);
        ctx.add_variable_as_val("oldObject", Box::new(CelNull));
        ctx.add_variable_as_val("request", target.subject.request());
        ctx.add_variable_as_val("namespaceObject", namespace_object);
        ctx.add_variable_as_val("params", params);
        ctx.add_variable_as_val("variables", variables_value(&HashMap::new()));
        judge(program, target, ctx)
    })
}

/// Match conditions, variables and validations in `ctx`, which holds the
/// inputs.
fn judge(program: &Program, target: &Target, ctx: &mut cel::Context<'_, 'static>) -> Verdict {
    let budget = Arc::new(Budget::default());
    for c in &program.conditions {
        match eval_bool(&c.expr, ctx, &budget) {
            Ok(true) => {}
            Ok(false) => {
                return Verdict::Skip {
                    reason: format!("match condition `{}` is false", c.name),
                }
            }
            Err(e) => {
                let message = format!("match condition `{}`: {e}", c.name);
                return if target.errors_fail {
                    Verdict::Fail {
                        at: kind_span(target.subject.node),
                        message,
                    }
                } else {
                    Verdict::Error { message }
                };
            }
        }
    }
    let mut vars = HashMap::new();
    let mut var_errors = Vec::new();
    for v in &program.variables {
        match v.expr.eval_val(ctx, &budget) {
            Ok(value) => {
                vars.insert(CelMapKey::from(v.name.clone()), value);
                ctx.add_variable_as_val("variables", variables_value(&vars));
            }
            Err(e) => var_errors.push(format!("variable `{}`: {e}", v.name)),
        }
    }
    let mut fails: Vec<(Span, String)> = Vec::new();
    let mut errors = Vec::new();
    for (i, v) in program.validations.iter().enumerate() {
        match eval_bool(&v.expr, ctx, &budget) {
            Ok(true) => {}
            Ok(false) => {
                let at = failure_span(v, target, ctx);
                fails.push((at, message(v, ctx, &budget)))
            }
            Err(e) if target.errors_fail => fails.push((
                kind_span(target.subject.node),
                format!(
                    "expression '{}' resulted in error: {e}",
                    v.expr.source.trim()
                ),
            )),
            Err(e) => errors.push(format!("validations[{i}]: {e}")),
        }
    }
    if let Some((at, _)) = fails.first() {
        let message = fails
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Verdict::Fail { at: *at, message };
    }
    if !errors.is_empty() {
        errors.extend(var_errors);
        return Verdict::Error {
            message: errors.join("; "),
        };
    }
    Verdict::Pass
}

/// The `fieldPath` node (under the pod template first), else the first
/// container the validation fails on, else the `kind`. The search has a
/// budget of its own: it must not spend what the policy's later
/// expressions may.
fn failure_span(v: &Validation, target: &Target, ctx: &mut cel::Context<'_, 'static>) -> Span {
    let path = v.field_path.as_deref();
    path.and_then(|p| {
        target
            .template
            .and_then(|t| field_path::resolve(t, p))
            .or_else(|| field_path::resolve(target.subject.node, p))
    })
    .map(|n| n.span())
    .or_else(|| {
        failing_container(
            &v.expr,
            (target.subject, target.template.is_some()),
            ctx,
            &Arc::new(Budget::default()),
        )
    })
    .unwrap_or_else(|| kind_span(target.subject.node))
}

/// `messageExpression`, else `message`, else Kubernetes' default.
fn message(v: &Validation, ctx: &cel::Context, budget: &Arc<Budget>) -> String {
    if let Some(m) = &v.message_expr {
        if let Ok(Value::String(s)) = m.eval(ctx, budget) {
            if !s.trim().is_empty() {
                return s.to_string();
            }
        }
    }
    match &v.message {
        Some(m) if !m.trim().is_empty() => m.clone(),
        _ => format!("failed expression: {}", v.expr.source.trim()),
    }
}
