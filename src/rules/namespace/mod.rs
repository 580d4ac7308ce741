//! Rules about namespaces.
pub mod operator_namespace;
