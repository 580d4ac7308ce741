//! Objects as their renderings deploy them, for the policies: where a
//! Kustomize `images:` override (of an overlay chain, an Argo CD
//! Application or a Flux Kustomization) changes an object's images, the
//! policies judge the object with the images the cluster pulls. The
//! object's document is parsed again with each distinct set of effective
//! images spliced in, and every finding is mapped back to the file as
//! written (a finding on an image points at the written image, with the
//! override as a related location). When every rendering changes the
//! object, its as-written policy findings are withdrawn: the object is
//! never deployed as written.

use std::collections::{BTreeMap, HashSet};

use crate::finding::{FileId, Finding, Location};
use crate::index::images::SetAt;
use crate::index::RepoIndex;
use crate::model::k8s;
use crate::policy::{Pass, PolicySet};
use crate::rules::{DocCx, SchemaCx};
use crate::schema::Catalog;
use crate::source::file::{load_text, FileEntry};
use crate::yaml::{self, unquoted_span, NodeRef, Span};

/// Distinct renderings judged per object at most.
const MAX_RENDERINGS: usize = 64;

/// One image of an object as a rendering deploys it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Edit {
    /// The written image's extent.
    pub span: Span,
    /// The reference the cluster pulls.
    pub text: String,
    /// The override that made it so.
    pub from: Option<SetAt>,
}

/// An object some rendering changes: its distinct renderings, and whether
/// every rendering changes it.
#[derive(Debug, Clone)]
pub(super) struct Rendered {
    pub object: u32,
    pub kind_span: Span,
    pub renderings: Vec<Vec<Edit>>,
    pub never_as_written: bool,
}

/// The objects of reported, non-patch files whose images some rendering
/// changes, by file.
pub(super) fn rendered_objects(
    index: &RepoIndex,
    judged: impl Fn(FileId) -> bool,
) -> BTreeMap<FileId, Vec<Rendered>> {
    let mut by_object: BTreeMap<u32, BTreeMap<_, Vec<Edit>>> = BTreeMap::new();
    for e in &index.effective.changed {
        let Some(o) = index.objects.get(e.object as usize) else {
            continue;
        };
        let Some(img) = o.images.get(e.image as usize) else {
            continue;
        };
        if !judged(o.file) || img.value == e.text {
            continue;
        }
        let edit = Edit {
            span: img.span,
            text: e.text.clone(),
            from: e.name_from.or(e.pin_from),
        };
        let renders = by_object.entry(e.object).or_default();
        renders.entry(e.via).or_default().push(edit);
    }
    let replaced: HashSet<(FileId, Span)> = index
        .effective
        .name_replaced
        .iter()
        .chain(&index.effective.pin_replaced)
        .copied()
        .collect();
    let mut out: BTreeMap<FileId, Vec<Rendered>> = BTreeMap::new();
    for (object, renders) in by_object {
        let o = &index.objects[object as usize];
        let mut renderings: Vec<Vec<Edit>> = renders
            .into_values()
            .map(|mut edits| {
                edits.sort();
                edits.dedup_by(|a, b| a.span == b.span);
                edits
            })
            .collect();
        renderings.sort();
        renderings.dedup();
        renderings.truncate(MAX_RENDERINGS);
        let never_as_written = o
            .images
            .iter()
            .any(|i| replaced.contains(&(o.file, i.span)));
        out.entry(o.file).or_default().push(Rendered {
            object,
            kind_span: o.kind_span,
            renderings,
            never_as_written,
        });
    }
    out
}

/// What judging one file's rendered objects gives: findings, and the
/// objects (their extent) whose as-written policy findings are withdrawn.
#[derive(Default)]
pub(super) struct Judged {
    pub findings: Vec<Finding>,
    pub withdrawn: Vec<Span>,
}

/// What the judging of one object needs beyond it: its effective namespace
/// and that namespace's object.
pub(super) type NamespaceOf<'a, 'n, 't> = &'a dyn Fn(u32) -> (String, Option<NodeRef<'n, 't>>);

