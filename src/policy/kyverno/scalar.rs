//! Leaf values: one resource value against one scalar pattern, as Kyverno's
//! `pattern.Validate` decides it.
//!
//! A string pattern is a list of `|` alternatives, each a list of `&`
//! conditions; a condition is an operator (`>=`, `<=`, `>`, `<`, `!`, a
//! range `a-b` or `a!-b`, or none) and an operand, compared as a Go
//! duration, else as a Kubernetes quantity, else as a string with `*`/`?`
//! wildcards. Numbers, booleans and `null` compare by type.

/// A resource value as Kyverno's unstructured JSON holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Leaf<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Map,
    Seq,
}

/// A scalar of a pattern, typed as the policy's JSON reads it (every number
/// is a float).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PatScalar {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

/// Whether `value` satisfies the scalar pattern `pattern`.
pub(crate) fn matches(value: Leaf, pattern: &PatScalar) -> bool {
    match pattern {
        PatScalar::Bool(b) => value == Leaf::Bool(*b),
        PatScalar::Num(p) => match value {
            Leaf::Int(v) => p.trunc() == *p && *p == v as f64,
            Leaf::Float(v) => v == *p,
            Leaf::Str(s) => go_parse_float(s) == Some(*p),
            _ => false,
        },
        PatScalar::Null => match value {
            Leaf::Null => true,
            Leaf::Float(v) => v == 0.0,
            Leaf::Int(v) => v == 0,
            Leaf::Str(s) => s.is_empty(),
            Leaf::Bool(b) => !b,
            Leaf::Map | Leaf::Seq => false,
        },
        PatScalar::Str(p) => matches_str(value, p),
    }
}

/// Go's `strconv.ParseFloat` for the plain decimal forms a manifest holds.
fn go_parse_float(s: &str) -> Option<f64> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let ok = !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
        || matches!(
            body.to_ascii_lowercase().as_str(),
            "inf" | "infinity" | "nan"
        );
    if !ok {
        return None;
    }
    s.parse::<f64>().ok()
}

/// A string pattern: `|` alternatives of `&` conditions.
pub(crate) fn matches_str(value: Leaf, pattern: &str) -> bool {
    if value == Leaf::Str(pattern) {
        return true;
    }
    pattern.split('|').any(|alt| {
        alt.trim_matches(' ')
            .split('&')
            .all(|cond| condition(value, cond.trim_matches(' ')))
    })
}

/// A comparison operator at the start of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Equal,
    NotEqual,
    More,
    Less,
    MoreEqual,
    LessEqual,
    InRange,
    NotInRange,
}

impl Op {
    fn prefix_len(self) -> usize {
        match self {
            Op::MoreEqual | Op::LessEqual => 2,
            Op::More | Op::Less | Op::NotEqual => 1,
            Op::Equal | Op::InRange | Op::NotInRange => 0,
        }
    }
}

/// The operator of a condition, as Kyverno reads it.
pub(crate) fn operator_of(pattern: &str) -> Op {
    if pattern.len() < 2 {
        return Op::Equal;
    }
    for (p, op) in [
        (">=", Op::MoreEqual),
        ("<=", Op::LessEqual),
        (">", Op::More),
        ("<", Op::Less),
        ("!", Op::NotEqual),
    ] {
        if pattern.starts_with(p) {
            return op;
        }
    }
    if range_split(pattern, "!-").is_some() {
        Op::NotInRange
    } else if range_split(pattern, "-").is_some() {
        Op::InRange
    } else {
        Op::Equal
    }
}

/// Splits `left<sep>right` where both ends are `[-+|]?digits(.digits)?letters*`.
fn range_split<'p>(pattern: &'p str, sep: &str) -> Option<(&'p str, &'p str)> {
    // Each endpoint may start with a sign, so try every occurrence of sep.
    let mut from = 0;
    while let Some(i) = pattern[from..].find(sep) {
        let at = from + i;
        let (l, r) = (&pattern[..at], &pattern[at + sep.len()..]);
        if range_end(l) && range_end(r) {
            return Some((l, r));
        }
        from = at + 1;
    }
    None
}

fn range_end(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+', '|']).unwrap_or(s);
    let int = s.bytes().take_while(u8::is_ascii_digit).count();
    if int == 0 {
        return false;
    }
    let mut rest = &s[int..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n > 0 {
            rest = &frac[n..];
        }
    }
    rest.bytes().all(|b| b.is_ascii_alphabetic())
}

