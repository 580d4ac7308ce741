//! A Kyverno `ClusterPolicy` or `Policy` document read into its rules, and
//! which rules apply to a resource document, including the rules Kyverno
//! auto-generates for pod controllers (`pkg/autogen`): a rule written for
//! Pods checks a Deployment's `spec.template` and a CronJob's
//! `spec.jobTemplate.spec.template`.

use super::filter::{names_kind, Block, Gen, Met, Resource};
use super::vars::Bad;
use super::{Logic, Pattern};
use crate::yaml::{NodeRef, Span};

/// The pod controllers Kyverno generates rules for.
pub const POD_CONTROLLERS: [&str; 7] = [
    "DaemonSet",
    "Deployment",
    "Job",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "CronJob",
];

const AUTOGEN_ANNOTATION: &str = "pod-policies.kyverno.io/autogen-controllers";

/// What a rule checks, read once.
#[derive(Debug, Clone)]
pub enum Check {
    Pattern(Pattern),
    AnyPattern(Vec<Pattern>),
    /// `context`, `preconditions`, `deny`, `foreach` or `{{ }}` variables.
    Logic(Box<Logic>),
    /// The rule cannot be read (a bad expression or operator): an error
    /// of the policy, at `at`.
    Invalid {
        at: Span,
        message: String,
    },
    /// Not decidable offline yet (preconditions, context, variables, deny,
    /// foreach, CEL, mutate, ...): why.
    Undecidable(String),
}

/// A rule, owned: a policy compiled once holds no reference to its text.
#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// `None` when the block could not be read (then `check` says why).
    pub matches: Option<Block>,
    pub exclude: Option<Block>,
    pub check: Check,
    pub message: Option<String>,
    /// The rule's extent in the policy file, and its `name` value's.
    pub span: Span,
    pub name_span: Option<Span>,
    /// Where `check` is undecidable: the node that makes it so (else the rule).
    pub why_at: Span,
    /// A generate rule or a JSON patch mutation: Kyverno generates no
    /// pod controller rules for such a policy.
    blocks_autogen: bool,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// The policy document's `kind` value, and its `metadata.name` value's extent.
    pub kind_span: Span,
    pub name_span: Option<Span>,
    /// `Some` for a namespaced `Policy` (its resources' namespace).
    pub namespace: Option<String>,
    /// `metadata.annotations` with string values, in order.
    pub annotations: Vec<(String, String)>,
    pub rules: Vec<Rule>,
    /// The controllers auto-generated rules are for (empty: none).
    pub autogen: Vec<String>,
}

/// Whether a rule applies to a resource, and where its pattern applies.
#[derive(Debug, Clone)]
pub enum Applies<'r, 't> {
    No(String),
    /// `at` is the resource root, or for an auto-generated rule the pod
    /// template (`None` when the resource has none: the wrapped pattern
    /// then fails on the missing field). `rule` is Kyverno's rule name
    /// (`autogen-<name>`, `autogen-cronjob-<name>`).
    Yes {
        at: Option<NodeRef<'r, 't>>,
        rule: String,
    },
    /// Depends on cluster or request state.
    Unknown(String),
}

const RULE_KEYS: [&str; 8] = [
    "name",
    "context",
    "preconditions",
    "reportProperties",
    "match",
    "exclude",
    "validate",
    "skipBackgroundRequests",
];
const VALIDATE_KEYS: [&str; 8] = [
    "message",
    "deny",
    "foreach",
    "pattern",
    "anyPattern",
    "failureAction",
    "allowExistingViolations",
    "failureActionOverrides",
];

/// Whether any key or scalar below `n` holds a `{{ }}` variable.
fn has_variable(n: NodeRef, budget: &mut usize) -> bool {
    if *budget == 0 {
        return true;
    }
    *budget -= 1;
    if let Some(s) = n.as_str() {
        return s.contains("{{");
    }
    n.items().any(|i| has_variable(i, budget))
        || n.entries()
            .any(|(k, v)| has_variable(k, budget) || has_variable(v, budget))
}

