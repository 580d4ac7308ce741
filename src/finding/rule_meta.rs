//! A rule's identity and documentation, and `declare_rule!`, which makes a
//! rule's doc comment its documentation. Below the rule registry: findings
//! and the config speak of rules without knowing which rules exist.

use super::Severity;

/// A rule's identity and documentation.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case id.
    pub id: &'static str,
    pub default_severity: Severity,
    /// Domain: `yaml`, `image`, `secrets`, `workflow`, `namespace`, `meta`.
    pub category: &'static str,
    pub summary: &'static str,
    /// The doc comment, verbatim (each line keeps rustdoc's leading space).
    pub doc: &'static str,
    /// Engine rules cannot be turned off (`invalid-yaml`, `io-error`, `invalid-config`).
    pub always_on: bool,
}

impl RuleMeta {
    /// The documentation as Markdown, without rustdoc's leading spaces.
    pub fn markdown(&self) -> String {
        let mut out = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out
    }
}

/// Declares a rule's unit struct and its `META`, taking the doc comment as its documentation.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis struct $name:ident {
            id: $id:literal,
            severity: $sev:ident,
            category: $cat:literal,
            summary: $summary:literal
            $(, always_on: $always:literal)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        $vis struct $name;
        impl $name {
            pub const META: $crate::finding::RuleMeta = $crate::finding::RuleMeta {
                id: $id,
                default_severity: $crate::finding::Severity::$sev,
                category: $cat,
                summary: $summary,
                doc: concat!($($doc, "\n"),*),
                always_on: false $(|| $always)?,
            };
        }
    };
}
