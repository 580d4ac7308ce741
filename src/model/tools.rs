//! Files of developer tools that look like Kubernetes objects (an
//! `apiVersion` and a `kind`) but are never applied to a cluster: Backstage
//! catalog entities, Skaffold, kind and k3d cluster configs, test-runner
//! configs. And what Skaffold builds at deploy time.

use crate::yaml::NodeRef;

/// API groups (or `apiVersion` prefixes) of tool configuration.
const TOOL_APIS: &[&str] = &[
    "backstage.io/",
    "skaffold/",
    "kind.x-k8s.io/",
    "k3d.io/",
    "ctlptl.dev/",
    "kuttl.dev/",
    "chainsaw.kyverno.io/",
];

/// Whether an `apiVersion` belongs to a tool's own configuration, not to a
/// Kubernetes API.
pub fn is_tool_config(api_version: &str) -> bool {
    TOOL_APIS.iter().any(|p| api_version.starts_with(p))
}

/// The images a Skaffold config builds (`build.artifacts[].image`, also in
/// `profiles`): Skaffold replaces references to them in the manifests it
/// deploys with the image it built, tagged and pushed to its default repo.
pub fn skaffold_artifacts(root: NodeRef<'_, '_>) -> Vec<String> {
    let api = root
        .get("apiVersion")
        .and_then(|a| a.as_str())
        .unwrap_or("");
    if !api.starts_with("skaffold/") {
        return Vec::new();
    }
    let artifacts = |build: Option<NodeRef<'_, '_>>| -> Vec<String> {
        build
            .and_then(|b| b.get("artifacts"))
            .map(|l| {
                l.items()
                    .filter_map(|a| a.get("image").and_then(|i| i.as_string()))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = artifacts(root.get("build"));
    for p in root.get("profiles").into_iter().flat_map(|p| p.items()) {
        out.extend(artifacts(p.get("build")));
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_configs() {
        assert!(is_tool_config("backstage.io/v1alpha1"));
        assert!(is_tool_config("skaffold/v4beta11"));
        assert!(!is_tool_config("apps/v1"));
        assert!(!is_tool_config("skaffold.dev.example/v1"));
    }

    #[test]
    fn artifacts() {
        let src = "apiVersion: skaffold/v3\nkind: Config\nbuild:\n  artifacts:\n    - image: frontend\n    - image: gcr.io/p/api\nprofiles:\n  - name: x\n    build:\n      artifacts: [{image: worker}, {context: x}]\n";
        let p = crate::yaml::parse_stream(src, &Default::default());
        let root = p.docs[0].root().unwrap();
        assert_eq!(
            skaffold_artifacts(root),
            ["frontend", "gcr.io/p/api", "worker"]
        );
        let p = crate::yaml::parse_stream(
            "apiVersion: v1\nkind: Config\nbuild: {artifacts: [{image: x}]}\n",
            &Default::default(),
        );
        assert!(skaffold_artifacts(p.docs[0].root().unwrap()).is_empty());
    }
}