/// Why the rule is not decidable offline, if it is not.
fn undecidable(rule: NodeRef) -> Option<String> {
    for (k, _) in rule.entries() {
        let key = k.as_str().unwrap_or_default();
        if !RULE_KEYS.contains(&key) {
            return Some(format!("rule uses `{key}`"));
        }
    }
    let Some(validate) = rule.get("validate") else {
        return Some("not a validate rule".into());
    };
    for (k, _) in validate.entries() {
        let key = k.as_str().unwrap_or_default();
        if !VALIDATE_KEYS.contains(&key) {
            return Some(format!("validate uses `{key}`"));
        }
    }
    if ["pattern", "anyPattern", "deny", "foreach"]
        .iter()
        .all(|k| validate.get(k).is_none())
    {
        return Some("validate has no pattern, anyPattern, deny or foreach".into());
    }
    let mut budget = 100_000;
    let parts = ["match", "exclude"].map(|k| rule.get(k));
    if parts
        .into_iter()
        .flatten()
        .any(|n| has_variable(n, &mut budget))
    {
        return Some(if budget == 0 {
            "match too large to scan for `{{ }}` variables".into()
        } else {
            "match or exclude uses `{{ }}` variables".into()
        });
    }
    None
}

/// Whether the rule needs [`Logic`] rather than a fixed pattern.
fn needs_logic(rule: NodeRef, validate: NodeRef) -> bool {
    let mut budget = 100_000;
    ["context", "preconditions"]
        .iter()
        .any(|k| rule.get(k).is_some())
        || ["deny", "foreach"]
            .iter()
            .any(|k| validate.get(k).is_some())
        || [validate.get("pattern"), validate.get("anyPattern")]
            .into_iter()
            .flatten()
            .any(|n| has_variable(n, &mut budget))
}

fn read_check(rule: NodeRef) -> Check {
    if let Some(why) = undecidable(rule) {
        return Check::Undecidable(why);
    }
    let Some(validate) = rule.get("validate") else {
        return Check::Undecidable("not a validate rule".into());
    };
    if needs_logic(rule, validate) {
        return match Logic::read(rule) {
            Ok(l) => Check::Logic(Box::new(l)),
            Err(Bad::Undecidable(why)) => Check::Undecidable(why),
            Err(Bad::Invalid { at, message }) => Check::Invalid { at, message },
        };
    }
    let read = |p| Pattern::read(p).map_err(|why| format!("the pattern cannot be used: {why}"));
    let check = match (validate.get("pattern"), validate.get("anyPattern")) {
        (Some(p), _) => read(p).map(Check::Pattern),
        (None, Some(l)) if l.is_seq() => l
            .items()
            .map(read)
            .collect::<Result<Vec<_>, _>>()
            .map(Check::AnyPattern),
        _ => Err("`anyPattern` is not a list".into()),
    };
    check.unwrap_or_else(Check::Undecidable)
}

/// The node an undecidable rule's reason names, where one key is to blame.
fn why_at(rule: NodeRef, check: &Check) -> Span {
    let why = match check {
        Check::Undecidable(why) => why,
        Check::Invalid { at, .. } => return *at,
        _ => return rule.span(),
    };
    let key = why.split('`').nth(1).unwrap_or_default();
    let validate = rule.get("validate");
    [Some(rule), validate]
        .into_iter()
        .flatten()
        .flat_map(|m| m.entries())
        .find(|(k, _)| !key.is_empty() && k.as_str() == Some(key))
        .map(|(k, _)| k.span())
        .unwrap_or_else(|| rule.get("name").map_or(rule.span(), |n| n.span()))
}

