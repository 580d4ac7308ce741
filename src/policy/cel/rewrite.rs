//! The compile-time half of the evaluation bound and of Kyverno's
//! compatibility: what an expression reads that the offline context may
//! lack (`scan`), and the AST rewritten to charge the budget through `@step`
//! and `@sized` (`rewrite`, see `expr` for the bound), with `orValue` on
//! plain field selections made optional.

use cel::common::ast::{CallExpr, ComprehensionExpr, Expr as Node, IdedExpr, LiteralValue};

/// Free variables that name Kyverno or Kubernetes libraries needing the
/// cluster, a registry or the network.
const CLUSTER_LIBS: [&str; 8] = [
    "authorizer",
    "resource",
    "http",
    "globalContext",
    "image",
    "imageData",
    "gctx",
    "x509",
];
/// Global functions of Kyverno's libraries we do not offer.
const KYVERNO_FUNCTIONS: [&str; 6] = [
    "parseServiceAccount",
    "parseImageReference",
    "image",
    "now",
    "jsonpatch",
    "base64",
];

/// What an expression reads that the offline context may lack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Why it needs the cluster (a library of Kyverno's or `authorizer`).
    pub cluster: Option<String>,
    pub namespace_object: bool,
    pub params: bool,
    pub user_info: bool,
}

/// Records what `e` reads that the offline context may lack. `bound` holds
/// the comprehension variables in scope.
pub fn scan(e: &IdedExpr, bound: &mut Vec<String>, uses: &mut Uses) {
    let free = |name: &str, bound: &Vec<String>| !bound.iter().any(|b| b == name);
    match &e.expr {
        Node::Ident(name) if free(name, bound) => match name.as_str() {
            "namespaceObject" => uses.namespace_object = true,
            "params" => uses.params = true,
            n if CLUSTER_LIBS.contains(&n) && uses.cluster.is_none() => {
                uses.cluster = Some(format!("uses `{n}`, which needs the cluster"));
            }
            _ => {}
        },
        Node::Ident(_) | Node::Literal(_) | Node::Unspecified => {}
        Node::Select(s) => {
            if s.field == "userInfo"
                && matches!(&s.operand.expr, Node::Ident(n) if n == "request" && free(n, bound))
            {
                uses.user_info = true;
            }
            scan(&s.operand, bound, uses);
        }
        Node::Call(c) => {
            if c.target.is_none()
                && KYVERNO_FUNCTIONS.contains(&c.func_name.as_str())
                && uses.cluster.is_none()
            {
                uses.cluster = Some(format!(
                    "uses `{}`, a Kyverno library function not available offline",
                    c.func_name
                ));
            }
            if let Some(t) = &c.target {
                scan(t, bound, uses);
            }
            c.args.iter().for_each(|a| scan(a, bound, uses));
        }
        Node::List(l) => l.elements.iter().for_each(|a| scan(a, bound, uses)),
        Node::Map(m) => {
            for entry in &m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                    scan(&me.key, bound, uses);
                    scan(&me.value, bound, uses);
                }
            }
        }
        Node::Struct(s) => {
            for entry in &s.entries {
                if let cel::common::ast::EntryExpr::StructField(f) = &entry.expr {
                    scan(&f.value, bound, uses);
                }
            }
        }
        Node::Comprehension(c) => {
            scan(&c.iter_range, bound, uses);
            scan(&c.accu_init, bound, uses);
            let depth = bound.len();
            bound.push(c.iter_var.clone());
            bound.extend(c.iter_var2.clone());
            bound.push(c.accu_var.clone());
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                scan(part, bound, uses);
            }
            bound.truncate(depth);
        }
    }
}

/// Functions whose arguments are not charged: constant-time ones.
const UNCHARGED: [&str; 9] = [
    "_&&_",
    "_||_",
    "!_",
    "_?_:_",
    "@not_strictly_false",
    "_[_]",
    "_[?_]",
    "_?._",
    "@step",
];

fn call(name: &str, args: Vec<IdedExpr>, id: u64) -> IdedExpr {
    IdedExpr {
        id,
        expr: Node::Call(CallExpr {
            func_name: name.into(),
            target: None,
            args,
        }),
    }
}

fn is_constant(e: &IdedExpr) -> bool {
    matches!(e.expr, Node::Literal(_))
}

fn is_accumulator(e: &IdedExpr) -> bool {
    matches!(&e.expr, Node::Ident(n) if n.starts_with('@'))
}

/// `e` wrapped in `@sized(e)` unless constant.
fn sized(e: IdedExpr) -> IdedExpr {
    if is_constant(&e) {
        return e;
    }
    let id = e.id;
    call("@sized", vec![e], id)
}

