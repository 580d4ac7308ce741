//! The images a Helm values tree describes, in the shapes charts commonly
//! read them, and the reference each composes:
//!
//! - `image: repo[:tag][@digest]`, a string (also under `…Image` keys);
//! - `image: {registry, repository, tag, digest}` (or `sha`), any subset, with
//!   `global.imageRegistry` (the Bitnami convention) in front of `registry`
//!   (unless the repository names its own registry);
//! - either one nested anywhere (`controller.image.tag`,
//!   `app-template.controllers.main.containers.main.image`), in lists too
//!   (`initContainers: [{name, image}]`).
//!
//! What is not known is not guessed: an image map with no tag takes the
//! chart's `appVersion`, and a bare image string outside a list may be
//! completed by the template, so neither is "untagged".

use super::helm_values::{is_image_key, is_tag_like, Leaf, Tree};
use super::image;

/// An image found in a values tree.
#[derive(Debug, Clone)]
pub struct Found<'t> {
    /// Where in the values: `controller.image`, `initContainers[0].image`.
    pub path: String,
    pub shape: Shape<'t>,
}

#[derive(Debug, Clone, Copy)]
pub enum Shape<'t> {
    /// `image: "repo:tag"`.
    Whole {
        leaf: &'t Leaf,
        /// In a list item (`containers: [{name, image}]`): the string is
        /// what a container runs.
        in_list: bool,
        /// A sibling key may give the tag (`imageTag`, `tag`, `version`).
        tag_beside: bool,
    },
    /// `image: {registry, repository, tag, digest}`.
    Parts {
        registry: Option<&'t Leaf>,
        repository: Option<&'t Leaf>,
        tag: Option<&'t Leaf>,
        digest: Option<&'t Leaf>,
    },
}

/// Where an image's tag comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFrom {
    /// The reference as composed says it (a tag, a digest, or none at all:
    /// the runtime pulls `latest`).
    Written,
    /// No tag in the values: the chart's `appVersion`, as charts default it.
    ChartDefault,
    /// Not known: a bare string the template may complete.
    Unknown,
}

/// The reference an image composes, and the leaves that set its parts.
#[derive(Debug, Clone)]
pub struct Composed<'t> {
    /// The reference; with no repository in the values (a remote chart's
    /// tag override alone), `registry/…` or empty.
    pub text: String,
    pub repository_known: bool,
    /// The leaf that gave the registry (`global.imageRegistry`, `registry`,
    /// `repository` or the whole string), when one is known.
    pub registry_at: Option<&'t Leaf>,
    /// The tag or digest leaf (for `ChartDefault`, the repository).
    pub pin_at: Option<&'t Leaf>,
    /// The tag alone, when the repository is not known.
    pub tag: Option<&'t str>,
    pub tag_from: TagFrom,
}

/// Every image of a tree, in tree order, and `global.imageRegistry`.
pub fn find(tree: &Tree) -> (Vec<Found<'_>>, Option<&Leaf>) {
    let global = match tree.get("global").and_then(|g| g.get("imageRegistry")) {
        Some(Tree::Scalar(l)) if l.string && !l.text.trim().is_empty() => Some(l),
        _ => None,
    };
    let mut out = Vec::new();
    walk(tree, false, 0, "", &mut out);
    (out, global)
}

fn walk<'t>(t: &'t Tree, in_list: bool, depth: usize, path: &str, out: &mut Vec<Found<'t>>) {
    if depth > 128 {
        return;
    }
    match t {
        Tree::Map(m) => {
            let tag_beside = m
                .iter()
                .any(|(k, v)| is_tag_like(k) && matches!(v, Tree::Scalar(_)));
            for (k, v) in m {
                let image = is_image_key(k) || &**k == "images";
                let path = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                match v {
                    Tree::Scalar(leaf) if image && leaf.string && !leaf.text.trim().is_empty() => {
                        let shape = Shape::Whole {
                            leaf,
                            in_list,
                            tag_beside,
                        };
                        out.push(Found { path, shape })
                    }
                    Tree::Map(_) if image => match parts(v) {
                        Some(shape) => out.push(Found { path, shape }),
                        None => walk(v, false, depth + 1, &path, out),
                    },
                    _ => walk(v, false, depth + 1, &path, out),
                }
            }
        }
        Tree::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(item, true, depth + 1, &format!("{path}[{i}]"), out);
            }
        }
        Tree::Scalar(_) | Tree::Null => {}
    }
}

