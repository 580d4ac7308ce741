//! Kubernetes' CEL libraries beyond `cel`'s own (`k8s.io/apiserver/pkg/cel/library`):
//! `quantity` (exact, in nano units), regex `find`/`findAll`, list `min`,
//! `max`, `sum`, `isSorted`, and `ip`/`cidr`. The corpus's policies use
//! none but `sum`; VAPs in the wild use `quantity` and `cidr` most.
//! Each is a context function over values; what walks its input was
//! charged when the input was handed over (see `expr`).

use std::cmp::Ordering;
use std::net::IpAddr;
use std::sync::Arc;

use cel::extractors::{Arguments, This};
use cel::objects::Opaque;
use cel::{Context, ExecutionError, Value};

type Res = Result<Value, ExecutionError>;

fn fail(function: &str, message: impl ToString) -> ExecutionError {
    ExecutionError::function_error(function, message)
}

/// Registers the libraries on a context (names `cel`'s environment leaves free).
pub fn register(ctx: &mut Context) {
    let _ = ctx.add_function("quantity", |s: Arc<String>| -> Res {
        Quantity::parse(&s)
            .map(|q| Value::Opaque(Arc::new(q)))
            .ok_or_else(|| fail("quantity", format!("invalid quantity {s:?}")))
    });
    let _ = ctx.add_function("isQuantity", |s: Arc<String>| {
        Value::Bool(Quantity::parse(&s).is_some())
    });
    let _ = ctx.add_function("isGreaterThan", |This(a): This<Value>, b: Value| -> Res {
        Ok(Value::Bool(
            compare(&a, &b, "isGreaterThan")? == Ordering::Greater,
        ))
    });
    let _ = ctx.add_function("isLessThan", |This(a): This<Value>, b: Value| -> Res {
        Ok(Value::Bool(
            compare(&a, &b, "isLessThan")? == Ordering::Less,
        ))
    });
    let _ = ctx.add_function("compareTo", |This(a): This<Value>, b: Value| -> Res {
        Ok(Value::Int(compare(&a, &b, "compareTo")? as i64))
    });
    let _ = ctx.add_function("add", |This(a): This<Value>, b: Value| arith(&a, &b, 1));
    let _ = ctx.add_function("sub", |This(a): This<Value>, b: Value| arith(&a, &b, -1));
    let _ = ctx.add_function("asInteger", |This(a): This<Value>| -> Res {
        let q = quantity_of(&a, "asInteger")?;
        q.integer()
            .map(Value::Int)
            .ok_or_else(|| fail("asInteger", "not an integer in the int64 range"))
    });
    let _ = ctx.add_function("isInteger", |This(a): This<Value>| -> Res {
        Ok(Value::Bool(
            quantity_of(&a, "isInteger")?.integer().is_some(),
        ))
    });
    let _ = ctx.add_function("asApproximateFloat", |This(a): This<Value>| -> Res {
        Ok(Value::Float(
            quantity_of(&a, "asApproximateFloat")?.0 as f64 / 1e9,
        ))
    });
    let _ = ctx.add_function("sign", |This(a): This<Value>| -> Res {
        Ok(Value::Int(quantity_of(&a, "sign")?.0.signum() as i64))
    });
    let _ = ctx.add_function(
        "find",
        |This(s): This<Arc<String>>, re: Arc<String>| -> Res {
            let re = regex(&re)?;
            Ok(Value::String(Arc::new(
                re.find(&s)
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            )))
        },
    );
    let _ = ctx.add_function("findAll", find_all);
    let _ = ctx.add_function("min", |This(l): This<Arc<Vec<Value>>>| {
        extreme(&l, Ordering::Less)
    });
    let _ = ctx.add_function("max", |This(l): This<Arc<Vec<Value>>>| {
        extreme(&l, Ordering::Greater)
    });
    let _ = ctx.add_function("@replace", replace);
    let _ = ctx.add_function("sum", sum);
    let _ = ctx.add_function("isSorted", is_sorted);
    register_net(ctx);
}

/// Longest string `replace` may build.
pub const MAX_STRING: usize = 4 * 1024 * 1024;

/// A quantity, exactly, in units of 10^-9 (Kubernetes rounds finer values up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(pub i128);

impl Opaque for Quantity {
    fn runtime_type_name(&self) -> &str {
        "kubernetes.Quantity"
    }
}

