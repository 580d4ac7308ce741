//! Validating a config file into `Config`, by the key table (`keys`):
//! unknown keys, bad values and bad patterns are errors that point at their
//! node, with a suggestion.

use super::keys::{self, Field, FieldValue, Item, Key, Kind, Record, LEVELS};
use super::suggest::closest;
use super::*;
use crate::yaml::{self, NodeRef};

/// Parses config text. `known_rules` are the ids `rules:` may name.
pub fn parse(src: &str, known_rules: &[&str]) -> Result<Config, Vec<ConfigError>> {
    let mut errors = Vec::new();
    let parsed = yaml::parse_stream(src, &yaml::Limits::default());
    for e in &parsed.errors {
        errors.push(ConfigError {
            span: e.span,
            message: format!("invalid YAML: {}", e.message),
            help: None,
        });
    }
    let mut cfg = Config::default();
    let root = parsed.docs.first().and_then(|d| d.root());
    match root {
        None => {}
        Some(r) if r.is_null() => {}
        Some(r) if !r.is_map() => errors.push(err(
            r.span(),
            "the config must be a mapping of settings",
            None,
        )),
        Some(r) => {
            let mut v = Validator {
                errors: &mut errors,
                known_rules,
            };
            v.keys(r, keys::TOP, "", "the config", &mut cfg);
        }
    }
    if errors.is_empty() {
        Ok(cfg)
    } else {
        Err(errors)
    }
}

fn err(span: Span, message: impl Into<String>, help: Option<String>) -> ConfigError {
    ConfigError {
        span,
        message: message.into(),
        help,
    }
}

struct Validator<'e> {
    errors: &'e mut Vec<ConfigError>,
    known_rules: &'e [&'e str],
}

