use crate::finding::{Finding, Location, RuleMeta};
use crate::index::RepoIndex;
use crate::rules::{RepoCx, Rule};

use super::mode::{decide, WfMode};

crate::declare_rule! {
    /// # pull-mode-cluster-credentials
    ///
    /// In a pull-mode (GitOps) workflow, anything that gives the runner access
    /// to the cluster: the actions `azure/aks-set-context`,
    /// `azure/k8s-set-context`, `azure/k8s-deploy`, `azure/k8s-create-secret`,
    /// `azure/use-kubelogin` and their equivalents; in `run:` scripts
    /// `az aks get-credentials`, `az aks command invoke`,
    /// `kubelogin convert-kubeconfig`, a `kubectl` or `helm` command that talks
    /// to a cluster, writing `~/.kube/config` or setting `KUBECONFIG`; and
    /// `env:`/`with:` values that read a kubeconfig secret.
    ///
    /// Not violations: `azure/login`, `az acr login|build|import`,
    /// `azure/docker-login`, `azure/setup-kubectl` or `setup-helm` alone,
    /// `kustomize build|edit`, `kubectl kustomize`, `helm template|lint`,
    /// `kubectl ... --dry-run=client`, and command words inside quoted
    /// strings, comments or heredocs.
    ///
    /// **Which workflows are pull-mode**, per workflow: with `mode: auto`, a
    /// workflow that edits Kubernetes manifests (sed, yq, `kustomize edit`,
    /// PowerShell `Set-Content`) and commits or proposes them (`git commit`,
    /// `git push`, git-auto-commit-action, add-and-commit,
    /// create-pull-request), or that deploys manifests an Argo CD Application
    /// or Flux Kustomization in this repository syncs. `mode: pull` makes every
    /// workflow pull-mode, `mode: push` none. `shipshape check --explain-mode`
    /// prints each workflow's mode and the evidence.
    ///
    /// **Azure Pipelines** (`azure-pipelines.y{a,}ml`, files under
    /// `.azure-pipelines/`, `azure-pipelines/`, `.pipelines/`, and pipelines
    /// elsewhere told by their content) are judged the same way. Cluster
    /// access there: `KubernetesManifest@0/1` (any action but `bake`),
    /// `Kubernetes@0/1` (any command; `login` keeps the connection),
    /// `HelmDeploy@0/1` (any command but `package`/`save`),
    /// `AzureFunctionOnKubernetes`, a `deployment` job whose `environment:`
    /// names a resource (`env.resource`, `resourceName`), `KUBECONFIG` in a
    /// step's `env:`, and the scripts of `script:`/`bash:`/`pwsh:`/
    /// `powershell:`, `Bash@3`, `PowerShell@2`, `CmdLine@2` and `AzureCLI@2/3`
    /// `inlineScript` (`az aks get-credentials`, `kubectl`, `helm`, as above).
    /// A pipeline is pull-mode when such a script edits manifests and commits
    /// them. `Docker@2` and `az acr login|build` are not cluster access.
    /// Local `template:` references (step, job, stage, variable, `extends:`)
    /// are followed: what a template does counts for the pipeline and is
    /// reported at the reference; a template is not judged on its own.
    ///
    /// ## Why
    /// In the pull model the operator inside the cluster (Argo CD, Flux) does
    /// the deploying, and nothing outside the cluster holds credentials to it.
    /// A pull workflow that also logs into the cluster keeps the attack surface
    /// of push mode (a stolen workflow token can change the cluster) while
    /// giving up its visibility, and it races the operator, which reverts
    /// whatever the workflow applied by hand.
    ///
    /// ## Example
    /// Fails (the workflow commits a new tag for Argo CD, and also logs into AKS):
    /// ```yaml
    /// steps:
    ///   - uses: azure/aks-set-context@v3
    ///     with: { cluster-name: aks, resource-group: rg }
    ///   - run: |
    ///       sed -i "s|image: .*|image: contoso.azurecr.io/web:${{ github.sha }}|" k8s/web.yaml
    ///       git commit -am "web ${{ github.sha }}" && git push
    /// ```
    /// Passes:
    /// ```yaml
    /// steps:
    ///   - uses: azure/login@v2
    ///   - run: az acr login -n contoso
    ///   - run: |
    ///       sed -i "s|image: .*|image: contoso.azurecr.io/web:${{ github.sha }}|" k8s/web.yaml
    ///       git commit -am "web ${{ github.sha }}" && git push
    /// ```
    ///
    /// ## Options
    /// `mode: auto | push | pull`.
    pub struct PullModeClusterCredentials {
        id: "pull-mode-cluster-credentials",
        severity: Error,
        category: "workflow",
        summary: "a pull-mode (GitOps) workflow that holds cluster credentials",
    }
}

impl Rule for PullModeClusterCredentials {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        for wf in &index.workflows {
            if wf.cluster_access.is_empty() {
                continue;
            }
            let d = decide(wf, index, cx.config);
            if d.mode != WfMode::Pull {
                continue;
            }
            let reason = d
                .evidence
                .iter()
                .map(|e| e.what.as_str())
                .collect::<Vec<_>>()
                .join(" and ");
            for hit in &wf.cluster_access {
                let mut f = Finding::new(
                    &Self::META,
                    Location { file: wf.file, span: hit.span },
                    format!("pull-mode workflow reaches the cluster: {}", hit.what),
                )
                .label("cluster access")
                .help("in pull mode the operator inside the cluster deploys: remove this step and let the workflow only build, push and commit the new tag (`--explain-mode` shows why this workflow is pull-mode)");
                if let Some(e) = d.evidence.iter().find(|e| e.span.is_some()) {
                    f = f.related(
                        Location {
                            file: wf.file,
                            span: e.span.unwrap_or_default(),
                        },
                        format!("pull mode: {reason}"),
                    );
                }
                cx.findings.push(f);
            }
        }
    }
}
