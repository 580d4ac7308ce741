//! Helm values as the image rules read them: the parts of a values document
//! that describe images, kept as a small owned tree (every leaf with where it
//! was written), merged layer over layer as Helm merges values.
//!
//! What is kept: the value of every image key (`image`, and keys ending in
//! `Image` such as `initImage`) with, for a map, its `registry`,
//! `repository`, `tag` and `digest`; `global.imageRegistry`; the tag-like
//! siblings of an image string (`imageTag: 1.2`); nulls (a null deletes the
//! key it overrides); sequences (a list replaces the list it overrides);
//! and the maps leading to any of these. Everything else is dropped when the
//! tree is built, so a 5,000-line values file costs a few nodes. Templates
//! are not rendered: the tree is the values, not what a chart makes of them.
//! The shapes read from the tree are `helm_images`'s.

use super::workflow::ValueMap;
use crate::yaml::{parse_stream, unquoted_span, Limits, NodeRef, Span, Value};

/// Where a value was written: an opaque origin (the index's file id) and a span.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct At {
    pub origin: u32,
    pub span: Span,
}

/// A scalar value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Leaf {
    pub text: Box<str>,
    /// A string under the YAML 1.2 core schema (not null, a bool or a number).
    pub string: bool,
    pub at: At,
    /// The first value this one replaced when layers were merged, if any.
    pub overrides: Option<Box<(At, Box<str>)>>,
}

impl Leaf {
    /// A scalar node written in the file itself.
    pub fn of(n: NodeRef, origin: u32) -> Option<Leaf> {
        let s = n.scalar()?;
        Some(Leaf {
            text: s.text.into(),
            string: n.as_string().is_some(),
            at: At {
                origin,
                span: unquoted_span(n),
            },
            overrides: None,
        })
    }
}

/// A pruned values tree.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tree {
    /// Entries in source order (later layers' new keys after).
    Map(Vec<(Box<str>, Tree)>),
    Seq(Vec<Tree>),
    Scalar(Leaf),
    /// `key: null` (or `key:`): in an override, deletes the key.
    Null,
}

/// How deep a values tree is read, and how many nodes it keeps: bounds for
/// pathological input (real values files are far inside both).
const MAX_DEPTH: usize = 64;
const MAX_NODES: usize = 50_000;

/// The parts of an image map that are kept (`sha`: a digest's hex, as
/// kube-prometheus-stack writes it).
pub const IMAGE_PARTS: [&str; 5] = ["registry", "repository", "tag", "digest", "sha"];

/// Whether a key names an image: `image`, or a camel-case `…Image`.
pub fn is_image_key(k: &str) -> bool {
    k == "image" || (k.len() > "Image".len() && k.ends_with("Image"))
}

/// Whether a key beside an image string may give its tag (`tag`,
/// `imageTag`, `version`, `appVersion`): the string alone is then not the
/// whole reference.
pub fn is_tag_like(k: &str) -> bool {
    let l = k.to_ascii_lowercase();
    l.contains("tag") || l.contains("version")
}

impl Tree {
    pub fn empty() -> Tree {
        Tree::Map(Vec::new())
    }

