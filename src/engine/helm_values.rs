//! Helm values the parallel pass did not keep: values files outside charts
//! (Argo CD `valueFiles`, `configMapGenerator` files) and the `valuesFrom`
//! ConfigMaps of Flux HelmReleases, read again once the index says which
//! (`index::helm_resolve::needs`), then the charts' effective images.
//! Only ConfigMaps are read: a Secret's values are never looked at.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::finding::FileId;
use crate::index::helm_resolve::{self, HelmImage, Need};
use crate::index::RepoIndex;
use crate::model::helm_values::{Leaf, Tree};
use crate::model::k8s;
use crate::source::file::{load_text, FileEntry};
use crate::yaml;

/// The images every chart's effective values describe.
pub(super) fn effective(index: &RepoIndex, files: &[FileEntry], cfg: &Config) -> Vec<HelmImage> {
    let needs = helm_resolve::needs(index);
    let mut loaded = BTreeMap::new();
    let mut by_file: BTreeMap<FileId, Vec<Need>> = BTreeMap::new();
    for n in needs {
        let file = match &n {
            Need::File(f) | Need::ConfigMap { file: f, .. } => *f,
        };
        by_file.entry(file).or_default().push(n);
    }
    for (file, needs) in by_file {
        let Some(f) = files.get(file as usize) else {
            continue;
        };
        let Ok(text) = load_text(f, cfg.limits.max_file_size) else {
            continue;
        };
        if text.problem.is_some() {
            continue;
        }
        let parsed = yaml::parse_stream(&text.text, &cfg.limits.yaml);
        for n in needs {
            if let Some(t) = read(&parsed, &n, file) {
                loaded.insert(n, t);
            }
        }
    }
    helm_resolve::resolve(index, &loaded)
}

/// The values one need names, from its file's documents.
fn read(parsed: &yaml::ParsedStream, need: &Need, file: FileId) -> Option<Tree> {
    match need {
        Need::File(_) => {
            // A values file with a syntax error is not read (the file pass
            // reported it).
            if !parsed.errors.is_empty() {
                return None;
            }
            let root = parsed.docs.iter().find_map(|d| d.root())?;
            root.is_map().then(|| Tree::of(root, file))
        }
        Need::ConfigMap { name, key, raw, .. } => {
            let node = parsed
                .docs
                .iter()
                .filter_map(|d| d.root())
                .flat_map(k8s::objects)
                .filter(|o| o.kind == "ConfigMap" && o.api_version == "v1")
                .find(|o| o.node.str_at(&["metadata", "name"]) == Some(name.as_str()))?
                .node
                .path(&["data", key.as_str()])?;
            if *raw {
                Leaf::of(node, file).map(Tree::Scalar)
            } else {
                Tree::of_string(node, file)
            }
        }
    }
}