impl Quantity {
    /// Kubernetes' quantity grammar: a signed decimal number and a binary
    /// (`Ki`..`Ei`), decimal (`n`..`E`) or exponent (`e3`) suffix.
    pub fn parse(s: &str) -> Option<Quantity> {
        let (neg, body) = match s.as_bytes().first()? {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let (number, suffix) = body.split_at(end);
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
            return None;
        }
        // The number as digits and a power of ten.
        let digits = format!("{int}{frac}");
        let mut exp10 = -(frac.len() as i32);
        let mut factor: i128 = 1;
        match suffix {
            "" => {}
            "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" => {
                let n = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
                    .iter()
                    .position(|x| *x == suffix)?;
                factor = 1i128 << (10 * (n as u32 + 1));
            }
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            s if s.starts_with(['e', 'E']) => exp10 += s[1..].parse::<i32>().ok()?,
            _ => return None,
        }
        let digits = digits.trim_start_matches('0');
        let mut n: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        n = n.checked_mul(factor)?;
        // To nano units, rounding a finer remainder up.
        let shift = exp10 + 9;
        if shift >= 0 {
            n = n.checked_mul(10i128.checked_pow(shift as u32)?)?;
        } else {
            let div = 10i128.checked_pow((-shift) as u32).unwrap_or(i128::MAX);
            let rounded_up = n % div != 0;
            n = n / div + i128::from(rounded_up);
        }
        Some(Quantity(if neg { -n } else { n }))
    }

    fn integer(self) -> Option<i64> {
        (self.0 % 1_000_000_000 == 0)
            .then(|| i64::try_from(self.0 / 1_000_000_000).ok())
            .flatten()
    }
}

fn quantity_of(v: &Value, function: &str) -> Result<Quantity, ExecutionError> {
    match v {
        Value::Opaque(o) => o
            .downcast_ref::<Quantity>()
            .copied()
            .ok_or_else(|| fail(function, "not a quantity")),
        Value::Int(i) => Ok(Quantity(i128::from(*i) * 1_000_000_000)),
        _ => Err(fail(function, "not a quantity")),
    }
}

fn compare(a: &Value, b: &Value, function: &str) -> Result<Ordering, ExecutionError> {
    Ok(quantity_of(a, function)?.cmp(&quantity_of(b, function)?))
}

fn arith(a: &Value, b: &Value, sign: i128) -> Res {
    let (x, y) = (quantity_of(a, "add")?, quantity_of(b, "add")?);
    x.0.checked_add(sign * y.0)
        .map(|n| Value::Opaque(Arc::new(Quantity(n))))
        .ok_or_else(|| fail("add", "quantity overflow"))
}

/// Patterns are RE2's syntax; their compiled size is bounded.
fn regex(re: &str) -> Result<regex_lite::Regex, ExecutionError> {
    regex_lite::RegexBuilder::new(re)
        .size_limit(1 << 20)
        .nest_limit(64)
        .build()
        .map_err(|e| fail("regex", e))
}

fn find_all(This(s): This<Arc<String>>, Arguments(args): Arguments) -> Res {
    let re = match args.first() {
        Some(Value::String(re)) => regex(re)?,
        _ => return Err(fail("findAll", "expects a pattern")),
    };
    let limit = match args.get(1) {
        Some(Value::Int(n)) if *n >= 0 => *n as usize,
        _ => usize::MAX,
    };
    let found = re
        .find_iter(&s)
        .take(limit)
        .map(|m| Value::String(Arc::new(m.as_str().to_string())))
        .collect();
    Ok(Value::List(Arc::new(found)))
}

fn extreme(list: &[Value], want: Ordering) -> Res {
    let mut best = list
        .first()
        .ok_or_else(|| fail("min/max", "the list is empty"))?;
    for v in &list[1..] {
        match v.partial_cmp(best) {
            Some(o) if o == want => best = v,
            Some(_) => {}
            None => return Err(fail("min/max", "the list mixes types")),
        }
    }
    Ok(best.clone())
}

/// An IP address or a CIDR prefix (address and prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    /// `None` for an address.
    pub prefix: Option<u8>,
}

impl Opaque for Net {
    fn runtime_type_name(&self) -> &str {
        if self.prefix.is_some() {
            "net.CIDR"
        } else {
            "net.IP"
        }
    }
}

