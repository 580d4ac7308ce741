use std::sync::Arc;

use crate::finding::{Finding, RuleMeta, Severity};
use crate::model::azure::StepKind;
use crate::model::k8s::Object;
use crate::model::workflow::Workflow;
use crate::rules::{DocCx, Rule};
use crate::schema::compile::Compiled;
use crate::schema::validate::{self, Options, Problem, Violation};
use crate::schema::{bundled, crd, deprecated};
use crate::source::kind::FileKind;
use crate::yaml::{NodeRef, Span};

crate::declare_rule! {
    /// # schema-violation
    ///
    /// A document that its schema rejects: a Kubernetes object against the
    /// schema of its `apiVersion` and `kind` (the built-in kinds of the
    /// bundled Kubernetes version; Argo CD, Flux, sealed-secrets and
    /// External Secrets custom resources; a CRD found in the repository,
    /// which takes precedence; or a file of `schemas.paths`), a GitHub
    /// workflow or action against SchemaStore's schemas, a kustomization
    /// against Kustomize's, an Azure pipeline or template against the
    /// schema of the Azure Pipelines editor extension. Each problem is
    /// reported at the node it concerns: an unknown field at its key, a
    /// wrong type or value at the value, a missing required field at its
    /// parent's key.
    ///
    /// Unknown fields are errors (`schemas.strict: false` allows them).
    /// Manifests are read as the API server gets them, through YAML 1.1:
    /// `value: yes` is a boolean there. Files a kustomization uses as
    /// patches are partial objects: they are checked without required
    /// fields. Helm templates are not validated. Objects whose kind has no
    /// schema are counted in the summary (`schemas.require: true` reports
    /// them). Workflows are also checked for `needs` naming a job that
    /// does not exist, and for cycles between jobs.
    ///
    /// Azure pipelines are read as Azure Pipelines reads them: every
    /// scalar is a string (`"true"` is a boolean where one is asked for),
    /// the branches of `${{ if }}`/`${{ each }}` blocks are checked as if
    /// written in place, values holding `${{ }}`, `$( )` or `$[ ]` are
    /// accepted, task names and input names match in any case and by
    /// alias. Each task step's `inputs` are checked against that task's
    /// inputs (an unknown input is silently ignored by the task: a typo
    /// there deploys with the default); a task the schema does not list
    /// (a marketplace extension's) is accepted. Required inputs and
    /// picklist values are not checked: the schema does not say when an
    /// input is visible or which picklists are open. A task version Azure
    /// Pipelines marks deprecated (`KubernetesManifest@0`, `Docker@0`,
    /// `Kubernetes@0`, `HelmInstaller@0`, ...) is a warning at its name,
    /// with the task's current version.
    ///
    /// ## Why
    /// A misspelt field applies cleanly and then does nothing: the API
    /// server drops `imagePullPolicyy` without a word under the default
    /// field validation, and the image policy you meant is not applied. A
    /// string where an integer belongs fails the deployment at apply time,
    /// long after review. kubeconform finds some of this, but needs schemas
    /// from the network, ignores unknown fields unless told, reports a JSON
    /// path, and rejects Kustomize patches as invalid objects.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   replicas: three                # replicas must be an integer
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers:
    ///         - name: web
    ///           image: contoso.azurecr.io/web:1.4.2
    ///           imagePullPolicyy: Always   # unknown field; did you mean imagePullPolicy?
    /// ```
    /// Passes:
    /// ```yaml
    /// spec:
    ///   replicas: 3
    ///   ...
    ///           imagePullPolicy: Always
    /// ```
    ///
    /// ## Options
    /// `schemas.strict` (default `true`), `schemas.require` (default
    /// `false`), `schemas.paths` (default none).
    pub struct SchemaViolation {
        id: "schema-violation",
        severity: Error,
        category: "schema",
        summary: "a manifest, workflow or kustomization that its schema rejects",
    }
}

