//! One step of an Azure Pipelines job: a task with its inputs, a script
//! shorthand, a checkout, a publish, or a template reference.

use super::expr;
use super::inputs::Inputs;
use crate::yaml::NodeRef;

/// The shell a script runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    /// `script:` (cmd on Windows, bash elsewhere), `bash:`, `Bash@3`, `AzureCLI` bash.
    Bash,
    /// `pwsh:`, `powershell:`, `PowerShell@2`, `AzureCLI` ps/pscore.
    PowerShell,
}

#[derive(Clone)]
pub enum StepKind<'d, 's> {
    /// `task: Name@major` with its `inputs:`.
    Task {
        /// The task's name, lowercased, without its version.
        name: String,
        /// Its major version (`2` of `Docker@2`), if given.
        major: Option<u32>,
        /// The `task:` value.
        task: NodeRef<'d, 's>,
        inputs: Inputs<'d, 's>,
    },
    /// `script:`, `bash:`, `pwsh:`, `powershell:`.
    Script {
        shell: Shell,
        body: NodeRef<'d, 's>,
    },
    /// `checkout: self | none | <alias>`, with its `path:`.
    Checkout {
        repo: NodeRef<'d, 's>,
        path: Option<NodeRef<'d, 's>>,
    },
    /// `publish: <path>` with `artifact:`: a pipeline artifact.
    Publish {
        path: String,
        artifact: String,
    },
    /// `template: <path>`.
    Template(NodeRef<'d, 's>),
    Other,
}

#[derive(Clone)]
pub struct Step<'d, 's> {
    pub node: NodeRef<'d, 's>,
    /// Its position in its job.
    pub index: usize,
    pub kind: StepKind<'d, 's>,
    pub env: Option<NodeRef<'d, 's>>,
    /// `enabled: false` steps never run: they are no evidence.
    pub enabled: bool,
    pub workdir: Option<&'d str>,
}

impl<'d, 's> Step<'d, 's> {
    pub fn new(node: NodeRef<'d, 's>, index: usize) -> Step<'d, 's> {
        let kind = kind_of(node);
        let enabled = !expr::get_str(node, "enabled").is_some_and(|e| {
            matches!(
                e.trim().to_ascii_lowercase().as_str(),
                "false" | "no" | "off" | "n"
            )
        });
        let workdir = expr::get_str(node, "workingDirectory").or_else(|| match &kind {
            StepKind::Task { inputs, .. } => inputs.text(&["workingDirectory", "cwd"]),
            _ => None,
        });
        Step {
            node,
            index,
            env: expr::get(node, "env").filter(|e| e.is_map()),
            enabled,
            workdir,
            kind,
        }
    }

    /// The task's name (lowercased) and major version, for a task step.
    pub fn task(&self) -> Option<(&str, Option<u32>)> {
        match &self.kind {
            StepKind::Task { name, major, .. } => Some((name, *major)),
            _ => None,
        }
    }
}

fn kind_of<'d, 's>(node: NodeRef<'d, 's>) -> StepKind<'d, 's> {
    if let Some(task) = expr::get(node, "task").filter(|t| t.as_str().is_some()) {
        let text = task.as_str().unwrap_or("").trim();
        let (name, version) = text.split_once('@').unwrap_or((text, ""));
        let major = version
            .split('.')
            .next()
            .and_then(|v| v.trim().parse().ok());
        return StepKind::Task {
            name: name.trim().to_ascii_lowercase(),
            major,
            task,
            inputs: Inputs {
                node: expr::get(node, "inputs").filter(|i| i.is_map()),
            },
        };
    }
    for (key, shell) in [
        ("script", Shell::Bash),
        ("bash", Shell::Bash),
        ("pwsh", Shell::PowerShell),
        ("powershell", Shell::PowerShell),
    ] {
        if let Some(body) = expr::get(node, key).filter(|b| b.as_str().is_some()) {
            return StepKind::Script { shell, body };
        }
    }
    if let Some(repo) = expr::get(node, "checkout").filter(|c| c.as_str().is_some()) {
        return StepKind::Checkout {
            repo,
            path: expr::get(node, "path").filter(|p| p.as_str().is_some()),
        };
    }
    if let Some(path) = expr::get_str(node, "publish") {
        let artifact = expr::get_str(node, "artifact").unwrap_or("");
        return StepKind::Publish {
            path: path.trim().to_string(),
            artifact: artifact.trim().to_string(),
        };
    }
    if let Some(t) = expr::get(node, "template").filter(|t| t.as_str().is_some()) {
        return StepKind::Template(t);
    }
    StepKind::Other
}
