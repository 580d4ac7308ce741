//! Kyverno's own policy library as a test of the CEL engine: every
//! `kyverno-test.yaml` of `../shared/corpus/kyverno__policies` whose policy
//! is a ValidatingPolicy, a ValidatingAdmissionPolicy or a ClusterPolicy
//! with `validate.cel` rules is replayed: the policy compiled with
//! `policy::cel::compile`, each resource judged with `CelPolicy::evaluate`,
//! and the verdicts compared with the results the test expects, per family.
//! A rule that does not apply is a `skip` (Kyverno's CLI shows the resource
//! as excluded). Results the engine cannot decide offline (the expression
//! reads the cluster, the requesting user, a namespace object or params
//! that the test gives the CLI and we do not) are left out and counted by
//! reason. Namespaces a test's values file lists are given as
//! `namespaceObject`.
//!
//! The library has no ValidatingAdmissionPolicy tests; the corpus's two
//! plain-YAML VAPs (GKE's compute class samples) are judged on resources
//! written here, with the verdicts Kubernetes' admission semantics give.

mod common;
#[path = "common/kyverno_suite.rs"]
mod kyverno_suite;

use std::collections::BTreeMap;
use std::path::Path;

use kyverno_suite::{find_tests, listed_files};
use shipshape::policy::cel::{
    compile, is_binding, Binding, CelPolicy, Family, ParamObject, Params,
};
use shipshape::policy::kyverno::Verdict;
use shipshape::yaml::{parse_stream, Limits};

#[derive(Default)]
struct Tally {
    kept: usize,
    same: usize,
    /// Kept results on pod controllers (auto-generated rules).
    autogen_kept: usize,
    autogen_same: usize,
}

#[derive(Default)]
struct Outcome {
    tests: usize,
    by_family: BTreeMap<Family, Tally>,
    left_out: BTreeMap<String, usize>,
    compile_errors: Vec<String>,
    unresolved: usize,
    mismatches: Vec<String>,
}

/// A skip that says the engine cannot decide offline, not a verdict.
fn undecidable(reason: &str) -> bool {
    !(reason.starts_with("match condition") || reason.contains("does not apply"))
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::ValidateCel => "validate.cel",
        Family::ValidatingPolicy => "ValidatingPolicy",
        Family::ValidatingAdmissionPolicy => "ValidatingAdmissionPolicy",
    }
}

