use crate::finding::{Finding, Location, RuleMeta, Severity};
use crate::index::checkout::Located;
use crate::index::workflow::{CheckoutFact, EditFact, PushFact, WorkflowFacts};
use crate::index::RepoIndex;
use crate::model::image::{has_placeholder, Registry, RepoName as Repo};
use crate::rules::{RepoCx, Rule};
use crate::script::EditTool;
use crate::source::remote::slug;
use crate::yaml::Spanned;

crate::declare_rule! {
    /// # workflow-image-mismatch
    ///
    /// The image a workflow builds and pushes must be the image the manifests
    /// deploy. Pushed references come from `docker build -t` / `docker push`,
    /// `docker buildx ... --push`, `docker/build-push-action` `tags:` and
    /// `az acr build -r REG -t NAME` (which pushes `REG.azurecr.io/NAME`),
    /// with the workflow's literal `env:` and input defaults resolved.
    ///
    /// Flags:
    /// - a tag-update step (sed, yq, `kustomize edit set image`, PowerShell
    ///   `Set-Content`) whose target file does not exist, or holds no image of
    ///   the pushed repository (the finding points at the command; a related
    ///   label at the push);
    /// - an `azure/k8s-deploy` `images:` entry whose repository matches no
    ///   `image:` in its `manifests:` (k8s-deploy then silently deploys the
    ///   old image).
    ///
    /// Paths are the job's workspace's (`cd`, `working-directory:`,
    /// `$GITHUB_WORKSPACE` and `${{ github.workspace }}` followed). A folder
    /// the job filled with another repository before the step
    /// (`actions/checkout` with `repository:` and `path:`, `git clone URL
    /// DIR`, `gh repo clone`) holds that repository's files: a tag bump there
    /// is judged in that repository when it is linted too (name both folders,
    /// `shipshape check app gitops`, or lint a folder holding both; it is
    /// recognised by its git remotes, or by its directory's name when it has
    /// no git config), and is not judged at all when it is not, since the
    /// file is out of sight rather than missing. `actions/checkout` of this
    /// repository with a `path:` maps that folder to the repository root.
    ///
    /// A pushed reference whose registry is only known at run time (a step
    /// output such as `$ACRSERVER`) is compared by repository path alone, and
    /// the finding is downgraded to a warning. Such a registry stands only
    /// for a host the manifest writes, one its literal text fits
    /// (`$(acr).azurecr.io/web` can be `contoso.azurecr.io/web`, never
    /// `ghcr.io/web`), never for Docker Hub implied (`$REGISTRY/web` is never
    /// `web`); a placeholder in the repository path (`$(registry)/$(repo)`)
    /// could be any image and is not compared.
    ///
    /// **Azure Pipelines**: `Docker@2` `buildAndPush`/`push` pushes
    /// `<containerRegistry>/<repository>:<tag>` for each of `tags:` (default
    /// `$(Build.BuildId)`); `containerRegistry` names a service connection,
    /// so unless it is written as a host (`contoso.azurecr.io`) the registry
    /// is known only at run time and images compare by repository path (as a
    /// warning). Scripts count as above (`docker push`, `az acr build`).
    /// `KubernetesManifest@0/1` `containers:` entries are judged like
    /// k8s-deploy `images:` against its `manifests:` (the task substitutes
    /// only an exact registry/repository match); tag bumps in scripts like
    /// `run:` scripts. Variables are the pipeline's literal `variables:` and
    /// parameter defaults (`$(x)`, `${{ variables.x }}`,
    /// `${{ parameters.x }}`); `$(Pipeline.Workspace)/<artifact>/` is mapped
    /// back to the folder a `publish:` step published.
    ///
    /// ## Why
    /// Both mistakes pass CI and deploy the *previous* image: the pipeline is
    /// green, the commit says `web:4f2c1e`, and the cluster runs yesterday's
    /// code. `azure/k8s-deploy` substitutes only `image:` lines whose
    /// repository equals the `images:` entry, and does nothing otherwise.
    ///
    /// ## Example
    /// Fails (pushes `web`, rewrites a manifest that runs `frontend`):
    /// ```yaml
    /// - run: |
    ///     docker build -t contoso.azurecr.io/web:${{ github.sha }} .
    ///     docker push contoso.azurecr.io/web:${{ github.sha }}
    ///     yq -i '.spec.template.spec.containers[0].image = "contoso.azurecr.io/web:${{ github.sha }}"' k8s/frontend.yaml
    /// ```
    /// Passes: the same, with `k8s/frontend.yaml` running `contoso.azurecr.io/web:<tag>`;
    /// and a bump in a separate GitOps repository checked out beside the code:
    /// ```yaml
    /// - uses: actions/checkout@v4
    ///   with:
    ///     repository: contoso/gitops   # judged there when it is linted too
    ///     path: gitops
    /// - run: cd gitops/apps/web && kustomize edit set image contoso.azurecr.io/web:${{ github.sha }}
    /// ```
    ///
    /// ## Options
    /// None.
    pub struct WorkflowImageMismatch {
        id: "workflow-image-mismatch",
        severity: Error,
        category: "workflow",
        summary: "a workflow pushes one image and deploys or rewrites another",
    }
}

