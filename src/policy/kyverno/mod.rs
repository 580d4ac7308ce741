//! Kyverno's `validate` rules (pattern, anyPattern, deny, foreach), offline.
//!
//! `pattern` walks the resource and the pattern together (maps, lists,
//! anchors); `anchor` reads anchored keys and expands wildcard label and
//! annotation keys; `scalar` decides one value against one scalar pattern
//! (wildcards, operators, ranges, `|` and `&`, quantities, durations);
//! `value` holds the pattern as an owned tree and types resource nodes.
//! The semantics are Kyverno's (`pkg/engine/validate`), including where a
//! mismatch makes the rule skip rather than fail. `policy` reads a policy
//! document's rules and decides which apply to a resource (auto-generated
//! pod controller rules included); `filter` holds its `match`/`exclude`.
//!
//! Rules beyond a fixed pattern (`context` variables, `preconditions`,
//! `validate.deny`, `validate.foreach`, `{{ }}` variables) are [`Logic`]
//! (`logic`): `jmespath` evaluates Kyverno's JMESPath subset and functions
//! over resource nodes (so a result knows where it is written); `vars`
//! reads policy values into templates and builds the context Kyverno's CLI
//! gives a resource; `condition` decides `any`/`all` conditions. What needs
//! the cluster, a registry or the admission request is undecidable, never
//! guessed; an expression that does not compile is an error of the policy.

mod anchor;
mod condition;
mod filter;
pub mod jmespath;
mod logic;
mod pattern;
mod policy;
mod scalar;
mod value;
pub mod vars;

pub(crate) use filter::{is_cluster_scoped, strings};
pub use filter::{names_kind, Block, Filter, Gen, Met, Resource, Selector, SelectorOp};
pub use logic::Logic;
pub(crate) use policy::{annotations, generated_from, rule_meets};
pub use policy::{Applies, Check, Policy, Rule, POD_CONTROLLERS};
// A resource node as the JSON Kyverno reads: `policy::cel` types its values so.
pub(crate) use scalar::Leaf;
pub(crate) use value::leaf;

use crate::yaml::{NodeRef, Span};
use pattern::{Here, Walk, Why};

/// What a rule's pattern says of a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// The resource does not match; `at` is the most specific resource node
    /// (for a missing field, the key of the map it is missing from).
    Fail {
        at: Span,
        message: String,
    },
    /// A conditional or global anchor did not match: the rule does not apply.
    Skip {
        reason: String,
    },
    /// Kyverno reports an error rather than a failure (a mismatch it has no
    /// path for), or the pattern or match was too large.
    Error {
        message: String,
    },
}

/// A `validate.pattern` (or one of `anyPattern`), read once from its policy
/// into an owned tree: a compiled policy holds no reference to its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern(value::Pat);

impl Pattern {
    /// Reads a pattern node, or says why it cannot be used (too large).
    pub fn read(node: NodeRef) -> Result<Pattern, String> {
        value::read_pattern(node).map(Pattern)
    }
}

/// One `validate.pattern` against a resource document's root.
pub fn validate_pattern(resource: NodeRef, pattern: &Pattern) -> Verdict {
    match match_pattern(resource, pattern) {
        Ok(()) => Verdict::Pass,
        Err(Outcome::Skip(reason)) => Verdict::Skip { reason },
        Err(Outcome::Fail { at, message, path }) if !path.is_empty() => {
            Verdict::Fail { at, message }
        }
        Err(Outcome::Fail { message, .. } | Outcome::Error(message)) => Verdict::Error { message },
    }
}

/// `validate.anyPattern`: passes if one pattern passes; skips if none
/// fails and some skipped; fails otherwise (at the first failure).
pub fn validate_any_pattern(resource: NodeRef, patterns: &[Pattern]) -> Verdict {
    let mut skips = Vec::new();
    let mut fails: Vec<(Span, String)> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match match_pattern(resource, p) {
            Ok(()) => return Verdict::Pass,
            Err(Outcome::Skip(reason)) => skips.push(format!("anyPattern[{i}] skipped: {reason}")),
            Err(Outcome::Fail { at, message, .. }) => {
                fails.push((at, format!("anyPattern[{i}] failed: {message}")))
            }
            Err(Outcome::Error(message)) => return Verdict::Error { message },
        }
    }
    if let Some((at, _)) = fails.first() {
        let message = fails
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        return Verdict::Fail { at: *at, message };
    }
    if !skips.is_empty() {
        return Verdict::Skip {
            reason: skips.join("; "),
        };
    }
    Verdict::Pass
}

enum Outcome {
    Skip(String),
    /// `path` is Kyverno's path for the failure (empty: Kyverno errors).
    Fail {
        at: Span,
        message: String,
        path: String,
    },
    Error(String),
}

