//! The facts found in a script: what `analyze` returns, and the hits,
//! images, paths, edits, pull secrets and deploys it is made of.

use std::ops::Range;

/// A command (or part of one) that matters, e.g. `kubectl apply`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Hit {
    /// Short description, e.g. "kubectl apply", "az aks get-credentials".
    pub what: String,
    pub range: Range<usize>,
}

/// An image reference: raw word text (may contain `$VAR` / `${{ }}`), range
/// of that word.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImageRef {
    pub value: String,
    pub range: Range<usize>,
}

/// A file/dir path as written, joined onto the command's cwd when relative
/// and cwd is known, and normalised (`./k8s/` -> `k8s`). Paths starting with
/// `/`, `~` or `$` (a variable or `${{ }}`) and URLs are kept as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PathRef {
    pub value: String,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EditTool {
    Sed,
    Yq,
    KustomizeEditSetImage,
    PowerShellSetContent,
    /// `awk -i inplace`.
    Other,
}

/// An in-place edit of files (a candidate manifest tag update).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    pub tool: EditTool,
    pub files: Vec<PathRef>,
    /// Image values written, when visible (sed replacement text after
    /// `image:`, yq assigned string, kustomize `name=newName:tag` value,
    /// PowerShell string after `image:`; also the whole replacement of a
    /// substitution whose pattern is the same `REGISTRY/REPO:` followed by a
    /// regex, e.g. `s|r.io/app:.*|r.io/app:v2|`).
    pub images: Vec<String>,
    /// The whole command.
    pub range: Range<usize>,
}

/// `kubectl create secret docker-registry NAME`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SecretCreate {
    pub name: String,
    pub namespace: Option<String>,
    /// The NAME word.
    pub range: Range<usize>,
}

/// A command that applies manifests to a cluster.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deploy {
    /// "kubectl apply", "kubectl create", "kubectl replace", "helm install",
    /// "helm upgrade".
    pub tool: String,
    /// Manifest files/dirs (`-f`, `-k`), or the local chart and values files.
    /// Stdin (`-f -`) is not recorded.
    pub paths: Vec<PathRef>,
    pub namespace: Option<String>,
    /// The whole command.
    pub range: Range<usize>,
    /// Images the command sets directly: `kubectl set image`, `kubectl
    /// run`/`create deployment --image`, `helm --set image…=`.
    pub images: Vec<DeployImage>,
}

/// Which part of an image reference a deploy command sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImagePart {
    /// A whole reference (`web=r.io/web:1.2`, `--image=r.io/web:1.2`, `--set image=…`).
    Reference,
    /// Only the tag (`--set image.tag=1.2`).
    Tag,
    /// The repository, maybe with its registry (`--set image.repository=r.io/web`).
    Repository,
}

/// An image value a deploy command sets, as written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeployImage {
    pub part: ImagePart,
    pub value: String,
    /// The value's range when it can be told apart in its word, else the word's.
    pub range: Range<usize>,
}

/// `git clone URL [DIR]` or `gh repo clone REPO [DIR]`: another repository
/// (or this one again) checked out into a directory of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Clone {
    /// The URL or `owner/name`, as written (it may hold a token: never shown).
    pub url: String,
    /// The directory it is cloned into (the URL's last part by default).
    pub dir: PathRef,
    /// The whole command.
    pub range: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ScriptFacts {
    /// Commands that give the runner access to a cluster.
    pub cluster_access: Vec<Hit>,
    /// Commands that apply manifests to a cluster (also in `cluster_access`).
    pub deploys: Vec<Deploy>,
    /// Images built (`docker build -t`, `buildx build -t` without `--push`,
    /// `docker tag SRC DST`).
    pub builds: Vec<ImageRef>,
    /// Images pushed.
    pub pushes: Vec<ImageRef>,
    /// In-place edits of files (candidate manifest tag updates).
    pub edits: Vec<Edit>,
    /// `git commit` / `git push`.
    pub commits: Vec<Hit>,
    /// `git clone`, `gh repo clone`.
    pub clones: Vec<Clone>,
    pub pull_secrets: Vec<SecretCreate>,
}
