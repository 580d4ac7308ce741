//! Policies run offline against manifests.
//!
//! `kyverno` holds Kyverno's `validate.pattern` and `validate.anyPattern`
//! matcher (a resource document against a pattern, with Kyverno's anchors,
//! wildcards, operators and skip/fail rules, each failure pointing at the
//! resource node that did not match) and the reading of a policy document
//! into rules, with which rules apply to a resource (match, exclude,
//! auto-generated pod controller rules). `cel` compiles CEL policies
//! (Kubernetes' ValidatingAdmissionPolicy, Kyverno's ValidatingPolicy and
//! `validate.cel` rules) once into owned, thread-safe programs and judges
//! resources with them, every evaluation bounded. `set` is a run's
//! policies compiled once: the built-in sets of `rules/` (`builtin`) and
//! the user's files, each rule registered as a rule (`meta`: id, severity,
//! documentation); `bind` joins the VAP bindings of the user's files to
//! their policies and runs a bound policy; `outline` describes a CEL
//! policy's rules from its YAML alone.

mod bind;
pub mod builtin;
pub mod cel;
pub mod judge;
mod kinds;
pub mod kyverno;
pub mod meta;
mod outline;
pub mod scope;
pub mod set;
mod skip;

pub use judge::{Pass, Violation, UNDECIDED_PREFIX};
pub use meta::Origin;
pub use scope::Needs;
pub use set::{PolicySet, Problem};
