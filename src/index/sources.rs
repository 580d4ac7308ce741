//! Where an Argo CD Application's, a Flux Kustomization's or a HelmRelease's
//! manifests come from: a directory of one of the linted repositories, or
//! somewhere the run cannot see (another repository, a Helm repository, an
//! OCI artifact).
//!
//! The repository an Application's `repoURL` or a GitRepository's `url`
//! names is found by `repos`; when nothing tells (the linted repository's
//! own remotes are unknown), the object's own repository is assumed, as
//! with a repository laid out for one cluster.

use std::collections::HashMap;

use super::gitops::FluxRef;
use super::repos::Named;
use super::{ObjectFacts, RepoIndex};
use crate::source::remote::slug;

/// One source of a GitOps object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A directory of linted repository `repo`, as the object names it
    /// (relative to the repository root). It may hold no file at all: the
    /// reader checks.
    Dir {
        repo: u32,
        dir: String,
        /// A Helm chart's directory rather than manifests.
        chart: bool,
    },
    /// Not in the linted tree: what it is, in words (e.g. "the Helm chart
    /// `redis` from a Helm repository").
    Unseen(String),
}

/// Finds the sources of GitOps objects; built once per index (it keeps the
/// Flux GitRepositories by name).
pub struct Sources<'a> {
    index: &'a RepoIndex,
    git_repositories: HashMap<&'a str, Vec<&'a ObjectFacts>>,
}

impl<'a> Sources<'a> {
    pub fn new(index: &'a RepoIndex) -> Self {
        let mut git_repositories: HashMap<&str, Vec<&ObjectFacts>> = HashMap::new();
        for g in &index.objects {
            if g.kind == "GitRepository" && g.group().starts_with("source.toolkit.fluxcd.io") {
                if let Some(n) = &g.name {
                    git_repositories
                        .entry(n.value.as_str())
                        .or_default()
                        .push(g);
                }
            }
        }
        Sources {
            index,
            git_repositories,
        }
    }

    /// The sources of an Argo CD Application, a Flux Kustomization or a
    /// HelmRelease; empty for any other object.
    pub fn of(&self, o: &ObjectFacts) -> Vec<Source> {
        let index = self.index;
        let x = o.extra();
        let here = index.repo(o.file);
        if o.group().starts_with("argoproj.io") && o.kind == "Application" {
            return x
                .app_sources
                .iter()
                .map(|s| match (&s.chart, &s.path) {
                    (Some(chart), _) => {
                        Source::Unseen(format!("the chart `{chart}` from a Helm repository"))
                    }
                    (None, path) => at_url(
                        index,
                        here,
                        s.repo_url.as_deref(),
                        path.as_ref().map_or("", |p| p.value.as_str()),
                        false,
                    ),
                })
                .collect();
        }
        let flux = |g: &str| o.group().starts_with(g);
        let source = x.flux_source.as_ref();
        let kind = source.map_or("", |s| s.kind.as_str());
        let name = source.map_or("", |s| s.name.as_str());
        let s = if flux("kustomize.toolkit.fluxcd.io") && o.kind == "Kustomization" {
            let path = x.flux_path.as_ref().map_or("", |p| p.value.as_str());
            match kind {
                "GitRepository" | "" => self.git_source(o, source, path, false),
                _ => Source::Unseen(format!("the artifact of the {kind} `{name}`")),
            }
        } else if flux("helm.toolkit.fluxcd.io") && o.kind == "HelmRelease" {
            let chart = x.helm_chart.as_deref().unwrap_or("");
            match kind {
                "GitRepository" => self.git_source(o, source, chart, true),
                "HelmRepository" => Source::Unseen(format!(
                    "the chart `{chart}` from the HelmRepository `{name}`"
                )),
                "" => Source::Unseen("a chart whose source it does not name".to_string()),
                _ => Source::Unseen(format!("the chart in the {kind} `{name}`")),
            }
        } else {
            return Vec::new();
        };
        vec![s]
    }

    /// A directory of the GitRepository a Flux object refers to (its URL
    /// found among the linted objects; the object's own repository when it
    /// is not).
    fn git_source(
        &self,
        o: &ObjectFacts,
        source: Option<&FluxRef>,
        dir: &str,
        chart: bool,
    ) -> Source {
        let url = source.and_then(|r| self.git_repository(o, r));
        at_url(self.index, self.index.repo(o.file), url, dir, chart)
    }

    /// The `url` of the GitRepository `r` names: in the namespace it gives,
    /// or the referring object's; else the only one of that name.
    fn git_repository(&self, o: &ObjectFacts, r: &FluxRef) -> Option<&'a str> {
        let ns = r
            .namespace
            .as_deref()
            .or(o.namespace.as_ref().map(|n| n.value.as_str()));
        let candidates = self.git_repositories.get(r.name.as_str())?;
        let in_ns = candidates
            .iter()
            .find(|g| g.namespace.as_ref().map(|n| n.value.as_str()) == ns);
        let only = (candidates.len() == 1).then(|| &candidates[0]);
        in_ns.or(only)?.extra().source_url.as_deref()
    }
}

/// `owner/name` of a URL in backquotes (never the URL: it may hold a token).
fn named(url: Option<&str>) -> String {
    match url.and_then(slug) {
        Some(s) => format!("`{s}`"),
        None => "the repository it names".to_string(),
    }
}

/// A directory of the repository `url` names, seen from repository `here`.
fn at_url(index: &RepoIndex, here: u32, url: Option<&str>, dir: &str, chart: bool) -> Source {
    let repo = match url.map(|u| index.repo_named(u, here)) {
        Some(Named::Linted(r)) => r,
        Some(Named::Elsewhere) => {
            return Source::Unseen(format!("`{dir}` of {}, another repository", named(url)))
        }
        Some(Named::Unknown) | None => here,
    };
    Source::Dir {
        repo,
        dir: dir.to_string(),
        chart,
    }
}
