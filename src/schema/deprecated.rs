//! Deprecated and removed Kubernetes APIs: `schemas/deprecated-apis.json`,
//! kept as data with its sources (`schemas/deprecated-apis.md`).

use std::sync::LazyLock;

/// One apiVersion/kind and its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub api_version: String,
    pub kind: String,
    /// Minor versions (`(1, 16)`).
    pub deprecated: Option<(u32, u32)>,
    pub removed: Option<(u32, u32)>,
    pub replacement: Option<String>,
    /// The replacement's kind, where it is not the same kind.
    pub replacement_kind: Option<String>,
    pub note: Option<String>,
}

static TABLE: LazyLock<Vec<Api>> = LazyLock::new(|| {
    parse(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/deprecated-apis.json"
    )))
});

/// A `1.N` version.
pub fn version(s: &str) -> Option<(u32, u32)> {
    let s = s.trim().trim_start_matches('v');
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn parse(text: &str) -> Vec<Api> {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let s = |e: &serde_json::Value, k: &str| e[k].as_str().map(str::to_string);
    v["apis"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| {
                    Some(Api {
                        api_version: s(e, "apiVersion")?,
                        kind: s(e, "kind")?,
                        deprecated: e["deprecated"].as_str().and_then(version),
                        removed: e["removed"].as_str().and_then(version),
                        replacement: s(e, "replacement"),
                        replacement_kind: s(e, "replacementKind"),
                        note: s(e, "note"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The entry for an apiVersion and kind, if it is deprecated or removed at all.
pub fn lookup(api_version: &str, kind: &str) -> Option<&'static Api> {
    TABLE
        .iter()
        .find(|a| a.api_version == api_version && a.kind == kind)
}

/// Whether the API is gone in `target`.
pub fn removed_in(api: &Api, target: (u32, u32)) -> bool {
    api.removed.is_some_and(|r| r <= target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_reads() {
        assert!(TABLE.len() > 40, "{}", TABLE.len());
        let ing = lookup("extensions/v1beta1", "Ingress").unwrap();
        assert_eq!(ing.removed, Some((1, 22)));
        assert_eq!(ing.replacement.as_deref(), Some("networking.k8s.io/v1"));
        let psp = lookup("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(psp.removed, Some((1, 25)));
        assert!(psp.replacement.is_none());
        assert!(lookup("apps/v1", "Deployment").is_none());
        assert_eq!(version("1.30"), Some((1, 30)));
        assert_eq!(version("v1.9"), Some((1, 9)));
    }
}