pub fn count_nodes(e: &IdedExpr) -> i64 {
    let mut n = 1;
    match &e.expr {
        Node::Call(c) => {
            n += c.target.as_deref().map_or(0, count_nodes);
            n += c.args.iter().map(count_nodes).sum::<i64>();
        }
        Node::Select(s) => n += count_nodes(&s.operand),
        Node::List(l) => n += l.elements.iter().map(count_nodes).sum::<i64>(),
        Node::Comprehension(c) => {
            n += [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ]
            .into_iter()
            .map(count_nodes)
            .sum::<i64>()
        }
        _ => n += 1,
    }
    n
}

/// Rewrites `e` to charge the budget (see the module docs).
pub fn rewrite(e: &mut IdedExpr) {
    let id = e.id;
    match &mut e.expr {
        Node::Call(c) => {
            if c.func_name == "orValue" && c.args.len() == 1 {
                if let Some(t) = c.target.as_deref_mut() {
                    optionalize(t);
                }
            }
            if let Some(t) = c.target.as_deref_mut() {
                rewrite(t);
            }
            c.args.iter_mut().for_each(rewrite);
            if c.func_name == "replace" && c.target.is_some() {
                c.func_name = "@replace".into();
            }
            // `@result + [x]`: the accumulator of `map`/`filter`, whose
            // iterations are charged; left in the shape `cel` appends in place.
            let append = c.func_name == "_+_" && c.args.first().is_some_and(is_accumulator);
            if !UNCHARGED.contains(&c.func_name.as_str()) && !append {
                if let Some(t) = c.target.take() {
                    c.target = Some(Box::new(sized(*t)));
                }
                let args = std::mem::take(&mut c.args);
                c.args = args.into_iter().map(sized).collect();
            }
        }
        Node::Select(s) => rewrite(&mut s.operand),
        Node::List(l) => l.elements.iter_mut().for_each(rewrite),
        Node::Map(m) => {
            for entry in &mut m.entries {
                if let cel::common::ast::EntryExpr::MapEntry(me) = &mut entry.expr {
                    rewrite(&mut me.key);
                    rewrite(&mut me.value);
                }
            }
        }
        Node::Comprehension(c) => {
            for part in [
                &mut c.iter_range,
                &mut c.accu_init,
                &mut c.loop_cond,
                &mut c.loop_step,
                &mut c.result,
            ] {
                rewrite(part);
            }
            charge_iterations(c, id);
        }
        _ => {}
    }
}

/// Kyverno's `orValue` compatibility (`pkg/cel/compiler/env.go`): on a
/// value that is not optional, `x.orValue(d)` is `x`, and `d` when `x`
/// fails. The field selections and indexes leading to `x` become optional
/// ones (`a.b.c` to `a.?b.?c`, `a[k]` to `a[?k]`), which gives both for the
/// missing fields that are the common failure.
fn optionalize(e: &mut IdedExpr) {
    let id = e.id;
    match &mut e.expr {
        Node::Select(s) if !s.test => {
            optionalize(&mut s.operand);
            let operand = std::mem::take(&mut *s.operand);
            let field = IdedExpr {
                id,
                expr: Node::Literal(LiteralValue::String(s.field.clone().into())),
            };
            *e = call("_?._", vec![operand, field], id);
        }
        Node::Call(c) if matches!(c.func_name.as_str(), "_?._" | "_[?_]") => {
            if let Some(first) = c.args.first_mut() {
                optionalize(first);
            }
        }
        Node::Call(c) if c.func_name == "_[_]" && c.args.len() == 2 => {
            optionalize(&mut c.args[0]);
            c.func_name = "_[?_]".into();
        }
        _ => {}
    }
}

/// Makes every iteration of `c` charge its body's size: on the guard or the
/// appended element of a `map`/`filter` (keeping the shape `cel` runs in
/// place), else on the loop condition.
fn charge_iterations(c: &mut ComprehensionExpr, id: u64) {
    let weight = count_nodes(&c.loop_step) + count_nodes(&c.loop_cond);
    let step = |e: IdedExpr| {
        let w = IdedExpr {
            id,
            expr: Node::Literal(LiteralValue::Int(weight.into())),
        };
        call("@step", vec![e, w], id)
    };
    let literal_cond = matches!(c.loop_cond.expr, Node::Literal(_));
    if literal_cond && matches!(&c.result.expr, Node::Ident(n) if *n == c.accu_var) {
        if let Node::Call(outer) = &mut c.loop_step.expr {
            let slot = match (outer.func_name.as_str(), outer.args.as_mut_slice()) {
                ("_?_:_", [guard, _, _]) => Some(guard),
                ("_+_", [_, list]) => match &mut list.expr {
                    Node::List(l) if l.elements.len() == 1 => l.elements.first_mut(),
                    _ => None,
                },
                _ => None,
            };
            if let Some(slot) = slot {
                let inner = std::mem::take(slot);
                *slot = step(inner);
                return;
            }
        }
    }
    let cond = std::mem::take(&mut c.loop_cond);
    c.loop_cond = step(cond);
}
