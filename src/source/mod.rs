//! Discovery and sources: which files a run reads, what kind each is from its
//! path, which repository it belongs to, and its text (decoded, size-checked).
//! The lowest layer: it knows nothing of YAML, rules or output.

pub mod contain;
pub mod file;
pub mod git;
pub mod git_index;
pub mod kind;
pub mod path;
pub mod remote;
pub mod roots;
pub mod text;
pub mod tracked;
pub mod walk;
