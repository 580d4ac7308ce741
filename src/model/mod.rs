//! Typed views over the YAML tree: Kubernetes objects and their pod
//! templates, GitHub workflows and Azure Pipelines and their steps, kustomizations, and image
//! references. Views borrow the tree and never own a copy of it; they know
//! nothing of rules, findings or the repository index.

pub mod azure;
pub mod helm_images;
pub mod helm_values;
pub mod image;
pub mod k8s;
pub mod kustomize;
pub mod tools;
pub mod workflow;
