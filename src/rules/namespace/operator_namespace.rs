use std::collections::BTreeMap;

use crate::finding::{Finding, Location, RuleMeta, Severity};
use crate::index::{namespaces::NsSource, renders::Renders};
use crate::index::{ObjectFacts, RepoIndex};
use crate::rules::{RepoCx, Rule};
use crate::yaml::Spanned;

crate::declare_rule! {
    /// # operator-namespace
    ///
    /// Application workloads must not run in the GitOps operator's namespace
    /// (`operator-namespaces`, default `argocd` and `flux-system`). Flags:
    /// - an object that is not operator configuration whose effective
    ///   namespace is an operator namespace (pointing at the node that put it
    ///   there: `metadata.namespace`, or a kustomization's `namespace:`);
    /// - an Argo CD Application whose `destination.namespace` is an operator
    ///   namespace while its source path (in this repository) renders objects
    ///   other than Argo CD resources and operator configuration;
    /// - a Flux Kustomization or HelmRelease whose `targetNamespace` is an
    ///   operator namespace (a Kustomization whose path renders only Flux
    ///   objects is fine);
    /// - an AppProject whose `destinations` grant an operator namespace (a
    ///   glob such as `'*'` that also matches one is a warning).
    ///
    /// Never flagged: Application, ApplicationSet and AppProject objects in
    /// `argocd`; `argocd-*` objects, objects labelled
    /// `app.kubernetes.io/part-of: argocd` and Argo CD's repository/cluster
    /// secrets; Flux's own objects (`*.toolkit.fluxcd.io`, `gotk-*`,
    /// `app.kubernetes.io/part-of: flux`); cluster-scoped objects; an
    /// app-of-apps parent whose source renders only Argo CD resources.
    ///
    /// ## Why
    /// Argo CD's documentation: "Projects with access to the namespace in
    /// which Argo CD is installed effectively have admin-level privileges."
    /// A workload in the operator's namespace can read its repository
    /// credentials and cluster secrets, and an Application deploying there
    /// can replace the operator itself.
    ///
    /// ## Example
    /// Fails:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: argocd
    /// ```
    /// Passes:
    /// ```yaml
    /// apiVersion: argoproj.io/v1alpha1
    /// kind: Application
    /// metadata:
    ///   name: web
    ///   namespace: argocd          # the Application object itself lives here
    /// spec:
    ///   destination:
    ///     namespace: web           # its workloads do not
    /// ```
    ///
    /// ## Options
    /// `operator-namespaces` (default `[argocd, flux-system]`).
    pub struct OperatorNamespace {
        id: "operator-namespace",
        severity: Error,
        category: "namespace",
        summary: "an application workload in the GitOps operator's namespace",
    }
}

const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "VolumeSnapshotClass",
    "ClusterIssuer",
    "ClusterPolicy",
    "ClusterSecretStore",
];

/// Operator configuration: what belongs in the operator's namespace.
pub fn is_operator_config(o: &ObjectFacts) -> bool {
    let group = o.group();
    let name = o.name.as_ref().map(|n| n.value.as_str()).unwrap_or("");
    group.starts_with("argoproj.io")
        || group.ends_with("fluxcd.io")
        || name.starts_with("argocd-")
        || name.starts_with("gotk-")
        || name.starts_with("flux-")
        || o.extra().argocd_secret_type
        || matches!(
            o.extra().part_of.as_deref(),
            Some("argocd" | "argo-cd" | "flux" | "flux-system")
        )
        || o.extra().instance.as_deref() == Some("flux-system")
}

fn is_cluster_scoped(o: &ObjectFacts) -> bool {
    CLUSTER_SCOPED.contains(&o.kind.as_str())
}

fn is_argo_resource(o: &ObjectFacts) -> bool {
    o.group().starts_with("argoproj.io")
        && matches!(
            o.kind.as_str(),
            "Application" | "ApplicationSet" | "AppProject"
        )
}

fn describe(o: &ObjectFacts) -> String {
    format!(
        "{} `{}`",
        o.kind,
        o.name.as_ref().map(|n| n.value.as_str()).unwrap_or("?")
    )
}

/// Matches a destination-namespace glob (`*`, `team-*`) against a namespace.
fn glob_matches(pattern: &str, ns: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == ns,
        Some((pre, post)) => {
            ns.len() >= pre.len() + post.len() && ns.starts_with(pre) && ns.ends_with(post)
        }
    }
}

impl Rule for OperatorNamespace {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        let ops = &cx.config.operator_namespaces;
        let is_op = |ns: &str| ops.iter().any(|o| o == ns);
        placed_objects(index, &is_op, cx.findings);
        operator_destinations(index, &is_op, cx.findings);
        project_grants(index, ops, cx.findings);
    }
}