/// One condition: an operator and its operand, or a range.
fn condition(value: Leaf, pattern: &str) -> bool {
    match operator_of(pattern) {
        Op::InRange => match range_split(pattern, "-") {
            Some((l, r)) => compare(value, l, Op::MoreEqual) && compare(value, r, Op::LessEqual),
            None => false,
        },
        Op::NotInRange => match range_split(pattern, "!-") {
            Some((l, r)) => compare(value, l, Op::Less) || compare(value, r, Op::More),
            None => false,
        },
        op => compare(value, pattern[op.prefix_len()..].trim(), op),
    }
}

/// Compares as durations, else as quantities, else as strings.
pub(crate) fn compare(value: Leaf, operand: &str, op: Op) -> bool {
    let text = number_text(value);
    if let (Some(p), Some(v)) = (duration(operand), text.as_deref().and_then(duration)) {
        if let Some(r) = ordered(v.partial_cmp(&p), op) {
            return r;
        }
    }
    if let (Some(p), Some(v)) = (quantity(operand), text.as_deref().and_then(quantity)) {
        if let Some(r) = ordered(v.partial_cmp(&p), op) {
            return r;
        }
    }
    compare_string(value, operand, op)
}

fn ordered(ord: Option<std::cmp::Ordering>, op: Op) -> Option<bool> {
    use std::cmp::Ordering::*;
    let ord = ord?;
    Some(match op {
        Op::Equal => ord == Equal,
        Op::NotEqual => ord != Equal,
        Op::More => ord == Greater,
        Op::Less => ord == Less,
        Op::MoreEqual => ord != Less,
        Op::LessEqual => ord != Greater,
        Op::InRange | Op::NotInRange => return None,
    })
}

/// Kyverno's `convertNumberToString`: what a value reads as for a
/// duration or quantity (a missing value reads as `0`).
fn number_text(value: Leaf) -> Option<String> {
    match value {
        Leaf::Null => Some("0".into()),
        Leaf::Str(s) => Some(s.to_string()),
        Leaf::Float(f) => Some(format!("{f:.6}")),
        Leaf::Int(i) => Some(i.to_string()),
        Leaf::Bool(_) | Leaf::Map | Leaf::Seq => None,
    }
}

fn compare_string(value: Leaf, operand: &str, op: Op) -> bool {
    if !matches!(op, Op::Equal | Op::NotEqual) {
        return false;
    }
    let text = match value {
        Leaf::Float(f) => go_float_e(f),
        Leaf::Int(i) => i.to_string(),
        Leaf::Str(s) => s.to_string(),
        Leaf::Bool(b) => b.to_string(),
        Leaf::Null | Leaf::Map | Leaf::Seq => return false,
    };
    wildcard_match(operand, &text) == (op == Op::Equal)
}

