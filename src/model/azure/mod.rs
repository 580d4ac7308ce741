//! Azure Pipelines YAML: stages, jobs (plain and `deployment` jobs with
//! their strategy hooks) and steps, variables and parameter defaults, and
//! the `template:` references at every level. Expression keys
//! (`${{ if }}`, `${{ each }}`) are read as if their values were written in
//! place (`expr`). This is a typed view over the span tree: it never
//! evaluates an expression or reads another file.

pub mod expr;
pub mod inputs;
pub mod steps;
pub mod vars;

pub use inputs::Inputs;
pub use steps::{Shell, Step, StepKind};
pub use vars::Vars;

use crate::yaml::NodeRef;

/// A deployment job's `environment:` when it names a resource: its steps
/// inherit the resource's cluster connection.
#[derive(Clone)]
pub struct Environment<'d, 's> {
    /// The whole `environment:` value.
    pub node: NodeRef<'d, 's>,
    /// `env.resource` as written, or `resourceName` (else None).
    pub resource: Option<String>,
}

pub struct Job<'d, 's> {
    /// `job:`/`deployment:` name (`job` for the single-job forms).
    pub name: String,
    pub node: NodeRef<'d, 's>,
    pub deployment: bool,
    pub environment: Option<Environment<'d, 's>>,
    /// Literal variables and parameter defaults in scope (pipeline, stage, job).
    pub vars: Vars,
    pub steps: Vec<Step<'d, 's>>,
}

/// A `template:` reference.
#[derive(Clone)]
pub struct TemplateRef<'d, 's> {
    /// The `template:` value.
    pub node: NodeRef<'d, 's>,
    /// The path as written, expanded with the literals in scope.
    pub path: String,
    /// Where its steps run: (job index, step index in the job).
    pub at: (usize, usize),
}

/// A `template:` reference as facts keep it: the path (expanded), the
/// span of its value, and the job and step it stands at.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TemplateUse {
    pub path: String,
    pub span: crate::yaml::Span,
    pub job: u32,
    pub step: u32,
}

pub struct Pipeline<'d, 's> {
    pub root: NodeRef<'d, 's>,
    pub jobs: Vec<Job<'d, 's>>,
    /// Every `template:` reference: stage, job, step, variable and `extends:`.
    pub templates: Vec<TemplateRef<'d, 's>>,
    /// Whether the file is a template only (top-level `parameters` and a list,
    /// and no `trigger`/`pr`/`pool`/`resources`/`extends`).
    pub is_template: bool,
}

const HOOKS: &[&str] = &["preDeploy", "deploy", "routeTraffic", "postRouteTraffic"];

impl<'d, 's> Pipeline<'d, 's> {
    /// The pipeline of a document, if its root is a mapping with
    /// `stages`, `jobs`, `steps`, `extends` or `variables`.
    pub fn new(root: NodeRef<'d, 's>) -> Option<Self> {
        if !root.is_map() {
            return None;
        }
        let has = |k: &str| expr::get(root, k).is_some();
        if !["stages", "jobs", "steps", "extends", "variables"]
            .iter()
            .any(|k| has(k))
        {
            return None;
        }
        let is_template = has("parameters")
            && !["trigger", "pr", "pool", "resources", "extends", "schedules"]
                .iter()
                .any(|k| has(k));
        let mut vars = Vars::default();
        vars.read_parameters(expr::get(root, "parameters"));
        vars.read_variables(expr::get(root, "variables"));
        let mut p = Pipeline {
            root,
            jobs: Vec::new(),
            templates: Vec::new(),
            is_template,
        };
        let root_vars = expr::get(root, "variables");
        p.variable_templates(root_vars, &vars);
        if let Some(t) = expr::get(root, "extends").and_then(|e| expr::get(e, "template")) {
            p.template(t, &vars);
        }
        if let Some(stages) = expr::get(root, "stages") {
            for stage in expr::items(stages) {
                if let Some(t) = expr::get(stage, "template") {
                    p.template(t, &vars);
                    continue;
                }
                let mut sv = vars.clone();
                let stage_vars = expr::get(stage, "variables");
                sv.read_variables(stage_vars);
                p.variable_templates(stage_vars, &sv);
                if let Some(jobs) = expr::get(stage, "jobs") {
                    p.read_jobs(jobs, &sv);
                }
            }
        }
        if let Some(jobs) = expr::get(root, "jobs") {
            p.read_jobs(jobs, &vars);
        }
        if let Some(steps) = expr::get(root, "steps") {
            let mut job = Job {
                name: "job".into(),
                node: root,
                deployment: false,
                environment: None,
                vars,
                steps: Vec::new(),
            };
            p.read_steps(&mut job, steps);
            p.jobs.push(job);
        }
        Some(p)
    }

