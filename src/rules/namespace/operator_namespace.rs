use std::collections::BTreeMap;

use crate::finding::{Finding, Location, RuleMeta, Severity};
use crate::index::sources::{Source, Sources};
use crate::index::{namespaces::NsSource, renders::Renders};
use crate::index::{ObjectFacts, RepoIndex};
use crate::rules::namespace::operator_objects::{is_cluster_scoped, OperatorObjects};
use crate::rules::{RepoCx, Rule};
use crate::yaml::Spanned;

crate::declare_rule! {
    /// # operator-namespace
    ///
    /// Application workloads, and what they need to run (Services,
    /// ConfigMaps, Secrets, Ingresses, volume claims, service accounts and
    /// their roles, autoscalers, disruption budgets, network policies, ...),
    /// must not be placed in the GitOps operator's namespace
    /// (`operator-namespaces`, default `argocd` and `flux-system`). Flags:
    /// - an application object whose effective namespace is an operator
    ///   namespace (pointing at the node that put it there:
    ///   `metadata.namespace`, or a kustomization's `namespace:`);
    /// - an Argo CD Application whose `destination.namespace`, or a Flux
    ///   Kustomization whose `targetNamespace`, is an operator namespace while
    ///   its source renders application objects (a workload is shown when
    ///   there is one);
    /// - a HelmRelease whose `targetNamespace` is an operator namespace and
    ///   whose chart is in the repository;
    /// - as a **warning**, an Application, Kustomization or HelmRelease
    ///   deploying into an operator namespace from a source the linted
    ///   repositories do not hold: another repository (known from the
    ///   `repoURL` or the GitRepository's `url` against the linted
    ///   repositories' git remotes), a path the repository does not have, a
    ///   chart from a Helm repository, an OCI artifact. What it deploys
    ///   cannot be checked (not when its name or chart is the operator's
    ///   own: `argo-cd`, `flux-operator`, `flux-instance`, `argocd-*`, `flux-*`);
    /// - an AppProject whose `destinations` grant an operator namespace (a
    ///   glob such as `'*'` that also matches one is a warning).
    ///
    /// The operator's own objects and their helpers are never flagged:
    /// - Argo CD's Application, ApplicationSet and AppProject (not Argo
    ///   Rollouts or Workflows: they run application pods); `argocd-*`
    ///   objects and objects with `argocd` or `argo-cd` as a word of their
    ///   name (`gateway-to-argocd-tls`), objects labelled
    ///   `app.kubernetes.io/part-of: argocd`, and
    ///   repository/cluster credentials (the `argocd.argoproj.io/secret-type`
    ///   label, also on the Secret an ExternalSecret or SealedSecret makes);
    /// - Flux's objects (`*.toolkit.fluxcd.io`: sources, Kustomizations,
    ///   HelmReleases, Receivers, Alerts, Providers, image automation),
    ///   `gotk-*` and `flux-*` objects, objects labelled
    ///   `app.kubernetes.io/part-of: flux`;
    /// - the Secrets and ConfigMaps a Flux object in the same namespace reads
    ///   itself, whether written out or made by an ExternalSecret or a
    ///   SealedSecret: a Receiver's token and a Provider's or source's
    ///   credentials (`secretRef`, `certSecretRef`, `proxySecretRef`),
    ///   decryption and kubeconfig secrets, HelmRelease `valuesFrom`,
    ///   Kustomization `postBuild.substituteFrom`;
    /// - routes to the operator: an HTTPRoute, GRPCRoute or Ingress whose
    ///   every backend is Flux's `webhook-receiver` or
    ///   `notification-controller`, or Argo CD's `argocd-server` (also
    ///   `<release>-argocd-server`);
    /// - monitoring made for the operator: a ServiceMonitor or PodMonitor
    ///   whose selector picks the operator's pods (`app: source-controller`
    ///   and the other Flux controllers, `app.kubernetes.io/part-of: flux`,
    ///   `app.kubernetes.io/name: argocd-*`), a PrometheusRule whose every
    ///   expression reads the operator's metrics (`gotk_*`, `argocd_*`), a
    ///   GrafanaDashboard or `*dashboard*`-labelled ConfigMap whose every
    ///   dashboard shows them;
    /// - cluster-scoped objects, and an app-of-apps parent whose source
    ///   renders only the above.
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
        let own = OperatorObjects::new(index);
        placed_objects(index, &own, &is_op, cx.findings);
        operator_destinations(index, &own, &is_op, cx.findings);
        project_grants(index, ops, cx.findings);
    }
}

/// What an object does there, in words that fit its kind: a workload runs,
/// anything else is placed.
fn verb(o: &ObjectFacts) -> &'static str {
    if o.has_pod {
        "runs in"
    } else {
        "is placed in"
    }
}

