//! What JSON type a YAML node is, as the consumer of the document reads it.
//!
//! Workflows are read by YAML 1.2 (core schema). Kubernetes manifests go
//! through `sigs.k8s.io/yaml`, a YAML 1.1 reader, before the API server sees
//! them: there `yes`, `no`, `on` and `off` are booleans too, so
//! `value: yes` under `env` is rejected as a boolean where a string belongs.

use crate::yaml::{plain_is_non_string, NodeRef, ScalarStyle, Value};

/// The JSON type of an instance node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Null,
    Bool,
    Int,
    /// A number with a fraction or exponent (or `.inf`, `.nan`).
    Float,
    Str,
    Seq,
    Map,
}

impl Ty {
    /// The `type` bit this instance satisfies ([`crate::schema::compile::types`]).
    pub fn bit(self) -> u8 {
        use super::compile::types::*;
        match self {
            Ty::Null => NULL,
            Ty::Bool => BOOL,
            Ty::Int => INT,
            Ty::Float => NUM,
            Ty::Str => STR,
            Ty::Seq => ARR,
            Ty::Map => OBJ,
        }
    }

    /// "the string", "the integer": how a message names a value of this type.
    pub fn noun(self) -> &'static str {
        match self {
            Ty::Null => "an empty value",
            Ty::Bool => "the boolean",
            Ty::Int => "the integer",
            Ty::Float => "the number",
            Ty::Str => "the string",
            Ty::Seq => "a list",
            Ty::Map => "a mapping",
        }
    }
}

/// YAML 1.1 booleans that YAML 1.2 reads as strings.
pub fn is_yaml11_bool(t: &str) -> bool {
    matches!(
        t,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "y"
            | "Y"
            | "n"
            | "N"
    )
}

/// The type of a node; `yaml11` adds YAML 1.1's booleans.
pub fn type_of(n: NodeRef, yaml11: bool) -> Ty {
    match n.value() {
        Value::Seq(_) => Ty::Seq,
        Value::Map(_) => Ty::Map,
        Value::Alias(_) => Ty::Null,
        Value::Scalar(s) => {
            if s.style != ScalarStyle::Plain {
                return Ty::Str;
            }
            scalar_type(s.text, yaml11)
        }
    }
}

/// The type of a plain scalar's text. Under `yaml11` it is the type the
/// API server receives after kubectl's YAML 1.1 reader and JSON encoding:
/// `1_000` is an integer, and so is `1.0` (a float with no fraction is
/// encoded as `1`).
pub fn scalar_type(t: &str, yaml11: bool) -> Ty {
    if yaml11 {
        if is_yaml11_bool(t) {
            return Ty::Bool;
        }
        if t.contains('_') && t.bytes().any(|b| b.is_ascii_digit()) {
            let plain: String = t.chars().filter(|c| *c != '_').collect();
            if !plain.contains('_') && plain_is_non_string(&plain) {
                return scalar_type(&plain, true);
            }
        }
    }
    if !plain_is_non_string(t) {
        return Ty::Str;
    }
    if crate::yaml::is_null_text(t) {
        return Ty::Null;
    }
    if matches!(t, "true" | "True" | "TRUE" | "false" | "False" | "FALSE") {
        return Ty::Bool;
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let integer = body.starts_with("0x")
        || body.starts_with("0o")
        || body.bytes().all(|b| b.is_ascii_digit());
    // kubectl encodes a float with no fraction as an integer (`1.0` as `1`).
    let integral =
        || number(t).is_some_and(|x| x.is_finite() && x.fract() == 0.0 && x.abs() < 9.0e15);
    if integer || (yaml11 && integral()) {
        Ty::Int
    } else {
        Ty::Float
    }
}

/// The numeric value of a plain number, if it has one that fits an `f64`.
pub fn number(t: &str) -> Option<f64> {
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = if let Some(h) = body.strip_prefix("0x") {
        i128::from_str_radix(h, 16).ok()? as f64
    } else if let Some(o) = body.strip_prefix("0o") {
        i128::from_str_radix(o, 8).ok()? as f64
    } else {
        let body: std::borrow::Cow<str> = if body.contains('_') {
            body.replace('_', "").into()
        } else {
            body.into()
        };
        match &*body {
            ".inf" | ".Inf" | ".INF" => f64::INFINITY,
            ".nan" | ".NaN" | ".NAN" => f64::NAN,
            _ => body.parse::<f64>().ok()?,
        }
    };
    Some(if neg { -v } else { v })
}

/// The boolean value of a boolean's text.
pub fn boolean(t: &str) -> bool {
    matches!(
        t,
        "true" | "True" | "TRUE" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "y" | "Y"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_of_plain_scalars() {
        for (t, ty) in [
            ("three", Ty::Str),
            ("3", Ty::Int),
            ("-3", Ty::Int),
            ("0x1F", Ty::Int),
            ("3.0", Ty::Float),
            ("1e3", Ty::Float),
            (".inf", Ty::Float),
            ("", Ty::Null),
            ("~", Ty::Null),
            ("true", Ty::Bool),
            ("yes", Ty::Str),
            ("1.30", Ty::Float),
            ("v1", Ty::Str),
        ] {
            assert_eq!(scalar_type(t, false), ty, "{t}");
        }
        assert_eq!(scalar_type("yes", true), Ty::Bool);
        assert_eq!(scalar_type("Off", true), Ty::Bool);
        // goyaml.v2, kubectl's reader, reads y and n as booleans too.
        assert_eq!(scalar_type("y", true), Ty::Bool);
        assert_eq!(scalar_type("y", false), Ty::Str);
        assert_eq!(scalar_type("1_000", true), Ty::Int);
        assert_eq!(scalar_type("1_000", false), Ty::Str);
        assert_eq!(scalar_type("1.0", true), Ty::Int);
        assert_eq!(scalar_type("1.5", true), Ty::Float);
        assert_eq!(scalar_type("1.0", false), Ty::Float);
    }

    #[test]
    fn numbers() {
        assert_eq!(number("42"), Some(42.0));
        assert_eq!(number("-0x10"), Some(-16.0));
        assert_eq!(number("0o17"), Some(15.0));
        assert_eq!(number("1.5e2"), Some(150.0));
        assert_eq!(number("x"), None);
        assert!(boolean("On") && !boolean("false"));
    }
}
