//! Fills the repository index: per-object facts (in the parallel pass) and,
//! once every file is in, each object's effective namespace.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use crate::config::Config;
use crate::finding::FileId;
use crate::index::{KustomizationFacts, ObjectExtra, ObjectFacts, RepoIndex, Spanned};
use crate::model::k8s::Object;
use crate::rules::image::unquoted_span;
use crate::yaml::{NodeRef, Span};

fn spanned(n: NodeRef) -> Option<Spanned> {
    n.as_string().map(|s| Spanned::new(s, unquoted_span(n)))
}

fn names_of(list: Option<NodeRef>) -> Vec<Spanned> {
    list.map(|l| {
        l.items()
            .filter_map(|i| i.get("name").and_then(spanned))
            .collect()
    })
    .unwrap_or_default()
}

pub const DOCKER_SECRET_TYPES: [&str; 2] =
    ["kubernetes.io/dockerconfigjson", "kubernetes.io/dockercfg"];

/// Extracts the facts of one Kubernetes object.
pub fn object(file: FileId, obj: &Object) -> ObjectFacts {
    let n = obj.node;
    let mut f = ObjectFacts {
        file,
        api_version: obj.api_version.to_string(),
        kind: obj.kind.to_string(),
        name: n.path(&["metadata", "name"]).and_then(spanned),
        namespace: obj.namespace_node().and_then(spanned),
        kind_span: n.get("kind").map(unquoted_span).unwrap_or_default(),
        ..Default::default()
    };
    let mut x = ObjectExtra {
        part_of: n
            .path(&["metadata", "labels", "app.kubernetes.io/part-of"])
            .and_then(|v| v.as_str())
            .map(str::to_string),
        instance: n
            .path(&["metadata", "labels", "app.kubernetes.io/instance"])
            .and_then(|v| v.as_str())
            .map(str::to_string),
        argocd_secret_type: n
            .path(&["metadata", "labels", "argocd.argoproj.io/secret-type"])
            .is_some(),
        ..Default::default()
    };
    if let Some(pod) = obj.pod_spec() {
        f.has_pod = true;
        for c in crate::model::k8s::containers_of(pod) {
            if let Some(img) = c.image.and_then(spanned) {
                f.images.push(img);
            }
        }
        f.pull_secrets = names_of(pod.get("imagePullSecrets"));
        f.service_account = pod
            .get("serviceAccountName")
            .or_else(|| pod.get("serviceAccount"))
            .and_then(|s| s.as_string())
            .map(str::to_string);
    }
    let group = obj.group();
    let spec = n.get("spec");
    match (group, obj.kind) {
        ("", "ServiceAccount") => f.pull_secrets = names_of(n.get("imagePullSecrets")),
        ("", "Secret") => {
            let ty = n.get("type").and_then(|t| t.as_str()).unwrap_or("");
            if DOCKER_SECRET_TYPES.contains(&ty) {
                x.provides_pull_secret = f.name.as_ref().map(|s| s.value.clone());
            }
        }
        (g, "SealedSecret") if g.starts_with("bitnami.com") => {
            x.provides_pull_secret = spec
                .and_then(|s| s.str_at(&["template", "metadata", "name"]))
                .map(str::to_string)
                .or_else(|| f.name.as_ref().map(|s| s.value.clone()));
        }
        (g, "ExternalSecret") if g.starts_with("external-secrets.io") => {
            x.provides_pull_secret = spec
                .and_then(|s| s.str_at(&["target", "name"]))
                .map(str::to_string)
                .or_else(|| f.name.as_ref().map(|s| s.value.clone()));
        }
        (g, "Application") if g.starts_with("argoproj.io") => {
            if let Some(spec) = spec {
                let mut sources: Vec<NodeRef> = spec.get("source").into_iter().collect();
                sources.extend(
                    spec.get("sources")
                        .map(|s| s.items().collect::<Vec<_>>())
                        .unwrap_or_default(),
                );
                x.app_sources = sources
                    .into_iter()
                    .filter_map(|s| s.get("path").and_then(spanned))
                    .collect();
                x.app_destination_ns = spec.path(&["destination", "namespace"]).and_then(spanned);
            }
        }
        (g, "AppProject") if g.starts_with("argoproj.io") => {
            x.project_destinations = spec
                .and_then(|s| s.get("destinations"))
                .map(|d| {
                    d.items()
                        .filter_map(|i| i.get("namespace").and_then(spanned))
                        .collect()
                })
                .unwrap_or_default();
        }
        (g, "Kustomization") if g.starts_with("kustomize.toolkit.fluxcd.io") => {
            x.flux_path = spec.and_then(|s| s.get("path")).and_then(spanned);
            x.target_namespace = spec
                .and_then(|s| s.get("targetNamespace"))
                .and_then(spanned);
        }
        (g, "HelmRelease") if g.starts_with("helm.toolkit.fluxcd.io") => {
            x.target_namespace = spec
                .and_then(|s| s.get("targetNamespace"))
                .and_then(spanned);
        }
        _ => {}
    }
    if !x.is_empty() {
        f.extra = Some(Box::new(x));
    }
    f
}

/// Extracts a Kustomize kustomization's namespace and resources.
pub fn kustomization(file: FileId, root: NodeRef) -> KustomizationFacts {
    let mut resources = Vec::new();
    for key in ["resources", "bases", "components"] {
        if let Some(list) = root.get(key) {
            resources.extend(list.items().filter_map(|i| i.as_str()).map(str::to_string));
        }
    }
    KustomizationFacts {
        file,
        namespace: root.get("namespace").and_then(spanned),
        resources,
    }
}

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