/// Application objects put into an operator namespace, grouped by the node
/// that put them there.
fn placed_objects(
    index: &RepoIndex,
    own: &OperatorObjects,
    is_op: &dyn Fn(&str) -> bool,
    findings: &mut Vec<Finding>,
) {
    let mut by_setter: BTreeMap<(u32, u32, u32), Vec<usize>> = BTreeMap::new();
    for (i, o) in index.objects.iter().enumerate() {
        let Some(e) = &index.effective_ns[i] else {
            continue;
        };
        if !is_op(&e.value) || own.is_own(i) || is_cluster_scoped(o) {
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
    for ((file, start, end), mut objs) in by_setter {
        // Workloads first: they are what the finding is about.
        objs.sort_by_key(|&i| !index.objects[i].has_pod);
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
            let what = if first.has_pod {
                "workloads"
            } else {
                "objects"
            };
            let mut f = Finding::new(
                &OperatorNamespace::META,
                at,
                format!(
                    "this kustomization puts application {what} in the operator namespace `{ns}`"
                ),
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
                format!(
                    "{} {} the operator namespace `{ns}`",
                    describe(first),
                    verb(first)
                ),
            )
            .label("operator namespace")
            .object(Some(first.object_ref(Some(&ns))))
        };
        f = f.help(format!("give the application its own namespace; `{ns}` is for the GitOps operator and its configuration only"));
        findings.push(f);
    }
}

/// What an Application's, Kustomization's or HelmRelease's sources hold, as
/// far as the linted repositories show.
#[derive(Default)]
struct Rendered {
    /// Objects rendered from manifest directories, by index.
    objects: Vec<usize>,
    /// A chart directory that exists (what it renders is not read).
    local_chart: bool,
    /// Sources out of sight, in words.
    unseen: Vec<String>,
}

fn rendered(index: &RepoIndex, renders: &Renders, sources: &Sources, o: &ObjectFacts) -> Rendered {
    let mut out = Rendered::default();
    for s in sources.of(o) {
        let (repo, dir, chart) = match s {
            Source::Dir { repo, dir, chart } => (repo, dir, chart),
            Source::Unseen(what) => {
                out.unseen.push(what);
                continue;
            }
        };
        let files = renders.from_dir(repo, &dir);
        if files.is_empty() {
            let dir = dir.trim_start_matches("./").trim_matches('/');
            out.unseen
                .push(format!("`{dir}`, a path the repository does not have"));
        } else if chart {
            out.local_chart = true;
        } else {
            out.objects.extend(files.iter().flat_map(|&(f, _)| {
                index
                    .objects
                    .iter()
                    .enumerate()
                    .filter(move |(_, x)| x.file == f)
                    .map(|(i, _)| i)
            }));
        }
    }
    out
}

/// Applications, Flux Kustomizations and HelmReleases targeting an operator namespace.
fn operator_destinations(
    index: &RepoIndex,
    own: &OperatorObjects,
    is_op: &dyn Fn(&str) -> bool,
    findings: &mut Vec<Finding>,
) {
    let renders = Renders::new(index);
    let sources = Sources::new(index);
    for o in &index.objects {
        let (target, what): (&Spanned, &str) = if let Some(d) = o
            .extra()
            .app_destination_ns
            .as_ref()
            .filter(|_| is_argo_resource(o))
        {
            (d, "destination.namespace")
        } else if let Some(t) = &o.extra().target_namespace {
            (t, "targetNamespace")
        } else {
            continue;
        };
        if !is_op(&target.value) {
            continue;
        }
        let r = rendered(index, &renders, &sources, o);
        let app_objects: Vec<&ObjectFacts> = r
            .objects
            .iter()
            .filter(|&&i| !own.is_own(i))
            .map(|&i| &index.objects[i])
            .filter(|x| !is_cluster_scoped(x))
            .collect();
        let evidence = app_objects
            .iter()
            .find(|x| x.has_pod)
            .or(app_objects.first());
        let at = Location {
            file: o.file,
            span: target.span,
        };
        let ns = &target.value;
        let label = format!("{what} is an operator namespace");
        let f = if let Some(w) = evidence {
            let kind = if w.has_pod { "workloads" } else { "objects" };
            Finding::new(
                &OperatorNamespace::META,
                at,
                format!("{} deploys application {kind} into the operator namespace `{ns}`", describe(o)),
            )
            .label(label)
            .related(
                Location {
                    file: w.file,
                    span: w.kind_span,
                },
                format!("{} is rendered from its source", describe(w)),
            )
            .help("point the destination at the application's own namespace; only operator configuration (Applications, AppProjects, Flux objects) belongs there")
        } else if r.local_chart {
            Finding::new(
                &OperatorNamespace::META,
                at,
                format!("{} installs a chart into the operator namespace `{ns}`", describe(o)),
            )
            .label(label)
            .help("point the destination at the application's own namespace; only operator configuration (Applications, AppProjects, Flux objects) belongs there")
        } else if !r.unseen.is_empty() && !installs_operator(o) {
            Finding::new(
                &OperatorNamespace::META,
                at,
                format!(
                    "{} deploys into the operator namespace `{ns}` from a source that is not in the repository ({}), so what it deploys cannot be checked",
                    describe(o),
                    r.unseen.join("; ")
                ),
            )
            .label(label)
            .help("unless that source holds only operator configuration, point the destination at the application's own namespace (a source repository linted together with this one is checked)")
            .severity(Severity::Warning)
        } else {
            continue;
        };
        findings.push(f.object(Some(
            o.object_ref(o.namespace.as_ref().map(|n| n.value.as_str())),
        )));
    }
}

/// An Application or HelmRelease that installs the operator itself (Argo
/// CD managing itself, flux-operator and flux-instance): its chart or name
/// is the operator's.
fn installs_operator(o: &ObjectFacts) -> bool {
    let is_op = |n: &str| {
        let n = n.to_ascii_lowercase();
        ["argocd", "argo-cd", "flux", "flux2"].contains(&n.as_str())
            || n.starts_with("argocd-")
            || n.starts_with("flux-")
    };
    let name = o.name.as_ref().map(|n| n.value.as_str());
    let charts = o
        .extra()
        .app_sources
        .iter()
        .filter_map(|s| s.chart.as_deref());
    name.into_iter()
        .chain(o.extra().helm_chart.as_deref())
        .chain(charts)
        .any(is_op)
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