fn images_in(index: &RepoIndex, file: u32) -> Vec<(u32, &Spanned)> {
    index
        .objects
        .iter()
        .filter(|o| o.file == file)
        .flat_map(|o| o.images.iter().map(move |i| (o.file, i)))
        .collect()
}

impl Rule for WorkflowImageMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check_repo(&self, index: &RepoIndex, cx: &mut RepoCx) {
        for wf in &index.workflows {
            let pushed: Vec<(&PushFact, Repo)> = wf
                .pushes
                .iter()
                .filter_map(|p| Repo::of(&p.image).map(|r| (p, r)))
                .collect();
            // Tag-update steps.
            if let Some((push, _)) = pushed.first() {
                for edit in wf.edits.iter().filter(|e| is_tag_update(e, &pushed)) {
                    for file in &edit.files {
                        cx.findings
                            .extend(tag_update(index, wf, edit, file, push, &pushed));
                    }
                }
            }
            deploy_images(index, wf, cx.findings);
        }
    }
}

/// A tag update writes an image, or names `image` or a pushed repository.
fn is_tag_update(edit: &EditFact, pushed: &[(&PushFact, Repo)]) -> bool {
    !edit.images.is_empty()
        || edit.tool == EditTool::KustomizeEditSetImage
        || edit.text.contains("image")
        || pushed
            .iter()
            .any(|(_, p)| edit.text.contains(&format!("{}:", p.path)))
}

/// A tag-update step's file that does not exist, or holds none of the pushed images.
fn tag_update(
    index: &RepoIndex,
    wf: &WorkflowFacts,
    edit: &EditFact,
    file: &str,
    push: &PushFact,
    pushed: &[(&PushFact, Repo)],
) -> Option<Finding> {
    let manifest_like = [".yaml", ".yml", ".json"].iter().any(|e| file.ends_with(e));
    if has_placeholder(file) || !manifest_like {
        return None;
    }
    let at = Location {
        file: wf.file,
        span: edit.span,
    };
    // A file of a repository the run does not hold is not missing: it is
    // out of sight.
    let Located::Linted {
        repo,
        path,
        checkout,
    } = index.locate(wf, edit.pos, file)
    else {
        return None;
    };
    let Some(id) = index.file_at(repo, &path) else {
        return Some(missing_file(wf, at, file, &path, checkout, push));
    };
    if edit.tool == EditTool::KustomizeEditSetImage {
        return None;
    }
    let in_file = images_in(index, id);
    if in_file.is_empty() {
        return None;
    }
    let best = in_file
        .iter()
        .filter_map(|(_, img)| Repo::of(&img.value))
        .flat_map(|r| pushed.iter().filter_map(move |(_, p)| p.matches(&r)))
        .max();
    if best == Some(true) {
        return None;
    }
    if best == Some(false) && pushed.iter().all(|(_, p)| p.run_time()) {
        // Repository paths agree and the registry is only known at run time.
        return None;
    }
    let names: Vec<String> = pushed.iter().map(|(_, p)| display_repo(p)).collect();
    let mut f = Finding::new(
        &WorkflowImageMismatch::META,
        at,
        format!("the tag-update step rewrites `{file}`, which holds no image of the pushed repository `{}`", names.join("`, `")),
    )
    .label("updates the wrong manifest")
    .related(Location { file: wf.file, span: push.span }, "pushed here")
    .help("update the manifest that runs the pushed image, or push the image this manifest runs");
    for (f_id, img) in in_file.iter().take(3) {
        f = f.related(
            Location {
                file: *f_id,
                span: img.span,
            },
            format!("`{file}` runs `{}`", img.value),
        );
    }
    if pushed.iter().any(|(_, p)| p.run_time()) {
        f = f.severity(Severity::Warning);
    }
    Some(f)
}

