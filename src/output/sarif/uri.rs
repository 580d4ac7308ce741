//! Paths as SARIF URIs. A display path (relative to the working directory,
//! `/`-separated) becomes a relative reference against `%SRCROOT%`, which
//! the run defines as the working directory's `file:` URI; a path outside it
//! (shown absolute) becomes a `file:` URI of its own. Everything but
//! unreserved characters and `/` is percent-encoded, as UTF-8 bytes, so a
//! name with `:`, `#`, `?`, `%`, spaces or non-ASCII letters stays one path.

use std::path::Path;

/// The base every relative `uri` is resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// `uri` and `uriBaseId` of an artifact shown at `path`.
pub fn artifact(path: &str) -> (String, Option<&'static str>) {
    if let Some(rest) = path.strip_prefix('/') {
        return (format!("file:///{}", encode(rest.as_bytes())), None);
    }
    if let Some((drive, rest)) = windows_drive(path) {
        return (
            format!("file:///{drive}:/{}", encode(rest.as_bytes())),
            None,
        );
    }
    (encode(path.as_bytes()), Some(SRCROOT))
}

/// The `file:` URI of a directory, ending with `/`; none for a relative
/// path (the working directory could not be read) or one that is not
/// representable.
pub fn directory(dir: &Path) -> Option<String> {
    if !dir.is_absolute() {
        return None;
    }
    #[cfg(unix)]
    let bytes: Vec<u8> = {
        use std::os::unix::ffi::OsStrExt;
        dir.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes: Vec<u8> = dir.to_str()?.replace('\\', "/").into_bytes();
    let text = String::from_utf8_lossy(&bytes);
    let mut uri = match windows_drive(&text) {
        Some((drive, rest)) => format!("file:///{drive}:/{}", encode(rest.as_bytes())),
        None => format!(
            "file:///{}",
            encode(bytes.strip_prefix(b"/").unwrap_or(&bytes))
        ),
    };
    if !uri.ends_with('/') {
        uri.push('/');
    }
    Some(uri)
}

/// `C:/rest` → (`C`, `rest`).
fn windows_drive(path: &str) -> Option<(char, &str)> {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/')
        .then(|| (b[0] as char, &path[3..]))
}

/// Percent-encodes all but RFC 3986's unreserved characters and `/`.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(
            artifact("k8s/web app#1/ü:x%.yaml"),
            ("k8s/web%20app%231/%C3%BC%3Ax%25.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(
            artifact("../other/a.yaml"),
            ("../other/a.yaml".into(), Some(SRCROOT))
        );
        assert_eq!(
            artifact("/tmp/a b.yaml"),
            ("file:///tmp/a%20b.yaml".into(), None)
        );
        assert_eq!(
            artifact("C:/repo/a.yaml"),
            ("file:///C:/repo/a.yaml".into(), None)
        );
        assert_eq!(directory(Path::new("relative")), None);
        #[cfg(unix)]
        {
            assert_eq!(directory(Path::new("/")).as_deref(), Some("file:///"));
            assert_eq!(
                directory(Path::new("/work/my repo")).as_deref(),
                Some("file:///work/my%20repo/")
            );
        }
    }
}
