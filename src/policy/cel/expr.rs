//! One CEL expression: parsed once into an owned AST, rewritten so that its
//! evaluation is bounded, and evaluated against a context.
//!
//! **The bound.** `cel` has no cost tracker, so the AST is rewritten to
//! charge a per-evaluation [`Budget`] (Kubernetes' per-expression limit,
//! [`COST_LIMIT`] units) through functions the policy author cannot name
//! (their names start with `@`):
//! - every comprehension iteration (`all`, `exists`, `exists_one`, `map`,
//!   `filter`, `cel.bind`) charges the number of AST nodes of its body, so
//!   a nested loop costs the product of its sizes;
//! - every value handed to a function or operator that walks it (`==`,
//!   `in`, `+`, `contains`, `matches`, `join`, `split`, ...) charges its
//!   size: a string one unit per 16 bytes, a list or map one per element,
//!   deeply, counted only up to what is left of the budget;
//! - `replace` is ours: it refuses an output larger than [`super::k8s::MAX_STRING`]
//!   before building it (the only function whose output outgrows its
//!   charged inputs by more than their sum).
//!
//! Everything else (`&&`, `||`, `!`, `?:`, field selection, indexing,
//! literals) is constant-time per AST node, and every AST node runs at most
//! once per charged iteration. Once the budget is spent, every charging
//! function fails, so loops stop at their next iteration, and the
//! evaluation is an error whatever its value. Each evaluation first charges
//! its AST's size, and all the expressions of one policy on one resource
//! share [`TOTAL_COST_LIMIT`] (Kubernetes' per-request budget), so a policy
//! of many cheap expressions is bounded too. The AST itself is bounded by
//! [`MAX_SOURCE`] bytes and the parser's nesting limit.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use cel::common::types::{CelBytes, CelInt, CelList, CelMap, CelString, DYN_TYPE, INT_TYPE};
use cel::common::value::{CowVal, Val};

use cel::common::ast::{ComprehensionExpr, Expr as Node, IdedExpr, LiteralValue};
use cel::parser::{Macro, MacroExprHelper, ParseError};
use cel::{Context, Env, ExecutionError, Value};

use super::rewrite;
pub use super::rewrite::Uses;
use crate::yaml::Span;

/// Cost units one expression evaluation may spend (Kubernetes' per-call limit).
pub const COST_LIMIT: u64 = 1_000_000;
/// Cost units all the expressions of one policy may spend on one resource
/// (Kubernetes' per-request runtime budget).
pub const TOTAL_COST_LIMIT: u64 = 10_000_000;
/// Longest expression source compiled.
pub const MAX_SOURCE: usize = 64 * 1024;
/// Deepest expression nesting the parser accepts.
const MAX_NESTING: u16 = 64;
/// Deepest AST evaluated: the parser's limit does not see left-deep chains
/// (`a.b.c...`, `1 + 1 + ...`), which evaluation recurses through.
pub const MAX_DEPTH: usize = 128;
/// The parser's stack: it recurses through such chains too, so it runs on
/// a thread of its own with room for the longest source.
const PARSER_STACK: usize = 64 * 1024 * 1024;
/// Sources up to this length are parsed on the caller's stack: a chain
/// they can hold (about 1,000 links) needs well under 1 MiB.
const SHALLOW_SOURCE: usize = 2048;

/// A compiled expression: owned, `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Expr {
    pub source: String,
    /// Where the expression is written in the policy document.
    pub span: Span,
    pub uses: Uses,
    /// AST nodes: what one evaluation charges before it starts.
    weight: u64,
    ast: IdedExpr,
}

/// The cost counter of one evaluation of a policy on a resource: each
/// expression may spend [`COST_LIMIT`], all of them [`TOTAL_COST_LIMIT`].
#[derive(Debug, Default)]
pub struct Budget {
    /// Spent by the expression being evaluated.
    used: AtomicU64,
    /// Spent by the expressions evaluated before it.
    total: AtomicU64,
}

fn over_budget() -> String {
    format!(
        "the expression exceeded its cost budget ({COST_LIMIT} units, {TOTAL_COST_LIMIT} for the policy)"
    )
}

