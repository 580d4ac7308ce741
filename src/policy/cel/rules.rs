//! A Kyverno `ClusterPolicy`/`Policy`'s `validate.cel` rules, compiled and
//! owned. Which rules apply to a resource is decided as for pattern rules
//! (`policy::kyverno`'s match/exclude blocks and auto-generated pod
//! controller rules); an auto-generated rule runs the expressions as
//! Kyverno rewrites them (`pkg/autogen/v1`: `object.spec` to the pod
//! template's, `object.metadata` likewise).

use super::eval::{missing, run, Inputs, Target};
use super::program::{
    read_named, read_validations, CompileError, Program, CRONJOB_TEMPLATE, POD_TEMPLATE,
};
use super::subject::Subject;
use crate::policy::kyverno::{names_kind, rule_meets, Block, Gen, Met, Policy, Resource, Verdict};
use crate::yaml::NodeRef;

/// Rule keys the offline evaluation understands.
const RULE_KEYS: [&str; 7] = [
    "name",
    "match",
    "exclude",
    "validate",
    "celPreconditions",
    "reportProperties",
    "skipBackgroundRequests",
];

#[derive(Debug, Clone)]
pub struct CelRule {
    pub name: String,
    matches: Option<Block>,
    exclude: Option<Block>,
    pub program: Program,
    pub param_kind: bool,
    pub undecidable: Option<String>,
    pod: Option<Program>,
    cronjob: Option<Program>,
}

#[derive(Debug, Clone)]
pub struct CelRules {
    pub name: String,
    namespace: Option<String>,
    autogen: Vec<String>,
    /// `spec.failurePolicy` is not `Ignore`: evaluation errors deny.
    errors_fail: bool,
    pub rules: Vec<CelRule>,
}

/// Whether `doc` is a Kyverno policy with a `validate.cel` rule.
pub fn has_cel_rules(doc: NodeRef) -> bool {
    matches!(doc.str_at(&["kind"]), Some("ClusterPolicy" | "Policy"))
        && doc
            .str_at(&["apiVersion"])
            .is_some_and(|a| a.starts_with("kyverno.io/"))
        && doc
            .path(&["spec", "rules"])
            .is_some_and(|l| l.items().any(|r| r.path(&["validate", "cel"]).is_some()))
}

fn read_rule(
    n: NodeRef,
    i: usize,
    base: &crate::policy::kyverno::Rule,
) -> Result<CelRule, CompileError> {
    let cel = n.path(&["validate", "cel"]).unwrap_or(n);
    let what = |k: &str| format!("rules[{i}] ({}) {k}", base.name);
    let program = Program {
        conditions: read_named(n.get("celPreconditions"), &what("celPreconditions"))?,
        variables: read_named(cel.get("variables"), &what("variables"))?,
        validations: read_validations(cel.get("expressions"), &what("expressions"))?,
    };
    let mut undecidable = n
        .entries()
        .filter_map(|(k, _)| k.as_str())
        .find(|k| !RULE_KEYS.contains(k))
        .map(|k| format!("rule uses `{k}`"));
    if base.matches.is_none() {
        undecidable.get_or_insert_with(|| "the rule's match block could not be read".into());
    }
    Ok(CelRule {
        name: base.name.clone(),
        matches: base.matches.clone(),
        exclude: base.exclude.clone(),
        pod: program.rewritten(&POD_TEMPLATE, false),
        cronjob: program.rewritten(&CRONJOB_TEMPLATE, false),
        param_kind: cel.get("paramKind").is_some_and(|p| !p.is_null()),
        program,
        undecidable,
    })
}

/// Which program applies to a resource, and the rule's name for it.
enum Applies {
    No,
    Unknown(String),
    Yes { gen: Gen<'static>, name: String },
}

impl CelRules {
    /// Reads the `validate.cel` rules of a policy [`has_cel_rules`] accepts.
    pub fn read(doc: NodeRef) -> Result<CelRules, CompileError> {
        let policy = Policy::read(doc).map_err(|message| CompileError {
            at: doc.span(),
            message,
        })?;
        let mut rules = Vec::new();
        let nodes = doc
            .path(&["spec", "rules"])
            .into_iter()
            .flat_map(|l| l.items());
        for (i, (n, base)) in nodes.zip(&policy.rules).enumerate() {
            if n.path(&["validate", "cel"]).is_some() {
                rules.push(read_rule(n, i, base)?);
            }
        }
        Ok(CelRules {
            name: policy.name.clone(),
            namespace: policy.namespace.clone(),
            autogen: policy.autogen.clone(),
            errors_fail: doc.str_at(&["spec", "failurePolicy"]) != Some("Ignore"),
            rules,
        })
    }

