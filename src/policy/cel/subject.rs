//! A resource as the CEL policies judging it see it: its metadata read
//! once, its CEL value (`object`) and its CREATE `request` built on first
//! use and shared by every policy run on it. Converting an object costs
//! more than most expressions evaluated on it, so it is done once per
//! document, not once per policy; a document no CEL policy applies to is
//! never converted.

use std::cell::OnceCell;

use cel::common::value::Val;
use cel::Value;

use super::matching::plural;
use super::value::{map_of, shared, string, to_val};
use crate::policy::kyverno::Resource;
use crate::yaml::NodeRef;

/// One resource document, read for the policies.
pub struct Subject<'r, 't> {
    pub node: NodeRef<'r, 't>,
    /// Its kind, names, labels; a namespaced resource naming no namespace
    /// is in the namespace it was read with.
    pub resource: Resource,
    object: OnceCell<Result<Box<dyn Val>, String>>,
    request: OnceCell<Box<dyn Val>>,
}

impl<'r, 't> Subject<'r, 't> {
    /// `node`, deployed to `namespace` if it is namespaced and names none.
    pub fn new(node: NodeRef<'r, 't>, namespace: &str) -> Subject<'r, 't> {
        let mut resource = Resource::read(node);
        resource.default_namespace(namespace);
        Subject {
            node,
            resource,
            object: OnceCell::new(),
            request: OnceCell::new(),
        }
    }

    /// The resource as a CEL value (a copy sharing its maps and lists, to
    /// hand a context), or why it
    /// is too large to be one.
    pub fn object(&self) -> Result<Box<dyn Val>, String> {
        match self.object.get_or_init(|| to_val(self.node)) {
            Ok(v) => Ok(v.clone_as_boxed()),
            Err(e) => Err(e.clone()),
        }
    }

    /// `request` as the API server builds it for a CREATE of the resource.
    pub fn request(&self) -> Box<dyn Val> {
        self.request
            .get_or_init(|| {
                let r = &self.resource;
                shared(request(r, &plural(&r.kind)))
            })
            .clone_as_boxed()
    }
}

/// `request` as the API server builds it for a CREATE of `r`.
pub fn request(r: &Resource, plural: &str) -> Value {
    let (group, version) = match r.api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", r.api_version.as_str()),
    };
    let gvk = map_of([
        ("group", string(group)),
        ("version", string(version)),
        ("kind", string(&r.kind)),
    ]);
    let gvr = map_of([
        ("group", string(group)),
        ("version", string(version)),
        ("resource", string(plural)),
    ]);
    map_of([
        ("operation", string("CREATE")),
        ("kind", gvk.clone()),
        ("requestKind", gvk),
        ("resource", gvr.clone()),
        ("requestResource", gvr),
        ("name", string(&r.name)),
        ("namespace", string(&r.namespace)),
        ("userInfo", map_of([])),
        ("dryRun", Value::Bool(false)),
    ])
}
