//! Kyverno's own test files (`kyverno-test.yaml`), as the policy harnesses
//! (`tests/kyverno_patterns.rs`, `tests/kyverno_cel.rs`) read them.

use std::path::{Path, PathBuf};

/// Every `kyverno-test.yaml` under `dir`, in path order.
pub fn find_tests(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            find_tests(&p, out);
        } else if p.file_name().is_some_and(|n| n == "kyverno-test.yaml") {
            out.push(p);
        }
    }
}

/// The texts of the files a test lists under `key` (`policies`,
/// `resources`), relative to the test's folder; unreadable ones left out.
pub fn listed_files(test: shipshape::yaml::NodeRef, dir: &Path, key: &str) -> Vec<String> {
    test.get(key)
        .map(|l| {
            l.items()
                .filter_map(|i| i.as_str())
                .filter_map(|p| std::fs::read_to_string(dir.join(p)).ok())
                .collect()
        })
        .unwrap_or_default()
}
