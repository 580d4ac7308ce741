//! What a workflow does, as facts for the index: the images it builds and
//! pushes, the manifests it edits, commits and deploys, the secrets it
//! creates, and every way it reaches a cluster. Values are expanded with the
//! workflow's literal `env:` and input defaults; spans point at the exact
//! `uses:` value, `with:` value or command inside a `run:` script.

use super::actions::{CLUSTER_ACTIONS, COMMIT_ACTIONS};
use crate::finding::FileId;
use crate::model::workflow::{action_name, value_range_span, Step, ValueMap, Vars, Workflow};
use crate::script::{self, EditTool};
use crate::yaml::{unquoted_span, NodeRef, Span, Spanned};

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    pub what: String,
    pub span: Span,
}

/// Where in a workflow something happens: its job (by position), step (by
/// position in the job) and byte offset in the file, so that what a job
/// checked out before can be told from what it checks out after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepPos {
    pub job: u32,
    pub step: u32,
    pub offset: u32,
}

impl StepPos {
    /// Whether `self` runs before `other` in the same job.
    pub fn before(&self, other: &StepPos) -> bool {
        self.job == other.job && (self.step, self.offset) < (other.step, other.offset)
    }
}

/// A repository put into the workspace: `actions/checkout`, `git clone`,
/// `gh repo clone`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckoutFact {
    pub pos: StepPos,
    /// The repository (`with.repository`, the clone's URL), expanded; None
    /// for the workflow's own. It may hold a token: show only its `owner/name`.
    pub repository: Option<String>,
    /// Its directory, workspace-relative and normalised (`""` for the
    /// workspace itself).
    pub path: String,
    /// The `uses:` value, or the clone command.
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EditFact {
    pub pos: StepPos,
    pub tool: EditTool,
    /// Target files, workspace-relative (may still hold unresolved
    /// variables): see `RepoIndex::locate` for the repository they are in.
    pub files: Vec<String>,
    /// Image values written, when visible (expanded).
    pub images: Vec<String>,
    /// The command's text, expanded: what it mentions decides whether it updates a tag.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DeployFact {
    pub pos: StepPos,
    pub via: String,
    /// Manifest paths, workspace-relative.
    pub paths: Vec<String>,
    pub namespace: Option<String>,
    pub span: Span,
    /// k8s-deploy `images:` entries (expanded) with their spans.
    pub images: Vec<Spanned>,
    /// Image values a command sets (`kubectl set image`, `helm --set
    /// image.tag=`), expanded, with their spans.
    pub set_images: Vec<(script::ImagePart, Spanned)>,
    /// Pull secrets the step adds to the pod specs it deploys (k8s-deploy
    /// `imagepullsecrets:`, KubernetesManifest `imagePullSecrets:`),
    /// expanded, each at its name.
    pub pull_secrets: Vec<Spanned>,
}

