//! Every fixture repository's README lists its expected findings
//! (`- rule — file:line — what`); the run must report exactly those.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

fn expected(readme: &str) -> Option<BTreeSet<(String, String, u64)>> {
    let section = readme.split("## Expected findings").nth(1)?;
    let section = section.split("\n## ").next().unwrap_or("");
    let mut set = BTreeSet::new();
    for line in section.lines() {
        let Some(rest) = line.trim().strip_prefix("- ") else {
            continue;
        };
        let parts: Vec<&str> = rest.splitn(3, " — ").collect();
        if parts.len() < 2 {
            continue;
        }
        let Some((path, line_no)) = parts[1].rsplit_once(':') else {
            continue;
        };
        let Ok(n) = line_no.trim().parse() else {
            continue;
        };
        set.insert((parts[0].trim().to_string(), path.trim().to_string(), n));
    }
    Some(set)
}

fn fixture_roots(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let readme = dir.join("README.md");
    if let Ok(text) = std::fs::read_to_string(&readme) {
        if dir != fixture("") && text.contains("## Expected findings") {
            out.push(dir.to_path_buf());
        }
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read_dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() && e.file_name().is_some_and(|n| n != ".github") {
            fixture_roots(&e, out);
        }
    }
}

#[test]
fn every_fixture_reports_exactly_its_readme() {
    let mut roots = Vec::new();
    fixture_roots(&fixture(""), &mut roots);
    assert!(
        roots.len() >= 20,
        "fixture repositories not found: {roots:?}"
    );
    let mut failures = Vec::new();
    for dir in &roots {
        let readme = std::fs::read_to_string(dir.join("README.md")).expect("README");
        let want = expected(&readme).expect("expected section");
        let (v, code) = json(dir, &["."]);
        let got: BTreeSet<_> = triples(&v).into_iter().collect();
        let rel = dir
            .strip_prefix(root())
            .unwrap_or(dir)
            .display()
            .to_string();
        if got != want {
            failures.push(format!(
                "{rel}:\n  missing: {:?}\n  unexpected: {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
        let errors = v["summary"]["errors"].as_u64().unwrap_or(0);
        assert_eq!(
            code,
            i32::from(errors > 0),
            "{rel}: exit code {code} with {errors} errors"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn reference_scenario_cases() {
    // The early pull workflow logs into AKS and creates the pull secret: flagged.
    let (v, code) = json(&fixture("reference/early-pull-aks"), &["."]);
    let rules: BTreeSet<String> = triples(&v).into_iter().map(|t| t.0).collect();
    assert!(rules.contains("pull-mode-cluster-credentials"));
    assert_eq!(code, 1);
    // The current pull workflow only logs into ACR: clean.
    let (v, code) = json(&fixture("reference/current-pull-clean"), &["."]);
    assert_eq!(triples(&v), vec![]);
    assert_eq!(code, 0);
    // A push workflow holding cluster credentials is fine: push mode.
    let (v, _) = json(&fixture("reference/push-with-credentials"), &["."]);
    assert!(triples(&v)
        .iter()
        .all(|t| t.0 != "pull-mode-cluster-credentials"));
}
