//! Cloud CLIs: `az` (AKS credentials and commands, `acr build`), `aws`,
//! `gcloud` and `doctl` commands that write a kubeconfig, and `kubelogin`.

use crate::script::args::{has_flag, last_value, parse_args, positionals, values};
use crate::script::shell::Word;
use crate::script::{Hit, ImageRef, ScriptFacts};

const AZ_VALUE_FLAGS: &[&str] = &[
    "-n",
    "--name",
    "-g",
    "--resource-group",
    "--subscription",
    "-t",
    "--image",
    "-r",
    "--registry",
    "-f",
    "--file",
    "--platform",
    "--build-arg",
    "--secret-build-arg",
    "--timeout",
    "--target",
    "--agent-pool",
    "--auth-mode",
    "--log-template",
    "-o",
    "--output",
    "--query",
    "--context",
    "--format",
    "--command",
    "--command-id",
    "--source-acr-auth-id",
];

pub(super) fn az(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, AZ_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let texts: Vec<&str> = pos.iter().take(3).map(|w| w.text.as_str()).collect();
    match texts.as_slice() {
        ["aks", "get-credentials", ..] => f.cluster_access.push(Hit {
            what: "az aks get-credentials".to_string(),
            range: pw.range.start..pos[1].range.end,
        }),
        ["aks", "command", rest @ ..] => {
            let (what, last) = match rest.first() {
                Some(&s) => (format!("az aks command {s}"), pos[2]),
                None => ("az aks command".to_string(), pos[1]),
            };
            f.cluster_access.push(Hit {
                what,
                range: pw.range.start..last.range.end,
            });
        }
        ["acr", "build", ..] => {
            let registry = last_value(&parsed, &["-r", "--registry"]);
            let no_push = has_flag(&parsed, &["--no-push"]);
            for v in values(&parsed, &["-t", "--image"]) {
                let value = match registry.as_deref() {
                    Some(r) if has_literal_dot(r) => format!("{r}/{}", v.text),
                    Some(r) => format!("{r}.azurecr.io/{}", v.text),
                    None => v.text.to_string(),
                };
                let image = ImageRef {
                    value,
                    range: v.range.clone(),
                };
                if no_push {
                    f.builds.push(image);
                } else {
                    f.pushes.push(image);
                }
            }
        }
        _ => {}
    }
}

/// Whether `t` has a `.` outside `${{ ... }}` expressions.
fn has_literal_dot(t: &str) -> bool {
    let mut rest = t;
    loop {
        match rest.find("${{") {
            Some(p) => {
                if rest.get(..p).is_some_and(|s| s.contains('.')) {
                    return true;
                }
                let after = rest.get(p + 3..).unwrap_or("");
                match after.find("}}") {
                    Some(q) => rest = after.get(q + 2..).unwrap_or(""),
                    None => return after.contains('.'),
                }
            }
            None => return rest.contains('.'),
        }
    }
}

const CLOUD_VALUE_FLAGS: &[&str] = &[
    "--region",
    "--profile",
    "--output",
    "--endpoint-url",
    "--name",
    "--role-arn",
    "--alias",
    "--kubeconfig",
    "--query",
    "--zone",
    "--project",
    "--location",
    "--context",
    "-t",
    "--access-token",
    "-c",
    "--config",
    "--account",
    "--configuration",
    "--format",
    "--impersonate-service-account",
    "--verbosity",
];

/// Other clouds' commands that write a kubeconfig: `aws eks
/// update-kubeconfig`, `gcloud [alpha|beta] container clusters
/// get-credentials`, `doctl kubernetes cluster kubeconfig save`.
pub(super) fn cloud_kubeconfig(prog: &str, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, CLOUD_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let t: Vec<&str> = pos.iter().take(5).map(|w| w.text.as_str()).collect();
    let n = match (prog, t.as_slice()) {
        ("aws", ["eks", "update-kubeconfig", ..]) => 2,
        ("gcloud", ["container", "clusters", "get-credentials", ..]) => 3,
        ("gcloud", ["alpha" | "beta", "container", "clusters", "get-credentials", ..]) => 4,
        (
            "doctl",
            ["kubernetes" | "k8s" | "kube", "cluster" | "clusters" | "c", "kubeconfig" | "kcfg" | "config", "save" | "s", ..],
        ) => 4,
        _ => return,
    };
    let (Some(words), Some(last)) = (t.get(..n), pos.get(n - 1)) else {
        return;
    };
    f.cluster_access.push(Hit {
        what: format!("{prog} {}", words.join(" ")),
        range: pw.range.start..last.range.end,
    });
}

pub(super) fn kubelogin(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, &["-l", "--login", "--kubeconfig", "--context", "--v"]);
    if let Some(sub) = positionals(&parsed).first() {
        if matches!(sub.text.as_str(), "convert-kubeconfig" | "get-token") {
            f.cluster_access.push(Hit {
                what: format!("kubelogin {}", sub.text),
                range: pw.range.start..sub.range.end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{access, v};

    #[test]
    fn other_cluster_access() {
        let s = "az aks get-credentials --resource-group rg --name c --overwrite-existing";
        let f = analyze(s);
        assert_eq!(f.cluster_access.len(), 1);
        assert_eq!(
            &s[f.cluster_access[0].range.clone()],
            "az aks get-credentials"
        );
        assert_eq!(
            access("az aks command invoke -g rg -n c --command \"kubectl apply -f x\""),
            v(&["az aks command invoke"])
        );
        assert_eq!(
            access("az aks command result -g rg -n c --command-id 1"),
            v(&["az aks command result"])
        );
        assert_eq!(
            access("kubelogin get-token --login azurecli"),
            v(&["kubelogin get-token"])
        );
        assert_eq!(access("az aks show -n x -g y"), Vec::<String>::new());
        let s = "aws --region eu-west-1 eks update-kubeconfig --name c";
        let f = analyze(s);
        assert_eq!(access(s), v(&["aws eks update-kubeconfig"]));
        assert_eq!(
            &s[f.cluster_access[0].range.clone()],
            "aws --region eu-west-1 eks update-kubeconfig"
        );
        assert_eq!(
            access("gcloud container clusters get-credentials c --zone z\ngcloud beta container clusters get-credentials c"),
            v(&["gcloud container clusters get-credentials", "gcloud beta container clusters get-credentials"])
        );
        assert_eq!(
            access("doctl kubernetes cluster kubeconfig save c\ndoctl k8s c kcfg s c"),
            v(&[
                "doctl kubernetes cluster kubeconfig save",
                "doctl k8s c kcfg s"
            ])
        );
        let s = "aws eks describe-cluster --name c\ngcloud container clusters list\ndoctl kubernetes cluster kubeconfig show c";
        assert_eq!(access(s), Vec::<String>::new());
    }
}