    /// Each rule's verdict on `resource`; rules that do not apply are left out.
    pub fn evaluate(&self, subject: &Subject, inputs: &Inputs) -> Vec<(String, Verdict)> {
        let (r, resource) = (&subject.resource, subject.node);
        let mut out = Vec::new();
        for rule in &self.rules {
            let (gen, name) = match self.applies(rule, r) {
                Applies::No => continue,
                Applies::Unknown(reason) => {
                    out.push((rule.name.clone(), Verdict::Skip { reason }));
                    continue;
                }
                Applies::Yes { gen, name } => (gen, name),
            };
            let (program, template) = match gen {
                Gen::Direct => (Some(&rule.program), None),
                Gen::CronJob => (
                    rule.cronjob.as_ref(),
                    resource.path(&["spec", "jobTemplate", "spec", "template"]),
                ),
                Gen::Controller(_) => (rule.pod.as_ref(), resource.path(&["spec", "template"])),
            };
            let verdict = match program {
                _ if rule.undecidable.is_some() => Verdict::Skip {
                    reason: rule.undecidable.clone().unwrap_or_default(),
                },
                None => Verdict::Error {
                    message: "the auto-generated rule does not compile".into(),
                },
                Some(p) => match missing(p, inputs, r, rule.param_kind) {
                    Some(reason) => Verdict::Skip { reason },
                    None => {
                        let target = Target {
                            errors_fail: self.errors_fail,
                            subject,
                            template,
                        };
                        run(p, &target, inputs)
                    }
                },
            };
            out.push((name, verdict));
        }
        out
    }

    /// Kyverno's rule matching, auto-generated rules included (as
    /// `policy::kyverno::Policy::applies_in`).
    fn applies(&self, rule: &CelRule, r: &Resource) -> Applies {
        if self.namespace.as_ref().is_some_and(|ns| *ns != r.namespace) {
            return Applies::No;
        }
        let Some(matches) = &rule.matches else {
            return Applies::Unknown("the rule's match block could not be read".into());
        };
        match rule_meets(matches, rule.exclude.as_ref(), r, Gen::Direct) {
            Met::Yes => {
                return Applies::Yes {
                    gen: Gen::Direct,
                    name: rule.name.clone(),
                }
            }
            Met::Unknown(why) => return Applies::Unknown(why),
            Met::No(_) => {}
        }
        if !self.autogen.contains(&r.kind) || rule.name.starts_with("autogen-") {
            return Applies::No;
        }
        let exclude_kinds: Vec<String> = rule
            .exclude
            .iter()
            .flat_map(|b| b.kinds().map(str::to_string))
            .collect();
        let match_kinds: Vec<String> = matches.kinds().map(str::to_string).collect();
        if !names_kind(&match_kinds, "Pod")
            || (!exclude_kinds.is_empty() && !names_kind(&exclude_kinds, "Pod"))
        {
            return Applies::No;
        }
        let (gen, name) = if r.kind == "CronJob" {
            (Gen::CronJob, format!("autogen-cronjob-{}", rule.name))
        } else {
            // `Gen::Controller` borrows the kind; every controller kind is static.
            let kind = crate::policy::kyverno::POD_CONTROLLERS
                .iter()
                .find(|k| **k == r.kind)
                .copied()
                .unwrap_or("Deployment");
            (Gen::Controller(kind), format!("autogen-{}", rule.name))
        };
        match rule_meets(matches, rule.exclude.as_ref(), r, gen) {
            Met::Yes => Applies::Yes { gen, name },
            Met::Unknown(why) => Applies::Unknown(why),
            Met::No(_) => Applies::No,
        }
    }
}
