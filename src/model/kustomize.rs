//! Kustomize kustomizations (`kustomization.yaml`): telling one apart from a
//! Flux `Kustomization` object saved under the same name.

use crate::yaml::NodeRef;

/// Whether a kustomization-named file's document is a Kustomize kustomization
/// (and not, say, a Flux `Kustomization` object saved under that name).
pub fn is_kustomize(root: NodeRef<'_, '_>) -> bool {
    match root.get("apiVersion").and_then(|a| a.as_str()) {
        Some(api) => api.starts_with("kustomize.config.k8s.io"),
        None => root.is_map(),
    }
}