/// Joins a relative path onto a directory and normalises `.` and `..`.
pub fn join_norm(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Files a directory renders, following `resources:` chains through nested
/// kustomizations, within one repository.
pub struct Renders<'a> {
    index: &'a RepoIndex,
    by_dir: HashMap<(u32, &'a str), Vec<usize>>,
    /// Files of each repository, sorted by path, for prefix lookups.
    sorted: HashMap<u32, Vec<(&'a str, FileId)>>,
}

impl<'a> Renders<'a> {
    pub fn new(index: &'a RepoIndex) -> Self {
        let mut by_dir: HashMap<(u32, &str), Vec<usize>> = HashMap::new();
        for (i, k) in index.kustomizations.iter().enumerate() {
            let key = (index.repo(k.file), dir_of(&index.paths[k.file as usize]));
            by_dir.entry(key).or_default().push(i);
        }
        let mut sorted: HashMap<u32, Vec<(&str, FileId)>> = HashMap::new();
        for (i, p) in index.paths.iter().enumerate() {
            sorted
                .entry(index.repo(i as FileId))
                .or_default()
                .push((p.as_str(), i as FileId));
        }
        for v in sorted.values_mut() {
            v.sort();
        }
        Renders {
            index,
            by_dir,
            sorted,
        }
    }

    /// Files rendered from directory `dir` of repository `repo`: through its
    /// kustomization when it has one, else every file under it. Each with the
    /// outermost kustomize namespace along the chain (and where it was set).
    pub fn from_dir(&self, repo: u32, dir: &str) -> Vec<(FileId, Option<(FileId, Spanned)>)> {
        let dir = dir.trim_start_matches("./").trim_matches('/');
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        let mut queue: VecDeque<(String, Option<(FileId, Spanned)>)> = VecDeque::new();
        queue.push_back((join_norm("", dir), None));
        while let Some((d, ns)) = queue.pop_front() {
            if !seen.insert(d.clone()) {
                continue;
            }
            match self.by_dir.get(&(repo, d.as_str())) {
                Some(ks) => {
                    for &ki in ks {
                        let k = &self.index.kustomizations[ki];
                        let ns = ns
                            .clone()
                            .or_else(|| k.namespace.clone().map(|s| (k.file, s)));
                        for r in &k.resources {
                            let target = join_norm(&d, r);
                            match self.index.file_at(repo, &target) {
                                Some(f) => out.push((f, ns.clone())),
                                None => queue.push_back((target, ns.clone())),
                            }
                        }
                    }
                }
                None => {
                    let prefix = if d.is_empty() {
                        String::new()
                    } else {
                        format!("{d}/")
                    };
                    let files = self.sorted.get(&repo).map(Vec::as_slice).unwrap_or(&[]);
                    let first = files.partition_point(|(p, _)| *p < prefix.as_str());
                    for &(_, f) in files[first..]
                        .iter()
                        .take_while(|(p, _)| p.starts_with(&prefix))
                    {
                        out.push((f, ns.clone()));
                    }
                }
            }
        }
        out.sort_by_key(|(f, _)| *f);
        out.dedup_by_key(|(f, _)| *f);
        out
    }
}

/// Computes every object's effective namespace: `metadata.namespace`; else
/// the outermost including kustomization's `namespace:`; else an Argo CD
/// Application's destination namespace (or a Flux Kustomization's
/// `targetNamespace`) whose source path renders it.
pub fn finish(index: &mut RepoIndex, _cfg: &Config) {
    let (effective_ns, synced) = {
        let renders = Renders::new(index);
        (
            effective_namespaces(index, &renders),
            operator_synced_files(index, &renders),
        )
    };
    index.effective_ns = effective_ns;
    index.synced = synced;
}

/// Files that an operator (Argo CD Application, Flux Kustomization) syncs
/// from its source path: (repository, path, which object syncs it).
fn operator_synced_files(index: &RepoIndex, renders: &Renders) -> Vec<(u32, String, String)> {
    let mut out = Vec::new();
    for o in &index.objects {
        let label = format!(
            "{} `{}`",
            o.kind,
            o.name.as_ref().map(|n| n.value.as_str()).unwrap_or("?")
        );
        for p in o
            .extra()
            .app_sources
            .iter()
            .chain(o.extra().flux_path.iter())
        {
            for (f, _) in renders.from_dir(index.repo(o.file), &p.value) {
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

fn effective_namespaces(index: &RepoIndex, renders: &Renders) -> Vec<Option<EffectiveNs>> {
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
    for o in &index.objects {
        let (paths, ns, source): (Vec<&Spanned>, Option<&Spanned>, NsSource) =
            if !o.extra().app_sources.is_empty() {
                (
                    o.extra().app_sources.iter().collect(),
                    o.extra().app_destination_ns.as_ref(),
                    NsSource::ArgoApplication,
                )
            } else if let Some(p) = &o.extra().flux_path {
                (
                    vec![p],
                    o.extra().target_namespace.as_ref(),
                    NsSource::FluxKustomization,
                )
            } else {
                continue;
            };
        let Some(ns) = ns else { continue };
        for p in paths {
            for (f, _) in renders.from_dir(index.repo(o.file), &p.value) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join_norm("overlays/prod", "../../base"), "base");
        assert_eq!(join_norm("a", "./b.yaml"), "a/b.yaml");
        assert_eq!(join_norm("", "k8s"), "k8s");
    }
}
