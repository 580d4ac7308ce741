//! A run's policies, compiled once and shared by the parallel pass: the
//! built-in sets the config turns on and the user's `policies.paths` files.
//! Each policy rule becomes a rule like the binary's own (`policy/rule` id,
//! severity, documentation), registered in `finding::rule_meta::registry`.
//! What cannot run offline, or cannot be read, is a [`Problem`] at its place
//! in the policy file; every other policy still runs.

use std::sync::{Arc, OnceLock};

use super::builtin::{self, Builtin};
use super::kyverno::{validate_any_pattern, validate_pattern, Applies, Check, Policy, Verdict};
use super::meta::{self, Origin};
use crate::finding::{RuleMeta, Severity};
use crate::yaml::{parse_stream, Limits, NodeRef, Span};

/// A policy file that could not be read, or a rule that is not run.
#[derive(Debug, Clone)]
pub struct Problem {
    pub origin: Origin,
    /// Where in the file (`None`: the file as a whole).
    pub span: Option<Span>,
    pub message: String,
    /// `Error`: the policy is broken; `Info`: a rule is skipped, and why.
    pub severity: Severity,
    /// A YAML syntax error (which `invalid-yaml` reports if the file is linted).
    pub syntax: bool,
}

/// One policy, compiled, with the rule metadata of each of its rules
/// (`None` for a rule that is not run).
#[derive(Debug)]
pub struct Compiled {
    pub policy: Policy,
    /// `shipshape.dev/remediation`, one line.
    pub help: Option<Arc<str>>,
    pub metas: Vec<Option<&'static RuleMeta>>,
    pub origin: Origin,
}

/// A resource a policy rule judges failing (or could not decide).
#[derive(Debug, Clone)]
pub struct Violation {
    pub rule: &'static RuleMeta,
    /// The most specific resource node: the field that failed to match.
    pub at: Span,
    pub message: String,
    /// The rule's name as Kyverno reports it (`autogen-<rule>` on a pod
    /// controller), when it is not the rule's own.
    pub generated: Option<String>,
    /// The policy errored on this resource rather than failing it.
    pub error: bool,
    /// The policy's remediation (`shipshape.dev/remediation`).
    pub help: Option<Arc<str>>,
}

/// The policies of a run.
#[derive(Debug, Default)]
pub struct PolicySet {
    compiled: Vec<Arc<Compiled>>,
    pub problems: Vec<Problem>,
}

/// Every built-in policy, compiled once per process.
fn builtins() -> &'static [(Arc<Compiled>, &'static Builtin)] {
    static ALL: OnceLock<Vec<(Arc<Compiled>, &'static Builtin)>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = Vec::new();
        for b in builtin::FILES {
            let mut set = PolicySet::default();
            set.add_text(Origin::Builtin(b), b.text, &Limits::default());
            all.extend(set.compiled.into_iter().map(|c| (c, b)));
        }
        all
    })
}

/// The metadata of every built-in policy rule, by set then file.
pub fn builtin_metas() -> Vec<&'static RuleMeta> {
    builtins()
        .iter()
        .flat_map(|(c, _)| c.metas.iter().flatten().copied())
        .collect()
}

/// What a built-in policy file reads to: problems must be none (tested).
pub fn builtin_problems() -> Vec<Problem> {
    let mut problems = Vec::new();
    for b in builtin::FILES {
        let mut set = PolicySet::default();
        set.add_text(Origin::Builtin(b), b.text, &Limits::default());
        problems.extend(set.problems);
    }
    problems
}

impl PolicySet {
    /// Adds the built-in policies of `sets`.
    pub fn add_builtin_sets(&mut self, sets: &[String]) {
        for (c, b) in builtins() {
            if sets.iter().any(|s| s == b.set) {
                self.compiled.push(c.clone());
            }
        }
    }

    /// Reads a policy file's text: its Kyverno policies are compiled, the
    /// rest is a problem or, for documents that are not policies, ignored.
    pub fn add_text(&mut self, origin: Origin, text: &str, limits: &Limits) {
        let parsed = parse_stream(text, limits);
        for e in &parsed.errors {
            self.problem(&origin, Some(e.span), e.message.clone(), Severity::Error);
            if let Some(p) = self.problems.last_mut() {
                p.syntax = true;
            }
        }
        let mut policies = 0;
        for doc in &parsed.docs {
            let Some(root) = doc.root() else { continue };
            if let Some(why) = not_run_kind(root) {
                policies += 1;
                let at = root.get("kind").map(|k| k.span());
                self.problem(&origin, at, why, Severity::Info);
                continue;
            }
            if !Policy::is_policy(root) {
                continue;
            }
            policies += 1;
            match Policy::read(root) {
                Ok(policy) => self.compile(policy, &origin, text),
                Err(why) => {
                    let at = root.get("kind").map(|k| k.span());
                    self.problem(
                        &origin,
                        at,
                        format!("policy not run: {why}"),
                        Severity::Error,
                    );
                }
            }
        }
        if policies == 0 && parsed.errors.is_empty() {
            let why = "no Kyverno ClusterPolicy or Policy in this file".to_string();
            self.problem(&origin, None, why, Severity::Info);
        }
    }

    fn problem(&mut self, origin: &Origin, span: Option<Span>, message: String, sev: Severity) {
        self.problems.push(Problem {
            origin: origin.clone(),
            span,
            message,
            severity: sev,
            syntax: false,
        });
    }

