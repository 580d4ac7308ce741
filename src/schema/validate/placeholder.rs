//! Values filled in before a consumer reads the document: placeholders
//! (`${VAR}`, `$(VAR)`, `{{ .x }}`, `__PORT__`) and unrendered templates.
//! The validator accepts them against any schema.

use crate::yaml::NodeRef;

/// A string that a tool substitutes before the document is applied:
/// `${VAR}`, `$(VAR)`, `{{ .x }}`, and the tokens scripts and release tasks
/// replace: `__PORT__`, `<REPO_NAME>`, `#{Var}#`.
pub fn is_placeholder(t: &str) -> bool {
    t.contains("${") || t.contains("$(") || t.contains("{{") || has_token(t)
}

/// `__NAME__`, `<NAME>` (upper case, digits, `_`, `-`; words of any case
/// joined by `-` or `_` when it is the whole value), or `#{name}#`.
fn has_token(t: &str) -> bool {
    let upper = |s: &str| {
        s.len() >= 2
            && s.bytes().any(|b| b.is_ascii_uppercase())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    };
    let enclosed = |open: &str, close: &str, check: &dyn Fn(&str) -> bool| {
        let mut rest = t;
        while let Some(i) = rest.find(open) {
            let after = &rest[i + open.len()..];
            match after.find(close) {
                Some(j) if check(&after[..j]) => return true,
                Some(_) => rest = after,
                None => return false,
            }
        }
        false
    };
    // A whole value `<your-app-id>` is a placeholder in any case (words
    // joined by `-` or `_`; not `<a>`).
    let whole = t
        .strip_prefix('<')
        .and_then(|r| r.strip_suffix('>'))
        .is_some_and(|s| {
            s.bytes().any(|b| b.is_ascii_alphabetic())
                && s.bytes().any(|b| b == b'_' || b == b'-')
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    whole
        || enclosed("__", "__", &|s| upper(s) && !s.starts_with('_'))
        || enclosed("<", ">", &upper)
        || enclosed("#{", "}#", &|s| {
            !s.is_empty() && !s.contains(char::is_whitespace)
        })
}

/// `{{ x }}` as YAML reads it: a mapping whose only key is a mapping.
pub(super) fn is_go_template(n: NodeRef) -> bool {
    let mut entries = n.entries();
    matches!((entries.next(), entries.next()), (Some((k, _)), None) if k.resolve().is_map())
}
