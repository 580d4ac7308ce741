//! The config's keys, declared once. `parse` validates a file by walking this
//! table (which keys exist, what each value must be, where it goes in
//! `Config`), and `schema` turns the same table into the JSON Schema editors
//! complete and check `.shipshape.yaml` with. A key's default is
//! `Config::default()`'s, read back through the key's `get`, so no default is
//! written twice.

use super::{Auth, Config, Mode, PrivateRegistry};
use crate::model::image::HostPattern;

/// One key of a mapping.
pub struct Key {
    pub name: &'static str,
    /// One or two sentences: the schema's `description`.
    pub doc: &'static str,
    pub kind: Kind,
}

/// What a key's value is, and how it reads from and writes to `Config`.
pub enum Kind {
    /// One word of `values`.
    Word {
        values: &'static [&'static str],
        get: fn(&Config) -> &'static str,
        set: fn(&mut Config, &str),
    },
    /// `true` or `false`.
    Bool {
        get: fn(&Config) -> bool,
        set: fn(&mut Config, bool),
    },
    /// A path, relative to the config file's directory; unset by default.
    Path { set: fn(&mut Config, String) },
    /// A positive whole number; `_` may separate digits (`1_000_000`, which
    /// YAML 1.2 reads as a string: `COUNT_PATTERN` is its schema).
    Count {
        get: fn(&Config) -> u64,
        set: fn(&mut Config, u64),
    },
    /// A list of strings, each checked as `item` says.
    List {
        item: Item,
        get: fn(&Config) -> Vec<String>,
        set: fn(&mut Config, Vec<String>),
    },
    /// A mapping of these keys. `not_a_map` replaces the usual
    /// "`<path>` must be a mapping" when the value is something else.
    Map {
        keys: &'static [Key],
        not_a_map: Option<&'static str>,
    },
    /// A list of mappings of `fields`, each one a `noun` ("private registry").
    Records {
        noun: &'static str,
        fields: &'static [Field],
        get: fn(&Config) -> Vec<Record>,
        set: fn(&mut Config, Vec<Record>),
    },
    /// Rule ids to `LEVELS`. The ids are the caller's: the config knows no
    /// rule registry.
    Levels,
}

/// What each string of a list, or a record's text field, must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Text,
    /// A registry host pattern (`*.azurecr.io`, `mcr.microsoft.com`).
    Host,
    /// A glob, relative to the config's directory.
    Glob,
    /// A built-in policy set's name (`super::POLICY_SETS`).
    PolicySet,
}

impl Item {
    /// The schema's regular expression for the item, where one says it:
    /// a host pattern is `*`, or a host with no `*` or `/`, optionally after `*.`
    /// (what `HostPattern::new` accepts, bar spaces).
    pub fn pattern(self) -> Option<&'static str> {
        match self {
            Item::Host => Some(r"^(\*|(\*\.)?[^*/\s]+)$"),
            Item::Text | Item::Glob | Item::PolicySet => None,
        }
    }

    /// Why `s` is not a valid item, if it is not.
    pub fn check(self, s: &str) -> Result<(), String> {
        match self {
            Item::Text => Ok(()),
            Item::PolicySet if super::POLICY_SETS.contains(&s) => Ok(()),
            Item::PolicySet => Err(format!(
                "unknown policy set `{s}`; the sets are {}",
                super::POLICY_SETS.join(", ")
            )),
            Item::Host => HostPattern::new(s)
                .map(|_| ())
                .map_err(|e| format!("invalid registry pattern `{s}`: {e}")),
            Item::Glob => globset::Glob::new(s)
                .map(|_| ())
                .map_err(|e| format!("invalid glob `{s}`: {e}")),
        }
    }
}

/// One field of a record.
pub struct Field {
    pub name: &'static str,
    pub doc: &'static str,
    pub value: FieldValue,
    pub required: bool,
    /// The value a record without this field gets.
    pub default: Option<&'static str>,
}

pub enum FieldValue {
    Word(&'static [&'static str]),
    Text(Item),
}

/// A validated record: its fields' values, defaults filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record(pub Vec<(&'static str, String)>);