impl DeployFact {
    /// Every image value the deploy sets: k8s-deploy `images:` entries
    /// (whole references), then what commands set, with the part each is.
    pub fn image_values(&self) -> impl Iterator<Item = (script::ImagePart, &Spanned)> {
        let refs = self
            .images
            .iter()
            .map(|i| (script::ImagePart::Reference, i));
        refs.chain(self.set_images.iter().map(|(p, i)| (*p, i)))
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PushFact {
    /// The pushed reference, expanded.
    pub image: String,
    pub span: Span,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SecretFact {
    pub name: String,
    pub namespace: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct WorkflowFacts {
    #[serde(with = "crate::finding::wire::file_id")]
    pub file: FileId,
    /// Ways the workflow reaches a cluster (actions, commands, kubeconfig env/secrets).
    pub cluster_access: Vec<Hit>,
    pub edits: Vec<EditFact>,
    pub commits: Vec<Hit>,
    pub deploys: Vec<DeployFact>,
    pub pushes: Vec<PushFact>,
    pub builds: Vec<PushFact>,
    pub secrets_created: Vec<SecretFact>,
    /// Repositories checked out or cloned into the workspace, in order.
    pub checkouts: Vec<CheckoutFact>,
    /// Azure Pipelines: `template:` references, and whether the file is only a template.
    pub templates: Vec<crate::model::azure::TemplateUse>,
    pub template_only: bool,
}

impl WorkflowFacts {
    /// Adds `more`'s facts (not its file, templates or shape) to these.
    pub fn append(&mut self, more: WorkflowFacts) {
        self.cluster_access.extend(more.cluster_access);
        self.edits.extend(more.edits);
        self.commits.extend(more.commits);
        self.deploys.extend(more.deploys);
        self.pushes.extend(more.pushes);
        self.builds.extend(more.builds);
        self.secrets_created.extend(more.secrets_created);
        self.checkouts.extend(more.checkouts);
    }
}

/// How a CI step's script becomes facts: the one reading of
/// `script::ScriptFacts` for GitHub `run:` and Azure Pipelines scripts,
/// each host saying how its raw values expand, where its paths are, where
/// a span lies among its steps, and which clones are of another repository.
pub(super) struct ScriptReader<'a> {
    /// The text the script was analysed as (ranges index it).
    pub text: &'a str,
    pub span: &'a dyn Fn(std::ops::Range<usize>) -> Span,
    pub value: &'a dyn Fn(&str) -> String,
    pub path: &'a dyn Fn(&str) -> String,
    pub pos: &'a dyn Fn(Span) -> StepPos,
    pub repository: &'a dyn Fn(String) -> Option<String>,
}

impl ScriptReader<'_> {
    pub fn add(&self, sf: script::ScriptFacts, facts: &mut WorkflowFacts) {
        let (span, value, path) = (self.span, self.value, self.path);
        for h in sf.cluster_access {
            let what = format!("`{}`", h.what);
            facts.cluster_access.push(Hit {
                what,
                span: span(h.range),
            });
        }
        for h in sf.commits {
            facts.commits.push(Hit {
                what: h.what,
                span: span(h.range),
            });
        }
        for c in sf.clones {
            let span = span(c.range);
            facts.checkouts.push(CheckoutFact {
                pos: (self.pos)(span),
                repository: (self.repository)(value(&c.url)),
                path: path(&c.dir.value),
                span,
            });
        }
        for e in sf.edits {
            let span = span(e.range.clone());
            facts.edits.push(EditFact {
                pos: (self.pos)(span),
                tool: e.tool,
                files: e.files.iter().map(|p| path(&p.value)).collect(),
                images: e.images.iter().map(|i| value(i)).collect(),
                text: value(self.text.get(e.range).unwrap_or("")),
                span,
            });
        }
        for d in sf.deploys {
            let set_images = d
                .images
                .into_iter()
                .map(|i| (i.part, Spanned::new(value(&i.value), span(i.range))))
                .collect();
            let span = span(d.range);
            facts.deploys.push(DeployFact {
                pos: (self.pos)(span),
                via: d.tool,
                paths: d.paths.iter().map(|p| path(&p.value)).collect(),
                namespace: d.namespace.map(|n| value(&n)),
                span,
                images: Vec::new(),
                set_images,
                pull_secrets: Vec::new(),
            });
        }
        for (list, found) in [
            (&mut facts.pushes, sf.pushes),
            (&mut facts.builds, sf.builds),
        ] {
            list.extend(found.into_iter().map(|p| PushFact {
                image: value(&p.value),
                span: span(p.range),
            }));
        }
        for s in sf.pull_secrets {
            facts.secrets_created.push(SecretFact {
                name: value(&s.name),
                namespace: s.namespace.map(|n| value(&n)),
                span: span(s.range),
            });
        }
    }
}

/// Splits a multi-line or comma-separated `with:` list into trimmed items with their value ranges.
pub fn list_items(value: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in value
        .char_indices()
        .chain(std::iter::once((value.len(), '\n')))
    {
        if c == '\n' || c == ',' {
            let raw = &value[start..i];
            let lead = raw.len() - raw.trim_start().len();
            let item = raw.trim();
            if !item.is_empty() {
                out.push((item.to_string(), start + lead..start + lead + item.len()));
            }
            start = i + c.len_utf8();
        }
    }
    out
}

fn is_kubeconfig_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase().replace(['-', '_'], "");
    n.contains("KUBECONFIG") || n.contains("KUBECONF") || n.contains("KUBECFG")
}

/// Secret names read in a value: `${{ secrets.NAME }}`.
fn secrets_read(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(i) = rest.find("secrets.") {
        let tail = &rest[i + 8..];
        let len = tail
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        out.push(&tail[..len]);
        rest = &tail[len..];
    }
    out
}

/// `$GITHUB_WORKSPACE/x` (or `${{ github.workspace }}/x`) as `x`: the
/// workspace is where relative paths already start.
fn in_workspace(p: &str) -> &str {
    for ws in [
        "$GITHUB_WORKSPACE",
        "${GITHUB_WORKSPACE}",
        "${{ github.workspace }}",
        "${{github.workspace}}",
    ] {
        if let Some(rest) = p.strip_prefix(ws) {
            if rest.is_empty() || rest.starts_with('/') {
                return rest.trim_start_matches('/');
            }
        }
    }
    p
}

/// The expressions that name the workflow's own repository.
fn is_own_repository(r: &str) -> bool {
    let r: String = r.chars().filter(|c| !c.is_whitespace()).collect();
    r.is_empty()
        || r == "${{github.repository}}"
        || r == "${{github.event.repository.full_name}}"
        || r == "$GITHUB_REPOSITORY"
        || r == "${GITHUB_REPOSITORY}"
}

struct Cx<'a, 'd, 's> {
    src: &'a str,
    facts: &'a mut WorkflowFacts,
    vars: Vars,
    workdir: String,
    step: &'a Step<'d, 's>,
    job: u32,
}

