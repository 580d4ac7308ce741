//! Seed inputs for every target, gathered from the repository's `fixtures/`,
//! `shared/yaml-test-suite` (every `in.yaml`) and `shared/corpus` (every
//! workflow, then manifests round-robin across its repositories), plus the
//! `run:` scripts of those workflows (`shell`) and the fixtures'
//! `.shipshape.yaml` files and a few hand-written configs (`config`), and
//! the `schema` target's seeds (`schema_seeds.rs`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[path = "schema_seeds.rs"]
mod schema;

pub fn fnv(d: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in d {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n == ".git" || n == "target") {
                continue;
            }
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn is_yamlish(p: &Path) -> bool {
    let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    n.ends_with(".yaml") || n.ends_with(".yml") || n.ends_with(".json")
}

fn is_workflow(p: &Path) -> bool {
    let s = p.to_string_lossy().replace('\\', "/");
    s.contains("/.github/workflows/") && is_yamlish(p)
}

/// The `run:` scripts of a workflow, found with shipshape's own YAML layer.
fn run_scripts(text: &str, out: &mut Vec<Vec<u8>>) {
    let parsed = shipshape::yaml::parse_stream(text, &shipshape::yaml::Limits::default());
    for doc in &parsed.docs {
        for id in 0..doc.nodes.len() {
            if let shipshape::yaml::Value::Map(pairs) = doc.value(id as u32) {
                for kv in pairs.chunks_exact(2) {
                    let (k, v) = (doc.node(kv[0]), doc.node(kv[1]));
                    if k.as_str() == Some("run") {
                        if let Some(s) = v.as_str() {
                            out.push(s.as_bytes().to_vec());
                        }
                    }
                }
            }
        }
    }
}

const CONFIGS: &[&str] = &[
    "mode: pull\n",
    "mode: push\nregistries:\n  allowed: [\"*.azurecr.io\", \"ghcr.io\", \"docker.io/library\"]\n",
    "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\n    - match: ghcr.io\n      auth: pull-secret\n",
    "operator-namespaces: [argocd, flux-system, kube-system]\nimages:\n  mutable-tags: [latest, main, dev]\n  require-digest: true\n",
    "exclude: [\"charts/**\", \"**/*.json\", \"!keep.yaml\", \"{a,b}/*.y?ml\"]\n",
    "rules:\n  unpinned-image: error\n  untrusted-registry: off\n  missing-pull-secret: warning\n  no-such-rule: info\n",
    "limits:\n  max-file-size: 0\n  max-depth: 1\n  max-documents: 1\n",
    "limits: {max-file-size: 18446744073709551615, max-depth: 99999999999, max-documents: -1}\n",
    "mode: [pull]\nregistries: 3\nrules: [a]\nexclude: \"[\"\n",
    "# empty\n",
    "---\nmode: auto\n---\nmode: push\n",
];

pub fn gather(
    repo: &Path,
    shared: &Path,
    max_files: usize,
    max_size: usize,
) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    let mut yaml: Vec<Vec<u8>> = Vec::new();
    let mut shell: Vec<Vec<u8>> = Vec::new();
    let mut config: Vec<Vec<u8>> = CONFIGS.iter().map(|c| c.as_bytes().to_vec()).collect();
    let read = |p: &Path| std::fs::read(p).ok().filter(|d| d.len() <= max_size);

    // The repository's fixtures: all of them.
    let mut files = Vec::new();
    walk(&repo.join("fixtures"), &mut files);
    for p in &files {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let Some(d) = read(p) else { continue };
        if name == ".shipshape.yaml" || name == "shipshape.yaml" {
            config.push(d);
        } else if is_yamlish(p) {
            if is_workflow(p) {
                run_scripts(&String::from_utf8_lossy(&d), &mut shell);
            }
            yaml.push(d);
        }
    }
    // The YAML test suite: every in.yaml.
    let mut files = Vec::new();
    walk(&shared.join("yaml-test-suite"), &mut files);
    for p in files
        .iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "in.yaml"))
    {
        if let Some(d) = read(p) {
            yaml.push(d);
        }
    }
    // The corpus: every workflow, then manifests round-robin across repositories.
    let corpus = shared.join("corpus");
    let mut per_repo: Vec<Vec<PathBuf>> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&corpus) {
        let mut repos: Vec<PathBuf> = rd
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        repos.sort();
        for r in repos {
            let mut files = Vec::new();
            walk(&r, &mut files);
            let mut manifests = Vec::new();
            for p in files.into_iter().filter(|p| is_yamlish(p)) {
                if is_workflow(&p) {
                    if let Some(d) = read(&p) {
                        run_scripts(&String::from_utf8_lossy(&d), &mut shell);
                        yaml.push(d);
                    }
                } else {
                    manifests.push(p);
                }
            }
            per_repo.push(manifests);
        }
    }
    let mut i = 0;
    let mut taken = 0;
    while taken < max_files && per_repo.iter().any(|m| i < m.len()) {
        for m in &per_repo {
            if let Some(p) = m.get(i) {
                if let Some(d) = read(p) {
                    yaml.push(d);
                    taken += 1;
                }
            }
        }
        i += 1;
    }
    let dedup = |v: Vec<Vec<u8>>| {
        let mut seen = HashSet::new();
        v.into_iter()
            .filter(|d| seen.insert(d.clone()))
            .collect::<Vec<_>>()
    };
    let yaml = dedup(yaml);
    let mut m = BTreeMap::new();
    m.insert("yaml", yaml.clone());
    m.insert("lint", yaml);
    m.insert("config", dedup(config));
    m.insert("shell", dedup(shell));
    let files_under = |d: &Path| {
        let mut v = Vec::new();
        walk(d, &mut v);
        v
    };
    m.insert(
        "schema",
        dedup(schema::gather(repo, shared, max_size, files_under)),
    );
    m
}
