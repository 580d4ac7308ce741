//! Helm facts, taken in the parallel pass: a chart's name (`Chart.yaml`)
//! and its values files, what an Argo CD Application or a Flux HelmRelease
//! deploys and with which values, and the files a Kustomize
//! `configMapGenerator` turns into ConfigMaps (Flux `valuesFrom`).
//! `helm_resolve` puts them together once every file is in.

use crate::finding::FileId;
use crate::model::helm_values::{Leaf, Tree};
use crate::source::path::join_norm;
use crate::yaml::{NodeRef, Span, Spanned};

/// What a file in a chart directory gives the index: `Chart.yaml`'s name,
/// or a values file's kept values.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct HelmFile {
    #[serde(with = "crate::finding::wire::file_id")]
    pub file: FileId,
    /// `Chart.yaml`: the chart's `name` (empty when it has none).
    pub chart_name: Option<String>,
    pub values: Option<Tree>,
}

/// Whether a file in a chart is read for the index: `Chart.yaml` and the
/// values files beside it (`values.yaml`, `values-prod.yaml`,
/// `values.prod.yaml`). Templates are not YAML until rendered.
pub fn is_read_in_chart(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Chart.yaml" || is_values_name(name)
}

fn is_values_name(name: &str) -> bool {
    let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    yaml && (name.starts_with("values.") || name.starts_with("values-"))
}

/// The facts of a chart file's first document.
pub fn chart_file(file: FileId, path: &str, root: NodeRef) -> Option<HelmFile> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "Chart.yaml" {
        let chart = root.get("name").and_then(|n| n.as_string()).unwrap_or("");
        return Some(HelmFile {
            file,
            chart_name: Some(chart.to_string()),
            values: None,
        });
    }
    is_values_name(name).then(|| HelmFile {
        file,
        chart_name: None,
        values: Some(Tree::of(root, file)),
    })
}

/// The chart a source deploys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ChartAt {
    /// A directory of the repository (Argo CD `path`, Flux `chart` from a
    /// GitRepository), normalised.
    Path(String),
    /// A chart from a Helm or OCI repository: its name.
    Remote(String),
}

/// A values file a source names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValueFile {
    pub path: String,
    /// Relative to the repository root (Flux, Argo CD `$ref/...`); else to
    /// the chart's directory.
    pub from_root: bool,
}

/// A Flux `valuesFrom` ConfigMap entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValuesFrom {
    pub name: String,
    pub key: String,
    pub target_path: Option<String>,
}

/// A chart an Argo CD Application or Flux HelmRelease deploys, and the
/// values it gives, lowest precedence first within each kind.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HelmSource {
    pub chart: ChartAt,
    /// Argo CD: a `helm:` block is present (a `path` with none may be a
    /// Kustomize or plain directory).
    pub has_helm: bool,
    /// Flux `chart.spec.valuesFiles`: these replace the chart's `values.yaml`.
    pub replaces_defaults: bool,
    pub value_files: Vec<ValueFile>,
    pub values_from: Vec<ValuesFrom>,
    /// Inline values: Argo CD `values` (or `valuesObject`) then
    /// `parameters`; Flux `spec.values`.
    pub inline: Vec<Tree>,
}

