//! The facts of GitOps operator objects: Argo CD `Application` (source
//! paths, destination namespace) and `AppProject` (allowed destinations),
//! Flux `Kustomization` (path, target namespace) and `HelmRelease`.

use super::ObjectExtra;
use crate::model::kustomize::ImageOverride;
use crate::yaml::{NodeRef, Spanned};

/// Fills `x` with the facts of an Argo CD or Flux object; other kinds are left alone.
pub(super) fn facts(group: &str, kind: &str, spec: Option<NodeRef>, x: &mut ObjectExtra) {
    match (group, kind) {
        (g, "Application") if g.starts_with("argoproj.io") => {
            if let Some(spec) = spec {
                let mut sources: Vec<NodeRef> = spec.get("source").into_iter().collect();
                sources.extend(
                    spec.get("sources")
                        .map(|s| s.items().collect::<Vec<_>>())
                        .unwrap_or_default(),
                );
                for s in sources {
                    let Some(path) = s.get("path").and_then(Spanned::of) else {
                        continue;
                    };
                    let i = x.app_sources.len() as u16;
                    x.app_sources.push(path);
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
        }
        (g, "HelmRelease") if g.starts_with("helm.toolkit.fluxcd.io") => {
            x.target_namespace = spec
                .and_then(|s| s.get("targetNamespace"))
                .and_then(Spanned::of);
        }
        _ => {}
    }
}
