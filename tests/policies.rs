//! Policies as rules: the built-in catalog of `rules/` (every file
//! embedded, each compiling cleanly, documented like the Rust rules), the
//! config that selects it, and user policies through a whole run.

mod common;

use std::collections::BTreeSet;

use common::*;
use shipshape::policy::builtin::{FILES, SETS};
use shipshape::policy::set::{builtin_metas, builtin_problems};

#[test]
fn every_file_of_rules_is_embedded_and_compiles_cleanly() {
    let mut on_disk = BTreeSet::new();
    for set in std::fs::read_dir(root().join("rules")).unwrap().flatten() {
        if !set.path().is_dir() {
            continue;
        }
        let set_name = set.file_name().to_string_lossy().to_string();
        assert!(SETS.contains(&set_name.as_str()), "unknown set {set_name}");
        for f in std::fs::read_dir(set.path()).unwrap().flatten() {
            on_disk.insert(format!("{set_name}/{}", f.file_name().to_string_lossy()));
        }
    }
    let embedded: BTreeSet<String> = FILES
        .iter()
        .map(|b| format!("{}/{}", b.set, b.file))
        .collect();
    assert_eq!(
        on_disk, embedded,
        "src/policy/builtin.rs must list every file of rules/"
    );
    let problems = builtin_problems();
    assert!(problems.is_empty(), "{problems:#?}");
    // Every file holds at least one rule that runs, and the sets agree with the config's.
    assert!(builtin_metas().len() >= FILES.len());
    // The metadata read without compiling CEL is the compiled policies'.
    let mut set = shipshape::policy::PolicySet::default();
    set.add_builtin_sets(&SETS.map(String::from));
    let mut compiled: Vec<&str> = set.metas().map(|m| m.id).collect();
    let mut outlined: Vec<&str> = builtin_metas().iter().map(|m| m.id).collect();
    compiled.sort_unstable();
    outlined.sort_unstable();
    assert_eq!(compiled, outlined);
    for m in set.metas() {
        assert!(
            builtin_metas().iter().any(|o| std::ptr::eq(*o, m)),
            "{}",
            m.id
        );
    }
    assert_eq!(SETS.as_slice(), shipshape::config::POLICY_SETS);
}

#[test]
fn built_in_policy_rules_are_listed_and_documented() {
    let out = shipshape()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect();
    assert!(ids.contains(&"disallow-privileged-containers/privileged-containers"));
    let out = shipshape()
        .args(["rule", "disallow-host-path/host-path"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc = String::from_utf8(out.stdout).unwrap();
    for part in [
        "# disallow-host-path/host-path",
        "## Why",
        "## How to fix",
        "pod-security-baseline",
        "```yaml",
    ] {
        assert!(doc.contains(part), "{part} missing from:\n{doc}");
    }
}

#[test]
fn the_baseline_runs_by_default_and_the_config_selects_sets() {
    let dir = tempfile::tempdir().unwrap();
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec:\n  hostPID: true\n  containers:\n    - name: c\n      image: contoso.azurecr.io/c:1.0.0\n";
    write(dir.path(), "pod.yaml", pod);
    write(
        dir.path(),
        ".shipshape.yaml",
        "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\n",
    );
    let rules = |args: &[&str]| -> Vec<String> {
        let (v, _) = json(dir.path(), args);
        triples(&v).into_iter().map(|(r, _, _)| r).collect()
    };
    assert_eq!(rules(&[]), ["disallow-host-namespaces/host-namespaces"]);
    // Off by rule id.
    write(
        dir.path(),
        ".shipshape.yaml",
        "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\nrules:\n  disallow-host-namespaces/host-namespaces: off\n",
    );
    assert!(rules(&[]).is_empty());
    // The restricted set on, the baseline off.
    write(
        dir.path(),
        ".shipshape.yaml",
        "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\npolicies:\n  sets: [pod-security-restricted]\n",
    );
    let got = rules(&[]);
    assert!(
        got.contains(&"disallow-privilege-escalation/privilege-escalation".to_string()),
        "{got:?}"
    );
    assert!(!got.contains(&"disallow-host-namespaces/host-namespaces".to_string()));
}

#[test]
fn config_errors_name_sets_and_built_in_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", "a: 1\n");
    write(
        dir.path(),
        ".shipshape.yaml",
        "policies:\n  sets: [pod-security-basline]\nrules:\n  disallow-host-path/hostpath: off\n  our-policy/our-rule: error\n",
    );
    let out = check(dir.path(), &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("unknown policy set `pod-security-basline`"),
        "{err}"
    );
    assert!(
        err.contains("unknown rule `disallow-host-path/hostpath`"),
        "{err}"
    );
    assert!(
        !err.contains("our-policy/our-rule"),
        "a user policy id is accepted: {err}"
    );
}

#[test]
fn policy_findings_are_cached_and_a_policy_change_invalidates_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("rules/policies/fail-user"), dir.path());
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = || {
        let (v, _) = json(dir.path(), &["--cache-dir", cache_arg]);
        triples(&v)
    };
    let first = run();
    assert_eq!(run(), first, "warm run, same findings");
    assert!(first
        .iter()
        .any(|(r, _, _)| r == "require-team-label/team-label"));
    // The policy now asks for a label every Deployment has: nothing fails.
    let policy = dir.path().join("policies/require-team-label.yaml");
    let text = std::fs::read_to_string(&policy)
        .unwrap()
        .replace("team: \"?*\"", "app: \"?*\"");
    std::fs::write(&policy, text).unwrap();
    let after = run();
    assert!(
        !after
            .iter()
            .any(|(r, _, _)| r == "require-team-label/team-label"),
        "{after:?}"
    );
}

