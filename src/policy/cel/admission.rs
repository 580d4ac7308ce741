//! Kubernetes' `ValidatingAdmissionPolicy` and Kyverno's `ValidatingPolicy`
//! read into an owned, compiled policy; which resources it applies to,
//! including the pod controllers Kyverno auto-generates a ValidatingPolicy
//! for (`pkg/cel/policies/vpol/autogen`).

use super::eval::{missing, run, Inputs, Target};
use super::matching::{plural, read_selector, Constraints, ResourceRule};
use super::program::{
    compile_node, read_named, read_validations, CompileError, Program, CRONJOB_TEMPLATE,
    POD_TEMPLATE,
};
use super::subject::Subject;
use crate::policy::kyverno::{Met, Resource, Verdict};
use crate::yaml::{NodeRef, Span};

/// The pod controllers of Kyverno's ValidatingPolicy autogen: kind,
/// API version, whether it is the CronJob shape.
const CONTROLLERS: [(&str, &str, bool); 6] = [
    ("DaemonSet", "apps/v1", false),
    ("Deployment", "apps/v1", false),
    ("ReplicaSet", "apps/v1", false),
    ("StatefulSet", "apps/v1", false),
    ("Job", "batch/v1", false),
    ("CronJob", "batch/v1", true),
];

/// Programs and constraints for the controllers, as Kyverno generates them.
#[derive(Debug, Clone)]
struct Autogen {
    constraints: Constraints,
    /// For controllers with `spec.template`, and for CronJobs.
    defaults: Option<Program>,
    cronjobs: Option<Program>,
}

#[derive(Debug, Clone)]
pub struct AdmissionPolicy {
    pub name: String,
    pub constraints: Constraints,
    pub program: Program,
    pub param_kind: bool,
    /// `paramKind`'s API version and kind, when it names both.
    pub param_kind_of: Option<(String, String)>,
    pub param_kind_at: Option<Span>,
    /// Evaluation errors deny (a VAP whose `failurePolicy` is not `Ignore`).
    errors_fail: bool,
    /// Why the policy is not decidable offline, if it is not.
    pub undecidable: Option<String>,
    autogen: Option<Autogen>,
}

/// Whether `doc` is one of the two kinds; `Some(true)` for Kyverno's.
pub fn family(doc: NodeRef) -> Option<bool> {
    let api = doc.str_at(&["apiVersion"])?;
    match doc.str_at(&["kind"])? {
        "ValidatingAdmissionPolicy" if api.starts_with("admissionregistration.k8s.io/") => {
            Some(false)
        }
        "ValidatingPolicy" | "NamespacedValidatingPolicy"
            if api.starts_with("policies.kyverno.io/") =>
        {
            Some(true)
        }
        _ => None,
    }
}

fn err(n: NodeRef, message: String) -> CompileError {
    CompileError {
        at: n.span(),
        message,
    }
}

impl AdmissionPolicy {
    /// Reads and compiles `doc`, one of the kinds [`family`] names.
    pub fn read(doc: NodeRef, kyverno: bool) -> Result<AdmissionPolicy, CompileError> {
        let spec = doc
            .get("spec")
            .filter(|s| s.is_map())
            .ok_or_else(|| err(doc, "the policy has no `spec` map".into()))?;
        let constraints = match spec.get("matchConstraints") {
            Some(m) => {
                Constraints::read(m).map_err(|e| err(m, format!("matchConstraints: {e}")))?
            }
            None => Constraints::default(),
        };
        let program = Program {
            conditions: read_named(spec.get("matchConditions"), "matchConditions")?,
            variables: read_named(spec.get("variables"), "variables")?,
            validations: read_validations(spec.get("validations"), "validations")?,
        };
        // Audit annotations only annotate; their expressions must compile.
        for (i, a) in spec
            .get("auditAnnotations")
            .into_iter()
            .flat_map(|l| l.items())
            .enumerate()
        {
            if let Some(e) = a.get("valueExpression") {
                compile_node(e, &format!("auditAnnotations[{i}]"))?;
            }
        }
        let mut undecidable = None;
        if spec.str_at(&["evaluation", "mode"]) == Some("JSON") {
            undecidable = Some("evaluates JSON payloads, not Kubernetes resources".into());
        }
        if program.validations.is_empty() {
            undecidable = Some("the policy has no validations".into());
        }
        let autogen = if kyverno && constraints.pods_only() {
            autogen(spec, &constraints, &program)
        } else {
            None
        };
        Ok(AdmissionPolicy {
            name: doc
                .str_at(&["metadata", "name"])
                .unwrap_or_default()
                .to_string(),
            constraints,
            program,
            param_kind: spec.get("paramKind").is_some_and(|p| !p.is_null()),
            param_kind_of: spec
                .str_at(&["paramKind", "apiVersion"])
                .zip(spec.str_at(&["paramKind", "kind"]))
                .map(|(a, k)| (a.to_string(), k.to_string())),
            param_kind_at: spec.get("paramKind").map(|p| p.span()),
            errors_fail: !kyverno && spec.str_at(&["failurePolicy"]) != Some("Ignore"),
            undecidable,
            autogen,
        })
    }

