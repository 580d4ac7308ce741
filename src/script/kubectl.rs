//! `kubectl`: cluster access, deploys (`apply`, `create`, `replace` with
//! `-f`/`-k`) and image pull secrets (`create secret docker-registry`).

use crate::script::args::{
    dry_run, has_flag, is_stream, last_value, parse_args, path_ref, positionals, split_list,
    values, DryRun, Val,
};
use crate::script::shell::{Command, Word};
use crate::script::{Deploy, DeployImage, Hit, ImagePart, ScriptFacts, SecretCreate};

const KUBECTL_VALUE_FLAGS: &[&str] = &[
    // global
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "-s",
    "--server",
    "--cluster",
    "--user",
    "--token",
    "--as",
    "--as-group",
    "--as-uid",
    "--certificate-authority",
    "--client-certificate",
    "--client-key",
    "--request-timeout",
    "--cache-dir",
    "--tls-server-name",
    "--password",
    "--username",
    "--profile",
    "--profile-output",
    "--log-file",
    "--log-dir",
    "-v",
    "--v",
    "--vmodule",
    "--kuberc",
    // common subcommand flags
    "-f",
    "--filename",
    "-k",
    "--kustomize",
    "-o",
    "--output",
    "-l",
    "--selector",
    "--field-selector",
    "-c",
    "--container",
    "--image",
    "--replicas",
    "--timeout",
    "--for",
    "--type",
    "--from-file",
    "--from-literal",
    "--from-env-file",
    "--docker-server",
    "--docker-username",
    "--docker-password",
    "--docker-email",
    "--field-manager",
    "-p",
    "--patch",
    "--patch-file",
    "--template",
    "-L",
    "--label-columns",
    "--sort-by",
    "--port",
    "--target-port",
    "--protocol",
    "--name",
    "--revision",
    "--to-revision",
    "--grace-period",
    "--since",
    "--tail",
    "--since-time",
    "--prune-allowlist",
    "-e",
    "--env",
    "--labels",
    "--overrides",
    "--restart",
    "--serviceaccount",
    "--cert",
    "--key",
    "--min",
    "--max",
    "--cpu-percent",
    "--current-replicas",
    "--resource-version",
    "--subresource",
    "--chunk-size",
    "--max-log-requests",
    "--pod-running-timeout",
    "--address",
    "--limits",
    "--requests",
    "--image-pull-policy",
    "--external-ip",
    "--load-balancer-ip",
    "--cluster-ip",
    "--tcp",
    "--schedule",
    "--from",
    "--clusterrole",
    "--role",
    "--group",
    "--verb",
    "--resource",
    "--resource-name",
    "--non-resource-url",
    "--class",
    "--rule",
    "--default-backend",
    "--annotation",
];

/// kubectl subcommands that talk to a cluster.
const KUBECTL_CLUSTER_SUBS: &[&str] = &[
    "apply",
    "create",
    "replace",
    "patch",
    "delete",
    "edit",
    "set",
    "rollout",
    "scale",
    "autoscale",
    "label",
    "annotate",
    "expose",
    "run",
    "exec",
    "logs",
    "get",
    "describe",
    "wait",
    "port-forward",
    "proxy",
    "cp",
    "attach",
    "top",
    "drain",
    "cordon",
    "uncordon",
    "taint",
    "auth",
    "api-resources",
    "api-versions",
    "cluster-info",
    "debug",
    "events",
    "diff",
    "explain",
    "certificate",
];

/// `kubectl config` subcommands that select or configure a cluster.
const KUBECTL_CONFIG_SUBS: &[&str] = &[
    "use-context",
    "use",
    "set-cluster",
    "set-credentials",
    "set-context",
    "set",
];