/// Go's `strconv.FormatFloat(f, 'E', -1, 64)`: `1.5E+00`.
fn go_float_e(f: f64) -> String {
    let s = format!("{f:E}");
    match s.split_once('E') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}E{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// `*` matches any run of characters, `?` exactly one; an empty pattern
/// matches only the empty string.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    // The common cases, without allocating: no wildcard, or `*` alone.
    if pattern == "*" {
        return true;
    }
    if !has_wildcard(pattern) {
        return pattern == text;
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub(crate) fn duration(s: &str) -> Option<f64> {
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let num = &rest[..num_len];
        if num.matches('.').count() > 1 || !num.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let n: f64 = if num.starts_with('.') {
            format!("0{num}").parse().ok()?
        } else {
            num.trim_end_matches('.').parse().ok()?
        };
        total += n * scale;
    }
    Some(if neg { -total } else { total })
}

/// Kubernetes' `resource.ParseQuantity`, as a float.
pub(crate) fn quantity(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let int = body.bytes().take_while(u8::is_ascii_digit).count();
    let mut end = int;
    let mut frac = 0;
    if body[end..].starts_with('.') {
        frac = body[end + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        end += 1 + frac;
    }
    if s.is_empty() || (int == 0 && frac == 0 && !body.is_empty() && end == 0) {
        return None;
    }
    let digits = if int == 0 && frac == 0 {
        "0".to_string()
    } else {
        let d = body[..end].to_string();
        if d.starts_with('.') {
            format!("0{d}")
        } else {
            d.trim_end_matches('.').to_string()
        }
    };
    let (exp10, exp2) = quantity_suffix(&body[end..])?;
    let v: f64 = format!("{digits}e{exp10}").parse().ok()?;
    let v = v * 2f64.powi(exp2);
    Some(if neg { -v } else { v })
}

/// A quantity suffix as (power of ten, power of two).
fn quantity_suffix(suffix: &str) -> Option<(i32, i32)> {
    Some(match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 10),
        "Mi" => (0, 20),
        "Gi" => (0, 30),
        "Ti" => (0, 40),
        "Pi" => (0, 50),
        "Ei" => (0, 60),
        _ => {
            let e = suffix.strip_prefix(['e', 'E'])?;
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (e.parse().ok()?, 0)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> PatScalar {
        PatScalar::Str(t.into())
    }

    #[test]
    fn numbers_bools_and_null() {
        use Leaf::*;
        let n = PatScalar::Num;
        assert!(matches(Float(7.9914), &n(7.9914)));
        assert!(!matches(Float(7.9914), &n(7.99141)));
        assert!(matches(Int(7), &n(7.0)));
        assert!(!matches(Int(8), &n(7.0)));
        assert!(!matches(Int(8), &n(8.1)));
        assert!(matches(Str("8"), &n(8.0)));
        assert!(matches(Str("8.1"), &n(8.1)));
        assert!(!matches(Bool(false), &n(8.0)));
        assert!(matches(Bool(true), &PatScalar::Bool(true)));
        assert!(!matches(Bool(false), &PatScalar::Bool(true)));
        assert!(!matches(Null, &PatScalar::Bool(false)));
        assert!(!matches(Str("true"), &PatScalar::Bool(true)));
        for v in [Str(""), Float(0.0), Int(0), Bool(false), Null] {
            assert!(matches(v, &PatScalar::Null), "{v:?}");
        }
        assert!(!matches(Str("value"), &PatScalar::Null));
        assert!(!matches(Map, &PatScalar::Null));
    }

    #[test]
    fn alternatives_and_conjunctions() {
        use Leaf::*;
        assert!(matches(
            Str("10.100.11.54"),
            &s("192.168.88.1 | 10.100.11.*")
        ));
        assert!(matches(Str("10"), &s(">1 & <20")));
        assert!(matches(Str("10"), &s(">1 & <20 | >31 & <33")));
        assert!(matches(Str("32"), &s(">1 & <20 | >31 & <33")));
        assert!(!matches(Str("21"), &s(">1 & <20 | >31 & <33")));
        assert!(matches(Str("nginx:1.2"), &s("*:*")));
        assert!(!matches(Str("nginx"), &s("*:*")));
        assert!(matches(Str("x"), &s("?*")));
        assert!(!matches(Str(""), &s("?*")));
        assert!(!matches(Null, &s("?*")));
        assert!(!matches(Map, &s("*")));
        assert!(matches(Bool(true), &s("true")));
        assert!(matches(Int(8080), &s("80*")));
        assert!(matches(Str("IfNotPresent"), &s("!Always")));
        assert!(!matches(Str("Always"), &s("!Always")));
        // A missing value reads as 0 for quantities.
        assert!(matches(Null, &s("<10")));
    }

    #[test]
    fn ranges() {
        use Leaf::*;
        let c = |v, p| condition(v, p);
        assert!(c(Int(0), "0-2") && c(Int(2), "0-2") && !c(Int(3), "0-2"));
        assert!(c(Int(0), "10!-20") && !c(Int(15), "10!-20") && c(Int(25), "10!-20"));
        assert!(!c(Int(0), "0.00001-2.00001") && c(Int(1), "0.00001-2.00001"));
        assert!(!c(Float(2.0001), "0.00001-2.00001"));
        assert!(c(Float(2.0001), "0.00001!-2.00001"));
        assert!(c(Int(2), "2-2") && !c(Int(2), "2!-2"));
        assert!(c(Float(2.99999), "2.99998-3"));
        assert!(c(Float(3.00001), "2.99998!-3"));
        assert!(c(Str("256Mi"), "128Mi-512Mi") && !c(Str("1024Mi"), "128Mi-512Mi"));
        assert!(c(Str("1024Mi"), "128Mi!-512Mi") && !c(Str("256Mi"), "128Mi!-512Mi"));
        assert!(c(Int(-9), "-10-8") && !c(Int(9), "-10--8"));
        assert!(c(Int(9), "-10!--8") && !c(Int(-9), "-10!--8"));
        assert!(c(Str("9Mi"), "-10Mi!--8Mi") && c(Str("-9Mi"), "-10Mi-8Mi"));
        assert!(c(Int(0), "-10-+8") && c(Str("7Mi"), "-10Mi-+8Mi"));
        assert!(c(Int(10), "-10!-+8") && c(Int(0), "+0-+1"));
        assert!(c(Str("1025Mi"), "+0Mi!-+1024Mi"));
        assert!(c(Int(4), ">= 3"));
    }

    #[test]
    fn durations_and_quantities() {
        use Leaf::*;
        use Op::*;
        assert!(compare(Float(7.00001), "7.000001", More));
        assert!(compare(Float(7.00001), "7", NotEqual));
        assert!(compare(Float(7.0), "7", Equal));
        assert!(!compare(Float(6.000000001), "6", Less));
        assert!(!compare(Str("1024Gi"), "", Equal));
        assert!(!compare(Str("gii"), "1024Gi", Equal));
        assert!(compare(Str("12s"), "12s", Equal));
        assert!(compare(Str("12s"), "15s", NotEqual));
        assert!(compare(Str("12s"), "15s", Less) && compare(Str("12s"), "12s", LessEqual));
        assert!(!compare(Str("15s"), "12s", LessEqual) && compare(Str("15s"), "12s", More));
        assert!(compare(Str("1h"), "59m", More) && compare(Str("1m30s"), "90s", Equal));
        assert!(compare(Str("1024Mi"), "1Gi", Equal));
        assert!(compare(Str("0.2"), "200m", Equal));
        assert!(!compare(Str("2048"), "1024", Equal));
        assert!(compare(Int(1024), "1024", Equal));
        assert!(compare(Str("1Gi"), "1000Mi", More));
        assert!(compare(Str("1G"), "1Gi", Less));
        assert!(compare(Str("500m"), "0.5", MoreEqual));
        assert!(compare(Str("0.5"), ".5", LessEqual));
        assert!(!compare(Str("500m"), "0.6", MoreEqual));
        assert_eq!(quantity("1e3"), Some(1000.0));
        assert_eq!(quantity("1K"), None);
        assert_eq!(duration("10"), None);
        assert_eq!(duration("1.5h"), Some(5400e9));
    }

    #[test]
    fn operators() {
        assert_eq!(operator_of("f"), Op::Equal);
        assert_eq!(operator_of(""), Op::Equal);
        assert_eq!(operator_of(">=1"), Op::MoreEqual);
        assert_eq!(operator_of("!-1"), Op::NotEqual);
        assert_eq!(operator_of("1!-5"), Op::NotInRange);
        assert_eq!(operator_of("-10--8"), Op::InRange);
        assert_eq!(operator_of("a-b"), Op::Equal);
    }

    #[test]
    fn wildcards() {
        let w = wildcard_match;
        assert!(w("*", "s3:GetObject") && !w("", "s3:GetObject") && w("", ""));
        assert!(w("s3:*", "s3:ListMultipartUploadParts"));
        assert!(!w("s3:ListBucketMultipartUploads", "s3:ListBucket"));
        assert!(w("my-bucket/oo*", "my-bucket/oo"));
        assert!(!w("my-bucket/In*", "my-bucket/Karnataka/India/"));
        assert!(w("my-bucket/In*/Ka*/Ban", "my-bucket/India/Karnataka/Ban"));
        assert!(!w("my-bucket?/abc*", "mybucket/abc"));
        assert!(w("my-bucket?/abc*", "my-bucket1/abc"));
        assert!(!w("my??bucket/abc*", "mybucket/abc"));
        assert!(w("my??bucket/abc*", "my4abucket/abc"));
        assert!(w("my-bucket/abc?efg", "my-bucket/abc/efg"));
        assert!(w("a*b*c", "aXbYbZc") && !w("a*b*c", "aXbYbZ"));
    }

    #[test]
    fn go_formats() {
        assert_eq!(go_float_e(1.5), "1.5E+00");
        assert_eq!(go_float_e(100.0), "1E+02");
        assert_eq!(go_float_e(1e-7), "1E-07");
    }
}
