//! A run's policies, compiled once and shared by the parallel pass: the
//! built-in sets the config turns on and the user's `policies.paths` files.
//! Each policy rule becomes a rule like the binary's own (`policy/rule` id,
//! severity, documentation), registered in `finding::rule_meta::registry`.
//! What cannot run offline, or cannot be read, is a [`Problem`] at its place
//! in the policy file; every other policy still runs.

use std::sync::{Arc, OnceLock};

use super::builtin;
use super::cel::{self, CelPolicy, Family};
use super::kinds::{kyverno_resources, resources_of};
use super::kyverno::{annotations, Check, Policy};
use super::meta::{self, Describe, Origin};
use super::scope::Needs;
use super::skip::{explain, not_run_kind};
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

/// A policy in one of the formats run.
#[derive(Debug, Clone)]
pub enum Body {
    /// Kyverno `validate.pattern` / `anyPattern` rules.
    Kyverno(Policy),
    /// A ValidatingAdmissionPolicy, a ValidatingPolicy, or the
    /// `validate.cel` rules of a Kyverno policy.
    Cel(CelPolicy),
    /// A built-in CEL policy, compiled when first needed: a run whose
    /// results all come from the cache never parses its CEL.
    Lazy(LazyCel),
}

/// A built-in file's CEL policy document, compiled on first use.
#[derive(Debug, Clone)]
pub struct LazyCel {
    text: &'static str,
    /// The document's index in the file.
    doc: usize,
    cel: OnceLock<Option<CelPolicy>>,
}

impl LazyCel {
    /// The compiled policy (built-in files compile cleanly: a test says so).
    pub(super) fn get(&self) -> Option<&CelPolicy> {
        self.cel
            .get_or_init(|| {
                let parsed = parse_stream(self.text, &Limits::default());
                let root = parsed.docs.get(self.doc)?.root()?;
                cel::compile(root).ok().flatten()
            })
            .as_ref()
    }
}

/// One policy, compiled, with each rule's name and metadata (`None` for a
/// rule that is not run), in the policy's order.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub body: Body,
    /// The resources (plural, lower case) it can judge; `None`: any. A
    /// pre-check: most objects meet few policies.
    pub resources: Option<Vec<String>>,
    /// `shipshape.dev/remediation`, one line.
    pub help: Option<Arc<str>>,
    pub rules: Vec<(String, Option<&'static RuleMeta>)>,
    pub origin: Origin,
    /// What it reads of a resource's namespace: when it can be judged.
    pub needs: Needs,
    /// Where each rule is in the policy's file (as `rules`).
    pub sites: Vec<Span>,
}

/// The policies of a run.
#[derive(Debug, Default)]
pub struct PolicySet {
    pub(super) compiled: Vec<Arc<Compiled>>,
    pub problems: Vec<Problem>,
    /// The text being read is a built-in file's: its CEL policies are
    /// compiled on first use ([`LazyCel`]).
    lazy: Option<&'static str>,
}

/// A built-in policy file, compiled once per process, when first asked for
/// (a run compiles only the sets it runs: parsing CEL is not free).
fn builtin_file(i: usize) -> &'static [Arc<Compiled>] {
    static FILES: OnceLock<Vec<OnceLock<Vec<Arc<Compiled>>>>> = OnceLock::new();
    let files = FILES.get_or_init(|| builtin::FILES.iter().map(|_| OnceLock::new()).collect());
    files[i].get_or_init(|| {
        let b = &builtin::FILES[i];
        let mut set = PolicySet {
            lazy: Some(b.text),
            ..PolicySet::default()
        };
        set.add_text(Origin::Builtin(b), b.text, &Limits::default());
        set.compiled
    })
}

