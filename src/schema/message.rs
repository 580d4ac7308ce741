//! Violations in words people read: where the node is ("in container
//! "web"", "in spec.template"), what was expected ("an integer"), what was
//! found ("the string "three""), never raw validator output.

use super::compile::types;
use super::value::Ty;
use crate::yaml::NodeRef;

/// One step from the document root to a node.
#[derive(Clone, Copy)]
pub enum Seg<'d, 's> {
    Key(&'d str),
    /// An item of a list: its index and node.
    Item(usize, NodeRef<'d, 's>),
}

/// Keys under which a value may be a secret: values there are never quoted.
const SENSITIVE: &[&str] = &[
    "env",
    "data",
    "stringData",
    "secrets",
    "with",
    "password",
    "token",
    "value",
    "values",
    "encryptedData",
    "auth",
    "credentials",
    "headers",
];

/// The longest value or key a message quotes.
const MAX_QUOTED: usize = 60;

/// How a message names the node at the end of `path`: its key, or
/// `list[i]` for a list item.
pub fn label(path: &[Seg]) -> String {
    match path {
        [] => "the document".to_string(),
        [.., Seg::Key(k)] => quoted_key(k),
        [.., Seg::Key(k), Seg::Item(i, _)] => format!("{}[{i}]", quoted_key(k)),
        [.., Seg::Item(i, _)] => format!("item {i}"),
    }
}

/// The nearest enclosing list item with a `name` (`container "web"`), for
/// a node at the end of `path` (the node itself included when `inclusive`).
pub fn named_context(path: &[Seg], inclusive: bool) -> Option<String> {
    let end = if inclusive {
        path.len()
    } else {
        path.len().saturating_sub(1)
    };
    let path = &path[..end];
    for i in (0..path.len()).rev() {
        if let Seg::Item(_, node) = path[i] {
            let list = match i.checked_sub(1).map(|j| path[j]) {
                Some(Seg::Key(k)) => k,
                _ => continue,
            };
            let Some(name) = node.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            if name.is_empty() || name.len() > MAX_QUOTED || name.chars().any(char::is_control) {
                return None;
            }
            return Some(format!("{} \"{name}\"", singular(list)));
        }
    }
    None
}

/// Where an object's fields are: its named context, else its path from the
/// root (`spec.template.spec`), else the top level.
pub fn place(path: &[Seg]) -> String {
    if let Some(c) = named_context(path, true) {
        return c;
    }
    if path.is_empty() {
        return "the top level".to_string();
    }
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(&quoted_key(k));
            }
            Seg::Item(i, _) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// "containers" → "container", "initContainers" → "init container".
pub fn singular(list: &str) -> String {
    let mut words = String::new();
    for (i, c) in list.char_indices() {
        if c.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(c.to_ascii_lowercase());
    }
    if let Some(stem) = words.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if words.ends_with(suffix) {
            words.truncate(words.len() - 2);
            return words;
        }
    }
    if words.ends_with('s') && !words.ends_with("ss") {
        words.pop();
    }
    words
}

/// A key as a message shows it: shortened when long, control characters
/// left to the output layer's escaping.
pub fn quoted_key(k: &str) -> String {
    if k.chars().count() > MAX_QUOTED {
        let head: String = k.chars().take(MAX_QUOTED).collect();
        format!("{head}…")
    } else {
        k.to_string()
    }
}

/// "an integer", "a string or an integer": what the `types` bits allow.
pub fn expected(bits: u8, int_or_string: bool) -> String {
    if int_or_string {
        return "an integer or a string".to_string();
    }
    let mut names = Vec::new();
    for (bit, name) in [
        (types::STR, "a string"),
        (types::INT, "an integer"),
        (types::NUM, "a number"),
        (types::BOOL, "a boolean"),
        (types::ARR, "a list"),
        (types::OBJ, "a mapping"),
    ] {
        if bits & bit != 0 {
            // "a number" already covers integers.
            if bit == types::INT && bits & types::NUM != 0 {
                continue;
            }
            names.push(name);
        }
    }
    match names.len() {
        0 => "empty".to_string(),
        1 => names[0].to_string(),
        n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
    }
}

/// "the string "three"", or "a string" where the value may be a secret or
/// is too long to quote.
pub fn found(n: NodeRef, ty: Ty, path: &[Seg], quote: bool) -> String {
    let text = n.as_str().unwrap_or("");
    let quotable =
        matches!(ty, Ty::Str | Ty::Int | Ty::Float | Ty::Bool) && may_quote(text, path, quote);
    match (ty, quotable) {
        (Ty::Str, true) => format!("the string \"{text}\""),
        (Ty::Str, false) => "a string".to_string(),
        (Ty::Int | Ty::Float | Ty::Bool, true) => format!("{} {text}", ty.noun()),
        (Ty::Int, false) => "an integer".to_string(),
        (Ty::Float, false) => "a number".to_string(),
        (Ty::Bool, false) => "a boolean".to_string(),
        _ => ty.noun().to_string(),
    }
}

/// `, got "text"` where the value may be shown, else nothing.
pub fn got(text: &str, path: &[Seg], quote: bool) -> String {
    if may_quote(text, path, quote) {
        format!(", got \"{text}\"")
    } else {
        String::new()
    }
}

/// Whether a value may be shown in a message at all (see [`found`]).
pub fn may_quote(text: &str, path: &[Seg], quote: bool) -> bool {
    quote
        && !path
            .iter()
            .any(|s| matches!(s, Seg::Key(k) if SENSITIVE.contains(k)))
        && !text.is_empty()
        && text.chars().count() <= MAX_QUOTED
        && !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singulars() {
        for (p, s) in [
            ("containers", "container"),
            ("initContainers", "init container"),
            ("volumeMounts", "volume mount"),
            ("policies", "policy"),
            ("addresses", "address"),
            ("env", "env"),
            ("steps", "step"),
        ] {
            assert_eq!(singular(p), s);
        }
    }

    #[test]
    fn expected_types() {
        assert_eq!(expected(types::INT, false), "an integer");
        assert_eq!(
            expected(types::STR | types::INT | types::NUM, false),
            "a string or a number"
        );
        assert_eq!(
            expected(types::STR | types::ARR | types::OBJ, false),
            "a string, a list or a mapping"
        );
        assert_eq!(expected(0, true), "an integer or a string");
    }
}
