//! Rules about container images: pinning and registries.
mod helm;
pub mod unpinned_image;
pub mod untrusted_registry;

use crate::finding::{Finding, Location, RuleMeta};
use crate::index::images::{EffectiveImage, SetAt};
use crate::index::RepoIndex;

/// A finding on what an override made of an image: at the override's node,
/// with the image as written as a related location.
fn at_override(
    rule: &'static RuleMeta,
    index: &RepoIndex,
    e: &EffectiveImage,
    at: SetAt,
    message: String,
) -> Finding {
    let o = &index.objects[e.object as usize];
    let written = &o.images[e.image as usize];
    let ns = index.effective_ns.get(e.object as usize).cloned().flatten();
    let at = Location {
        file: at.file,
        span: at.span,
    };
    let as_written = Location {
        file: o.file,
        span: written.span,
    };
    Finding::new(rule, at, message)
        .related(
            as_written,
            format!("the image as written: `{}`", written.value),
        )
        .object(Some(o.object_ref(ns.as_ref().map(|n| n.value.as_str()))))
}
