//! Pipeline variables and parameters with literal values, and expanding
//! `$(name)`, `${{ variables.name }}` and `${{ parameters.name }}` from
//! them. Names are case-insensitive, as Azure Pipelines reads them. What
//! is not known literally (a variable group, a runtime `$[ ]` value, a
//! predefined variable) stays as written.

use std::collections::HashMap;

use super::expr;
use crate::yaml::NodeRef;

#[derive(Debug, Default, Clone)]
pub struct Vars {
    vars: HashMap<String, String>,
    params: HashMap<String, String>,
    /// Variable groups in scope, by name (their contents are not in the repository).
    pub groups: Vec<String>,
}

impl Vars {
    pub fn set(&mut self, name: &str, value: &str) {
        self.vars
            .insert(name.to_ascii_lowercase(), value.to_string());
    }

    pub fn set_param(&mut self, name: &str, value: &str) {
        self.params
            .insert(name.to_ascii_lowercase(), value.to_string());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Reads a `variables:` node, map or list form, over what is known.
    pub fn read_variables(&mut self, node: Option<NodeRef>) {
        let Some(node) = node else { return };
        if node.is_map() {
            for (k, v) in expr::entries(node.resolve()) {
                if let (Some(name), Some(value)) = (k.as_str(), v.as_str()) {
                    self.set(name, value);
                } else if let (Some(name), Some(value)) = (k.as_str(), v.get("value")) {
                    // `name: { value: x, readonly: true }`
                    if let Some(value) = value.as_str() {
                        self.set(name, value);
                    }
                }
            }
            return;
        }
        for item in expr::items(node.resolve()) {
            if let (Some(name), Some(value)) = (
                expr::get_str(item, "name"),
                expr::get(item, "value").and_then(|v| v.as_str()),
            ) {
                self.set(name, value);
            } else if let Some(group) = expr::get_str(item, "group") {
                self.groups.push(group.to_string());
            }
        }
    }

    /// Reads `parameters:` defaults, list form (`- name: x, default: y`) or
    /// the legacy map form (`x: y`).
    pub fn read_parameters(&mut self, node: Option<NodeRef>) {
        let Some(node) = node else { return };
        if node.is_map() {
            for (k, v) in expr::entries(node.resolve()) {
                if let (Some(name), Some(value)) = (k.as_str(), v.as_str()) {
                    self.set_param(name, value);
                }
            }
            return;
        }
        for item in expr::items(node.resolve()) {
            if let (Some(name), Some(value)) = (
                expr::get_str(item, "name"),
                expr::get(item, "default").and_then(|v| v.as_str()),
            ) {
                self.set_param(name, value);
            }
        }
    }

    /// Substitutes what is known, leaving the rest as written. Values are
    /// expanded once more (`a: $(b)-x`); no deeper.
    pub fn expand(&self, s: &str) -> String {
        let once = self.expand_once(s);
        if once != s && once.contains('$') {
            self.expand_once(&once)
        } else {
            once
        }
    }

    fn expand_once(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            let (whole, value) =
                if let Some(end) = tail.strip_prefix("${{").and_then(|t| t.find("}}")) {
                    let whole = &tail[..3 + end + 2];
                    (whole, self.lookup_expr(tail[3..3 + end].trim()))
                } else if let Some(name) = macro_name(tail) {
                    (&tail[..name.len() + 3], self.get(name))
                } else {
                    (&tail[..1], None)
                };
            out.push_str(value.unwrap_or(whole));
            rest = &tail[whole.len()..];
        }
        out.push_str(rest);
        out
    }

    fn lookup_expr(&self, expr: &str) -> Option<&str> {
        let (map, name) = if let Some(n) = expr.strip_prefix("variables") {
            (&self.vars, n)
        } else if let Some(n) = expr.strip_prefix("parameters") {
            (&self.params, n)
        } else {
            return None;
        };
        let name = match name.strip_prefix('.') {
            Some(n) => n,
            None => name
                .strip_prefix('[')?
                .strip_suffix(']')?
                .trim()
                .trim_matches(|c| c == '\'' || c == '"'),
        };
        map.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// The name of a `$(name)` macro at the start of `s`.
pub fn macro_name(s: &str) -> Option<&str> {
    let body = s.strip_prefix("$(")?;
    let len = body
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        .count();
    (body.as_bytes().get(len) == Some(&b')') && len > 0).then(|| &body[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_literals_only() {
        let mut v = Vars::default();
        v.set("containerRegistry", "contoso.azurecr.io");
        v.set("image", "$(containerRegistry)/web");
        v.set_param("env", "dev");
        assert_eq!(
            v.expand("$(IMAGE):$(Build.BuildId)"),
            "contoso.azurecr.io/web:$(Build.BuildId)"
        );
        assert_eq!(
            v.expand("k8s/${{ parameters.env }}/${{ parameters['ENV'] }}/${{ variables.image }}"),
            "k8s/dev/dev/contoso.azurecr.io/web"
        );
        assert_eq!(
            v.expand("${{ parameters.x }} $ $[ a ] $(x"),
            "${{ parameters.x }} $ $[ a ] $(x"
        );
    }
}
