//! What an Azure pipeline does, as the same facts a GitHub workflow gives
//! (`WorkflowFacts`), so that mode detection and the workflow, image and
//! pull-secret rules judge both alike. Steps: the tasks in `azure_tasks`,
//! scripts through `azure_step`, checkouts, and a deployment job's
//! environment resource. Values are expanded with the pipeline's literal
//! variables and parameter defaults.

use super::azure_step::{strip_dir, Cx, SOURCES_DIRS};
use super::azure_tasks;
use super::workflow::{CheckoutFact, Hit, WorkflowFacts};
use crate::finding::FileId;
use crate::model::azure::{Job, Pipeline, StepKind, TemplateUse};
use crate::source::path::join_norm;
use crate::yaml::{unquoted_span, NodeRef};

/// `checkout:` of this repository or of a declared one, into `path:`.
fn checkout(cx: &mut Cx, root: NodeRef, repo: NodeRef, path: Option<NodeRef>) {
    let Some(alias) = repo.as_str().map(str::trim) else {
        return;
    };
    if alias.eq_ignore_ascii_case("none") {
        return;
    }
    let own = alias.eq_ignore_ascii_case("self");
    let repository = (!own).then(|| {
        crate::model::azure::expr::get(root, "resources")
            .and_then(|r| crate::model::azure::expr::get(r, "repositories"))
            .and_then(|list| {
                crate::model::azure::expr::items(list)
                    .into_iter()
                    .find(|r| crate::model::azure::expr::get_str(*r, "repository") == Some(alias))
                    .and_then(|r| crate::model::azure::expr::get_str(r, "name"))
            })
            .unwrap_or(alias)
            .to_string()
    });
    let dir = match path.and_then(|p| p.as_str()) {
        Some(p) => {
            let p = cx.vars.expand(p.trim());
            let p = p.strip_prefix("s/").unwrap_or(&p).to_string();
            join_norm("", &p)
        }
        None if own => String::new(),
        None => repository
            .as_deref()
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or("")
            .to_string(),
    };
    let span = unquoted_span(repo);
    cx.facts.checkouts.push(CheckoutFact {
        pos: cx.pos(span),
        repository,
        path: dir,
        span,
    });
}

/// `KUBECONFIG` set in a step's or job's `env:`/variables.
fn kubeconfig_env(facts: &mut WorkflowFacts, env: Option<NodeRef>) {
    for (k, v) in env
        .map(crate::model::azure::expr::entries)
        .unwrap_or_default()
    {
        if k.as_str()
            .is_some_and(|k| k.eq_ignore_ascii_case("KUBECONFIG"))
        {
            facts.cluster_access.push(Hit {
                what: "`KUBECONFIG` set in `env:`".into(),
                span: unquoted_span(v),
            });
        }
    }
}

/// A deployment job whose environment names a resource: its steps inherit
/// the resource's cluster connection.
fn environment(facts: &mut WorkflowFacts, job: &Job) {
    let Some(env) = &job.environment else { return };
    let Some(resource) = &env.resource else {
        return;
    };
    let span = match env.node.as_str() {
        Some(_) => unquoted_span(env.node),
        None => env.node.span(),
    };
    facts.cluster_access.push(Hit {
        what: format!(
            "deployment job `{}` targets the environment resource `{}` (its steps get the cluster's connection)",
            job.name,
            job.vars.expand(resource)
        ),
        span,
    });
}

