//! The combinators: `allOf`, `anyOf`/`oneOf` (tried branch by branch),
//! `not`, `if`/`then`/`else`.
//!
//! Two shapes get their own words, since published schemas use them for
//! rules people know: branches that each only require one key (a step
//! needs one of `uses`, `run`, ...; under `oneOf`, only one), and `not`
//! requiring several keys (`branches` and `branches-ignore` cannot be used
//! together). A scalar that fits no branch is told every form it may take.

use super::{Problem, Walker};
use crate::schema::compile::{Extra, Schema, Sid};
use crate::schema::message;
use crate::schema::value::Ty;
use crate::yaml::{NodeRef, Span};

/// Whether a pattern is GitHub's expression syntax (`${{ ... }}`), as
/// SchemaStore spells it.
fn is_expression_pattern(p: &str) -> bool {
    p.contains(r"\$\{\{") && p.contains(r"\}\}")
}

/// The keys a schema that only says `required: [...]` requires.
fn required_only(s: &Schema) -> Option<&[Box<str>]> {
    let only = !s.required.is_empty()
        && s.types == 0
        && s.props.is_empty()
        && s.pattern_props().is_empty()
        && s.all_of.is_empty()
        && s.any_of().is_empty()
        && s.one_of().is_empty()
        && s.not().is_none()
        && s.cond().is_none()
        && s.dispatch().is_none()
        && s.enumeration().is_none();
    only.then_some(s.required.as_slice())
}

fn quoted_list(keys: &[&str], joiner: &str) -> String {
    let q: Vec<String> = keys
        .iter()
        .map(|k| format!("\"{}\"", message::quoted_key(k)))
        .collect();
    match q.len() {
        0 => String::new(),
        1 => q[0].clone(),
        n => format!("{} {joiner} {}", q[..n - 1].join(", "), q[n - 1]),
    }
}

impl<'c, 'd, 's> Walker<'c, 'd, 's> {
    pub(super) fn combinators(&mut self, s: &'c Schema, n: NodeRef<'d, 's>, anchor: Span) {
        if self.nesting >= super::MAX_COMBINATOR_DEPTH {
            return;
        }
        self.nesting += 1;
        for &id in &s.all_of {
            self.check(id, n, anchor);
        }
        if !s.any_of().is_empty() {
            self.branches(s.any_of(), n, anchor, false);
        }
        if !s.one_of().is_empty() {
            self.branches(s.one_of(), n, anchor, true);
        }
        if let Some(not) = s.not() {
            if self.probe(not, n, anchor) == 0 {
                self.forbidden(not, n, anchor);
            }
        }
        if let Some((cond, then, otherwise)) = s.cond() {
            let next = if self.probe(cond, n, anchor) == 0 {
                then
            } else {
                otherwise
            };
            if let Some(id) = next {
                self.check(id, n, anchor);
            }
        }
        if let Some(d) = s.dispatch() {
            let value = n.get(&d.property).and_then(|v| v.as_str());
            let case = value.and_then(|v| d.cases.get(v.trim().to_ascii_lowercase().as_str()));
            if let Some(&id) = case {
                self.check(id, n, anchor);
            }
        }
        self.nesting -= 1;
    }

    /// `n` matched a `not`.
    fn forbidden(&mut self, not: Sid, n: NodeRef<'d, 's>, anchor: Span) {
        let shape = self.shape(not);
        if let Some(keys) = required_only(shape).filter(|k| k.len() > 1) {
            let keys: Vec<&str> = keys.iter().map(|k| &**k).collect();
            self.together(&keys, n, anchor);
            return;
        }
        self.report(anchor, Problem::Value, |w| {
            format!("{} is not allowed in this form", message::label(&w.path))
        });
    }

    /// Errors `n` has against `id`, counted without messages (at most one:
    /// a probe stops at the first).
    pub(super) fn probe(&mut self, id: Sid, n: NodeRef<'d, 's>, anchor: Span) -> usize {
        let saved = (self.probing, self.probe_errors);
        self.probing += 1;
        self.probe_errors = 0;
        self.check(id, n, anchor);
        let errors = self.probe_errors;
        (self.probing, self.probe_errors) = saved;
        errors
    }

    fn branches(&mut self, branches: &[Sid], n: NodeRef<'d, 's>, anchor: Span, one_of: bool) {
        let required: Option<Vec<&'c [Box<str>]>> = branches
            .iter()
            .map(|&b| required_only(self.shape(b)))
            .collect();
        if let Some(required) = required {
            return self.key_branches(&required, n, anchor, one_of);
        }
        if branches.iter().any(|&b| self.probe(b, n, anchor) == 0) {
            return;
        }
        if self.probing > 0 {
            self.probe_errors += 1;
            return;
        }
        let ty = self.type_of(n.resolve());
        let fitting: Vec<Sid> = branches
            .iter()
            .copied()
            .filter(|&b| self.type_ok(self.shape(b), ty))
            .collect();
        let forms = matches!(ty, Ty::Str | Ty::Int | Ty::Float | Ty::Bool)
            .then(|| self.forms(branches))
            .flatten();
        if fitting.is_empty() || forms.is_some() {
            let forms = forms.unwrap_or_else(|| {
                let bits = branches
                    .iter()
                    .fold(0u8, |acc, &b| acc | self.shape(b).types);
                let ios = branches.iter().any(|&b| self.shape(b).int_or_string);
                message::expected(bits, ios)
            });
            let at = if n.span().is_empty() {
                anchor
            } else {
                n.span()
            };
            self.report(at, Problem::Type, |w| {
                format!(
                    "{} must be {forms}, got {}",
                    message::label(&w.path),
                    message::found(n, ty, &w.path, w.opts.quote)
                )
            });
            return;
        }
        // The branch meant is written out: for a mapping, the one that
        // knows most of its keys and misses fewest of its own required
        // ones (a step with `task:` is a task step, whatever else is
        // wrong with it); then the one with the fewest errors; ties go to
        // the first.
        let mut best = ((usize::MAX, usize::MAX), fitting[0]);
        for &b in &fitting {
            let score = (self.strangeness(b, n), self.count_errors(b, n, anchor));
            if score < best.0 {
                best = (score, b);
            }
        }
        self.check(best.1, n, anchor);
    }

