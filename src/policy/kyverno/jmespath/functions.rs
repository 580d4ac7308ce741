//! The functions an expression may call: JMESPath's standard ones and the
//! Kyverno ones its policy library uses. A function that reads the clock,
//! randomness or certificates is known but not evaluated offline.

use super::value::{num_text, order, parse_text, Kind, Val};

type R<'d, 's> = Result<Val<'d, 's>, String>;

/// The evaluation's remaining steps, charged by functions that walk lists.
pub(crate) struct Steps<'a>(pub &'a mut usize);

impl Steps<'_> {
    fn charge(&mut self, n: usize) -> Result<(), String> {
        if *self.0 < n {
            return Err("the expression took too many steps".into());
        }
        *self.0 -= n;
        Ok(())
    }
}

fn err<T>(name: &str, why: &str) -> Result<T, String> {
    Err(format!("{name}(): {why}"))
}

/// A function on its evaluated arguments (resource scalars read).
pub(crate) fn call<'d, 's>(e: &mut Steps, name: &str, a: Vec<Val<'d, 's>>) -> R<'d, 's> {
    let s = |i: usize| a.get(i).and_then(|v| v.as_str()).map(|c| c.into_owned());
    let str_arg =
        |i: usize| s(i).ok_or_else(|| format!("{name}(): argument {} is not a string", i + 1));
    Ok(match name {
        "length" => match a[0].kind() {
            Kind::Str => Val::Num(str_arg(0)?.chars().count() as f64),
            Kind::List => Val::Num(a[0].items().unwrap_or_default().len() as f64),
            Kind::Map => Val::Num(a[0].entries().unwrap_or_default().len() as f64),
            _ => return err(name, "not a string, list or map"),
        },
        "contains" => match a[0].kind() {
            Kind::Str => {
                Val::Bool(s(1).is_some_and(|x| str_arg(0).unwrap_or_default().contains(&x)))
            }
            Kind::List => Val::Bool(
                a[0].items()
                    .unwrap_or_default()
                    .iter()
                    .any(|i| i.equals(&a[1])),
            ),
            _ => return err(name, "not a string or list"),
        },
        "regex_match" | "regex_replace_all" | "regex_replace_all_literal" | "pattern_match" => {
            text_match(name, &a)?
        }
        "compare" => Val::Num(match str_arg(0)?.cmp(&str_arg(1)?) {
            std::cmp::Ordering::Less => -1.0,
            std::cmp::Ordering::Equal => 0.0,
            std::cmp::Ordering::Greater => 1.0,
        }),
        "to_string" => match a[0].kind() {
            Kind::Str => a[0].clone(),
            _ => Val::str(a[0].to_json()),
        },
        "to_number" => match a[0].norm() {
            Val::Num(_) => a[0].clone(),
            Val::Str(t) => t.trim().parse::<f64>().map_or(Val::Null, Val::Num),
            _ => Val::Null,
        },
        "to_array" => match a[0].kind() {
            Kind::List => a[0].clone(),
            _ => Val::List(vec![a[0].clone()]),
        },
        "type" => Val::str(match a[0].kind() {
            Kind::Null => "null",
            Kind::Bool => "boolean",
            Kind::Num => "number",
            Kind::Str => "string",
            Kind::List => "array",
            Kind::Map => "object",
        }),
        "not_null" => a
            .iter()
            .find(|v| !matches!(v, Val::Null))
            .cloned()
            .unwrap_or(Val::Null),
        _ => strings(e, name, &a)?,
    })
}

