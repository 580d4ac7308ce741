//! The expressions of one policy or rule, compiled and owned: match
//! conditions, variables and validations, each remembering where it is
//! written. Also the textual rewrite Kyverno applies to make the rules it
//! auto-generates for pod controllers (`object.spec` to the pod template).

use super::expr::{Expr, Uses};
use crate::yaml::{unquoted_span, NodeRef, Span};

/// A compile error at the expression's node in the policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError {
    pub at: Span,
    pub message: String,
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub expr: Expr,
}

#[derive(Debug, Clone)]
pub struct Validation {
    pub expr: Expr,
    pub message: Option<String>,
    pub message_expr: Option<Expr>,
    pub field_path: Option<String>,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Program {
    pub conditions: Vec<Named>,
    pub variables: Vec<Named>,
    pub validations: Vec<Validation>,
}

/// Compiles the scalar `n` (named `what` in messages).
pub fn compile_node(n: NodeRef, what: &str) -> Result<Expr, CompileError> {
    let at = unquoted_span(n);
    let Some(source) = n.as_str() else {
        return Err(CompileError {
            at: n.span(),
            message: format!("{what}: not a string"),
        });
    };
    Expr::compile(source, at).map_err(|e| CompileError {
        at,
        message: format!("{what}: {e}"),
    })
}

fn list<'d, 's>(n: Option<NodeRef<'d, 's>>) -> Vec<NodeRef<'d, 's>> {
    n.map(|l| l.items().collect()).unwrap_or_default()
}

/// `[{name, expression}]` (match conditions, variables).
pub fn read_named(n: Option<NodeRef>, what: &str) -> Result<Vec<Named>, CompileError> {
    list(n)
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item.str_at(&["name"]).unwrap_or_default().to_string();
            let Some(e) = item.get("expression") else {
                return Err(CompileError {
                    at: item.span(),
                    message: format!("{what}[{i}] has no expression"),
                });
            };
            let expr = compile_node(e, &format!("{what}[{i}] ({name})"))?;
            Ok(Named { name, expr })
        })
        .collect()
}

/// `[{expression, message, messageExpression, fieldPath, reason}]`.
pub fn read_validations(n: Option<NodeRef>, what: &str) -> Result<Vec<Validation>, CompileError> {
    list(n)
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let Some(e) = item.get("expression") else {
                return Err(CompileError {
                    at: item.span(),
                    message: format!("{what}[{i}] has no expression"),
                });
            };
            let message_expr = match item.get("messageExpression") {
                Some(m) => Some(compile_node(m, &format!("{what}[{i}].messageExpression"))?),
                None => None,
            };
            let text = |k: &str| item.str_at(&[k]).map(str::to_string);
            Ok(Validation {
                expr: compile_node(e, &format!("{what}[{i}]"))?,
                message: text("message"),
                message_expr,
                field_path: text("fieldPath"),
                reason: text("reason"),
            })
        })
        .collect()
}

impl Program {
    /// Every expression, in evaluation order.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.conditions
            .iter()
            .map(|n| &n.expr)
            .chain(self.variables.iter().map(|n| &n.expr))
            .chain(
                self.validations
                    .iter()
                    .flat_map(|v| std::iter::once(&v.expr).chain(v.message_expr.as_ref())),
            )
    }

    /// What the program as a whole reads.
    pub fn uses(&self) -> Uses {
        let mut all = Uses::default();
        for e in self.exprs() {
            all.cluster = all.cluster.or_else(|| e.uses.cluster.clone());
            all.namespace_object |= e.uses.namespace_object;
            all.params |= e.uses.params;
            all.user_info |= e.uses.user_info;
        }
        all
    }

    /// The program with every source (and message) rewritten by `reps`,
    /// recompiled; `None` if a rewritten expression does not compile.
    pub fn rewritten(&self, reps: &[(&str, &str)], protect_namespace: bool) -> Option<Program> {
        let re = |e: &Expr| {
            Expr::compile(&rewrite_source(&e.source, reps, protect_namespace), e.span).ok()
        };
        let named = |list: &[Named]| -> Option<Vec<Named>> {
            list.iter()
                .map(|n| {
                    Some(Named {
                        name: n.name.clone(),
                        expr: re(&n.expr)?,
                    })
                })
                .collect()
        };
        let validations = self
            .validations
            .iter()
            .map(|v| {
                let message_expr = match &v.message_expr {
                    Some(m) => Some(re(m)?),
                    None => None,
                };
                Some(Validation {
                    expr: re(&v.expr)?,
                    message: v
                        .message
                        .as_ref()
                        .map(|m| rewrite_source(m, reps, protect_namespace)),
                    message_expr,
                    field_path: v.field_path.clone(),
                    reason: v.reason.clone(),
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Program {
            conditions: named(&self.conditions)?,
            variables: named(&self.variables)?,
            validations,
        })
    }
}

/// Every `from` replaced by `to`, in order; with `protect_namespace`, not
/// where `.namespace` follows as a whole segment (Kyverno's ValidatingPolicy
/// autogen keeps `object.metadata.namespace`).
pub fn rewrite_source(src: &str, reps: &[(&str, &str)], protect_namespace: bool) -> String {
    let mut out = src.to_string();
    for (from, to) in reps {
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(from) {
            next.push_str(&rest[..i]);
            let after = &rest[i + from.len()..];
            let protected = protect_namespace
                && after.strip_prefix(".namespace").is_some_and(|t| {
                    !t.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                });
            next.push_str(if protected { from } else { to });
            rest = after;
        }
        next.push_str(rest);
        out = next;
    }
    out
}

/// Kyverno's autogen replacements, the same for ValidatingPolicy
/// (`pkg/cel/autogen`) and `validate.cel` rules (`pkg/autogen/v1`): a pod
/// controller's template, then a CronJob's.
pub const POD_TEMPLATE: [(&str, &str); 4] = [
    ("object.spec", "object.spec.template.spec"),
    ("oldObject.spec", "oldObject.spec.template.spec"),
    ("object.metadata", "object.spec.template.metadata"),
    ("oldObject.metadata", "oldObject.spec.template.metadata"),
];
pub const CRONJOB_TEMPLATE: [(&str, &str); 4] = [
    ("object.spec", "object.spec.jobTemplate.spec.template.spec"),
    (
        "oldObject.spec",
        "oldObject.spec.jobTemplate.spec.template.spec",
    ),
    (
        "object.metadata",
        "object.spec.jobTemplate.spec.template.metadata",
    ),
    (
        "oldObject.metadata",
        "oldObject.spec.jobTemplate.spec.template.metadata",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autogen_rewrites_object_paths() {
        let src = "object.spec.containers.all(c, c.name != '') && object.metadata.namespace != 'x' && object.metadata.name != ''";
        let out = rewrite_source(src, &POD_TEMPLATE, true);
        assert_eq!(out, "object.spec.template.spec.containers.all(c, c.name != '') && object.metadata.namespace != 'x' && object.spec.template.metadata.name != ''");
        let out = rewrite_source("object.metadata.namespaces", &POD_TEMPLATE, true);
        assert_eq!(out, "object.spec.template.metadata.namespaces");
        let out = rewrite_source("object.metadata.namespace", &CRONJOB_TEMPLATE, false);
        assert_eq!(
            out,
            "object.spec.jobTemplate.spec.template.metadata.namespace"
        );
    }
}
