//! shipshape: a fast, parallel linter that keeps GitOps repositories safe to deploy.
//!
//! The pipeline, in folders by stage: `source` walks the paths and reads each
//! file; `yaml` parses it into a span-keeping tree; `model` gives typed views
//! (Kubernetes objects, workflows, kustomizations, image references);
//! `script` analyses the shell scripts of workflow steps; `schema` validates
//! documents against bundled and repository schemas; `policy` runs policies
//! (Kyverno patterns, CEL policies) against documents; `index` takes the
//! facts cross-file rules need; `rules` check; `report` resolves positions
//! and what a finding shows of a file; `output` renders. `engine`
//! orchestrates the phases; `cli` is on top. `finding` (what rules report)
//! and `config` (the settings) are the vocabulary the stages share.
//!
//! **Layers.** The modules below are listed lowest first: a module imports
//! only modules listed before it (`tests/layers.rs` fails on an upward
//! import or a cycle between sibling files).

// 1. Discovery and sources: files, their kinds, repositories, text.
pub mod source;
// 2. YAML: the span-keeping tree.
pub mod yaml;
// 3. Typed models over the tree.
pub mod model;
// 4. Script analysis: the shell lexer and what commands do.
pub mod script;
// 5. The findings model and rule metadata.
pub mod finding;
// 6. The settings.
pub mod config;
// 7. Manifest validation: bundled schemas, CRDs, the validator.
pub mod schema;
// 8. Policies run offline: Kyverno's validate patterns, CEL policies.
pub mod policy;
// 9. The repository index: facts from every file.
pub mod index;
// 10. The rules and their registry.
pub mod rules;
// 11. Positions and sources as findings show them.
pub mod report;
// 12. The engine: the phases of a run.
pub mod engine;
// 13. Output formats.
pub mod output;
// 14. The command line.
pub mod cli;
