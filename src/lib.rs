//! shipshape: a fast, parallel linter that keeps GitOps repositories safe to deploy.
//!
//! The pipeline: `discover` walks the paths; `engine` lints every file in
//! parallel (`yaml` parses with spans, `classify` says what each document is,
//! `model` gives typed views, `rules` check them and `index_build` extracts
//! facts), then runs the cross-file rules over the `index`, applies
//! `suppress`ions and severities, and hands sorted findings to an `output`
//! format through `report`, which turns spans into lines and columns.

pub mod classify;
pub mod cli;
pub mod config;
pub mod discover;
pub mod engine;
pub mod finding;
pub mod image;
pub mod index;
pub mod index_build;
pub mod model;
pub mod output;
pub mod redact;
pub mod report;
pub mod rules;
pub mod script;
pub mod source;
pub mod suppress;
pub mod yaml;