/// Extracts the facts of one pipeline document (not its templates).
pub fn extract(file: FileId, src: &str, p: &Pipeline) -> WorkflowFacts {
    let mut facts = WorkflowFacts {
        file,
        template_only: p.is_template,
        ..Default::default()
    };
    facts.templates = p
        .templates
        .iter()
        .map(|t| TemplateUse {
            path: t.path.clone(),
            span: unquoted_span(t.node),
            job: t.at.0 as u32,
            step: t.at.1 as u32,
        })
        .collect();
    let artifacts: Vec<(String, String)> = p
        .steps()
        .filter_map(|s| match &s.kind {
            StepKind::Publish { path, artifact } if !artifact.is_empty() => {
                let path = SOURCES_DIRS
                    .iter()
                    .find_map(|d| strip_dir(path, d))
                    .unwrap_or(path);
                Some((artifact.clone(), join_norm("", path)))
            }
            _ => None,
        })
        .collect();
    for (job_index, job) in p.jobs.iter().enumerate() {
        environment(&mut facts, job);
        for step in job.steps.iter().filter(|s| s.enabled) {
            let workdir = step.workdir.unwrap_or("");
            let mut cx = Cx {
                src,
                facts: &mut facts,
                vars: &job.vars,
                workdir: String::new(),
                step,
                job: job_index as u32,
                artifacts: &artifacts,
            };
            cx.workdir = cx.path(workdir);
            kubeconfig_env(cx.facts, step.env);
            match &step.kind {
                StepKind::Task {
                    name,
                    major,
                    task,
                    inputs,
                } => azure_tasks::task(&mut cx, name, *major, *task, *inputs),
                StepKind::Script { body, .. } => cx.script(*body),
                StepKind::Checkout { repo, path } => checkout(&mut cx, p.root, *repo, *path),
                _ => {}
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn facts(src: &str) -> WorkflowFacts {
        let p = parse_stream(src, &Limits::default());
        let pl = Pipeline::new(p.docs[0].root().unwrap()).unwrap();
        extract(0, src, &pl)
    }

    #[test]
    fn docker_pushes_by_connection_or_host() {
        let f = facts("variables:\n  acr: contoso.azurecr.io\nsteps:\n  - task: Docker@2\n    inputs:\n      containerRegistry: my-acr\n      repository: web\n      tags: |\n        $(Build.BuildId)\n        latest\n  - task: Docker@2\n    inputs:\n      command: build\n      containerRegistry: $(acr)\n      repository: api\n");
        let pushed: Vec<_> = f.pushes.iter().map(|p| p.image.as_str()).collect();
        assert_eq!(
            pushed,
            ["$(my-acr)/web:$(Build.BuildId)", "$(my-acr)/web:latest"]
        );
        assert_eq!(f.builds[0].image, "contoso.azurecr.io/api:$(Build.BuildId)");
    }

    #[test]
    fn cluster_access_secrets_and_deploys() {
        let src = "jobs:\n- deployment: d\n  environment:\n    name: aks\n    resourceType: Kubernetes\n    resourceName: shop\n  strategy:\n    runOnce:\n      deploy:\n        steps:\n        - task: KubernetesManifest@0\n          inputs:\n            action: createSecret\n            secretName: acr-pull\n            namespace: shop\n        - task: HelmDeploy@0\n          inputs:\n            command: upgrade\n            chartType: FilePath\n            chartPath: $(Build.SourcesDirectory)/chart\n            overrideValues: image.tag=latest\n        - task: KubernetesManifest@1\n          inputs: { action: bake }\n        - task: AzureCLI@2\n          inputs:\n            azureSubscription: arm\n            scriptType: bash\n            scriptLocation: inlineScript\n            inlineScript: az acr login -n contoso\n";
        let f = facts(src);
        let what: Vec<_> = f.cluster_access.iter().map(|h| h.what.as_str()).collect();
        assert_eq!(what.len(), 3, "{what:?}");
        assert!(what[0].contains("environment resource `shop`"));
        assert!(what[1].starts_with("`KubernetesManifest@0` action `createsecret`"));
        assert!(what[2].starts_with("`HelmDeploy@0` command `upgrade`"));
        assert_eq!(f.secrets_created[0].name, "acr-pull");
        assert_eq!(f.secrets_created[0].namespace.as_deref(), Some("shop"));
        assert_eq!(f.deploys[0].paths, ["chart"]);
        assert_eq!(f.deploys[0].set_images[0].1.value, "latest");
    }

    #[test]
    fn scripts_with_macros_commit_and_edit() {
        let src = "variables:\n  registry: contoso.azurecr.io\nsteps:\n- checkout: self\n  persistCredentials: true\n- script: |\n    sed -i \"s|image: .*|image: $(registry)/web:$(Build.BuildId)|\" k8s/web.yaml\n    git commit -am bump && git push\n  workingDirectory: $(Build.SourcesDirectory)/deploy\n";
        let f = facts(src);
        assert_eq!(f.edits[0].files, ["deploy/k8s/web.yaml"]);
        assert_eq!(
            f.edits[0].images,
            ["contoso.azurecr.io/web:$(Build.BuildId)"]
        );
        assert!(!f.commits.is_empty());
        assert_eq!(f.checkouts[0].path, "");
        assert!(f.cluster_access.is_empty());
    }
}