    /// How far a mapping is from a branch's own shape: its keys the branch
    /// does not name (where it names any), and the branch's required keys
    /// it lacks. 0 for anything else.
    fn strangeness(&self, b: Sid, n: NodeRef<'d, 's>) -> usize {
        let s = self.shape(b);
        if !n.is_map() || (s.props.is_empty() && s.required.is_empty()) {
            return 0;
        }
        let foreign = if s.props.is_empty() || s.extra != Extra::Closed {
            0
        } else {
            n.entries()
                .filter_map(|(k, _)| k.as_str())
                .filter(|k| {
                    s.prop(k).is_none() && !s.pattern_props().iter().any(|(re, _)| re.is_match(k))
                })
                .count()
        };
        let missing = s.required.iter().filter(|r| n.get(r).is_none()).count();
        foreign + missing
    }

    /// Branches that each require one set of keys: at least one must be
    /// met, and under `oneOf` only one.
    fn key_branches(
        &mut self,
        required: &[&'c [Box<str>]],
        n: NodeRef<'d, 's>,
        anchor: Span,
        one_of: bool,
    ) {
        if !n.is_map() {
            return;
        }
        let met: Vec<&[Box<str>]> = required
            .iter()
            .copied()
            .filter(|keys| keys.iter().all(|k| n.get(k).is_some()))
            .collect();
        if met.is_empty() && !self.opts.fragment {
            let joined: Vec<String> = required
                .iter()
                .map(|k| k.iter().map(|x| &**x).collect::<Vec<_>>().join("\" + \""))
                .collect();
            let keys: Vec<&str> = joined.iter().map(String::as_str).collect();
            self.report(anchor, Problem::Required, |w| {
                format!(
                    "{} needs one of {}",
                    message::place(&w.path),
                    quoted_list(&keys, "or")
                )
            });
        } else if one_of && met.len() > 1 {
            let keys: Vec<&str> = met.iter().filter_map(|k| k.first().map(|x| &**x)).collect();
            self.together(&keys, n, anchor);
        }
    }

    /// Keys that exclude each other, reported at the last one's key.
    fn together(&mut self, keys: &[&str], n: NodeRef<'d, 's>, anchor: Span) {
        let at = keys
            .last()
            .and_then(|k| n.get_entry(k))
            .map(|(k, _)| k.span())
            .unwrap_or(anchor);
        self.report(at, Problem::Value, |w| {
            format!(
                "{} cannot be used together in {}",
                quoted_list(keys, "and"),
                message::place(&w.path)
            )
        });
    }

    /// Every form a scalar may take, when each branch can be said in a few
    /// words ("a number or an expression `${{ … }}`").
    fn forms(&self, branches: &[Sid]) -> Option<String> {
        let mut forms: Vec<String> = Vec::new();
        for &b in branches {
            let s = self.shape(b);
            let form = if let Some((_, src)) = s.pattern() {
                if is_expression_pattern(src) {
                    "an expression `${{ … }}`".to_string()
                } else {
                    format!("a string matching `{}`", message::quoted_key(src))
                }
            } else if s.enumeration().is_some() || s.types == 0 {
                return None;
            } else {
                message::expected(s.types, s.int_or_string)
            };
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
        match forms.len() {
            0 => None,
            1 => Some(forms.remove(0)),
            n => Some(format!("{} or {}", forms[..n - 1].join(", "), forms[n - 1])),
        }
    }

    /// Every error `n` has against `id`, written to a scratch list and
    /// discarded (used to rank branches).
    fn count_errors(&mut self, id: Sid, n: NodeRef<'d, 's>, anchor: Span) -> usize {
        let kept = std::mem::take(&mut self.out);
        self.counting += 1;
        self.check(id, n, anchor);
        self.counting -= 1;
        let count = self.out.len();
        self.out = kept;
        count
    }

    /// The schema a definition slot stands for (slots are an `allOf` of one).
    pub(super) fn shape(&self, mut id: Sid) -> &'c Schema {
        for _ in 0..64 {
            let s = self.c.node(id);
            let alias = s.types == 0
                && s.all_of.len() == 1
                && s.props.is_empty()
                && s.any_of().is_empty()
                && s.one_of().is_empty()
                && s.enumeration().is_none()
                && !s.int_or_string
                && s.required.is_empty();
            if !alias {
                return s;
            }
            id = s.all_of[0];
        }
        self.c.node(id)
    }
}
