//! An expression tree evaluated on a value, within a step budget: each
//! node visited and each item a projection walks costs a step.

use std::cmp::Ordering;

use super::functions::{self, Steps};
use super::lexer::Cmp;
use super::names::NOT_OFFLINE;
use super::parser::Ast;
use super::value::Val;

/// Steps one evaluation may take.
pub const STEP_BUDGET: usize = 200_000;

pub(crate) struct Eval {
    pub steps: usize,
}

pub(crate) type R<'d, 's> = Result<Val<'d, 's>, String>;

impl Eval {
    pub fn charge(&mut self, n: usize) -> Result<(), String> {
        if self.steps < n {
            return Err("the expression took too many steps".into());
        }
        self.steps -= n;
        Ok(())
    }

    pub fn eval<'d, 's>(&mut self, ast: &Ast, v: &Val<'d, 's>) -> R<'d, 's> {
        self.charge(1)?;
        Ok(match ast {
            // Copying a built list or map costs its length (a node is a handle).
            Ast::Identity => {
                match v {
                    Val::List(l) => self.charge(l.len())?,
                    Val::Map(m) => self.charge(m.len())?,
                    _ => {}
                }
                v.clone()
            }
            Ast::Field(k) => v.field(k),
            Ast::Index(_) | Ast::Slice(_) => self.index(ast, v)?,
            Ast::Literal(l) => l.clone(),
            Ast::Sub(l, r) => {
                let left = self.eval(l, v)?;
                if matches!(left, Val::Null) {
                    return Ok(Val::Null);
                }
                self.eval(r, &left)?
            }
            Ast::Pipe(l, r) => {
                let left = self.eval(l, v)?;
                self.eval(r, &left)?
            }
            Ast::Project(..) | Ast::ValueProject(..) | Ast::Filter(..) | Ast::Flatten(_) => {
                self.projection(ast, v)?
            }
            Ast::Or(l, r) => {
                let left = self.eval(l, v)?;
                if left.truthy() {
                    left
                } else {
                    self.eval(r, v)?
                }
            }
            Ast::And(l, r) => {
                let left = self.eval(l, v)?;
                if !left.truthy() {
                    left
                } else {
                    self.eval(r, v)?
                }
            }
            Ast::Not(e) => Val::Bool(!self.eval(e, v)?.truthy()),
            Ast::Cmp(op, l, r) => {
                let (a, b) = (self.eval(l, v)?, self.eval(r, v)?);
                compare(*op, &a, &b)
            }
            Ast::MultiList(items) => {
                if matches!(v, Val::Null) {
                    return Ok(Val::Null);
                }
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, v)?);
                }
                Val::List(out)
            }
            Ast::MultiHash(items) => {
                if matches!(v, Val::Null) {
                    return Ok(Val::Null);
                }
                let mut out = Vec::with_capacity(items.len());
                for (k, i) in items {
                    out.push((k.clone(), self.eval(i, v)?));
                }
                Val::Map(out)
            }
            Ast::Call(name, args) => {
                if NOT_OFFLINE.contains(&name.as_str()) {
                    return Err(format!("{name}(): not evaluated offline"));
                }
                let mut a = Vec::with_capacity(args.len());
                for x in args {
                    a.push(self.eval(x, v)?.norm());
                }
                functions::call(&mut Steps(&mut self.steps), name, a)?
            }
            // Only a function's argument can be an expression reference.
            Ast::ExpRef(_) => Val::Null,
        })
    }

    /// `[n]` and slices.
    fn index<'d, 's>(&mut self, ast: &Ast, v: &Val<'d, 's>) -> R<'d, 's> {
        Ok(match ast {
            Ast::Index(i) => match v.items() {
                Some(items) => {
                    self.charge(items.len())?;
                    let n = items.len() as i64;
                    let at = if *i < 0 { n + i } else { *i };
                    usize::try_from(at)
                        .ok()
                        .and_then(|a| items.get(a).cloned())
                        .unwrap_or(Val::Null)
                }
                None => Val::Null,
            },
            Ast::Slice(parts) => match v.items() {
                Some(items) => {
                    self.charge(items.len())?;
                    Val::List(slice(&items, parts))
                }
                None => Val::Null,
            },
            _ => Val::Null,
        })
    }

    /// Projections, filters and flattening.
    fn projection<'d, 's>(&mut self, ast: &Ast, v: &Val<'d, 's>) -> R<'d, 's> {
        Ok(match ast {
            Ast::Project(l, r) => match self.eval(l, v)?.items() {
                Some(items) => self.project(&items, r)?,
                None => Val::Null,
            },
            Ast::ValueProject(l, r) => match self.eval(l, v)?.entries() {
                Some(entries) => {
                    let values: Vec<_> = entries.into_iter().map(|(_, x)| x).collect();
                    self.project(&values, r)?
                }
                None => Val::Null,
            },
            Ast::Filter(l, r, cond) => match self.eval(l, v)?.items() {
                Some(items) => {
                    self.charge(items.len())?;
                    let mut kept = Vec::new();
                    for i in items {
                        if self.eval(cond, &i)?.truthy() {
                            kept.push(i);
                        }
                    }
                    self.project(&kept, r)?
                }
                None => Val::Null,
            },
            Ast::Flatten(l) => match self.eval(l, v)?.items() {
                Some(items) => {
                    let mut out = Vec::new();
                    for i in items {
                        match i.items() {
                            Some(inner) => out.extend(inner),
                            None => out.push(i),
                        }
                        self.charge(1)?;
                    }
                    Val::List(out)
                }
                None => Val::Null,
            },
            _ => Val::Null,
        })
    }

    fn project<'d, 's>(&mut self, items: &[Val<'d, 's>], r: &Ast) -> R<'d, 's> {
        self.charge(items.len())?;
        let mut out = Vec::new();
        for i in items {
            let x = self.eval(r, i)?;
            if !matches!(x, Val::Null) {
                out.push(x);
            }
        }
        Ok(Val::List(out))
    }
}