pub(super) fn kubectl(cmd: &Command, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, KUBECTL_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let Some(&sub) = pos.first() else { return };
    let namespace = last_value(&parsed, &["-n", "--namespace"]);
    let sub_t = sub.text.as_str();

    // Pull secrets are recorded even with --dry-run=client: `kubectl create
    // secret docker-registry x --dry-run=client -o yaml | kubectl apply -f -`
    // is the usual idiom.
    if sub_t == "create"
        && pos.get(1).is_some_and(|w| w.text == "secret")
        && pos.get(2).is_some_and(|w| w.text == "docker-registry")
    {
        if let Some(name) = pos.get(3) {
            f.pull_secrets.push(SecretCreate {
                name: name.text.clone(),
                namespace: namespace.clone(),
                range: name.range.clone(),
            });
        }
    }

    let dry = dry_run(&parsed);
    if dry == DryRun::Client || has_flag(&parsed, &["-h", "--help"]) {
        return;
    }
    let deciding = match sub_t {
        "config" => match pos.get(1) {
            Some(&s2) if KUBECTL_CONFIG_SUBS.contains(&s2.text.as_str()) => s2,
            _ => return,
        },
        "version" if has_flag(&parsed, &["--client"]) => return,
        "version" => sub,
        _ if KUBECTL_CLUSTER_SUBS.contains(&sub_t) => sub,
        _ => return,
    };
    let what = if sub_t == "config" {
        format!("kubectl config {}", deciding.text)
    } else {
        format!("kubectl {sub_t}")
    };
    f.cluster_access.push(Hit {
        what,
        range: pw.range.start..deciding.range.end,
    });

    let last_applied = sub_t == "apply"
        && pos.get(1).is_some_and(|w| {
            matches!(
                w.text.as_str(),
                "view-last-applied" | "edit-last-applied" | "set-last-applied"
            )
        });
    if dry == DryRun::Server || last_applied {
        return;
    }
    if let Some(d) = sets_images(cmd, &pos, &parsed, namespace.clone()) {
        f.deploys.push(d);
        return;
    }
    if !matches!(sub_t, "apply" | "create" | "replace") {
        return;
    }
    let sources: Vec<&Val<'_>> =
        values(&parsed, &["-f", "--filename", "-k", "--kustomize"]).collect();
    if sources.is_empty() {
        return; // e.g. `kubectl create namespace x`
    }
    let cwd = cmd.cwd.as_deref();
    let paths = sources
        .iter()
        .flat_map(|v| {
            split_list(v.text)
                .into_iter()
                .map(move |p| (p, v.range.clone()))
        })
        .filter(|(p, _)| !is_stream(p))
        .map(|(p, r)| path_ref(p, r, cwd))
        .collect();
    f.deploys.push(Deploy {
        tool: format!("kubectl {sub_t}"),
        paths,
        namespace,
        range: cmd.range(),
        images: Vec::new(),
    });
}

