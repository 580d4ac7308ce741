//! Container image references, parsed by the OCI distribution grammar
//! (`[registry[:port]/]path[:tag][@digest]`), registry host patterns, and
//! repositories compared when a registry is known only at run time.

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port if any), lowercase; `docker.io` when implicit.
    pub registry: String,
    /// Whether the registry was written in the reference.
    pub explicit_registry: bool,
    /// Repository path without registry, e.g. `library/redis` is kept as `redis`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    /// Registry host without its port.
    pub fn host(&self) -> &str {
        match self.registry.rfind(':') {
            Some(i)
                if !self.registry[i + 1..].is_empty()
                    && self.registry[i + 1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                &self.registry[..i]
            }
            _ => &self.registry,
        }
    }
    /// `registry/repository`, the image's identity without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

/// Whether a value holds a template or variable that is resolved later
/// (`${VAR}`, `$VAR`, `{{ ... }}`, `${{ ... }}`).
pub fn has_placeholder(s: &str) -> bool {
    s.contains("{{") || s.contains("${") || {
        let b = s.as_bytes();
        b.windows(2)
            .any(|w| w[0] == b'$' && (w[1].is_ascii_alphabetic() || w[1] == b'_' || w[1] == b'('))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    Invalid(&'static str),
}

/// Parses a reference. Call `has_placeholder` first: templated values are not references yet.
pub fn parse(s: &str) -> Result<ImageRef, ParseError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ParseError::Empty);
    }
    if s.chars().any(|c| c.is_whitespace()) {
        return Err(ParseError::Invalid("contains white space"));
    }
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => {
            let (algo, hex) = d
                .split_once(':')
                .ok_or(ParseError::Invalid("digest has no algorithm"))?;
            if algo.is_empty() || hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ParseError::Invalid("malformed digest"));
            }
            (r, Some(d.to_string()))
        }
        None => (s, None),
    };
    // The tag follows the last ':' after the last '/'.
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => {
            let t = &rest[last_slash + i + 1..];
            if t.is_empty() || t.len() > 128 || !valid_tag(t) {
                return Err(ParseError::Invalid("malformed tag"));
            }
            (&rest[..last_slash + i], Some(t.to_string()))
        }
        None => (rest, None),
    };
    if name.is_empty() {
        return Err(ParseError::Invalid("no repository"));
    }
    let (registry, explicit, repo) = match name.split_once('/') {
        Some((first, remainder))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            (first.to_ascii_lowercase(), true, remainder)
        }
        _ => ("docker.io".to_string(), false, name),
    };
    if repo.is_empty() || repo.split('/').any(|c| c.is_empty()) {
        return Err(ParseError::Invalid("empty path component"));
    }
    let repository = match repo.strip_prefix("library/") {
        Some(r) if registry == "docker.io" && !r.contains('/') => r.to_string(),
        _ => repo.to_string(),
    };
    Ok(ImageRef {
        registry,
        explicit_registry: explicit,
        repository,
        tag,
        digest,
    })
}

fn valid_tag(t: &str) -> bool {
    let mut chars = t.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// A registry host pattern: `contoso.azurecr.io`, `*.azurecr.io` (one or more
/// labels before `.azurecr.io`), optionally with a port. Matching is exact on
/// label boundaries and case-insensitive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern {
    pub text: String,
    suffix: Option<String>,
}

impl HostPattern {
    pub fn new(text: &str) -> Result<HostPattern, String> {
        let t = text.trim().to_ascii_lowercase();
        if t.is_empty() {
            return Err("an empty registry pattern matches nothing".into());
        }
        if t.contains('/') {
            return Err("a registry pattern is a host (like `*.azurecr.io`), not a path".into());
        }
        if let Some(rest) = t.strip_prefix("*.") {
            if rest.is_empty() || rest.contains('*') {
                return Err("`*.` must be followed by a domain, like `*.azurecr.io`".into());
            }
            return Ok(HostPattern {
                text: t.clone(),
                suffix: Some(format!(".{rest}")),
            });
        }
        if t == "*" {
            return Ok(HostPattern {
                text: t,
                suffix: Some(String::new()),
            });
        }
        if t.contains('*') {
            return Err(
                "`*` is only allowed as the whole first label, as in `*.azurecr.io`".into(),
            );
        }
        Ok(HostPattern {
            text: t,
            suffix: None,
        })
    }

    /// Whether an image's registry matches. A pattern with a port must match the
    /// port too; one without matches any port.
    pub fn matches(&self, image: &ImageRef) -> bool {
        let pattern_has_port = self.text.contains(':');
        let candidate = if pattern_has_port {
            image.registry.as_str()
        } else {
            image.host()
        };
        match &self.suffix {
            None => candidate == self.text,
            Some(sfx) if sfx.is_empty() => true,
            Some(sfx) => {
                candidate.len() > sfx.len()
                    && candidate.ends_with(sfx.as_str())
                    && !candidate[..candidate.len() - sfx.len()].ends_with('.')
            }
        }
    }
}

