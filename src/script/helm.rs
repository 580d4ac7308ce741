//! `helm`: cluster access, and deploys (`install`, `upgrade`) with their
//! local chart and values files. It has no tests of its own: its cases are
//! in tests that cover other families too (`deploys` in `analyze`,
//! `other_cluster_access` in `cloud`).

use crate::script::args::{
    dry_run, has_flag, is_stream, last_value, parse_args, path_ref, positionals, split_list,
    values, DryRun, Val,
};
use crate::script::shell::{Command, Word};
use crate::script::{Deploy, DeployImage, Hit, ImagePart, ScriptFacts};

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
    let images = values(&parsed, &["--set", "--set-string"])
        .flat_map(set_images)
        .collect();
    f.deploys.push(Deploy {
        tool: format!("helm {sub_t}"),
        paths,
        namespace: last_value(&parsed, &["-n", "--namespace"]),
        range: cmd.range(),
        images,
    });
}

/// The image values of one `--set a=b,c=d`: keys `image`, `*.image`
/// (a reference), `image.tag`, `*.image.tag`/`*Image.tag` (a tag) and
/// `image.repository` (a repository).
fn set_images(v: &Val<'_>) -> Vec<DeployImage> {
    let mut out = Vec::new();
    let mut at = 0;
    // An unquoted word's text is its source: offsets within it hold.
    let exact = v.range.len() == v.text.len();
    for item in v.text.split(',') {
        let start = at;
        at += item.len() + 1;
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        let mut parts = key.rsplit('.');
        let last = parts.next().unwrap_or("");
        let image_key = |k: &str| k.eq_ignore_ascii_case("image") || k.ends_with("Image");
        let part = match last {
            "tag" if parts.next().is_some_and(image_key) => ImagePart::Tag,
            "repository" if parts.next().is_some_and(image_key) => ImagePart::Repository,
            k if image_key(k) => ImagePart::Reference,
            _ => continue,
        };
        if value.is_empty() {
            continue;
        }
        let range = if exact {
            let s = v.range.start + start + key.len() + 1;
            s..s + value.len()
        } else {
            v.range.clone()
        };
        out.push(DeployImage {
            part,
            value: value.to_string(),
            range,
        });
    }
    out
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

    #[test]
    fn set_images() {
        use crate::script::ImagePart;
        let s = "helm upgrade -i web ./c --set image.tag=latest,replicas=2 --set-string api.image.repository=docker.io/api --set sidecarImage=busybox --set image.pullPolicy=Always";
        let f = analyze(s);
        let got: Vec<(ImagePart, &str, &str)> = f.deploys[0]
            .images
            .iter()
            .map(|i| (i.part, i.value.as_str(), &s[i.range.clone()]))
            .collect();
        assert_eq!(
            got,
            vec![
                (ImagePart::Tag, "latest", "latest"),
                (ImagePart::Repository, "docker.io/api", "docker.io/api"),
                (ImagePart::Reference, "busybox", "busybox"),
            ]
        );
        // A quoted word: the whole word is the span.
        let s = "helm install web ./c --set \"image.tag=latest\"";
        let f = analyze(s);
        let i = &f.deploys[0].images[0];
        assert_eq!(&s[i.range.clone()], "\"image.tag=latest\"");
    }
}