impl Budget {
    /// Starts the next expression.
    pub fn reset(&self) {
        let used = self.used.swap(0, Ordering::Relaxed);
        self.total.fetch_add(used, Ordering::Relaxed);
    }
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }
    fn left(&self) -> u64 {
        let total = self.total.load(Ordering::Relaxed);
        COST_LIMIT
            .saturating_sub(self.used())
            .min(TOTAL_COST_LIMIT.saturating_sub(total.saturating_add(self.used())))
    }
    fn charge(&self, units: u64) -> Result<(), ExecutionError> {
        self.used.fetch_add(units, Ordering::Relaxed);
        if self.exhausted() {
            return Err(ExecutionError::function_error("cost", over_budget()));
        }
        Ok(())
    }
    pub fn exhausted(&self) -> bool {
        let (used, total) = (self.used(), self.total.load(Ordering::Relaxed));
        used > COST_LIMIT || total.saturating_add(used) > TOTAL_COST_LIMIT
    }
}

/// The environment every expression is parsed with: the standard library,
/// optional syntax, the strings extension and `cel.bind`.
pub(super) fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Neither can fail on a fresh environment: the names are new.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_macro(Macro::receiver("bind", 3, bind_macro));
        let _ = env.add_overload("@step", "@step_dyn_int", vec![DYN_TYPE, INT_TYPE], step);
        let _ = env.add_overload("@sized", "@sized_dyn", vec![DYN_TYPE], sized);
        Arc::new(env)
    })
}

/// `cel.bind(name, init, body)`: `body` with `name` bound to `init`, as a
/// comprehension over an empty list whose accumulator is the binding.
fn bind_macro(
    helper: &mut MacroExprHelper<'_>,
    target: &mut Option<IdedExpr>,
    args: &mut Vec<IdedExpr>,
) -> Result<Option<IdedExpr>, ParseError> {
    if !matches!(target.as_ref().map(|t| &t.expr), Some(Node::Ident(n)) if n == "cel") {
        return Ok(None);
    }
    let name = match &args[0].expr {
        Node::Ident(n) => n.clone(),
        _ => return Err(helper.new_error(args[0].id, "cel.bind() variable must be an identifier")),
    };
    let body = args.pop().unwrap_or_default();
    let init = args.pop().unwrap_or_default();
    target.take();
    args.clear();
    let range = helper.next_expr(Node::List(Default::default()));
    let cond = helper.next_expr(Node::Literal(LiteralValue::Boolean(false.into())));
    let step = helper.next_expr(Node::Ident(name.clone()));
    Ok(Some(helper.next_expr(Node::Comprehension(Box::new(
        ComprehensionExpr {
            iter_range: range,
            iter_var: "#unused".into(),
            iter_var2: None,
            accu_var: name,
            accu_init: init,
            loop_cond: cond,
            loop_step: step,
            result: body,
        },
    )))))
}

/// Parses `source`; one longer than [`SHALLOW_SOURCE`] on a thread with a
/// stack deep enough for any source of [`MAX_SOURCE`] bytes.
fn parse(source: &str) -> Result<IdedExpr, String> {
    let run = || {
        env()
            .parser()
            .max_recursion_depth(MAX_NESTING)
            .parse(source)
            .map_err(|e| e.to_string())
    };
    if source.len() <= SHALLOW_SOURCE {
        return run();
    }
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("cel-parse".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(s, run)
            .map_err(|e| format!("cannot start the CEL parser: {e}"))?
            .join()
            .unwrap_or_else(|_| Err("the CEL parser failed".into()))
    })
}

/// The depth of an AST, measured without recursion.
fn depth(e: &IdedExpr) -> usize {
    let mut stack = vec![(e, 1)];
    let mut max = 0;
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.expr {
            Node::Call(c) => {
                stack.extend(c.target.as_deref().map(|t| (t, d + 1)));
                stack.extend(c.args.iter().map(|a| (a, d + 1)));
            }
            Node::Select(s) => stack.push((&s.operand, d + 1)),
            Node::List(l) => stack.extend(l.elements.iter().map(|a| (a, d + 1))),
            Node::Map(m) => {
                for entry in &m.entries {
                    if let cel::common::ast::EntryExpr::MapEntry(me) = &entry.expr {
                        stack.push((&me.key, d + 1));
                        stack.push((&me.value, d + 1));
                    }
                }
            }
            Node::Struct(st) => {
                for entry in &st.entries {
                    if let cel::common::ast::EntryExpr::StructField(f) = &entry.expr {
                        stack.push((&f.value, d + 1));
                    }
                }
            }
            Node::Comprehension(c) => {
                for part in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    stack.push((part, d + 1));
                }
            }
            Node::Ident(_) | Node::Literal(_) | Node::Unspecified => {}
        }
    }
    max
}

