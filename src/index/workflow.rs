//! What a workflow does, as facts for the index: the images it builds and
//! pushes, the manifests it edits, commits and deploys, the secrets it
//! creates, and every way it reaches a cluster. Values are expanded with the
//! workflow's literal `env:` and input defaults; spans point at the exact
//! `uses:` value, `with:` value or command inside a `run:` script.

use crate::finding::FileId;
use crate::model::workflow::{action_name, value_range_span, Step, ValueMap, Vars, Workflow};
use crate::script::{self, EditTool};
use crate::yaml::{unquoted_span, NodeRef, Span, Spanned};

/// Actions whose purpose is access to a cluster. The one list of them.
pub const CLUSTER_ACTIONS: &[(&str, &str)] = &[
    (
        "azure/aks-set-context",
        "writes a kubeconfig for an AKS cluster",
    ),
    ("azure/k8s-set-context", "writes a kubeconfig for a cluster"),
    ("azure/k8s-deploy", "deploys to a cluster"),
    ("azure/k8s-create-secret", "creates a secret in a cluster"),
    (
        "azure/use-kubelogin",
        "sets up kubelogin to authenticate to AKS",
    ),
    ("azure/aks-login", "writes a kubeconfig for an AKS cluster"),
    (
        "google-github-actions/get-gke-credentials",
        "writes a kubeconfig for a GKE cluster",
    ),
    ("aws-actions/amazon-eks-fargate", "talks to an EKS cluster"),
    ("steebchen/kubectl", "runs kubectl against a cluster"),
    ("actions-hub/kubectl", "runs kubectl against a cluster"),
    ("tale/kubectl-action", "writes a kubeconfig"),
    ("deliverybot/helm", "runs helm against a cluster"),
    (
        "wahyd4/kubectl-helm-action",
        "runs kubectl and helm against a cluster",
    ),
    ("koslib/helm-eks-action", "runs helm against an EKS cluster"),
    (
        "ianbelcher/eks-kubectl-action",
        "runs kubectl against an EKS cluster",
    ),
    (
        "kodermax/kubectl-aws-eks",
        "runs kubectl against an EKS cluster",
    ),
    (
        "digitalocean/action-doctl",
        "can write a kubeconfig for a DOKS cluster",
    ),
];

/// Actions that commit or propose changes to the repository.
pub const COMMIT_ACTIONS: &[&str] = &[
    "stefanzweifel/git-auto-commit-action",
    "endbug/add-and-commit",
    "peter-evans/create-pull-request",
    "ad-m/github-push-action",
    "actions-js/push",
    "github-actions-x/commit",
    "planetscale/ghcommit-action",
];

#[derive(Debug, Clone)]
pub struct Hit {
    pub what: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct EditFact {
    pub tool: EditTool,
    /// Target files, repository-relative (may still hold unresolved variables).
    pub files: Vec<String>,
    /// Image values written, when visible (expanded).
    pub images: Vec<String>,
    /// The command's text, expanded: what it mentions decides whether it updates a tag.
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct DeployFact {
    pub via: String,
    /// Manifest paths, repository-relative.
    pub paths: Vec<String>,
    pub namespace: Option<String>,
    pub span: Span,
    /// k8s-deploy `images:` entries (expanded) with their spans.
    pub images: Vec<Spanned>,
    /// Image values a command sets (`kubectl set image`, `helm --set
    /// image.tag=`), expanded, with their spans.
    pub set_images: Vec<(script::ImagePart, Spanned)>,
    /// k8s-deploy `imagepullsecrets:`.
    pub pull_secrets: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PushFact {
    /// The pushed reference, expanded.
    pub image: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct SecretFact {
    pub name: String,
    pub namespace: Option<String>,
    pub span: Span,
}

#[derive(Debug, Clone, Default)]
pub struct WorkflowFacts {
    pub file: FileId,
    /// Ways the workflow reaches a cluster (actions, commands, kubeconfig env/secrets).
    pub cluster_access: Vec<Hit>,
    pub edits: Vec<EditFact>,
    pub commits: Vec<Hit>,
    pub deploys: Vec<DeployFact>,
    pub pushes: Vec<PushFact>,
    pub builds: Vec<PushFact>,
    pub secrets_created: Vec<SecretFact>,
}

/// Splits a multi-line or comma-separated `with:` list into trimmed items with their value ranges.
fn list_items(value: &str) -> Vec<(String, std::ops::Range<usize>)> {
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

struct Cx<'a, 'd, 's> {
    src: &'a str,
    facts: &'a mut WorkflowFacts,
    vars: Vars,
    workdir: String,
    step: &'a Step<'d, 's>,
}

impl Cx<'_, '_, '_> {
    fn path(&self, p: &str) -> String {
        let p = self.vars.expand(p);
        crate::source::path::join_norm(&self.workdir, &p)
    }

    fn with_str(&self, key: &str) -> Option<(String, NodeRef<'_, '_>)> {
        let n = self.step.with_value(key)?;
        Some((self.vars.expand(n.as_str()?), n))
    }

    fn script(&mut self, node: NodeRef) {
        let Some(text) = node.as_str() else { return };
        let sf = script::analyze(text);
        let map = ValueMap::new(self.src, node);
        let span = |r: std::ops::Range<usize>| map.span(r);
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
            let files = e.files.iter().map(|p| self.path(&p.value)).collect();
            let images = e.images.iter().map(|i| self.vars.expand(i)).collect();
            let text = self.vars.expand(text.get(e.range.clone()).unwrap_or(""));
            self.facts.edits.push(EditFact {
                tool: e.tool,
                files,
                images,
                text,
                span: span(e.range),
            });
        }
        for d in sf.deploys {
            let paths = d.paths.iter().map(|p| self.path(&p.value)).collect();
            let namespace = d.namespace.map(|n| self.vars.expand(&n));
            let set_images = d
                .images
                .into_iter()
                .map(|i| {
                    (
                        i.part,
                        Spanned::new(self.vars.expand(&i.value), span(i.range)),
                    )
                })
                .collect();
            self.facts.deploys.push(DeployFact {
                via: d.tool,
                paths,
                namespace,
                span: span(d.range),
                images: Vec::new(),
                set_images,
                pull_secrets: Vec::new(),
            });
        }
        for p in sf.pushes {
            self.facts.pushes.push(PushFact {
                image: self.vars.expand(&p.value),
                span: span(p.range),
            });
        }
        for p in sf.builds {
            self.facts.builds.push(PushFact {
                image: self.vars.expand(&p.value),
                span: span(p.range),
            });
        }
        for s in sf.pull_secrets {
            self.facts.secrets_created.push(SecretFact {
                name: self.vars.expand(&s.name),
                namespace: s.namespace.map(|n| self.vars.expand(&n)),
                span: span(s.range),
            });
        }
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
        let images = match self.step.with_value("images") {
            Some(n) => n
                .as_str()
                .map(|raw| {
                    list_items(raw)
                        .into_iter()
                        .map(|(item, r)| {
                            Spanned::new(self.vars.expand(&item), value_range_span(self.src, n, r))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        let pull_secrets = self
            .with_str("imagepullsecrets")
            .map(|(v, _)| list_items(&v).into_iter().map(|(s, _)| s).collect())
            .unwrap_or_default();
        let namespace = self.with_str("namespace").map(|(v, _)| v);
        self.facts.deploys.push(DeployFact {
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
    for job in &wf.jobs {
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
