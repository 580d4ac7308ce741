//! `.shipshape.yaml`: discovery, parsing and validation. Every error points
//! into the config file with a span, like any other finding. This file holds
//! the settings and their defaults; `keys` declares every key of the file
//! once (its value, its description, where it goes); `parse` validates a file
//! into the settings by that table, and `schema` turns the same table into
//! the file's JSON Schema; `suggest` finds the "did you mean" of a misspelt
//! key or rule id. The config knows no rule registry: the caller hands it
//! the known rule ids (and, for the schema, their metadata).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::finding::{RuleMeta, Severity};
use crate::model::image::{HostPattern, ImageRef};
use crate::yaml::{self, Span};

mod keys;
mod parse;
mod schema;
mod suggest;

pub use parse::parse;
pub use schema::json_schema;
pub use suggest::closest;

pub const CONFIG_NAMES: [&str; 3] = [
    ".shipshape.yaml",
    ".shipshape.yml",
    ".github/shipshape.yaml",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Auto,
    Push,
    Pull,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    PullSecret,
    NodeIdentity,
}

#[derive(Debug, Clone)]
pub struct PrivateRegistry {
    pub pattern: HostPattern,
    pub auth: Auth,
}

/// A rule's configured level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

#[derive(Debug, Clone)]
pub struct FileLimits {
    pub max_file_size: u64,
    pub yaml: yaml::Limits,
}

impl Default for FileLimits {
    fn default() -> Self {
        FileLimits {
            max_file_size: 8 * 1024 * 1024,
            yaml: yaml::Limits::default(),
        }
    }
}

/// The Kubernetes version whose schemas are bundled: the default target.
pub const BUNDLED_KUBERNETES_VERSION: &str = "1.37";

/// Kubernetes versions `schemas.kubernetes-version` accepts.
pub const KUBERNETES_VERSIONS: &[&str] = &[
    "1.16", "1.17", "1.18", "1.19", "1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27",
    "1.28", "1.29", "1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37",
];

/// The built-in policy sets (`rules/<set>/`; `policy::builtin` checks that
/// they agree).
pub const POLICY_SETS: &[&str] = &[
    "pod-security-baseline",
    "pod-security-restricted",
    "best-practices",
];

/// Policies (`policies:`).
#[derive(Debug, Clone)]
pub struct PolicySettings {
    /// Built-in sets to run.
    pub sets: Vec<String>,
    /// Files and folders of the user's policies, relative to the config's directory.
    pub paths: Vec<String>,
}

impl Default for PolicySettings {
    /// The baseline Pod Security Standard alone: what no workload should
    /// need, so a finding is worth a look; the stricter sets are opt-in.
    fn default() -> Self {
        PolicySettings {
            sets: vec!["pod-security-baseline".into()],
            paths: Vec::new(),
        }
    }
}

/// Manifest validation settings (`schemas:`).
#[derive(Debug, Clone)]
pub struct SchemaSettings {
    /// Unknown fields are errors.
    pub strict: bool,
    /// A Kubernetes object with no schema is an error, not just counted.
    pub require: bool,
    /// Folders of extra schemas (JSON Schema files, CRDs), relative to the config's directory.
    pub paths: Vec<String>,
    /// The Kubernetes version deprecations and removals are judged against.
    pub kubernetes_version: &'static str,
}

impl Default for SchemaSettings {
    fn default() -> Self {
        SchemaSettings {
            strict: true,
            require: false,
            paths: Vec::new(),
            kubernetes_version: BUNDLED_KUBERNETES_VERSION,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub allowed_registries: Vec<HostPattern>,
    pub private_registries: Vec<PrivateRegistry>,
    pub operator_namespaces: Vec<String>,
    pub mutable_tags: Vec<String>,
    pub require_digest: bool,
    pub exclude: Vec<String>,
    pub rules: BTreeMap<String, Level>,
    pub limits: FileLimits,
    pub schemas: SchemaSettings,
    pub policies: PolicySettings,
    /// `cache-dir`: where the results cache goes, relative to `root`.
    pub cache_dir: Option<String>,
    /// Directory `exclude` globs are relative to.
    pub root: PathBuf,
    /// The file this came from, if any.
    pub path: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Auto,
            allowed_registries: vec![HostPattern::new("*.azurecr.io").expect("valid default")],
            private_registries: vec![PrivateRegistry {
                pattern: HostPattern::new("*.azurecr.io").expect("valid default"),
                auth: Auth::PullSecret,
            }],
            operator_namespaces: vec!["argocd".into(), "flux-system".into()],
            mutable_tags: vec!["latest".into()],
            require_digest: false,
            exclude: Vec::new(),
            rules: BTreeMap::new(),
            limits: FileLimits::default(),
            schemas: SchemaSettings::default(),
            policies: PolicySettings::default(),
            cache_dir: None,
            root: PathBuf::from("."),
            path: None,
        }
    }
}

impl Config {
    /// The level of a rule: configured, else its default severity.
    pub fn level(&self, meta: &RuleMeta) -> Level {
        self.rules
            .get(meta.id)
            .copied()
            .unwrap_or(Level::On(meta.default_severity))
    }

    pub fn private_registry(&self, image: &ImageRef) -> Option<&PrivateRegistry> {
        self.private_registries
            .iter()
            .find(|p| p.pattern.matches(image))
    }
}

/// An error in the config file, with its position.
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
}

/// Finds the config for a linted path: the nearest of `CONFIG_NAMES` in it or an ancestor.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(d) = dir {
        for name in CONFIG_NAMES {
            let candidate = d.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        dir = d.parent();
    }
    None
}

/// The directory a config file governs: its own, or the repository root for `.github/shipshape.yaml`.
pub fn root_of(config_path: &Path) -> PathBuf {
    let dir = config_path.parent().unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == ".github") {
        dir.parent().unwrap_or(dir).to_path_buf()
    } else {
        dir.to_path_buf()
    }
}