impl Validator<'_> {
    fn unknown(&mut self, key: NodeRef, allowed: &[&str], what: &str) {
        let k = key.as_str().unwrap_or("");
        let help = match closest(k, allowed) {
            Some(c) => format!("did you mean `{c}`?"),
            None => format!("known keys: {}", allowed.join(", ")),
        };
        self.errors.push(err(
            key.span(),
            format!("unknown key `{k}` in {what}"),
            Some(help),
        ));
    }

    fn string(&mut self, n: NodeRef, what: &str) -> Option<String> {
        match n.as_str() {
            Some(s) if n.scalar().is_some() && !n.is_null() => Some(s.to_string()),
            _ => {
                self.errors
                    .push(err(n.span(), format!("{what} must be a string"), None));
                None
            }
        }
    }

    fn strings(&mut self, n: NodeRef, what: &str) -> Vec<(String, Span)> {
        if !n.is_seq() {
            self.errors.push(err(
                n.span(),
                format!("{what} must be a list of strings"),
                None,
            ));
            return Vec::new();
        }
        n.items()
            .filter_map(|i| {
                self.string(i, &format!("each entry of {what}"))
                    .map(|s| (s, i.span()))
            })
            .collect()
    }

    fn bool(&mut self, n: NodeRef, what: &str) -> Option<bool> {
        match n.as_str() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => {
                self.errors
                    .push(err(n.span(), format!("{what} must be true or false"), None));
                None
            }
        }
    }

    fn number(&mut self, n: NodeRef, what: &str) -> Option<u64> {
        match n
            .as_str()
            .and_then(|s| s.replace('_', "").parse::<u64>().ok())
        {
            Some(v) if v > 0 => Some(v),
            _ => {
                self.errors.push(err(
                    n.span(),
                    format!("{what} must be a positive whole number"),
                    None,
                ));
                None
            }
        }
    }

    /// One word of `values`, or an error naming them.
    fn word(&mut self, n: NodeRef, values: &[&str], what: &str) -> Option<String> {
        match n.as_str().filter(|s| values.contains(s)) {
            Some(w) => Some(w.to_string()),
            None => {
                self.errors.push(err(
                    n.span(),
                    format!("{what} must be {}", keys::one_of(values)),
                    None,
                ));
                None
            }
        }
    }

    /// A list of strings, each checked as `item` says.
    fn list(&mut self, n: NodeRef, item: Item, what: &str) -> Vec<String> {
        let items = self.strings(n, what);
        for (s, span) in &items {
            if let Err(e) = item.check(s) {
                self.errors.push(err(*span, e, None));
            }
        }
        items.into_iter().map(|s| s.0).collect()
    }

    /// The entries of mapping `map` by the table `keys`. `prefix` is the
    /// mapping's dotted path, `what` how an unknown key's error names it.
    fn keys(&mut self, map: NodeRef, keys: &[Key], prefix: &str, what: &str, cfg: &mut Config) {
        let names: Vec<&str> = keys.iter().map(|k| k.name).collect();
        for (k, v) in map.entries() {
            let name = k.as_str().unwrap_or("");
            match keys.iter().find(|key| key.name == name) {
                Some(key) if prefix.is_empty() => self.value(key, v, name, cfg),
                Some(key) => self.value(key, v, &format!("{prefix}.{name}"), cfg),
                None => self.unknown(k, &names, what),
            }
        }
    }

    /// The value `v` of `key`, at dotted path `path`, into `cfg`.
    fn value(&mut self, key: &Key, v: NodeRef, path: &str, cfg: &mut Config) {
        match &key.kind {
            Kind::Word { values, set, .. } => {
                if let Some(w) = self.word(v, values, path) {
                    set(cfg, &w);
                }
            }
            Kind::Path { set, .. } => match self.string(v, path) {
                Some(p) if p.is_empty() => {
                    self.errors
                        .push(err(v.span(), format!("{path} must not be empty"), None));
                }
                Some(p) if !stays_inside(&p) => {
                    let message = format!(
                        "{path} must be a relative path that stays inside the config file's directory"
                    );
                    self.errors.push(err(v.span(), message, None));
                }
                Some(p) => set(cfg, p),
                None => {}
            },
            Kind::Bool { set, .. } => {
                if let Some(b) = self.bool(v, path) {
                    set(cfg, b);
                }
            }
            Kind::Count { set, .. } => {
                if let Some(n) = self.number(v, path) {
                    set(cfg, n);
                }
            }
            Kind::List { item, set, .. } => {
                let items = self.list(v, *item, path);
                set(cfg, items);
            }
            Kind::Map { not_a_map, .. } if !v.is_map() => {
                let message = match not_a_map {
                    Some(m) => m.to_string(),
                    None => format!("{path} must be a mapping"),
                };
                self.errors.push(err(v.span(), message, None));
            }
            Kind::Map { keys, .. } => self.keys(v, keys, path, path, cfg),
            Kind::Records {
                noun, fields, set, ..
            } => {
                let records = self.records(v, noun, fields, path);
                set(cfg, records);
            }
            Kind::Levels => self.levels(v, path, cfg),
        }
    }

    /// A list of records: mappings of `fields`.
    fn records(&mut self, n: NodeRef, noun: &str, fields: &[Field], path: &str) -> Vec<Record> {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let braces = format!("{{{}}}", names.join(", "));
        if !n.is_seq() {
            self.errors.push(err(
                n.span(),
                format!("{path} must be a list of {braces}"),
                None,
            ));
            return Vec::new();
        }
        n.items()
            .filter_map(|item| self.record(item, noun, fields, &names, &braces))
            .collect()
    }

    /// One record; `None` when it is not a mapping or lacks a required field.
    fn record(
        &mut self,
        n: NodeRef,
        noun: &str,
        fields: &[Field],
        names: &[&str],
        braces: &str,
    ) -> Option<Record> {
        if !n.is_map() {
            self.errors.push(err(
                n.span(),
                format!("each {noun} is a mapping {braces}"),
                None,
            ));
            return None;
        }
        let mut record = Record::default();
        for (k, v) in n.entries() {
            let name = k.as_str().unwrap_or("");
            let Some(field) = fields.iter().find(|f| f.name == name) else {
                self.unknown(k, names, &format!("a {noun}"));
                continue;
            };
            let value = match &field.value {
                FieldValue::Word(values) => self.word(v, values, field.name),
                // A text field that is no string ends the record's checks.
                FieldValue::Text(item) => {
                    let s = self.string(v, field.name)?;
                    match item.check(&s) {
                        Ok(()) => Some(s),
                        Err(e) => {
                            self.errors.push(err(v.span(), e, None));
                            None
                        }
                    }
                }
            };
            if let Some(value) = value {
                record.0.push((field.name, value));
            }
        }
        let mut complete = true;
        for f in fields {
            match (record.get(f.name), f.default) {
                (Some(_), _) => {}
                (None, Some(d)) => record.0.push((f.name, d.to_string())),
                (None, None) if f.required => {
                    self.errors
                        .push(err(n.span(), format!("a {noun} needs `{}`", f.name), None));
                    complete = false;
                }
                (None, None) => {}
            }
        }
        complete.then_some(record)
    }

    /// `rules:`: known rule ids to `LEVELS`.
    fn levels(&mut self, n: NodeRef, path: &str, cfg: &mut Config) {
        if !n.is_map() {
            self.errors.push(err(
                n.span(),
                format!("{path} must map rule ids to {}", keys::or_list(LEVELS)),
                None,
            ));
            return;
        }
        let known = self.known_rules;
        for (k, v) in n.entries() {
            let id = k.as_str().unwrap_or("");
            // `policy/rule` ids of the user's policies are read after the
            // config: accepted unless the policy is a built-in one.
            let policy = id.split_once('/').map(|(p, _)| p);
            let user_policy = policy.is_some_and(|p| {
                !known
                    .iter()
                    .any(|k| k.split_once('/').is_some_and(|(kp, _)| kp == p))
            });
            if !known.contains(&id) && !user_policy {
                let help = closest(id, known)
                    .map(|c| format!("did you mean `{c}`? (`shipshape rules` lists them)"));
                self.errors
                    .push(err(k.span(), format!("unknown rule `{id}`"), help));
                continue;
            }
            let level = match v.as_str() {
                Some("off") => Some(Level::Off),
                Some(s) => Severity::parse(s).map(Level::On),
                None => None,
            };
            match level {
                Some(level) => {
                    cfg.rules.insert(id.to_string(), level);
                }
                None => self.errors.push(err(
                    v.span(),
                    format!("a rule's level is {}", keys::one_of(LEVELS)),
                    None,
                )),
            }
        }
    }
}

