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

/// Rules defined by data rather than code (policies): their metadata made
/// `'static` once per distinct content, so findings, the config and the
/// outputs treat them as they treat the binary's own rules. A process
/// registers each policy rule once per content it sees (a run's policies, or
/// a test's), so what is kept is bounded by the policies read.
pub mod registry {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use super::{RuleMeta, Severity};

    fn table() -> &'static Mutex<HashMap<String, Vec<&'static RuleMeta>>> {
        static TABLE: OnceLock<Mutex<HashMap<String, Vec<&'static RuleMeta>>>> = OnceLock::new();
        TABLE.get_or_init(Default::default)
    }

    /// What a data-defined rule is.
    pub struct Defined<'a> {
        pub id: &'a str,
        pub severity: Severity,
        pub category: &'static str,
        pub summary: &'a str,
        /// Markdown, each line with one leading space (as a doc comment's).
        pub doc: &'a str,
    }

    /// The rule's `'static` metadata: the one registered with this content,
    /// or a new one, which `find` returns from then on.
    pub fn register(d: Defined) -> &'static RuleMeta {
        let mut t = table().lock().unwrap_or_else(|e| e.into_inner());
        let same = |m: &&&'static RuleMeta| {
            m.default_severity == d.severity
                && m.category == d.category
                && m.summary == d.summary
                && m.doc == d.doc
        };
        let list = t.entry(d.id.to_string()).or_default();
        if let Some(pos) = list.iter().position(|m| same(&m)) {
            let m = list.remove(pos);
            list.push(m);
            return m;
        }
        let leak = |s: &str| -> &'static str { Box::leak(s.to_string().into_boxed_str()) };
        let id = list.first().map_or_else(|| leak(d.id), |m| m.id);
        let meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
            id,
            default_severity: d.severity,
            category: d.category,
            summary: leak(d.summary),
            doc: leak(d.doc),
            always_on: false,
        }));
        list.push(meta);
        meta
    }

    /// The data-defined rule registered last under `id`.
    pub fn find(id: &str) -> Option<&'static RuleMeta> {
        let t = table().lock().unwrap_or_else(|e| e.into_inner());
        t.get(id).and_then(|l| l.last().copied())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn same_content_same_meta_new_content_replaces() {
            let d = |summary| Defined {
                id: "registry-test/rule",
                severity: Severity::Warning,
                category: "policy",
                summary,
                doc: " # x\n",
            };
            let a = register(d("one"));
            assert!(std::ptr::eq(a, register(d("one"))));
            let b = register(d("two"));
            assert!(!std::ptr::eq(a, b));
            assert!(std::ptr::eq(a.id, b.id), "the id is kept once");
            assert!(std::ptr::eq(find("registry-test/rule").unwrap(), b));
            assert!(std::ptr::eq(register(d("one")), a));
            assert!(std::ptr::eq(find("registry-test/rule").unwrap(), a));
            assert!(find("registry-test/none").is_none());
        }
    }
}