fn parse_ip(s: &str) -> Option<Net> {
    // Kubernetes refuses IPv4-mapped IPv6 and zones.
    let addr: IpAddr = s.parse().ok()?;
    if s.contains('%') || matches!(addr, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some()) {
        return None;
    }
    Some(Net { addr, prefix: None })
}

fn parse_cidr(s: &str) -> Option<Net> {
    let (ip, len) = s.split_once('/')?;
    let net = parse_ip(ip)?;
    let len: u8 = len.parse().ok()?;
    let max = if net.addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some(Net {
        addr: net.addr,
        prefix: Some(len),
    })
}

fn bits(addr: IpAddr) -> (u128, u8) {
    match addr {
        IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
        IpAddr::V6(a) => (u128::from(a), 128),
    }
}

fn masked(n: Net) -> (u128, u8) {
    let (b, width) = bits(n.addr);
    let len = n.prefix.unwrap_or(width);
    let mask = if len == 0 {
        0
    } else {
        (!0u128) << (u32::from(width - len) + (128 - u32::from(width))) >> (128 - u32::from(width))
    };
    (b & mask, len)
}

fn net_of(v: &Value, function: &str, cidr: bool) -> Result<Net, ExecutionError> {
    let parsed = match v {
        Value::Opaque(o) => o.downcast_ref::<Net>().copied(),
        Value::String(s) if cidr => parse_cidr(s),
        Value::String(s) => parse_ip(s),
        _ => None,
    };
    parsed.ok_or_else(|| fail(function, "not an IP or CIDR"))
}

fn contains(c: Net, other: Net) -> bool {
    if c.addr.is_ipv4() != other.addr.is_ipv4() {
        return false;
    }
    let (net, len) = masked(c);
    let (_, width) = bits(other.addr);
    let other_len = other.prefix.unwrap_or(width);
    other_len >= len
        && masked(Net {
            addr: other.addr,
            prefix: Some(len),
        })
        .0 == net
}

fn register_net(ctx: &mut Context) {
    let _ = ctx.add_function("ip", |s: Arc<String>| -> Res {
        parse_ip(&s)
            .map(|n| Value::Opaque(Arc::new(n)))
            .ok_or_else(|| fail("ip", format!("invalid IP {s:?}")))
    });
    let _ = ctx.add_function("isIP", |s: Arc<String>| Value::Bool(parse_ip(&s).is_some()));
    let _ = ctx.add_function("cidr", |s: Arc<String>| -> Res {
        parse_cidr(&s)
            .map(|n| Value::Opaque(Arc::new(n)))
            .ok_or_else(|| fail("cidr", format!("invalid CIDR {s:?}")))
    });
    let _ = ctx.add_function("isCIDR", |s: Arc<String>| {
        Value::Bool(parse_cidr(&s).is_some())
    });
    let _ = ctx.add_function("family", |This(v): This<Value>| -> Res {
        Ok(Value::Int(if net_of(&v, "family", false)?.addr.is_ipv4() {
            4
        } else {
            6
        }))
    });
    let _ = ctx.add_function("isLoopback", |This(v): This<Value>| -> Res {
        Ok(Value::Bool(
            net_of(&v, "isLoopback", false)?.addr.is_loopback(),
        ))
    });
    let _ = ctx.add_function("isUnspecified", |This(v): This<Value>| -> Res {
        Ok(Value::Bool(
            net_of(&v, "isUnspecified", false)?.addr.is_unspecified(),
        ))
    });
    let _ = ctx.add_function("containsIP", |This(c): This<Value>, ip: Value| -> Res {
        let c = net_of(&c, "containsIP", true)?;
        Ok(Value::Bool(contains(c, net_of(&ip, "containsIP", false)?)))
    });
    let _ = ctx.add_function("containsCIDR", |This(c): This<Value>, o: Value| -> Res {
        let c = net_of(&c, "containsCIDR", true)?;
        Ok(Value::Bool(contains(c, net_of(&o, "containsCIDR", true)?)))
    });
    let _ = ctx.add_function("prefixLength", |This(c): This<Value>| -> Res {
        let c = net_of(&c, "prefixLength", true)?;
        Ok(Value::Int(i64::from(c.prefix.unwrap_or(0))))
    });
}

