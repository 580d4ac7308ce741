//! Rules about image pull secrets.
pub mod missing_pull_secret;
pub mod unresolved_pull_secret;

/// Whether two effective namespaces are the same, when it can be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Same {
    Yes,
    No,
    Unknown,
}

pub fn same_ns(a: Option<&str>, b: Option<&str>) -> Same {
    match (a, b) {
        (Some(a), Some(b))
            if crate::model::image::has_placeholder(a)
                || crate::model::image::has_placeholder(b) =>
        {
            Same::Unknown
        }
        (Some(a), Some(b)) => {
            if a == b {
                Same::Yes
            } else {
                Same::No
            }
        }
        _ => Same::Unknown,
    }
}

/// Whether two secret names are the same; a name still holding a variable may be.
pub fn same_name(a: &str, b: &str) -> Same {
    if a == b {
        Same::Yes
    } else if crate::model::image::has_placeholder(a) || crate::model::image::has_placeholder(b) {
        Same::Unknown
    } else {
        Same::No
    }
}
