//! A `ValidatingAdmissionPolicyBinding` read into an owned form, and the
//! parameter objects of the policy files: which resources a binding
//! narrows its policy to (`matchResources`), which parameter objects it
//! hands the policy (`paramRef`: a name or a label selector, in a
//! namespace), and how a failure is reported (`validationActions`).
//! Parameters come only from the policy files: none is looked up in a
//! cluster.

use cel::common::value::Val;

use super::matching::{read_selector, Constraints};
use super::value::to_val;
use crate::policy::kyverno::{Met, Resource, Selector};
use crate::yaml::{NodeRef, Span};

/// How a binding reports a failure (`validationActions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The rule's own severity.
    Deny,
    /// A warning.
    Warn,
    /// A note.
    Audit,
}

/// Which parameter objects a binding hands its policy.
#[derive(Debug, Clone)]
struct ParamRef {
    name: Option<String>,
    namespace: Option<String>,
    /// `None` with no name: every object of the kind.
    selector: Option<Selector>,
    /// `parameterNotFoundAction: Deny` (the default).
    deny_if_missing: bool,
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    /// `spec.policyName`.
    pub policy: String,
    /// The strongest of `validationActions` (Deny, else Warn, else Audit).
    pub action: Action,
    narrow: Option<Constraints>,
    param_ref: Option<ParamRef>,
    /// The binding document, where a problem with it points.
    pub at: Span,
}

/// A document of the policy files that may be a policy's parameters.
#[derive(Debug, Clone)]
pub struct ParamObject {
    /// `apiVersion`, `kind`, name, namespace (`default` for a namespaced
    /// kind naming none), labels.
    pub resource: Resource,
    pub value: Box<dyn Val>,
}

/// What a binding hands its policy for one resource.
#[derive(Debug)]
pub enum Params<'p> {
    /// The policy has no `paramKind`: evaluated once, without.
    None,
    /// Evaluated once per object.
    Objects(Vec<&'p ParamObject>),
    /// No object found: `parameterNotFoundAction: Deny` denies the request.
    NotFound { deny: bool, what: String },
}

/// Whether `doc` is a ValidatingAdmissionPolicyBinding.
pub fn is_binding(doc: NodeRef) -> bool {
    doc.str_at(&["kind"]) == Some("ValidatingAdmissionPolicyBinding")
        && doc
            .str_at(&["apiVersion"])
            .is_some_and(|a| a.starts_with("admissionregistration.k8s.io/"))
}

impl ParamObject {
    /// `doc` as a parameter object, if it has a kind and converts.
    pub fn read(doc: NodeRef) -> Option<ParamObject> {
        doc.str_at(&["kind"])?;
        let mut resource = Resource::read(doc);
        resource.default_namespace("default");
        let value = to_val(doc).ok()?;
        Some(ParamObject { resource, value })
    }

    /// `namespace/name` (or `name`), as messages name it.
    pub fn describe(&self) -> String {
        match self.resource.namespace.as_str() {
            "" => self.resource.name.clone(),
            ns => format!("{ns}/{}", self.resource.name),
        }
    }
}

impl Binding {
    /// Reads a document [`is_binding`] accepts, or says why it cannot.
    pub fn read(doc: NodeRef) -> Result<Binding, String> {
        let spec = doc
            .get("spec")
            .filter(|s| s.is_map())
            .ok_or("the binding has no `spec` map")?;
        let policy = spec
            .str_at(&["policyName"])
            .filter(|p| !p.is_empty())
            .ok_or("the binding names no `policyName`")?
            .to_string();
        let mut actions: Vec<Action> = Vec::new();
        for a in spec
            .get("validationActions")
            .into_iter()
            .flat_map(|l| l.items())
        {
            actions.push(match a.as_str() {
                Some("Deny") => Action::Deny,
                Some("Warn") => Action::Warn,
                Some("Audit") => Action::Audit,
                other => return Err(format!("unknown validation action {other:?}")),
            });
        }
        let narrow = match spec.get("matchResources").filter(|m| !m.is_null()) {
            Some(m) => Some(Constraints::read(m).map_err(|e| format!("matchResources: {e}"))?),
            None => None,
        };
        let param_ref = match spec.get("paramRef").filter(|p| !p.is_null()) {
            Some(p) => Some(read_param_ref(p)?),
            None => None,
        };
        Ok(Binding {
            name: doc
                .str_at(&["metadata", "name"])
                .unwrap_or_default()
                .to_string(),
            policy,
            // No action is invalid in Kubernetes; read as Deny.
            action: actions.into_iter().min().unwrap_or(Action::Deny),
            narrow,
            param_ref,
            at: doc.span(),
        })
    }

    /// Whether the binding's `matchResources` admits `r` (absent, or no
    /// resource rules: whatever the policy matches).
    pub fn admits(&self, r: &Resource) -> Met {
        match &self.narrow {
            None => Met::Yes,
            Some(c) if c.rules.is_empty() => {
                let all = Constraints {
                    rules: vec![super::matching::ResourceRule {
                        groups: vec!["*".into()],
                        versions: vec!["*".into()],
                        resources: vec!["*".into()],
                        operations: vec!["*".into()],
                        names: Vec::new(),
                    }],
                    ..c.clone()
                };
                all.meets(r, None)
            }
            Some(c) => c.meets(r, None),
        }
    }

    /// Whether the binding can hand parameters of `kind` at all from
    /// `objects`, whatever the resource's namespace; why not, if not.
    pub fn resolvable(&self, kind: (&str, &str), objects: &[ParamObject]) -> Result<(), String> {
        let Some(p) = &self.param_ref else {
            return Err(format!("binding `{}` has no `paramRef`", self.name));
        };
        if objects.iter().any(|o| p.selects(kind, o, None)) {
            Ok(())
        } else {
            Err(format!(
                "binding `{}` selects no {} `{}` object in the policy files",
                self.name, kind.0, kind.1
            ))
        }
    }