impl Record {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A count written as a string: digits and `_`, not all zero.
pub const COUNT_PATTERN: &str = "^[0-9_]*[1-9][0-9_]*$";

/// A rule's configured level: `off` or a severity.
pub const LEVELS: &[&str] = &["off", "info", "warning", "error"];

/// The keys of the config file, in the order "known keys" lists them.
pub static TOP: &[Key] = &[
    Key {
        name: "mode",
        doc: "How workflows deploy: `push` (a workflow applies manifests to the cluster), `pull` (a GitOps operator syncs them; workflows only edit the repository), or `auto` (decided per workflow from what it does; `shipshape check --explain-mode` shows the evidence).",
        kind: Kind::Word {
            values: &["auto", "push", "pull"],
            get: |c| match c.mode {
                Mode::Auto => "auto",
                Mode::Push => "push",
                Mode::Pull => "pull",
            },
            set: |c, w| {
                c.mode = match w {
                    "push" => Mode::Push,
                    "pull" => Mode::Pull,
                    _ => Mode::Auto,
                }
            },
        },
    },
    Key {
        name: "registries",
        doc: "Where images may come from, and which registries need credentials to pull.",
        kind: Kind::Map {
            keys: REGISTRIES,
            not_a_map: Some("registries must be a mapping with `allowed` and `private`"),
        },
    },
    Key {
        name: "operator-namespaces",
        doc: "Namespaces that belong to the GitOps operator (Argo CD, Flux): application workloads must not run there.",
        kind: Kind::List {
            item: Item::Text,
            get: |c| c.operator_namespaces.clone(),
            set: |c, v| c.operator_namespaces = v,
        },
    },
    Key {
        name: "images",
        doc: "What an image reference must pin.",
        kind: Kind::Map {
            keys: IMAGES,
            not_a_map: None,
        },
    },
    Key {
        name: "exclude",
        doc: "Globs of paths not to lint, relative to the config file's directory (the repository root for `.github/shipshape.yaml`). `.gitignore` is honoured too; a file named on the command line is always linted.",
        kind: Kind::List {
            item: Item::Glob,
            get: |c| c.exclude.clone(),
            set: |c, v| c.exclude = v,
        },
    },
    Key {
        name: "cache-dir",
        doc: "Where the results cache goes: a path inside the config file's directory, relative to it, through no symbolic link (default: `.shipshape_cache` there). `--cache-dir` and `SHIPSHAPE_CACHE_DIR` take precedence; `--no-cache` turns it off.",
        kind: Kind::Path {
            set: |c, v| c.cache_dir = Some(v),
        },
    },
    Key {
        name: "rules",
        doc: "Per rule id, its level: `off`, `info`, `warning` or `error` (a rule not named keeps its default; `shipshape rules` lists them).",
        kind: Kind::Levels,
    },
    Key {
        name: "schemas",
        doc: "Manifest validation: strictness, extra schemas, and the Kubernetes version judged against.",
        kind: Kind::Map {
            keys: SCHEMAS,
            not_a_map: None,
        },
    },
    Key {
        name: "policies",
        doc: "Policies run on every Kubernetes object: built-in sets (`rules/`) and the team's own Kyverno policy files. `shipshape rules` lists the built-in policy rules.",
        kind: Kind::Map {
            keys: POLICIES,
            not_a_map: None,
        },
    },
    Key {
        name: "limits",
        doc: "Limits on what one file may cost. Each is a diagnostic when hit, never a crash.",
        kind: Kind::Map {
            keys: LIMITS,
            not_a_map: None,
        },
    },
];

static REGISTRIES: &[Key] = &[
    Key {
        name: "allowed",
        doc: "Host patterns of the registries images may come from. `*.x` matches any host ending in `.x` with at least one label before it, ignoring case and port; `*` alone matches every registry.",
        kind: Kind::List {
            item: Item::Host,
            get: |c| {
                c.allowed_registries
                    .iter()
                    .map(|p| p.text.clone())
                    .collect()
            },
            set: |c, v| c.allowed_registries = hosts(&v),
        },
    },
    Key {
        name: "private",
        doc: "Registries that need credentials to pull, and how the cluster gets them. The first entry that matches an image applies.",
        kind: Kind::Records {
            noun: "private registry",
            fields: PRIVATE,
            get: |c| {
                c.private_registries
                    .iter()
                    .map(|p| {
                        Record(vec![
                            ("match", p.pattern.text.clone()),
                            ("auth", auth_word(p.auth).to_string()),
                        ])
                    })
                    .collect()
            },
            set: |c, records| {
                c.private_registries = records
                    .iter()
                    .filter_map(|r| {
                        Some(PrivateRegistry {
                            pattern: HostPattern::new(r.get("match")?).ok()?,
                            auth: match r.get("auth") {
                                Some("node-identity") => Auth::NodeIdentity,
                                _ => Auth::PullSecret,
                            },
                        })
                    })
                    .collect()
            },
        },
    },
];

static PRIVATE: &[Field] = &[
    Field {
        name: "match",
        doc: "The registry's host pattern (as in `registries.allowed`).",
        value: FieldValue::Text(Item::Host),
        required: true,
        default: None,
    },
    Field {
        name: "auth",
        doc: "How pods authenticate: `pull-secret` (each pod template needs `imagePullSecrets`) or `node-identity` (the nodes are trusted, e.g. AKS with ACR attached).",
        value: FieldValue::Word(&["pull-secret", "node-identity"]),
        required: false,
        default: Some("pull-secret"),
    },
];

static IMAGES: &[Key] = &[
    Key {
        name: "mutable-tags",
        doc: "Tags that move, so an image using one is as unpinned as one with no tag.",
        kind: Kind::List {
            item: Item::Text,
            get: |c| c.mutable_tags.clone(),
            set: |c, v| c.mutable_tags = v,
        },
    },
    Key {
        name: "require-digest",
        doc: "Require every image to be pinned by digest (`name@sha256:...`); a tag alone is not enough.",
        kind: Kind::Bool {
            get: |c| c.require_digest,
            set: |c, b| c.require_digest = b,
        },
    },
];

static SCHEMAS: &[Key] = &[
    Key {
        name: "strict",
        doc: "Unknown fields in manifests, workflows and kustomizations are errors (`schema-violation`). `false` allows them.",
        kind: Kind::Bool {
            get: |c| c.schemas.strict,
            set: |c, b| c.schemas.strict = b,
        },
    },
    Key {
        name: "require",
        doc: "A Kubernetes object whose kind has no schema (bundled, a CRD in the repository, or `schemas.paths`) is an error instead of being counted as unvalidated.",
        kind: Kind::Bool {
            get: |c| c.schemas.require,
            set: |c, b| c.schemas.require = b,
        },
    },
    Key {
        name: "paths",
        doc: "Folders of extra schemas, relative to the config file's directory: JSON Schema files (`.json`, matched to a kind by `x-kubernetes-group-version-kind`, `apiVersion`/`kind` enums or a `<kind>-<group>-<version>.json` name) and CRDs (`.yaml`). They take precedence over the bundled schemas.",
        kind: Kind::List {
            item: Item::Text,
            get: |c| c.schemas.paths.clone(),
            set: |c, v| c.schemas.paths = v,
        },
    },
    Key {
        name: "kubernetes-version",
        doc: "The Kubernetes version `deprecated-api` judges apiVersions against (`--kubernetes-version` overrides it). Schemas are those of the bundled version.",
        kind: Kind::Word {
            values: super::KUBERNETES_VERSIONS,
            get: |c| c.schemas.kubernetes_version,
            set: |c, w| {
                c.schemas.kubernetes_version = super::KUBERNETES_VERSIONS
                    .iter()
                    .find(|v| **v == w)
                    .copied()
                    .unwrap_or(super::BUNDLED_KUBERNETES_VERSION)
            },
        },
    },
];

static POLICIES: &[Key] = &[
    Key {
        name: "sets",
        doc: "Built-in policy sets to run: `pod-security-baseline` (on by default), `pod-security-restricted`, `best-practices`. `[]` runs none.",
        kind: Kind::List {
            item: Item::PolicySet,
            get: |c| c.policies.sets.clone(),
            set: |c, v| c.policies.sets = v,
        },
    },
    Key {
        name: "paths",
        doc: "Files and folders of the team's own policies, relative to the config file's directory: Kubernetes ValidatingAdmissionPolicy (rule id `<policy>/vap`), Kyverno ValidatingPolicy (`<policy>/vpol`), and Kyverno ClusterPolicy/Policy `validate.pattern`, `anyPattern` and `validate.cel` rules (`<policy>/<rule>`).",
        kind: Kind::List {
            item: Item::Text,
            get: |c| c.policies.paths.clone(),
            set: |c, v| c.policies.paths = v,
        },
    },
];

static LIMITS: &[Key] = &[
    Key {
        name: "max-file-size",
        doc: "Bytes; larger files are skipped with a `file-too-large` warning (`--max-file-size` overrides it).",
        kind: Kind::Count {
            get: |c| c.limits.max_file_size,
            set: |c, n| c.limits.max_file_size = n,
        },
    },
    Key {
        name: "max-documents",
        doc: "YAML documents read from one file; the rest of the file is skipped.",
        kind: Kind::Count {
            get: |c| c.limits.yaml.max_documents as u64,
            set: |c, n| c.limits.yaml.max_documents = n as usize,
        },
    },
    Key {
        name: "max-depth",
        doc: "Deepest nesting of collections in a document.",
        kind: Kind::Count {
            get: |c| c.limits.yaml.max_depth as u64,
            set: |c, n| c.limits.yaml.max_depth = n as usize,
        },
    },
    Key {
        name: "max-alias-expansion",
        doc: "Nodes one document may expand to when its aliases are followed (a billion-laughs guard).",
        kind: Kind::Count {
            get: |c| c.limits.yaml.max_alias_expansion,
            set: |c, n| c.limits.yaml.max_alias_expansion = n,
        },
    },
];

/// Validated host patterns (the validator has already reported any other).
fn hosts(v: &[String]) -> Vec<HostPattern> {
    v.iter().filter_map(|s| HostPattern::new(s).ok()).collect()
}

fn auth_word(a: Auth) -> &'static str {
    match a {
        Auth::PullSecret => "pull-secret",
        Auth::NodeIdentity => "node-identity",
    }
}