fn replay(test: &Path, root: &Path, out: &mut Outcome) {
    let dir = test.parent().unwrap();
    let text = std::fs::read_to_string(test).unwrap_or_default();
    let parsed = parse_stream(&text, &Limits::default());
    let Some(t) = parsed.docs.first().and_then(|d| d.root()) else {
        return;
    };
    let read = |key: &str| listed_files(t, dir, key);
    let rel = test
        .strip_prefix(root)
        .unwrap_or(test)
        .display()
        .to_string();
    let policy_texts = read("policies");
    let streams: Vec<_> = policy_texts
        .iter()
        .map(|s| parse_stream(s, &Limits::default()))
        .collect();
    let mut policies: Vec<CelPolicy> = Vec::new();
    for d in streams.iter().flat_map(|p| &p.docs) {
        let Some(root) = d.root() else { continue };
        match compile(root) {
            Ok(Some(p)) => policies.push(p),
            Ok(None) => {}
            Err(e) => out.compile_errors.push(format!("{rel}: {}", e.message)),
        }
    }
    if policies.is_empty() {
        return;
    }
    out.tests += 1;
    // The namespaces a values file gives the CLI (`namespaceObject`).
    let values_text = t
        .str_at(&["variables"])
        .and_then(|v| std::fs::read_to_string(dir.join(v)).ok())
        .unwrap_or_default();
    let values = parse_stream(&values_text, &Limits::default());
    let namespaces: Vec<_> = values
        .docs
        .first()
        .and_then(|d| d.root())
        .and_then(|v| v.get("namespaces"))
        .map(|l| l.items().collect())
        .unwrap_or_default();
    let resource_texts = read("resources");
    let resources: Vec<_> = resource_texts
        .iter()
        .map(|s| parse_stream(s, &Limits::default()))
        .collect();
    for r in t.get("results").into_iter().flat_map(|l| l.items()) {
        let (Some(pol), Some(kind), Some(want)) = (
            r.str_at(&["policy"]),
            r.str_at(&["kind"]),
            r.str_at(&["result"]),
        ) else {
            continue;
        };
        let pol = pol.rsplit('/').next().unwrap_or(pol);
        let Some(policy) = policies.iter().find(|p| p.name == pol) else {
            continue;
        };
        let rule = r.str_at(&["rule"]).unwrap_or(pol);
        let rules = policy.rule_names();
        let base = rule
            .strip_prefix("autogen-cronjob-")
            .or_else(|| rule.strip_prefix("autogen-"))
            .unwrap_or(rule);
        if policy.family == Family::ValidateCel && !rules.iter().any(|n| n == base) {
            continue; // a pattern rule of the same policy
        }
        let names: Vec<&str> = match r.get("resources") {
            Some(l) => l.items().filter_map(|i| i.as_str()).collect(),
            None => r.str_at(&["resource"]).into_iter().collect(),
        };
        let want = match want.trim() {
            "warn" => "fail",
            w => w,
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
            let ns = doc.str_at(&["metadata", "namespace"]).unwrap_or("default");
            let inputs = shipshape::policy::cel::Inputs {
                namespace: "default",
                namespace_object: namespaces
                    .iter()
                    .find(|n| n.str_at(&["metadata", "name"]) == Some(ns))
                    .copied(),
                ..Default::default()
            };
            let verdicts = policy.evaluate_with(doc, &inputs);
            let found = verdicts.iter().find(|(n, _)| {
                let b = n
                    .strip_prefix("autogen-cronjob-")
                    .or_else(|| n.strip_prefix("autogen-"))
                    .unwrap_or(n);
                b == base
            });
            let autogen = found.is_some_and(|(n, _)| n.starts_with("autogen-"))
                || (policy.family != Family::ValidateCel
                    && shipshape::policy::kyverno::POD_CONTROLLERS.contains(&kind));
            let (got, why) = match found.map(|(_, v)| v) {
                None => ("skip", "does not apply".to_string()),
                Some(Verdict::Pass) => ("pass", String::new()),
                Some(Verdict::Fail { message, .. }) => ("fail", message.clone()),
                Some(Verdict::Skip { reason }) => ("skip", reason.clone()),
                Some(Verdict::Error { message }) => ("error", message.clone()),
            };
            if got == "skip" && undecidable(&why) {
                *out.left_out.entry(why).or_default() += 1;
                continue;
            }
            let tally = out.by_family.entry(policy.family).or_default();
            tally.kept += 1;
            tally.same += usize::from(got == want);
            if autogen {
                tally.autogen_kept += 1;
                tally.autogen_same += usize::from(got == want);
            }
            if got != want {
                out.mismatches.push(format!(
                    "[{}] {rel} | {pol} | {rule} | {kind}/{name} | expected {want} | got {got}: {why}",
                    family_name(policy.family)
                ));
            }
        }
    }
}

const GKE_VAP: &str =
    "GoogleCloudPlatform__kubernetes-engine-samples/autoscaling/custom-compute-classes/vap";

fn pod(ns: &str, tolerations: &str) -> String {
    format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: {ns}}}\nspec:\n  containers: [{{name: a, image: x}}]\n{tolerations}")
}

/// Where a VAP case's params come from.
#[derive(Clone, Copy, PartialEq)]
enum P {
    No,
    /// The file's ConfigMap, handed over.
    ConfigMap,
    /// Picked by the file's binding from its documents.
    Binding,
}