    /// The value at `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Tree> {
        match self {
            Tree::Map(m) => m.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The kept values of a document root whose nodes are written in the
    /// file itself.
    pub fn of(root: NodeRef, origin: u32) -> Tree {
        let map = |n: NodeRef| unquoted_span(n);
        Builder::new(origin, &map).root(root)
    }

    /// The kept values of a YAML document held in a string scalar (an Argo
    /// CD `helm.values` block, a ConfigMap's `values.yaml` key), each leaf
    /// located in the file: exactly inside a literal block scalar (`|`,
    /// `|-`, `|2-`) or a one-line scalar, at the whole scalar otherwise.
    /// `None` when the string is not YAML.
    pub fn of_string(node: NodeRef, origin: u32) -> Option<Tree> {
        let text = node.as_string()?;
        let parsed = parse_stream(text, &Limits::default());
        if !parsed.errors.is_empty() {
            return None;
        }
        let vm = ValueMap::new(node.doc.src, node);
        let map = |n: NodeRef| vm.span(unquoted_span(n).range());
        let root = parsed.docs.first().and_then(|d| d.root())?;
        Some(Builder::new(origin, &map).root(root))
    }

    /// A tree with one leaf at a Helm `--set` style path (`image.tag`,
    /// `a\.b.c` for a key holding a dot). `None` for list indexes
    /// (`containers[0].image`) and empty keys, which are not followed.
    pub fn at_path(path: &str, leaf: Leaf) -> Option<Tree> {
        let keys = split_path(path)?;
        let mut t = Tree::Scalar(leaf);
        for k in keys.into_iter().rev() {
            t = Tree::Map(vec![(k.into(), t)]);
        }
        Some(t)
    }

    /// Merges `over` into `self` as Helm merges a values layer over the
    /// ones before: maps key by key, a null deletes, anything else replaces.
    pub fn merge(&mut self, over: &Tree) {
        match (self, over) {
            (Tree::Map(base), Tree::Map(o)) => {
                for (k, ov) in o {
                    let at = base.iter().position(|(bk, _)| bk == k);
                    match (ov, at) {
                        (Tree::Null, Some(i)) => {
                            base.remove(i);
                        }
                        (Tree::Null, None) => {}
                        (_, Some(i)) => base[i].1.merge(ov),
                        (_, None) => base.push((k.clone(), ov.clone())),
                    }
                }
            }
            // The same node again (a chart's values.yaml also named in
            // `valueFiles`): nothing is overridden.
            (Tree::Scalar(b), Tree::Scalar(l)) if b.at == l.at => {}
            (base, Tree::Scalar(l)) => {
                let overrides = match base {
                    Tree::Scalar(b) => b
                        .overrides
                        .clone()
                        .or_else(|| Some(Box::new((b.at, b.text.clone())))),
                    _ => None,
                };
                *base = Tree::Scalar(Leaf {
                    overrides,
                    ..l.clone()
                });
            }
            (base, o) => *base = o.clone(),
        }
    }
}

/// Splits a `--set` path on unescaped dots.
fn split_path(path: &str) -> Option<Vec<String>> {
    if path.contains('[') {
        return None;
    }
    let mut keys = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => cur.push(chars.next().unwrap_or('\\')),
            '.' => keys.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    keys.push(cur);
    (!keys.iter().any(|k| k.is_empty())).then_some(keys)
}

/// What a map is, for what it keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The document's root: `global` is read there.
    Root,
    /// `global`: keeps `imageRegistry`.
    Global,
    Any,
}

struct Builder<'m> {
    origin: u32,
    map: &'m dyn Fn(NodeRef) -> Span,
    nodes: usize,
}

impl<'m> Builder<'m> {
    fn new(origin: u32, map: &'m dyn Fn(NodeRef) -> Span) -> Self {
        Builder {
            origin,
            map,
            nodes: 0,
        }
    }

    fn root(&mut self, root: NodeRef) -> Tree {
        match self.map_node(root, 0, Role::Root) {
            Some(t @ Tree::Map(_)) => t,
            _ => Tree::empty(),
        }
    }

    fn leaf(&mut self, n: NodeRef) -> Option<Tree> {
        let s = n.scalar()?;
        self.nodes += 1;
        Some(Tree::Scalar(Leaf {
            text: s.text.into(),
            string: n.as_string().is_some(),
            at: At {
                origin: self.origin,
                span: (self.map)(n),
            },
            overrides: None,
        }))
    }

    /// Whatever a node keeps: a map's kept entries (nothing when none), a
    /// sequence (always: it replaces), nothing for a scalar.
    fn any(&mut self, n: NodeRef, depth: usize) -> Option<Tree> {
        if depth > MAX_DEPTH || self.nodes > MAX_NODES {
            return None;
        }
        match n.value() {
            Value::Map(_) => self.map_node(n, depth, Role::Any),
            Value::Seq(_) => {
                self.nodes += 1;
                let items = n.items().filter_map(|i| self.any(i, depth + 1)).collect();
                Some(Tree::Seq(items))
            }
            _ => None,
        }
    }

    fn map_node(&mut self, n: NodeRef, depth: usize, role: Role) -> Option<Tree> {
        if depth > MAX_DEPTH || self.nodes > MAX_NODES || !n.is_map() {
            return None;
        }
        let image_string = n.entries().any(|(k, v)| {
            k.as_str().is_some_and(is_image_key) && v.scalar().is_some() && !v.is_null()
        });
        let mut out = Vec::new();
        for (k, v) in n.entries() {
            let Some(key) = k.as_str() else { continue };
            let child = if v.is_null() {
                Some(Tree::Null)
            } else if is_image_key(key) || (key == "images" && v.get("repository").is_some()) {
                match v.value() {
                    Value::Map(_) => Some(self.image_map(v)),
                    _ => self.leaf(v),
                }
            } else if role == Role::Root && key == "global" {
                self.map_node(v, depth + 1, Role::Global)
            } else if (role == Role::Global && key == "imageRegistry")
                || (image_string && is_tag_like(key))
            {
                self.leaf(v)
            } else {
                self.any(v, depth + 1)
            };
            if let Some(c) = child {
                out.push((key.into(), c));
            }
        }
        self.nodes += 1;
        (role == Role::Root || !out.is_empty()).then_some(Tree::Map(out))
    }

