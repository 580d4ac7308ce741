//! The repository index: the small, owned facts that cross-file rules need,
//! extracted from each file in the parallel pass. No YAML tree outlives its
//! file; only these facts do.
//!
//! `extract`, `gitops` and `monitoring` take facts from objects and
//! kustomizations, `workflow` from workflows, `helm` from charts and the
//! objects deploying them; once every file is in, `namespaces` resolves
//! each object's effective namespace over the kustomization chains that
//! `renders` follows, from the sources `sources` finds in the repositories
//! `repos` names, and `images` and `helm_resolve` the images as deployed.

pub mod actions;
pub mod azure;
mod azure_step;
mod azure_tasks;
pub mod azure_templates;
pub mod checkout;
pub mod extract;
pub mod gitops;
pub mod helm;
pub mod helm_resolve;
pub mod images;
mod monitoring;
pub mod namespaces;
pub mod renders;
pub mod repos;
pub mod sources;
pub mod workflow;

use crate::finding::FileId;
use crate::model::k8s::ObjectRef;
use crate::yaml::{Span, Spanned};

/// Everything one file contributes to the index.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FileFacts {
    pub objects: Vec<ObjectFacts>,
    pub kustomizations: Vec<KustomizationFacts>,
    pub workflows: Vec<workflow::WorkflowFacts>,
    /// Images a tool builds and substitutes at deploy time (Skaffold artifacts).
    #[serde(with = "crate::finding::wire::file_pairs")]
    pub built: Vec<(FileId, String)>,
    /// Services an `azd` project deploys through a kustomization.
    #[serde(with = "crate::finding::wire::file_pairs")]
    pub azd: Vec<(FileId, crate::model::tools::AzdService)>,
    pub helm: Vec<helm::HelmFile>,
}

/// A Kubernetes object, reduced to what the cross-file rules read.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct ObjectFacts {
    #[serde(with = "crate::finding::wire::file_id")]
    pub file: FileId,
    pub api_version: String,
    pub kind: String,
    pub name: Option<Spanned>,
    /// `metadata.namespace`.
    pub namespace: Option<Spanned>,
    /// Where to point when the object as a whole is concerned (its `kind` value).
    pub kind_span: Span,
    /// Images of a pod template, in document order.
    pub images: Vec<Spanned>,
    /// Whether this object has a pod template.
    pub has_pod: bool,
    /// `imagePullSecrets` names (pod spec or ServiceAccount).
    pub pull_secrets: Vec<Spanned>,
    pub service_account: Option<String>,
    /// What few objects have (Argo CD, Flux, pull-secret providers,
    /// operator labels): boxed, so an ordinary object stays small.
    pub extra: Option<Box<ObjectExtra>>,
}

/// The rarely present facts of an object.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectExtra {
    /// The name of a docker-registry secret this object provides, if any
    /// (a Secret of type dockerconfigjson/dockercfg, a SealedSecret or ExternalSecret).
    pub provides_pull_secret: Option<String>,
    /// Argo CD Application: sources and destination namespace.
    pub app_sources: Vec<gitops::AppSource>,
    pub app_destination_ns: Option<Spanned>,
    /// Argo CD AppProject destination namespaces.
    pub project_destinations: Vec<Spanned>,
    /// Image overrides of the object's sources: Argo CD
    /// `source(s).kustomize.images` (with the index in `app_sources` of the
    /// path they go with), Flux Kustomization `spec.images` (index 0).
    pub image_overrides: Vec<(u16, crate::model::kustomize::ImageOverride)>,
    /// Flux Kustomization `spec.path`, and Kustomization/HelmRelease `spec.targetNamespace`.
    pub flux_path: Option<Spanned>,
    pub target_namespace: Option<Spanned>,
    /// Flux Kustomization `sourceRef`; HelmRelease chart `sourceRef` or `chartRef`.
    pub flux_source: Option<gitops::FluxRef>,
    /// HelmRelease `spec.chart.spec.chart`: a chart's name, or its path in a Git source.
    pub helm_chart: Option<String>,
    /// A Flux source's `spec.url`.
    pub source_url: Option<String>,
    /// ConfigMaps and Secrets a Flux object reads itself: (kind, name).
    pub operator_reads: Vec<(String, String)>,
    /// A monitoring object, dashboard or route made for the GitOps operator itself.
    pub monitors_operator: bool,
    /// Labels that mark operator configuration (`app.kubernetes.io/part-of`).
    pub part_of: Option<String>,
    /// `app.kubernetes.io/instance` (Flux's own objects carry `flux-system`).
    pub instance: Option<String>,
    /// Carries the `argocd.argoproj.io/secret-type` label (repository and
    /// cluster credentials), or makes a Secret that does (ExternalSecret,
    /// SealedSecret templates).
    pub argocd_secret_type: bool,
    /// Charts an Argo CD Application or Flux HelmRelease deploys, with their values.
    pub helm: Vec<helm::HelmSource>,
}

