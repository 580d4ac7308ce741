//! Objects parsed again in the repository pass: a later phase (schemas
//! from the repository's CRDs, policies that read effective namespaces)
//! re-reads only the documents the file pass named, by their extent.

use rayon::prelude::*;

use crate::config::Config;
use crate::finding::Finding;
use crate::model::k8s;
use crate::yaml::{self, Span};

/// `f` over `items`, in order: in parallel when the run has a pool.
pub(super) fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    parallel: bool,
    f: impl Fn(&T) -> R + Sync + Send,
) -> Vec<R> {
    if parallel {
        items.par_iter().map(f).collect()
    } else {
        items.iter().map(f).collect()
    }
}

/// A finding of a document parsed alone, moved to its place in the file.
pub(super) fn shift_finding(mut f: Finding, by: u32) -> Finding {
    f.primary.span = shifted(f.primary.span, by);
    for r in &mut f.related {
        r.at.span = shifted(r.at.span, by);
    }
    f
}

pub(super) fn shifted(s: Span, by: u32) -> Span {
    Span {
        start: s.start + by,
        end: s.end + by,
    }
}

/// Calls `each` with every object of the documents at `docs` (and how far
/// its spans are shifted from the file's), parsing each document's text on
/// its own. When one does not parse alone, or `each` finds nothing in it,
/// the whole file is parsed once and searched instead.
pub(super) fn for_objects(
    text: &str,
    docs: impl Iterator<Item = Span>,
    cfg: &Config,
    mut each: impl FnMut(&k8s::Object, u32) -> bool,
) {
    let mut docs: Vec<Span> = docs.collect();
    docs.sort_unstable();
    docs.dedup();
    let mut whole = false;
    for d in docs {
        // To the end of the root's last line: an empty value's `key:` ends
        // after the root node's span does.
        let end = text
            .get(d.end as usize..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |i| d.end as usize + i);
        let Some(slice) = text.get(d.start as usize..end) else {
            whole = true;
            continue;
        };
        let parsed = yaml::parse_stream(slice, &cfg.limits.yaml);
        let mut found = false;
        if parsed.errors.is_empty() {
            for doc in &parsed.docs {
                let Some(root) = doc.root() else { continue };
                for obj in k8s::objects(root) {
                    found |= each(&obj, d.start);
                }
            }
        }
        whole |= !found;
    }
    if whole {
        let parsed = yaml::parse_stream(text, &cfg.limits.yaml);
        for doc in &parsed.docs {
            let Some(root) = doc.root() else { continue };
            for obj in k8s::objects(root) {
                each(&obj, 0);
            }
        }
    }
}
