//! Kyverno's `validate.pattern` and `validate.anyPattern`, offline.
//!
//! `pattern` walks the resource and the pattern together (maps, lists,
//! anchors); `anchor` reads anchored keys and expands wildcard label and
//! annotation keys; `scalar` decides one value against one scalar pattern
//! (wildcards, operators, ranges, `|` and `&`, quantities, durations).
//! The semantics are Kyverno's (`pkg/engine/validate`), including where a
//! mismatch makes the rule skip rather than fail.

mod anchor;
mod pattern;
mod scalar;

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

/// One `validate.pattern` against a resource document's root.
pub fn validate_pattern(resource: NodeRef, pattern: NodeRef) -> Verdict {
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
pub fn validate_any_pattern(resource: NodeRef, patterns: &[NodeRef]) -> Verdict {
    let mut skips = Vec::new();
    let mut fails: Vec<(Span, String)> = Vec::new();
    for (i, p) in patterns.iter().enumerate() {
        match match_pattern(resource, *p) {
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
fn match_pattern(resource: NodeRef, pattern: NodeRef) -> Result<(), Outcome> {
    let pat = pattern::read_pattern(pattern).map_err(Outcome::Error)?;
    let mut walk = Walk::new();
    let here = Here {
        node: Some(resource),
        blame: resource.span(),
    };
    let Err(e) = walk.element(here, &pat, "/") else {
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