/// The string functions.
fn strings<'d, 's>(e: &mut Steps, name: &str, a: &[Val<'d, 's>]) -> R<'d, 's> {
    let s = |i: usize| a.get(i).and_then(|v| v.as_str()).map(|c| c.into_owned());
    let n = |i: usize| a.get(i).and_then(|v| v.as_num());
    let str_arg =
        |i: usize| s(i).ok_or_else(|| format!("{name}(): argument {} is not a string", i + 1));
    let num_arg =
        |i: usize| n(i).ok_or_else(|| format!("{name}(): argument {} is not a number", i + 1));
    Ok(match name {
        "starts_with" => Val::Bool(str_arg(0)?.starts_with(&str_arg(1)?)),
        "ends_with" => Val::Bool(str_arg(0)?.ends_with(&str_arg(1)?)),
        "to_upper" => Val::str(str_arg(0)?.to_uppercase()),
        "to_lower" => Val::str(str_arg(0)?.to_lowercase()),
        "equal_fold" => Val::Bool(str_arg(0)?.to_lowercase() == str_arg(1)?.to_lowercase()),
        "split" => Val::List(
            str_arg(0)?
                .split(str_arg(1)?.as_str())
                .map(Val::str)
                .collect(),
        ),
        "join" => {
            let sep = str_arg(0)?;
            let items = a[1]
                .items()
                .ok_or_else(|| format!("{name}(): not a list"))?;
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|i| i.as_str().map(|c| c.into_owned()))
                .collect();
            Val::str(
                parts
                    .ok_or_else(|| format!("{name}(): not a list of strings"))?
                    .join(&sep),
            )
        }
        "replace_all" => Val::str(str_arg(0)?.replace(&str_arg(1)?, &str_arg(2)?)),
        "replace" => {
            let count = num_arg(3)?;
            let (text, from, to) = (str_arg(0)?, str_arg(1)?, str_arg(2)?);
            if count < 0.0 {
                Val::str(text.replace(&from, &to))
            } else {
                Val::str(text.replacen(&from, &to, count as usize))
            }
        }
        "trim" => {
            let cut: Vec<char> = str_arg(1)?.chars().collect();
            Val::str(str_arg(0)?.trim_matches(|c| cut.contains(&c)))
        }
        "trim_prefix" => {
            let t = str_arg(0)?;
            Val::str(t.strip_prefix(&str_arg(1)?).unwrap_or(&t))
        }
        "truncate" => Val::str(
            str_arg(0)?
                .chars()
                .take(num_arg(1)?.max(0.0) as usize)
                .collect::<String>(),
        ),
        _ => collections(e, name, a)?,
    })
}

fn text_match<'d, 's>(name: &str, a: &[Val<'d, 's>]) -> R<'d, 's> {
    let text = |v: &Val| match v.norm() {
        Val::Str(s) => Some(s.into_owned()),
        Val::Num(n) => Some(num_text(n)),
        _ => None,
    };
    let (Some(p), Some(t)) = (text(&a[0]), text(&a[1])) else {
        return err(name, "arguments are not strings");
    };
    if name == "pattern_match" {
        return Ok(Val::Bool(super::super::scalar::wildcard_match(&p, &t)));
    }
    let re = regex_lite::Regex::new(&p).map_err(|e| format!("{name}(): invalid regex: {e}"))?;
    Ok(match name {
        "regex_match" => Val::Bool(re.is_match(&t)),
        _ => {
            let Some(with) = text(&a[2]) else {
                return err(name, "the replacement is not a string");
            };
            if name == "regex_replace_all" {
                Val::str(re.replace_all(&t, with.as_str()).into_owned())
            } else {
                Val::str(re.replace_all(&t, regex_lite::NoExpand(&with)).into_owned())
            }
        }
    })
}

fn collections<'d, 's>(e: &mut Steps, name: &str, a: &[Val<'d, 's>]) -> R<'d, 's> {
    let list = |i: usize| a[i].items().ok_or_else(|| format!("{name}(): not a list"));
    let map = |i: usize| a[i].entries().ok_or_else(|| format!("{name}(): not a map"));
    Ok(match name {
        "keys" => Val::List(map(0)?.into_iter().map(|(k, _)| Val::str(k)).collect()),
        "values" => Val::List(map(0)?.into_iter().map(|(_, v)| v).collect()),
        "lookup" => match a[0].kind() {
            Kind::Map => a[0].field(&a[1].as_str().unwrap_or_default()),
            Kind::List => {
                let i = a[1].as_num().unwrap_or(-1.0);
                list(0)?
                    .get(i as usize)
                    .filter(|_| i >= 0.0)
                    .cloned()
                    .unwrap_or(Val::Null)
            }
            _ => return err(name, "not a map or list"),
        },
        "merge" => {
            let mut out: Vec<(String, Val)> = Vec::new();
            for i in 0..a.len() {
                for (k, v) in map(i)? {
                    e.charge(1)?;
                    match out.iter_mut().find(|(k2, _)| *k2 == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    }
                }
            }
            Val::Map(out)
        }
        "label_match" => {
            let labels = map(1)?;
            Val::Bool(
                map(0)?
                    .iter()
                    .all(|(k, v)| labels.iter().any(|(k2, v2)| k == k2 && v.equals(v2))),
            )
        }
        "sort" => {
            let mut items = list(0)?;
            e.charge(items.len())?;
            if items.windows(2).any(|w| order(&w[0], &w[1]).is_none()) {
                return err(name, "items are not all numbers or all strings");
            }
            items.sort_by(|x, y| order(x, y).unwrap_or(std::cmp::Ordering::Equal));
            Val::List(items)
        }
        "reverse" => match a[0].kind() {
            Kind::Str => Val::str(
                a[0].as_str()
                    .unwrap_or_default()
                    .chars()
                    .rev()
                    .collect::<String>(),
            ),
            _ => Val::List(list(0)?.into_iter().rev().collect()),
        },
        "max" | "min" => {
            let items = list(0)?;
            let mut best: Option<Val> = None;
            for i in items {
                let better = match &best {
                    None => true,
                    Some(b) => {
                        let o = order(&i, b).ok_or_else(|| format!("{name}(): mixed items"))?;
                        (o == std::cmp::Ordering::Greater) == (name == "max")
                            && o != std::cmp::Ordering::Equal
                    }
                };
                if better {
                    best = Some(i);
                }
            }
            best.unwrap_or(Val::Null)
        }
        "sum" | "avg" => {
            let items = list(0)?;
            let mut total = 0.0;
            for i in &items {
                total += i
                    .as_num()
                    .ok_or_else(|| format!("{name}(): not a list of numbers"))?;
            }
            match name {
                "sum" => Val::Num(total),
                _ if items.is_empty() => Val::Null,
                _ => Val::Num(total / items.len() as f64),
            }
        }
        _ => encodings(name, a)?,
    })
}

