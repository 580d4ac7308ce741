//! Manifest validation rules: every document against its schema, and
//! apiVersions deprecated or removed in the target Kubernetes version.
pub mod deprecated_api;
pub mod schema_violation;
mod workflow_graph;
