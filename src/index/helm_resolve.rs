//! Effective images through Helm. Each chart of the repository is read with
//! the values every Argo CD Application or Flux HelmRelease deploying it
//! gives, or alone when nothing here deploys it (like a Kustomize base
//! nobody renders; a subchart vendored in another chart's `charts/` is
//! not, its parent may override it); a remote chart is read with the
//! values given to it only. Layers merge as the operators merge them:
//!
//! - Argo CD: the chart's `values.yaml`, `valueFiles` in order, `values`
//!   (or `valuesObject`, which replaces it), `parameters`;
//! - Flux: the chart's `values.yaml` (or `chart.spec.valuesFiles`, which
//!   replace it), `valuesFrom` ConfigMaps in order, `spec.values`.
//!
//! Files and ConfigMaps the parallel pass did not keep values of are
//! [`Need`]s: the engine reads them and hands them back to [`resolve`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::helm::{ChartAt, HelmSource, ValuesFrom};
use super::images::SetAt;
use super::renders::Renders;
use super::RepoIndex;
use crate::finding::FileId;
use crate::model::helm_images::{find, TagFrom};
use crate::model::helm_values::{Leaf, Tree};
use crate::source::path::{dir_of, join_norm};

/// Values the index has no tree for: the engine reads them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Need {
    /// A values file outside a chart (or not named like one).
    File(FileId),
    /// The `key` of ConfigMap `name` in `file`: parsed as values, or the
    /// string itself when `raw` (a `valuesFrom` with a `targetPath`).
    ConfigMap {
        file: FileId,
        name: String,
        key: String,
        raw: bool,
    },
}

/// Where a part of an image was set, and the first value it replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub at: SetAt,
    pub overrides: Option<(SetAt, String)>,
}

/// An image that a chart's effective values describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmImage {
    /// The reference as the values compose it (`registry/…` when the
    /// repository is the chart's own, not in the values).
    pub text: String,
    /// Where in the values: `controller.image`.
    pub path: String,
    pub repository_known: bool,
    /// The tag alone, when the repository is not known.
    pub tag: Option<String>,
    pub tag_from: TagFrom,
    /// The node that gave the registry, and the one that gave the tag or digest.
    pub registry_at: Option<Part>,
    pub pin_at: Option<Part>,
    /// The chart's name.
    pub chart: String,
    /// Its `values.yaml`, when it is in the repository.
    pub defaults: Option<FileId>,
    /// The object deploying it (index in `RepoIndex::objects`); `None` for
    /// a chart nothing deploys.
    pub via: Option<u32>,
}

impl HelmImage {
    /// How a finding names where it comes from: `in chart `web` values, as
    /// Application `web-prod` deploys it`.
    pub fn context(&self, index: &RepoIndex) -> String {
        let chart = format!("in chart `{}` values", self.chart);
        match self.via.and_then(|o| index.objects.get(o as usize)) {
            Some(o) => format!(
                "{chart}, as {} `{}` deploys it",
                o.kind,
                o.name.as_ref().map_or("?", |n| n.value.as_str())
            ),
            None => chart,
        }
    }
}

/// A chart directory of the repository.
struct Chart<'a> {
    name: String,
    defaults: Option<(FileId, &'a Tree)>,
}

enum Layer<'a> {
    Tree(&'a Tree),
    Need(Need, Option<&'a str>),
}

struct Deployment<'a> {
    via: Option<u32>,
    chart: String,
    defaults: Option<FileId>,
    layers: Vec<Layer<'a>>,
}

/// The files and ConfigMaps whose values the resolution needs read.
pub fn needs(index: &RepoIndex) -> Vec<Need> {
    let mut out: BTreeSet<Need> = BTreeSet::new();
    for d in Planner::new(index).plan() {
        for l in d.layers {
            if let Layer::Need(n, _) = l {
                out.insert(n);
            }
        }
    }
    out.into_iter().collect()
}

/// The images of every chart as deployed, given the values of [`needs`].
pub fn resolve(index: &RepoIndex, loaded: &BTreeMap<Need, Tree>) -> Vec<HelmImage> {
    let mut out = Vec::new();
    for d in Planner::new(index).plan() {
        let mut merged = Tree::empty();
        for l in &d.layers {
            match l {
                Layer::Tree(t) => merged.merge(t),
                Layer::Need(n, target) => match (loaded.get(n), target) {
                    (Some(t), None) => merged.merge(t),
                    (Some(Tree::Scalar(leaf)), Some(path)) => {
                        if let Some(t) = Tree::at_path(path, leaf.clone()) {
                            merged.merge(&t);
                        }
                    }
                    _ => {}
                },
            }
        }
        let (found, global) = find(&merged);
        for f in found {
            let Some(c) = f.compose(global) else { continue };
            out.push(HelmImage {
                text: c.text,
                path: f.path.clone(),
                repository_known: c.repository_known,
                tag: c.tag.map(str::to_string),
                tag_from: c.tag_from,
                registry_at: c.registry_at.map(part),
                pin_at: c.pin_at.map(part),
                chart: d.chart.clone(),
                defaults: d.defaults,
                via: d.via,
            });
        }
    }
    out
}