    fn image_map(&mut self, n: NodeRef) -> Tree {
        let mut out = Vec::new();
        for (k, v) in n.entries() {
            let Some(key) = k.as_str().filter(|k| IMAGE_PARTS.contains(k)) else {
                continue;
            };
            let child = if v.is_null() {
                Some(Tree::Null)
            } else {
                self.leaf(v)
            };
            if let Some(c) = child {
                out.push((key.into(), c));
            }
        }
        self.nodes += 1;
        Tree::Map(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(src: &str) -> Tree {
        let p = parse_stream(src, &Limits::default());
        Tree::of(p.docs[0].root().unwrap(), 7)
    }

    fn leaf_at<'t>(t: &'t Tree, path: &[&str]) -> &'t Leaf {
        let mut cur = t;
        for k in path {
            cur = cur.get(k).unwrap_or_else(|| panic!("no {k} in {cur:?}"));
        }
        match cur {
            Tree::Scalar(l) => l,
            other => panic!("not a leaf: {other:?}"),
        }
    }

    #[test]
    fn keeps_only_what_describes_images() {
        let src = "replicaCount: 2\nimage:\n  repository: nginx\n  tag: \"1.25\"\n  pullPolicy: Always\nglobal:\n  imageRegistry: quay.io\n  storageClass: x\ncontroller:\n  resources: {limits: {cpu: 1}}\n  initImage: busybox:1.36\ninitContainers:\n  - name: init\n    image: busybox\n    imageTag: \"1\"\n    command: [sh]\ntolerations: []\n";
        let t = tree(src);
        let Tree::Map(top) = &t else { panic!() };
        let keys: Vec<&str> = top.iter().map(|(k, _)| &**k).collect();
        assert_eq!(
            keys,
            [
                "image",
                "global",
                "controller",
                "initContainers",
                "tolerations"
            ]
        );
        let tag = leaf_at(&t, &["image", "tag"]);
        assert_eq!((&*tag.text, tag.string, tag.at.origin), ("1.25", true, 7));
        assert_eq!(&src[tag.at.span.range()], "1.25");
        assert!(t.get("image").unwrap().get("pullPolicy").is_none());
        assert_eq!(&*leaf_at(&t, &["global", "imageRegistry"]).text, "quay.io");
        assert!(t.get("global").unwrap().get("storageClass").is_none());
        assert_eq!(t.get("controller").unwrap().get("resources"), None);
        let Some(Tree::Seq(items)) = t.get("initContainers") else {
            panic!()
        };
        assert_eq!(&*leaf_at(&items[0], &["imageTag"]).text, "1");
        // A list is kept (it replaces a list), but not what it holds.
        assert_eq!(items[0].get("command"), Some(&Tree::Seq(Vec::new())));
        assert!(items[0].get("name").is_none());
    }

    #[test]
    fn merges_as_helm_does() {
        let mut base = tree("image:\n  repository: web\n  tag: 1.0.0\nsidecar:\n  image: a:1\nlist:\n  - image: x:1\n");
        let over = tree("image:\n  tag: latest\nsidecar: null\nlist: []\n");
        base.merge(&over);
        let tag = leaf_at(&base, &["image", "tag"]);
        assert_eq!(&*tag.text, "latest");
        assert_eq!(&*tag.overrides.as_ref().unwrap().1, "1.0.0");
        assert_eq!(&*leaf_at(&base, &["image", "repository"]).text, "web");
        assert!(base.get("sidecar").is_none());
        assert_eq!(base.get("list"), Some(&Tree::Seq(Vec::new())));
        // The same file layered twice overrides nothing.
        let mut again = tree("image:\n  tag: 1.0.0\n");
        again.merge(&again.clone());
        assert!(leaf_at(&again, &["image", "tag"]).overrides.is_none());
        // A second override keeps the first value replaced.
        base.merge(&tree("image:\n  tag: 2.0.0\n"));
        let tag = leaf_at(&base, &["image", "tag"]);
        assert_eq!(&*tag.overrides.as_ref().unwrap().1, "1.0.0");
    }

