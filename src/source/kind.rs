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
    /// An Azure Pipelines file: `azure-pipelines.y{a,}ml` or
    /// `.azure-pipelines.y{a,}ml` at any depth, or a YAML file under a
    /// directory named `.azure-pipelines`, `azure-pipelines` or `.pipelines`.
    /// (Pipelines elsewhere are recognised by their content, in the file pass.)
    AzurePipeline,
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
    if yaml_ext && is_azure_pipeline_path(path, name) {
        return FileKind::AzurePipeline;
    }
    match name {
        "action.yml" | "action.yaml" => FileKind::Action,
        "kustomization.yaml" | "kustomization.yml" | "Kustomization" => FileKind::Kustomization,
        _ => FileKind::Manifest,
    }
}

/// Azure Pipelines files by name or by the directory they are in.
fn is_azure_pipeline_path(path: &str, name: &str) -> bool {
    let stem = name
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .trim_start_matches('.');
    if stem == "azure-pipelines" {
        return true;
    }
    let mut dirs = path.split('/').rev().skip(1);
    dirs.any(|d| matches!(d, ".azure-pipelines" | "azure-pipelines" | ".pipelines"))
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

    #[test]
    fn azure_pipelines() {
        for p in [
            "azure-pipelines.yml",
            "app/azure-pipelines.yaml",
            ".azure-pipelines.yml",
            ".azure-pipelines/build.yml",
            "azure-pipelines/templates/deploy.yaml",
            "x/.pipelines/ci.yml",
        ] {
            assert_eq!(file_kind(p, false), FileKind::AzurePipeline, "{p}");
        }
        for p in [
            "azure-pipelines.json",
            "my-azure-pipelines.yml",
            ".devops/deploy.yml",
            "pipelines/ci.yml",
            ".azure-pipelines/README.md",
        ] {
            assert_ne!(file_kind(p, false), FileKind::AzurePipeline, "{p}");
        }
        assert_eq!(
            file_kind("azure-pipelines/chart/values.yaml", true),
            FileKind::HelmChart
        );
    }
}