impl Expr {
    /// Parses and rewrites `source`; `Err` is the parser's message.
    pub fn compile(source: &str, span: Span) -> Result<Expr, String> {
        if source.len() > MAX_SOURCE {
            return Err(format!("the expression is longer than {MAX_SOURCE} bytes"));
        }
        let mut ast = parse(source)?;
        let depth = depth(&ast);
        if depth > MAX_DEPTH {
            return Err(format!(
                "the expression nests {depth} levels deep, more than {MAX_DEPTH}"
            ));
        }
        let mut uses = Uses::default();
        let mut bound = Vec::new();
        rewrite::scan(&ast, &mut bound, &mut uses);
        rewrite::rewrite(&mut ast);
        Ok(Expr {
            source: source.to_string(),
            span,
            uses,
            weight: rewrite::count_nodes(&ast).max(1) as u64,
            ast,
        })
    }

    /// Evaluates against `ctx` (made by [`context`]), charging `budget`.
    /// [`Self::eval`], the result kept as the runtime's value: a map or
    /// list of the resource stays shared (a variable's value).
    pub fn eval_val(
        &self,
        ctx: &Context<'_, 'static>,
        budget: &Arc<Budget>,
    ) -> Result<Box<dyn Val>, String> {
        let _installed = Installed::new(budget);
        budget.reset();
        budget.charge(self.weight).map_err(|e| e.to_string())?;
        let out = Value::resolve_val(&self.ast, ctx).map(CowVal::into_owned);
        if budget.exhausted() {
            return Err(over_budget());
        }
        out.map_err(|e| e.to_string())
    }

    pub fn eval(&self, ctx: &Context, budget: &Arc<Budget>) -> Result<Value, String> {
        let _installed = Installed::new(budget);
        budget.reset();
        budget.charge(self.weight).map_err(|e| e.to_string())?;
        let out = Value::resolve(&self.ast, ctx);
        if budget.exhausted() {
            return Err(over_budget());
        }
        out.map_err(|e| e.to_string())
    }
}

/// A context holding `vars` and the Kubernetes libraries; its expressions
/// charge the budget [`Expr::eval`] is given.
pub fn context(vars: Vec<(&str, Value)>) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(Arc::clone(env()));
    for (name, value) in vars {
        ctx.add_variable_from_value(name, value);
    }
    super::k8s::register(&mut ctx);
    ctx
}

thread_local! {
    /// A context kept for the next evaluation on this thread: making one
    /// registers every library function again.
    static SPARE: RefCell<Option<Context<'static, 'static>>> = const { RefCell::new(None) };
}

/// Runs `f` with a context of this thread's (its variables are whatever the
/// last user set: `f` sets every one it reads).
pub fn with_context<R>(f: impl FnOnce(&mut Context<'static, 'static>) -> R) -> R {
    let mut ctx = SPARE
        .with(|s| s.borrow_mut().take())
        .unwrap_or_else(|| context(Vec::new()));
    let out = f(&mut ctx);
    SPARE.with(|s| *s.borrow_mut() = Some(ctx));
    out
}

thread_local! {
    /// The budget of the evaluation running on this thread: what `@step`
    /// and `@sized` charge (an evaluation runs on one thread, start to end).
    static CURRENT: RefCell<Option<Arc<Budget>>> = const { RefCell::new(None) };
}

/// Installs a budget on this thread while alive; restores the previous one.
struct Installed(Option<Arc<Budget>>);

impl Installed {
    fn new(budget: &Arc<Budget>) -> Installed {
        Installed(CURRENT.with(|c| c.replace(Some(Arc::clone(budget)))))
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// Charges the current budget `units(what is left)`.
fn charge_current(units: impl FnOnce(u64) -> u64) -> Result<(), ExecutionError> {
    CURRENT.with(|c| match &*c.borrow() {
        Some(b) => b.charge(units(b.left())),
        None => Err(ExecutionError::function_error(
            "cost",
            "evaluated outside a budget",
        )),
    })
}

/// `@step(v, weight)`: charges one iteration, hands `v` back unchanged.
fn step<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let weight = args
        .get(1)
        .and_then(|w| w.downcast_ref::<CelInt>())
        .map_or(1, |w| *w.inner());
    charge_current(|_| weight.max(1) as u64)?;
    args.truncate(1);
    args.pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)
}

/// `@sized(v)`: charges `v`'s size, hands it back without copying it.
fn sized<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let v = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    charge_current(|left| 1 + size_up_to(v.as_ref(), left))?;
    Ok(v)
}