/// `s.replace(old, new[, n])`, refusing an output over [`MAX_STRING`].
fn replace(
    This(s): This<Arc<String>>,
    Arguments(args): Arguments,
) -> Result<Value, ExecutionError> {
    let text = |i: usize| match args.get(i) {
        Some(Value::String(s)) => Ok(Arc::clone(s)),
        _ => Err(ExecutionError::function_error(
            "replace",
            "expects (string, string[, int])",
        )),
    };
    let (old, new) = (text(0)?, text(1)?);
    let n = match args.get(2) {
        Some(Value::Int(n)) => *n,
        _ => -1,
    };
    let count = if old.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(old.as_str()).count()
    };
    let count = if n >= 0 { count.min(n as usize) } else { count };
    let grown = s.len() + count.saturating_mul(new.len());
    if grown > MAX_STRING {
        return Err(ExecutionError::function_error(
            "replace",
            format!("the result would exceed {MAX_STRING} bytes"),
        ));
    }
    Ok(Value::String(Arc::new(if n >= 0 {
        s.replacen(old.as_str(), &new, n as usize)
    } else {
        s.replace(old.as_str(), &new)
    })))
}

/// Kubernetes' `list.sum()`: ints, uints or doubles.
fn sum(This(list): This<Arc<Vec<Value>>>) -> Result<Value, ExecutionError> {
    let mut acc = match list.first() {
        Some(Value::Float(_)) => Value::Float(0.0),
        Some(Value::UInt(_)) => Value::UInt(0),
        _ => Value::Int(0),
    };
    for v in list.iter() {
        acc = match (&acc, v) {
            (Value::Int(a), Value::Int(b)) => Value::Int(
                a.checked_add(*b)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?,
            ),
            (Value::UInt(a), Value::UInt(b)) => Value::UInt(
                a.checked_add(*b)
                    .ok_or_else(|| ExecutionError::function_error("sum", "integer overflow"))?,
            ),
            (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
            _ => {
                return Err(ExecutionError::function_error(
                    "sum",
                    "mixed or non-numeric list",
                ))
            }
        };
    }
    Ok(acc)
}

/// Kubernetes' `list.isSorted()`.
fn is_sorted(This(list): This<Arc<Vec<Value>>>) -> Result<Value, ExecutionError> {
    for w in list.windows(2) {
        match w[0].partial_cmp(&w[1]) {
            Some(std::cmp::Ordering::Greater) => return Ok(Value::Bool(false)),
            Some(_) => {}
            None => return Err(ExecutionError::function_error("isSorted", "incomparable")),
        }
    }
    Ok(Value::Bool(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_exactly() {
        let q = |s: &str| Quantity::parse(s).map(|q| q.0);
        assert_eq!(q("1"), Some(1_000_000_000));
        assert_eq!(q("500m"), Some(500_000_000));
        assert_eq!(q("1Ki"), Some(1024 * 1_000_000_000));
        assert_eq!(q("1.5Gi"), Some(1_610_612_736 * 1_000_000_000));
        assert_eq!(q("2k"), Some(2_000 * 1_000_000_000));
        assert_eq!(q("1e3"), Some(1_000 * 1_000_000_000));
        assert_eq!(q("-0.5"), Some(-500_000_000));
        assert_eq!(q("1n"), Some(1));
        assert_eq!(q(".5"), Some(500_000_000));
        for bad in [
            "",
            "x",
            "1Q",
            "1..2",
            "Mi",
            "1e99999",
            "99999999999999999999999999999999Ei",
        ] {
            assert_eq!(q(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidrs_contain() {
        let c = parse_cidr("10.0.0.0/8").unwrap();
        assert!(contains(c, parse_ip("10.1.2.3").unwrap()));
        assert!(!contains(c, parse_ip("11.1.2.3").unwrap()));
        assert!(contains(c, parse_cidr("10.2.0.0/16").unwrap()));
        assert!(!contains(c, parse_cidr("10.0.0.0/7").unwrap()));
        assert!(!contains(c, parse_ip("::1").unwrap()));
        assert!(contains(
            parse_cidr("0.0.0.0/0").unwrap(),
            parse_ip("1.2.3.4").unwrap()
        ));
        assert!(contains(
            parse_cidr("fd00::/8").unwrap(),
            parse_ip("fd12::1").unwrap()
        ));
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_ip("::ffff:1.2.3.4").is_none());
    }
}