impl Rule for SchemaViolation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_object(&self, obj: &Object, cx: &mut DocCx) {
        if obj.kind == "CustomResourceDefinition"
            && obj.api_version.starts_with("apiextensions.k8s.io/")
        {
            collect_crd(obj, cx);
        }
        let own = cx.schema.catalog.has_own(obj.api_version, obj.kind);
        let key = format!("{} {}", obj.api_version, obj.kind);
        let builtin = bundled::KUBERNETES.has(&key);
        let schema = if own {
            cx.schema.catalog.object(obj.api_version, obj.kind)
        } else {
            bundled::object_by_key(&key)
        };
        if !builtin && !own {
            if let Some(message) = unknown_builtin_kind(obj) {
                let object = Some(cx.object_ref(obj));
                let f = Finding::new(&Self::META, cx.at(kind_span(obj)), message);
                cx.report(f.object(object));
                return;
            }
            // A CRD in the repository may define (or replace) this kind:
            // the repository pass decides, once every file is read.
            cx.schema.pending.push(crate::rules::PendingObject {
                span: obj.node.span(),
                doc: obj.node.doc.span,
                kind_span: kind_span(obj),
                api_version: obj.api_version.to_string(),
                kind: obj.kind.to_string(),
                checked: schema.is_some(),
            });
        }
        if let Some(schema) = schema {
            check_object_with(obj, &schema, !builtin, cx);
        }
    }

    fn check_workflow(&self, wf: &Workflow, cx: &mut DocCx) {
        for p in super::workflow_graph::check(wf) {
            let mut f = Finding::new(&Self::META, cx.at(p.span), p.message);
            if let Some(help) = p.help {
                f = f.help(help);
            }
            cx.report(f);
        }
    }

    fn check_document(&self, kind: FileKind, root: NodeRef, cx: &mut DocCx) {
        if kind == FileKind::AzurePipeline {
            return check_pipeline(root, cx);
        }
        let (bundle, key) = match kind {
            FileKind::Manifest => return half_header(root, cx),
            FileKind::Workflow => (&*bundled::GITHUB, "workflow"),
            FileKind::Action => (&*bundled::GITHUB, "action"),
            FileKind::Kustomization => (&*bundled::KUSTOMIZE, "kustomization"),
            _ => return,
        };
        let Some(schema) = bundle.get(key) else {
            return;
        };
        let opts = Options {
            strict: cx.config.schemas.strict,
            // Kustomize reads an empty value as the field's zero value.
            null_ok: kind == FileKind::Kustomization,
            ..Options::DOCUMENT
        };
        let unknown = match kind {
            FileKind::Kustomization => "kustomize refuses a kustomization with an unknown field; `schemas.strict: false` allows them here",
            _ => "GitHub refuses a workflow or action with an unknown key; `schemas.strict: false` allows them here",
        };
        validate_file(&schema, root, opts, unknown, cx);
    }
}

/// An Azure pipeline (or template) against the schema of Azure Pipelines'
/// editor extension, with the branches of its template expressions in
/// place (`${{ if }}:` keys spliced) and every scalar read as a string.
fn check_pipeline(root: NodeRef, cx: &mut DocCx) {
    let Some(schema) = bundled::AZURE_PIPELINES.get("azure-pipeline") else {
        return;
    };
    let view = crate::model::azure::expr::spliced(root.doc);
    let root = view.as_ref().and_then(|d| d.root()).unwrap_or(root);
    let opts = Options {
        strict: cx.config.schemas.strict,
        ..Options::AZURE
    };
    validate_file(&schema, root, opts, "Azure Pipelines refuses a pipeline with an unknown key, and ignores a task input it does not know; `schemas.strict: false` allows them here", cx);
    deprecated_tasks(root, cx);
}

/// A whole file's document against its schema; a missing required key of
/// the top level is reported at the first key.
fn validate_file(
    schema: &Compiled,
    root: NodeRef,
    opts: Options,
    unknown: &'static str,
    cx: &mut DocCx,
) {
    if !root.is_map() {
        return;
    }
    let anchor = root
        .entries()
        .next()
        .map(|(k, _)| k.span())
        .unwrap_or_default();
    let found = validate::validate(schema, root, anchor, opts);
    report(found, None, unknown, cx);
}

/// Task versions Azure Pipelines marks deprecated (`KubernetesManifest@0`):
/// a warning at the task's name, with its newest version.
fn deprecated_tasks(root: NodeRef, cx: &mut DocCx) {
    let Some(p) = crate::model::azure::Pipeline::new(root) else {
        return;
    };
    let table = &bundled::AZURE_PIPELINES.deprecated;
    for step in p.steps() {
        let StepKind::Task {
            name,
            major: Some(major),
            task,
            ..
        } = &step.kind
        else {
            continue;
        };
        let Some(newest) = table.get(&format!("{name}@{major}")) else {
            continue;
        };
        let written = task.as_str().unwrap_or_default().trim();
        let (message, help) = if newest.is_empty() {
            (
                format!("task `{written}` is deprecated, with no newer version"),
                "a deprecated task is no longer maintained and may stop working: replace it",
            )
        } else {
            (
                format!("task `{written}` is deprecated; its current version is `{newest}`"),
                "a deprecated task is no longer maintained and may stop working: move to the current major version (its inputs may differ)",
            )
        };
        let f = Finding::new(&SchemaViolation::META, cx.at(task.span()), message);
        cx.report(f.severity(Severity::Warning).help(help));
    }
}

/// A manifest document with `metadata` and a `kind` but no `apiVersion`
/// (or the reverse): kubectl refuses it, and no rule sees it as an object.
fn half_header(root: NodeRef, cx: &mut DocCx) {
    if !root.get("metadata").is_some_and(|m| m.is_map()) {
        return;
    }
    let (api, kind) = (root.get_entry("apiVersion"), root.get_entry("kind"));
    let (missing, present) = match (api, kind) {
        (None, Some((k, _))) => ("apiVersion", k),
        (Some((k, _)), None) => ("kind", k),
        _ => return,
    };
    let message = format!("a Kubernetes object needs `{missing}`: this document has `metadata` and `{}` but no `{missing}`", present.as_str().unwrap_or(""));
    cx.report(
        Finding::new(&SchemaViolation::META, cx.at(present.span()), message)
            .help("kubectl refuses a document without `apiVersion` and `kind`"),
    );
}