static NO_EXTRA: ObjectExtra = ObjectExtra {
    provides_pull_secret: None,
    app_sources: Vec::new(),
    app_destination_ns: None,
    project_destinations: Vec::new(),
    image_overrides: Vec::new(),
    flux_path: None,
    target_namespace: None,
    flux_source: None,
    helm_chart: None,
    source_url: None,
    operator_reads: Vec::new(),
    monitors_operator: false,
    part_of: None,
    instance: None,
    argocd_secret_type: false,
    helm: Vec::new(),
};

impl ObjectExtra {
    pub fn is_empty(&self) -> bool {
        *self == NO_EXTRA
    }
}

impl ObjectFacts {
    /// The rare facts (all empty for most objects).
    pub fn extra(&self) -> &ObjectExtra {
        self.extra.as_deref().unwrap_or(&NO_EXTRA)
    }
    pub fn object_ref(&self, namespace: Option<&str>) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            name: self.name.as_ref().map(|n| n.value.clone()),
            namespace: namespace.map(str::to_string),
        }
    }
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }
}

/// A Kustomize kustomization file.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct KustomizationFacts {
    #[serde(with = "crate::finding::wire::file_id")]
    pub file: FileId,
    pub namespace: Option<Spanned>,
    /// `resources:` (and legacy `bases:`) entries, as written, then `components:`.
    pub resources: Vec<String>,
    /// How many of `resources` (the last ones) are `components:`.
    pub components: usize,
    /// `images:` overrides.
    pub images: Vec<crate::model::kustomize::ImageOverride>,
    /// `configMapGenerator` files (Flux `valuesFrom` reads them).
    pub config_map_files: Vec<helm::GeneratedFile>,
}

impl KustomizationFacts {
    /// The `components:` entries.
    pub fn components(&self) -> &[String] {
        &self.resources[self.resources.len() - self.components.min(self.resources.len())..]
    }
}

impl RepoIndex {
    pub fn repo(&self, file: FileId) -> u32 {
        self.repos.get(file as usize).copied().unwrap_or(0)
    }
    /// The file at a repository-relative path.
    pub fn file_at(&self, repo: u32, path: &str) -> Option<FileId> {
        // The first of equal paths (the lowest id), as a file named twice is.
        let i = self
            .by_path
            .partition_point(|&id| self.key(id) < (repo, path));
        self.by_path
            .get(i)
            .copied()
            .filter(|&id| self.key(id) == (repo, path))
    }
    /// The files under directory `dir` (`""` for all) of repository
    /// `repo`, in path order: a range of `by_path`.
    pub fn files_under(&self, repo: u32, dir: &str) -> &[FileId] {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let first = self
            .by_path
            .partition_point(|&id| self.key(id) < (repo, prefix.as_str()));
        let len = self.by_path[first..]
            .iter()
            .take_while(
                |&&id| matches!(self.key(id), (r, p) if r == repo && p.starts_with(&prefix)),
            )
            .count();
        &self.by_path[first..first + len]
    }
    fn key(&self, id: FileId) -> (u32, &str) {
        (self.repo(id), self.paths[id as usize].as_str())
    }
    /// Orders `by_path` for [`RepoIndex::file_at`], once every path is in.
    pub fn seal_paths(&mut self) {
        let mut ids: Vec<FileId> = (0..self.paths.len() as FileId).collect();
        ids.sort_by(|&a, &b| self.key(a).cmp(&self.key(b)));
        self.by_path = ids;
    }
}

/// The index over the whole run.
#[derive(Debug, Default)]
pub struct RepoIndex {
    /// Path of every file (by `FileId`) relative to its repository root, `/`-separated.
    pub paths: Vec<String>,
    /// Repository of every file (by `FileId`): files in one repository share an id.
    pub repos: Vec<u32>,
    /// What each repository (by id) is called: its directory and git remotes.
    pub repo_names: Vec<repos::RepoName>,
    /// Every file, sorted by (repository, path): looked up by binary search,
    /// without a second copy of each path.
    pub by_path: Vec<FileId>,
    pub objects: Vec<ObjectFacts>,
    pub kustomizations: Vec<KustomizationFacts>,
    pub workflows: Vec<workflow::WorkflowFacts>,
    /// Images a tool builds and substitutes at deploy time (Skaffold artifacts).
    pub built: Vec<(FileId, String)>,
    /// Services an `azd` project deploys through a kustomization.
    pub azd: Vec<(FileId, crate::model::tools::AzdService)>,
    /// Files an Argo CD Application or Flux Kustomization syncs:
    /// (repository, path, which object syncs it).
    pub synced: Vec<(u32, String, String)>,
    /// What overrides make of the objects' images.
    pub effective: images::Effective,
    /// Azure Pipelines `template:` references that are not followed.
    pub unresolved_templates: Vec<azure_templates::Unresolved>,
    /// Effective namespace of each of `objects`, same order.
    pub effective_ns: Vec<Option<namespaces::EffectiveNs>>,
    /// Chart files and values files, in file order.
    pub helm_files: Vec<helm::HelmFile>,
    /// The images charts' effective values describe.
    pub helm: Vec<helm_resolve::HelmImage>,
}
