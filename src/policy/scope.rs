//! What of a resource's namespace a policy reads, and so when it can be
//! judged. Most policies read nothing of it and are judged in the file pass,
//! on the object as written. A policy that matches by namespace (`match.
//! namespaces`, a namespaced Kyverno `Policy`) or reads `request.namespace`
//! needs the object's *effective* namespace, which a Kustomization or a
//! GitOps object in another file may give; one that reads `namespaceObject`
//! or selects namespaces by label needs that Namespace's object, which only
//! the repository can hold. Such policies are judged on those objects in the
//! repository pass, once the index knows effective namespaces.

use crate::policy::kyverno::is_cluster_scoped;
use crate::yaml::NodeRef;

/// What a policy reads of the namespace of the resource it judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Needs {
    /// Nothing: judged on the object as written.
    #[default]
    Nothing,
    /// The namespace's name.
    Name,
    /// The Namespace object (its labels, annotations).
    Object,
}

/// Nodes scanned at most per policy; beyond, the policy is taken to need
/// everything (judged late: never wrongly).
const BUDGET: usize = 200_000;

impl Needs {
    /// What the policy document `doc` reads of the namespace.
    pub fn of(doc: NodeRef) -> Needs {
        let mut needs = match doc.str_at(&["kind"]) {
            Some("Policy") => Needs::Name,
            _ => Needs::Nothing,
        };
        let mut budget = BUDGET;
        if let Some(spec) = doc.get("spec") {
            scan(spec, &mut needs, &mut budget);
        }
        if budget == 0 {
            return Needs::Object;
        }
        needs
    }

    /// Whether a policy with these needs is judged on `resource` in the
    /// repository pass rather than the file pass: a namespaced resource
    /// that names no namespace has its namespace from elsewhere, and any
    /// namespaced resource's Namespace object lives in another document.
    pub fn deferred(self, resource: NodeRef) -> bool {
        if self == Needs::Nothing {
            return false;
        }
        let api = resource.str_at(&["apiVersion"]).unwrap_or_default();
        let kind = resource.str_at(&["kind"]).unwrap_or_default();
        if is_cluster_scoped(api, kind) {
            return false;
        }
        let named = resource
            .str_at(&["metadata", "namespace"])
            .is_some_and(|n| !n.is_empty());
        self == Needs::Object || !named
    }
}

fn scan(n: NodeRef, needs: &mut Needs, budget: &mut usize) {
    if *budget == 0 || *needs == Needs::Object {
        return;
    }
    *budget -= 1;
    if let Some(s) = n.as_str() {
        if s.contains("namespaceObject") {
            *needs = Needs::Object;
        } else if s.contains("request.namespace") {
            *needs = (*needs).max(Needs::Name);
        }
        return;
    }
    for i in n.items() {
        scan(i, needs, budget);
    }
    for (k, v) in n.entries() {
        match k.as_str().unwrap_or_default() {
            // What a policy says, not what it reads.
            "message" => continue,
            "namespaceSelector" if !v.is_null() => *needs = Needs::Object,
            "namespaces" if !v.is_null() => *needs = (*needs).max(Needs::Name),
            _ => {}
        }
        scan(v, needs, budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn needs(src: &str) -> Needs {
        let p = parse_stream(src, &Limits::default());
        Needs::of(p.docs[0].root().unwrap())
    }

    #[test]
    fn reads_what_the_policy_reads_of_the_namespace() {
        let cluster = "kind: ClusterPolicy\nspec:\n  rules:\n  - match: {any: [{resources: {kinds: [Pod]}}]}\n    validate:\n      message: the namespace must be labelled\n      pattern: {metadata: {namespace: '!default'}}\n";
        assert_eq!(needs(cluster), Needs::Nothing);
        let by_name = cluster.replace("kinds: [Pod]", "kinds: [Pod], namespaces: [prod]");
        assert_eq!(needs(&by_name), Needs::Name);
        assert_eq!(
            needs(&cluster.replace("ClusterPolicy", "Policy")),
            Needs::Name
        );
        let request = "kind: ValidatingPolicy\nspec:\n  validations:\n  - expression: request.namespace != 'default'\n";
        assert_eq!(needs(request), Needs::Name);
        let object = request.replace("request.namespace", "namespaceObject.metadata.labels.team");
        assert_eq!(needs(&object), Needs::Object);
        let selector = "kind: ValidatingAdmissionPolicy\nspec:\n  matchConstraints:\n    namespaceSelector: {matchLabels: {a: b}}\n";
        assert_eq!(needs(selector), Needs::Object);
    }

    #[test]
    fn judged_late_only_where_the_namespace_comes_from_elsewhere() {
        let doc = |src: &str, f: &dyn Fn(NodeRef) -> bool| {
            let p = parse_stream(src, &Limits::default());
            f(p.docs[0].root().unwrap())
        };
        let unnamed = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n";
        let named = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: b}\n";
        let cluster = "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n";
        assert!(!doc(unnamed, &|r| Needs::Nothing.deferred(r)));
        assert!(doc(unnamed, &|r| Needs::Name.deferred(r)));
        assert!(!doc(named, &|r| Needs::Name.deferred(r)));
        assert!(doc(named, &|r| Needs::Object.deferred(r)));
        assert!(!doc(cluster, &|r| Needs::Object.deferred(r)));
    }
}
