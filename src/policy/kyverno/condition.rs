//! Kyverno's conditions (`preconditions`, `deny.conditions`): `any`/`all`
//! blocks (or the old list, all of which must hold) of `key`, `operator`,
//! `value`, decided as Kyverno's `pkg/engine/variables/operator` does:
//! wildcards in values, durations and quantities before strings.

use super::jmespath::{num_text, Kind, Val};
use super::scalar::{duration, quantity, wildcard_match};
use super::vars::{Bad, Names, Tmpl};
use crate::yaml::{NodeRef, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    NotEquals,
    In,
    NotIn,
    AnyIn,
    AllIn,
    AnyNotIn,
    AllNotIn,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "Equals" | "Equal" => Op::Equals,
            "NotEquals" | "NotEqual" => Op::NotEquals,
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "AnyIn" => Op::AnyIn,
            "AllIn" => Op::AllIn,
            "AnyNotIn" => Op::AnyNotIn,
            "AllNotIn" => Op::AllNotIn,
            "GreaterThan" | "DurationGreaterThan" => Op::Gt,
            "GreaterThanOrEquals" | "DurationGreaterThanOrEquals" => Op::Ge,
            "LessThan" | "DurationLessThan" => Op::Lt,
            "LessThanOrEquals" | "DurationLessThanOrEquals" => Op::Le,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Condition {
    key: Tmpl,
    op: Op,
    value: Tmpl,
}

/// `any` and `all` blocks; an empty block holds.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    any: Vec<Condition>,
    all: Vec<Condition>,
}

/// Whether conditions hold, and where: the resource node the first
/// condition deciding it read (when its key or value is one).
pub struct Outcome {
    pub met: bool,
    pub at: Option<Span>,
}

impl Conditions {
    pub fn read(node: NodeRef, names: Names) -> Result<Conditions, Bad> {
        let list = |n: Option<NodeRef>| -> Result<Vec<Condition>, Bad> {
            n.into_iter()
                .flat_map(|l| l.items())
                .map(|c| read_condition(c, names))
                .collect()
        };
        if node.is_seq() {
            return Ok(Conditions {
                any: Vec::new(),
                all: list(Some(node))?,
            });
        }
        if !node.is_map() {
            return Err(Bad::Invalid {
                at: node.span(),
                message: "conditions are not a list or a map of `any`/`all`".into(),
            });
        }
        Ok(Conditions {
            any: list(node.get("any"))?,
            all: list(node.get("all"))?,
        })
    }

    pub fn eval(&self, ctx: &Val) -> Result<Outcome, String> {
        let mut at = None;
        if !self.any.is_empty() {
            let mut met = false;
            for c in &self.any {
                let (ok, where_) = c.eval(ctx)?;
                if ok {
                    met = true;
                    at = at.or(where_);
                    break;
                }
            }
            if !met {
                return Ok(Outcome { met, at: None });
            }
        }
        for c in &self.all {
            let (ok, where_) = c.eval(ctx)?;
            if !ok {
                return Ok(Outcome {
                    met: false,
                    at: None,
                });
            }
            at = at.or(where_);
        }
        Ok(Outcome { met: true, at })
    }
}

fn read_condition(c: NodeRef, names: Names) -> Result<Condition, Bad> {
    let op_text = c.str_at(&["operator"]).unwrap_or_default();
    let Some(op) = Op::parse(op_text) else {
        return Err(Bad::Invalid {
            at: c.get("operator").map_or(c.span(), |n| n.span()),
            message: format!("unknown condition operator `{op_text}`"),
        });
    };
    let tmpl = |k: &str| match c.get(k) {
        Some(n) => Tmpl::read(n, names),
        None => Ok(Tmpl::Lit(Val::Null)),
    };
    Ok(Condition {
        key: tmpl("key")?,
        op,
        value: tmpl("value")?,
    })
}

