//! Kyverno's own policy library as a test of the pattern matcher, the
//! rule matching and the JMESPath logic: every `kyverno-test.yaml` of
//! `../shared/corpus/kyverno__policies` whose rule the crate decides offline
//! is replayed: the policy is read with `Policy::read`, each resource
//! matched with `Policy::applies` (kinds, names, namespaces, selectors,
//! exclude), and the verdicts compared with the results the test expects.
//! A resource the rule does not apply to is a `skip` (Kyverno's CLI shows
//! it as excluded). Results on pod controllers through auto-generated rules
//! are replayed on the pod template and counted apart. Rules with
//! `context`, `preconditions`, `deny`, `foreach` or `{{ }}` variables
//! (`Check::Logic`) are counted by family (deny, foreach, pattern, and
//! those with preconditions), pod controllers included; what needs the
//! cluster is left out, with the reason. The test's `variables:` values
//! files are not read (the request is a `CREATE`).

mod common;
#[path = "common/kyverno_suite.rs"]
mod kyverno_suite;

use std::collections::BTreeMap;
use std::path::Path;

use kyverno_suite::{find_tests, listed_files};
use shipshape::policy::kyverno::{
    validate_any_pattern, validate_pattern, Applies, Check, Policy, Verdict,
};
use shipshape::yaml::{parse_stream, Limits};

struct Outcome {
    /// Results on pod controllers for rules written for Pods, replayed on
    /// the pod template as Kyverno's auto-generated rules apply them.
    autogen_kept: usize,
    autogen_same: usize,
    /// Result entries read, and those left out by reason.
    entries: usize,
    left_out: BTreeMap<String, usize>,
    kept: usize,
    /// Kept results by expected verdict.
    expected: BTreeMap<String, usize>,
    same: usize,
    unresolved: usize,
    /// Kept results for resources the rule does not apply to.
    not_applied: usize,
    mismatches: Vec<String>,
    /// Rules with `context`, `preconditions`, `deny`, `foreach` or `{{ }}`
    /// variables (`Check::Logic`), by family: (kept, reproduced).
    families: BTreeMap<String, (usize, usize)>,
    logic_mismatches: Vec<String>,
}

/// The namespace Kyverno's CLI gives a resource (`default` when it names none).
fn resource_namespace<'a>(doc: shipshape::yaml::NodeRef<'a, '_>) -> &'a str {
    doc.str_at(&["metadata", "namespace"]).unwrap_or("default")
}

