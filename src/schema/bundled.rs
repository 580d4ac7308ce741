//! The schemas built into the binary (`schemas/bundled/`, made by
//! `schemas/generate.py`; sources and licences in `schemas/README.md`).
//! A bundle is indexed on first use and each kind's schema compiled on first
//! use, once, and shared by every thread. The generator lays a bundle out
//! with one definition per line, so the index is a scan for line ends
//! rather than a parse of the whole bundle on every run.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, OnceLock};

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value as Json;

use super::compile::{compile_with, Compiled, Defs};

/// The Kubernetes version whose built-in kinds are bundled.
pub use crate::config::BUNDLED_KUBERNETES_VERSION as KUBERNETES_VERSION;

/// One bundle: definitions, and the kinds that name them. Definitions stay
/// JSON text until a schema being compiled refers to one: a run that sees
/// a Deployment parses the few dozen definitions a Deployment needs, not
/// the whole bundle.
pub struct Bundle {
    pub name: String,
    pub structural: bool,
    /// Azure Pipelines: deprecated task versions (`kubernetesmanifest@0`,
    /// lowercase) and the task's newest version (`KubernetesManifest@1`;
    /// empty when there is none).
    pub deprecated: HashMap<String, String>,
    /// Each definition's JSON text.
    defs: HashMap<Cow<'static, str>, &'static str>,
    kinds: HashMap<String, Entry>,
}

struct Entry {
    def: String,
    compiled: OnceLock<Option<Arc<Compiled>>>,
}

/// A bundle's header: all but its definitions.
#[derive(Deserialize, Default)]
struct Header {
    #[serde(default)]
    name: String,
    #[serde(default)]
    structural: bool,
    #[serde(default)]
    kinds: HashMap<String, String>,
    #[serde(default)]
    deprecated: HashMap<String, String>,
}

/// A bundle read as plain JSON.
#[derive(Deserialize, Default)]
struct Raw {
    #[serde(flatten)]
    header: Header,
    #[serde(borrow, default)]
    defs: HashMap<Cow<'static, str>, &'static RawValue>,
}

impl Defs for Bundle {
    fn def(&self, name: &str) -> Option<Cow<'_, Json>> {
        let raw = self.defs.get(name)?;
        serde_json::from_str(raw).ok().map(Cow::Owned)
    }
}

impl Bundle {
    /// Reads a bundle's JSON text. A bundle that does not parse is empty
    /// (a unit test keeps every bundled one parsing and compiling).
    pub fn parse(text: &'static str) -> Bundle {
        let (raw, defs) = match by_lines(text) {
            Some(laid_out) => laid_out,
            None => {
                let raw: Raw = serde_json::from_str(text).unwrap_or_default();
                let defs = raw.defs.iter().map(|(k, v)| (k.clone(), v.get())).collect();
                (raw.header, defs)
            }
        };
        let kinds = raw
            .kinds
            .into_iter()
            .map(|(k, def)| {
                (
                    k,
                    Entry {
                        def,
                        compiled: OnceLock::new(),
                    },
                )
            })
            .collect();
        Bundle {
            name: raw.name,
            structural: raw.structural,
            deprecated: raw.deprecated,
            defs,
            kinds,
        }
    }

    /// The compiled schema of a kind key (`apps/v1 Deployment`, `workflow`).
    pub fn get(&self, key: &str) -> Option<Arc<Compiled>> {
        let e = self.kinds.get(key)?;
        e.compiled
            .get_or_init(|| self.compile_def(&e.def).map(Arc::new))
            .clone()
    }

    pub fn has(&self, key: &str) -> bool {
        self.kinds.contains_key(key)
    }

    /// Whether some kind of this bundle has this `apiVersion`.
    pub fn has_api_version(&self, api_version: &str) -> bool {
        self.kinds
            .keys()
            .any(|k| k.split_once(' ').is_some_and(|(a, _)| a == api_version))
    }

    /// The kinds of one `apiVersion`, sorted.
    pub fn kinds_of(&self, api_version: &str) -> Vec<&str> {
        let mut kinds: Vec<&str> = self
            .kinds
            .keys()
            .filter_map(|k| {
                k.split_once(' ')
                    .filter(|(a, _)| *a == api_version)
                    .map(|(_, k)| k)
            })
            .collect();
        kinds.sort_unstable();
        kinds
    }

    /// Every kind key, sorted.
    pub fn keys(&self) -> Vec<&str> {
        let mut k: Vec<&str> = self.kinds.keys().map(String::as_str).collect();
        k.sort_unstable();
        k
    }

    /// A definition compiled on its own (not cached).
    pub fn compile_def(&self, name: &str) -> Option<Compiled> {
        let root = serde_json::json!({ "$ref": format!("#/defs/{name}") });
        compile_with(&root, self, self.structural).ok()
    }
}

