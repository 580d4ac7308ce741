//! Kustomize kustomizations (`kustomization.yaml`): telling one apart from a
//! Flux `Kustomization` object saved under the same name.

use crate::yaml::{NodeRef, Spanned};

/// Whether a kustomization-named file's document is a Kustomize kustomization
/// (and not, say, a Flux `Kustomization` object saved under that name).
pub fn is_kustomize(root: NodeRef<'_, '_>) -> bool {
    match root.get("apiVersion").and_then(|a| a.as_str()) {
        Some(api) => api.starts_with("kustomize.config.k8s.io"),
        None => root.is_map(),
    }
}

/// One image override: a Kustomize `images:` entry (also Flux
/// Kustomization `spec.images`), or an Argo CD `kustomize.images` string.
/// Each part keeps the span of the node that sets it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageOverride {
    /// The image name it applies to (the reference without tag or digest).
    pub name: String,
    pub new_name: Option<Spanned>,
    pub new_tag: Option<Spanned>,
    pub digest: Option<Spanned>,
}

/// An applied override's result, as Kustomize's image transformer computes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub image: String,
    /// Whether the override set the name (`newName`).
    pub renamed: bool,
    /// Whether it set the tag or digest (`newTag`, `digest`): either one
    /// replaces both.
    pub repinned: bool,
}

impl ImageOverride {
    /// A Kustomize `images:` list item (`name`, `newName`, `newTag`, `digest`).
    pub fn from_node(item: NodeRef<'_, '_>) -> Option<ImageOverride> {
        let name = item.get("name")?.as_string()?.to_string();
        let part = |k: &str| {
            item.get(k)
                .and_then(Spanned::of)
                .filter(|s| !s.value.is_empty())
        };
        Some(ImageOverride {
            name,
            new_name: part("newName"),
            new_tag: part("newTag"),
            digest: part("digest"),
        })
    }

    /// Every override of a Kustomize or Flux `images:` list.
    pub fn list(images: Option<NodeRef<'_, '_>>) -> Vec<ImageOverride> {
        images
            .map(|l| l.items().filter_map(ImageOverride::from_node).collect())
            .unwrap_or_default()
    }

    /// An Argo CD `kustomize.images` entry, as `kustomize edit set image`
    /// takes it: `name=newName:newTag`, `name=newName@digest`,
    /// `name:newTag`, `name@digest`. Every part points at the whole string.
    pub fn from_argo(s: &Spanned) -> Option<ImageOverride> {
        let (from, to) = match s.value.split_once('=') {
            Some((from, to)) => (Some(from), to),
            None => (None, s.value.as_str()),
        };
        let (name, tag, digest) = split(to);
        if name.is_empty() || from.is_some_and(str::is_empty) {
            return None;
        }
        let at = |v: &str| Some(Spanned::new(v, s.span));
        Some(ImageOverride {
            name: from.unwrap_or(name).to_string(),
            new_name: from.and_then(|_| at(name)),
            new_tag: tag.filter(|t| !t.is_empty()).and_then(at),
            digest: digest.filter(|d| !d.is_empty()).and_then(at),
        })
    }

    /// Applies this override to `image` if it names it (Kustomize matches
    /// the name exactly, without tag or digest).
    pub fn apply(&self, image: &str) -> Option<Applied> {
        let (name, tag, digest) = split(image);
        if name != self.name {
            return None;
        }
        let name = self.new_name.as_ref().map_or(name, |n| n.value.as_str());
        let (tag, digest) = match (&self.new_tag, &self.digest) {
            (None, None) => (tag, digest),
            (t, d) => (
                t.as_ref().map(|t| t.value.as_str()),
                d.as_ref().map(|d| d.value.as_str()),
            ),
        };
        let mut out = name.to_string();
        if let Some(t) = tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = digest {
            out.push('@');
            out.push_str(d);
        }
        Some(Applied {
            image: out,
            renamed: self.new_name.is_some(),
            repinned: self.new_tag.is_some() || self.digest.is_some(),
        })
    }
}

/// An image reference's name, tag and digest, split as Kustomize splits
/// them: the digest after `@`, the tag after a `:` that follows the last `/`.
pub fn split(image: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::Span;

    fn ov(
        name: &str,
        new_name: Option<&str>,
        tag: Option<&str>,
        digest: Option<&str>,
    ) -> ImageOverride {
        let s = |v: &str| Spanned::new(v, Span::default());
        ImageOverride {
            name: name.into(),
            new_name: new_name.map(s),
            new_tag: tag.map(s),
            digest: digest.map(s),
        }
    }

    #[test]
    fn splits_like_kustomize() {
        assert_eq!(split("app"), ("app", None, None));
        assert_eq!(split("app:1"), ("app", Some("1"), None));
        assert_eq!(
            split("localhost:5000/app"),
            ("localhost:5000/app", None, None)
        );
        assert_eq!(
            split("r.io:443/a/b:2@sha256:ab"),
            ("r.io:443/a/b", Some("2"), Some("sha256:ab"))
        );
        assert_eq!(split("app@sha256:ab"), ("app", None, Some("sha256:ab")));
    }

    #[test]
    fn applies_like_kustomize() {
        let o = ov("app", Some("c.azurecr.io/app"), Some("v1"), None);
        let a = o.apply("app:latest").unwrap();
        assert_eq!(a.image, "c.azurecr.io/app:v1");
        assert!(a.renamed && a.repinned);
        // Only the name: the tag stays.
        let a = ov("app", Some("c.io/app"), None, None)
            .apply("app:latest")
            .unwrap();
        assert_eq!((a.image.as_str(), a.repinned), ("c.io/app:latest", false));
        // A new tag drops the digest; a digest drops the tag.
        let a = ov("app", None, Some("2"), None)
            .apply("app:1@sha256:ab")
            .unwrap();
        assert_eq!(a.image, "app:2");
        let a = ov("app", None, None, Some("sha256:cd"))
            .apply("app:1")
            .unwrap();
        assert_eq!(a.image, "app@sha256:cd");
        // Names match exactly.
        assert!(ov("app", None, Some("2"), None)
            .apply("docker.io/app:1")
            .is_none());
        assert!(ov("app", None, Some("2"), None).apply("myapp:1").is_none());
    }

    #[test]
    fn reads_argo_strings() {
        let s = |v: &str| Spanned::new(v, Span::new(3, 9));
        let o = ImageOverride::from_argo(&s("app=c.azurecr.io/app:v2")).unwrap();
        assert_eq!(o.name, "app");
        assert_eq!(o.new_name.unwrap().value, "c.azurecr.io/app");
        assert_eq!(o.new_tag.unwrap().value, "v2");
        let o = ImageOverride::from_argo(&s("c.azurecr.io/app:latest")).unwrap();
        assert_eq!((o.name.as_str(), o.new_name), ("c.azurecr.io/app", None));
        assert_eq!(o.new_tag.unwrap().value, "latest");
        let o = ImageOverride::from_argo(&s("app@sha256:ab")).unwrap();
        assert_eq!(o.digest.unwrap().value, "sha256:ab");
        assert!(ImageOverride::from_argo(&s("=x")).is_none());
    }
}