fn replay(test: &Path, root: &Path, out: &mut Outcome) {
    let dir = test.parent().unwrap();
    let text = std::fs::read_to_string(test).unwrap_or_default();
    let parsed = parse_stream(&text, &Limits::default());
    let Some(t) = parsed.docs.first().and_then(|d| d.root()) else {
        return;
    };
    let read = |key: &str| listed_files(t, dir, key);
    let policy_texts = read("policies");
    let resource_texts = read("resources");
    let policy_streams: Vec<_> = policy_texts
        .iter()
        .map(|s| parse_stream(s, &Limits::default()))
        .collect();
    let policies: Vec<Policy> = policy_streams
        .iter()
        .flat_map(|p| &p.docs)
        .filter_map(|d| Policy::read(d.root()?).ok())
        .collect();
    let resources: Vec<_> = resource_texts
        .iter()
        .map(|s| parse_stream(s, &Limits::default()))
        .collect();
    let rel = test
        .strip_prefix(root)
        .unwrap_or(test)
        .display()
        .to_string();
    for r in t.get("results").into_iter().flat_map(|l| l.items()) {
        let (Some(pol), Some(rule), Some(kind), Some(want)) = (
            r.str_at(&["policy"]),
            r.str_at(&["rule"]),
            r.str_at(&["kind"]),
            r.str_at(&["result"]),
        ) else {
            continue;
        };
        out.entries += 1;
        let pol = pol.rsplit('/').next().unwrap_or(pol);
        let Some((policy, rule_node)) = policies.iter().find_map(|p| {
            (p.name == pol).then_some(())?;
            p.rule(rule).map(|r| (p, r))
        }) else {
            *out.left_out
                .entry("rule not found (misspelt, or not a kyverno.io policy)".into())
                .or_default() += 1;
            continue;
        };
        if let Check::Invalid { message, .. } = &rule_node.check {
            *out.left_out
                .entry(format!("invalid: {message}"))
                .or_default() += 1;
            continue;
        }
        if let Check::Undecidable(why) = &rule_node.check {
            // Counted in results (one per resource), as docs/policies.md reports them.
            let n = match r.get("resources") {
                Some(l) => l.items().count(),
                None => usize::from(r.get("resource").is_some()),
            };
            *out.left_out.entry(why.clone()).or_default() += n;
            continue;
        }
        let names: Vec<&str> = match r.get("resources") {
            Some(l) => l.items().filter_map(|i| i.as_str()).collect(),
            None => r.str_at(&["resource"]).into_iter().collect(),
        };
        for name in names {
            let name = name.rsplit('/').next().unwrap_or(name);
            let doc = resources.iter().flat_map(|p| &p.docs).find_map(|d| {
                let root = d.root()?;
                (root.str_at(&["kind"]) == Some(kind)
                    && root.str_at(&["metadata", "name"]) == Some(name))
                .then_some(root)
            });
            let Some(doc) = doc else {
                out.unresolved += 1;
                continue;
            };
            let (at, applied) = match policy.applies(rule_node, doc) {
                Applies::Yes { at, rule } => (at, rule),
                Applies::Unknown(_) => {
                    *out.left_out
                        .entry("match needs cluster state".into())
                        .or_default() += 1;
                    continue;
                }
                // Kyverno returns no rule response; its CLI shows the
                // resource as excluded, which a test writes as `skip`.
                Applies::No(why) => {
                    out.not_applied += 1;
                    (None, format!("not applied: {why}"))
                }
            };
            let direct = applied == rule_node.name || applied.starts_with("not applied");
            let verdict = match (at, &rule_node.check) {
                (None, _) if applied.starts_with("not applied") => {
                    Verdict::Skip { reason: applied }
                }
                (None, _) => Verdict::Fail {
                    at: doc.span(),
                    message: "no pod template".into(),
                },
                (Some(doc), Check::Pattern(p)) => validate_pattern(doc, p),
                (Some(doc), Check::AnyPattern(list)) => validate_any_pattern(doc, list),
                (Some(at), Check::Logic(l)) => {
                    let ns = resource_namespace(doc);
                    l.decide(doc, at, ns)
                }
                (Some(_), Check::Undecidable(why) | Check::Invalid { message: why, .. }) => {
                    Verdict::Error {
                        message: why.clone(),
                    }
                }
            };
            let (got, why) = match &verdict {
                Verdict::Pass => ("pass", String::new()),
                Verdict::Fail { message, .. } => ("fail", message.clone()),
                Verdict::Skip { reason } => ("skip", reason.clone()),
                Verdict::Error { message } => ("error", message.clone()),
            };
            let want = if want == "warn" { "fail" } else { want };
            if let Check::Logic(l) = &rule_node.check {
                let mut families = vec![l.family()];
                if l.has_preconditions() {
                    families.push("preconditions");
                }
                for f in families {
                    let e = out.families.entry(f.to_string()).or_default();
                    e.0 += 1;
                    e.1 += usize::from(got == want);
                }
                if got != want {
                    out.logic_mismatches.push(format!(
                        "[{}] {rel} | {pol} | {rule} | {kind}/{name} | expected {want} | got {got}: {why}",
                        l.family()
                    ));
                }
                continue;
            }
            if !direct {
                out.autogen_kept += 1;
                out.autogen_same += usize::from(got == want);
                if got != want {
                    out.mismatches.push(format!(
                        "[autogen] {rel} | {pol} | {rule} | {kind}/{name} | expected {want} | got {got}: {why}"
                    ));
                }
                continue;
            }
            out.kept += 1;
            *out.expected.entry(want.to_string()).or_default() += 1;
            if got == want {
                out.same += 1;
            } else {
                out.mismatches.push(format!(
                    "{rel} | {pol} | {rule} | {kind}/{name} | expected {want} | got {got}: {why}"
                ));
            }
        }
    }
}

