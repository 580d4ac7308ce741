//! The facts of GitOps operator objects: Argo CD `Application` (sources,
//! destination namespace) and `AppProject` (allowed destinations), Flux
//! `Kustomization` (source, path, target namespace), `HelmRelease` (chart
//! and its source), Flux sources (their URL), and the ConfigMaps and
//! Secrets Flux objects read themselves (credentials, webhook tokens,
//! `valuesFrom`, `substituteFrom`).

use super::ObjectExtra;
use crate::model::kustomize::ImageOverride;
use crate::yaml::{NodeRef, Spanned};

/// One source of an Argo CD Application.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppSource {
    /// `repoURL`, as written.
    pub repo_url: Option<String>,
    /// `path`: a directory of that repository.
    pub path: Option<Spanned>,
    /// `chart`: a chart from a Helm repository.
    pub chart: Option<String>,
}

/// A Flux `sourceRef` (or `chartRef`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FluxRef {
    pub kind: String,
    pub name: String,
    pub namespace: Option<String>,
}

impl FluxRef {
    fn of(n: NodeRef) -> Option<FluxRef> {
        Some(FluxRef {
            kind: n.str_at(&["kind"])?.to_string(),
            name: n.str_at(&["name"])?.to_string(),
            namespace: n.str_at(&["namespace"]).map(str::to_string),
        })
    }
}

/// Fills `x` with the facts of an Argo CD or Flux object; other kinds are left alone.
pub(super) fn facts(group: &str, kind: &str, spec: Option<NodeRef>, x: &mut ObjectExtra) {
    if group.ends_with("toolkit.fluxcd.io") {
        if let Some(spec) = spec {
            x.operator_reads = reads(kind, spec);
        }
    }
    match (group, kind) {
        (g, "Application") if g.starts_with("argoproj.io") => {
            if let Some(spec) = spec {
                let mut sources: Vec<NodeRef> = spec.get("source").into_iter().collect();
                sources.extend(spec.get("sources").into_iter().flat_map(|s| s.items()));
                for s in sources {
                    let source = AppSource {
                        repo_url: s.str_at(&["repoURL"]).map(str::to_string),
                        path: s.get("path").and_then(Spanned::of),
                        chart: s.str_at(&["chart"]).map(str::to_string),
                    };
                    if source.path.is_none() && source.chart.is_none() {
                        continue;
                    }
                    let i = x.app_sources.len() as u16;
                    x.app_sources.push(source);
                    let images = s.path(&["kustomize", "images"]);
                    x.image_overrides.extend(
                        images
                            .into_iter()
                            .flat_map(|l| l.items())
                            .filter_map(Spanned::of)
                            .filter_map(|s| ImageOverride::from_argo(&s))
                            .map(|o| (i, o)),
                    );
                }
                x.app_destination_ns = spec
                    .path(&["destination", "namespace"])
                    .and_then(Spanned::of);
            }
        }
        (g, "AppProject") if g.starts_with("argoproj.io") => {
            x.project_destinations = spec
                .and_then(|s| s.get("destinations"))
                .map(|d| {
                    d.items()
                        .filter_map(|i| i.get("namespace").and_then(Spanned::of))
                        .collect()
                })
                .unwrap_or_default();
        }
        (g, "Kustomization") if g.starts_with("kustomize.toolkit.fluxcd.io") => {
            x.flux_path = spec.and_then(|s| s.get("path")).and_then(Spanned::of);
            x.image_overrides = ImageOverride::list(spec.and_then(|s| s.get("images")))
                .into_iter()
                .map(|o| (0, o))
                .collect();
            x.target_namespace = spec
                .and_then(|s| s.get("targetNamespace"))
                .and_then(Spanned::of);
            x.flux_source = spec.and_then(|s| s.get("sourceRef")).and_then(FluxRef::of);
        }
        (g, "HelmRelease") if g.starts_with("helm.toolkit.fluxcd.io") => {
            x.target_namespace = spec
                .and_then(|s| s.get("targetNamespace"))
                .and_then(Spanned::of);
            let chart = spec.and_then(|s| s.path(&["chart", "spec"]));
            x.helm_chart = chart.and_then(|c| c.str_at(&["chart"])).map(str::to_string);
            x.flux_source = chart
                .and_then(|c| c.get("sourceRef"))
                .or_else(|| spec.and_then(|s| s.get("chartRef")))
                .and_then(FluxRef::of);
        }
        (g, _) if g.starts_with("source.toolkit.fluxcd.io") => {
            x.source_url = spec.and_then(|s| s.str_at(&["url"])).map(str::to_string);
        }
        _ => {}
    }
}

/// The ConfigMaps and Secrets a Flux object reads itself, as (kind, name):
/// `secretRef`, `certSecretRef`, `proxySecretRef` (sources, Providers,
/// Receivers' tokens, image repositories), `decryption`, `kubeConfig` and
/// `verify` secrets, HelmRelease `valuesFrom`, Kustomization
/// `postBuild.substituteFrom`.
fn reads(kind: &str, spec: NodeRef) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut secret = |n: Option<NodeRef>| {
        if let Some(name) = n.and_then(|n| n.str_at(&["name"])) {
            out.push(("Secret".to_string(), name.to_string()));
        }
    };
    for key in ["secretRef", "certSecretRef", "proxySecretRef"] {
        secret(spec.get(key));
    }
    secret(spec.path(&["decryption", "secretRef"]));
    secret(spec.path(&["kubeConfig", "secretRef"]));
    secret(spec.path(&["verify", "secretRef"]));
    let list = match kind {
        "HelmRelease" => spec.get("valuesFrom"),
        "Kustomization" => spec.path(&["postBuild", "substituteFrom"]),
        _ => None,
    };
    for item in list.into_iter().flat_map(|l| l.items()) {
        if let (Some(k @ ("Secret" | "ConfigMap")), Some(name)) =
            (item.str_at(&["kind"]), item.str_at(&["name"]))
        {
            out.push((k.to_string(), name.to_string()));
        }
    }
    out
}