impl Cx<'_, '_, '_> {
    /// A path of this step, workspace-relative: joined onto the working
    /// directory unless it starts at the workspace.
    fn path(&self, p: &str) -> String {
        use crate::source::path::join_norm;
        let p = self.vars.expand(p);
        let from_workspace = in_workspace(&p);
        if from_workspace.len() != p.len() {
            return join_norm("", from_workspace);
        }
        let joined = join_norm(&self.workdir, &p);
        in_workspace(&joined).to_string()
    }

    /// Where in the workflow a span of this step is.
    fn pos(&self, span: Span) -> StepPos {
        StepPos {
            job: self.job,
            step: self.step.index as u32,
            offset: span.start,
        }
    }

    /// `actions/checkout`: the repository and the directory it fills.
    fn checkout(&mut self, uses_span: Span) {
        let repository = self
            .with_str("repository")
            .map(|(v, _)| v)
            .filter(|r| !is_own_repository(r));
        let path = self
            .with_str("path")
            .map(|(p, _)| crate::source::path::join_norm("", in_workspace(&p)))
            .unwrap_or_default();
        self.facts.checkouts.push(CheckoutFact {
            pos: self.pos(uses_span),
            repository,
            path,
            span: uses_span,
        });
    }

    /// The items of a multi-line or comma-separated `with:` input,
    /// expanded, each at its place in the value.
    fn with_list(&self, key: &str) -> Vec<Spanned> {
        let Some(n) = self.step.with_value(key) else {
            return Vec::new();
        };
        let raw = n.as_str().unwrap_or_default();
        list_items(raw)
            .into_iter()
            .map(|(item, r)| {
                Spanned::new(self.vars.expand(&item), value_range_span(self.src, n, r))
            })
            .collect()
    }

    fn with_str(&self, key: &str) -> Option<(String, NodeRef<'_, '_>)> {
        let n = self.step.with_value(key)?;
        Some((self.vars.expand(n.as_str()?), n))
    }

    fn script(&mut self, node: NodeRef) {
        let Some(text) = node.as_str() else { return };
        let sf = script::analyze(text);
        let map = ValueMap::new(self.src, node);
        let reader = ScriptReader {
            text,
            span: &|r| map.span(r),
            value: &|v| self.vars.expand(v),
            path: &|p| self.path(p),
            pos: &|span| self.pos(span),
            repository: &|url| (!is_own_repository(&url)).then_some(url),
        };
        let mut found = WorkflowFacts::default();
        reader.add(sf, &mut found);
        self.facts.append(found);
    }

    fn action(&mut self, action: &str, uses: NodeRef) {
        let uses_span = unquoted_span(uses);
        if let Some((_, why)) = CLUSTER_ACTIONS.iter().find(|(a, _)| *a == action) {
            self.facts.cluster_access.push(Hit {
                what: format!("`{action}` ({why})"),
                span: uses_span,
            });
        }
        if COMMIT_ACTIONS.contains(&action) {
            self.facts.commits.push(Hit {
                what: action.to_string(),
                span: uses_span,
            });
        }
        match action {
            "actions/checkout" => self.checkout(uses_span),
            "azure/k8s-deploy" => self.k8s_deploy(action, uses_span),
            "azure/k8s-create-secret" => {
                let ty = self.with_str("secret-type").map(|(v, _)| v);
                let docker = ty.as_deref().is_none_or(|t| t.contains("docker"));
                if let (true, Some((name, n))) = (docker, self.with_str("secret-name")) {
                    let span = unquoted_span(n);
                    let namespace = self.with_str("namespace").map(|(v, _)| v);
                    self.facts.secrets_created.push(SecretFact {
                        name,
                        namespace,
                        span,
                    });
                }
            }
            "docker/build-push-action" => self.build_push(),
            "mikefarah/yq" => {
                if let Some(n) = self.step.with_value("cmd") {
                    self.script(n);
                }
            }
            // Both run an inline script.
            "azure/powershell" | "azure/cli" => {
                if let Some(n) = self
                    .step
                    .with_value("inlinescript")
                    .or_else(|| self.step.with_value("inlineScript"))
                {
                    self.script(n);
                }
            }
            "fjogeleit/yaml-update-action" => self.yaml_update(),
            _ => {}
        }
    }

    /// `azure/k8s-deploy`: the manifests it applies, the images it substitutes.
    fn k8s_deploy(&mut self, action: &str, uses_span: Span) {
        let manifests = self
            .with_str("manifests")
            .map(|(v, _)| {
                list_items(&v)
                    .into_iter()
                    .map(|(p, _)| self.path(&p))
                    .collect()
            })
            .unwrap_or_default();
        let images = self.with_list("images");
        let pull_secrets = self.with_list("imagepullsecrets");
        let namespace = self.with_str("namespace").map(|(v, _)| v);
        self.facts.deploys.push(DeployFact {
            pos: self.pos(uses_span),
            via: action.to_string(),
            paths: manifests,
            namespace,
            span: uses_span,
            images,
            set_images: Vec::new(),
            pull_secrets,
        });
    }

    /// `docker/build-push-action`: its tags, pushed or only built.
    fn build_push(&mut self) {
        let push = self.with_str("push").is_some_and(|(v, _)| v == "true");
        if let Some(n) = self.step.with_value("tags") {
            if let Some(raw) = n.as_str() {
                for (item, r) in list_items(raw) {
                    let f = PushFact {
                        image: self.vars.expand(&item),
                        span: value_range_span(self.src, n, r),
                    };
                    if push {
                        self.facts.pushes.push(f)
                    } else {
                        self.facts.builds.push(f)
                    }
                }
            }
        }
    }

    /// `fjogeleit/yaml-update-action`: a value written into a manifest.
    fn yaml_update(&mut self) {
        if let Some((file, n)) = self.with_str("valueFile") {
            let images = self
                .with_str("value")
                .map(|(v, _)| vec![v])
                .unwrap_or_default();
            let files = vec![self.path(&file)];
            let text = self
                .with_str("propertyPath")
                .map(|(v, _)| v)
                .unwrap_or_default();
            self.facts.edits.push(EditFact {
                pos: self.pos(unquoted_span(n)),
                tool: EditTool::Yq,
                files,
                images,
                text,
                span: unquoted_span(n),
            });
        }
    }
}