/// Kyverno's `CanAutoGen` for one rule: generate and JSON patch mutations.
fn blocks_autogen(rule: NodeRef) -> bool {
    rule.get("generate").is_some()
        || rule.path(&["mutate", "patchesJson6902"]).is_some()
        || rule
            .path(&["mutate", "foreach"])
            .is_some_and(|l| l.items().any(|f| f.get("patchesJson6902").is_some()))
}

fn read_rule(n: NodeRef) -> Result<Rule, String> {
    if !n.is_map() {
        return Err("a rule is not a map".into());
    }
    let name = n.str_at(&["name"]).unwrap_or_default().to_string();
    let mut check = read_check(n);
    let mut block = |key: &str| match n.get(key) {
        None => None,
        Some(b) => match Block::read(b) {
            Ok(b) => Some(b),
            Err(why) => {
                if !matches!(check, Check::Undecidable(_) | Check::Invalid { .. }) {
                    check = Check::Undecidable(format!("`{key}`: {why}"));
                }
                None
            }
        },
    };
    let matches = block("match");
    let exclude = block("exclude");
    if matches.is_none() && !matches!(check, Check::Undecidable(_) | Check::Invalid { .. }) {
        check = Check::Undecidable("rule has no `match`".into());
    }
    Ok(Rule {
        name,
        matches,
        exclude,
        why_at: why_at(n, &check),
        check,
        message: n.str_at(&["validate", "message"]).map(str::to_string),
        span: n.span(),
        name_span: n.get("name").map(|v| v.span()),
        blocks_autogen: blocks_autogen(n),
    })
}

impl Policy {
    /// Whether a document is a Kyverno policy (by `apiVersion` and `kind`).
    pub fn is_policy(doc: NodeRef) -> bool {
        matches!(doc.str_at(&["kind"]), Some("ClusterPolicy" | "Policy"))
            && matches!(
                doc.str_at(&["apiVersion"]),
                Some("kyverno.io/v1" | "kyverno.io/v2beta1")
            )
    }

    /// Reads a policy document; `Err` says why it is not one we can read.
    pub fn read(doc: NodeRef) -> Result<Policy, String> {
        if !doc.is_map() {
            return Err("the policy is not a map".into());
        }
        let kind = doc.str_at(&["kind"]).unwrap_or_default();
        let api = doc.str_at(&["apiVersion"]).unwrap_or_default();
        if !matches!(kind, "ClusterPolicy" | "Policy")
            || !matches!(api, "kyverno.io/v1" | "kyverno.io/v2beta1")
        {
            return Err(format!("not a Kyverno policy ({api} {kind})"));
        }
        let rules_node = doc.path(&["spec", "rules"]);
        let Some(rules_node) = rules_node.filter(|r| r.is_seq()) else {
            return Err("`spec.rules` is not a list".into());
        };
        let rules = rules_node
            .items()
            .map(read_rule)
            .collect::<Result<Vec<_>, _>>()?;
        let namespace = (kind == "Policy").then(|| {
            doc.str_at(&["metadata", "namespace"])
                .unwrap_or("default")
                .to_string()
        });
        let mut policy = Policy {
            kind_span: doc.get("kind").map_or(doc.span(), |k| k.span()),
            name_span: doc.path(&["metadata", "name"]).map(|n| n.span()),
            name: doc
                .str_at(&["metadata", "name"])
                .unwrap_or_default()
                .to_string(),
            namespace,
            annotations: annotations(doc),
            rules,
            autogen: Vec::new(),
        };
        let annotation = doc.str_at(&["metadata", "annotations", AUTOGEN_ANNOTATION]);
        policy.autogen = policy.autogen_controllers(annotation);
        Ok(policy)
    }