    fn compile(&mut self, policy: Policy, origin: &Origin, text: &str) {
        let mut metas = Vec::with_capacity(policy.rules.len());
        for rule in &policy.rules {
            if let Check::Undecidable(why) = &rule.check {
                let message = format!(
                    "rule `{}` of policy `{}` is not run: {}",
                    meta::clean_id(&rule.name),
                    meta::clean_id(&policy.name),
                    explain(why)
                );
                self.problem(origin, Some(rule.why_at), message, Severity::Info);
                metas.push(None);
                continue;
            }
            metas.push(Some(meta::register(&policy, rule, origin, text)));
        }
        let help = policy
            .annotations
            .iter()
            .find(|(k, _)| k == "shipshape.dev/remediation")
            .map(|(_, v)| Arc::from(meta::one_line(v)));
        self.compiled.push(Arc::new(Compiled {
            help,
            policy,
            metas,
            origin: origin.clone(),
        }));
    }

    /// Keeps only the rules `keep` says run (the config turns some off).
    pub fn retain_rules(&mut self, keep: impl Fn(&RuleMeta) -> bool) {
        for c in &mut self.compiled {
            if c.metas.iter().flatten().any(|m| !keep(m)) {
                let metas = c.metas.iter().map(|m| m.filter(|m| keep(m))).collect();
                let policy = c.policy.clone();
                let origin = c.origin.clone();
                *c = Arc::new(Compiled {
                    help: c.help.clone(),
                    policy,
                    metas,
                    origin,
                });
            }
        }
        self.compiled
            .retain(|c| c.metas.iter().any(Option::is_some));
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// The rules that run.
    pub fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.compiled
            .iter()
            .flat_map(|c| c.metas.iter().flatten().copied())
    }

    /// Judges one resource document (a namespaced resource naming no
    /// namespace is in `default`, as Kyverno's CLI reads it).
    pub fn check(&self, doc: NodeRef, out: &mut Vec<Violation>) {
        let secret_like = doc.str_at(&["kind"]).is_some_and(|k| k.contains("Secret"));
        for c in &self.compiled {
            for (rule, meta) in c.policy.rules.iter().zip(&c.metas) {
                let Some(meta) = *meta else { continue };
                let (at, name) = match c.policy.applies(rule, doc) {
                    Applies::Yes { at: Some(at), rule } => (at, rule),
                    // A pod controller with no pod template, or a rule that
                    // depends on the cluster: not judged.
                    Applies::Yes { at: None, .. } | Applies::No(_) | Applies::Unknown(_) => {
                        continue
                    }
                };
                let verdict = match &rule.check {
                    Check::Pattern(p) => validate_pattern(at, p),
                    Check::AnyPattern(list) => validate_any_pattern(at, list),
                    Check::Undecidable(_) => continue,
                };
                let generated = (name != rule.name).then_some(name);
                let said = rule.message.as_deref().unwrap_or("the policy rule failed");
                let kind_at = doc.get("kind").map_or(doc.span(), |k| k.span());
                let (at, message, error) = match verdict {
                    Verdict::Pass | Verdict::Skip { .. } => continue,
                    // Values of a Secret-like object are never quoted.
                    Verdict::Fail { at, .. } if secret_like => (at, said.to_string(), false),
                    Verdict::Fail { at, message } => (at, format!("{said}: {message}"), false),
                    Verdict::Error { message } => (
                        kind_at,
                        format!("the policy could not decide this object: {message}"),
                        true,
                    ),
                };
                out.push(Violation {
                    rule: meta,
                    at,
                    message,
                    generated,
                    error,
                    help: c.help.clone(),
                });
            }
        }
    }

    /// A fingerprint of what the set runs: the results cache is keyed by it.
    pub fn fingerprint(&self) -> u128 {
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        for m in self.metas() {
            h.update(m.id.as_bytes());
            h.update(m.doc.as_bytes());
            h.update(&[0]);
        }
        h.digest128()
    }
}

/// Policy kinds that are recognised but not run offline, and why.
fn not_run_kind(doc: NodeRef) -> Option<String> {
    let kind = doc.str_at(&["kind"])?;
    let api = doc.str_at(&["apiVersion"]).unwrap_or_default();
    let group = api.split('/').next().unwrap_or_default();
    let why = match (group, kind) {
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy")
        | ("policies.kyverno.io", "ValidatingPolicy") => "CEL policies are not run yet",
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding") => return None,
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy")
        | ("policies.kyverno.io", "MutatingPolicy") => {
            "mutating policies change objects at admission; nothing to check offline"
        }
        ("policies.kyverno.io", "GeneratingPolicy") => {
            "generating policies create objects in the cluster; nothing to check offline"
        }
        ("policies.kyverno.io", "ImageValidatingPolicy") => {
            "image verification needs the registry (network), which shipshape never reaches"
        }
        ("policies.kyverno.io", "DeletingPolicy")
        | ("kyverno.io", "CleanupPolicy" | "ClusterCleanupPolicy") => {
            "cleanup policies act on the cluster; nothing to check offline"
        }
        _ => return None,
    };
    Some(format!("{kind} not run: {why}"))
}

/// Why a rule is not run, in the user's terms.
fn explain(why: &str) -> String {
    let said = match why {
        "rule uses `mutate`" => {
            "a mutate rule changes objects at admission; nothing to check offline"
        }
        "rule uses `generate`" => {
            "a generate rule creates objects in the cluster; nothing to check offline"
        }
        "rule uses `verifyImages`" => {
            "image verification needs the registry (network), which shipshape never reaches"
        }
        "rule uses `context`" => "its `context` reads the cluster or external data",
        "rule uses `preconditions`" => "`preconditions` are not supported yet",
        "validate uses `deny`" => "`deny` conditions are not supported yet",
        "validate uses `foreach`" => "`foreach` is not supported yet",
        "validate uses `cel`" => "`validate.cel` is not supported yet",
        "validate uses `podSecurity`" => "`podSecurity` is not supported yet",
        _ => return why.to_string(),
    };
    said.to_string()
}
