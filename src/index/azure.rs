//! What an Azure pipeline does, as the same facts a GitHub workflow gives
//! (`WorkflowFacts`), so that mode detection and the workflow, image and
//! pull-secret rules judge both alike. Steps: the tasks in `azure_tasks`,
//! scripts through `crate::script` (with `$(macro)` references masked so
//! the shell lexer does not read them as command substitutions), checkouts,
//! and a deployment job's environment resource. Values are expanded with
//! the pipeline's literal variables and parameter defaults.

use super::azure_tasks;
use super::workflow::{
    CheckoutFact, DeployFact, EditFact, Hit, PushFact, SecretFact, StepPos, WorkflowFacts,
};
use crate::finding::FileId;
use crate::model::azure::{vars::macro_name, Job, Pipeline, Step, StepKind, Vars};
use crate::model::workflow::ValueMap;
use crate::script;
use crate::source::path::join_norm;
use crate::yaml::{unquoted_span, NodeRef, Span, Spanned};

/// Predefined variables that name the sources directory, where relative paths start.
const SOURCES_DIRS: &[&str] = &[
    "$(Build.SourcesDirectory)",
    "$(System.DefaultWorkingDirectory)",
    "$(Build.Repository.LocalPath)",
    "$(Pipeline.Workspace)/s",
    "$(Agent.BuildDirectory)/s",
    "$BUILD_SOURCESDIRECTORY",
    "$SYSTEM_DEFAULTWORKINGDIRECTORY",
    "${{ variables['Build.SourcesDirectory'] }}",
];

/// One step in its job, with what it is read with.
pub(super) struct Cx<'a, 'd, 's> {
    pub src: &'a str,
    pub facts: &'a mut WorkflowFacts,
    pub vars: &'a Vars,
    pub workdir: String,
    pub step: &'a Step<'d, 's>,
    pub job: u32,
    /// `publish:`ed artifacts: (name, repository path).
    pub artifacts: &'a [(String, String)],
}

impl Cx<'_, '_, '_> {
    /// A path of this step, relative to the sources directory.
    pub fn path(&self, p: &str) -> String {
        let p = self.vars.expand(p.trim());
        for dir in SOURCES_DIRS {
            if let Some(rest) = strip_dir(&p, dir) {
                return join_norm("", rest);
            }
        }
        for (name, path) in self.artifacts {
            let dir = format!("$(Pipeline.Workspace)/{name}");
            if let Some(rest) = strip_dir(&p, &dir) {
                return join_norm(path, rest);
            }
        }
        join_norm(&self.workdir, &p)
    }

    pub fn pos(&self, span: Span) -> StepPos {
        StepPos {
            job: self.job,
            step: self.step.index as u32,
            offset: span.start,
        }
    }

    /// The items of a multi-line or comma-separated input, expanded, with their spans.
    pub fn list(&self, node: Option<NodeRef>) -> Vec<Spanned> {
        let Some(node) = node else { return Vec::new() };
        let Some(raw) = node.as_str() else {
            return Vec::new();
        };
        let map = ValueMap::new(self.src, node);
        super::workflow::list_items(raw)
            .into_iter()
            .map(|(item, r)| Spanned::new(self.vars.expand(&item), map.span(r)))
            .collect()
    }

    pub fn access(&mut self, what: String, span: Span) {
        self.facts.cluster_access.push(Hit { what, span });
    }

    /// A script body: masked, analysed, its facts mapped back to the file.
    pub fn script(&mut self, node: NodeRef) {
        let Some(text) = node.as_str() else { return };
        let masked = Masked::new(text, self.vars);
        let sf = script::analyze(&masked.text);
        let map = ValueMap::new(self.src, node);
        let span = |r: std::ops::Range<usize>| map.span(r);
        let value = |s: &str| self.vars.expand(&masked.unmask(s));
        for h in sf.cluster_access {
            self.facts.cluster_access.push(Hit {
                what: format!("`{}`", h.what),
                span: span(h.range),
            });
        }
        for h in sf.commits {
            self.facts.commits.push(Hit {
                what: h.what,
                span: span(h.range),
            });
        }
        for e in sf.edits {
            let files = e
                .files
                .iter()
                .map(|p| self.path(&masked.unmask(&p.value)))
                .collect();
            let images = e.images.iter().map(|i| value(i)).collect();
            let text = value(masked.text.get(e.range.clone()).unwrap_or(""));
            let span = span(e.range);
            self.facts.edits.push(EditFact {
                pos: self.pos(span),
                tool: e.tool,
                files,
                images,
                text,
                span,
            });
        }
        for d in sf.deploys {
            let paths = d
                .paths
                .iter()
                .map(|p| self.path(&masked.unmask(&p.value)))
                .collect();
            let set_images = d
                .images
                .into_iter()
                .map(|i| (i.part, Spanned::new(value(&i.value), span(i.range))))
                .collect();
            let span = span(d.range);
            self.facts.deploys.push(DeployFact {
                pos: self.pos(span),
                via: d.tool,
                paths,
                namespace: d.namespace.map(|n| value(&n)),
                span,
                images: Vec::new(),
                set_images,
                pull_secrets: Vec::new(),
            });
        }
        for p in sf.pushes {
            let image = value(&p.value);
            self.facts.pushes.push(PushFact {
                image,
                span: span(p.range),
            });
        }
        for p in sf.builds {
            let image = value(&p.value);
            self.facts.builds.push(PushFact {
                image,
                span: span(p.range),
            });
        }
        for s in sf.pull_secrets {
            self.facts.secrets_created.push(SecretFact {
                name: value(&s.name),
                namespace: s.namespace.map(|n| value(&n)),
                span: span(s.range),
            });
        }
        for c in sf.clones {
            let span = span(c.range);
            self.facts.checkouts.push(CheckoutFact {
                pos: self.pos(span),
                repository: Some(value(&c.url)),
                path: self.path(&masked.unmask(&c.dir.value)),
                span,
            });
        }
    }
}