/// The Helm sources of an Argo CD Application or Flux HelmRelease.
pub fn sources(file: FileId, group: &str, kind: &str, spec: Option<NodeRef>) -> Vec<HelmSource> {
    let Some(spec) = spec else {
        return Vec::new();
    };
    match (group, kind) {
        (g, "Application") if g.starts_with("argoproj.io") => argo(file, spec),
        (g, "HelmRelease") if g.starts_with("helm.toolkit.fluxcd.io") => {
            flux(file, spec).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

fn argo(file: FileId, spec: NodeRef) -> Vec<HelmSource> {
    let mut sources: Vec<NodeRef> = spec.get("source").into_iter().collect();
    sources.extend(spec.get("sources").into_iter().flat_map(|s| s.items()));
    let refs: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.get("ref").and_then(|r| r.as_string()))
        .collect();
    let mut out = Vec::new();
    for s in &sources {
        let chart = match (
            s.str_at(&["chart"]),
            s.get("path").and_then(|p| p.as_string()),
        ) {
            (Some(c), _) if !c.is_empty() => ChartAt::Remote(c.to_string()),
            (_, Some(p)) => ChartAt::Path(repo_path(p)),
            _ => continue,
        };
        let helm = s.get("helm");
        let remote = matches!(chart, ChartAt::Remote(_));
        let value_files = helm
            .and_then(|h| h.get("valueFiles"))
            .into_iter()
            .flat_map(|l| l.items())
            .filter_map(|i| i.as_string())
            .filter_map(|p| argo_value_file(p, &refs, remote))
            .collect();
        let mut inline = Vec::new();
        if let Some(h) = helm {
            match h.get("valuesObject").filter(|v| v.is_map()) {
                Some(obj) => inline.push(Tree::of(obj, file)),
                None => inline.extend(h.get("values").and_then(|v| Tree::of_string(v, file))),
            }
            inline.extend(parameters(h.get("parameters"), file));
        }
        out.push(HelmSource {
            chart,
            has_helm: helm.is_some(),
            replaces_defaults: false,
            value_files,
            values_from: Vec::new(),
            inline,
        });
    }
    out
}

/// A `valueFiles` entry: `$ref/path` from the repository root when `ref`
/// is a source of the Application, else relative to the chart (which a
/// remote chart's are: inside its package, not here). URLs are not read.
fn argo_value_file(p: &str, refs: &[&str], remote: bool) -> Option<ValueFile> {
    if p.contains("://") {
        return None;
    }
    if let Some(rest) = p.strip_prefix('$') {
        let (name, path) = rest.split_once('/')?;
        return refs.contains(&name).then(|| ValueFile {
            path: repo_path(path),
            from_root: true,
        });
    }
    (!remote).then(|| ValueFile {
        path: p.to_string(),
        from_root: false,
    })
}

/// `parameters: [{name: image.tag, value: latest}]` as one tree.
fn parameters(list: Option<NodeRef>, file: FileId) -> Option<Tree> {
    let mut t = Tree::empty();
    let mut any = false;
    for p in list.into_iter().flat_map(|l| l.items()) {
        let (Some(name), Some(value)) = (p.get("name").and_then(|n| n.as_str()), p.get("value"))
        else {
            continue;
        };
        let Some(leaf) = Leaf::of(value, file) else {
            continue;
        };
        // Argo CD passes parameters as `--set`: a string, whatever it looks like.
        let leaf = Leaf {
            string: true,
            ..leaf
        };
        if let Some(one) = Tree::at_path(name, leaf) {
            t.merge(&one);
            any = true;
        }
    }
    any.then_some(t)
}

fn flux(file: FileId, spec: NodeRef) -> Option<HelmSource> {
    let chart_spec = spec.path(&["chart", "spec"]);
    let chart = match chart_spec {
        Some(cs) => {
            let name = cs.get("chart").and_then(|c| c.as_string())?;
            match cs.str_at(&["sourceRef", "kind"]) {
                Some("GitRepository") | Some("Bucket") => ChartAt::Path(repo_path(name)),
                _ => ChartAt::Remote(name.to_string()),
            }
        }
        None => ChartAt::Remote(spec.str_at(&["chartRef", "name"])?.to_string()),
    };
    let git = matches!(chart, ChartAt::Path(_));
    let mut value_files: Vec<ValueFile> = Vec::new();
    if git {
        let listed = chart_spec.and_then(|cs| cs.get("valuesFiles"));
        let single = chart_spec.and_then(|cs| cs.get("valuesFile"));
        let paths = listed.into_iter().flat_map(|l| l.items()).chain(single);
        value_files.extend(paths.filter_map(|p| p.as_string()).map(|p| ValueFile {
            path: repo_path(p),
            from_root: true,
        }));
    }
    let values_from = spec
        .get("valuesFrom")
        .into_iter()
        .flat_map(|l| l.items())
        // A Secret's values are never read: they could be printed.
        .filter(|v| v.str_at(&["kind"]) == Some("ConfigMap"))
        .filter_map(|v| {
            Some(ValuesFrom {
                name: v.get("name")?.as_string()?.to_string(),
                key: v
                    .str_at(&["valuesKey"])
                    .unwrap_or("values.yaml")
                    .to_string(),
                target_path: v.str_at(&["targetPath"]).map(str::to_string),
            })
        })
        .collect();
    let inline = spec
        .get("values")
        .filter(|v| v.is_map())
        .map(|v| Tree::of(v, file));
    Some(HelmSource {
        chart,
        has_helm: true,
        replaces_defaults: !value_files.is_empty(),
        value_files,
        values_from,
        inline: inline.into_iter().collect(),
    })
}

/// A path as written in an operator object, relative to the repository root.
fn repo_path(p: &str) -> String {
    join_norm("", p.trim_start_matches("./").trim_matches('/'))
}

/// A file a Kustomize `configMapGenerator` puts in a ConfigMap.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GeneratedFile {
    /// The ConfigMap's name (before any hash suffix).
    pub name: String,
    /// Its key in the ConfigMap's data.
    pub key: String,
    /// The file, relative to the kustomization's directory.
    pub path: String,
    pub span: Span,
}

/// The files of a kustomization's `configMapGenerator` entries
/// (`files: [values.yaml]`, `files: [key=path]`).
pub fn generated_files(root: NodeRef) -> Vec<GeneratedFile> {
    let mut out = Vec::new();
    for g in root
        .get("configMapGenerator")
        .into_iter()
        .flat_map(|l| l.items())
    {
        let Some(name) = g.get("name").and_then(|n| n.as_string()) else {
            continue;
        };
        for f in g.get("files").into_iter().flat_map(|l| l.items()) {
            let Some(s) = Spanned::of(f) else { continue };
            let (key, path) = match s.value.split_once('=') {
                Some((k, p)) => (k.to_string(), p.to_string()),
                None => (
                    s.value.rsplit('/').next().unwrap_or("").to_string(),
                    s.value.clone(),
                ),
            };
            if key.is_empty() || path.is_empty() {
                continue;
            }
            out.push(GeneratedFile {
                name: name.to_string(),
                key,
                path,
                span: s.span,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn sources_of(src: &str) -> Vec<HelmSource> {
        let p = parse_stream(src, &Limits::default());
        let root = p.docs[0].root().unwrap();
        let api = root.str_at(&["apiVersion"]).unwrap();
        let group = api.rsplit_once('/').map_or("", |(g, _)| g);
        sources(3, group, root.str_at(&["kind"]).unwrap(), root.get("spec"))
    }

    #[test]
    fn argo_sources() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  sources:\n    - repoURL: https://charts.example.com\n      chart: web\n      helm:\n        valueFiles: [$values/envs/prod.yaml, values-x.yaml, $other/a.yaml]\n        parameters:\n          - {name: image.tag, value: latest}\n          - {name: 'containers[0].image', value: x}\n    - repoURL: https://github.com/o/r\n      ref: values\n    - path: ./charts/api/\n      helm:\n        values: |\n          image:\n            tag: dev\n        valuesObject:\n          image: {tag: \"1.0\"}\n    - path: k8s/plain\n";
        let s = sources_of(src);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].chart, ChartAt::Remote("web".into()));
        assert_eq!(
            s[0].value_files,
            [ValueFile {
                path: "envs/prod.yaml".into(),
                from_root: true
            }]
        );
        let Some(Tree::Map(_)) = s[0].inline.first() else {
            panic!()
        };
        let tag = s[0].inline[0].get("image").unwrap().get("tag").unwrap();
        let Tree::Scalar(l) = tag else { panic!() };
        assert_eq!(&src[l.at.span.range()], "latest");
        assert_eq!(s[1].chart, ChartAt::Path("charts/api".into()));
        // valuesObject wins over values.
        assert_eq!(s[1].inline.len(), 1);
        let Some(Tree::Scalar(l)) = s[1].inline[0].get("image").and_then(|i| i.get("tag")) else {
            panic!()
        };
        assert_eq!(&*l.text, "1.0");
        assert!(!s[2].has_helm && s[2].inline.is_empty());
    }

    #[test]
    fn flux_sources() {
        let src = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: fluent-bit\n      sourceRef: {kind: HelmRepository, name: fluent}\n  valuesFrom:\n    - kind: ConfigMap\n      name: fb-values\n      valuesKey: base-values.yaml\n    - kind: Secret\n      name: creds\n    - kind: ConfigMap\n      name: tags\n      valuesKey: tag\n      targetPath: image.tag\n  values:\n    image: {repository: busybox}\n";
        let s = sources_of(src);
        assert_eq!(s[0].chart, ChartAt::Remote("fluent-bit".into()));
        assert_eq!(s[0].values_from.len(), 2);
        assert_eq!(s[0].values_from[0].key, "base-values.yaml");
        assert_eq!(
            s[0].values_from[1].target_path.as_deref(),
            Some("image.tag")
        );
        assert_eq!(s[0].inline.len(), 1);
        let git = "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  chart:\n    spec:\n      chart: ./charts/web\n      sourceRef: {kind: GitRepository, name: flux-system}\n      valuesFiles: [./charts/web/values-prod.yaml]\n";
        let s = sources_of(git);
        assert_eq!(s[0].chart, ChartAt::Path("charts/web".into()));
        assert!(s[0].replaces_defaults);
        assert_eq!(s[0].value_files[0].path, "charts/web/values-prod.yaml");
    }

    #[test]
    fn generators_and_chart_files() {
        let p = parse_stream(
            "configMapGenerator:\n  - name: v\n    files: [base-values.yaml=values.yaml, sub/extra.yaml, =x]\n  - files: [y]\n",
            &Limits::default(),
        );
        let g = generated_files(p.docs[0].root().unwrap());
        let got: Vec<(&str, &str, &str)> = g
            .iter()
            .map(|g| (g.name.as_str(), g.key.as_str(), g.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("v", "base-values.yaml", "values.yaml"),
                ("v", "extra.yaml", "sub/extra.yaml")
            ]
        );
        for (p, read) in [
            ("c/Chart.yaml", true),
            ("c/values.yaml", true),
            ("c/values-prod.yml", true),
            ("c/values.prod.yaml", true),
            ("c/templates/deploy.yaml", false),
            ("c/myvalues.yaml", false),
        ] {
            assert_eq!(is_read_in_chart(p), read, "{p}");
        }
    }
}
