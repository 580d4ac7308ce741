//! Files of developer tools that look like Kubernetes objects (an
//! `apiVersion` and a `kind`) but are never applied to a cluster: Backstage
//! catalog entities, Skaffold, kind and k3d cluster configs, test-runner
//! configs. And what Skaffold builds, and the Azure Developer CLI
//! re-tags, at deploy time.

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

/// An Azure Developer CLI (`azd`) service deployed to AKS through a
/// kustomization (`azure.yaml`: `services.<name>.k8s.kustomize`), whose
/// `edits` (`set image NAME=IMAGE`, as `kustomize edit set image` takes
/// it) replace images at deploy time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AzdService {
    pub name: String,
    /// The kustomization's directory, relative to the project file's:
    /// `project` joined with `k8s.kustomize.dir`.
    pub dir: String,
    pub edits: Vec<super::kustomize::ImageOverride>,
}

/// The kustomize-deployed services of an `azd` project file.
pub fn azd_services(root: NodeRef<'_, '_>) -> Vec<AzdService> {
    let Some(services) = root.get("services").filter(|s| s.is_map()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (k, svc) in services.entries() {
        let (Some(name), Some(kz)) = (k.as_str(), svc.path(&["k8s", "kustomize"])) else {
            continue;
        };
        let Some(dir) = kz.get("dir").and_then(|d| d.as_str()) else {
            continue;
        };
        let project = svc.get("project").and_then(|p| p.as_str()).unwrap_or(".");
        let edits = kz
            .get("edits")
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(crate::yaml::Spanned::of)
            .filter_map(|e| {
                let rest = e.value.trim().strip_prefix("set image ")?.trim();
                let at = crate::yaml::Spanned::new(rest, e.span);
                super::kustomize::ImageOverride::from_argo(&at)
            })
            .collect();
        out.push(AzdService {
            name: name.to_string(),
            dir: format!("{}/{dir}", project.trim_end_matches('/')),
            edits,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn azd_services_and_their_image_edits() {
        let src = "name: store\nservices:\n  ai:\n    project: src/ai\n    host: aks\n    k8s:\n      kustomize:\n        dir: ../../kustomize/overlays/azd/ai\n        edits:\n          - set image ai=${SERVICE_AI_IMAGE_NAME}\n          - add annotation a:b\n  web:\n    host: containerapp\n";
        let p = crate::yaml::parse_stream(src, &Default::default());
        let s = azd_services(p.docs[0].root().unwrap());
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "ai");
        assert_eq!(s[0].dir, "src/ai/../../kustomize/overlays/azd/ai");
        assert_eq!(s[0].edits.len(), 1);
        assert_eq!(s[0].edits[0].name, "ai");
        assert_eq!(
            s[0].edits[0].new_name.as_ref().unwrap().value,
            "${SERVICE_AI_IMAGE_NAME}"
        );
    }

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