fn part(l: &Leaf) -> Part {
    let at = |a: crate::model::helm_values::At| SetAt {
        file: a.origin,
        span: a.span,
    };
    Part {
        at: at(l.at),
        overrides: l.overrides.as_ref().map(|o| (at(o.0), o.1.to_string())),
    }
}

struct Planner<'a> {
    index: &'a RepoIndex,
    /// Chart directories by (repository, directory).
    charts: BTreeMap<(u32, &'a str), Chart<'a>>,
    /// Values the parallel pass kept, by file.
    values: HashMap<FileId, &'a Tree>,
    /// ConfigMaps by name: indexes in `RepoIndex::objects`.
    config_maps: HashMap<&'a str, Vec<u32>>,
    renders: Option<Renders<'a>>,
}

impl<'a> Planner<'a> {
    fn new(index: &'a RepoIndex) -> Self {
        let mut charts = BTreeMap::new();
        let mut values = HashMap::new();
        for h in &index.helm_files {
            let dir = dir_of(&index.paths[h.file as usize]);
            if let Some(name) = &h.chart_name {
                let name = if name.is_empty() {
                    dir.rsplit('/').next().unwrap_or(dir).to_string()
                } else {
                    name.clone()
                };
                let defaults = None;
                charts.insert((index.repo(h.file), dir), Chart { name, defaults });
            }
            if let Some(v) = &h.values {
                values.insert(h.file, v);
            }
        }
        for h in &index.helm_files {
            let path = &index.paths[h.file as usize];
            let is_default = path.ends_with("/values.yaml")
                || path.ends_with("/values.yml")
                || path == "values.yaml"
                || path == "values.yml";
            let key = (index.repo(h.file), dir_of(path));
            if let (true, Some(v), Some(c)) = (is_default, &h.values, charts.get_mut(&key)) {
                c.defaults = c.defaults.or(Some((h.file, v)));
            }
        }
        let mut config_maps: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, o) in index.objects.iter().enumerate() {
            if o.kind == "ConfigMap" && o.api_version == "v1" {
                if let Some(n) = &o.name {
                    config_maps
                        .entry(n.value.as_str())
                        .or_default()
                        .push(i as u32);
                }
            }
        }
        Planner {
            index,
            charts,
            values,
            config_maps,
            renders: None,
        }
    }

    /// Every deployment: objects' sources first, in object order, then the
    /// charts nothing deploys.
    fn plan(&mut self) -> Vec<Deployment<'a>> {
        let index = self.index;
        let mut out = Vec::new();
        let mut deployed: BTreeSet<(u32, &str)> = BTreeSet::new();
        for (oi, o) in index.objects.iter().enumerate() {
            for src in &o.extra().helm {
                if let Some((d, key)) = self.deployment(oi as u32, src) {
                    deployed.extend(key);
                    out.push(d);
                }
            }
        }
        for (key, c) in &self.charts {
            if deployed.contains(key) || self.is_subchart(*key) {
                continue;
            }
            if let Some((f, t)) = c.defaults {
                out.push(Deployment {
                    via: None,
                    chart: c.name.clone(),
                    defaults: Some(f),
                    layers: vec![Layer::Tree(t)],
                });
            }
        }
        out
    }

    /// A chart vendored in another's `charts/`: deployed through its
    /// parent, whose values may override its own under its name (not
    /// followed), so it is not judged alone.
    fn is_subchart(&self, (repo, dir): (u32, &str)) -> bool {
        let parent = dir_of(dir);
        parent.rsplit('/').next() == Some("charts")
            && self.charts.contains_key(&(repo, dir_of(parent)))
    }

    /// What one source deploys, and the chart directory it deploys.
    fn deployment(
        &mut self,
        oi: u32,
        src: &'a HelmSource,
    ) -> Option<(Deployment<'a>, Option<(u32, &'a str)>)> {
        let index = self.index;
        let o = &index.objects[oi as usize];
        let repo = index.repo(o.file);
        let (name, dir, chart) = match &src.chart {
            ChartAt::Path(p) => match self.charts.get_key_value(&(repo, p.as_str())) {
                Some((k, c)) => (c.name.clone(), p.as_str(), Some((*k, c.defaults))),
                // A path with no chart: Kustomize or plain files, unless
                // Helm values say the chart is elsewhere (another repository).
                None if src.has_helm => (
                    p.rsplit('/').next().unwrap_or(p).to_string(),
                    p.as_str(),
                    None,
                ),
                None => return None,
            },
            ChartAt::Remote(n) => (n.clone(), "", None),
        };
        let defaults = chart.and_then(|(_, d)| d);
        let mut layers = Vec::new();
        if !src.replaces_defaults {
            layers.extend(defaults.map(|(_, t)| Layer::Tree(t)));
        }
        for vf in &src.value_files {
            let base = if vf.from_root { "" } else { dir };
            if let Some(f) = index.file_at(repo, &join_norm(base, &vf.path)) {
                layers.push(self.file_layer(f));
            }
        }
        for vf in &src.values_from {
            layers.extend(self.values_from(oi, vf));
        }
        layers.extend(src.inline.iter().map(Layer::Tree));
        let d = Deployment {
            via: Some(oi),
            chart: name,
            defaults: defaults.map(|(f, _)| f),
            layers,
        };
        Some((d, chart.map(|(k, _)| k)))
    }

    fn file_layer(&self, f: FileId) -> Layer<'a> {
        match self.values.get(&f) {
            Some(t) => Layer::Tree(t),
            None => Layer::Need(Need::File(f), None),
        }
    }

    /// A `valuesFrom` ConfigMap: an object of the repository, else a
    /// `configMapGenerator` file.
    fn values_from(&mut self, oi: u32, vf: &'a ValuesFrom) -> Option<Layer<'a>> {
        let index = self.index;
        let o = &index.objects[oi as usize];
        if let Some(cm) = self.config_map(oi, &vf.name) {
            let n = Need::ConfigMap {
                file: index.objects[cm as usize].file,
                name: vf.name.clone(),
                key: vf.key.clone(),
                raw: vf.target_path.is_some(),
            };
            return Some(Layer::Need(n, vf.target_path.as_deref()));
        }
        if vf.target_path.is_some() {
            return None;
        }
        let repo = index.repo(o.file);
        let mut candidates: Vec<(usize, FileId)> = Vec::new();
        for (ki, k) in index.kustomizations.iter().enumerate() {
            if index.repo(k.file) != repo {
                continue;
            }
            let kdir = dir_of(&index.paths[k.file as usize]);
            for g in &k.config_map_files {
                if g.name == vf.name && g.key == vf.key {
                    if let Some(f) = index.file_at(repo, &join_norm(kdir, &g.path)) {
                        candidates.push((ki, f));
                    }
                }
            }
        }
        let renders = self.renders.get_or_insert_with(|| Renders::new(index));
        let rendering: Vec<FileId> = candidates
            .iter()
            .filter(|(ki, _)| {
                let k = &index.kustomizations[*ki];
                let kdir = dir_of(&index.paths[k.file as usize]);
                renders
                    .from_dir(repo, kdir)
                    .iter()
                    .any(|(f, _)| *f == o.file)
            })
            .map(|(_, f)| *f)
            .collect();
        let pool: Vec<FileId> = if rendering.is_empty() {
            candidates.iter().map(|(_, f)| *f).collect()
        } else {
            rendering
        };
        let first = *pool.first()?;
        pool.iter()
            .all(|&f| f == first)
            .then(|| self.file_layer(first))
    }

    /// The ConfigMap named `name` that goes with object `oi`: in its file,
    /// else its directory, else the only one of the repository (or of its
    /// namespace).
    fn config_map(&self, oi: u32, name: &str) -> Option<u32> {
        let index = self.index;
        let o = &index.objects[oi as usize];
        let repo = index.repo(o.file);
        let all: Vec<u32> = self
            .config_maps
            .get(name)?
            .iter()
            .copied()
            .filter(|&c| index.repo(index.objects[c as usize].file) == repo)
            .collect();
        let file_of = |c: u32| index.objects[c as usize].file;
        let dir = dir_of(&index.paths[o.file as usize]);
        let ns = |i: u32| {
            index
                .effective_ns
                .get(i as usize)
                .and_then(|n| n.as_ref())
                .map(|n| n.value.as_str())
        };
        let tiers: [&dyn Fn(u32) -> bool; 4] = [
            &|c| file_of(c) == o.file,
            &|c| dir_of(&index.paths[file_of(c) as usize]) == dir,
            &|_| true,
            &|c| ns(c) == ns(oi),
        ];
        for tier in tiers {
            let here: Vec<u32> = all.iter().copied().filter(|&c| tier(c)).collect();
            match here.len() {
                0 => continue,
                1 => return Some(here[0]),
                // Several in one file or directory: the first; elsewhere, ambiguous.
                _ if here.iter().all(|&c| file_of(c) == file_of(here[0])) => return Some(here[0]),
                _ => continue,
            }
        }
        None
    }
}
