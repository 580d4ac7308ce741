//! Shell scripts in CI steps: the facts a GitOps linter needs about a
//! `run:` script. Which commands reach a Kubernetes cluster, deploy
//! manifests, build or push images, edit manifests in place, clone or commit
//! to git, or create image pull secrets: [`analyze()`] gives them as [`ScriptFacts`].
//!
//! Built on [`shell::commands`], so text inside quotes, comments and
//! heredoc bodies is never mistaken for a command.
//!
//! This is not a shell. It reads the script's text and nothing else: it
//! never executes anything, never expands a variable (`$VAR` and `${{ }}`
//! are kept as written) and never touches the disk. It never fails either:
//! any input, however malformed, gives some facts (at worst none).
//!
//! The module sits low in the crate's layers: of the rest of the crate it
//! uses only [`crate::source::path`]. Its files: `facts` (the fact types),
//! `analyze` (the entry point and the dispatch by program name), `args`
//! (the argument parsing the command families share), one file per command
//! family (`kubectl`, `helm`, `cloud`, `kubeconfig`, `builders`, `git`,
//! `editors`, `powershell`), and the lexer, [`shell`], beside them.

pub mod shell;

mod analyze;
mod args;
mod builders;
mod cloud;
mod editors;
mod facts;
mod git;
mod helm;
mod kubeconfig;
mod kubectl;
mod powershell;

pub use analyze::analyze;
pub use facts::{
    Clone, Deploy, DeployImage, Edit, EditTool, Hit, ImagePart, ImageRef, PathRef, ScriptFacts,
    SecretCreate,
};

/// Helpers shared by the tests of the command families.
#[cfg(test)]
mod test_util {
    use super::{analyze, Deploy, Edit, ImageRef};

    pub(super) fn access(s: &str) -> Vec<String> {
        analyze(s)
            .cluster_access
            .into_iter()
            .map(|h| h.what)
            .collect()
    }

    pub(super) fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    pub(super) fn values_of(refs: &[ImageRef]) -> Vec<&str> {
        refs.iter().map(|r| r.value.as_str()).collect()
    }

    pub(super) fn paths(d: &Deploy) -> Vec<&str> {
        d.paths.iter().map(|p| p.value.as_str()).collect()
    }

    pub(super) fn files(e: &Edit) -> Vec<&str> {
        e.files.iter().map(|p| p.value.as_str()).collect()
    }
}
