//! What a file is, from its path alone: a workflow, an action, a
//! kustomization, a Helm chart file or a manifest. What each *document* is
//! (an object, a kustomization) is the models' business (`crate::model`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `.github/workflows/*.y{a,}ml`
    Workflow,
    /// `action.y{a,}ml` (composite or other action metadata)
    Action,
    /// `kustomization.y{a,}ml` / `Kustomization`
    Kustomization,
    /// Anything under a directory holding `Chart.yaml`: not YAML until rendered.
    HelmChart,
    /// Kubernetes manifests or other YAML/JSON.
    Manifest,
}

/// Classifies by path (relative, `/`-separated). `in_chart` says whether an
/// ancestor directory holds a `Chart.yaml`.
pub fn file_kind(path: &str, in_chart: bool) -> FileKind {
    if in_chart {
        return FileKind::HelmChart;
    }
    let mut parts = path.rsplit('/');
    let name = parts.next().unwrap_or("");
    let parent = parts.next();
    let grandparent = parts.next();
    let yaml_ext = name.ends_with(".yml") || name.ends_with(".yaml");
    if yaml_ext && parent == Some("workflows") && grandparent == Some(".github") {
        return FileKind::Workflow;
    }
    match name {
        "action.yml" | "action.yaml" => FileKind::Action,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization" => FileKind::Kustomization,
        _ => FileKind::Manifest,
    }
}

/// Whether a path should be read at all.
pub fn is_candidate(name: &str) -> bool {
    name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".json")
        || name == "Kustomization"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            file_kind(".github/workflows/ci.yml", false),
            FileKind::Workflow
        );
        assert_eq!(
            file_kind("x/.github/workflows/ci.yaml", false),
            FileKind::Workflow
        );
        assert_eq!(
            file_kind(".github/workflows/sub/ci.yaml", false),
            FileKind::Manifest
        );
        assert_eq!(
            file_kind("actions/build/action.yml", false),
            FileKind::Action
        );
        assert_eq!(
            file_kind("k8s/kustomization.yaml", false),
            FileKind::Kustomization
        );
        assert_eq!(
            file_kind("chart/templates/d.yaml", true),
            FileKind::HelmChart
        );
        assert_eq!(file_kind("k8s/deploy.json", false), FileKind::Manifest);
    }
}