#[test]
fn a_namespace_given_in_another_file_decides_and_is_read_again_when_it_changes() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("rules/policies/effective-namespace"), dir.path());
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = || {
        let (v, _) = json(dir.path(), &["--cache-dir", cache_arg]);
        triples(&v)
    };
    let rules = |t: &[(String, String, u64)]| {
        let mut r: Vec<String> = t.iter().map(|(r, _, _)| r.clone()).collect();
        r.sort();
        r
    };
    let first = run();
    assert_eq!(
        rules(&first),
        ["prod-team-label/team-label", "restricted-namespaces/vpol"],
        "{first:?}"
    );
    assert!(first
        .iter()
        .all(|(_, f, _)| f.ends_with("shop/deployment.yaml")));
    assert_eq!(run(), first, "warm run, same findings");
    // Only the Kustomization changes: the Deployment's cached result must
    // not keep its old namespace.
    let k = dir.path().join("shop/kustomization.yaml");
    let text = std::fs::read_to_string(&k).unwrap();
    std::fs::write(&k, text.replace("shop-prod", "tools")).unwrap();
    assert_eq!(rules(&run()), Vec::<String>::new());
    // And the Namespace object's labels alone decide the CEL policy.
    std::fs::write(&k, text).unwrap();
    let ns = dir.path().join("cluster/namespaces.yaml");
    let text = std::fs::read_to_string(&ns).unwrap();
    std::fs::write(&ns, text.replace("tier: restricted", "tier: open")).unwrap();
    assert_eq!(rules(&run()), ["prod-team-label/team-label"]);
}

#[test]
fn policies_judge_the_images_renderings_deploy_and_follow_the_overrides() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("rules/policies/effective-images"), dir.path());
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    let run = || {
        let (v, _) = json(dir.path(), &["--cache-dir", cache_arg]);
        triples(&v)
    };
    let on_base = |t: &[(String, String, u64)]| {
        let mut r: Vec<String> = t
            .iter()
            .filter(|(_, f, _)| f.ends_with("base/deployment.yaml"))
            .map(|(r, _, _)| r.clone())
            .collect();
        r.sort();
        r
    };
    let first = run();
    assert_eq!(on_base(&first), ["team-images/acr-only"], "{first:?}");
    assert_eq!(run(), first, "warm run, same findings");
    // The dev overlay now pulls from the team's registry, pinned: nothing
    // deployed from the base fails, though the base as written would.
    let dev = dir.path().join("overlays/dev/kustomization.yaml");
    let text = std::fs::read_to_string(&dev).unwrap();
    std::fs::write(
        &dev,
        text.replace("docker.io/library/nginx", "contoso.azurecr.io/web/nginx"),
    )
    .unwrap();
    assert_eq!(on_base(&run()), Vec::<String>::new());
    // With the overrides gone, the base is judged as written.
    std::fs::write(&dev, text.replace("images:", "x-images:")).unwrap();
    let prod = dir.path().join("overlays/prod/kustomization.yaml");
    let p = std::fs::read_to_string(&prod).unwrap();
    std::fs::write(&prod, p.replace("images:", "x-images:")).unwrap();
    assert_eq!(
        on_base(&run()),
        ["team-images/acr-only", "team-images/no-latest"]
    );
}
