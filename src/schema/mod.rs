//! Manifest validation: schemas and the validator.
//!
//! `bundled` holds the schemas built into the binary (Kubernetes' built-in
//! kinds, Argo CD, Flux, sealed-secrets, External Secrets, GitHub workflows
//! and actions, kustomizations, Azure pipelines); `crd` reads
//! CustomResourceDefinitions as schemas; `compile` turns a JSON Schema into
//! the arena of `node`s that `validate` walks together with the YAML tree;
//! `message` words what it finds; `value` says which JSON type a YAML node
//! is; `deprecated` is the table of deprecated and removed Kubernetes
//! APIs. A [`Catalog`] adds the schemas a run brings (`schemas.paths`,
//! CRDs in the repository) in front of the bundled ones.

pub mod bundled;
pub mod compile;
pub mod crd;
pub mod deprecated;
pub mod message;
pub mod node;
pub mod validate;
pub mod value;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use compile::{compile, Compiled};

pub use bundled::KUBERNETES_VERSION;

/// Schemas a run brings, by `apiVersion kind` (lowercase), in front of the bundled ones.
#[derive(Default, Clone)]
pub struct Catalog {
    extra: HashMap<String, Arc<Compiled>>,
    /// A hash of every file `load_paths` read (paths and contents): what
    /// the results cache is keyed by, with the config.
    fingerprint: u128,
}

/// A schema file of `schemas.paths` that could not be used.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub path: PathBuf,
    /// Byte offset in the file, when the problem has a place.
    pub offset: Option<usize>,
    pub message: String,
}

fn key(api_version: &str, kind: &str) -> String {
    format!("{api_version} {kind}").to_ascii_lowercase()
}

impl Catalog {
    /// The schema of an object: the run's own first, then the bundled ones.
    pub fn object(&self, api_version: &str, kind: &str) -> Option<Arc<Compiled>> {
        if !self.extra.is_empty() {
            if let Some(c) = self.extra.get(&key(api_version, kind)) {
                return Some(c.clone());
            }
        }
        bundled::object(api_version, kind)
    }

    /// Whether the run brings its own schema for this kind.
    pub fn has_own(&self, api_version: &str, kind: &str) -> bool {
        self.extra.contains_key(&key(api_version, kind))
    }

    pub fn add(&mut self, api_version: &str, kind: &str, c: Compiled) {
        self.extra.insert(key(api_version, kind), Arc::new(c));
    }

    pub fn is_empty(&self) -> bool {
        self.extra.is_empty()
    }

    /// What the loaded schema files were: equal fingerprints, equal files.
    pub fn fingerprint(&self) -> u128 {
        self.fingerprint
    }

    /// Loads every `.json` (JSON Schema) and `.yaml`/`.yml` (CRD) file
    /// under `dirs`, in path order. What cannot be used is returned as
    /// errors; everything else is loaded.
    pub fn load_paths(&mut self, dirs: &[PathBuf], limits: &crate::yaml::Limits) -> Vec<LoadError> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for d in dirs {
            collect(d, &mut files, &mut errors, 0);
        }
        files.sort();
        let mut seen = xxhash_rust::xxh3::Xxh3::new();
        for f in files {
            let read = std::fs::read_to_string(&f);
            seen.update(f.as_os_str().as_encoded_bytes());
            seen.update(&[0]);
            if let Ok(text) = &read {
                seen.update(&(text.len() as u64).to_le_bytes());
                seen.update(text.as_bytes());
            }
            self.fingerprint = seen.digest128();
            let Ok(text) = read else {
                errors.push(LoadError {
                    path: f,
                    offset: None,
                    message: "could not read the schema file".into(),
                });
                continue;
            };
            let res = if f.extension().is_some_and(|e| e == "json") {
                self.load_json(&f, &text)
            } else {
                self.load_crds(&text, limits)
            };
            if let Err((offset, message)) = res {
                errors.push(LoadError {
                    path: f,
                    offset,
                    message,
                });
            }
        }
        errors
    }

    fn load_json(&mut self, path: &Path, text: &str) -> Result<(), (Option<usize>, String)> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            (
                offset_of(text, e.line(), e.column()),
                format!("not valid JSON: {e}"),
            )
        })?;
        let kinds = kinds_of(&v, path);
        if kinds.is_empty() {
            return Err((None, "no kind for this schema: give it `x-kubernetes-group-version-kind`, `apiVersion`/`kind` enums, or a `<kind>-<group>-<version>.json` name".into()));
        }
        let defs = v
            .get("definitions")
            .or_else(|| v.get("$defs"))
            .and_then(|d| d.as_object());
        let c = compile(&v, defs, false)
            .map_err(|e| (None, format!("the schema does not compile: {}", e.0)))?;
        let c = Arc::new(c);
        for (api, kind) in kinds {
            self.extra.insert(key(&api, &kind), c.clone());
        }
        Ok(())
    }

    fn load_crds(
        &mut self,
        text: &str,
        limits: &crate::yaml::Limits,
    ) -> Result<(), (Option<usize>, String)> {
        let parsed = crate::yaml::parse_stream(text, limits);
        if let Some(e) = parsed.errors.first() {
            return Err((
                Some(e.span.start as usize),
                format!("not valid YAML: {}", e.message),
            ));
        }
        for doc in &parsed.docs {
            let Some(root) = doc.root() else { continue };
            if root.str_at(&["kind"]) != Some("CustomResourceDefinition") {
                continue;
            }
            let versions = crd::versions(root).map_err(|(s, m)| (Some(s.start as usize), m))?;
            for v in versions {
                let c = compile(&v.schema, None, true).map_err(|e| {
                    (
                        Some(v.span.start as usize),
                        format!("the schema does not compile: {}", e.0),
                    )
                })?;
                self.add(&v.api_version, &v.kind, c);
            }
        }
        Ok(())
    }
}

