//! Joining and normalising `/`-separated repository paths, as text: `.` and
//! `..` are resolved lexically, and nothing here ever touches the disk.
//! Two joins for two readers: `join_norm` for paths in manifests and
//! kustomizations (relative to a repository, `..` never climbs out of it),
//! `join_path` for paths in scripts (where `$VAR`, `~` and absolute paths
//! replace the base and `..` is kept when it cannot be resolved).

/// Joins a relative path onto a directory and normalises `.` and `..`.
pub fn join_norm(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(p),
        }
    }
    parts.join("/")
}

/// `join_norm("", path)`, borrowed when `path` is already in that form (no
/// leading `/`, no empty, `.` or `..` component): most display paths are.
pub fn normalized(path: &str) -> std::borrow::Cow<'_, str> {
    let plain = !path.starts_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if plain {
        std::borrow::Cow::Borrowed(path)
    } else {
        std::borrow::Cow::Owned(join_norm("", path))
    }
}

/// The directory part of a `/`-separated path (`""` for a bare name).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Normalises a `/`-separated path: drops `.` components, empty components
/// and trailing slashes, and resolves `..` against a preceding plain
/// component (never against `$VAR` or `~`). Returns `.` for an empty result.
pub fn normalize_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." && !last.starts_with('$') && !last.starts_with('~') => {
                    parts.pop();
                }
                None if absolute => {}
                _ => parts.push(".."),
            },
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// Resolves `rel` against directory `base`: a path starting with `/`, `~` or
/// `$` (a variable or `${{ }}` expression) replaces the base; anything else
/// is joined onto it. The result is normalised with [`normalize_path`].
pub fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') || rel.starts_with('~') || rel.starts_with('$') {
        normalize_path(rel)
    } else {
        normalize_path(&format!("{base}/{rel}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join_norm("overlays/prod", "../../base"), "base");
        assert_eq!(join_norm("a", "./b.yaml"), "a/b.yaml");
        assert_eq!(join_norm("", "k8s"), "k8s");
        for p in [
            "k8s/a.yaml",
            "/abs/a.yaml",
            "./a/../b.yaml",
            "a//b",
            "a/./b",
            "",
        ] {
            assert_eq!(normalized(p), join_norm("", p), "{p}");
        }
        assert!(matches!(
            normalized("k8s/a.yaml"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize_path("./a/./b/"), "a/b");
        assert_eq!(normalize_path("a/../.."), "..");
        assert_eq!(normalize_path("/a/../../b"), "/b");
        assert_eq!(normalize_path("$HOME/../x"), "$HOME/../x");
        assert_eq!(normalize_path("."), ".");
        assert_eq!(join_path("a/b", "../c.yaml"), "a/c.yaml");
        assert_eq!(join_path("a", "/abs"), "/abs");
        assert_eq!(join_path("a", "$X/y"), "$X/y");
        assert_eq!(join_path(".", "./k8s"), "k8s");
    }
}
