//! Snapshots of the human, JSON, SARIF and GitHub output on the fixtures:
//! what users see.

mod common;

use common::*;

fn human(dir: &str) -> String {
    let out = check(&fixture(dir), &["."]);
    scrub(&String::from_utf8_lossy(&out.stdout))
}

#[test]
fn human_push_voting_app() {
    insta::assert_snapshot!(human("push-voting-app"));
}

#[test]
fn human_pull_flask_app() {
    insta::assert_snapshot!(human("pull-flask-app"));
}

#[test]
fn json_pull_flask_app() {
    let out = check(&fixture("pull-flask-app"), &["--format", "json", "."]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// The `results` of the SARIF log, as written (the envelope, with every
/// rule's documentation, has its own snapshot).
fn sarif_results(dir: &str) -> String {
    let out = check(&fixture(dir), &["--format", "sarif", "."]);
    let s = String::from_utf8_lossy(&out.stdout).into_owned();
    let at = s.find("      \"results\": [").expect("results");
    s[at..].to_string()
}

#[test]
fn sarif_push_voting_app() {
    insta::assert_snapshot!(sarif_results("push-voting-app"));
}

#[test]
fn sarif_pull_flask_app() {
    insta::assert_snapshot!(sarif_results("pull-flask-app"));
}

/// Everything but the results, the working directory's URI scrubbed.
#[test]
fn sarif_envelope() {
    let out = check(&fixture("pull-flask-app"), &["--format", "sarif", "."]);
    let s = String::from_utf8_lossy(&out.stdout);
    let head = &s[..s.find("      \"results\": [").expect("results")];
    let scrubbed: Vec<String> = head
        .lines()
        .map(|l| match l.find("\"uri\": \"file:///") {
            Some(i) => format!("{}\"uri\": \"file:///[WORKING DIRECTORY]/\"", &l[..i]),
            None => l.to_string(),
        })
        .collect();
    insta::assert_snapshot!(scrubbed.join("\n"));
}

#[test]
fn github_push_voting_app() {
    let out = check(&fixture("push-voting-app"), &["--format", "github", "."]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn github_pull_flask_app() {
    let out = check(&fixture("pull-flask-app"), &["--format", "github", "."]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn human_reference_early_pull() {
    insta::assert_snapshot!(human("reference/early-pull-aks"));
}

macro_rules! rule_snapshots {
    ($($name:ident => $dir:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                insta::assert_snapshot!(human($dir));
            }
        )*
    };
}

rule_snapshots! {
    rule_invalid_yaml_fail => "rules/invalid-yaml/fail",
    rule_invalid_yaml_pass => "rules/invalid-yaml/pass",
    rule_invalid_yaml_fail_templates => "rules/invalid-yaml/fail-templates",
    rule_invalid_yaml_pass_templates => "rules/invalid-yaml/pass-templates",
    rule_unpinned_image_fail => "rules/unpinned-image/fail",
    rule_unpinned_image_pass => "rules/unpinned-image/pass",
    rule_unpinned_image_fail_kustomize => "rules/unpinned-image/fail-kustomize",
    rule_unpinned_image_pass_kustomize => "rules/unpinned-image/pass-kustomize",
    rule_unpinned_image_fail_workflow_deploy => "rules/unpinned-image/fail-workflow-deploy",
    rule_unpinned_image_pass_tools => "rules/unpinned-image/pass-tools",
    rule_unpinned_image_pass_workflow_deploy => "rules/unpinned-image/pass-workflow-deploy",
    rule_unpinned_image_fail_helm => "rules/unpinned-image/fail-helm",
    rule_unpinned_image_pass_helm => "rules/unpinned-image/pass-helm",
    rule_untrusted_registry_fail => "rules/untrusted-registry/fail",
    rule_untrusted_registry_pass => "rules/untrusted-registry/pass",
    rule_untrusted_registry_fail_helm => "rules/untrusted-registry/fail-helm",
    rule_untrusted_registry_pass_helm => "rules/untrusted-registry/pass-helm",
    rule_missing_pull_secret_fail => "rules/missing-pull-secret/fail",
    rule_missing_pull_secret_pass => "rules/missing-pull-secret/pass",
    rule_unresolved_pull_secret_fail => "rules/unresolved-pull-secret/fail",
    rule_unresolved_pull_secret_pass => "rules/unresolved-pull-secret/pass",
    rule_unresolved_pull_secret_fail_deploy_steps => "rules/unresolved-pull-secret/fail-deploy-steps",
    rule_unresolved_pull_secret_pass_deploy_steps => "rules/unresolved-pull-secret/pass-deploy-steps",
    rule_pull_mode_cluster_credentials_fail => "rules/pull-mode-cluster-credentials/fail",
    rule_pull_mode_cluster_credentials_pass => "rules/pull-mode-cluster-credentials/pass",
    rule_azure_pipelines_push => "rules/azure-pipelines/push",
    rule_azure_pipelines_push_run_time_registry => "rules/azure-pipelines/push-run-time-registry",
    rule_azure_pipelines_pull => "rules/azure-pipelines/pull",
    rule_azure_pipelines_pull_aks_login => "rules/azure-pipelines/pull-aks-login",
    rule_azure_pipelines_pull_templates => "rules/azure-pipelines/pull-templates",
    rule_azure_pipelines_schema_fail => "rules/azure-pipelines/schema-fail",
    rule_azure_pipelines_schema_pass => "rules/azure-pipelines/schema-pass",
    rule_operator_namespace_fail => "rules/operator-namespace/fail",
    rule_operator_namespace_pass => "rules/operator-namespace/pass",
    rule_operator_namespace_pass_flux_helpers => "rules/operator-namespace/pass-flux-helpers",
    rule_operator_namespace_pass_argocd_helpers => "rules/operator-namespace/pass-argocd-helpers",
    rule_operator_namespace_fail_app_objects => "rules/operator-namespace/fail-app-objects",
    rule_operator_namespace_fail_remote_source => "rules/operator-namespace/fail-remote-source",
    rule_workflow_image_mismatch_fail => "rules/workflow-image-mismatch/fail",
    rule_workflow_image_mismatch_pass => "rules/workflow-image-mismatch/pass",
    rule_workflow_image_mismatch_pass_separate_repo => "rules/workflow-image-mismatch/pass-separate-repo",
    rule_workflow_image_mismatch_pass_separate_repo_linted => "rules/workflow-image-mismatch/pass-separate-repo-linted",
    rule_workflow_image_mismatch_fail_separate_repo_linted => "rules/workflow-image-mismatch/fail-separate-repo-linted",
    rule_unused_ignore_fail => "rules/unused-ignore/fail",
    rule_unused_ignore_pass => "rules/unused-ignore/pass",
    rule_schema_violation_fail => "rules/schema-violation/fail",
    rule_schema_violation_pass => "rules/schema-violation/pass",
    rule_deprecated_api_fail => "rules/deprecated-api/fail",
    rule_deprecated_api_pass => "rules/deprecated-api/pass",
    rule_policies_fail_builtin => "rules/policies/fail-builtin",
    rule_policies_pass_builtin => "rules/policies/pass-builtin",
    rule_policies_fail_user => "rules/policies/fail-user",
    rule_policies_broken => "rules/policies/broken",
    rule_policies_fail_cel => "rules/policies/fail-cel",
    rule_policies_effective_namespace => "rules/policies/effective-namespace",
    rule_policies_effective_images => "rules/policies/effective-images",
    rule_policies_fail_deny => "rules/policies/fail-deny",
}

#[test]
fn rule_deprecated_api_against_an_older_target() {
    // Against 1.24, CronJob batch/v1beta1 is only deprecated (a warning),
    // and Endpoints is not deprecated yet.
    let out = check(
        &fixture("rules/deprecated-api/fail"),
        &["--kubernetes-version", "1.24", "."],
    );
    insta::assert_snapshot!(scrub(&String::from_utf8_lossy(&out.stdout)));
}