/// `kubectl set image RESOURCE c=IMAGE…`, `kubectl run NAME --image=IMAGE`,
/// `kubectl create deployment|job|cronjob NAME --image=IMAGE`: a deploy
/// of the images it names.
fn sets_images(
    cmd: &Command,
    pos: &[&Word],
    parsed: &[crate::script::args::Arg<'_>],
    namespace: Option<String>,
) -> Option<Deploy> {
    let sub = pos.first()?.text.as_str();
    let second = pos.get(1).map(|w| w.text.as_str());
    let (tool, images): (&str, Vec<DeployImage>) = match (sub, second) {
        ("set", Some("image")) => {
            let images = pos[2..]
                .iter()
                .filter_map(|w| {
                    let (c, image) = w.text.split_once('=')?;
                    let exact = w.range.len() == w.text.len();
                    let start = w.range.start + c.len() + 1;
                    Some(DeployImage {
                        part: ImagePart::Reference,
                        value: image.to_string(),
                        range: if exact {
                            start..start + image.len()
                        } else {
                            w.range.clone()
                        },
                    })
                })
                .collect();
            ("kubectl set image", images)
        }
        ("run", _) | ("create", Some("deployment" | "job" | "cronjob")) => {
            let images = values(parsed, &["--image"])
                .map(|v| DeployImage {
                    part: ImagePart::Reference,
                    value: v.text.to_string(),
                    range: v.range.clone(),
                })
                .collect();
            (
                if sub == "run" {
                    "kubectl run"
                } else {
                    "kubectl create"
                },
                images,
            )
        }
        _ => return None,
    };
    Some(Deploy {
        tool: tool.to_string(),
        paths: Vec::new(),
        namespace,
        range: cmd.range(),
        images,
    })
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{access, paths, v};

    #[test]
    fn set_images() {
        let s = "kubectl -n shop set image deployment/web web=contoso.azurecr.io/web:latest sidecar=\"envoy:1.2\" --record";
        let f = analyze(s);
        let d = &f.deploys[0];
        assert_eq!(d.tool, "kubectl set image");
        assert_eq!(d.namespace.as_deref(), Some("shop"));
        let got: Vec<(&str, &str)> = d
            .images
            .iter()
            .map(|i| (i.value.as_str(), &s[i.range.clone()]))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "contoso.azurecr.io/web:latest",
                    "contoso.azurecr.io/web:latest"
                ),
                ("envoy:1.2", "sidecar=\"envoy:1.2\""),
            ]
        );
        let f = analyze("kubectl run dbg --image=busybox --restart=Never");
        assert_eq!(f.deploys[0].images[0].value, "busybox");
        let f = analyze("kubectl create deployment web --image nginx:1.25");
        assert_eq!(f.deploys[0].images[0].value, "nginx:1.25");
        // Generating a manifest deploys nothing.
        let f = analyze("kubectl create deployment web --image=nginx --dry-run=client -o yaml");
        assert!(f.deploys.is_empty());
    }

    #[test]
    fn kubectl_cluster_access() {
        let s = "kubectl -n foo apply -f x.yaml";
        let f = analyze(s);
        assert_eq!(
            &s[f.cluster_access[0].range.clone()],
            "kubectl -n foo apply"
        );
        assert_eq!(f.deploys[0].namespace.as_deref(), Some("foo"));
        assert_eq!(paths(&f.deploys[0]), vec!["x.yaml"]);

        assert_eq!(access("kubectl --context x get pods"), v(&["kubectl get"]));
        assert_eq!(
            access("kubectl --kubeconfig=/tmp/k --token t rollout status deploy/x"),
            v(&["kubectl rollout"])
        );
        assert_eq!(access("sudo kubectl delete ns x"), v(&["kubectl delete"]));
        assert_eq!(access("/usr/local/bin/kubectl get ns"), v(&["kubectl get"]));
        assert_eq!(
            access("kubectl config use-context prod"),
            v(&["kubectl config use-context"])
        );
        assert_eq!(
            access("kubectl config set-cluster c --server=https://x"),
            v(&["kubectl config set-cluster"])
        );
        assert_eq!(
            access("kubectl config set-credentials u --token=t"),
            v(&["kubectl config set-credentials"])
        );
        assert_eq!(access("kubectl explain pods"), v(&["kubectl explain"]));
        assert_eq!(access("kubectl version"), v(&["kubectl version"]));
        assert_eq!(
            access("kubectl wait --for=condition=ready pod -l app=x --timeout 60s"),
            v(&["kubectl wait"])
        );
        let f = analyze("kubectl apply -f x.yaml --dry-run=server");
        assert_eq!(f.cluster_access.len(), 1);
        assert!(f.deploys.is_empty());
        assert_eq!(access("kubectl diff -f x"), v(&["kubectl diff"]));
        assert!(analyze("kubectl diff -f x").deploys.is_empty());
        // Inside $( ) and backticks.
        assert_eq!(
            access("TOKEN=$(az aks get-credentials -n x -g y)"),
            v(&["az aks get-credentials"])
        );
        assert_eq!(
            access("PODS=`kubectl get pods -o name`"),
            v(&["kubectl get"])
        );
        // In an if condition / xargs / timeout
        assert_eq!(
            access("if ! kubectl get ns x; then echo; fi"),
            v(&["kubectl get"])
        );
        assert_eq!(
            access("ls *.yaml | xargs -n1 kubectl apply -f"),
            v(&["kubectl apply"])
        );
        assert_eq!(
            access("timeout 300 kubectl rollout status deploy/x"),
            v(&["kubectl rollout"])
        );
    }

    #[test]
    fn pull_secrets() {
        let s = "kubectl create secret docker-registry acr-secret --docker-server=x.azurecr.io --docker-username $U --docker-password=$P -n apps";
        let f = analyze(s);
        assert_eq!(f.pull_secrets.len(), 1);
        assert_eq!(f.pull_secrets[0].name, "acr-secret");
        assert_eq!(f.pull_secrets[0].namespace.as_deref(), Some("apps"));
        assert_eq!(&s[f.pull_secrets[0].range.clone()], "acr-secret");
        assert_eq!(access(s), v(&["kubectl create"]));
        assert!(f.deploys.is_empty());

        let f = analyze("kubectl --namespace=ns create secret docker-registry regcred --docker-server x --dry-run=client -o yaml | kubectl apply -f -");
        assert_eq!(f.pull_secrets[0].name, "regcred");
        assert_eq!(f.pull_secrets[0].namespace.as_deref(), Some("ns"));
        assert_eq!(f.cluster_access.len(), 1);
        let f = analyze("kubectl create secret docker-registry ${{ inputs.SECRET }} --namespace ${{ inputs.NS }}");
        assert_eq!(f.pull_secrets[0].name, "${{ inputs.SECRET }}");
        assert_eq!(
            f.pull_secrets[0].namespace.as_deref(),
            Some("${{ inputs.NS }}")
        );
        assert!(
            analyze("kubectl create secret generic x --from-literal=a=b")
                .pull_secrets
                .is_empty()
        );
    }

    #[test]
    fn github_expressions_with_spaces() {
        let s = "kubectl apply -f ${{ github.workspace }}/k8s -n ${{ github.event_name == 'push' && 'prod' || 'dev' }}";
        let f = analyze(s);
        assert_eq!(paths(&f.deploys[0]), vec!["${{ github.workspace }}/k8s"]);
        assert_eq!(
            f.deploys[0].namespace.as_deref(),
            Some("${{ github.event_name == 'push' && 'prod' || 'dev' }}")
        );
    }
}