#[test]
fn kyverno_policy_library_patterns() {
    let Some(root) = common::shared("corpus/kyverno__policies") else {
        eprintln!("note: ../shared/corpus/kyverno__policies is absent; skipped");
        return;
    };
    let mut tests = Vec::new();
    find_tests(&root, &mut tests);
    let mut out = Outcome {
        autogen_kept: 0,
        autogen_same: 0,
        entries: 0,
        left_out: BTreeMap::new(),
        kept: 0,
        expected: BTreeMap::new(),
        same: 0,
        unresolved: 0,
        not_applied: 0,
        mismatches: Vec::new(),
        families: BTreeMap::new(),
        logic_mismatches: Vec::new(),
    };
    for t in &tests {
        replay(t, &root, &mut out);
    }
    let share = out.same as f64 / out.kept.max(1) as f64;
    let mut by_expected: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &out.mismatches {
        let e = m.split(" | expected ").nth(1).unwrap_or("");
        *by_expected
            .entry(e.split(' ').next().unwrap_or(""))
            .or_default() += 1;
    }
    println!(
        "test files {} | kept results (one per resource) {} | reproduced {} | share {:.3} | resources not found {} | rule not applied (expected skip) {}",
        tests.len(),
        out.kept,
        out.same,
        share,
        out.unresolved,
        out.not_applied
    );
    let autogen_share = out.autogen_same as f64 / out.autogen_kept.max(1) as f64;
    println!(
        "pod controllers (autogen): kept {} | reproduced {} | share {autogen_share:.3}",
        out.autogen_kept, out.autogen_same
    );
    println!(
        "result entries {} | results left out, by reason: {:?}",
        out.entries, out.left_out
    );
    println!("kept results by expected verdict: {:?}", out.expected);
    println!("mismatches by expected result: {by_expected:?}");
    for m in out.mismatches.iter().take(20) {
        println!("  {m}");
    }
    println!("rules with context, preconditions, deny, foreach or variables, by family (kept, reproduced, share):");
    for (f, (kept, same)) in &out.families {
        println!(
            "  {f}: {kept} | {same} | {:.3}",
            *same as f64 / (*kept).max(1) as f64
        );
    }
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for m in &out.logic_mismatches {
        let why = m.split(" | got ").nth(1).unwrap_or("");
        let why: String = why.chars().take(90).collect();
        *reasons.entry(why).or_default() += 1;
    }
    println!("logic mismatches by verdict and reason: {reasons:?}");
    for m in out.logic_mismatches.iter().take(60) {
        println!("  {m}");
    }
    for (family, least, floor) in [
        ("deny", 350, 0.98),
        ("foreach", 190, 0.99),
        ("pattern", 35, 0.95),
        ("preconditions", 440, 0.98),
    ] {
        let (kept, same) = out.families.get(family).copied().unwrap_or_default();
        let share = same as f64 / kept.max(1) as f64;
        assert!(kept >= least, "too few {family} results kept: {kept}");
        assert!(
            share >= floor,
            "{family} share {share:.3} fell below {floor}"
        );
    }
    assert!(out.kept >= 510, "too few results kept: {}", out.kept);
    assert!(share >= 0.995, "share {share:.3} fell below the floor");
    assert!(
        out.autogen_kept >= 500,
        "too few pod controller results: {}",
        out.autogen_kept
    );
    assert!(
        autogen_share >= 0.995,
        "pod controller share {autogen_share:.3} fell below the floor"
    );
}
