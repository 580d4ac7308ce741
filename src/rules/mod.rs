//! The rule registry. Each rule lives in its own file, grouped by domain; its
//! doc comment is its documentation (`shipshape rule <id>` prints it and the
//! docs are generated from it), captured by `declare_rule!`.

use crate::config::Config;
use crate::finding::{FileId, Finding, Location, RuleMeta};
use crate::index::RepoIndex;
use crate::model::k8s::Object;
use crate::model::workflow::Workflow;
use crate::yaml::Span;

pub mod engine;
pub mod image;
pub mod namespace;
pub mod policy;
pub mod schema;
pub mod secrets;
pub mod workflow;

/// Per-file context given to rules in the parallel pass.
pub struct DocCx<'a> {
    pub file: FileId,
    pub path: &'a str,
    pub config: &'a Config,
    pub findings: &'a mut Vec<Finding>,
    /// The object the rules are looking at, as findings carry it: made once
    /// however many findings it gets. Keyed by its root node.
    pub(crate) object: Option<((usize, u32), std::sync::Arc<crate::model::k8s::ObjectRef>)>,
    /// Schemas, and what validation leaves for the repository pass.
    pub schema: SchemaCx<'a>,
    /// Objects some policy judges in the repository pass.
    pub deferred: Vec<policy::DeferredObject>,
}

/// What the schema rules are given, and leave for the repository pass.
pub struct SchemaCx<'a> {
    pub catalog: &'a crate::schema::Catalog,
    /// The file is a Kustomize patch: a partial object.
    pub fragment: bool,
    /// Objects whose schema a CRD in the repository may give or replace.
    pub pending: Vec<PendingObject>,
    /// The served versions of CRDs in this file.
    pub crds: Vec<crate::schema::crd::CrdVersion>,
}

impl<'a> SchemaCx<'a> {
    pub fn new(catalog: &'a crate::schema::Catalog, fragment: bool) -> Self {
        SchemaCx {
            catalog,
            fragment,
            pending: Vec::new(),
            crds: Vec::new(),
        }
    }
}

/// A custom resource, as the repository pass needs it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PendingObject {
    /// The object's extent in its file: its findings lie within it.
    pub span: Span,
    /// Its document's extent: the text to parse again for it.
    pub doc: Span,
    pub kind_span: Span,
    pub api_version: String,
    pub kind: String,
    /// Validated in the file pass against a bundled or `schemas.paths` schema.
    pub checked: bool,
}

impl DocCx<'_> {
    /// The object a finding concerns, shared by all of its findings.
    pub fn object_ref(
        &mut self,
        obj: &crate::model::k8s::Object,
    ) -> std::sync::Arc<crate::model::k8s::ObjectRef> {
        let key = obj.node.key();
        match &self.object {
            Some((k, r)) if *k == key => r.clone(),
            _ => {
                let r = std::sync::Arc::new(obj.object_ref());
                self.object = Some((key, r.clone()));
                r
            }
        }
    }

    pub fn at(&self, span: Span) -> Location {
        Location {
            file: self.file,
            span,
        }
    }
    pub fn report(&mut self, f: Finding) {
        self.findings.push(f);
    }
}

/// Repository-wide context for cross-file rules.
pub struct RepoCx<'a> {
    pub config: &'a Config,
    pub findings: &'a mut Vec<Finding>,
    /// Per-file findings the repository shows not to apply: (rule, where).
    pub withdrawn: &'a mut Vec<(&'static str, Location)>,
}

impl RepoCx<'_> {
    /// Withdraws this rule's per-file finding at `at`: what the file says
    /// there is not what the repository deploys (an override replaces it).
    pub fn withdraw(&mut self, rule: &'static RuleMeta, at: Location) {
        self.withdrawn.push((rule.id, at));
    }
}

pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Called for every Kubernetes object, in the per-file pass.
    fn check_object(&self, _obj: &Object, _cx: &mut DocCx) {}
    /// Called for every workflow document, in the per-file pass.
    fn check_workflow(&self, _wf: &Workflow, _cx: &mut DocCx) {}
    /// Called for every document of a workflow, action, kustomization,
    /// manifest or Azure pipeline file, in the per-file pass.
    fn check_document(
        &self,
        _kind: crate::source::kind::FileKind,
        _root: crate::yaml::NodeRef,
        _cx: &mut DocCx,
    ) {
    }
    /// Called once, after every file is indexed.
    fn check_repo(&self, _index: &RepoIndex, _cx: &mut RepoCx) {}
}

/// Rules with checks, in registry order.
pub static RULES: &[&dyn Rule] = &[
    &image::unpinned_image::UnpinnedImage,
    &image::untrusted_registry::UntrustedRegistry,
    &secrets::missing_pull_secret::MissingPullSecret,
    &secrets::unresolved_pull_secret::UnresolvedPullSecret,
    &workflow::pull_mode_cluster_credentials::PullModeClusterCredentials,
    &workflow::workflow_image_mismatch::WorkflowImageMismatch,
    &workflow::unresolved_template::UnresolvedTemplate,
    &namespace::operator_namespace::OperatorNamespace,
    &schema::schema_violation::SchemaViolation,
    &schema::deprecated_api::DeprecatedApi,
];

/// Rules the engine itself reports.
pub static ENGINE_RULES: &[&RuleMeta] = &[
    &engine::InvalidYaml::META,
    &engine::IoError::META,
    &engine::FileTooLarge::META,
    &engine::LinkOutsideRepository::META,
    &engine::GitIndexUnreadable::META,
    &engine::InvalidConfig::META,
    &engine::UnusedIgnore::META,
    &engine::InvalidPolicy::META,
    &engine::PolicyNotRun::META,
];

/// Every rule's metadata, sorted by id: the binary's rules and its
/// built-in policies' (`rules/`), not the user's policies.
pub fn all() -> Vec<&'static RuleMeta> {
    let mut v: Vec<&'static RuleMeta> = RULES
        .iter()
        .map(|r| r.meta())
        .chain(ENGINE_RULES.iter().copied())
        .chain(crate::policy::set::builtin_metas())
        .collect();
    v.sort_by_key(|m| m.id);
    v
}

/// A rule by id: the binary's, else a policy rule registered in this
/// process. Called per finding, so it looks through the registries in place
/// rather than building `all()`.
pub fn find(id: &str) -> Option<&'static RuleMeta> {
    RULES
        .iter()
        .map(|r| r.meta())
        .chain(ENGINE_RULES.iter().copied())
        .find(|m| m.id == id)
        .or_else(|| crate::finding::rule_meta::registry::find(id))
        .or_else(|| {
            crate::policy::set::builtin_metas()
                .into_iter()
                .find(|m| m.id == id)
        })
}

pub fn ids() -> Vec<&'static str> {
    all().into_iter().map(|m| m.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let all = all();
        let mut ids: Vec<_> = all.iter().map(|m| m.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for m in all {
            // Policy rules are `policy/rule`.
            let slash = m.category == "policy";
            assert!(
                m.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || (slash && b == b'/')),
                "{}",
                m.id
            );
            let md = m.markdown();
            assert!(md.contains("## Why"), "{} lacks a `## Why` section", m.id);
            assert!(md.contains("## Example"), "{} lacks examples", m.id);
        }
    }
}