/// Parsing and base64.
fn encodings<'d, 's>(name: &str, a: &[Val<'d, 's>]) -> R<'d, 's> {
    Ok(match name {
        "parse_json" | "parse_yaml" => {
            let text = a[0]
                .as_str()
                .ok_or_else(|| format!("{name}(): not a string"))?;
            parse_text(&text).ok_or_else(|| format!("{name}(): the text does not parse"))?
        }
        "base64_decode" => {
            let text = a[0]
                .as_str()
                .ok_or_else(|| format!("{name}(): not a string"))?;
            let bytes = base64_decode(&text).ok_or_else(|| format!("{name}(): not base64"))?;
            Val::str(String::from_utf8_lossy(&bytes).into_owned())
        }
        "base64_encode" => {
            let text = a[0]
                .as_str()
                .ok_or_else(|| format!("{name}(): not a string"))?;
            Val::str(base64_encode(text.as_bytes()))
        }
        _ => arithmetic(name, a)?,
    })
}

fn arithmetic<'d, 's>(name: &str, a: &[Val<'d, 's>]) -> R<'d, 's> {
    // Kyverno divides quantities and durations too (a plain ratio).
    let both_text = a.len() == 2 && a.iter().all(|v| v.as_str().is_some());
    let n = |i: usize| match a[i].as_num() {
        Some(x) => Ok(x),
        None if both_text && name == "divide" => a[i]
            .as_str()
            .and_then(|t| {
                super::super::scalar::quantity(&t).or_else(|| super::super::scalar::duration(&t))
            })
            .ok_or_else(|| format!("{name}(): argument {} is not a quantity", i + 1)),
        None => Err(format!("{name}(): argument {} is not a number", i + 1)),
    };
    let x = n(0)?;
    Ok(Val::Num(match name {
        "abs" => x.abs(),
        "ceil" => x.ceil(),
        "floor" => x.floor(),
        "add" => x + n(1)?,
        "subtract" => x - n(1)?,
        "multiply" => x * n(1)?,
        "divide" | "modulo" => {
            let y = n(1)?;
            if y == 0.0 {
                return err(name, "division by zero");
            }
            if name == "divide" {
                x / y
            } else {
                x % y
            }
        }
        "round" => {
            let p = 10f64.powi(n(1)? as i32);
            (x * p).round() / p
        }
        _ => return err(name, "unknown function"),
    }))
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for t in ["", "a", "ab", "abc", "hello world"] {
            assert_eq!(
                base64_decode(&base64_encode(t.as_bytes())).unwrap(),
                t.as_bytes()
            );
        }
        assert_eq!(base64_encode(b"ab"), "YWI=");
        assert!(base64_decode("a*b").is_none());
    }

    #[test]
    fn arity_and_names() {
        use super::super::names::check;
        assert!(check("length", 1).is_ok());
        assert!(check("length", 2).is_err());
        assert!(check("nope", 1).is_err());
        assert!(check("time_now_utc", 0).is_ok());
    }
}