    /// Kyverno's `CanAutoGen` and the annotation (`computeRules`).
    fn autogen_controllers(&self, annotation: Option<&str>) -> Vec<String> {
        let mut needed = false;
        for rule in &self.rules {
            if rule.blocks_autogen {
                return Vec::new();
            }
            let blocks = [rule.matches.as_ref(), rule.exclude.as_ref()];
            for f in blocks.into_iter().flatten().flat_map(Block::filters) {
                if f.name.is_some()
                    || !f.names.is_empty()
                    || f.selector.is_some()
                    || !f.annotations.is_empty()
                    || (f.kinds.len() > 1 && names_kind(&f.kinds, "Pod"))
                {
                    return Vec::new();
                }
                needed |= f
                    .kinds
                    .iter()
                    .any(|k| k == "Pod" || POD_CONTROLLERS.contains(&k.as_str()));
            }
        }
        if !needed {
            return Vec::new();
        }
        match annotation {
            None => POD_CONTROLLERS.iter().map(|s| s.to_string()).collect(),
            Some(a) => a.split(',').map(str::to_string).collect(),
        }
    }

    /// Whether `rule` (one of this policy's) applies to the resource `doc`,
    /// directly or through its auto-generated rule for `doc`'s kind. A
    /// namespaced resource that names no namespace is in `default`, as
    /// Kyverno's CLI reads it.
    pub fn applies<'r, 't>(&self, rule: &Rule, doc: NodeRef<'r, 't>) -> Applies<'r, 't> {
        self.applies_in(rule, doc, "default")
    }

    /// `applies`, a namespaced resource that names no namespace being in
    /// `namespace` (the namespace it is deployed to).
    pub fn applies_in<'r, 't>(
        &self,
        rule: &Rule,
        doc: NodeRef<'r, 't>,
        namespace: &str,
    ) -> Applies<'r, 't> {
        let mut r = Resource::read(doc);
        r.default_namespace(namespace);
        self.applies_to(rule, doc, &r)
    }

    /// `applies_in` with the resource already read (a run reads it once
    /// for every rule of every policy).
    pub fn applies_to<'r, 't>(
        &self,
        rule: &Rule,
        doc: NodeRef<'r, 't>,
        r: &Resource,
    ) -> Applies<'r, 't> {
        if let Some(ns) = &self.namespace {
            if *ns != r.namespace {
                return Applies::No("policy and resource namespaces differ".into());
            }
        }
        let Some(matches) = &rule.matches else {
            return Applies::Unknown("the rule's match block could not be read".into());
        };
        let direct = rule_meets(matches, rule.exclude.as_ref(), r, Gen::Direct);
        let reason = match direct {
            Met::Yes => {
                return Applies::Yes {
                    at: Some(doc),
                    rule: rule.name.clone(),
                }
            }
            Met::Unknown(why) => return Applies::Unknown(why),
            Met::No(why) => why,
        };
        if !self.autogen.contains(&r.kind) || rule.name.starts_with("autogen-") {
            return Applies::No(reason);
        }
        // Kyverno's `generateRuleForControllers`: the match names Pod, and
        // an exclude naming kinds names Pod too.
        let exclude_kinds: Vec<String> = rule
            .exclude
            .iter()
            .flat_map(|b| b.kinds().map(str::to_string))
            .collect();
        let match_kinds: Vec<String> = matches.kinds().map(str::to_string).collect();
        if !names_kind(&match_kinds, "Pod")
            || (!exclude_kinds.is_empty() && !names_kind(&exclude_kinds, "Pod"))
        {
            return Applies::No(reason);
        }
        let (gen, path, name): (Gen, &[&str], String) = if r.kind == "CronJob" {
            let path: &[&str] = &["spec", "jobTemplate", "spec", "template"];
            (Gen::CronJob, path, format!("autogen-cronjob-{}", rule.name))
        } else {
            let path: &[&str] = &["spec", "template"];
            (
                Gen::Controller(&r.kind),
                path,
                format!("autogen-{}", rule.name),
            )
        };
        match rule_meets(matches, rule.exclude.as_ref(), r, gen) {
            Met::Yes => Applies::Yes {
                at: doc.path(path),
                rule: name,
            },
            Met::Unknown(why) => Applies::Unknown(why),
            Met::No(why) => Applies::No(why),
        }
    }