impl Condition {
    fn eval(&self, ctx: &Val) -> Result<(bool, Option<Span>), String> {
        let key = self.key.eval(ctx, true)?;
        let value = self.value.eval(ctx, true)?;
        let at = culprit(self.op, &key, &value).or(value.node().map(|n| n.span()));
        Ok((decide(self.op, &key.norm(), &value.norm()), at))
    }
}

/// The resource node a condition's key points at: for a list key and an
/// `In`-family operator, the first item that makes the condition hold.
fn culprit(op: Op, key: &Val, value: &Val) -> Option<Span> {
    if let Some(n) = key.node().filter(|n| !n.resolve().is_seq()) {
        return Some(n.span());
    }
    let items = key.items()?;
    let wanted = matches!(op, Op::AnyIn | Op::AllIn | Op::In);
    let in_family = !matches!(
        op,
        Op::Equals | Op::NotEquals | Op::Gt | Op::Ge | Op::Lt | Op::Le
    );
    items
        .iter()
        .find(|i| !in_family || in_value(&sprint(i), value) == wanted)
        .or(items.first())
        .and_then(|i| i.node())
        .map(|n| n.span())
        .or(key.node().map(|n| n.span()))
}

/// One operator on a key and a value, as Kyverno decides it.
pub fn decide(op: Op, key: &Val, value: &Val) -> bool {
    match op {
        Op::Equals => equals(key, value),
        Op::NotEquals => !equals(key, value),
        Op::Gt | Op::Ge | Op::Lt | Op::Le => numeric(op, key, value),
        _ => {
            let keys: Vec<String> = match key.items() {
                Some(items) => items.iter().map(sprint).collect(),
                None => vec![sprint(key)],
            };
            let listed = key.kind() == Kind::List;
            let found = keys.iter().filter(|k| in_value(k, value)).count();
            match op {
                Op::AnyIn => found > 0,
                Op::AllIn => found == keys.len(),
                Op::AnyNotIn => found < keys.len(),
                Op::AllNotIn => found == 0,
                Op::In => found == keys.len() && (listed || found > 0),
                _ => found < keys.len(),
            }
        }
    }
}

/// Go's `fmt.Sprint` of a JSON value, as Kyverno turns keys into strings.
fn sprint(v: &Val) -> String {
    match v.norm() {
        Val::Str(s) => s.into_owned(),
        Val::Num(n) => num_text(n),
        Val::Bool(b) => b.to_string(),
        Val::Null => "<nil>".into(),
        other => other.to_json(),
    }
}

/// Kyverno's `keyExistsInArray`: a wildcard either way against each item
/// of a list, or the value string as a wildcard, or a JSON list in it.
fn in_value(key: &str, value: &Val) -> bool {
    if let Some(items) = value.items() {
        return items.iter().any(|v| {
            let v = sprint(v);
            wildcard_match(&v, key) || wildcard_match(key, &v) || in_range(key, &v)
        });
    }
    let Some(s) = value.as_str() else {
        return false;
    };
    if wildcard_match(&s, key) || in_range(key, &s) {
        return true;
    }
    match super::jmespath::parse_text(&s).and_then(|v| v.items()) {
        Some(items) if s.trim_start().starts_with('[') => {
            items.iter().any(|v| v.as_str().is_some_and(|x| x == key))
        }
        _ => false,
    }
}

/// A numeric range value: `a-b` holds a key in it, `a!-b` one outside it.
fn in_range(key: &str, range: &str) -> bool {
    let Ok(k) = key.trim().parse::<f64>() else {
        return false;
    };
    let (not, (lo, hi)) = match range.split_once("!-") {
        Some(p) => (true, p),
        None => match range.get(1..).and_then(|r| r.split_once('-')) {
            Some((l, h)) => (false, (&range[..l.len() + 1], h)),
            None => return false,
        },
    };
    let (Ok(lo), Ok(hi)) = (lo.trim().parse::<f64>(), hi.trim().parse::<f64>()) else {
        return false;
    };
    (lo <= k && k <= hi) != not
}