/// A repository as a step or a manifest names it, where the registry may be
/// known only at run time (a service connection, `$(RegistryName)`,
/// `$ACRSERVER`): how a pushed or substituted image is compared with the
/// images manifests run (`workflow-image-mismatch`, deploy-step substitution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoName {
    pub registry: Registry,
    /// The repository path, without registry, tag or digest (`shop/web`).
    pub path: String,
}

/// A [`RepoName`]'s registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registry {
    /// The host (lowercase, with its port), and whether the reference
    /// writes it (else it is Docker Hub by default).
    Known { host: String, written: bool },
    /// Written with a placeholder: the text, resolved at run time.
    RunTime(String),
}

impl RepoName {
    /// Reads a reference whose tag, digest or registry may hold
    /// placeholders. `None` when the repository path holds one: such a
    /// reference could be any image, and must match none.
    pub fn of(value: &str) -> Option<RepoName> {
        let no_digest = value.trim().split('@').next()?;
        let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
        let name = match no_digest[last_slash..].find(':') {
            Some(i) => &no_digest[..last_slash + i],
            None => no_digest,
        };
        if !has_placeholder(name) {
            let r = parse(name).ok()?;
            return Some(RepoName {
                registry: Registry::Known {
                    host: r.registry,
                    written: r.explicit_registry,
                },
                path: r.repository,
            });
        }
        let (first, rest) = name.split_once('/')?;
        if rest.is_empty() || has_placeholder(rest) || rest.split('/').any(str::is_empty) {
            return None;
        }
        Some(RepoName {
            registry: Registry::RunTime(first.to_string()),
            path: rest.to_string(),
        })
    }

    /// Whether the registry is known only at run time.
    pub fn run_time(&self) -> bool {
        matches!(self.registry, Registry::RunTime(_))
    }

    /// Whether the two can be the same repository: `Some(true)` when both
    /// registries are known and equal, `Some(false)` when they are if a
    /// run-time registry becomes the other's host, `None` when they cannot
    /// be. A run-time registry stands for a host the other reference
    /// writes, never for Docker Hub implied (`$(acr)/web` is never `web`),
    /// and its literal text must fit (`$(name).azurecr.io` is never
    /// `ghcr.io`).
    pub fn matches(&self, other: &RepoName) -> Option<bool> {
        if self.path != other.path {
            return None;
        }
        match (&self.registry, &other.registry) {
            (Registry::Known { host: a, .. }, Registry::Known { host: b, .. }) => {
                (a == b).then_some(true)
            }
            (Registry::RunTime(p), Registry::Known { host, written })
            | (Registry::Known { host, written }, Registry::RunTime(p)) => {
                (*written && fits(p, host)).then_some(false)
            }
            (Registry::RunTime(_), Registry::RunTime(_)) => Some(false),
        }
    }
}