/// The size a value is charged: one unit per 16 bytes of a string, one per
/// element of a list or map (deeply), counted up to `limit`.
fn size_up_to(v: &dyn Val, limit: u64) -> u64 {
    let mut stack = vec![v];
    let mut n = 0u64;
    while let Some(v) = stack.pop() {
        if n > limit {
            break;
        }
        if let Some(s) = v.downcast_ref::<CelString>() {
            n += s.inner().len() as u64 / 16;
        } else if let Some(b) = v.downcast_ref::<CelBytes>() {
            n += b.inner().len() as u64 / 16;
        } else if let Some(l) = v.downcast_ref::<CelList>() {
            n += l.inner().len() as u64;
            stack.extend(l.inner().iter().map(|b| b.as_ref()));
        } else if let Some(m) = v.downcast_ref::<CelMap>() {
            n += m.inner().len() as u64;
            stack.extend(m.inner().values().map(|b| b.as_ref()));
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval_with(src: &str, vars: Vec<(&str, Value)>) -> Result<Value, String> {
        let e = Expr::compile(src, Span::default())?;
        let budget = Arc::new(Budget::default());
        let ctx = context(vars);
        e.eval(&ctx, &budget)
    }

    fn eval(src: &str) -> Result<Value, String> {
        eval_with(src, Vec::new())
    }

    #[test]
    fn the_libraries_the_corpus_uses() {
        for src in [
            "'a,b'.split(',') == ['a', 'b']",
            "['a', 'b'].join('-') == 'a-b'",
            "'Ab'.lowerAscii() == 'ab' && 'Ab'.upperAscii() == 'AB'",
            "' x '.trim() == 'x'",
            "'abc'.indexOf('c') == 2 && 'abca'.lastIndexOf('a') == 3",
            "'abc'.substring(1) == 'bc' && 'abc'.charAt(0) == 'a'",
            "'aaa'.replace('a', 'b') == 'bbb' && 'aaa'.replace('a', 'b', 1) == 'baa'",
            "'nginx:1.2'.matches('^nginx:[0-9.]+$')",
            "'abc'.startsWith('a') && 'abc'.endsWith('c') && 'abc'.contains('b')",
            "[1, 2, 3].sum() == 6 && [1.5, 2.5].sum() == 4.0",
            "[1, 2, 3].isSorted() && ![2, 1].isSorted()",
            "[1, 2].all(x, x > 0) && [1, 2].exists(x, x == 2) && [1, 2].exists_one(x, x == 1)",
            "[1, 2, 3].map(x, x * 2) == [2, 4, 6] && [1, 2, 3].filter(x, x > 1) == [2, 3]",
            "[1, 2, 3].map(x, x > 1, x * 10) == [20, 30]",
            "cel.bind(x, 2, x * x) == 4",
            "cel.bind(xs, [1, 2], xs.map(x, cel.bind(y, x + 1, y))) == [2, 3]",
            "{'a': 1}.?a.orValue(0) == 1 && {'a': 1}.?b.orValue(0) == 0",
            "{'a': {'b': 1}}.?a.?b.hasValue() && !{'a': 1}[?'c'].hasValue()",
            "has({'a': 1}.a) && !has({'a': 1}.b)",
            "duration('8h') > duration('1h')",
            "timestamp('2024-01-01T00:00:00Z') < timestamp('2025-01-01T00:00:00Z')",
            "quantity('1Gi').isGreaterThan(quantity('1000M')) && quantity('500m').compareTo(quantity('0.5')) == 0",
            "quantity('1Ki').asInteger() == 1024 && quantity('1').add(1).asInteger() == 2 && quantity('2').sub(quantity('3')).sign() == -1",
            "isQuantity('1Mi') && !isQuantity('1Q') && quantity('1.5').asApproximateFloat() == 1.5 && !quantity('1.5').isInteger()",
            "quantity('1') == quantity('1000m')",
            "'abc123def45'.find('[0-9]+') == '123' && 'abc123def45'.findAll('[0-9]+') == ['123', '45'] && 'a1b2c3'.findAll('[0-9]', 2) == ['1', '2']",
            "[3, 1, 2].min() == 1 && [3, 1, 2].max() == 3 && ['b', 'a'].min() == 'a'",
            "cidr('10.0.0.0/8').containsIP(ip('10.1.2.3')) && cidr('10.0.0.0/8').containsIP('10.1.2.3') && !cidr('10.0.0.0/8').containsCIDR('11.0.0.0/16')",
            "isIP('::1') && !isIP('1.2.3') && ip('::1').family() == 6 && ip('127.0.0.1').isLoopback() && cidr('10.0.0.0/8').prefixLength() == 8 && isCIDR('10.0.0.0/8')",
            "string(1) + '/' + string(true) == '1/true'",
            "size('abc') == 3 && size([1]) == 1",
        ] {
            assert_eq!(eval(src), Ok(Value::Bool(true)), "{src}");
        }
    }

    #[test]
    fn variables_reach_the_expression() {
        let obj = crate::policy::cel::value::map_of([("kind", Value::from("Pod"))]);
        assert_eq!(
            eval_with("object.kind == 'Pod'", vec![("object", obj)]),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn loops_are_bounded() {
        // 10^12 iterations if nothing stopped it.
        let err = eval(
            "cel.bind(l, [0,1,2,3,4,5,6,7,8,9].map(a, [0,1,2,3,4,5,6,7,8,9].map(b, a)).map(x, 0), \
             l.all(a, l.all(b, l.all(c, l.all(d, l.all(e, l.all(f, true)))))))",
        )
        .unwrap_err();
        assert!(err.contains("cost budget"), "{err}");
        // Errors absorbed by `||` do not hide the spent budget.
        let err = eval("[1,2,3,4,5,6,7,8,9,10].map(x, [1,2,3,4,5,6,7,8,9,10]).all(a, a.all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, true)))))) || true");
        assert!(err.unwrap_err().contains("cost budget"));
    }

    #[test]
    fn growth_is_bounded() {
        // Doubling a string 40 times would need a terabyte.
        let mut src = String::from("'0123456789abcdef'");
        for i in 0..40 {
            src = format!("cel.bind(v{i}, {src}, v{i} + v{i})");
        }
        let err = eval(&format!("size({src}) > 0")).unwrap_err();
        assert!(err.contains("cost budget"), "{err}");
        let err = eval("'aaaaaaaaaaaaaaaa'.replace('', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb').replace('', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb').replace('', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb')").unwrap_err();
        assert!(err.contains("exceed"), "{err}");
    }

    #[test]
    fn many_expressions_share_one_budget() {
        let e = Expr::compile("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, true))))", Span::default()).unwrap();
        let budget = Arc::new(Budget::default());
        let ctx = context(Vec::new());
        let mut ok = 0;
        while e.eval(&ctx, &budget).is_ok() {
            ok += 1;
            assert!(ok < 1000, "never stopped");
        }
        assert!(
            ok > 5,
            "each run is well under the per-expression limit: {ok}"
        );
        assert!(e.eval(&ctx, &budget).unwrap_err().contains("cost budget"));
    }

    #[test]
    fn sources_are_bounded() {
        assert!(Expr::compile(&"1 + ".repeat(20_000), Span::default())
            .unwrap_err()
            .contains("longer"));
        let deep = format!("{}1{}", "(".repeat(500), ")".repeat(500));
        assert!(Expr::compile(&deep, Span::default()).is_err());
    }

    #[test]
    fn free_variables_are_recorded() {
        let e = Expr::compile(
            "namespaceObject.metadata.name == params.x && request.userInfo.username == '' && [1].all(resource, resource > 0)",
            Span::default(),
        )
        .unwrap();
        assert!(e.uses.namespace_object && e.uses.params && e.uses.user_info);
        assert_eq!(e.uses.cluster, None);
        let e = Expr::compile(
            "resource.Get('v1', 'configmaps', 'a', 'b') != null",
            Span::default(),
        )
        .unwrap();
        assert!(e.uses.cluster.unwrap().contains("resource"));
    }

    #[test]
    fn compiled_expressions_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Expr>();
    }
}
#[cfg(test)]
mod deep_tests {
    use super::*;

    /// Left-deep chains the parser's own limit lets through, at the
    /// longest a source may be and just under [`MAX_DEPTH`]: refused or
    /// evaluated, never a stack overflow (this runs on a test thread's
    /// 2 MiB stack, as rayon's workers have).
    #[test]
    fn deep_chains_do_not_overflow_the_stack() {
        for n in [MAX_DEPTH - 10, MAX_SOURCE / 4] {
            for src in [
                format!("x{}", ".a".repeat(n)),
                format!("1{}", " + 1".repeat(n)),
                format!("x{}", "[0]".repeat(n)),
                format!("true{}", " && true".repeat(n)),
                format!("{}1", "-".repeat(n)),
                format!("{}true", "!".repeat(n)),
                format!("{}1{}", "[".repeat(n), "]".repeat(n)),
                format!("{}1{}", "size(".repeat(n), ")".repeat(n)),
            ] {
                let src: String = src.chars().take(MAX_SOURCE).collect();
                let Ok(e) = Expr::compile(&src, Span::default()) else {
                    continue;
                };
                let budget = Arc::new(Budget::default());
                let ctx = context(vec![("x", Value::Null)]);
                let _ = e.eval(&ctx, &budget);
            }
        }
        let err = Expr::compile(&format!("x{}", ".a".repeat(1000)), Span::default()).unwrap_err();
        assert!(err.contains("levels deep"), "{err}");
    }
}