    /// The rule Kyverno names `name`, auto-generated names included.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        let base = generated_from(name);
        self.rules
            .iter()
            .find(|r| r.name == name)
            .or_else(|| self.rules.iter().find(|r| Some(r.name.as_str()) == base))
    }
}

/// A policy document's `metadata.annotations` with string values, in order.
pub(crate) fn annotations(doc: NodeRef) -> Vec<(String, String)> {
    doc.path(&["metadata", "annotations"])
        .into_iter()
        .flat_map(|m| m.entries())
        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
        .collect()
}

/// The rule an auto-generated rule's name (`autogen-<rule>`,
/// `autogen-cronjob-<rule>`) was made from.
pub(crate) fn generated_from(name: &str) -> Option<&str> {
    name.strip_prefix("autogen-cronjob-")
        .or_else(|| name.strip_prefix("autogen-"))
}

/// `match`, then `exclude` if it matched.
pub(crate) fn rule_meets(matches: &Block, exclude: Option<&Block>, r: &Resource, gen: Gen) -> Met {
    match matches.matches(r, gen) {
        Met::Yes => {}
        other => return other,
    }
    match exclude.map(|e| e.excludes(r, gen)) {
        Some(Met::Yes) => Met::No("excluded".into()),
        Some(Met::Unknown(why)) => Met::Unknown(why),
        _ => Met::Yes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits, ParsedStream};

    fn parse(t: &str) -> ParsedStream<'_> {
        parse_stream(t, &Limits::default())
    }

    const POLICY: &str = r#"apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: p
spec:
  rules:
    - name: tag
      match:
        any:
          - resources:
              kinds: [Pod]
      exclude:
        any:
          - resources:
              namespaces: [kube-system]
      validate:
        message: no latest
        pattern:
          spec:
            containers:
              - image: "!*:latest"
