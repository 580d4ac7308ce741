//! Rules about namespaces.
pub mod operator_namespace;
pub mod operator_objects;