    fn template(&mut self, node: NodeRef<'d, 's>, vars: &Vars) {
        self.template_at(node, vars, (self.jobs.len(), 0));
    }

    fn template_at(&mut self, node: NodeRef<'d, 's>, vars: &Vars, at: (usize, usize)) {
        if let Some(path) = node.as_str() {
            self.templates.push(TemplateRef {
                node,
                path: vars.expand(path.trim()),
                at,
            });
        }
    }

    /// The `- template:` items of a `variables:` list.
    fn variable_templates(&mut self, node: Option<NodeRef<'d, 's>>, vars: &Vars) {
        let Some(node) = node.filter(|n| n.is_seq()) else {
            return;
        };
        for item in expr::items(node.resolve()) {
            if let Some(t) = expr::get(item, "template") {
                self.template(t, vars);
            }
        }
    }

    fn read_jobs(&mut self, jobs: NodeRef<'d, 's>, vars: &Vars) {
        for node in expr::items(jobs) {
            if let Some(t) = expr::get(node, "template") {
                self.template(t, vars);
                continue;
            }
            let deployment = expr::get(node, "deployment").is_some();
            let name = expr::get_str(node, if deployment { "deployment" } else { "job" })
                .unwrap_or("job")
                .to_string();
            let mut jv = vars.clone();
            let job_vars = expr::get(node, "variables");
            jv.read_variables(job_vars);
            self.variable_templates(job_vars, &jv);
            let environment = deployment
                .then(|| expr::get(node, "environment"))
                .flatten()
                .map(environment);
            let mut job = Job {
                name,
                node,
                deployment,
                environment,
                vars: jv,
                steps: Vec::new(),
            };
            if let Some(steps) = expr::get(node, "steps") {
                self.read_steps(&mut job, steps);
            }
            if let Some(strategy) = expr::get(node, "strategy") {
                for (_, s) in expr::entries(strategy) {
                    for hook in HOOKS {
                        if let Some(steps) = expr::get(s, hook).and_then(|h| expr::get(h, "steps"))
                        {
                            self.read_steps(&mut job, steps);
                        }
                    }
                    if let Some(on) = expr::get(s, "on") {
                        for when in ["failure", "success"] {
                            if let Some(steps) =
                                expr::get(on, when).and_then(|h| expr::get(h, "steps"))
                            {
                                self.read_steps(&mut job, steps);
                            }
                        }
                    }
                }
            }
            self.jobs.push(job);
        }
    }