"#;

    fn applies_to(policy: &str, resource: &str) -> (String, Option<String>) {
        let (ps, rs) = (parse(policy), parse(resource));
        let p = Policy::read(ps.docs[0].root().unwrap()).unwrap();
        let doc = rs.docs[0].root().unwrap();
        match p.applies(&p.rules[0], doc) {
            Applies::Yes { at, rule } => {
                let at = at.map(|n| {
                    if n.key() == doc.key() {
                        "root".to_string()
                    } else {
                        n.str_at(&["metadata", "name"]).unwrap_or("?").to_string()
                    }
                });
                (rule, at)
            }
            Applies::No(_) => ("no".into(), None),
            Applies::Unknown(_) => ("unknown".into(), None),
        }
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  template:\n    metadata: {name: tpl}\n    spec: {containers: [{image: x}]}\n";
    const CRON: &str = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {name: jtpl}\n";
    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\n";

    #[test]
    fn reads_rules() {
        let s = parse(POLICY);
        let p = Policy::read(s.docs[0].root().unwrap()).unwrap();
        assert_eq!(p.name, "p");
        assert_eq!(p.namespace, None);
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.rules[0].name, "tag");
        assert_eq!(p.rules[0].message.as_deref(), Some("no latest"));
        assert!(matches!(p.rules[0].check, Check::Pattern(_)));
        assert!(p.rules[0].exclude.is_some());
        assert_eq!(p.autogen.len(), 7);
        assert!(p.rule("autogen-cronjob-tag").is_some());
        assert!(p.rule("autogen-tag").is_some());
        assert!(p.rule("other").is_none());
    }

    #[test]
    fn direct_and_autogen() {
        assert_eq!(applies_to(POLICY, POD), ("tag".into(), Some("root".into())));
        assert_eq!(
            applies_to(POLICY, DEPLOY),
            ("autogen-tag".into(), Some("tpl".into()))
        );
        assert_eq!(
            applies_to(POLICY, CRON),
            ("autogen-cronjob-tag".into(), Some("jtpl".into()))
        );
        // No template: the wrapped pattern meets a missing field.
        let bare = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: s}\n";
        assert_eq!(applies_to(POLICY, bare), ("autogen-tag".into(), None));
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
        assert_eq!(applies_to(POLICY, svc).0, "no");
        let sys = POD.replace("shop", "kube-system");
        assert_eq!(applies_to(POLICY, &sys).0, "no");
        let sys = DEPLOY.replace("shop", "kube-system");
        assert_eq!(applies_to(POLICY, &sys).0, "no");
    }

    #[test]
    fn autogen_annotation() {
        let with = |a: &str| {
            POLICY.replace(
                "  name: p\n",
                &format!("  name: p\n  annotations:\n    {AUTOGEN_ANNOTATION}: {a}\n"),
            )
        };
        assert_eq!(applies_to(&with("none"), DEPLOY).0, "no");
        assert_eq!(applies_to(&with("Deployment,Job"), DEPLOY).0, "autogen-tag");
        assert_eq!(applies_to(&with("Deployment,Job"), CRON).0, "no");
        assert_eq!(applies_to(&with("CronJob"), CRON).0, "autogen-cronjob-tag");
    }

    #[test]
    fn autogen_off_for_names_selectors_and_mixed_kinds() {
        for (from, to) in [
            ("kinds: [Pod]", "kinds: [Pod]\n              names: ['*']"),
            ("kinds: [Pod]", "kinds: [Pod]\n              selector: {}"),
            ("kinds: [Pod]", "kinds: [Pod, Service]"),
            (
                "namespaces: [kube-system]",
                "namespaces: [kube-system]\n              annotations: {a: b}",
            ),
        ] {
            let p = POLICY.replace(from, to);
            assert_eq!(applies_to(&p, DEPLOY).0, "no", "{to}");
            assert_ne!(applies_to(&p, POD).0, "no", "{to}");
        }
        // Kinds other than Pod and its controllers need no auto-gen.
        let svc = POLICY.replace("kinds: [Pod]", "kinds: [Service]");
        let s = parse(&svc);
        assert!(Policy::read(s.docs[0].root().unwrap())
            .unwrap()
            .autogen
            .is_empty());
        // An exclude naming kinds but not Pod keeps the rule off controllers.
        let ex = POLICY.replace("namespaces: [kube-system]", "kinds: [Service]");
        assert_eq!(applies_to(&ex, DEPLOY).0, "no");
    }

    #[test]
    fn namespaced_policy() {
        let p = POLICY.replace("kind: ClusterPolicy", "kind: Policy");
        let p = p.replace("  name: p\n", "  name: p\n  namespace: shop\n");
        assert_eq!(applies_to(&p, POD).0, "tag");
        assert_eq!(applies_to(&p, &POD.replace("shop", "dev")).0, "no");
        let s = parse(&p);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        assert_eq!(read.namespace.as_deref(), Some("shop"));
    }

    #[test]
    fn resources_without_a_namespace() {
        let p = POLICY.replace("namespaces: [kube-system]", "namespaces: [default]");
        let bare = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n";
        assert_eq!(applies_to(&p, bare).0, "no");
        let s = parse(&p);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        let r = parse(bare);
        let doc = r.docs[0].root().unwrap();
        assert!(matches!(
            read.applies_in(&read.rules[0], doc, "shop"),
            Applies::Yes { .. }
        ));
        // Cluster-scoped kinds get no namespace.
        let ns = POLICY
            .replace("kinds: [Pod]", "kinds: [Namespace, ClusterRole]")
            .replace("namespaces: [kube-system]", "namespaces: ['?*']");
        let cr =
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: c}\n";
        assert_eq!(applies_to(&ns, cr).0, "tag");
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
        let cms = ns.replace("Namespace, ClusterRole", "ConfigMap");
        assert_eq!(applies_to(&cms, cm).0, "no");
    }

    #[test]
    fn cluster_state_is_unknown() {
        let p = POLICY.replace(
            "kinds: [Pod]",
            "kinds: [Pod]\n            subjects: [{kind: User, name: x}]",
        );
        assert_eq!(applies_to(&p, POD).0, "unknown");
    }

    #[test]
    fn undecidable_rules_say_why() {
        for (from, to, why) in [
            (
                "      validate:",
                "      celPreconditions: []\n      validate:",
                "celPreconditions",
            ),
            (
                "      validate:",
                "      context: [{name: c, configMap: {name: x}}]\n      validate:",
                "configMap",
            ),
            (
                "!*:latest",
                "'{{ request.userInfo.username }}'",
                "request.userInfo",
            ),
            ("kinds: [Pod]", "kinds: ['{{ x }}']", "match"),
            (
                "      validate:",
                "      mutate: {}\n      validate:",
                "mutate",
            ),
        ] {
            let p = POLICY.replace(from, to);
            let s = parse(&p);
            let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
            match &read.rules[0].check {
                Check::Undecidable(reason) => assert!(reason.contains(why), "{reason}"),
                other => panic!("{why}: {other:?}"),
            }
        }
        // Preconditions, context variables, deny, foreach and variables
        // in patterns are decided.
        for (from, to, family) in [
            (
                "      validate:",
                "      preconditions: {all: [{key: a, operator: Equals, value: a}]}\n      validate:",
                "pattern",
            ),
            (
                "      validate:",
                "      context: [{name: c, variable: {value: 1}}]\n      validate:",
                "pattern",
            ),
            ("        pattern:", "        deny: {}\n        pattern:", "pattern"),
            ("!*:latest", "'{{ request.object.x }}'", "pattern"),
        ] {
            let p = POLICY.replace(from, to);
            let s = parse(&p);
            let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
            match &read.rules[0].check {
                Check::Logic(l) => assert_eq!(l.family(), family, "{to}"),
                other => panic!("{to}: {other:?}"),
            }
        }
        // A bad expression is an error of the policy, where it is written.
        let p = POLICY.replace("!*:latest", "'{{ nope(request.object) }}'");
        let s = parse(&p);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        match &read.rules[0].check {
            Check::Invalid { at, message } => {
                assert!(message.contains("unknown function `nope()`"), "{message}");
                assert_eq!(&p[at.range()], "\"'{{ nope(request.object) }}'\"");
            }
            other => panic!("{other:?}"),
        }
        // A variable in the message does not change the verdict.
        let p = POLICY.replace("no latest", "'{{ request.object.metadata.name }}'");
        let s = parse(&p);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        assert!(matches!(read.rules[0].check, Check::Pattern(_)));
    }

    #[test]
    fn bad_documents_never_panic() {
        for t in [
            "[a]",
            "apiVersion: v1\nkind: ConfigMap\n",
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec: {rules: x}\n",
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec: {}\n",
            "apiVersion: kyverno.io/v1\nkind: ClusterPolicy\nspec: {rules: [x]}\n",
        ] {
            let s = parse(t);
            assert!(Policy::read(s.docs[0].root().unwrap()).is_err(), "{t}");
        }
        // A rule whose match cannot be read is undecidable, and applies to
        // nothing it could guess.
        let p = POLICY.replace(
            "          - resources:\n              kinds: [Pod]",
            "          - 3",
        );
        let s = parse(&p);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        assert!(matches!(read.rules[0].check, Check::Undecidable(_)));
        assert_eq!(applies_to(&p, POD).0, "unknown");
        let anyp = POLICY.replace("pattern:", "anyPattern:");
        let s = parse(&anyp);
        let read = Policy::read(s.docs[0].root().unwrap()).unwrap();
        assert!(matches!(read.rules[0].check, Check::Undecidable(_)));
    }
}