/// A tag-update step's file that its repository (this one, or the one
/// checked out where it points) does not have.
fn missing_file(
    wf: &WorkflowFacts,
    at: Location,
    file: &str,
    path: &str,
    checkout: Option<&CheckoutFact>,
    push: &PushFact,
) -> Finding {
    let (msg, label) = match checkout {
        None => (
            format!("the tag-update step writes `{file}`, which does not exist in the repository"),
            "no such file".to_string(),
        ),
        Some(c) => (
            format!(
                "the tag-update step writes `{file}`, but the checked-out repository {} has no `{path}`",
                repo_label(c.repository.as_deref())
            ),
            format!("no `{path}` there"),
        ),
    };
    let mut f = Finding::new(&WorkflowImageMismatch::META, at, msg)
        .label(label)
        .related(
            Location {
                file: wf.file,
                span: push.span,
            },
            "the image this workflow pushes",
        );
    if let Some(c) = checkout {
        f = f.related(
            Location {
                file: wf.file,
                span: c.span,
            },
            format!("checked out into `{}`", c.path),
        );
    }
    f.help("point the step at the manifest that deploys the pushed image")
}

/// azure/k8s-deploy `images:` against its `manifests:`.
fn deploy_images(index: &RepoIndex, wf: &WorkflowFacts, findings: &mut Vec<Finding>) {
    for d in wf.deploys.iter().filter(|d| !d.images.is_empty()) {
        let manifest_images: Vec<(u32, &Spanned)> = d
            .paths
            .iter()
            .filter_map(|p| match index.locate(wf, d.pos, p) {
                Located::Linted { repo, path, .. } => index.file_at(repo, &path),
                Located::Elsewhere { .. } => None,
            })
            .flat_map(|id| images_in(index, id))
            .collect();
        if manifest_images.is_empty() {
            continue;
        }
        for entry in &d.images {
            let Some(want) = Repo::of(&entry.value) else {
                continue;
            };
            let best = manifest_images
                .iter()
                .filter_map(|(_, i)| Repo::of(&i.value))
                .filter_map(|r| want.matches(&r))
                .max();
            if best.is_some() {
                continue;
            }
            let mut f = Finding::new(
                &WorkflowImageMismatch::META,
                Location { file: wf.file, span: entry.span },
                format!("`{}` substitutes `{}`, but no manifest it deploys runs that repository", d.via, display_repo(&want)),
            )
            .label("matches no `image:` in `manifests:`")
            .help(format!("{} only replaces `image:` values whose repository equals this entry's; make them agree or it deploys the manifest's old image", tool_name(&d.via)));
            for (fid, img) in manifest_images.iter().take(3) {
                f = f.related(
                    Location {
                        file: *fid,
                        span: img.span,
                    },
                    format!("manifest image `{}`", img.value),
                );
            }
            if want.run_time() {
                f = f.severity(Severity::Warning);
            }
            findings.push(f);
        }
    }
}

/// A checked-out repository as messages name it: its `owner/name` (never
/// the URL, which may hold a token).
fn repo_label(repository: Option<&str>) -> String {
    match repository.and_then(slug) {
        Some(s) => format!("`{s}`"),
        None => "it names".to_string(),
    }
}

/// A deploy tool as the help names it.
fn tool_name(via: &str) -> String {
    match via {
        "azure/k8s-deploy" => "k8s-deploy".to_string(),
        other => format!("`{other}`"),
    }
}

fn display_repo(r: &Repo) -> String {
    match &r.registry {
        Registry::Known { host, .. } => format!("{host}/{}", r.path),
        Registry::RunTime(_) => format!("<registry known at run time>/{}", r.path),
    }
}
