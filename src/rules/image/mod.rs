//! Rules about container images: pinning and registries.
pub mod unpinned_image;
pub mod untrusted_registry;

use crate::yaml::{NodeRef, ScalarStyle, Span};

/// The span of a scalar's value without its quotes.
pub fn unquoted_span(n: NodeRef) -> Span {
    let sp = n.span();
    match n.scalar().map(|s| s.style) {
        Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
            if sp.len() >= 2 && !n.is_alias() =>
        {
            Span {
                start: sp.start + 1,
                end: sp.end - 1,
            }
        }
        _ => sp,
    }
}
