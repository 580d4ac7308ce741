//! Validating a config file into `Config`: unknown keys, bad values and bad
//! patterns are errors that point at their node, with a suggestion.

use super::suggest::closest;
use super::*;
use crate::yaml::{self, NodeRef};

const TOP_KEYS: &[&str] = &[
    "mode",
    "registries",
    "operator-namespaces",
    "images",
    "exclude",
    "rules",
    "limits",
];

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
            };
            v.top(r, &mut cfg, known_rules);
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

    fn host_patterns(&mut self, n: NodeRef, what: &str) -> Vec<HostPattern> {
        let mut out = Vec::new();
        for (s, span) in self.strings(n, what) {
            match HostPattern::new(&s) {
                Ok(p) => out.push(p),
                Err(e) => self.errors.push(err(
                    span,
                    format!("invalid registry pattern `{s}`: {e}"),
                    None,
                )),
            }
        }
        out
    }

    fn top(&mut self, root: NodeRef, cfg: &mut Config, known_rules: &[&str]) {
        for (k, v) in root.entries() {
            match k.as_str().unwrap_or("") {
                "mode" => match v.as_str() {
                    Some("auto") => cfg.mode = Mode::Auto,
                    Some("push") => cfg.mode = Mode::Push,
                    Some("pull") => cfg.mode = Mode::Pull,
                    _ => self.errors.push(err(
                        v.span(),
                        "mode must be one of auto, push, pull",
                        None,
                    )),
                },
                "registries" => self.registries(v, cfg),
                "operator-namespaces" => {
                    cfg.operator_namespaces = self
                        .strings(v, "operator-namespaces")
                        .into_iter()
                        .map(|s| s.0)
                        .collect()
                }
                "images" => self.images(v, cfg),
                "exclude" => {
                    let globs = self.strings(v, "exclude");
                    for (g, span) in &globs {
                        if let Err(e) = globset::Glob::new(g) {
                            self.errors
                                .push(err(*span, format!("invalid glob `{g}`: {e}"), None));
                        }
                    }
                    cfg.exclude = globs.into_iter().map(|s| s.0).collect();
                }
                "rules" => self.rules(v, cfg, known_rules),
                "limits" => self.limits(v, cfg),
                _ => self.unknown(k, TOP_KEYS, "the config"),
            }
        }
    }

    fn registries(&mut self, n: NodeRef, cfg: &mut Config) {
        if !n.is_map() {
            self.errors.push(err(
                n.span(),
                "registries must be a mapping with `allowed` and `private`",
                None,
            ));
            return;
        }
        for (k, v) in n.entries() {
            match k.as_str().unwrap_or("") {
                "allowed" => cfg.allowed_registries = self.host_patterns(v, "registries.allowed"),
                "private" => {
                    cfg.private_registries.clear();
                    if !v.is_seq() {
                        self.errors.push(err(
                            v.span(),
                            "registries.private must be a list of {match, auth}",
                            None,
                        ));
                        continue;
                    }
                    for item in v.items() {
                        if let Some(p) = self.private(item) {
                            cfg.private_registries.push(p);
                        }
                    }
                }
                _ => self.unknown(k, &["allowed", "private"], "registries"),
            }
        }
    }

    fn private(&mut self, n: NodeRef) -> Option<PrivateRegistry> {
        if !n.is_map() {
            self.errors.push(err(
                n.span(),
                "each private registry is a mapping {match, auth}",
                None,
            ));
            return None;
        }
        let mut pattern = None;
        let mut auth = Auth::PullSecret;
        for (k, v) in n.entries() {
            match k.as_str().unwrap_or("") {
                "match" => {
                    let s = self.string(v, "match")?;
                    match HostPattern::new(&s) {
                        Ok(p) => pattern = Some(p),
                        Err(e) => self.errors.push(err(
                            v.span(),
                            format!("invalid registry pattern `{s}`: {e}"),
                            None,
                        )),
                    }
                }
                "auth" => match v.as_str() {
                    Some("pull-secret") => auth = Auth::PullSecret,
                    Some("node-identity") => auth = Auth::NodeIdentity,
                    _ => self.errors.push(err(
                        v.span(),
                        "auth must be pull-secret or node-identity",
                        None,
                    )),
                },
                _ => self.unknown(k, &["match", "auth"], "a private registry"),
            }
        }
        if pattern.is_none() {
            self.errors
                .push(err(n.span(), "a private registry needs `match`", None));
        }
        Some(PrivateRegistry {
            pattern: pattern?,
            auth,
        })
    }

    fn images(&mut self, n: NodeRef, cfg: &mut Config) {
        if !n.is_map() {
            self.errors
                .push(err(n.span(), "images must be a mapping", None));
            return;
        }
        for (k, v) in n.entries() {
            match k.as_str().unwrap_or("") {
                "mutable-tags" => {
                    cfg.mutable_tags = self
                        .strings(v, "images.mutable-tags")
                        .into_iter()
                        .map(|s| s.0)
                        .collect()
                }
                "require-digest" => {
                    if let Some(b) = self.bool(v, "images.require-digest") {
                        cfg.require_digest = b;
                    }
                }
                _ => self.unknown(k, &["mutable-tags", "require-digest"], "images"),
            }
        }
    }

    fn rules(&mut self, n: NodeRef, cfg: &mut Config, known: &[&str]) {
        if !n.is_map() {
            self.errors.push(err(
                n.span(),
                "rules must map rule ids to off, info, warning or error",
                None,
            ));
            return;
        }
        for (k, v) in n.entries() {
            let id = k.as_str().unwrap_or("");
            if !known.contains(&id) {
                let help = closest(id, known)
                    .map(|c| format!("did you mean `{c}`? (`shipshape rules` lists them)"));
                self.errors
                    .push(err(k.span(), format!("unknown rule `{id}`"), help));
                continue;
            }
            let level = match v.as_str() {
                Some("off") => Level::Off,
                Some(s) => match Severity::parse(s) {
                    Some(sev) => Level::On(sev),
                    None => {
                        self.errors.push(err(
                            v.span(),
                            "a rule's level is one of off, info, warning, error",
                            None,
                        ));
                        continue;
                    }
                },
                None => {
                    self.errors.push(err(
                        v.span(),
                        "a rule's level is one of off, info, warning, error",
                        None,
                    ));
                    continue;
                }
            };
            cfg.rules.insert(id.to_string(), level);
        }
    }

    fn limits(&mut self, n: NodeRef, cfg: &mut Config) {
        const KEYS: &[&str] = &[
            "max-file-size",
            "max-documents",
            "max-depth",
            "max-alias-expansion",
        ];
        if !n.is_map() {
            self.errors
                .push(err(n.span(), "limits must be a mapping", None));
            return;
        }
        for (k, v) in n.entries() {
            let key = k.as_str().unwrap_or("");
            if !KEYS.contains(&key) {
                self.unknown(k, KEYS, "limits");
                continue;
            }
            let Some(x) = self.number(v, &format!("limits.{key}")) else {
                continue;
            };
            match key {
                "max-file-size" => cfg.limits.max_file_size = x,
                "max-documents" => cfg.limits.yaml.max_documents = x as usize,
                "max-depth" => cfg.limits.yaml.max_depth = x as usize,
                _ => cfg.limits.yaml.max_alias_expansion = x,
            }
        }
    }
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
