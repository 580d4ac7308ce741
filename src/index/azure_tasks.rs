//! The Azure Pipelines tasks that matter to the guardrails, read into
//! workflow facts: `Docker@2` (pushes and builds), `KubernetesManifest@0/1`,
//! `Kubernetes@0/1` and `HelmDeploy@0/1` (cluster access, deploys, pull
//! secrets), and the inline scripts of `AzureCLI@2/3`, `Bash@3`,
//! `PowerShell@2` and `CmdLine@2`. Input names and defaults are the tasks'
//! own (`task.json` of microsoft/azure-pipelines-tasks).

use super::azure_step::Cx;
use super::workflow::{DeployFact, PushFact, SecretFact};
use crate::model::azure::Inputs;
use crate::script::ImagePart;
use crate::yaml::{unquoted_span, NodeRef, Spanned};

/// Dispatches a task step by its (lowercased) name.
pub(super) fn task(cx: &mut Cx, name: &str, major: Option<u32>, task: NodeRef, inputs: Inputs) {
    let label = match major {
        Some(m) => format!("{name}@{m}"),
        None => name.to_string(),
    };
    let label = display_name(&label);
    match name {
        "docker" if major.is_none_or(|m| m >= 2) => docker(cx, task, inputs),
        "kubernetesmanifest" => kubernetes_manifest(cx, &label, task, inputs),
        "kubernetes" => kubernetes(cx, &label, task, inputs),
        "helmdeploy" => helm_deploy(cx, &label, task, inputs),
        "azurefunctiononkubernetes" => cx.access(
            format!("`{label}` (deploys to a cluster)"),
            unquoted_span(task),
        ),
        "azurecli" | "bash" | "powershell" | "cmdline" => {
            if let Some(body) = inputs.get(&["inlineScript", "script"]) {
                cx.script(body);
            }
        }
        _ => {}
    }
}

/// `kubernetesmanifest@1` as the docs write it: `KubernetesManifest@1`.
fn display_name(label: &str) -> String {
    const NAMES: &[&str] = &[
        "KubernetesManifest",
        "Kubernetes",
        "HelmDeploy",
        "AzureFunctionOnKubernetes",
        "Docker",
    ];
    let (name, version) = label.split_once('@').unwrap_or((label, ""));
    let name = NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name);
    if version.is_empty() {
        name.to_string()
    } else {
        format!("{name}@{version}")
    }
}

/// `Docker@2`: `<registry>/<repository>:<tag>` per tag. The registry is a
/// service connection's name; the host it stands for is not in the
/// repository, so unless the name looks like a host it is kept as a
/// run-time placeholder, `$(<name>)`, and images compare by repository path.
fn docker(cx: &mut Cx, task: NodeRef, inputs: Inputs) {
    let command = inputs.text(&["command"]).unwrap_or("buildAndPush");
    let command = command.to_ascii_lowercase();
    let push = match command.as_str() {
        "buildandpush" | "push" => true,
        "build" => false,
        _ => return,
    };
    let Some(repository) = inputs.text(&["repository"]) else {
        return;
    };
    let repository = cx.vars.expand(repository);
    let registry = match inputs.text(&["containerRegistry"]) {
        Some(r) => {
            let r = cx.vars.expand(r);
            if r.contains('.') && !r.contains(' ') {
                r.to_ascii_lowercase()
            } else if r.starts_with("$(") {
                r
            } else {
                format!("$({r})")
            }
        }
        None => "$(containerRegistry)".to_string(),
    };
    let tags_node = inputs.get(&["tags"]);
    let mut tags = cx.list(tags_node);
    if tags.is_empty() {
        let span = inputs
            .get(&["repository"])
            .map(unquoted_span)
            .unwrap_or_else(|| unquoted_span(task));
        tags.push(Spanned::new("$(Build.BuildId)", span));
    }
    for tag in tags {
        let fact = PushFact {
            image: format!("{registry}/{repository}:{}", tag.value),
            span: tag.span,
        };
        if push {
            cx.facts.pushes.push(fact);
        } else {
            cx.facts.builds.push(fact);
        }
    }
}

/// `KubernetesManifest@0/1`: cluster access for every action but `bake`;
/// `deploy` (manifests, `containers` substitution, pull secrets) and
/// `createSecret`.
fn kubernetes_manifest(cx: &mut Cx, label: &str, task: NodeRef, inputs: Inputs) {
    let action = inputs
        .text(&["action"])
        .unwrap_or("deploy")
        .to_ascii_lowercase();
    if action == "bake" {
        return;
    }
    let span = unquoted_span(task);
    cx.access(
        format!("`{label}` action `{action}` (talks to a cluster)"),
        span,
    );
    let namespace = inputs.text(&["namespace"]).map(|n| cx.vars.expand(n));
    match action.as_str() {
        "deploy" | "promote" => {
            let paths = cx
                .list(inputs.get(&["manifests"]))
                .iter()
                .map(|p| cx.path(&p.value))
                .collect();
            let images = cx.list(inputs.get(&["containers"]));
            let pull_secrets = cx.list(inputs.get(&["imagePullSecrets"]));
            cx.facts.deploys.push(DeployFact {
                pos: cx.pos(span),
                via: label.to_string(),
                paths,
                namespace,
                span,
                images,
                set_images: Vec::new(),
                pull_secrets,
            });
        }
        "createsecret" => {
            let docker = inputs.is(&["secretType"], "dockerRegistry", &["dockerRegistry"]);
            if let (true, Some(n)) = (docker, inputs.get(&["secretName"])) {
                secret(cx, n, namespace);
            }
        }
        _ => {}
    }
}

