//! Policies run offline against manifests.
//!
//! `kyverno` holds Kyverno's `validate.pattern` and `validate.anyPattern`
//! matcher: a resource document against a pattern, with Kyverno's anchors,
//! wildcards, operators and skip/fail rules, each failure pointing at the
//! resource node that did not match. Nothing reads policies from a
//! repository yet.

pub mod kyverno;