    #[test]
    fn set_paths() {
        let leaf = Leaf {
            text: "latest".into(),
            string: true,
            at: At {
                origin: 1,
                span: Span::default(),
            },
            overrides: None,
        };
        let t = Tree::at_path("controller.image.tag", leaf.clone()).unwrap();
        assert_eq!(
            &*leaf_at(&t, &["controller", "image", "tag"]).text,
            "latest"
        );
        let t = Tree::at_path(r"annotations.a\.b", leaf.clone()).unwrap();
        assert!(t.get("annotations").unwrap().get("a.b").is_some());
        assert!(Tree::at_path("containers[0].image", leaf.clone()).is_none());
        assert!(Tree::at_path("a..b", leaf.clone()).is_none());
        assert!(Tree::at_path("", leaf).is_none());
    }

    fn inner(src: &str) -> Tree {
        let p = parse_stream(src, &Limits::default());
        let root = p.docs[0].root().unwrap();
        let node = root
            .get("values")
            .or_else(|| root.path(&["spec", "values"]));
        Tree::of_string(node.unwrap(), 0).expect("values")
    }

    #[test]
    fn block_scalars_map_back_exactly() {
        for src in [
            "values: |\n  image:\n    tag: latest\n",
            "values: |-\n  image:\n    tag: latest",
            "spec:\n  values: |2-\n      image:\n        tag: latest\n",
            "values: |\r\n  image:\r\n    tag: latest\r\n",
            "values: |\n  # comment\n\n  image: {tag: \"latest\"}\n",
            "values: \"image: {tag: latest}\"\n",
        ] {
            let t = inner(src);
            let tag = leaf_at(&t, &["image", "tag"]);
            assert_eq!(&src[tag.at.span.range()], "latest", "{src:?}");
        }
    }

    #[test]
    fn other_scalars_fall_back_to_the_whole_scalar() {
        let src = "values: >\n  image:\n    tag: latest\n";
        let p = parse_stream(src, &Limits::default());
        let node = p.docs[0].root().unwrap().get("values").unwrap();
        // Folded: the value is YAML, but where its lines are is not proven.
        let t = Tree::of_string(node, 0).unwrap();
        assert_eq!(leaf_at(&t, &["image", "tag"]).at.span, node.span());
        let src = "values: \"image:\\n  tag: latest\\n\"\n";
        let p = parse_stream(src, &Limits::default());
        let node = p.docs[0].root().unwrap().get("values").unwrap();
        let t = Tree::of_string(node, 0).unwrap();
        let tag = leaf_at(&t, &["image", "tag"]);
        assert_eq!(tag.at.span, node.span());
    }

    #[test]
    fn odd_input_never_panics() {
        for src in [
            "values: |\n\timage: x\n",
            "values: |\n  \timage: x\n",
            "values: |\n  image: [\n",
            "values: |\n  - a\n  - b\n",
            "values: |\n  a: &x {image: y:latest}\n  b: *x\n",
            "values: \"\"\n",
            "values: 5\n",
            "values: |\n  é: 1\n  image: ü:latest\n",
            "values: |+\n  image: a:b\n\n\n",
            "values: |\n\n\n  image: {tag: 1}\n",
        ] {
            let p = parse_stream(src, &Limits::default());
            let Some(node) = p
                .docs
                .first()
                .and_then(|d| d.root())
                .and_then(|r| r.get("values"))
            else {
                continue;
            };
            if let Some(t) = Tree::of_string(node, 0) {
                // Every kept span lies in the file, on char boundaries.
                fn check(t: &Tree, src: &str) {
                    match t {
                        Tree::Map(m) => m.iter().for_each(|(_, v)| check(v, src)),
                        Tree::Seq(s) => s.iter().for_each(|v| check(v, src)),
                        Tree::Scalar(l) => {
                            assert!(src.get(l.at.span.range()).is_some(), "{src:?} {l:?}")
                        }
                        Tree::Null => {}
                    }
                }
                check(&t, src);
            }
        }
    }

    #[test]
    fn deep_and_wide_input_is_bounded() {
        // A wide values file stops at the node budget without failing.
        let wide: String = (0..60_000)
            .map(|i| format!("k{i}: {{image: a:{i}}}\n"))
            .collect();
        let Tree::Map(kept) = tree(&wide) else {
            panic!()
        };
        assert!(kept.len() < 60_000 && kept.len() >= 10_000);
        let mut s = String::new();
        for i in 0..200 {
            s.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        s.push_str(&format!("{}image: a:latest\n", "  ".repeat(200)));
        let t = tree(&s);
        // Past the depth bound nothing is kept, and nothing overflows.
        let mut cur = &t;
        let mut depth = 0;
        while let Some((_, v)) = match cur {
            Tree::Map(m) => m.first(),
            _ => None,
        } {
            cur = v;
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1);
    }
}