fn secret(cx: &mut Cx, name: NodeRef, namespace: Option<String>) {
    let Some(text) = name.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
        return;
    };
    cx.facts.secrets_created.push(SecretFact {
        name: cx.vars.expand(text),
        namespace,
        span: unquoted_span(name),
    });
}

/// `Kubernetes@0/1`: any command reaches the cluster (`login` keeps the
/// connection for later steps); `apply` of a configuration file deploys it;
/// a non-empty `secretName` creates that pull secret first.
fn kubernetes(cx: &mut Cx, label: &str, task: NodeRef, inputs: Inputs) {
    let span = unquoted_span(task);
    let command = inputs.text(&["command"]).unwrap_or("").to_ascii_lowercase();
    let what = if command.is_empty() {
        format!("`{label}` (talks to a cluster)")
    } else {
        format!("`{label}` command `{command}` (talks to a cluster)")
    };
    cx.access(what, span);
    let namespace = inputs.text(&["namespace"]).map(|n| cx.vars.expand(n));
    let docker = inputs.is(&["secretType"], "dockerRegistry", &["dockerRegistry"]);
    if let (true, Some(n)) = (docker, inputs.get(&["secretName"])) {
        secret(cx, n, namespace.clone());
    }
    let file = inputs.is(&["configurationType"], "configuration", &["configuration"])
        && !inputs.is(&["useConfigurationFile"], "false", &["false"]);
    if matches!(command.as_str(), "apply" | "create") && file {
        if let Some(config) = inputs.text(&["configuration"]) {
            let paths = vec![cx.path(config)];
            cx.facts.deploys.push(DeployFact {
                pos: cx.pos(span),
                via: format!("{label} {command}"),
                paths,
                namespace,
                span,
                images: Vec::new(),
                set_images: Vec::new(),
                pull_secrets: Vec::new(),
            });
        }
    }
}

/// `HelmDeploy@0/1`: every command but `package`/`save` sets up a
/// kubeconfig; `install`/`upgrade` of a chart path deploys it, with its
/// values file and the image settings of `overrideValues`.
fn helm_deploy(cx: &mut Cx, label: &str, task: NodeRef, inputs: Inputs) {
    let command = inputs
        .text(&["command"])
        .unwrap_or("ls")
        .to_ascii_lowercase();
    if matches!(command.as_str(), "package" | "save") {
        return;
    }
    let span = unquoted_span(task);
    cx.access(
        format!("`{label}` command `{command}` (talks to a cluster)"),
        span,
    );
    if !matches!(command.as_str(), "install" | "upgrade") {
        return;
    }
    let mut paths = Vec::new();
    if !inputs.is(&["chartType"], "Name", &["Name"]) {
        if let Some(chart) = inputs.text(&["chartPath"]) {
            paths.push(cx.path(chart));
        }
    }
    if let Some(values) = inputs.text(&["valueFile"]) {
        paths.push(cx.path(values));
    }
    let set_images = cx
        .list(inputs.get(&["overrideValues"]))
        .into_iter()
        .filter_map(|item| override_image(&item))
        .collect();
    let namespace = inputs.text(&["namespace"]).map(|n| cx.vars.expand(n));
    cx.facts.deploys.push(DeployFact {
        pos: cx.pos(span),
        via: format!("{label} {command}"),
        paths,
        namespace,
        span,
        images: Vec::new(),
        set_images,
        pull_secrets: Vec::new(),
    });
}

/// An `overrideValues` item that sets an image: `image=r/x:1`,
/// `web.image.tag=1`, `image.repository=r/x`.
fn override_image(item: &Spanned) -> Option<(ImagePart, Spanned)> {
    let (key, value) = item.value.split_once('=')?;
    let key = key.trim().to_ascii_lowercase();
    let part = if key == "image" || key.ends_with(".image") {
        ImagePart::Reference
    } else if key.ends_with("image.tag") {
        ImagePart::Tag
    } else if key.ends_with("image.repository") {
        ImagePart::Repository
    } else {
        return None;
    };
    let value = value.trim().trim_matches('"');
    Some((part, Spanned::new(value, item.span)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_values_that_set_images() {
        let at = |v: &str| Spanned::new(v, Default::default());
        let p = |v: &str| override_image(&at(v)).map(|(p, s)| (p, s.value));
        assert_eq!(p("image.tag=1.2"), Some((ImagePart::Tag, "1.2".into())));
        assert_eq!(
            p("web.image=r.io/web:1"),
            Some((ImagePart::Reference, "r.io/web:1".into()))
        );
        assert_eq!(p("replicas=2"), None);
        assert_eq!(display_name("kubernetesmanifest@1"), "KubernetesManifest@1");
    }
}
