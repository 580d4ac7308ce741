//! `helm`: cluster access, and deploys (`install`, `upgrade`) with their
//! local chart and values files. It has no tests of its own: its cases are
//! in tests that cover other families too (`deploys` in `analyze`,
//! `other_cluster_access` in `cloud`).

use crate::script::args::{
    dry_run, has_flag, is_stream, last_value, parse_args, path_ref, positionals, split_list,
    values, DryRun,
};
use crate::script::shell::{Command, Word};
use crate::script::{Deploy, Hit, ScriptFacts};

const HELM_VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "--kube-context",
    "--kubeconfig",
    "--kube-apiserver",
    "--kube-token",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-ca-file",
    "--kube-tls-server-name",
    "--burst-limit",
    "--qps",
    "--registry-config",
    "--repository-config",
    "--repository-cache",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--set-literal",
    "--version",
    "--repo",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--keyring",
    "--timeout",
    "--description",
    "--post-renderer",
    "--post-renderer-args",
    "--name-template",
    "--history-max",
    "--max",
    "-o",
    "--output",
    "-l",
    "--labels",
    "--selector",
    "--filter",
    "--revision",
    "--time-format",
    "-a",
    "--api-versions",
    "--kube-version",
    "--offset",
    "--output-dir",
    "-d",
    "--destination",
];

const HELM_CLUSTER_SUBS: &[&str] = &[
    "install",
    "upgrade",
    "uninstall",
    "delete",
    "del",
    "un",
    "rollback",
    "list",
    "ls",
    "status",
    "get",
    "test",
    "history",
    "hist",
];

pub(super) fn helm(cmd: &Command, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, HELM_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let Some(&sub) = pos.first() else { return };
    let sub_t = sub.text.as_str();
    let dry = dry_run(&parsed);
    if !HELM_CLUSTER_SUBS.contains(&sub_t)
        || dry == DryRun::Client
        || has_flag(&parsed, &["-h", "--help"])
    {
        return;
    }
    f.cluster_access.push(Hit {
        what: format!("helm {sub_t}"),
        range: pw.range.start..sub.range.end,
    });
    if !matches!(sub_t, "install" | "upgrade") || dry == DryRun::Server {
        return;
    }
    let cwd = cmd.cwd.as_deref();
    let rest = pos.get(1..).unwrap_or(&[]);
    // `helm install NAME CHART`, `helm install CHART --generate-name`.
    let chart = match rest {
        [_, chart, ..] | [chart] => Some(*chart),
        [] => None,
    };
    let mut paths = Vec::new();
    if let Some(c) = chart {
        let t = c.text.as_str();
        if t.starts_with(['.', '/']) || (t.contains('/') && !t.contains(':')) {
            paths.push(path_ref(t, c.range.clone(), cwd));
        }
    }
    for v in values(&parsed, &["-f", "--values"]) {
        for p in split_list(v.text).into_iter().filter(|p| !is_stream(p)) {
            paths.push(path_ref(p, v.range.clone(), cwd));
        }
    }
    f.deploys.push(Deploy {
        tool: format!("helm {sub_t}"),
        paths,
        namespace: last_value(&parsed, &["-n", "--namespace"]),
        range: cmd.range(),
    });
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{access, paths, v};

    #[test]
    fn cluster_access() {
        for sub in [
            "install a b",
            "upgrade a b",
            "uninstall a",
            "delete a",
            "rollback a 1",
            "list",
            "ls -A",
            "status a",
            "get values a",
            "test a",
            "history a",
        ] {
            assert_eq!(access(&format!("helm {sub}")).len(), 1, "{sub}");
        }
        assert_eq!(
            access("helm --kube-context prod -n x list"),
            v(&["helm list"])
        );
        assert_eq!(
            access("helm upgrade x ./c --dry-run=server"),
            v(&["helm upgrade"])
        );
    }

    #[test]
    fn deploys() {
        let s = "cd deploy\nhelm upgrade --install myapp ./charts/app -n prod --create-namespace -f values.yaml --values=../env/prod.yaml --set image.tag=${{ github.sha }} --wait";
        let f = analyze(s);
        assert_eq!(f.deploys.len(), 1);
        let d = &f.deploys[0];
        assert_eq!(d.tool, "helm upgrade");
        assert_eq!(
            paths(d),
            vec!["deploy/charts/app", "deploy/values.yaml", "env/prod.yaml"]
        );
        assert_eq!(d.namespace.as_deref(), Some("prod"));
        assert_eq!(access(s), v(&["helm upgrade"]));
        let f = analyze("helm install my-release oci://registry/charts/app --version 1.2.3 -n x");
        assert!(paths(&f.deploys[0]).is_empty());
        assert_eq!(f.deploys[0].tool, "helm install");
        let f = analyze("helm install ./chart --generate-name");
        assert_eq!(paths(&f.deploys[0]), vec!["chart"]);
        let f = analyze("helm upgrade -i rel bitnami/nginx");
        assert_eq!(paths(&f.deploys[0]), vec!["bitnami/nginx"]);
    }
}
