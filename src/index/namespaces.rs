//! Each object's effective namespace, and the files a GitOps operator
//! syncs: computed once every file is indexed.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::renders::Renders;
use super::sources::{Source, Sources};
use super::RepoIndex;
use crate::finding::FileId;
use crate::source::path::{dir_of, join_norm};
use crate::yaml::Span;

/// How an object got its effective namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsSource {
    Metadata,
    Kustomization,
    ArgoApplication,
    FluxKustomization,
}

#[derive(Debug, Clone)]
pub struct EffectiveNs {
    pub value: String,
    /// The node that put the object there (maybe in another file).
    pub file: FileId,
    pub span: Span,
    pub source: NsSource,
}

/// Computes every object's effective namespace: `metadata.namespace`; else
/// the outermost including kustomization's `namespace:`; else an Argo CD
/// Application's destination namespace (or a Flux Kustomization's
/// `targetNamespace`) whose source path renders it.
pub fn resolve(index: &mut RepoIndex) {
    let (effective_ns, synced) = {
        let renders = Renders::new(index);
        let dirs = manifest_dirs(index);
        (
            effective_namespaces(index, &renders, &dirs),
            operator_synced_files(index, &renders, &dirs),
        )
    };
    index.effective_ns = effective_ns;
    index.synced = synced;
}

/// Files that an operator (Argo CD Application, Flux Kustomization) syncs
/// from its source path: (repository, path, which object syncs it).
fn operator_synced_files(
    index: &RepoIndex,
    renders: &Renders,
    dirs: &ManifestDirs,
) -> Vec<(u32, String, String)> {
    let mut out = Vec::new();
    for (i, o_dirs) in dirs {
        let o = &index.objects[*i];
        let label = format!(
            "{} `{}`",
            o.kind,
            o.name.as_ref().map(|n| n.value.as_str()).unwrap_or("?")
        );
        for (repo, dir) in o_dirs {
            for (f, _) in renders.from_dir(*repo, dir) {
                out.push((
                    index.repo(f),
                    index.paths[f as usize].clone(),
                    label.clone(),
                ));
            }
        }
    }
    out
}

/// Per object (by index), the linted directories of manifests it syncs.
type ManifestDirs = Vec<(usize, Vec<(u32, String)>)>;

/// The linted directories of manifests each Application or Flux
/// Kustomization syncs (not charts, not sources out of sight).
fn manifest_dirs(index: &RepoIndex) -> ManifestDirs {
    let sources = Sources::new(index);
    index
        .objects
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let dirs: Vec<(u32, String)> = sources
                .of(o)
                .into_iter()
                .filter_map(|s| match s {
                    Source::Dir {
                        repo,
                        dir,
                        chart: false,
                    } => Some((repo, dir)),
                    _ => None,
                })
                .collect();
            (!dirs.is_empty()).then_some((i, dirs))
        })
        .collect()
}

fn effective_namespaces(
    index: &RepoIndex,
    renders: &Renders,
    dirs: &ManifestDirs,
) -> Vec<Option<EffectiveNs>> {
    let mut by_file: BTreeMap<FileId, EffectiveNs> = BTreeMap::new();
    // Kustomize namespaces, from root kustomizations (those nobody includes) inwards.
    let mut kdirs: HashMap<(u32, &str), Vec<FileId>> = HashMap::new();
    for k in &index.kustomizations {
        kdirs
            .entry((index.repo(k.file), dir_of(&index.paths[k.file as usize])))
            .or_default()
            .push(k.file);
    }
    let mut included: HashSet<FileId> = HashSet::new();
    for k in &index.kustomizations {
        let repo = index.repo(k.file);
        let d = dir_of(&index.paths[k.file as usize]);
        for r in &k.resources {
            if let Some(files) = kdirs.get(&(repo, join_norm(d, r).as_str())) {
                included.extend(files.iter().copied());
            }
        }
    }
    for k in index
        .kustomizations
        .iter()
        .filter(|k| !included.contains(&k.file))
    {
        for (f, ns) in renders.from_dir(index.repo(k.file), dir_of(&index.paths[k.file as usize])) {
            if let Some((kf, s)) = ns {
                by_file.entry(f).or_insert(EffectiveNs {
                    value: s.value,
                    file: kf,
                    span: s.span,
                    source: NsSource::Kustomization,
                });
            }
        }
    }
    // Operator destinations, for files no kustomization namespaced.
    let mut dest: BTreeMap<FileId, EffectiveNs> = BTreeMap::new();
    for (i, o_dirs) in dirs {
        let o = &index.objects[*i];
        let (ns, source) = if !o.extra().app_sources.is_empty() {
            (
                o.extra().app_destination_ns.as_ref(),
                NsSource::ArgoApplication,
            )
        } else if o.kind == "Kustomization" {
            (
                o.extra().target_namespace.as_ref(),
                NsSource::FluxKustomization,
            )
        } else {
            continue;
        };
        let Some(ns) = ns else { continue };
        for (repo, dir) in o_dirs {
            for (f, _) in renders.from_dir(*repo, dir) {
                dest.entry(f).or_insert(EffectiveNs {
                    value: ns.value.clone(),
                    file: o.file,
                    span: ns.span,
                    source,
                });
            }
        }
    }
    index
        .objects
        .iter()
        .map(|o| match &o.namespace {
            Some(n) => Some(EffectiveNs {
                value: n.value.clone(),
                file: o.file,
                span: n.span,
                source: NsSource::Metadata,
            }),
            None => by_file.get(&o.file).or_else(|| dest.get(&o.file)).cloned(),
        })
        .collect()
}