/// Kyverno's `MatchPattern`.
fn match_pattern(resource: NodeRef, pattern: &Pattern) -> Result<(), Outcome> {
    let pat = &pattern.0;
    let mut walk = Walk::new();
    let here = Here {
        node: Some(resource),
        blame: resource.span(),
    };
    let Err(e) = walk.element(here, pat, &pattern::Path::root("/")) else {
        return Ok(());
    };
    if walk.exhausted {
        return Err(Outcome::Error(e.message));
    }
    if e.why.is_skip() {
        return Err(Outcome::Skip(e.message));
    }
    // A mismatch while a condition or existence anchor's key was never found
    // is an error in Kyverno, not a failure.
    let missing = walk.anchors.iter().any(|(k, seen)| {
        !seen && anchor::parse(k).is_some_and(|a| a.kind != anchor::AnchorKind::Negation)
    });
    let path = if e.why != Why::Negation && missing {
        String::new()
    } else {
        e.path
    };
    Err(Outcome::Fail {
        at: e.at,
        message: e.message,
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn verdict(pattern: &str, resource: &str) -> Verdict {
        let (ps, rs) = (
            parse_stream(pattern, &Limits::default()),
            parse_stream(resource, &Limits::default()),
        );
        match Pattern::read(ps.docs[0].root().unwrap()) {
            Ok(p) => validate_pattern(rs.docs[0].root().unwrap(), &p),
            Err(message) => Verdict::Error { message },
        }
    }

    fn status(v: &Verdict) -> &'static str {
        match v {
            Verdict::Pass => "pass",
            Verdict::Fail { .. } | Verdict::Error { .. } => "fail",
            Verdict::Skip { .. } => "skip",
        }
    }

    /// Kyverno's `TestConditionalAnchorWithMultiplePatterns` and
    /// `Test_global_anchor`. Kyverno's test asserts nothing for its "fail"
    /// cases; tests 23, 25, 27, 30 and 35 are global anchor mismatches,
    /// which its code (and its own `check_global_anchor_skip`) skips.
    #[test]
    fn kyverno_anchor_cases() {
        for (name, pattern, resource, want) in [
            (
                "test-1",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-2",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-3",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-4",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "imagePullPolicy": "Never"}]}}"#,
                "pass",
            ),
            (
                "test-5",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Never"}]}}"#,
                "pass",
            ),
            (
                "test-6",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Never"}]}}"#,
                "skip",
            ),
            (
                "test-7",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "imagePullPolicy": "Always"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-8",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-9",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Always"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-10",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "imagePullPolicy": "Never"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "pass",
            ),
            (
                "test-11",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Never"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "pass",
            ),
            (
                "test-12",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Never"},{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-13",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-14",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-15",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-16",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx", "imagePullPolicy": "Never"}]}}"#,
                "pass",
            ),
            (
                "test-17",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Never"}]}}"#,
                "pass",
            ),
            (
                "test-18",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.28", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:1.2.3", "imagePullPolicy": "Never"}]}}"#,
                "skip",
            ),
            (
                "test-19",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-20",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:latest", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-21",
                r#"{"spec": {"containers": [{"name": "*","(image)": "*:latest | !*:*","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "busybox","image": "busybox:1.2.3", "imagePullPolicy": "Always"},{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "IfNotPresent"}]}}"#,
                "pass",
            ),
            (
                "test-22",
                r#"{"spec": {"containers": [{"name": "*","(image)": "!*:* | *:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-23",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-24",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-25",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "nginx", "env": [{"<(name)": "foo", "<(value)": "bar" }],"imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "env": [{"name": "foo1", "value": "bar" }],"imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-26",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "nginx", "env": [{"<(name)": "foo", "<(value)": "bar" }],"imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "env": [{"name": "foo", "value": "bar" }],"imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-27",
                r#"{"spec": {"containers": [{"name": "*", "env": [{"<(name)": "foo", "<(value)": "bar" }],"imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "env": [{"name": "foo1", "value": "bar" }],"imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "test-28",
                r#"{"spec": {"containers": [{"name": "*", "env": [{"<(name)": "foo", "<(value)": "bar" }],"imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "env": [{"name": "foo", "value": "bar" }],"imagePullPolicy": "IfNotpresent"}]}}"#,
                "pass",
            ),
            (
                "test-29",
                r#"{"spec": {"containers": [{"name": "*", "env": [{"<(name)": "foo", "<(value)": "bar" }],"imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx", "env": [{"name": "foo", "value": "bar" }],"imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "test-30",
                r#"{"metadata": {"<(name)": "nginx"},"spec": {"imagePullSecrets": [{"name": "regcred"}]}}"#,
                r#"{"metadata": {"name": "somename"},"spec": {"containers": [{"name": "nginx","image": "nginx:latest"}], "imagePullSecrets": [{"name": "cred"}]}}"#,
                "skip",
            ),
            (
                "test-31",
                r#"{"metadata": {"<(name)": "nginx"},"spec": {"imagePullSecrets": [{"name": "regcred"}]}}"#,
                r#"{"metadata": {"name": "nginx"},"spec": {"containers": [{"name": "nginx","image": "nginx:latest"}], "imagePullSecrets": [{"name": "cred"}]}}"#,
                "fail",
            ),
            (
                "test-32",
                r#"{"metadata": {"labels": {"<(foo)": "bar"}},"spec": {"containers": [{"name": "nginx","image": "!*:latest"}]}}"#,
                r#"{"metadata": {"name": "nginx","labels": {"foo": "bar"}},"spec": {"containers": [{"name": "nginx","image": "nginx"}]}}"#,
                "pass",
            ),
            (
                "test-33",
                r#"{"metadata": {"labels": {"<(foo)": "bar"}},"spec": {"containers": [{"name": "nginx","image": "!*:latest"}]}}"#,
                r#"{"metadata": {"name": "nginx","labels": {"foo": "bar"}},"spec": {"containers": [{"name": "nginx","image": "nginx:latest"}]}}"#,
                "fail",
            ),
            (
                "test-34",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "nginx"}],"imagePullSecrets": [{"name": "my-registry-secret"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx"}], "imagePullSecrets": [{"name": "cred"}]}}"#,
                "fail",
            ),
            (
                "test-35",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "nginx"}],"imagePullSecrets": [{"name": "my-registry-secret"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "somepod"}], "imagePullSecrets": [{"name": "cred"}]}}"#,
                "skip",
            ),
            (
                "test-36",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "nginx"}],"imagePullSecrets": [{"name": "my-registry-secret"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx"}], "imagePullSecrets": [{"name": "my-registry-secret"}]}}"#,
                "pass",
            ),
            (
                "test-37",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}]}}"#,
                "skip",
            ),
            (
                "test-38",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}],"volumes": [{"hostPath": {"path": "/var/run/docker.sock"}}]}}"#,
                "fail",
            ),
            (
                "test-39",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}],"volumes": [{"hostPath": {"path": "/randome/value"}}]}}"#,
                "skip",
            ),
            (
                "test-40",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx","allow-docker": "true"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}],"volumes": [{"hostPath": {"path": "/var/run/docker.sock"}}]}}"#,
                "pass",
            ),
            (
                "test-41",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx","allow-docker": "false"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}],"volumes": [{"hostPath": {"path": "/var/run/docker.sock"}}]}}"#,
                "fail",
            ),
            (
                "test-42",
                r#"{"metadata": {"labels": {"allow-docker": "true"}},"(spec)": {"(volumes)": [{"(hostPath)": {"path": "/var/run/docker.sock"}}]}}"#,
                r#"{"metadata": {"labels": {"run": "nginx"},"name": "nginx"},"spec": {"containers": [{"image": "nginx","name": "nginx"}],"volumes": [{"hostPath": {"path": "/var/run/docker.sock"}}]}}"#,
                "fail",
            ),
            (
                "test-43",
                r#"{"spec": {"=(volumes)": [{"(name)": "!cache-volume","=(emptyDir)": {"sizeLimit": "?*"}}]}}"#,
                r#"{"spec": {"volumes": [{"name": "cache-volume","emptyDir": {}}]}}"#,
                "skip",
            ),
            (
                "test-44",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"initContainers": [{"name": "nginx", "securityContext": {"runAsUser": 1000}}], "containers": [{"name": "nginx", "image": "nginx"}]}}"#,
                "pass",
            ),
            (
                "test-45",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"initContainers": [{"name": "nginx", "securityContext": {"runAsUser": 0}}], "containers": [{"name": "nginx", "image": "nginx"}]}}"#,
                "fail",
            ),
            (
                "test-46",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"initContainers": [{"name": "istio-init", "securityContext": {"runAsUser": 0}}], "containers": [{"securityContext": {"runAsUser": 1000}}]}}"#,
                "pass",
            ),
            (
                "test-47",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"initContainers": [{"name": "istio-init", "securityContext": {"runAsUser": 1000}}], "containers": [{"securityContext": {"runAsUser": 0}}]}}"#,
                "fail",
            ),
            (
                "test-48",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"containers": [{"securityContext": {"runAsUser": 1000}}]}}"#,
                "pass",
            ),
            (
                "test-49",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"containers": [{"securityContext": {"runAsUser": 0}}]}}"#,
                "fail",
            ),
            (
                "test-50",
                r#"{"spec": {"=(initContainers)": [{"(name)": "!istio-init", "=(securityContext)": {"=(runAsUser)": ">0"}}], "=(containers)": [{"=(securityContext)": {"=(runAsUser)": ">0"}}]}}"#,
                r#"{"spec": {"initContainers": [{"name": "istio-init", "securityContext": {"runAsUser": 0}}], "containers": [{"name": "nginx", "image": "nginx"}]}}"#,
                "pass",
            ),
            (
                "test-51",
                r#"{"spec": {"=(volumes)": [{"(name)": "!credential-socket&!istio-data&!istio-envoy&!workload-certs&!workload-socket","=(emptyDir)": {"sizeLimit": "?*"}}]}}"#,
                r#"{"spec": {"volumes": [{"name": "credential-socket","emptyDir": {"sizeLimit": "1Gi"}}]}}"#,
                "skip",
            ),
            (
                "test-52",
                r#"{"spec": {"=(volumes)": [{"(name)": "!credential-socket&!istio-data&!istio-envoy&!workload-certs&!workload-socket","=(emptyDir)": {"sizeLimit": "?*"}}]}}"#,
                r#"{"spec": {"volumes": [{"name": "cache-volume","emptyDir": {"sizeLimit": "1Gi"}}]}}"#,
                "pass",
            ),
            (
                "test-53",
                r#"{"spec": {"=(volumes)": [{"(name)": "!credential-socket&!istio-data&!istio-envoy&!workload-certs&!workload-socket","=(emptyDir)": {"sizeLimit": "?*"}}]}}"#,
                r#"{"spec": {"volumes": [{"name": "cache-volume"}]}}"#,
                "pass",
            ),
            (
                "test-54",
                r#"{"spec": {"=(volumes)": [{"(name)": "!credential-socket&!istio-data&!istio-envoy&!workload-certs&!workload-socket","=(emptyDir)": {"sizeLimit": "?*"}}]}}"#,
                r#"{"spec": {"volumes": [{"name": "cache-volume","emptyDir": {}}]}}"#,
                "fail",
            ),
            (
                "check_global_anchor_skip",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:v1", "imagePullPolicy": "Always"}]}}"#,
                "skip",
            ),
            (
                "check_global_anchor_fail",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "Always"}]}}"#,
                "fail",
            ),
            (
                "check_global_anchor_pass",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "IfNotPresent"}]}}"#,
                "pass",
            ),
            (
                "check_global_anchor_mixed",
                r#"{"spec": {"containers": [{"name": "*","<(image)": "*:latest","imagePullPolicy": "!Always"}]}}"#,
                r#"{"spec": {"containers": [{"name": "nginx","image": "nginx:latest", "imagePullPolicy": "IfNotPresent"},{"name": "nginx","image": "nginx:v2", "imagePullPolicy": "IfNotPresent"}]}}"#,
                "pass",
            ),
        ] {
            let v = verdict(pattern, resource);
            assert_eq!(status(&v), want, "{name}: {v:?}");
        }
    }

    #[test]
    fn any_pattern() {
        let rs = parse_stream("spec: {a: 1, b: x}", &Limits::default());
        let r = rs.docs[0].root().unwrap();
        let pats = parse_stream(
            "- spec: {a: 2}\n- spec: {b: x}\n- spec: {(c): 1}\n",
            &Limits::default(),
        );
        let list: Vec<Pattern> = pats.docs[0]
            .root()
            .unwrap()
            .items()
            .map(|p| Pattern::read(p).unwrap())
            .collect();
        assert_eq!(validate_any_pattern(r, &list), Verdict::Pass);
        assert!(matches!(
            validate_any_pattern(r, &list[..1]),
            Verdict::Fail { .. }
        ));
        assert!(matches!(
            validate_any_pattern(r, &list[2..]),
            Verdict::Skip { .. }
        ));
        // A failure outweighs a skip.
        let fail_skip = [list[0].clone(), list[2].clone()];
        assert!(matches!(
            validate_any_pattern(r, &fail_skip),
            Verdict::Fail { .. }
        ));
        assert_eq!(validate_any_pattern(r, &[]), Verdict::Pass);
    }

    #[test]
    fn condition_keys_never_found_make_an_error() {
        // A plain mismatch while a conditional anchor's key was never seen.
        let v = verdict("^(x): [{a: 1}]\nb: 2", "b: 3");
        assert!(matches!(v, Verdict::Error { .. }), "{v:?}");
        let v = verdict("b: 2", "b: 3");
        assert!(matches!(v, Verdict::Fail { .. }), "{v:?}");
    }
}