fn slice<'d, 's>(items: &[Val<'d, 's>], parts: &[Option<i64>; 3]) -> Vec<Val<'d, 's>> {
    let n = items.len() as i64;
    let step = parts[2].unwrap_or(1);
    let clamp = |x: i64, lo: i64, hi: i64| x.clamp(lo, hi);
    let norm = |x: i64| if x < 0 { x + n } else { x };
    let mut out = Vec::new();
    if step > 0 {
        let start = clamp(norm(parts[0].unwrap_or(0)), 0, n);
        let stop = clamp(norm(parts[1].unwrap_or(n)), 0, n);
        let mut i = start;
        while i < stop {
            out.push(items[i as usize].clone());
            i += step;
        }
    } else {
        let start = clamp(norm(parts[0].unwrap_or(n - 1)), -1, n - 1);
        let stop = parts[1].map_or(-1, |s| clamp(norm(s), -1, n - 1));
        let mut i = start;
        while i > stop {
            out.push(items[i as usize].clone());
            i += step;
        }
    }
    out
}

/// A comparison: equality on any values, order on numbers only (else null).
fn compare<'d, 's>(op: Cmp, a: &Val<'d, 's>, b: &Val<'d, 's>) -> Val<'d, 's> {
    match op {
        Cmp::Eq => Val::Bool(a.equals(b)),
        Cmp::Ne => Val::Bool(!a.equals(b)),
        _ => {
            let (Some(x), Some(y)) = (a.as_num(), b.as_num()) else {
                return Val::Null;
            };
            let Some(ord) = x.partial_cmp(&y) else {
                return Val::Bool(false);
            };
            Val::Bool(match op {
                Cmp::Lt => ord == Ordering::Less,
                Cmp::Le => ord != Ordering::Greater,
                Cmp::Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
    }
}