/// Whether `host` can be what `pattern`, a registry written with
/// placeholders, becomes at run time: each placeholder stands for any text,
/// the rest must be there as written (ignoring case).
fn fits(pattern: &str, host: &str) -> bool {
    let pieces = literal_pieces(pattern);
    let host = host.to_ascii_lowercase();
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return false;
    };
    if pieces.len() == 1 {
        return host == *first;
    }
    if host.len() < first.len() + last.len()
        || !host.starts_with(first.as_str())
        || !host.ends_with(last.as_str())
    {
        return false;
    }
    let mut rest = &host[first.len()..host.len() - last.len()];
    for p in &pieces[1..pieces.len() - 1] {
        match rest.find(p.as_str()) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

/// The literal text between a value's placeholders, lowercase: one piece
/// more than there are placeholders (empty pieces kept).
fn literal_pieces(s: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        match placeholder_len(rest) {
            Some(n) => {
                pieces.push(String::new());
                rest = &rest[n..];
            }
            None => {
                if let Some(last) = pieces.last_mut() {
                    last.push(c.to_ascii_lowercase());
                }
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    pieces
}

/// The length of the placeholder `s` starts with, if it starts with one
/// (the forms `has_placeholder` knows); an unterminated one runs to the end.
fn placeholder_len(s: &str) -> Option<usize> {
    let close = |open: usize, end: &str| {
        s[open..]
            .find(end)
            .map_or(s.len(), |i| open + i + end.len())
    };
    if s.starts_with("${{") || s.starts_with("{{") {
        Some(close(2, "}}"))
    } else if s.starts_with("${") {
        Some(close(2, "}"))
    } else if s.starts_with("$(") {
        Some(close(2, ")"))
    } else if s.starts_with('$')
        && s[1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
    {
        let n = s[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(s.len(), |i| i + 1);
        Some(n)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> ImageRef {
        parse(s).unwrap()
    }

    #[test]
    fn implicit_docker_hub() {
        let r = p("redis");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "redis", None)
        );
        let r = p("nginx:1.25");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_deref()),
            ("docker.io", Some("1.25"))
        );
        assert_eq!(p("docker.io/library/nginx:1").repository, "nginx");
        assert_eq!(p("bitnami/redis:7").registry, "docker.io");
    }

    #[test]
    fn registry_with_port_is_not_a_tag() {
        let r = p("localhost:5000/app");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("localhost:5000", "app", None)
        );
        let r = p("contoso.azurecr.io:443/team/app:1.2");
        assert_eq!(
            (r.host(), r.tag.as_deref()),
            ("contoso.azurecr.io", Some("1.2"))
        );
    }

    #[test]
    fn tag_and_digest() {
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("contoso.azurecr.io/app:1.0@{d}"));
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_deref()),
            (Some("1.0"), Some(d.as_str()))
        );
        assert!(parse("app@sha256:xyz").is_err());
        assert!(parse("app:").is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn placeholders() {
        for s in [
            "${IMAGE}",
            "$IMAGE",
            "{{ .Values.image }}",
            "x.azurecr.io/a:${{ github.sha }}",
            "$(cat x)",
        ] {
            assert!(has_placeholder(s), "{s}");
        }
        for s in ["nginx:1.25", "a$"] {
            assert!(!has_placeholder(s), "{s}");
        }
    }

    #[test]
    fn host_patterns_respect_label_boundaries() {
        let pat = HostPattern::new("*.azurecr.io").unwrap();
        for ok in [
            "contoso.azurecr.io/app:1",
            "a.b.azurecr.io/app:1",
            "CONTOSO.azurecr.io/app:1",
            "contoso.azurecr.io:443/app:1",
        ] {
            assert!(pat.matches(&p(ok)), "{ok}");
        }
        for bad in [
            "evilazurecr.io/app:1",
            "azurecr.io/app:1",
            "contoso.azurecr.io.attacker.example/app:1",
            "nginx:1",
            "ghcr.io/x/y:1",
        ] {
            assert!(!pat.matches(&p(bad)), "{bad}");
        }
        let exact = HostPattern::new("mcr.microsoft.com").unwrap();
        assert!(exact.matches(&p("mcr.microsoft.com/oss/redis:6")));
        assert!(!exact.matches(&p("x.mcr.microsoft.com/oss/redis:6")));
        assert!(HostPattern::new("docker.io")
            .unwrap()
            .matches(&p("nginx:1")));
        assert!(HostPattern::new("a*.io").is_err());
        assert!(HostPattern::new("*.").is_err());
    }

    fn repo(s: &str) -> RepoName {
        RepoName::of(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn repo_names_with_placeholders() {
        let r = repo("$ACRSERVER/flask:${{ github.sha }}");
        assert_eq!(r.registry, Registry::RunTime("$ACRSERVER".into()));
        assert_eq!(r.path, "flask");
        let r = repo("contoso.azurecr.io/web:${{ github.sha }}");
        assert_eq!(
            r.registry,
            Registry::Known {
                host: "contoso.azurecr.io".into(),
                written: true
            }
        );
        // A placeholder tag alone hides nothing: Docker Hub, as parsed.
        let r = repo("team/web:${{ github.sha }}");
        assert_eq!((r.run_time(), r.path.as_str()), (false, "team/web"));
        assert_eq!(repo("web:$(tag)").path, "web");
        // A placeholder repository could be any image.
        for s in [
            "${{ env.IMAGE }}",
            "$(RegistryName)/$(webRepository):$(tag)",
            "acr.io/$(repo)",
        ] {
            assert!(RepoName::of(s).is_none(), "{s}");
        }
    }

    #[test]
    fn repo_names_match_by_path_when_the_registry_is_known_at_run_time() {
        let a = repo("contoso.azurecr.io/web:1");
        assert_eq!(a.matches(&repo("contoso.azurecr.io/web:2")), Some(true));
        assert_eq!(a.matches(&repo("contoso.azurecr.io/api:2")), None);
        assert_eq!(a.matches(&repo("fabrikam.azurecr.io/web:2")), None);
        let run = repo("$(RegistryName)/web:$(Build.BuildId)");
        let written = repo("tailspinspacegame22395.azurecr.io/web");
        assert_eq!(run.matches(&written), Some(false));
        assert_eq!(written.matches(&run), Some(false));
        assert_eq!(run.matches(&repo("localhost:5000/web")), Some(false));
        // Docker Hub implied is never `<registry>/web`.
        assert_eq!(run.matches(&repo("web")), None);
        assert_eq!(run.matches(&repo("team/web")), None);
        assert_eq!(run.matches(&repo("$(Other)/web:1")), Some(false));
        assert_eq!(run.matches(&repo("$(Other)/api:1")), None);
        // The registry's literal text must fit.
        let acr = repo("$(acrName).azurecr.io/web:$(tag)");
        assert_eq!(acr.matches(&repo("contoso.azurecr.io/web")), Some(false));
        assert_eq!(acr.matches(&repo("CONTOSO.azurecr.io/web")), Some(false));
        assert_eq!(acr.matches(&repo("ghcr.io/web")), None);
        assert_eq!(acr.matches(&repo("azurecr.io/web")), None);
        let mid = repo("${REGION}-${{ env.NAME }}.ecr.aws/web:1");
        assert_eq!(mid.matches(&repo("eu-west.ecr.aws/web")), Some(false));
        assert_eq!(mid.matches(&repo("euwest.ecr.aws/web")), None);
    }
}