    /// The parameters for a resource in `namespace`; `kind` is the
    /// policy's `paramKind` (API version, kind), if it has one.
    pub fn params<'p>(
        &self,
        kind: Option<(&str, &str)>,
        namespace: &str,
        objects: &'p [ParamObject],
    ) -> Params<'p> {
        let (Some(kind), Some(p)) = (kind, &self.param_ref) else {
            return Params::None;
        };
        let found: Vec<&ParamObject> = objects
            .iter()
            .filter(|o| p.selects(kind, o, Some(namespace)))
            .collect();
        if found.is_empty() {
            let what = match &p.name {
                Some(n) => format!("{} `{n}`", kind.1),
                None => format!("a {} its selector selects", kind.1),
            };
            return Params::NotFound {
                deny: p.deny_if_missing,
                what,
            };
        }
        Params::Objects(found)
    }
}

fn read_param_ref(p: NodeRef) -> Result<ParamRef, String> {
    let selector = match p.get("selector").filter(|s| !s.is_null()) {
        Some(s) => read_selector(s).map_err(|e| format!("paramRef.selector: {e}"))?,
        None => None,
    };
    let name = p
        .str_at(&["name"])
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if name.is_some() && p.get("selector").is_some_and(|s| !s.is_null()) {
        return Err("paramRef sets both `name` and `selector`".into());
    }
    Ok(ParamRef {
        name,
        namespace: p
            .str_at(&["namespace"])
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        selector,
        deny_if_missing: p.str_at(&["parameterNotFoundAction"]) != Some("Allow"),
    })
}

impl ParamRef {
    /// Whether `o` is one of the parameters; `namespace` is the judged
    /// resource's (`None`: any), used when the ref names none.
    fn selects(&self, (api, kind): (&str, &str), o: &ParamObject, namespace: Option<&str>) -> bool {
        let r = &o.resource;
        if r.api_version != api || r.kind != kind {
            return false;
        }
        if let Some(n) = &self.name {
            if r.name != *n {
                return false;
            }
        } else if let Some(sel) = &self.selector {
            if !sel.matches(&r.labels) {
                return false;
            }
        }
        // A cluster-scoped parameter has no namespace to compare.
        if r.namespace.is_empty() {
            return true;
        }
        match (&self.namespace, namespace) {
            (Some(ns), _) => r.namespace == *ns,
            (None, Some(ns)) => r.namespace == ns,
            (None, None) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    const FILES: &str = "\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: b}
spec:
  policyName: p
  validationActions: [Warn, Audit]
  paramRef: {name: limits, parameterNotFoundAction: Allow}
  matchResources:
    namespaceSelector: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: limits, namespace: shop, labels: {tier: web}}
data: {max: '3'}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, labels: {tier: web}}
";

    #[test]
    fn a_binding_selects_its_parameters_by_name_and_namespace() {
        let ps = parse_stream(FILES, &Limits::default());
        let docs: Vec<_> = ps.docs.iter().filter_map(|d| d.root()).collect();
        assert!(is_binding(docs[0]) && !is_binding(docs[1]));
        let b = Binding::read(docs[0]).unwrap();
        assert_eq!((b.policy.as_str(), b.action), ("p", Action::Warn));
        let objects: Vec<ParamObject> = docs[1..]
            .iter()
            .filter_map(|d| ParamObject::read(*d))
            .collect();
        let kind = Some(("v1", "ConfigMap"));
        assert!(
            matches!(b.params(kind, "shop", &objects), Params::Objects(o) if o.len() == 1 && o[0].describe() == "shop/limits")
        );
        assert!(matches!(
            b.params(kind, "default", &objects),
            Params::NotFound { deny: false, .. }
        ));
        assert!(matches!(b.params(None, "shop", &objects), Params::None));
        assert!(b.resolvable(("v1", "ConfigMap"), &objects).is_ok());
        assert!(b.resolvable(("v1", "Secret"), &objects).is_err());
        let r = Resource::read(docs[1]);
        assert!(matches!(b.admits(&r), Met::Yes));
    }

    #[test]
    fn a_selector_selects_by_labels_in_the_resources_namespace() {
        let src = FILES.replace(
            "paramRef: {name: limits, parameterNotFoundAction: Allow}",
            "paramRef: {selector: {matchLabels: {tier: web}}}",
        );
        let ps = parse_stream(&src, &Limits::default());
        let docs: Vec<_> = ps.docs.iter().filter_map(|d| d.root()).collect();
        let b = Binding::read(docs[0]).unwrap();
        let objects: Vec<ParamObject> = docs[1..]
            .iter()
            .filter_map(|d| ParamObject::read(*d))
            .collect();
        let kind = Some(("v1", "ConfigMap"));
        assert!(
            matches!(b.params(kind, "default", &objects), Params::Objects(o) if o[0].describe() == "default/other")
        );
        assert!(matches!(
            b.params(kind, "kube-system", &objects),
            Params::NotFound { deny: true, .. }
        ));
    }

    #[test]
    fn bad_bindings_say_why() {
        for (from, to, why) in [
            ("  policyName: p\n", "", "policyName"),
            ("[Warn, Audit]", "[Block]", "unknown validation action"),
            (
                "paramRef: {name: limits, parameterNotFoundAction: Allow}",
                "paramRef: {name: x, selector: {matchLabels: {a: b}}}",
                "both",
            ),
        ] {
            let src = FILES.replace(from, to);
            let ps = parse_stream(&src, &Limits::default());
            let err = Binding::read(ps.docs[0].root().unwrap()).unwrap_err();
            assert!(err.contains(why), "{err}");
        }
    }
}
