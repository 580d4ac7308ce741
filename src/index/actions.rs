//! GitHub Actions that matter to the guardrails: those that reach a
//! cluster and those that commit, by name.

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