/// (policy file, resource, where the params come from, expected).
/// `restrict-toleration-fixed.yaml` is `restrict-toleration.yaml` with its
/// match condition splitting on newlines.
fn vap_cases() -> Vec<(&'static str, String, P, &'static str)> {
    let wildcard = "  tolerations: [{operator: Exists}]\n";
    let keyed = "  tolerations: [{key: dedicated, operator: Exists}]\n";
    let cc = "  tolerations: [{key: cloud.google.com/compute-class, operator: Equal, value: autopilot, effect: NoSchedule}]\n";
    let deploy =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n".to_string();
    vec![
        (
            "restrict-wildcard-toleration.yaml",
            pod("a", wildcard),
            P::No,
            "fail",
        ),
        (
            "restrict-wildcard-toleration.yaml",
            pod("a", keyed),
            P::No,
            "pass",
        ),
        (
            "restrict-wildcard-toleration.yaml",
            pod("a", ""),
            P::No,
            "pass",
        ),
        (
            "restrict-wildcard-toleration.yaml",
            deploy.clone(),
            P::No,
            "skip",
        ),
        // Its match condition splits the compute classes on a backslash and
        // an `n` (`'\\n'` in a folded block is not a newline), so no class
        // ever matches and the policy never applies.
        (
            "restrict-toleration.yaml",
            pod("foo", cc),
            P::ConfigMap,
            "skip",
        ),
        (
            "restrict-toleration.yaml",
            pod("qux", cc),
            P::ConfigMap,
            "skip",
        ),
        // No tolerations: `object.spec.tolerations` fails; failurePolicy Fail denies.
        (
            "restrict-toleration.yaml",
            pod("foo", ""),
            P::ConfigMap,
            "fail",
        ),
        ("restrict-toleration.yaml", deploy, P::ConfigMap, "skip"),
        (
            "restrict-toleration-fixed.yaml",
            pod("foo", cc),
            P::ConfigMap,
            "pass",
        ),
        (
            "restrict-toleration-fixed.yaml",
            pod("qux", cc),
            P::ConfigMap,
            "fail",
        ),
        (
            "restrict-toleration-fixed.yaml",
            pod("foo", keyed),
            P::ConfigMap,
            "skip",
        ),
        (
            "restrict-toleration-fixed.yaml",
            pod("qux", cc),
            P::No,
            "left out",
        ),
        // The params as the file's ValidatingAdmissionPolicyBinding picks
        // them (`paramRef` by name, in `default`), not handed over.
        (
            "restrict-toleration-fixed.yaml",
            pod("foo", cc),
            P::Binding,
            "pass",
        ),
        (
            "restrict-toleration-fixed.yaml",
            pod("qux", cc),
            P::Binding,
            "fail",
        ),
        (
            "restrict-toleration-fixed.yaml",
            pod("foo", keyed),
            P::Binding,
            "skip",
        ),
        (
            "restrict-toleration.yaml",
            pod("foo", ""),
            P::Binding,
            "fail",
        ),
    ]
}