fn equals(key: &Val, value: &Val) -> bool {
    match key.norm() {
        Val::Bool(k) => matches!(value.norm(), Val::Bool(v) if v == k),
        Val::Num(k) => match value.norm() {
            Val::Num(v) => k == v,
            Val::Str(s) => s.trim().parse::<f64>().is_ok_and(|v| v == k),
            _ => false,
        },
        Val::Str(k) => {
            let Some(v) = value.as_str() else {
                return false;
            };
            if let (Some(a), Some(b)) = (duration(&k), duration(&v)) {
                return a == b;
            }
            if let (Some(a), Some(b)) = (quantity(&k), quantity(&v)) {
                return a == b;
            }
            wildcard_match(&v, &k)
        }
        Val::Null => matches!(value.norm(), Val::Null),
        k => k.equals(value),
    }
}

fn numeric(op: Op, key: &Val, value: &Val) -> bool {
    let num = |v: &Val| match v.norm() {
        Val::Num(n) => Some(n),
        Val::Str(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let pair = match (num(key), num(value)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => {
            let (Some(k), Some(v)) = (key.as_str(), value.as_str()) else {
                return false;
            };
            match (duration(&k), duration(&v)) {
                (Some(a), Some(b)) => Some((a, b)),
                _ => quantity(&k).zip(quantity(&v)),
            }
        }
    };
    let Some((a, b)) = pair else {
        return false;
    };
    match op {
        Op::Gt => a > b,
        Op::Ge => a >= b,
        Op::Lt => a < b,
        _ => a <= b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Val<'static, 'static> {
        Val::str(x)
    }

    fn l(xs: &[&str]) -> Val<'static, 'static> {
        Val::List(xs.iter().map(|x| s(x)).collect())
    }

    #[test]
    fn operators() {
        assert!(decide(Op::Equals, &s("CREATE"), &s("CREATE")));
        assert!(decide(Op::Equals, &s("nginx:1"), &s("nginx:*")));
        assert!(decide(Op::Equals, &s("1Gi"), &s("1024Mi")));
        assert!(decide(Op::Equals, &Val::Num(3.0), &s("3")));
        assert!(decide(Op::NotEquals, &s("DELETE"), &s("CREATE")));
        assert!(decide(Op::AnyIn, &l(&["NET_RAW", "X"]), &l(&["NET_*"])));
        assert!(!decide(Op::AnyIn, &l(&[]), &l(&["a"])));
        assert!(decide(Op::AllIn, &l(&[]), &l(&["a"])));
        assert!(decide(Op::AnyNotIn, &l(&["a", "b"]), &l(&["a"])));
        assert!(!decide(Op::AllNotIn, &l(&["a", "b"]), &l(&["a"])));
        assert!(decide(Op::AnyIn, &s("kube-system"), &s("kube-*")));
        assert!(decide(Op::AnyIn, &s("b"), &s("[\"a\", \"b\"]")));
        assert!(decide(Op::In, &s("a"), &l(&["a"])));
        assert!(decide(
            Op::AnyNotIn,
            &Val::List(vec![Val::Num(53.0)]),
            &s("5000-6000")
        ));
        assert!(!decide(
            Op::AnyNotIn,
            &Val::List(vec![Val::Num(5353.0)]),
            &s("5000-6000")
        ));
        assert!(decide(Op::AnyIn, &Val::Num(10.0), &s("1!-5")));
        assert!(decide(Op::AnyIn, &Val::Num(-2.0), &s("-5-5")));
        assert!(decide(Op::NotIn, &s("c"), &l(&["a"])));
        assert!(decide(Op::Gt, &Val::Num(3.0), &Val::Num(2.0)));
        assert!(decide(Op::Gt, &s("2Gi"), &s("1Gi")));
        assert!(decide(Op::Le, &s("1h"), &s("90m")));
        assert!(!decide(Op::Lt, &s("x"), &s("y")));
        assert!(decide(Op::Ge, &s("5"), &Val::Num(5.0)));
    }
}