/// The metadata of every built-in policy rule, by set then file
/// (`shipshape rules`, the config's rule ids); no CEL is compiled for it.
pub fn builtin_metas() -> Vec<&'static RuleMeta> {
    (0..builtin::FILES.len())
        .flat_map(builtin_file)
        .flat_map(|c| c.rules.iter().filter_map(|(_, m)| *m))
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
        for (i, b) in builtin::FILES.iter().enumerate() {
            if sets.iter().any(|s| s == b.set) {
                self.compiled.extend(builtin_file(i).iter().cloned());
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
        for (index, doc) in parsed.docs.iter().enumerate() {
            let Some(root) = doc.root() else { continue };
            let at_kind = root.get("kind").map(|k| k.span());
            if let Some(why) = not_run_kind(root) {
                policies += 1;
                self.problem(&origin, at_kind, why, Severity::Info);
                continue;
            }
            let kyverno = Policy::is_policy(root);
            let needs = Needs::of(root);
            if let Some(text) = self.lazy {
                if let Some((name, family, names)) = cel_outline(root) {
                    let rules = register_cel(&name, family, &names, root, &origin, text);
                    self.compiled.push(Arc::new(Compiled {
                        sites: meta::rule_sites(root, &names),
                        resources: resources_of(root),
                        help: remediation(&annotations(root)),
                        body: Body::Lazy(LazyCel {
                            text,
                            doc: index,
                            cel: OnceLock::new(),
                        }),
                        rules,
                        origin: origin.clone(),
                        needs,
                    }));
                    if !kyverno {
                        policies += 1;
                        continue;
                    }
                }
            }
            // CEL rules: compiled by `cel`, so the Kyverno reading leaves them.
            let compiled = match self.lazy {
                Some(_) => Ok(None),
                None => cel::compile(root),
            };
            let cel_rules: Vec<String> = match compiled {
                Ok(Some(p)) => {
                    let names = p.rule_names();
                    self.compile_cel(p, (root, needs), &origin, text);
                    names
                }
                Ok(None) => Vec::new(),
                Err(e) => {
                    let why = format!("policy not run: {}", e.message);
                    self.problem(&origin, Some(e.at), why, Severity::Error);
                    if !kyverno {
                        policies += 1;
                        continue;
                    }
                    vec![String::new()]
                }
            };
            if !cel_rules.is_empty() && !kyverno {
                policies += 1;
                continue;
            }
            if !kyverno {
                continue;
            }
            policies += 1;
            match Policy::read(root) {
                Ok(policy) => {
                    let cel = !cel_rules.is_empty() || self.lazy.is_some();
                    self.compile((policy, needs), &origin, text, cel)
                }
                Err(why) => {
                    let why = format!("policy not run: {why}");
                    self.problem(&origin, at_kind, why, Severity::Error);
                }
            }
        }
        if policies == 0 && parsed.errors.is_empty() {
            let why = "no policy in this file (Kyverno ClusterPolicy, Policy or ValidatingPolicy, or a ValidatingAdmissionPolicy)".to_string();
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

    /// A Kyverno policy's pattern rules; `cel`: its `validate.cel` rules
    /// are compiled apart (no note that they are not run here).
    fn compile(
        &mut self,
        (policy, needs): (Policy, Needs),
        origin: &Origin,
        text: &str,
        cel: bool,
    ) {
        let mut metas = Vec::with_capacity(policy.rules.len());
        for rule in &policy.rules {
            if let Check::Invalid { at, message } = &rule.check {
                let message = format!(
                    "rule `{}` of policy `{}` is not run: {message}",
                    meta::clean_id(&rule.name),
                    meta::clean_id(&policy.name),
                );
                self.problem(origin, Some(*at), message, Severity::Error);
                metas.push((rule.name.clone(), None));
                continue;
            }
            if let Check::Undecidable(why) = &rule.check {
                if cel && why == "validate uses `cel`" {
                    metas.push((rule.name.clone(), None));
                    continue;
                }
                let message = format!(
                    "rule `{}` of policy `{}` is not run: {}",
                    meta::clean_id(&rule.name),
                    meta::clean_id(&policy.name),
                    explain(why)
                );
                self.problem(origin, Some(rule.why_at), message, Severity::Info);
                metas.push((rule.name.clone(), None));
                continue;
            }
            let meta = meta::register(&Describe::kyverno(&policy, rule), origin, text);
            metas.push((rule.name.clone(), Some(meta)));
        }
        let help = remediation(&policy.annotations);
        self.compiled.push(Arc::new(Compiled {
            sites: policy
                .rules
                .iter()
                .map(|r| r.name_span.unwrap_or(r.span))
                .collect(),
            resources: kyverno_resources(&policy),
            help,
            body: Body::Kyverno(policy),
            rules: metas,
            origin: origin.clone(),
            needs,
        }));
    }

    /// A CEL policy: one rule for an admission policy (`<policy>/vap` or
    /// `<policy>/vpol`), one per `validate.cel` rule of a Kyverno policy.
    fn compile_cel(
        &mut self,
        p: CelPolicy,
        (root, needs): (NodeRef, Needs),
        origin: &Origin,
        text: &str,
    ) {
        let names = p.rule_names();
        let rules = register_cel(&p.name, p.family, &names, root, origin, text);
        self.compiled.push(Arc::new(Compiled {
            sites: meta::rule_sites(root, &names),
            resources: resources_of(root),
            help: remediation(&annotations(root)),
            body: Body::Cel(p),
            rules,
            origin: origin.clone(),
            needs,
        }));
    }

    /// Keeps only the rules `keep` says run (the config turns some off).
    pub fn retain_rules(&mut self, keep: impl Fn(&RuleMeta) -> bool) {
        for c in &mut self.compiled {
            if c.rules.iter().any(|(_, m)| m.is_some_and(|m| !keep(m))) {
                let mut kept = Compiled::clone(c);
                for (_, m) in &mut kept.rules {
                    *m = m.filter(|m| keep(m));
                }
                *c = Arc::new(kept);
            }
        }
        self.compiled
            .retain(|c| c.rules.iter().any(|(_, m)| m.is_some()));
    }

    pub fn is_empty(&self) -> bool {
        self.compiled.is_empty()
    }

    /// The rules that run.
    pub fn metas(&self) -> impl Iterator<Item = &'static RuleMeta> + '_ {
        self.compiled
            .iter()
            .flat_map(|c| c.rules.iter().filter_map(|(_, m)| *m))
    }

    /// Where the rule `id` is: its policy's origin and its place there.
    pub fn rule_site(&self, id: &str) -> Option<(&Origin, Span)> {
        self.compiled.iter().find_map(|c| {
            let i = c
                .rules
                .iter()
                .position(|(_, m)| m.is_some_and(|m| m.id == id))?;
            Some((&c.origin, c.sites.get(i).copied().unwrap_or_default()))
        })
    }

    /// The most any policy reads of a resource's namespace.
    pub fn needs(&self) -> Needs {
        self.compiled
            .iter()
            .map(|c| c.needs)
            .max()
            .unwrap_or_default()
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

/// The policy's remediation, one line.
fn remediation(annotations: &[(String, String)]) -> Option<Arc<str>> {
    annotations
        .iter()
        .find(|(k, _)| k == "shipshape.dev/remediation")
        .map(|(_, v)| Arc::from(meta::one_line(v)))
}

/// A CEL policy's name, family and rule names, read without compiling it.
fn cel_outline(root: NodeRef) -> Option<(String, Family, Vec<String>)> {
    let kind = root.str_at(&["kind"])?;
    let group = root.str_at(&["apiVersion"])?.split('/').next()?;
    let name = root
        .str_at(&["metadata", "name"])
        .unwrap_or_default()
        .to_string();
    let family = match (group, kind) {
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy") => {
            Family::ValidatingAdmissionPolicy
        }
        ("policies.kyverno.io", "ValidatingPolicy") => Family::ValidatingPolicy,
        _ if Policy::is_policy(root) => {
            let names: Vec<String> = root
                .path(&["spec", "rules"])
                .into_iter()
                .flat_map(|l| l.items())
                .filter(|r| r.path(&["validate", "cel"]).is_some())
                .filter_map(|r| r.str_at(&["name"]).map(str::to_string))
                .collect();
            return (!names.is_empty()).then_some((name, Family::ValidateCel, names));
        }
        _ => return None,
    };
    Some((name.clone(), family, vec![name]))
}

/// Registers a CEL policy's rules: one for an admission policy
/// (`<policy>/vap` or `<policy>/vpol`), one per `validate.cel` rule of a
/// Kyverno policy.
fn register_cel(
    policy: &str,
    family: Family,
    names: &[String],
    root: NodeRef,
    origin: &Origin,
    text: &str,
) -> Vec<(String, Option<&'static RuleMeta>)> {
    let annotations = annotations(root);
    let (kind, id_rule) = match family {
        Family::ValidatingAdmissionPolicy => ("ValidatingAdmissionPolicy", Some("vap")),
        Family::ValidatingPolicy => ("Kyverno ValidatingPolicy", Some("vpol")),
        Family::ValidateCel => ("Kyverno ClusterPolicy (`validate.cel`)", None),
    };
    let rules_node = root.path(&["spec", "rules"]);
    let validations = root.path(&["spec", "validations"]);
    names
        .iter()
        .map(|name| {
            let node = match id_rule {
                Some(_) => validations,
                None => rules_node
                    .into_iter()
                    .flat_map(|l| l.items())
                    .find(|r| r.str_at(&["name"]) == Some(name.as_str())),
            };
            let message = match id_rule {
                Some(_) => validations
                    .and_then(|l| l.items().next())
                    .and_then(|v| v.str_at(&["message"])),
                None => node.and_then(|n| n.str_at(&["validate", "message"])),
            };
            let d = Describe {
                policy,
                rule: id_rule.unwrap_or(name),
                kind,
                annotations: &annotations,
                message,
                span: node.map_or(root.span(), |n| n.span()),
                autogen: family != Family::ValidatingAdmissionPolicy,
            };
            (name.clone(), Some(meta::register(&d, origin, text)))
        })
        .collect()
}
