//! Scalars: enumerations, patterns, formats, lengths and bounds.

use super::{plural, Problem, Walker};
use crate::config::closest;
use crate::schema::compile::{Lit, Schema};
use crate::schema::message::{self, Seg};
use crate::schema::value::{self, Ty};
use crate::yaml::NodeRef;

impl<'c, 'd, 's> Walker<'c, 'd, 's> {
    pub(super) fn scalar(&mut self, s: &'c Schema, n: NodeRef<'d, 's>, ty: Ty) {
        let text = n.as_str().unwrap_or("");
        if let Some(lits) = s.enumeration() {
            if !lits.iter().any(|l| lit_matches(l, text, ty, s.fold_values)) {
                self.report(n.span(), Problem::Value, |w| {
                    enum_message(lits, text, ty, n, &w.path, w.opts.quote)
                });
                return;
            }
        }
        if ty == Ty::Str {
            self.string(s, n, text);
        } else if let Some(x) = value::number(text).filter(|_| matches!(ty, Ty::Int | Ty::Float)) {
            self.number(s, n, x, ty);
        }
    }

    fn string(&mut self, s: &'c Schema, n: NodeRef<'d, 's>, text: &str) {
        if let Some((re, src)) = s.pattern() {
            if !re.is_match(text) {
                self.report(n.span(), Problem::Value, |w| {
                    let got = message::got(text, &w.path, w.opts.quote);
                    format!(
                        "{} must match the pattern `{}`{got}",
                        message::label(&w.path),
                        message::quoted_key(src)
                    )
                });
            }
        }
        if s.format() == Some("quantity") && !is_quantity(text) {
            self.report(n.span(), Problem::Value, |w| {
                let got = message::got(text, &w.path, w.opts.quote);
                format!(
                    "{} must be a quantity such as `500m`, `1.5` or `2Gi`{got}",
                    message::label(&w.path)
                )
            });
        }
        if s.format() == Some("byte") && !is_base64(text) {
            self.report(n.span(), Problem::Value, |w| {
                format!(
                    "{} must be base64-encoded (use `stringData` for plain text)",
                    message::label(&w.path)
                )
            });
        }
        if let Some(b) = s.bounds() {
            let len = text.chars().count() as u64;
            if let Some(min) = b.min_length.filter(|&m| len < m) {
                self.report(n.span(), Problem::Value, |w| {
                    format!(
                        "{} must be at least {min} character{} long",
                        message::label(&w.path),
                        plural(min)
                    )
                });
            }
            if let Some(max) = b.max_length.filter(|&m| len > m) {
                self.report(n.span(), Problem::Value, |w| {
                    format!(
                        "{} must be at most {max} character{} long",
                        message::label(&w.path),
                        plural(max)
                    )
                });
            }
        }
    }

    fn number(&mut self, s: &'c Schema, n: NodeRef<'d, 's>, x: f64, ty: Ty) {
        if ty == Ty::Int
            && s.format() == Some("int32")
            && !(f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(&x)
        {
            self.report(n.span(), Problem::Value, |w| {
                format!("{} must fit in 32 bits", message::label(&w.path))
            });
        }
        let Some(b) = s.bounds() else { return };
        let low = b
            .minimum
            .filter(|&m| x < m)
            .map(|m| format!("at least {m}"))
            .or_else(|| {
                b.exclusive_minimum
                    .filter(|&m| x <= m)
                    .map(|m| format!("more than {m}"))
            });
        let high = b
            .maximum
            .filter(|&m| x > m)
            .map(|m| format!("at most {m}"))
            .or_else(|| {
                b.exclusive_maximum
                    .filter(|&m| x >= m)
                    .map(|m| format!("less than {m}"))
            });
        if let Some(bound) = low.or(high) {
            self.report(n.span(), Problem::Value, |w| {
                format!("{} must be {bound}", message::label(&w.path))
            });
        }
    }
}

fn lit_matches(l: &Lit, text: &str, ty: Ty, fold: bool) -> bool {
    match (l, ty) {
        (Lit::Str(s), Ty::Str) if fold => s.eq_ignore_ascii_case(text),
        (Lit::Str(s), Ty::Str) => **s == *text,
        (Lit::Num(x), Ty::Int | Ty::Float) => value::number(text) == Some(*x),
        (Lit::Bool(b), Ty::Bool) => value::boolean(text) == *b,
        (Lit::Null, Ty::Null) => true,
        _ => false,
    }
}

fn lit_text(l: &Lit) -> String {
    match l {
        Lit::Str(s) => format!("\"{s}\""),
        Lit::Num(x) => format!("{x}"),
        Lit::Bool(b) => format!("{b}"),
        Lit::Null => "null".to_string(),
        Lit::Other => "…".to_string(),
    }
}

fn enum_message(lits: &[Lit], text: &str, ty: Ty, n: NodeRef, path: &[Seg], quote: bool) -> String {
    let label = message::label(path);
    const SHOWN: usize = 8;
    let mut allowed: Vec<String> = lits.iter().take(SHOWN).map(lit_text).collect();
    if lits.len() > SHOWN {
        allowed.push(format!("… ({} in all)", lits.len()));
    }
    let strs: Vec<&str> = lits
        .iter()
        .filter_map(|l| {
            if let Lit::Str(s) = l {
                Some(&**s)
            } else {
                None
            }
        })
        .collect();
    let near = strs
        .iter()
        .find(|s| s.eq_ignore_ascii_case(text))
        .copied()
        .or_else(|| closest(text, &strs));
    let hint = match near {
        Some(s) if message::may_quote(text, path, quote) => format!("; did you mean \"{s}\"?"),
        _ => String::new(),
    };
    if lits.len() == 1 {
        return format!(
            "{label} must be {}, got {}{hint}",
            allowed[0],
            message::found(n, ty, path, quote)
        );
    }
    format!(
        "{label} must be one of {}, got {}{hint}",
        allowed.join(", "),
        message::found(n, ty, path, quote)
    )
}

/// Standard base64 as Go decodes it (`\r` and `\n` ignored).
fn is_base64(text: &str) -> bool {
    let bytes: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b'\r' | b'\n'))
        .collect();
    if !bytes.len().is_multiple_of(4) {
        return false;
    }
    let pad = bytes.iter().rev().take_while(|&&b| b == b'=').count();
    pad <= 2
        && bytes[..bytes.len() - pad]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'+' || *b == b'/')
}

/// A Kubernetes resource quantity: a signed decimal number, then a binary
/// suffix (`Ki` … `Ei`), a decimal one (`n`, `u`, `m`, `k`, `M` … `E`) or an
/// exponent (`e3`), as apimachinery's `ParseQuantity` reads it.
pub(super) fn is_quantity(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, suffix) = t.split_at(end);
    let digits = num.bytes().filter(u8::is_ascii_digit).count();
    if digits == 0 || num.matches('.').count() > 1 {
        return false;
    }
    const SUFFIXES: &[&str] = &[
        "", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei",
    ];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    match suffix.strip_prefix(['e', 'E']) {
        Some(exp) => {
            let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            !exp.is_empty() && exp.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}