/// An image map's parts, when it has any.
fn parts(t: &Tree) -> Option<Shape<'_>> {
    let part = |k: &str| match t.get(k) {
        Some(Tree::Scalar(l)) if !l.text.trim().is_empty() => Some(l),
        _ => None,
    };
    let shape = Shape::Parts {
        registry: part("registry"),
        repository: part("repository"),
        tag: part("tag"),
        digest: part("digest").or_else(|| part("sha")),
    };
    match shape {
        Shape::Parts {
            registry: None,
            repository: None,
            tag: None,
            digest: None,
        } => None,
        s => Some(s),
    }
}

impl<'t> Found<'t> {
    /// The reference this image composes with `global.imageRegistry`, if
    /// it names one at all.
    pub fn compose(&self, global: Option<&'t Leaf>) -> Option<Composed<'t>> {
        match self.shape {
            Shape::Whole {
                leaf,
                in_list,
                tag_beside,
            } => whole(leaf, in_list, tag_beside),
            Shape::Parts {
                registry,
                repository,
                tag,
                digest,
            } => {
                // A repository that names its registry keeps it: a registry
                // in front would make no reference at all.
                let named = repository.is_some_and(|r| {
                    image::parse(r.text.trim()).is_ok_and(|p| p.explicit_registry)
                });
                let registry = if named { None } else { global.or(registry) };
                Some(from_parts(registry, repository, tag, digest))
            }
        }
    }
}

fn whole(leaf: &Leaf, in_list: bool, tag_beside: bool) -> Option<Composed<'_>> {
    let text = leaf.text.trim();
    let parsed = image::parse(text).ok();
    let pinned = parsed
        .as_ref()
        .is_some_and(|r| r.tag.is_some() || r.digest.is_some());
    // A bare word (`busybox`) outside a list may be anything a template
    // completes; a path or a tag says it is a reference.
    if !in_list && !text.contains(['/', ':', '@']) {
        return None;
    }
    let tag_from = if pinned || image::has_placeholder(text) || (in_list && !tag_beside) {
        TagFrom::Written
    } else {
        TagFrom::Unknown
    };
    Some(Composed {
        text: text.to_string(),
        repository_known: true,
        registry_at: Some(leaf),
        pin_at: Some(leaf),
        tag: None,
        tag_from,
    })
}