/// "a or b" for two words, "one of a, b, c" for more: how a value's choices are named.
pub fn one_of(values: &[&str]) -> String {
    match values {
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", values.join(", ")),
    }
}

/// "a, b, c or d".
pub fn or_list(values: &[&str]) -> String {
    match values.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => values.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of every mapping, depth first, with its dotted path.
    fn walk<'k>(keys: &'k [Key], prefix: &str, out: &mut Vec<(String, &'k Key)>) {
        for k in keys {
            let path = if prefix.is_empty() {
                k.name.to_string()
            } else {
                format!("{prefix}.{}", k.name)
            };
            if let Kind::Map { keys, .. } = &k.kind {
                walk(keys, &path, out);
            }
            out.push((path, k));
        }
    }

    #[test]
    fn every_value_of_a_word_goes_in_and_comes_back() {
        let mut all = Vec::new();
        walk(TOP, "", &mut all);
        for (path, key) in &all {
            if let Kind::Word { values, get, set } = &key.kind {
                for v in *values {
                    let mut c = Config::default();
                    set(&mut c, v);
                    assert_eq!(get(&c), *v, "{path}");
                }
            }
        }
    }

    #[test]
    fn defaults_read_back_and_are_valid_values() {
        let mut all = Vec::new();
        walk(TOP, "", &mut all);
        let d = Config::default();
        for (path, key) in &all {
            match &key.kind {
                Kind::Word { values, get, .. } => assert!(values.contains(&get(&d)), "{path}"),
                Kind::Count { get, .. } => assert!(get(&d) > 0, "{path}"),
                Kind::List { item, get, set } => {
                    for s in get(&d) {
                        assert_eq!(item.check(&s), Ok(()), "{path}");
                    }
                    // What goes in comes back.
                    let mut c = Config::default();
                    set(&mut c, get(&d));
                    assert_eq!(get(&c), get(&d), "{path}");
                }
                Kind::Records { get, set, .. } => {
                    let mut c = Config::default();
                    c.private_registries.clear();
                    set(&mut c, get(&d));
                    assert_eq!(get(&c), get(&d), "{path}");
                }
                Kind::Path { .. } | Kind::Bool { .. } | Kind::Map { .. } | Kind::Levels => {}
            }
        }
    }

    #[test]
    fn choices_are_named_as_the_messages_have_them() {
        assert_eq!(one_of(&["a", "b"]), "a or b");
        assert_eq!(one_of(&["a", "b", "c"]), "one of a, b, c");
        assert_eq!(or_list(LEVELS), "off, info, warning or error");
    }
}