/// `env:` and `with:` values that set KUBECONFIG or read a kubeconfig secret.
fn kubeconfig_values(facts: &mut WorkflowFacts, map: Option<NodeRef>, is_env: bool) {
    let Some(map) = map else { return };
    for (k, v) in map.entries() {
        let key = k.as_str().unwrap_or("");
        let value = v.as_str().unwrap_or("");
        if is_env && key == "KUBECONFIG" {
            facts.cluster_access.push(Hit {
                what: "`KUBECONFIG` set in `env:`".into(),
                span: unquoted_span(v),
            });
            continue;
        }
        if let Some(secret) = secrets_read(value)
            .into_iter()
            .find(|s| is_kubeconfig_name(s))
        {
            facts.cluster_access.push(Hit {
                what: format!("kubeconfig secret `{secret}`"),
                span: unquoted_span(v),
            });
        }
    }
}

/// Extracts the facts of one workflow document.
pub fn extract(file: FileId, src: &str, wf: &Workflow) -> WorkflowFacts {
    let mut facts = WorkflowFacts {
        file,
        ..Default::default()
    };
    let root_workdir = wf
        .root
        .str_at(&["defaults", "run", "working-directory"])
        .unwrap_or("");
    // Workflow-level env is visited once, not per step.
    kubeconfig_values(&mut facts, wf.root.get("env"), true);
    for (job_index, job) in wf.jobs.iter().enumerate() {
        let job_workdir = job
            .node
            .str_at(&["defaults", "run", "working-directory"])
            .unwrap_or(root_workdir);
        kubeconfig_values(&mut facts, job.env, true);
        for step in &job.steps {
            let vars = wf.vars_for(job, Some(step));
            let workdir = step
                .node
                .str_at(&["working-directory"])
                .unwrap_or(job_workdir);
            let workdir = vars.expand(workdir);
            let mut cx = Cx {
                src,
                facts: &mut facts,
                vars,
                workdir,
                step,
                job: job_index as u32,
            };
            kubeconfig_values(cx.facts, step.env, true);
            kubeconfig_values(cx.facts, step.with, false);
            if let Some(uses) = step.uses {
                if let Some(u) = uses.as_str() {
                    cx.action(&action_name(u), uses);
                }
            }
            if let Some(run) = step.run {
                cx.script(run);
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_lists() {
        let items = list_items("a.yaml, b.yaml\n  c.yaml\n");
        assert_eq!(
            items.iter().map(|i| i.0.as_str()).collect::<Vec<_>>(),
            ["a.yaml", "b.yaml", "c.yaml"]
        );
        assert_eq!(items[2].1, 17..23);
    }

    #[test]
    fn kubeconfig_secret_names() {
        assert!(is_kubeconfig_name("KUBE_CONFIG"));
        assert!(is_kubeconfig_name("prod_kubeconfig"));
        assert!(!is_kubeconfig_name("AZURE_CREDENTIALS"));
        assert_eq!(
            secrets_read("${{ secrets.KUBE_CONFIG }} x ${{ secrets.B }}"),
            ["KUBE_CONFIG", "B"]
        );
    }
}