    fn read_steps(&mut self, job: &mut Job<'d, 's>, steps: NodeRef<'d, 's>) {
        for node in expr::items(steps) {
            if !node.is_map() {
                continue;
            }
            let step = Step::new(node, job.steps.len());
            if let StepKind::Template(t) = step.kind {
                self.template_at(t, &job.vars, (self.jobs.len(), step.index));
            }
            job.steps.push(step);
        }
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step<'d, 's>> {
        self.jobs.iter().flat_map(|j| j.steps.iter())
    }
}

/// A deployment job's `environment:`: `name.resource`, or a mapping with
/// `resourceName` (not of `resourceType: VirtualMachine`).
fn environment<'d, 's>(node: NodeRef<'d, 's>) -> Environment<'d, 's> {
    let resource = match node.as_str() {
        Some(text) => text.split_once('.').map(|(_, r)| r.trim().to_string()),
        None => {
            let vm = expr::get_str(node, "resourceType")
                .is_some_and(|t| t.eq_ignore_ascii_case("virtualmachine"));
            expr::get_str(node, "resourceName")
                .filter(|_| !vm)
                .map(|r| r.trim().to_string())
                .or_else(|| {
                    let kube = expr::get_str(node, "resourceType")
                        .is_some_and(|t| t.eq_ignore_ascii_case("kubernetes"));
                    kube.then(|| expr::get_str(node, "name").unwrap_or("").to_string())
                })
        }
    };
    Environment {
        node,
        resource: resource.filter(|r| !r.is_empty()),
    }
}

/// Top-level keys that give a pipeline or template its content.
const CONTENT_KEYS: [&str; 12] = [
    "stages",
    "jobs",
    "steps",
    "extends",
    "variables",
    "parameters",
    "trigger",
    "pr",
    "pool",
    "resources",
    "schedules",
    "phases",
];

/// The other top-level keys a pipeline may have.
const SETTING_KEYS: [&str; 10] = [
    "name",
    "appendCommitMessageToRunName",
    "lockBehavior",
    "container",
    "services",
    "workspace",
    "strategy",
    "continueOnError",
    "queue",
    "server",
];

/// Whether a document where pipelines are kept (by its name or folder)
/// is one: a mapping with a top-level key of a pipeline or template and
/// no `apiVersion`/`kind` (a manifest kept under `azure-pipelines/` is a
/// manifest; a tool's settings file there is neither).
pub fn may_be_pipeline(root: NodeRef) -> bool {
    root.is_map()
        && root.get("apiVersion").is_none()
        && root.get("kind").is_none()
        && root
            .entries()
            .any(|(k, _)| k.as_str().is_some_and(|k| CONTENT_KEYS.contains(&k)))
}

/// Whether a document looks like an Azure pipeline although its path does
/// not say so: no `apiVersion`/`kind`, only a pipeline's top-level keys
/// (a Cloud Build file's `steps` beside `images:` is not one), a top-level
/// `stages`/`jobs`/`steps`/`extends`, and an Azure marker (`trigger`, `pr`,
/// `pool`, or a step with `task:`, `script:`, `bash:`, `pwsh:` or
/// `checkout:`) but no Cloud Build step (`args`, `entrypoint`, `waitFor`).
pub fn looks_like_pipeline(root: NodeRef) -> bool {
    if !root.is_map() || root.get("apiVersion").is_some() || root.get("kind").is_some() {
        return false;
    }
    let foreign =
        |k: &str| !CONTENT_KEYS.contains(&k) && !SETTING_KEYS.contains(&k) && !expr::is_expr_key(k);
    if root.entries().any(|(k, _)| k.as_str().is_none_or(foreign)) {
        return false;
    }
    let has = |k: &str| root.get(k).is_some();
    if !["stages", "jobs", "steps", "extends"]
        .iter()
        .any(|k| has(k))
    {
        return false;
    }
    if ["trigger", "pr", "pool"].iter().any(|k| has(k)) {
        return true;
    }
    // Cloud Build steps run an image with `args`/`entrypoint`.
    let cloud_build = |s: &Step| {
        ["args", "entrypoint", "waitFor"]
            .iter()
            .any(|k| s.node.get(k).is_some())
    };
    Pipeline::new(root).is_some_and(|p| {
        !p.steps().any(cloud_build)
            && p.steps().any(|s| {
                ["task", "script", "bash", "pwsh", "checkout"]
                    .iter()
                    .any(|k| expr::get(s.node, k).is_some())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn a_file_where_pipelines_are_kept_may_be_a_manifest_or_a_tool_file() {
        let first = |src: &str| -> bool {
            let p = parse_stream(src, &Limits::default());
            may_be_pipeline(p.docs[0].root().unwrap())
        };
        assert!(first("variables:\n  a: 1\n"));
        assert!(first("parameters:\n  x: 1\nsteps:\n- script: a\n"));
        assert!(!first("apiVersion: apps/v1\nkind: Deployment\nspec: {}\n"));
        assert!(!first("registries:\n  allowed: [a]\n"));
        assert!(!first("- a\n"));
    }

    #[test]
    fn a_cloud_build_file_is_not_a_pipeline() {
        let looks = |src: &str| -> bool {
            let p = parse_stream(src, &Limits::default());
            looks_like_pipeline(p.docs[0].root().unwrap())
        };
        assert!(!looks(
            "steps:\n- name: ubuntu\n  script: make\nimages: [a]\n"
        ));
        assert!(!looks(
            "steps:\n- name: gcr.io/x/docker\n  args: [build]\n- name: ubuntu\n  script: make\n"
        ));
        assert!(looks("steps:\n- script: make\n  name: build\n"));
        assert!(looks(
            "trigger: [main]\npool: {vmImage: x}\nsteps:\n- bash: make\n"
        ));
    }

    const SRC: &str = "\
trigger: [main]
parameters:
  - name: env
    default: dev
variables:
  - name: ns
    value: shop-${{ parameters.env }}
  - group: release
  - template: vars.yml
stages:
  - template: /stages/build.yml
  - stage: Deploy
    variables:
      app: web
    jobs:
      - template: jobs/smoke.yml
      - deployment: Deploy
        environment: aks.$(ns)
        strategy:
          canary:
            deploy:
              steps:
                - task: KubernetesManifest@1
                  inputs: { action: deploy }
            on:
              failure:
                steps:
                  - script: kubectl rollout undo deploy/$(app) -n $(ns)
                  - template: steps/notify.yml
      - job: Check
        steps:
          - bash: echo ok
            enabled: false
          - checkout: self
";

    #[test]
    fn stages_deployment_hooks_and_templates() {
        let p = parse_stream(SRC, &Limits::default());
        let root = p.docs[0].root().unwrap();
        let pl = Pipeline::new(root).unwrap();
        assert!(!pl.is_template);
        let paths: Vec<_> = pl.templates.iter().map(|t| t.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "vars.yml",
                "/stages/build.yml",
                "jobs/smoke.yml",
                "steps/notify.yml"
            ]
        );
        assert_eq!(pl.jobs.len(), 2);
        let deploy = &pl.jobs[0];
        assert!(deploy.deployment);
        assert_eq!(
            deploy
                .environment
                .as_ref()
                .and_then(|e| e.resource.as_deref()),
            Some("$(ns)")
        );
        assert_eq!(deploy.vars.expand("$(ns)/$(app)"), "shop-dev/web");
        assert_eq!(deploy.vars.groups, ["release"]);
        assert_eq!(deploy.steps.len(), 3);
        assert_eq!(
            deploy.steps[0].task(),
            Some(("kubernetesmanifest", Some(1)))
        );
        assert!(matches!(deploy.steps[1].kind, StepKind::Script { .. }));
        let check = &pl.jobs[1];
        assert!(!check.steps[0].enabled);
        assert!(matches!(check.steps[1].kind, StepKind::Checkout { .. }));
    }

    #[test]
    fn single_job_forms_and_templates() {
        let p = parse_stream(
            "parameters:\n  - name: x\nsteps:\n  - pwsh: Write-Host hi\n",
            &Limits::default(),
        );
        let pl = Pipeline::new(p.docs[0].root().unwrap()).unwrap();
        assert!(pl.is_template);
        assert_eq!(pl.jobs.len(), 1);
        assert!(matches!(
            pl.jobs[0].steps[0].kind,
            StepKind::Script {
                shell: Shell::PowerShell,
                ..
            }
        ));
    }

    #[test]
    fn pipelines_by_content() {
        let yes = [
            "trigger: none\nsteps:\n  - script: make\n",
            "jobs:\n  - job: a\n    steps:\n      - task: Docker@2\n",
        ];
        let no = [
            "apiVersion: v1\nkind: List\nsteps: []\n",
            "stages: [build, test]\nbuild:\n  script: make\n",
            "on: push\njobs:\n  a:\n    steps:\n      - run: make\n",
            "steps:\n  - name: a\n",
        ];
        for (src, want) in yes
            .iter()
            .map(|s| (s, true))
            .chain(no.iter().map(|s| (s, false)))
        {
            let p = parse_stream(src, &Limits::default());
            assert_eq!(
                looks_like_pipeline(p.docs[0].root().unwrap()),
                want,
                "{src}"
            );
        }
    }
}