/// Judges each rendered object of `file` with each of its renderings.
pub(super) fn judge_file(
    (files, cfg, set): (&[FileEntry], &crate::config::Config, &PolicySet),
    file: FileId,
    objects: &[Rendered],
    namespace_of: NamespaceOf,
) -> Judged {
    let mut out = Judged::default();
    let f = &files[file as usize];
    let Ok(text) = load_text(f, cfg.limits.max_file_size) else {
        return out;
    };
    let text = text.text;
    let parsed = yaml::parse_stream(&text, &cfg.limits.yaml);
    for root in parsed.docs.iter().filter_map(|d| d.root()) {
        for obj in k8s::objects(root) {
            let kind = obj.node.get("kind").map(unquoted_span);
            let Some(r) = objects.iter().find(|r| Some(r.kind_span) == kind) else {
                continue;
            };
            let doc = obj.node.doc.span;
            let end = text
                .get(doc.end as usize..)
                .and_then(|rest| rest.find('\n'))
                .map_or(text.len(), |i| doc.end as usize + i);
            let Some(doc_text) = text.get(doc.start as usize..end) else {
                continue;
            };
            if r.never_as_written {
                out.withdrawn.push(obj.node.span());
            }
            let cx = Cx {
                file,
                path: &f.path,
                cfg,
                set,
                namespace_of,
            };
            for edits in &r.renderings {
                let found = judge_rendering(&cx, (doc_text, doc.start), r, edits);
                out.findings.extend(found);
            }
        }
    }
    out
}

struct Cx<'a, 'n, 't> {
    file: FileId,
    path: &'a str,
    cfg: &'a crate::config::Config,
    set: &'a PolicySet,
    namespace_of: NamespaceOf<'a, 'n, 't>,
}

/// One object under one rendering: its findings, mapped back to the file.
fn judge_rendering(
    cx: &Cx,
    (doc_text, base): (&str, u32),
    r: &Rendered,
    edits: &[Edit],
) -> Vec<Finding> {
    let Some(splice) = Splice::new(doc_text, base, edits) else {
        return Vec::new();
    };
    let parsed = yaml::parse_stream(&splice.text, &cx.cfg.limits.yaml);
    if !parsed.errors.is_empty() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for root in parsed.docs.iter().filter_map(|d| d.root()) {
        for obj in k8s::objects(root) {
            let kind = obj.node.get("kind").map(unquoted_span);
            if kind.map(|k| splice.back(k)) != Some(r.kind_span) {
                continue;
            }
            let catalog = Catalog::default();
            let mut dcx = DocCx {
                file: cx.file,
                path: cx.path,
                config: cx.cfg,
                findings: &mut found,
                object: None,
                schema: SchemaCx::new(&catalog, false),
                deferred: Vec::new(),
            };
            let late = crate::rules::policy::check(cx.set, &obj, Pass::File, &mut dcx);
            if late {
                let (namespace, namespace_object) = (cx.namespace_of)(r.object);
                let pass = Pass::Repo {
                    namespace: &namespace,
                    namespace_object,
                };
                crate::rules::policy::check(cx.set, &obj, pass, &mut dcx);
            }
        }
    }
    for f in &mut found {
        f.primary.span = splice.back(f.primary.span);
        for l in &mut f.related {
            l.at.span = splice.back(l.at.span);
        }
    }
    found
        .into_iter()
        .map(|f| labelled(f, edits, cx.file))
        .collect()
}

/// A finding of a rendering says which images it was judged with.
fn labelled(mut f: Finding, edits: &[Edit], file: FileId) -> Finding {
    let images: Vec<String> = edits.iter().map(|e| format!("`{}`", e.text)).collect();
    let rendered = format!(
        "judged as rendered, with {} {}",
        if edits.len() == 1 { "image" } else { "images" },
        images.join(", ")
    );
    f = match f.label.take() {
        Some(l) => f.label(format!("{}; {rendered}", l.as_ref())),
        None => f.label(rendered),
    };
    for e in edits.iter().take(3) {
        if let Some(from) = e
            .from
            .filter(|s| s.file != file || !within(s.span, f.primary.span))
        {
            let at = Location {
                file: from.file,
                span: from.span,
            };
            f = f.related(at, format!("the override that makes it `{}`", e.text));
        }
    }
    f
}