/// Kinds the bundle leaves out although their group and version are
/// bundled: lists, subresources and the meta types no manifest holds.
const NOT_BUNDLED: &[&str] = &[
    "Scale",
    "Eviction",
    "TokenRequest",
    "Status",
    "DeleteOptions",
    "WatchEvent",
    "APIGroup",
    "APIGroupList",
    "APIResourceList",
    "APIVersions",
];

/// A kind the bundled Kubernetes version does not have in a group and
/// version it serves (`apps/v1 Deployement`, `policy/v1 PodSecurityPolicy`):
/// no CRD can add kinds there.
fn unknown_builtin_kind(obj: &Object) -> Option<String> {
    let known = bundled::KUBERNETES.has_api_version(obj.api_version)
        && !obj.kind.ends_with("List")
        && !NOT_BUNDLED.contains(&obj.kind)
        && deprecated::lookup(obj.api_version, obj.kind).is_none();
    if !known {
        return None;
    }
    let kinds = bundled::KUBERNETES.kinds_of(obj.api_version);
    let near = crate::config::closest(obj.kind, &kinds)
        .map(|k| format!("; did you mean {k}?"))
        .unwrap_or_default();
    Some(format!(
        "Kubernetes {} has no kind {} in {}{near}",
        crate::schema::KUBERNETES_VERSION,
        obj.kind,
        obj.api_version
    ))
}

/// Where a finding about the object as a whole points: its `kind` value.
fn kind_span(obj: &Object) -> Span {
    obj.node.get("kind").map(|k| k.span()).unwrap_or_default()
}

/// A workload whose pod template has no `containers`, or a container with
/// no `image`, cannot be applied as it is (the API server requires both):
/// it is a patch (`kubectl patch --patch-file`, a strategic-merge patch
/// named like anything), judged as a fragment.
fn is_patch_like(obj: &Object) -> bool {
    obj.pod_spec().is_some_and(|pod| {
        pod.get("containers").is_none()
            || crate::model::k8s::containers_of(pod)
                .iter()
                .any(|c| c.image.is_none())
    })
}

/// Validates an object against `schema`; `custom` objects also get their
/// `metadata` checked against Kubernetes' ObjectMeta (CRD schemas rarely
/// describe it).
pub fn check_object_with(obj: &Object, schema: &Compiled, custom: bool, cx: &mut DocCx) {
    let opts = Options {
        strict: cx.config.schemas.strict,
        fragment: cx.schema.fragment || is_patch_like(obj),
        quote: !obj.kind.contains("Secret"),
        ..Options::OBJECT
    };
    let mut found = validate::validate(schema, obj.node, kind_span(obj), opts);
    if custom {
        if let (Some(meta), Some((k, v))) = (bundled::object_meta(), obj.node.get_entry("metadata"))
        {
            found.extend(validate::validate_under(
                &meta,
                v,
                k.span(),
                opts,
                "metadata",
            ));
        }
    }
    if found.is_empty() {
        return;
    }
    let object = Some(cx.object_ref(obj));
    report(found, object, UNKNOWN_FIELD, cx);
}

const UNKNOWN_FIELD: &str = "the API server drops unknown fields, or rejects them under strict field validation; `schemas.strict: false` allows them here";

fn report(
    found: Vec<Violation>,
    object: Option<Arc<crate::model::k8s::ObjectRef>>,
    unknown: &'static str,
    cx: &mut DocCx,
) {
    for v in found {
        let mut f = Finding::new(&SchemaViolation::META, cx.at(v.span), v.message);
        f = match v.problem {
            Problem::Unknown => f.help(unknown),
            Problem::Required => f.help("add the field"),
            Problem::Type | Problem::Value => f,
            Problem::Incomplete => f
                .severity(Severity::Info)
                .help("the validator bounds its work on any document; the findings above it are real, others may be missing"),
        };
        cx.report(f.object(object.clone()));
    }
}

/// A CRD's served versions, kept for the repository pass (their schemas
/// are read there, for the kinds some custom resource uses).
fn collect_crd(obj: &Object, cx: &mut DocCx) {
    cx.schema.crds.extend(crd::declared(obj.node));
}

/// The finding for an object whose kind has no schema, under `schemas.require`.
pub fn missing_schema(
    api_version: &str,
    kind: &str,
    at: crate::finding::Location,
) -> Option<Finding> {
    // A removed API is `deprecated-api`'s to report.
    if deprecated::lookup(api_version, kind).is_some_and(|a| a.removed.is_some()) {
        return None;
    }
    Some(
        Finding::new(&SchemaViolation::META, at, format!("no schema for {api_version} {kind}"))
            .help("add its CustomResourceDefinition to the repository, or a JSON Schema to `schemas.paths`; `schemas.require: false` only counts such objects"),
    )
}
