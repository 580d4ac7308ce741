//! Typed views over the YAML tree (Kubernetes objects, GitHub workflows) and
//! the facts extracted from them. Views borrow the tree; facts own their data.
pub mod k8s;
pub mod workflow;
pub mod workflow_facts;