/// A relative path with no `..`: it cannot leave the directory it is relative to.
fn stays_inside(p: &str) -> bool {
    let path = std::path::Path::new(p);
    !p.starts_with('/')
        && !p.starts_with('\\')
        && path.components().all(|c| {
            matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Auth, Level, Mode};

    const RULES: &[&str] = &["unpinned-image", "untrusted-registry"];

    #[test]
    fn defaults_are_the_azure_reference_policy() {
        let c = parse("", RULES).unwrap();
        assert_eq!(c.mode, Mode::Auto);
        assert_eq!(c.allowed_registries[0].text, "*.azurecr.io");
        assert_eq!(c.private_registries[0].auth, Auth::PullSecret);
        assert_eq!(c.operator_namespaces, ["argocd", "flux-system"]);
        assert_eq!(c.mutable_tags, ["latest"]);
        assert!(!c.require_digest);
    }

    #[test]
    fn full_config_parses() {
        let src = "mode: pull\nregistries:\n  allowed: [\"*.azurecr.io\", mcr.microsoft.com]\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\noperator-namespaces: [argocd]\nimages:\n  mutable-tags: [latest, main]\n  require-digest: true\nexclude: [\"vendor/**\"]\nrules:\n  unpinned-image: warning\n  untrusted-registry: off\nlimits:\n  max-file-size: 1_000_000\n";
        let c = parse(src, RULES).unwrap();
        assert_eq!(c.mode, Mode::Pull);
        assert_eq!(c.allowed_registries.len(), 2);
        assert_eq!(c.private_registries[0].auth, Auth::NodeIdentity);
        assert!(c.require_digest);
        assert_eq!(c.rules["untrusted-registry"], Level::Off);
        assert_eq!(c.limits.max_file_size, 1_000_000);
    }

    #[test]
    fn errors_point_at_the_node_and_suggest() {
        let src = "mode: sideways\nregistrys: []\nrules:\n  unpinned-imag: error\n";
        let errs = parse(src, RULES).unwrap_err();
        assert_eq!(errs.len(), 3);
        assert_eq!(&src[errs[0].span.range()], "sideways");
        assert_eq!(&src[errs[1].span.range()], "registrys");
        assert_eq!(errs[1].help.as_deref(), Some("did you mean `registries`?"));
        assert_eq!(
            errs[2].help.as_deref(),
            Some("did you mean `unpinned-image`? (`shipshape rules` lists them)")
        );
    }

    #[test]
    fn bad_patterns_are_rejected() {
        let errs = parse("registries:\n  allowed: [\"a*.io\"]\n", RULES).unwrap_err();
        assert!(errs[0].message.contains("invalid registry pattern"));
    }
}
