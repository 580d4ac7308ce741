//! CEL policies, offline.

pub mod expr;
pub mod value;
