//! Joining and normalising `/`-separated repository paths, as written in
//! manifests and workflows. Pure string work: never touches the disk.

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

/// The directory part of a `/`-separated path (`""` for a bare name).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_normalises() {
        assert_eq!(join_norm("overlays/prod", "../../base"), "base");
        assert_eq!(join_norm("a", "./b.yaml"), "a/b.yaml");
        assert_eq!(join_norm("", "k8s"), "k8s");
    }
}
