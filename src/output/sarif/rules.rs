//! `tool.driver.rules`: every rule of the registry, described from its own
//! documentation (the doc comment `declare_rule!` keeps), so SARIF says
//! nothing the rule's docs do not.
//!
//! There is no `helpUri`: the crate publishes no documentation site, and a
//! URL we cannot vouch for would be worse than none. `help` carries the
//! whole documentation instead.

use std::collections::HashMap;

use super::model::{Configuration, Help, Rule, Tags, Text};
use crate::finding::{RuleMeta, Severity};

/// Rules about what an attacker could do with the repository or the
/// cluster (supply chain, credentials, privilege), tagged `security`.
const SECURITY: &[&str] = &[
    "unpinned-image",
    "untrusted-registry",
    "pull-mode-cluster-credentials",
    "operator-namespace",
    "link-outside-repository",
];

/// SARIF's level for a severity.
pub fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The rules, in registry order (by id), then the other rules `named`
/// (the user's policy rules, by id), and each id's index among them.
pub fn descriptors(
    named: impl Iterator<Item = &'static str>,
) -> (Vec<Rule>, HashMap<&'static str, usize>) {
    let mut all = crate::rules::all();
    let mut extra: Vec<&'static RuleMeta> = named
        .filter(|id| all.binary_search_by(|m| m.id.cmp(id)).is_err())
        .filter_map(crate::rules::find)
        .collect();
    extra.sort_by_key(|m| m.id);
    extra.dedup_by_key(|m| m.id);
    all.extend(extra);
    let index = all.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    (all.into_iter().map(descriptor).collect(), index)
}

fn descriptor(m: &'static RuleMeta) -> Rule {
    let markdown = m.markdown();
    let mut tags = vec![m.category];
    if SECURITY.contains(&m.id) {
        tags.push("security");
    }
    Rule {
        id: m.id,
        name: pascal_case(m.id),
        short_description: Text::new(m.summary),
        full_description: Text::new(first_paragraph(&markdown)),
        help: Help {
            text: markdown.clone(),
            markdown,
        },
        default_configuration: Configuration {
            level: level(m.default_severity),
        },
        properties: Tags { tags },
    }
}

/// `unpinned-image` → `UnpinnedImage`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .flat_map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(chars)
        })
        .collect()
}

/// The first paragraph after the `# id` title, its lines joined (a list
/// item starts a new line).
fn first_paragraph(markdown: &str) -> String {
    let mut out = String::new();
    let lines = markdown
        .lines()
        .skip_while(|l| l.trim().is_empty() || l.starts_with("# "))
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim);
    for line in lines {
        if !out.is_empty() {
            out.push(if line.starts_with("- ") { '\n' } else { ' ' });
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_come_from_the_docs() {
        assert_eq!(
            pascal_case("pull-mode-cluster-credentials"),
            "PullModeClusterCredentials"
        );
        let md =
            "# io-error\n\nA file that was found\nbut could not be read.\n\n## Why\nBecause.\n";
        assert_eq!(
            first_paragraph(md),
            "A file that was found but could not be read."
        );
        let list = "# x\n\nNone of:\n- a\n  b;\n- c.\n\nMore.\n";
        assert_eq!(first_paragraph(list), "None of:\n- a b;\n- c.");
        let (rules, index) = descriptors(std::iter::empty());
        assert_eq!(rules.len(), crate::rules::all().len());
        for (i, r) in rules.iter().enumerate() {
            assert_eq!(index[r.id], i);
            assert!(!r.full_description.text.is_empty(), "{}", r.id);
            assert!(!r.full_description.text.starts_with('#'), "{}", r.id);
        }
        // Every id tagged `security` is a real rule.
        for id in SECURITY {
            assert!(index.contains_key(id), "{id}");
        }
    }
}