/// Objects put into an operator namespace, grouped by the node that put them there.
fn placed_objects(index: &RepoIndex, is_op: &dyn Fn(&str) -> bool, findings: &mut Vec<Finding>) {
    let mut by_setter: BTreeMap<(u32, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, o) in index.objects.iter().enumerate() {
        let Some(e) = &index.effective_ns[i] else {
            continue;
        };
        if !is_op(&e.value) || is_operator_config(o) || is_cluster_scoped(o) {
            continue;
        }
        // Operator destinations are reported once, on the Application or Kustomization.
        if matches!(
            e.source,
            NsSource::ArgoApplication | NsSource::FluxKustomization
        ) {
            continue;
        }
        by_setter
            .entry((e.file, e.span.start, e.span.end))
            .or_default()
            .push(i);
    }
    for ((file, start, end), objs) in by_setter {
        let first = &index.objects[objs[0]];
        let Some((ns, source)) = index.effective_ns[objs[0]]
            .as_ref()
            .map(|e| (e.value.clone(), e.source))
        else {
            continue;
        };
        let at = Location {
            file,
            span: crate::yaml::Span { start, end },
        };
        let mut f = if source == NsSource::Kustomization {
            let mut f = Finding::new(
                &OperatorNamespace::META,
                at,
                format!("this kustomization puts application workloads in the operator namespace `{ns}`"),
            )
            .label("operator namespace");
            for &i in objs.iter().take(5) {
                let o = &index.objects[i];
                f = f.related(
                    Location {
                        file: o.file,
                        span: o.kind_span,
                    },
                    format!("{} is rendered into `{ns}`", describe(o)),
                );
            }
            f
        } else {
            Finding::new(
                &OperatorNamespace::META,
                at,
                format!("{} runs in the operator namespace `{ns}`", describe(first)),
            )
            .label("operator namespace")
            .object(Some(first.object_ref(Some(&ns))))
        };
        f = f.help(format!("give the application its own namespace; `{ns}` is for the GitOps operator and its configuration only"));
        findings.push(f);
    }
}

/// Applications, Flux Kustomizations and HelmReleases targeting an operator namespace.
fn operator_destinations(
    index: &RepoIndex,
    is_op: &dyn Fn(&str) -> bool,
    findings: &mut Vec<Finding>,
) {
    let renders = Renders::new(index);
    for o in &index.objects {
        let (target, sources, what): (&Spanned, Vec<&Spanned>, &str) = if let Some(d) = o
            .extra()
            .app_destination_ns
            .as_ref()
            .filter(|_| is_argo_resource(o))
        {
            (
                d,
                o.extra().app_sources.iter().collect(),
                "destination.namespace",
            )
        } else if let Some(t) = &o.extra().target_namespace {
            (t, o.extra().flux_path.iter().collect(), "targetNamespace")
        } else {
            continue;
        };
        if !is_op(&target.value) {
            continue;
        }
        let is_helm_release = o.kind == "HelmRelease";
        let rendered: Vec<usize> = sources
            .iter()
            .flat_map(|p| renders.from_dir(index.repo(o.file), &p.value))
            .flat_map(|(f, _)| {
                index
                    .objects
                    .iter()
                    .enumerate()
                    .filter(move |(_, x)| x.file == f)
                    .map(|(i, _)| i)
            })
            .collect();
        let workload = rendered
            .iter()
            .map(|&i| &index.objects[i])
            .find(|x| !is_operator_config(x) && !is_cluster_scoped(x));
        let at = Location {
            file: o.file,
            span: target.span,
        };
        let f = match (workload, is_helm_release, rendered.is_empty()) {
            (Some(w), _, _) => Finding::new(
                &OperatorNamespace::META,
                at,
                format!(
                    "{} deploys application workloads into the operator namespace `{}`",
                    describe(o),
                    target.value
                ),
            )
            .label(format!("{what} is an operator namespace"))
            .related(
                Location {
                    file: w.file,
                    span: w.kind_span,
                },
                format!("{} is rendered from its source", describe(w)),
            ),
            (None, true, _) => Finding::new(
                &OperatorNamespace::META,
                at,
                format!(
                    "{} installs a chart into the operator namespace `{}`",
                    describe(o),
                    target.value
                ),
            )
            .label(format!("{what} is an operator namespace")),
            _ => continue,
        };
        findings.push(
            f.help("point the destination at the application's own namespace; only operator configuration (Applications, AppProjects, Flux objects) belongs there")
                .object(Some(o.object_ref(o.namespace.as_ref().map(|n| n.value.as_str())))),
        );
    }
}

/// AppProjects granting an operator namespace.
fn project_grants(index: &RepoIndex, ops: &[String], findings: &mut Vec<Finding>) {
    for o in index
        .objects
        .iter()
        .filter(|o| o.kind == "AppProject" && o.group().starts_with("argoproj.io"))
    {
        let denied = |op: &str| {
            o.extra()
                .project_destinations
                .iter()
                .any(|d| d.value.strip_prefix('!') == Some(op))
        };
        for d in o
            .extra()
            .project_destinations
            .iter()
            .filter(|d| !d.value.starts_with('!'))
        {
            let Some(op) = ops
                .iter()
                .find(|ns| glob_matches(&d.value, ns) && !denied(ns))
            else {
                continue;
            };
            let exact = d.value == *op;
            let msg = if exact {
                format!("AppProject grants its applications the operator namespace `{op}`")
            } else {
                format!(
                    "AppProject destination `{}` also grants the operator namespace `{op}`",
                    d.value
                )
            };
            let mut f = Finding::new(&OperatorNamespace::META, Location { file: o.file, span: d.span }, msg)
                .label("grants the operator namespace")
                .help(format!("list the applications' namespaces explicitly, or add a destination rule that excludes `{op}` (`!{op}`)"))
                .object(Some(o.object_ref(o.namespace.as_ref().map(|n| n.value.as_str()))));
            if !exact {
                f = f.severity(Severity::Warning);
            }
            findings.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_matches("*", "argocd"));
        assert!(glob_matches("argo*", "argocd"));
        assert!(!glob_matches("team-*", "argocd"));
        assert!(glob_matches("argocd", "argocd"));
    }
}