    /// The verdict on `subject`, `None` when the policy does not apply.
    pub fn evaluate(&self, subject: &Subject, inputs: &Inputs) -> Option<Verdict> {
        let r = &subject.resource;
        let labels = inputs.namespace_object.map(|ns| Resource::read(ns).labels);
        let (program, template) = match self.constraints.meets(r, labels.as_deref()) {
            Met::Yes => (&self.program, None),
            Met::Unknown(reason) => return Some(Verdict::Skip { reason }),
            Met::No(_) => {
                let a = self.autogen.as_ref()?;
                match a.constraints.meets(r, labels.as_deref()) {
                    Met::Yes => {}
                    Met::Unknown(reason) => return Some(Verdict::Skip { reason }),
                    Met::No(_) => return None,
                }
                let (program, path): (&Option<Program>, &[&str]) = if r.kind == "CronJob" {
                    (&a.cronjobs, &["spec", "jobTemplate", "spec", "template"])
                } else {
                    (&a.defaults, &["spec", "template"])
                };
                let Some(program) = program else {
                    return Some(Verdict::Error {
                        message: "the auto-generated rule does not compile".into(),
                    });
                };
                (program, subject.node.path(path))
            }
        };
        if let Some(reason) = &self.undecidable {
            return Some(Verdict::Skip {
                reason: reason.clone(),
            });
        }
        if let Some(reason) = missing(program, inputs, r, self.param_kind) {
            return Some(Verdict::Skip { reason });
        }
        let target = Target {
            errors_fail: self.errors_fail,
            subject,
            template,
        };
        Some(run(program, &target, inputs))
    }
}

/// The controllers `spec.autogen.podControllers.controllers` names (kinds
/// or resource names), all when absent.
fn controllers(spec: NodeRef) -> Vec<(&'static str, &'static str, bool)> {
    let Some(list) = spec
        .path(&["autogen", "podControllers", "controllers"])
        .filter(|l| !l.is_null())
    else {
        return CONTROLLERS.to_vec();
    };
    let named: Vec<String> = list
        .items()
        .filter_map(|i| i.as_str())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    CONTROLLERS
        .into_iter()
        .filter(|(kind, _, _)| {
            let lower = kind.to_ascii_lowercase();
            named.iter().any(|n| *n == lower || *n == plural(kind))
        })
        .collect()
}

fn autogen(spec: NodeRef, constraints: &Constraints, program: &Program) -> Option<Autogen> {
    let chosen = controllers(spec);
    if chosen.is_empty() {
        return None;
    }
    let operations = constraints
        .rules
        .first()
        .map(|r| r.operations.clone())
        .unwrap_or_default();
    let rules = chosen
        .iter()
        .map(|(kind, api, _)| {
            let (group, version) = api.split_once('/').unwrap_or(("", api));
            ResourceRule {
                groups: vec![group.to_string()],
                versions: vec![version.to_string()],
                resources: vec![plural(kind)],
                operations: operations.clone(),
                names: Vec::new(),
            }
        })
        .collect();
    let namespace_selector = match spec.path(&["matchConstraints", "namespaceSelector"]) {
        Some(s) => read_selector(s).ok().flatten(),
        None => None,
    };
    Some(Autogen {
        constraints: Constraints {
            rules,
            exclude: Vec::new(),
            namespace_selector,
            object_selector: None,
        },
        defaults: program.rewritten(&POD_TEMPLATE, true),
        cronjobs: program.rewritten(&CRONJOB_TEMPLATE, true),
    })
}