fn from_parts<'t>(
    registry: Option<&'t Leaf>,
    repository: Option<&'t Leaf>,
    tag: Option<&'t Leaf>,
    digest: Option<&'t Leaf>,
) -> Composed<'t> {
    let mut text = registry
        .map(|r| format!("{}/", r.text.trim().trim_end_matches('/')))
        .unwrap_or_default();
    let Some(repo) = repository else {
        text.push('…');
        return Composed {
            text,
            repository_known: false,
            registry_at: registry,
            pin_at: digest.or(tag),
            tag: tag.map(|t| t.text.trim()),
            tag_from: TagFrom::Written,
        };
    };
    text.push_str(repo.text.trim());
    let repo_pinned =
        image::parse(repo.text.trim()).is_ok_and(|r| r.tag.is_some() || r.digest.is_some());
    if let Some(t) = tag {
        text.push(':');
        text.push_str(t.text.trim());
    }
    if let Some(d) = digest {
        let d = d.text.trim();
        text.push('@');
        // `sha: <hex>` is the hex alone.
        if !d.contains(':') {
            text.push_str("sha256:");
        }
        text.push_str(d);
    }
    let (pin_at, tag_from) = match (digest.or(tag), repo_pinned) {
        (Some(l), _) => (Some(l), TagFrom::Written),
        (None, true) => (Some(repo), TagFrom::Written),
        (None, false) => (Some(repo), TagFrom::ChartDefault),
    };
    Composed {
        text,
        repository_known: true,
        registry_at: registry.or(Some(repo)),
        pin_at,
        tag: None,
        tag_from,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    /// (text, registry leaf text, pin leaf text, tag_from) of every image.
    fn images(src: &str) -> Vec<(String, String, String, TagFrom)> {
        let p = parse_stream(src, &Limits::default());
        let t = Tree::of(p.docs[0].root().unwrap(), 0);
        let (found, global) = find(&t);
        found
            .iter()
            .filter_map(|f| f.compose(global))
            .map(|c| {
                let text = |l: Option<&Leaf>| l.map(|l| l.text.to_string()).unwrap_or_default();
                (c.text, text(c.registry_at), text(c.pin_at), c.tag_from)
            })
            .collect()
    }

    fn one(text: &str, reg: &str, pin: &str, from: TagFrom) -> (String, String, String, TagFrom) {
        (text.into(), reg.into(), pin.into(), from)
    }

    #[test]
    fn image_maps() {
        use TagFrom::*;
        assert_eq!(
            images("image:\n  repository: nginx\n  tag: latest\n"),
            [one("nginx:latest", "nginx", "latest", Written)]
        );
        assert_eq!(
            images("image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.2.4\n  digest: \"\"\n"),
            [one("docker.io/bitnami/redis:7.2.4", "docker.io", "7.2.4", Written)]
        );
        assert_eq!(
            images("global:\n  imageRegistry: quay.io\nimage:\n  registry: docker.io\n  repository: x/y\n"),
            [one("quay.io/x/y", "quay.io", "x/y", ChartDefault)]
        );
        assert_eq!(
            images("global:\n  imageRegistry: quay.io\nimage:\n  repository: ghcr.io/x/y\n  tag: \"1\"\n"),
            [one("ghcr.io/x/y:1", "ghcr.io/x/y", "1", Written)]
        );
        assert_eq!(
            images("image:\n  repository: nginx\n  tag: \"\"\n"),
            [one("nginx", "nginx", "nginx", ChartDefault)]
        );
        assert_eq!(
            images("image:\n  repository: nginx:latest\n"),
            [one("nginx:latest", "nginx:latest", "nginx:latest", Written)]
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            images(&format!(
                "image:\n  repository: nginx\n  tag: latest\n  digest: {d}\n"
            )),
            [one(&format!("nginx:latest@{d}"), "nginx", &d, Written)]
        );
        assert_eq!(
            images(&format!(
                "image:\n  repository: quay.io/p/p\n  tag: latest\n  sha: {}\n",
                "b".repeat(64)
            )),
            [one(
                &format!("quay.io/p/p:latest@sha256:{}", "b".repeat(64)),
                "quay.io/p/p",
                &"b".repeat(64),
                Written
            )]
        );
        // A tag alone (a remote chart's override): the repository is the chart's.
        assert_eq!(
            images("controller:\n  image:\n    tag: latest\n"),
            [one("…", "", "latest", Written)]
        );
        // No part at all: not an image.
        assert!(images("global:\n  image:\n    pullPolicy: Always\n").is_empty());
    }

    #[test]
    fn image_strings() {
        use TagFrom::*;
        assert_eq!(
            images("kubectl:\n  image: bitnami/kubectl:latest\n"),
            [one(
                "bitnami/kubectl:latest",
                "bitnami/kubectl:latest",
                "bitnami/kubectl:latest",
                Written
            )]
        );
        // In a list: a container's image; untagged means `latest`.
        assert_eq!(
            images("initContainers:\n  - name: init\n    image: busybox\n"),
            [one("busybox", "busybox", "busybox", Written)]
        );
        // Beside a tag key, or a bare word outside a list: not judged untagged.
        assert_eq!(
            images("initContainers:\n  - image: busybox\n    imageTag: \"1.36\"\n"),
            [one("busybox", "busybox", "busybox", Unknown)]
        );
        assert!(images("initImage: busybox\n").is_empty());
        assert_eq!(
            images("initImage: docker.io/busybox\n"),
            [one(
                "docker.io/busybox",
                "docker.io/busybox",
                "docker.io/busybox",
                Unknown
            )]
        );
        // Not strings: not images.
        assert!(images("image: true\nuseImage: 5\n").is_empty());
    }

    #[test]
    fn paths() {
        let p = parse_stream(
            "a:\n  image: {tag: x}\nlist:\n  - name: n\n    image: b:1\n",
            &Limits::default(),
        );
        let t = Tree::of(p.docs[0].root().unwrap(), 0);
        let paths: Vec<String> = find(&t).0.into_iter().map(|f| f.path).collect();
        assert_eq!(paths, ["a.image", "list[0].image"]);
    }

    #[test]
    fn nested_anywhere() {
        let src = "app-template:\n  controllers:\n    main:\n      containers:\n        main:\n          image:\n            repository: registry.example.com/blog\n            tag: latest\nimages:\n  repository: gcr.io/x\n  tag: v1\nalertmanager:\n  containers:\n    - name: relay\n      image: ghcr.io/a/b:v0.0.3\n";
        let got: Vec<String> = images(src).into_iter().map(|i| i.0).collect();
        assert_eq!(
            got,
            [
                "registry.example.com/blog:latest",
                "gcr.io/x:v1",
                "ghcr.io/a/b:v0.0.3"
            ]
        );
    }
}