fn replay_vaps(corpus: &Path, out: &mut Outcome) {
    for (file, resource, with_params, want) in vap_cases() {
        let (name, fixed) = match file.strip_suffix("-fixed.yaml") {
            Some(base) => (format!("{base}.yaml"), true),
            None => (file.to_string(), false),
        };
        let Ok(mut text) = std::fs::read_to_string(corpus.join(GKE_VAP).join(name)) else {
            continue;
        };
        if fixed {
            text = text.replace(
                r"computeClasses.split('\\n')",
                r"computeClasses.split('\n')",
            );
        }
        let ps = parse_stream(&text, &Limits::default());
        let docs: Vec<_> = ps.docs.iter().filter_map(|d| d.root()).collect();
        let Some(policy) = docs.iter().find_map(|d| compile(*d).ok().flatten()) else {
            out.compile_errors.push(format!("{file}: no VAP compiled"));
            continue;
        };
        let params = docs
            .iter()
            .find(|d| d.str_at(&["kind"]) == Some("ConfigMap"))
            .copied()
            .filter(|_| with_params == P::ConfigMap);
        let rs = parse_stream(&resource, &Limits::default());
        let Some(doc) = rs.docs.first().and_then(|d| d.root()) else {
            continue;
        };
        let objects: Vec<ParamObject> = docs.iter().filter_map(|d| ParamObject::read(*d)).collect();
        let binding = docs
            .iter()
            .find(|d| is_binding(**d))
            .and_then(|d| Binding::read(*d).ok());
        let ns = doc.str_at(&["metadata", "namespace"]).unwrap_or("default");
        let param_value = match (with_params, &binding) {
            (P::Binding, Some(b)) => match b.params(policy.param_kind(), ns, &objects) {
                Params::Objects(found) => found.first().map(|o| o.value.as_ref()),
                _ => None,
            },
            _ => None,
        };
        if with_params == P::Binding && param_value.is_none() {
            out.compile_errors
                .push(format!("{file}: the binding picks no params"));
            continue;
        }
        let inputs = shipshape::policy::cel::Inputs {
            namespace: "default",
            params,
            param_value,
            ..Default::default()
        };
        let got = match policy.evaluate_with(doc, &inputs).first().map(|(_, v)| v) {
            None => ("skip", "does not apply".to_string()),
            Some(Verdict::Pass) => ("pass", String::new()),
            Some(Verdict::Fail { message, .. }) => ("fail", message.clone()),
            Some(Verdict::Skip { reason }) => ("skip", reason.clone()),
            Some(Verdict::Error { message }) => ("error", message.clone()),
        };
        if got.0 == "skip" && undecidable(&got.1) {
            assert_eq!(want, "left out", "{file}: {}", got.1);
            *out.left_out.entry(got.1).or_default() += 1;
            continue;
        }
        let tally = out.by_family.entry(policy.family).or_default();
        tally.kept += 1;
        tally.same += usize::from(got.0 == want);
        if got.0 != want {
            out.mismatches.push(format!(
                "[{}] {file} | {} | expected {want} | got {}: {}",
                family_name(policy.family),
                resource.replace('\n', " "),
                got.0,
                got.1
            ));
        }
    }
}

#[test]
fn kyverno_policy_library_cel() {
    let Some(root) = common::shared("corpus/kyverno__policies") else {
        eprintln!("note: ../shared/corpus/kyverno__policies is absent; skipped");
        return;
    };
    let mut tests = Vec::new();
    find_tests(&root, &mut tests);
    let mut out = Outcome::default();
    for t in &tests {
        replay(t, &root, &mut out);
    }
    if let Some(corpus) = root.parent() {
        replay_vaps(corpus, &mut out);
    }
    println!(
        "test files with CEL policies {} | resources not found {}",
        out.tests, out.unresolved
    );
    println!("| family | kept | reproduced | share | pod controllers kept | reproduced |");
    println!("|---|---|---|---|---|---|");
    for (f, t) in &out.by_family {
        println!(
            "| {} | {} | {} | {:.3} | {} | {} |",
            family_name(*f),
            t.kept,
            t.same,
            t.same as f64 / t.kept.max(1) as f64,
            t.autogen_kept,
            t.autogen_same
        );
    }
    println!("left out (undecidable offline): {:?}", out.left_out);
    println!("compile errors: {}", out.compile_errors.len());
    for e in out.compile_errors.iter().take(10) {
        println!("  {e}");
    }
    println!("mismatches: {}", out.mismatches.len());
    for m in out.mismatches.iter().take(40) {
        println!("  {m}");
    }
    let floor = |f: Family, kept: usize, share: f64| {
        let t = out.by_family.get(&f);
        let (k, s) = t.map_or((0, 0), |t| (t.kept, t.same));
        let got = s as f64 / k.max(1) as f64;
        assert!(k >= kept, "{}: too few results kept: {k}", family_name(f));
        assert!(
            got >= share,
            "{}: share {got:.3} fell below {share}",
            family_name(f)
        );
    };
    // Measured: validate.cel 1536/1537, ValidatingPolicy 1317/1317, VAP 11/11.
    floor(Family::ValidateCel, 1500, 0.99);
    floor(Family::ValidatingPolicy, 1280, 0.99);
    if root.parent().is_some_and(|c| c.join(GKE_VAP).exists()) {
        floor(Family::ValidatingAdmissionPolicy, 11, 0.99);
    }
}
