//! shipshape: a fast, parallel linter that keeps GitOps repositories safe to deploy.
//!
//! The pipeline, in folders by stage: `source` walks the paths and reads each
//! file; `yaml` parses it into a span-keeping tree; `model` gives typed views
//! (Kubernetes objects, workflows, kustomizations, image references);
//! `script` analyses the shell scripts of workflow steps; `index` takes the
//! facts cross-file rules need; `rules` check; `report` resolves positions
//! and what a finding shows of a file; `output` renders. `engine`
//! orchestrates the phases; `cli` is on top. `finding` (what rules report)
//! and `config` (the settings) are the vocabulary the stages share.
//!
//! **Layers.** The modules below are listed lowest first: a module imports
//! only modules listed before it (`tests/layers.rs` fails on an upward
//! import or a cycle between sibling files).

pub mod cli;
pub mod config;
pub mod engine;
pub mod finding;
pub mod index;
pub mod model;
pub mod output;
pub mod report;
pub mod rules;
pub mod script_facts;
pub mod shell;
pub mod source;
pub mod yaml;
