//! What the image rules share about images in Helm values
//! (`index::helm_resolve`): a finding at the values node that sets the
//! offending part, with the value it overrides and the object deploying it.

use crate::finding::{Finding, Location, RuleMeta};
use crate::index::helm_resolve::{HelmImage, Part};
use crate::index::RepoIndex;

/// A finding on `e` at `part`.
pub(super) fn finding(
    meta: &'static RuleMeta,
    index: &RepoIndex,
    e: &HelmImage,
    part: &Part,
    message: String,
) -> Finding {
    let at = |s: crate::index::images::SetAt| Location {
        file: s.file,
        span: s.span,
    };
    let mut f = Finding::new(meta, at(part.at), message);
    if let Some((was, value)) = &part.overrides {
        let what = if Some(was.file) == e.defaults {
            "the chart's default"
        } else {
            "the value it overrides"
        };
        f = f.related(at(*was), format!("{what}: `{value}`"));
    }
    let object = e.via.map(|o| {
        let ns = index.effective_ns.get(o as usize).cloned().flatten();
        index.objects[o as usize].object_ref(ns.as_ref().map(|n| n.value.as_str()))
    });
    f.object(object)
}
