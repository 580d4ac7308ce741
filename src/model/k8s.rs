//! Kubernetes objects and their pod templates.

use crate::yaml::NodeRef;

/// A Kubernetes object document (or `List` item).
#[derive(Clone, Copy)]
pub struct Object<'d, 's> {
    pub node: NodeRef<'d, 's>,
    pub api_version: &'d str,
    pub kind: &'d str,
}

/// The Kubernetes object a finding concerns: what a finding names it by.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// The `apiVersion` and `kind` of a Kubernetes object document, if it is one.
/// Both must be strings; anything else is not an object.
pub fn object_header<'d>(root: NodeRef<'d, '_>) -> Option<(&'d str, &'d str)> {
    let api = root.get("apiVersion")?.as_string()?;
    let kind = root.get("kind")?.as_string()?;
    Some((api, kind))
}

/// Kinds whose spec carries a pod template, and where it lives.
pub const POD_TEMPLATE_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "Rollout",
    "PodTemplate",
];

/// The container lists of a pod spec.
pub const CONTAINER_GROUPS: &[&str] = &["containers", "initContainers", "ephemeralContainers"];

#[derive(Clone, Copy)]
pub struct Container<'d, 's> {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub group: &'static str,
    pub name: Option<&'d str>,
    /// The `image:` value node, if present.
    pub image: Option<NodeRef<'d, 's>>,
}

impl<'d, 's> Object<'d, 's> {
    pub fn new(node: NodeRef<'d, 's>) -> Option<Self> {
        let (api_version, kind) = object_header(node)?;
        Some(Object {
            node,
            api_version,
            kind,
        })
    }

    pub fn name(&self) -> Option<&'d str> {
        self.node
            .path(&["metadata", "name"])
            .and_then(|n| n.as_string())
    }

    /// The `metadata.namespace` node.
    pub fn namespace_node(&self) -> Option<NodeRef<'d, 's>> {
        self.node
            .path(&["metadata", "namespace"])
            .filter(|n| n.as_string().is_some())
    }

    pub fn namespace(&self) -> Option<&'d str> {
        self.namespace_node().and_then(|n| n.as_string())
    }

    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            name: self.name().map(str::to_string),
            namespace: self.namespace().map(str::to_string),
        }
    }

    /// The API group of `apiVersion` (`apps` for `apps/v1`, empty for `v1`).
    pub fn group(&self) -> &'d str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }

    /// The pod spec of a workload, wherever its kind keeps it.
    pub fn pod_spec(&self) -> Option<NodeRef<'d, 's>> {
        let spec = self.node.get("spec");
        let pod = match self.kind {
            "Pod" => spec,
            "PodTemplate" => self.node.path(&["template", "spec"]),
            "CronJob" => spec?.path(&["jobTemplate", "spec", "template", "spec"]),
            "Rollout" if !self.group().starts_with("argoproj.io") => None,
            "ScaledJob" if self.group().starts_with("keda.sh") => {
                spec?.path(&["jobTargetRef", "template", "spec"])
            }
            "Service" if self.group().starts_with("serving.knative.dev") => {
                spec?.path(&["template", "spec"])
            }
            k if POD_TEMPLATE_KINDS.contains(&k) => spec?.path(&["template", "spec"]),
            _ => None,
        }?;
        pod.is_map().then_some(pod)
    }

    /// Every container of the pod template, in document order of the groups.
    pub fn containers(&self) -> Vec<Container<'d, 's>> {
        let Some(pod) = self.pod_spec() else {
            return Vec::new();
        };
        containers_of(pod)
    }
}

/// The containers of a pod spec node.
pub fn containers_of<'d, 's>(pod: NodeRef<'d, 's>) -> Vec<Container<'d, 's>> {
    let mut out = Vec::new();
    for group in CONTAINER_GROUPS {
        let Some(list) = pod.get(group) else { continue };
        for c in list.items() {
            out.push(Container {
                group,
                name: c.get("name").and_then(|n| n.as_str()),
                image: c.get("image").filter(|i| i.scalar().is_some()),
            });
        }
    }
    out.sort_by_key(|c| c.image.map(|i| i.span().start).unwrap_or(u32::MAX));
    out
}

/// The objects of a document: the document itself, or the items of a `*List`.
/// A tool's configuration (Backstage, Skaffold, kind, …) is no object.
pub fn objects<'d, 's>(root: NodeRef<'d, 's>) -> Vec<Object<'d, 's>> {
    let Some(obj) = Object::new(root).filter(|o| !super::tools::is_tool_config(o.api_version))
    else {
        return Vec::new();
    };
    if obj.kind.ends_with("List") {
        if let Some(items) = obj.node.get("items").filter(|i| i.is_seq()) {
            return items.items().filter_map(Object::new).collect();
        }
    }
    vec![obj]
}