/// `p` below `dir`, when it is.
fn strip_dir<'p>(p: &'p str, dir: &str) -> Option<&'p str> {
    let rest = p.strip_prefix(dir)?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\'))
        .then(|| rest.trim_start_matches(['/', '\\']))
}

/// A script with each `$(name)` macro (replaced by Azure Pipelines before
/// the shell runs) written as `${name}` of the same length, dots as
/// underscores, so offsets hold; `unmask` restores them in values.
struct Masked {
    text: String,
    back: Vec<(String, String)>,
}

impl Masked {
    fn new(text: &str, vars: &Vars) -> Masked {
        let mut out = String::with_capacity(text.len());
        let mut back = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("$(") {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            match macro_name(tail) {
                Some(name)
                    if name.contains('.')
                        || vars.get(name).is_some()
                        || !name.chars().all(|c| c.is_ascii_lowercase()) =>
                {
                    let masked = format!("${{{}}}", name.replace(['.', '-'], "_"));
                    back.push((masked.clone(), tail[..name.len() + 3].to_string()));
                    out.push_str(&masked);
                    rest = &tail[name.len() + 3..];
                }
                _ => {
                    out.push_str("$(");
                    rest = &tail[2..];
                }
            }
        }
        out.push_str(rest);
        Masked { text: out, back }
    }

    fn unmask(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (masked, original) in &self.back {
            if s.contains(masked.as_str()) {
                s = s.replace(masked.as_str(), original);
            }
        }
        s
    }
}

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
        ..Default::default()
    };
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

    #[test]
    fn masks_macros_keeping_offsets() {
        let mut vars = Vars::default();
        vars.set("acr", "contoso.azurecr.io");
        let m = Masked::new(
            "docker push $(acr)/web:$(Build.BuildId) && echo $(date)",
            &vars,
        );
        assert!(m.text.contains("${acr}"));
        assert_eq!(
            m.text.len(),
            "docker push $(acr)/web:$(Build.BuildId) && echo $(date)".len()
        );
        assert!(m.text.contains("${Build_BuildId}"));
        assert!(
            m.text.contains("$(date)"),
            "a lower-case single word may be a command"
        );
        assert_eq!(m.unmask("x/web:${Build_BuildId}"), "x/web:$(Build.BuildId)");
    }
}

#[cfg(test)]
mod extract_tests {
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