/// A bundle as the generator lays it out: the header (all but `defs`) on
/// the first line, ending `"defs":{`; then one `"name":<schema>,` per line;
/// then `}}`. `None` for any other layout (read as plain JSON instead).
fn by_lines(text: &'static str) -> Option<(Header, HashMap<Cow<'static, str>, &'static str>)> {
    let mut lines = text.lines();
    let head = lines.next()?.strip_suffix("\"defs\":{")?;
    let head = format!("{}}}", head.strip_suffix(',').unwrap_or(head));
    let raw: Header = serde_json::from_str(&head).ok()?;
    let mut defs = HashMap::new();
    for line in lines {
        if line == "}}" {
            return Some((raw, defs));
        }
        let entry = line.strip_suffix(',').unwrap_or(line);
        // Names need no escaping (the generator checks): the first `":` ends one.
        let (name, schema) = entry.strip_prefix('"')?.split_once("\":")?;
        defs.insert(Cow::Borrowed(name), schema);
    }
    None
}

macro_rules! bundle {
    ($name:ident, $file:literal) => {
        pub static $name: LazyLock<Bundle> = LazyLock::new(|| {
            Bundle::parse(include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/",
                $file
            )))
        });
    };
}

bundle!(KUBERNETES, "kubernetes.json");
bundle!(CRDS, "crds.json");
bundle!(GITHUB, "github.json");
bundle!(KUSTOMIZE, "kustomize.json");
bundle!(AZURE_PIPELINES, "azure-pipelines.json");

/// `metadata` of any object, custom resources included.
pub fn object_meta() -> Option<Arc<Compiled>> {
    static META: OnceLock<Option<Arc<Compiled>>> = OnceLock::new();
    META.get_or_init(|| {
        KUBERNETES
            .compile_def("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
            .map(Arc::new)
    })
    .clone()
}

/// The bundled schema of a Kubernetes object, built-in or custom.
pub fn object(api_version: &str, kind: &str) -> Option<Arc<Compiled>> {
    object_by_key(&format!("{api_version} {kind}"))
}

/// [`object`] by its key, `apiVersion kind`.
pub fn object_by_key(key: &str) -> Option<Arc<Compiled>> {
    KUBERNETES.get(key).or_else(|| CRDS.get(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_kind_compiles() {
        for b in [
            &*KUBERNETES,
            &*CRDS,
            &*GITHUB,
            &*KUSTOMIZE,
            &*AZURE_PIPELINES,
        ] {
            assert!(!b.keys().is_empty(), "bundle {} is empty", b.name);
            for k in b.keys() {
                let c = b.get(k);
                assert!(c.is_some(), "{}: {k} does not compile", b.name);
                assert_eq!(
                    c.unwrap().skipped_patterns,
                    0,
                    "{}: {k} has patterns regex-lite cannot read",
                    b.name
                );
            }
        }
        assert!(object_meta().is_some());
        let dep = &AZURE_PIPELINES.deprecated;
        assert_eq!(dep["kubernetesmanifest@0"], "KubernetesManifest@1");
        assert!(!dep.contains_key("kubernetesmanifest@1"));
    }

    #[test]
    fn the_line_index_reads_what_a_json_parser_reads() {
        for text in [
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/kubernetes.json"
            )),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/crds.json"
            )),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/github.json"
            )),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/kustomize.json"
            )),
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/schemas/bundled/azure-pipelines.json"
            )),
        ] {
            let (raw, defs) = by_lines(text).expect("laid out by generate.py");
            let full: Raw = serde_json::from_str(text).unwrap();
            assert_eq!(raw.name, full.header.name);
            assert_eq!(raw.structural, full.header.structural);
            assert_eq!(raw.kinds, full.header.kinds);
            assert_eq!(raw.deprecated, full.header.deprecated);
            assert_eq!(defs.len(), full.defs.len(), "{}", raw.name);
            for (name, schema) in &full.defs {
                let a: Json = serde_json::from_str(defs[name]).unwrap();
                let b: Json = serde_json::from_str(schema.get()).unwrap();
                assert_eq!(a, b, "{}: {name}", raw.name);
            }
        }
        // Anything else is not taken for the layout.
        assert!(by_lines("{\"defs\":{}}").is_none());
        assert!(by_lines("{\"name\":\"x\",\"defs\":{\n\"a\":{}").is_none());
    }

    #[test]
    fn the_bundled_version_is_the_kubernetes_bundles() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/bundled/kubernetes.json"
        ));
        let v: Json = serde_json::from_str(text).unwrap();
        let sources = v["sources"].to_string();
        assert!(
            sources.contains(&format!("{KUBERNETES_VERSION}.")),
            "{sources}"
        );
    }
}