fn within(inner: Span, outer: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// A document's text with some scalars replaced, and the way back.
struct Splice {
    text: String,
    /// The document's offset in its file.
    base: u32,
    /// Replacements: (extent in the document as written, length written).
    edits: Vec<(Span, u32)>,
}

impl Splice {
    fn new(doc: &str, base: u32, edits: &[Edit]) -> Option<Splice> {
        let mut text = String::with_capacity(doc.len() + 64);
        let mut at = 0usize;
        let mut done = Vec::new();
        for e in edits {
            let (mut s, mut t) = (
                e.span.start.checked_sub(base)? as usize,
                e.span.end.checked_sub(base)? as usize,
            );
            // The whole scalar, quotes and all.
            let bytes = doc.as_bytes();
            if s > 0
                && t < bytes.len()
                && matches!(bytes[s - 1], b'"' | b'\'')
                && bytes[t] == bytes[s - 1]
            {
                s -= 1;
                t += 1;
            }
            if s < at || t > doc.len() {
                return None;
            }
            text.push_str(doc.get(at..s)?);
            let quoted = serde_json::to_string(&e.text).ok()?;
            done.push((Span::new(s, t), quoted.len() as u32));
            text.push_str(&quoted);
            at = t;
        }
        text.push_str(doc.get(at..)?);
        Some(Splice {
            text,
            base,
            edits: done,
        })
    }

    /// A span of the spliced text as a span of the file: within a
    /// replacement, the written scalar's.
    fn back(&self, s: Span) -> Span {
        let start = self.point(s.start);
        let end = self.point(s.end);
        match (start, end) {
            (Ok(a), Ok(b)) if a <= b => Span::new(a as usize, b as usize),
            (Err(e), _) | (_, Err(e)) => e,
            _ => Span::new(0, 0),
        }
    }

    /// A position of the spliced text in the file, or the written extent
    /// of the replacement it falls inside.
    fn point(&self, p: u32) -> Result<u32, Span> {
        let mut shift: i64 = 0;
        for (span, len) in &self.edits {
            let new_start = span.start as i64 + shift;
            let new_end = new_start + *len as i64;
            if (p as i64) <= new_start {
                break;
            }
            if (p as i64) < new_end {
                let file = Span::new(
                    (span.start + self.base) as usize,
                    (span.end + self.base) as usize,
                );
                return Err(file);
            }
            shift += *len as i64 - span.len() as i64;
        }
        Ok((p as i64 - shift) as u32 + self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splices_and_maps_back() {
        let doc = "kind: Pod\nimage: \"nginx\"\nname: x\n";
        let base = 100;
        let start = doc.find("nginx").unwrap() as u32 + base;
        let edit = Edit {
            span: Span::new(start as usize, start as usize + 5),
            text: "contoso.azurecr.io/nginx:1.2".into(),
            from: None,
        };
        let s = Splice::new(doc, base, &[edit]).unwrap();
        assert_eq!(
            s.text,
            "kind: Pod\nimage: \"contoso.azurecr.io/nginx:1.2\"\nname: x\n"
        );
        // Before the edit: unchanged; after it: shifted back.
        assert_eq!(s.back(Span::new(0, 4)), Span::new(100, 104));
        let name_new = s.text.find("name").unwrap();
        let name_old = doc.find("name").unwrap() + 100;
        assert_eq!(
            s.back(Span::new(name_new, name_new + 4)),
            Span::new(name_old, name_old + 4)
        );
        // Inside the replacement: the written scalar, quotes included.
        let img = s.text.find("contoso").unwrap();
        let written = doc.find('"').unwrap() + 100;
        assert_eq!(
            s.back(Span::new(img, img + 3)),
            Span::new(written, written + 7)
        );
    }
}