/// Schema files under a directory, to a bounded depth.
fn collect(p: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>, depth: usize) {
    if depth > 8 {
        return;
    }
    if p.is_file() {
        files.push(p.to_path_buf());
        return;
    }
    let Ok(rd) = std::fs::read_dir(p) else {
        if depth == 0 {
            errors.push(LoadError {
                path: p.to_path_buf(),
                offset: None,
                message: "no such schema folder".into(),
            });
        }
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        let ft = e.file_type().ok();
        if ft.is_some_and(|t| t.is_dir()) {
            collect(&path, files, errors, depth + 1);
        } else if ft.is_some_and(|t| t.is_file())
            && path
                .extension()
                .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
        {
            files.push(path);
        }
    }
}

/// The (apiVersion, kind) pairs a JSON Schema file is for.
fn kinds_of(v: &serde_json::Value, path: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let gvks = match &v["x-kubernetes-group-version-kind"] {
        serde_json::Value::Array(a) => a.clone(),
        o @ serde_json::Value::Object(_) => vec![o.clone()],
        _ => Vec::new(),
    };
    for g in gvks {
        let (group, version, kind) = (
            g["group"].as_str().unwrap_or(""),
            g["version"].as_str(),
            g["kind"].as_str(),
        );
        if let (Some(version), Some(kind)) = (version, kind) {
            let api = if group.is_empty() {
                version.to_string()
            } else {
                format!("{group}/{version}")
            };
            out.push((api, kind.to_string()));
        }
    }
    if out.is_empty() {
        let first = |k: &str| v["properties"][k]["enum"][0].as_str().map(str::to_string);
        if let (Some(api), Some(kind)) = (first("apiVersion"), first("kind")) {
            out.push((api, kind));
        }
    }
    if out.is_empty() {
        // kubeconform's layout: `<kind>-<group>-<version>.json`, or `<kind>-<version>.json` for the core group.
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let parts: Vec<&str> = stem.split('-').collect();
        match parts.as_slice() {
            [kind, version] => out.push((version.to_string(), kind.to_string())),
            [kind, group @ .., version] if !group.is_empty() => {
                out.push((format!("{}/{version}", group.join("-")), kind.to_string()))
            }
            _ => {}
        }
    }
    out
}

/// The byte offset of a 1-based line and column as serde_json counts them
/// (bytes, the column being that of the byte where parsing stopped), moved
/// back to the start of the character that byte belongs to: at the end of
/// a text whose last character is multi-byte, serde_json's column names
/// that character's last byte.
fn offset_of(text: &str, line: usize, column: usize) -> Option<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let mut at = (start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// serde_json's position of an error, as `load_json` turns it into an offset.
    fn error_offset(text: &str) -> usize {
        let e = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
        offset_of(text, e.line(), e.column()).unwrap()
    }

    /// Found by the `schema` fuzz target (the stable fuzzer, minimised to
    /// `"` U+2028): an unterminated string ending in a multi-byte character
    /// gave an offset inside it (`fuzz/regressions/schema/json-error-offset-inside-character`).
    #[test]
    fn json_error_offsets_are_on_character_boundaries() {
        for text in [
            "\"\u{2028}",
            "{\"a\": \"é",
            "{\"a\":\n  [1, 2,\n  \"🚀",
            "{é: 1}",
            "[1, 2,]",
            "{\"a\": 1}\n\n x",
        ] {
            let at = error_offset(text);
            assert!(
                at <= text.len() && text.is_char_boundary(at),
                "{text:?}: offset {at}"
            );
        }
        // Where serde_json's column already names a character, it is kept.
        assert_eq!(error_offset("{é: 1}"), 1);
        assert_eq!(error_offset("{\"a\": 1}\n\n x"), 11);
        assert_eq!(error_offset("\"\u{2028}"), 1);
    }
}
