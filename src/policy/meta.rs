//! A policy rule as a rule: its id (`policy/rule`), severity, summary and
//! documentation, from the policy's annotations (Kyverno's
//! `policies.kyverno.io/title`, `.../severity`, `.../description`, and
//! `shipshape.dev/remediation`) and its own text.

use std::path::PathBuf;

use super::builtin::Builtin;
use super::kyverno::{Policy, Rule};
use crate::finding::rule_meta::registry::{self, Defined};
use crate::finding::{RuleMeta, Severity};
use crate::yaml::{NodeRef, Span};

/// Where a policy was read from.
#[derive(Debug, Clone)]
pub enum Origin {
    Builtin(&'static Builtin),
    File(PathBuf),
}

impl Origin {
    /// As a rule's documentation names it.
    pub fn describe(&self) -> String {
        match self {
            Origin::Builtin(b) => format!("the built-in set `{}` (`{}`)", b.set, b.path()),
            Origin::File(p) => format!("`{}`", p.display()),
        }
    }
}

/// An id part made safe to print and to name in an ignore comment: what is
/// not a letter, digit, `.`, `_` or `-` becomes `-`.
pub fn clean_id(s: &str) -> String {
    let out: String = s
        .chars()
        .take(128)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

/// Kyverno's severity annotation as a finding's severity (`medium` and
/// anything unknown: warning).
pub fn severity(annotation: Option<&str>) -> Severity {
    match annotation.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("high" | "critical") => Severity::Error,
        Some("low" | "info") => Severity::Info,
        _ => Severity::Warning,
    }
}

/// One line of text, safe and short, for a summary.
pub fn one_line(s: &str) -> String {
    let flat: String = s
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    flat
}

/// Text of the policy file without control characters (a doc is printed).
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

/// What a policy rule's metadata is made of, whatever the policy's format.
pub struct Describe<'a> {
    pub policy: &'a str,
    pub rule: &'a str,
    /// The policy's kind as the documentation names it ("Kyverno ClusterPolicy").
    pub kind: &'a str,
    pub annotations: &'a [(String, String)],
    /// The rule's own message, if it has a fixed one.
    pub message: Option<&'a str>,
    /// The rule's extent in `text` (its YAML is the documentation's example).
    pub span: Span,
    /// A rule written for Pods also judges pod controllers.
    pub autogen: bool,
}

impl<'a> Describe<'a> {
    /// A Kyverno pattern rule.
    pub fn kyverno(policy: &'a Policy, rule: &'a Rule) -> Self {
        Describe {
            policy: &policy.name,
            rule: &rule.name,
            kind: if policy.namespace.is_some() {
                "Kyverno Policy"
            } else {
                "Kyverno ClusterPolicy"
            },
            annotations: &policy.annotations,
            message: rule.message.as_deref(),
            span: rule.span,
            autogen: !policy.autogen.is_empty(),
        }
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.annotations
            .iter()
            .find(|(a, _)| a == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Registers the rule's metadata; `text` is the policy file's.
pub fn register(d: &Describe, origin: &Origin, text: &str) -> &'static RuleMeta {
    let id = format!("{}/{}", clean_id(d.policy), clean_id(d.rule));
    let title = d.annotation("policies.kyverno.io/title");
    let summary = one_line(title.or(d.message).unwrap_or("a policy rule"));
    let mut doc = format!("# {id}\n\n{summary}.\n");
    if let Some(why) = d.annotation("policies.kyverno.io/description") {
        doc.push_str(&format!("\n## Why\n\n{}\n", printable(why.trim())));
    }
    if let Some(r) = d.annotation("shipshape.dev/remediation") {
        doc.push_str(&format!("\n## How to fix\n\n{}\n", printable(r.trim())));
    }
    doc.push_str(&format!(
        "\n## Policy\n\nRule `{}` of the {} `{}`, from {}.",
        clean_id(d.rule),
        d.kind,
        clean_id(d.policy),
        origin.describe()
    ));
    if d.autogen {
        doc.push_str(" A rule written for Pods also judges the pod template of pod controllers, as Kyverno's auto-generated rules do.");
    }
    doc.push_str(" Suppress one finding with `# shipshape: ignore[");
    doc.push_str(&id);
    doc.push_str("]`, or set the rule's level under `rules:` in the config.\n");
    let from = (d.span.start as usize).min(text.len());
    let start = text[..from].rfind('\n').map_or(0, |i| i + 1);
    let end = (d.span.end as usize).min(text.len());
    if let Some(body) = text.get(start..end) {
        doc.push_str(&format!(
            "\n## Example\n\nThe rule as written:\n\n```yaml\n{}\n```\n",
            printable(body.trim_end())
        ));
    }
    let doc: String = doc.lines().map(|l| format!(" {l}\n")).collect();
    registry::register(Defined {
        id: &id,
        severity: severity(d.annotation("policies.kyverno.io/severity")),
        category: "policy",
        summary: &summary,
        doc: &doc,
    })
}

/// Where each named rule of the policy document `doc` is in its file: a
/// Kyverno rule's `name` value, else the policy's `metadata.name` value
/// (an admission policy is one rule), else its `kind`.
pub fn rule_sites(doc: NodeRef, names: &[String]) -> Vec<Span> {
    let whole = doc
        .path(&["metadata", "name"])
        .or_else(|| doc.get("kind"))
        .map_or(doc.span(), |n| n.span());
    let rules = doc.path(&["spec", "rules"]);
    names
        .iter()
        .map(|name| {
            rules
                .into_iter()
                .flat_map(|l| l.items())
                .filter_map(|r| r.get("name"))
                .find(|n| n.as_str() == Some(name.as_str()))
                .map_or(whole, |n| n.span())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_printable_and_named() {
        assert_eq!(clean_id("check-pods"), "check-pods");
        assert_eq!(clean_id("a b\u{1b}[31m"), "a-b--31m");
        assert_eq!(clean_id(""), "unnamed");
        assert_eq!(clean_id(&"x".repeat(300)).len(), 128);
    }

    #[test]
    fn severities() {
        assert_eq!(severity(Some("High")), Severity::Error);
        assert_eq!(severity(Some("medium")), Severity::Warning);
        assert_eq!(severity(Some("low")), Severity::Info);
        assert_eq!(severity(None), Severity::Warning);
    }
}
