//! Facts about a `run:` script that a GitOps linter needs: which commands
//! reach a Kubernetes cluster, deploy manifests, build or push images, edit
//! manifests in place, commit to git or create image pull secrets.
//!
//! Built on [`shell::commands`], so text inside quotes, comments and
//! heredoc bodies is never mistaken for a command.

use std::ops::Range;

use crate::source::path;
use shell::{Command, Word};

pub mod shell;

/// A command (or part of one) that matters, e.g. `kubectl apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Short description, e.g. "kubectl apply", "az aks get-credentials".
    pub what: String,
    pub range: Range<usize>,
}

/// An image reference: raw word text (may contain `$VAR` / `${{ }}`), range
/// of that word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub value: String,
    pub range: Range<usize>,
}

/// A file/dir path as written, joined onto the command's cwd when relative
/// and cwd is known, and normalised (`./k8s/` -> `k8s`). Paths starting with
/// `/`, `~` or `$` (a variable or `${{ }}`) and URLs are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRef {
    pub value: String,
    pub range: Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditTool {
    Sed,
    Yq,
    KustomizeEditSetImage,
    PowerShellSetContent,
    /// `awk -i inplace`.
    Other,
}

/// An in-place edit of files (a candidate manifest tag update).
#[derive(Debug, Clone, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretCreate {
    pub name: String,
    pub namespace: Option<String>,
    /// The NAME word.
    pub range: Range<usize>,
}

/// A command that applies manifests to a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    pub pull_secrets: Vec<SecretCreate>,
}

/// Extracts the facts of one `run:` script.
pub fn analyze(script: &str) -> ScriptFacts {
    let cmds = shell::commands(script);
    let mut facts = ScriptFacts::default();
    for (i, cmd) in cmds.iter().enumerate() {
        let piped_from = pipe_source(script, cmds.get(..i).unwrap_or(&[]), cmd);
        analyze_command(cmd, piped_from, &mut facts);
    }
    if facts
        .edits
        .iter()
        .any(|e| e.tool == EditTool::PowerShellSetContent)
    {
        let images = powershell_images(script, &cmds);
        for e in facts
            .edits
            .iter_mut()
            .filter(|e| e.tool == EditTool::PowerShellSetContent)
        {
            e.images.clone_from(&images);
        }
    }
    facts
}

/// The command piping into `cmd` (`src | cmd`), among the few before it.
fn pipe_source<'c>(script: &str, before: &'c [Command], cmd: &Command) -> Option<&'c Command> {
    let start = cmd.range().start;
    before.iter().rev().take(8).find(|c| {
        script.get(c.range().end..start).is_some_and(|gap| {
            matches!(gap.trim_matches([' ', '\t', '\\', '\r', '\n']), "|" | "|&")
        })
    })
}

fn analyze_command(cmd: &Command, piped_from: Option<&Command>, f: &mut ScriptFacts) {
    let env_hit = kubeconfig_via_github_env(cmd, piped_from, f);
    if !env_hit {
        kubeconfig_assignments(cmd, f);
    }
    kubeconfig_redirects(cmd, f);
    let (Some(pi), Some(prog)) = (cmd.program_index(), cmd.program()) else {
        return;
    };
    let Some(pw) = cmd.words.get(pi) else { return };
    let prog = prog.strip_suffix(".exe").unwrap_or(prog);
    let args = cmd.args();
    match prog {
        "kubectl" => kubectl(cmd, pw, args, f),
        "helm" => helm(cmd, pw, args, f),
        "az" => az(pw, args, f),
        "kubelogin" => kubelogin(pw, args, f),
        "aws" | "gcloud" | "doctl" => cloud_kubeconfig(prog, pw, args, f),
        "docker" | "podman" => docker(args, f),
        "git" => git(pw, args, f),
        "sed" | "gsed" => sed(cmd, args, f),
        "perl" => perl(cmd, args, f),
        "yq" => yq(cmd, args, f),
        "kustomize" => kustomize(cmd, args, f),
        "awk" | "gawk" => awk(cmd, args, f),
        "cp" | "mv" | "install" | "ln" | "tee" => kubeconfig_copy(prog, pw, args, f),
        "export" | "declare" | "typeset" | "local" | "readonly" => {
            for a in args.iter().filter(|a| a.text.starts_with("KUBECONFIG=")) {
                f.cluster_access.push(Hit {
                    what: format!("{prog} KUBECONFIG"),
                    range: pw.range.start..a.range.end,
                });
            }
        }
        _ => {
            let lower = prog.to_ascii_lowercase();
            if matches!(
                lower.as_str(),
                "set-content" | "sc" | "out-file" | "add-content" | "ac"
            ) {
                powershell_write(cmd, pw, &lower, args, f);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Argument parsing

/// A flag value: its text and the range of the word that holds it.
struct Val<'a> {
    text: &'a str,
    range: Range<usize>,
}

enum Arg<'a> {
    Pos(&'a Word),
    Flag {
        name: &'a str,
        value: Option<Val<'a>>,
    },
}

/// Splits `args` into positionals and flags. `--name=value`, `-n=value` and
/// `-nvalue` carry their value; a flag in `value_flags` given alone takes the
/// next word; any other flag is boolean. `--` ends the flags.
fn parse_args<'a>(args: &'a [Word], value_flags: &[&str]) -> Vec<Arg<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut only_pos = false;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            out.push(Arg::Pos(w));
            continue;
        }
        if t == "--" {
            only_pos = true;
            continue;
        }
        let value_word = |i: &mut usize| {
            let v = args.get(*i).map(|n| Val {
                text: &n.text,
                range: n.range.clone(),
            });
            *i += usize::from(v.is_some());
            v
        };
        let attached = |text: &'a str| {
            Some(Val {
                text,
                range: w.range.clone(),
            })
        };
        if t.starts_with("--") {
            if let Some(eq) = t.find('=') {
                let name = t.get(..eq).unwrap_or(t);
                out.push(Arg::Flag {
                    name,
                    value: attached(t.get(eq + 1..).unwrap_or("")),
                });
            } else {
                let value = if value_flags.contains(&t) {
                    value_word(&mut i)
                } else {
                    None
                };
                out.push(Arg::Flag { name: t, value });
            }
            continue;
        }
        // Short flag: `-x`, `-xVALUE`, `-x=VALUE`, or bundled booleans.
        let name_end = 1 + t
            .get(1..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        let name = t.get(..name_end).unwrap_or(t);
        let rest = t.get(name_end..).unwrap_or("");
        let takes = value_flags.contains(&name);
        let value = if let Some(v) = rest.strip_prefix('=') {
            attached(v)
        } else if !rest.is_empty() {
            if takes {
                attached(rest)
            } else {
                None
            }
        } else if takes {
            value_word(&mut i)
        } else {
            None
        };
        out.push(Arg::Flag { name, value });
    }
    out
}

fn positionals<'a>(parsed: &[Arg<'a>]) -> Vec<&'a Word> {
    parsed
        .iter()
        .filter_map(|a| match a {
            Arg::Pos(w) => Some(*w),
            Arg::Flag { .. } => None,
        })
        .collect()
}

/// Values of the flags named `names`, in order.
fn values<'p, 'a>(
    parsed: &'p [Arg<'a>],
    names: &'p [&'p str],
) -> impl Iterator<Item = &'p Val<'a>> + 'p {
    parsed.iter().filter_map(move |a| match a {
        Arg::Flag {
            name,
            value: Some(v),
        } if names.contains(name) => Some(v),
        _ => None,
    })
}

fn last_value(parsed: &[Arg<'_>], names: &[&str]) -> Option<String> {
    values(parsed, names).last().map(|v| v.text.to_string())
}

/// Whether a flag named `names` is present (and not `=false`).
fn has_flag(parsed: &[Arg<'_>], names: &[&str]) -> bool {
    parsed.iter().any(|a| match a {
        Arg::Flag { name, value } => {
            names.contains(name) && value.as_ref().is_none_or(|v| v.text != "false")
        }
        Arg::Pos(_) => false,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DryRun {
    No,
    Client,
    Server,
}

/// `--dry-run` (bare = client), `--dry-run=client|true` -> Client,
/// `--dry-run=server` -> Server.
fn dry_run(parsed: &[Arg<'_>]) -> DryRun {
    let mut d = DryRun::No;
    for a in parsed {
        if let Arg::Flag {
            name: "--dry-run",
            value,
        } = a
        {
            d = match value.as_ref().map(|v| v.text) {
                None | Some("client" | "true") => DryRun::Client,
                Some("server") => DryRun::Server,
                Some(_) => DryRun::No,
            };
        }
    }
    d
}

fn path_ref(value: &str, range: Range<usize>, cwd: Option<&str>) -> PathRef {
    let value = if value.contains("://") || value.starts_with(['/', '~', '$']) {
        value.to_string()
    } else {
        match cwd {
            Some(c) => path::join_path(c, value),
            None => path::normalize_path(value),
        }
    };
    PathRef { value, range }
}

/// Stdin or a process substitution rather than a file: `-`, `/dev/stdin`,
/// `<(...)`.
fn is_stream(p: &str) -> bool {
    p == "-" || p == "/dev/stdin" || p.starts_with("<(") || p.starts_with(">(")
}

/// Splits a comma-separated list flag value (`-f a.yaml,b.yaml`), except
/// when it holds a `${{ }}` expression.
fn split_list(v: &str) -> Vec<&str> {
    if v.contains("${{") {
        vec![v]
    } else {
        v.split(',').filter(|s| !s.is_empty()).collect()
    }
}

// ---------------------------------------------------------------------------
// Cluster access

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

fn kubectl(cmd: &Command, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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
    if !matches!(sub_t, "apply" | "create" | "replace") || dry == DryRun::Server || last_applied {
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
    });
}

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

fn helm(cmd: &Command, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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

fn az(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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
fn cloud_kubeconfig(prog: &str, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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

fn kubelogin(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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

fn is_kubeconfig_path(t: &str) -> bool {
    let t = t.replace('\\', "/");
    t == "~/.kube/config" || t == ".kube/config" || t.ends_with("/.kube/config")
}

fn is_kube_dir(t: &str) -> bool {
    let t = t.replace('\\', "/");
    let t = t.trim_end_matches('/');
    t == "~/.kube" || t == ".kube" || t.ends_with("/.kube")
}

/// `... > ~/.kube/config` and the like.
fn kubeconfig_redirects(cmd: &Command, f: &mut ScriptFacts) {
    for r in &cmd.redirects {
        if r.op.contains('>') && !r.op.ends_with('&') && is_kubeconfig_path(&r.target.text) {
            f.cluster_access.push(Hit {
                what: "write .kube/config".to_string(),
                range: r.target.range.clone(),
            });
        }
    }
}

/// `cp|mv|install|ln SRC ~/.kube/config`, `cp config ~/.kube/`,
/// `tee ~/.kube/config`.
fn kubeconfig_copy(prog: &str, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(
        args,
        &[
            "-t",
            "--target-directory",
            "-S",
            "--suffix",
            "-m",
            "--mode",
            "-o",
            "--owner",
            "-g",
            "--group",
        ],
    );
    let pos = positionals(&parsed);
    let mut hit = |w: &Word| {
        f.cluster_access.push(Hit {
            what: "write .kube/config".to_string(),
            range: pw.range.start..w.range.end,
        });
    };
    if prog == "tee" {
        pos.iter()
            .filter(|w| is_kubeconfig_path(&w.text))
            .for_each(|w| hit(w));
        return;
    }
    let target_dir = values(&parsed, &["-t", "--target-directory"])
        .last()
        .map(|v| v.text);
    let (dest_text, dest_word, sources) = match (target_dir, pos.split_last()) {
        (Some(d), _) => (d, None, &pos[..]),
        (None, Some((last, rest))) => (last.text.as_str(), Some(*last), rest),
        (None, None) => return,
    };
    let writes = is_kubeconfig_path(dest_text)
        || (is_kube_dir(dest_text)
            && sources
                .iter()
                .any(|s| s.text.rsplit(['/', '\\']).next() == Some("config")));
    if writes {
        hit(dest_word.or(sources.last().copied()).unwrap_or(pw));
    }
}

fn is_github_env(t: &str) -> bool {
    t == "$GITHUB_ENV" || t == "${GITHUB_ENV}" || t.eq_ignore_ascii_case("$env:GITHUB_ENV")
}

/// `echo "KUBECONFIG=..." >> $GITHUB_ENV` (also printf, and `echo ... |
/// tee -a $GITHUB_ENV` / `... | Out-File $env:GITHUB_ENV`); returns whether
/// the command writes to `$GITHUB_ENV` at all.
fn kubeconfig_via_github_env(
    cmd: &Command,
    piped_from: Option<&Command>,
    f: &mut ScriptFacts,
) -> bool {
    let by_redirect = cmd
        .redirects
        .iter()
        .any(|r| r.op.contains('>') && !r.op.ends_with('&') && is_github_env(&r.target.text));
    let by_arg = cmd.program().is_some_and(|p| {
        matches!(
            p.to_ascii_lowercase().as_str(),
            "tee" | "add-content" | "ac" | "set-content" | "sc" | "out-file"
        )
    }) && cmd.args().iter().any(|a| is_github_env(&a.text));
    if !(by_redirect || by_arg) {
        return false;
    }
    let sets = |c: &Command| {
        c.words
            .iter()
            .any(|w| w.text.trim_start().starts_with("KUBECONFIG="))
    };
    let range = if sets(cmd) {
        Some(cmd.range())
    } else {
        piped_from
            .filter(|src| by_arg && sets(src))
            .map(|src| src.range().start..cmd.range().end)
    };
    if let Some(range) = range {
        f.cluster_access.push(Hit {
            what: "KUBECONFIG >> $GITHUB_ENV".to_string(),
            range,
        });
    }
    true
}

/// `KUBECONFIG=... cmd`, bare `KUBECONFIG=...`, PowerShell `$env:KUBECONFIG = ...`.
fn kubeconfig_assignments(cmd: &Command, f: &mut ScriptFacts) {
    for (name, w) in cmd.assignments() {
        if name == "KUBECONFIG" {
            f.cluster_access.push(Hit {
                what: "KUBECONFIG=".to_string(),
                range: w.range.clone(),
            });
        }
    }
    if let Some(first) = cmd.words.first() {
        let t = first.text.to_ascii_lowercase();
        let ps = t.starts_with("$env:kubeconfig=")
            || (t == "$env:kubeconfig"
                && cmd.words.get(1).is_some_and(|w| w.text.starts_with('=')));
        if ps {
            f.cluster_access.push(Hit {
                what: "$env:KUBECONFIG =".to_string(),
                range: cmd.range(),
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Images

const DOCKER_VALUE_FLAGS: &[&str] = &[
    // global
    "--config",
    "-c",
    "--context",
    "-H",
    "--host",
    "-l",
    "--log-level",
    "--tlscacert",
    "--tlscert",
    "--tlskey",
    // build / push
    "-t",
    "--tag",
    "-f",
    "--file",
    "--build-arg",
    "--platform",
    "--target",
    "--label",
    "--cache-from",
    "--cache-to",
    "--secret",
    "--ssh",
    "-o",
    "--output",
    "--network",
    "--progress",
    "--builder",
    "--iidfile",
    "--metadata-file",
    "--add-host",
    "--build-context",
    "--shm-size",
    "--ulimit",
    "-m",
    "--memory",
    "--memory-swap",
    "--cgroup-parent",
    "--annotation",
    "--attest",
    "--allow",
    "--cpu-shares",
    "--cpu-period",
    "--cpu-quota",
    "--cpuset-cpus",
    "--cpuset-mems",
    "--isolation",
    "--security-opt",
    "--label-file",
    "--format",
    "--authfile",
    "--creds",
    "--cert-dir",
    "--digestfile",
    "--sign-by",
    "--call",
];

fn docker(args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, DOCKER_VALUE_FLAGS);
    let pos = positionals(&parsed);
    let texts: Vec<&str> = pos.iter().take(2).map(|w| w.text.as_str()).collect();
    let (verb, operands) = match texts.as_slice() {
        ["image" | "builder", verb, ..] => (*verb, pos.get(2..).unwrap_or(&[])),
        ["buildx", "build" | "b", ..] => ("build", pos.get(2..).unwrap_or(&[])),
        [verb, ..] => (*verb, pos.get(1..).unwrap_or(&[])),
        [] => return,
    };
    match verb {
        "build" => {
            let push = has_flag(&parsed, &["--push"])
                || values(&parsed, &["-o", "--output"])
                    .any(|v| v.text.contains("type=registry") || v.text.contains("push=true"));
            for v in values(&parsed, &["-t", "--tag"]) {
                let image = ImageRef {
                    value: v.text.to_string(),
                    range: v.range.clone(),
                };
                if push {
                    f.pushes.push(image);
                } else {
                    f.builds.push(image);
                }
            }
        }
        "push" => {
            if let Some(r) = operands.first() {
                f.pushes.push(ImageRef {
                    value: r.text.clone(),
                    range: r.range.clone(),
                });
            }
        }
        "tag" => {
            if let Some(dst) = operands.get(1) {
                f.builds.push(ImageRef {
                    value: dst.text.clone(),
                    range: dst.range.clone(),
                });
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// git

fn git(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(
        args,
        &[
            "-C",
            "-c",
            "--git-dir",
            "--work-tree",
            "--namespace",
            "--config-env",
            "--super-prefix",
        ],
    );
    if let Some(sub) = positionals(&parsed).first() {
        if matches!(sub.text.as_str(), "commit" | "push") {
            f.commits.push(Hit {
                what: format!("git {}", sub.text),
                range: pw.range.start..sub.range.end,
            });
        }
    }
}

// ---------------------------------------------------------------------------
// Edits

fn files_of(cmd: &Command, words: &[&Word]) -> Vec<PathRef> {
    let cwd = cmd.cwd.as_deref();
    words
        .iter()
        .filter(|w| !is_stream(&w.text))
        .map(|w| path_ref(&w.text, w.range.clone(), cwd))
        .collect()
}

/// `sed -i[SUFFIX] [-e SCRIPT]... [SCRIPT] FILE...`.
fn sed(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let mut in_place = false;
    let mut scripts: Vec<&str> = Vec::new();
    let mut script_file = false;
    let mut pos: Vec<&Word> = Vec::new();
    let mut only_pos = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            pos.push(w);
            continue;
        }
        if t == "--" {
            only_pos = true;
        } else if let Some(long) = t.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let take = |i: &mut usize| match value {
                Some(v) => Some(v),
                None => {
                    let v = args.get(*i).map(|n| n.text.as_str());
                    *i += 1;
                    v
                }
            };
            match name {
                "in-place" => in_place = true,
                "expression" => scripts.extend(take(&mut i)),
                "file" => {
                    script_file = true;
                    take(&mut i);
                }
                "line-length" => {
                    take(&mut i);
                }
                _ => {}
            }
        } else {
            // Bundled short options: `-i`, `-i.bak`, `-Ei`, `-ne 's/..'`.
            let body = t.get(1..).unwrap_or("");
            for (k, ch) in body.char_indices() {
                let rest = body.get(k + ch.len_utf8()..).unwrap_or("");
                match ch {
                    'i' => {
                        in_place = true;
                        // BSD `sed -i '' ...`
                        if rest.is_empty() && args.get(i).is_some_and(|n| n.text.is_empty()) {
                            i += 1;
                        }
                        break;
                    }
                    'e' | 'f' | 'l' => {
                        let v = if rest.is_empty() {
                            i += 1;
                            args.get(i - 1).map(|n| n.text.as_str())
                        } else {
                            Some(rest)
                        };
                        match ch {
                            'e' => scripts.extend(v),
                            'f' => script_file = true,
                            _ => {}
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    if !in_place {
        return;
    }
    let files = if scripts.is_empty() && !script_file {
        match pos.split_first() {
            Some((s, rest)) => {
                scripts.push(&s.text);
                rest
            }
            None => &[][..],
        }
    } else {
        &pos[..]
    };
    let mut images = Vec::new();
    for s in &scripts {
        sed_images(s, &mut images);
    }
    f.edits.push(Edit {
        tool: EditTool::Sed,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// `perl -pi -e 's/../../' FILE...` (recorded as [`EditTool::Sed`]).
fn perl(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let mut in_place = false;
    let mut scripts: Vec<&str> = Vec::new();
    let mut pos: Vec<&Word> = Vec::new();
    let mut only_pos = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            pos.push(w);
            continue;
        }
        if t == "--" {
            only_pos = true;
            continue;
        }
        let body = t.get(1..).unwrap_or("");
        for (k, ch) in body.char_indices() {
            let rest = body.get(k + ch.len_utf8()..).unwrap_or("");
            match ch {
                'i' => {
                    in_place = true;
                    break;
                }
                'e' | 'E' => {
                    if rest.is_empty() {
                        scripts.extend(args.get(i).map(|n| n.text.as_str()));
                        i += 1;
                    } else {
                        scripts.push(rest);
                    }
                    break;
                }
                '0' | 'M' | 'm' | 'I' | 'x' | 'C' | 'd' | 'D' | 'F' => break,
                _ => {}
            }
        }
    }
    if !in_place {
        return;
    }
    // Without -e the first operand is the program file.
    let files = if scripts.is_empty() {
        pos.get(1..).unwrap_or(&[])
    } else {
        &pos[..]
    };
    let mut images = Vec::new();
    for s in &scripts {
        sed_images(s, &mut images);
    }
    f.edits.push(Edit {
        tool: EditTool::Sed,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// `awk -i inplace PROGRAM FILE...` (gawk): recorded as [`EditTool::Other`].
fn awk(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(
        args,
        &[
            "-i",
            "--include",
            "-f",
            "--file",
            "-v",
            "--assign",
            "-F",
            "--field-separator",
        ],
    );
    let in_place = values(&parsed, &["-i", "--include"]).any(|v| v.text == "inplace");
    if !in_place {
        return;
    }
    let pos = positionals(&parsed);
    let has_file = values(&parsed, &["-f", "--file"]).next().is_some();
    let files = if has_file {
        &pos[..]
    } else {
        pos.get(1..).unwrap_or(&[])
    };
    f.edits.push(Edit {
        tool: EditTool::Other,
        files: files_of(cmd, files),
        images: Vec::new(),
        range: cmd.range(),
    });
}

fn push_unique(out: &mut Vec<String>, v: String) {
    if !v.is_empty() && !out.contains(&v) {
        out.push(v);
    }
}

fn trim_value(v: &str) -> String {
    v.trim().trim_matches(['"', '\'']).trim().to_string()
}

/// Image values written by the `s` commands of a sed/perl script: the
/// replacement text after `image:`, or the whole replacement (minus leading
/// back-references) when only the pattern mentions `image`.
fn sed_images(script: &str, out: &mut Vec<String>) {
    for (pattern, replacement) in sed_substitutions(script) {
        if let Some(v) = substitution_image(&pattern, &replacement) {
            push_unique(out, v);
        }
    }
}

/// The image a substitution writes: the replacement text after `image:`;
/// the whole replacement (minus leading back-references) when the pattern
/// mentions `image`; or the whole replacement when it starts with the
/// pattern's literal `REGISTRY/REPO:` prefix (`s|r.io/app:.*|r.io/app:v2|`).
fn substitution_image(pattern: &str, replacement: &str) -> Option<String> {
    let v = if let Some(p) = replacement.find("image:") {
        trim_value(replacement.get(p + "image:".len()..).unwrap_or(""))
    } else if pattern.to_ascii_lowercase().contains("image") {
        trim_value(strip_backrefs(replacement))
    } else {
        let prefix = regex_literal_prefix(pattern);
        let repo = prefix.strip_suffix(':')?;
        let replacement = replacement.trim();
        let plain = |t: &str| !without_expressions(t).contains(char::is_whitespace);
        let is_tag_update = repo.contains('/')
            && plain(repo)
            && plain(replacement)
            && replacement.starts_with(prefix.as_str());
        if !is_tag_update {
            return None;
        }
        replacement.to_string()
    };
    Some(v).filter(|v| !v.is_empty())
}

/// The literal text a regex starts with (`^` dropped, `\.` unescaped), up to
/// its first metacharacter.
fn regex_literal_prefix(pattern: &str) -> String {
    let mut out = String::new();
    let mut it = pattern
        .strip_prefix('^')
        .unwrap_or(pattern)
        .chars()
        .peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) if n.is_ascii_punctuation() && n != '(' && n != '{' => out.push(n),
                _ => break,
            },
            '.' if matches!(it.peek(), Some('*' | '+' | '?' | '{')) => break,
            '*' | '+' | '?' | '[' | '(' | '{' | '$' | '|' => break,
            _ => out.push(c),
        }
    }
    out
}

/// `t` with its `${{ ... }}` expressions removed.
fn without_expressions(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(p) = rest.find("${{") {
        out.push_str(rest.get(..p).unwrap_or(""));
        let after = rest.get(p + 3..).unwrap_or("");
        match after.find("}}") {
            Some(q) => rest = after.get(q + 2..).unwrap_or(""),
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn strip_backrefs(mut r: &str) -> &str {
    loop {
        r = r.trim_start();
        match r.strip_prefix('\\') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                r = rest.get(1..).unwrap_or("")
            }
            _ => return r,
        }
    }
}

/// `(pattern, replacement)` of each `s` command of a sed script.
fn sed_substitutions(script: &str) -> Vec<(String, String)> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if matches!(
            b[i],
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b'!'
        ) {
            i += 1;
            continue;
        }
        i = skip_sed_address(b, i);
        while matches!(b.get(i), Some(b' ' | b'\t' | b'!')) {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b's' | b'y' => {
                let delim = script.get(i + 1..).and_then(|s| s.chars().next());
                let Some(delim) = delim.filter(|d| !matches!(d, '\n' | '\\')) else {
                    i += 1;
                    continue;
                };
                let (pattern, j) = sed_part(script, i + 1 + delim.len_utf8(), delim);
                let (replacement, k) = sed_part(script, j, delim);
                if c == b's' {
                    out.push((pattern, replacement));
                }
                i = k;
                while i < b.len() && !matches!(b[i], b';' | b'\n' | b'}') {
                    i += 1;
                }
            }
            // Commands taking the rest of the line.
            b'a' | b'i' | b'c' | b'#' | b'r' | b'R' | b'w' | b'W' | b'e' | b':' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                i += 1;
                while i < b.len() && !matches!(b[i], b';' | b'\n') {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Skips up to two sed addresses (`3`, `$`, `/re/I`, `\%re%`, `1~2`, `,+3`).
fn skip_sed_address(b: &[u8], mut i: usize) -> usize {
    for _ in 0..2 {
        let start = i;
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => {
                while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'~') {
                    i += 1;
                }
            }
            Some(b'$') if b.get(i + 1) != Some(&b'{') => i += 1,
            Some(b'/') => i = skip_regex(b, i + 1, b'/'),
            Some(b'\\') => match b.get(i + 1) {
                Some(&d) if d.is_ascii() && d != b'\n' => i = skip_regex(b, i + 2, d),
                _ => return i,
            },
            Some(b'+' | b'~') if i > 0 => {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {}
        }
        if i == start {
            break;
        }
        while matches!(b.get(i), Some(b'I' | b'M')) {
            i += 1;
        }
        if b.get(i) != Some(&b',') {
            break;
        }
        i += 1;
    }
    i
}

fn skip_regex(b: &[u8], mut i: usize, delim: u8) -> usize {
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            i += 2;
        } else if c == delim {
            return i + 1;
        } else {
            i += 1;
        }
    }
    b.len()
}

/// One delimited part of an `s` command starting at `start`; `\DELIM`
/// becomes DELIM, `${{ }}` is kept whole. Returns the text and the index
/// after the closing delimiter.
fn sed_part(script: &str, start: usize, delim: char) -> (String, usize) {
    let Some(rest) = script.get(start..) else {
        return (String::new(), script.len());
    };
    let mut out = String::new();
    let mut it = rest.char_indices().peekable();
    while let Some((k, ch)) = it.next() {
        if ch == '\\' {
            match it.next() {
                Some((_, n)) if n == delim => out.push(n),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
            continue;
        }
        if ch == '$' {
            let tail = rest.get(k..).unwrap_or("");
            if tail.starts_with("${{") {
                if let Some(p) = tail.find("}}") {
                    out.push_str(tail.get(..p + 2).unwrap_or(""));
                    while it.peek().is_some_and(|&(j, _)| j < k + p + 2) {
                        it.next();
                    }
                    continue;
                }
            }
        }
        if ch == delim {
            return (out, start + k + ch.len_utf8());
        }
        out.push(ch);
    }
    (out, script.len())
}

const YQ_VALUE_FLAGS: &[&str] = &[
    "-o",
    "--output-format",
    "-p",
    "--input-format",
    "-I",
    "--indent",
    "--from-file",
    "-s",
    "--split-exp",
    "--expression",
    "-d",
    "--doc",
    "--lua-prefix",
    "--lua-suffix",
    "--properties-separator",
    "--csv-separator",
    "--xml-attribute-prefix",
    "--xml-content-name",
    "--front-matter",
];

/// `yq -i EXPR FILE...`, `yq eval|e|eval-all|ea -i EXPR FILE...`,
/// `yq w -i FILE PATH VALUE` (v3).
fn yq(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, YQ_VALUE_FLAGS);
    if !has_flag(&parsed, &["-i", "--inplace"]) {
        return;
    }
    let pos = positionals(&parsed);
    let mut images = Vec::new();
    let files: &[&Word] = match pos.first().map(|w| w.text.as_str()) {
        Some("w" | "write") => {
            let path = pos.get(2).map_or("", |w| w.text.as_str());
            if let Some(value) = pos
                .get(3)
                .filter(|_| path.to_ascii_lowercase().contains("image"))
            {
                push_unique(&mut images, value.text.clone());
            }
            pos.get(1..2).unwrap_or(&[])
        }
        first => {
            let rest = if matches!(first, Some("eval" | "e" | "eval-all" | "ea")) {
                pos.get(1..).unwrap_or(&[])
            } else {
                &pos[..]
            };
            let exprs: Vec<&str> = values(&parsed, &["--expression"]).map(|v| v.text).collect();
            if !exprs.is_empty() || values(&parsed, &["--from-file"]).next().is_some() {
                for e in &exprs {
                    yq_images(e, &mut images);
                }
                rest
            } else {
                if let Some(e) = rest.first() {
                    yq_images(&e.text, &mut images);
                }
                rest.get(1..).unwrap_or(&[])
            }
        }
    };
    f.edits.push(Edit {
        tool: EditTool::Yq,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// String literals assigned to a path ending in `image` in a yq expression:
/// `.a.image = "X"`, `(... | .image) |= "X"`, `.image = strenv(IMG)` (-> `$IMG`).
fn yq_images(expr: &str, out: &mut Vec<String>) {
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_dq(b, i + 1),
            b'=' => {
                let prev = i.checked_sub(1).and_then(|p| b.get(p)).copied();
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    continue;
                }
                i += 1;
                if matches!(
                    prev,
                    Some(b'!' | b'<' | b'>' | b'=' | b'+' | b'-' | b'*' | b'/' | b'%')
                ) {
                    continue;
                }
                let op_start = if prev == Some(b'|') { i - 2 } else { i - 1 };
                let lhs = expr
                    .get(..op_start)
                    .unwrap_or("")
                    .trim_end_matches([' ', '\t', ')', ']', '"', '\'']);
                if lhs.to_ascii_lowercase().ends_with("image") {
                    if let Some(v) = yq_rhs(expr.get(i..).unwrap_or("")) {
                        push_unique(out, v);
                    }
                }
            }
            _ => i += 1,
        }
    }
}

fn skip_dq(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn yq_rhs(r: &str) -> Option<String> {
    let r = r.trim_start();
    if let Some(rest) = r.strip_prefix('"') {
        let end = skip_dq(rest.as_bytes(), 0);
        let inner = rest.get(..end.saturating_sub(1)).unwrap_or(rest);
        return Some(inner.replace("\\\"", "\""));
    }
    for func in ["strenv(", "env("] {
        if let Some(rest) = r.strip_prefix(func) {
            let name = rest.split(')').next().unwrap_or("").trim();
            return Some(format!("${name}"));
        }
    }
    None
}

/// `kustomize edit set image [name=]newName:tag...`.
fn kustomize(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, &[]);
    let pos = positionals(&parsed);
    let texts: Vec<&str> = pos.iter().take(3).map(|w| w.text.as_str()).collect();
    if texts != ["edit", "set", "image"] {
        return;
    }
    let mut images = Vec::new();
    for w in pos.get(3..).unwrap_or(&[]) {
        let v = w.text.split_once('=').map_or(w.text.as_str(), |(_, v)| v);
        push_unique(&mut images, v.to_string());
    }
    let file = path_ref("kustomization.yaml", cmd.range(), cmd.cwd.as_deref());
    f.edits.push(Edit {
        tool: EditTool::KustomizeEditSetImage,
        files: vec![file],
        images,
        range: cmd.range(),
    });
}

/// PowerShell `Set-Content [-Path] FILE`, `sc FILE`, `Out-File [-FilePath]
/// FILE` (edits) and `Add-Content` (only checked for kubeconfig writes).
fn powershell_write(cmd: &Command, pw: &Word, prog: &str, args: &[Word], f: &mut ScriptFacts) {
    const VALUE_PARAMS: &[&str] = &[
        "-value",
        "-encoding",
        "-stream",
        "-filter",
        "-include",
        "-exclude",
        "-credential",
        "-width",
        "-inputobject",
        "-delimiter",
    ];
    const PATH_PARAMS: &[&str] = &["-path", "-literalpath", "-lp", "-pspath", "-filepath"];
    let mut path: Option<(&str, Range<usize>)> = None;
    let mut first_pos: Option<&Word> = None;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        if !w.is_flag() {
            if first_pos.is_none() {
                first_pos = Some(w);
            }
            continue;
        }
        let lower = w.text.to_ascii_lowercase();
        let (name, inline) = match lower.split_once(':') {
            Some((n, _)) => (n, w.text.split_once(':').map(|(_, v)| v)),
            None => (lower.as_str(), None),
        };
        if PATH_PARAMS.contains(&name) {
            match inline {
                Some(v) => path = Some((v, w.range.clone())),
                None => {
                    path = args.get(i).map(|n| (n.text.as_str(), n.range.clone()));
                    i += 1;
                }
            }
        } else if VALUE_PARAMS.contains(&name) && inline.is_none() {
            i += 1;
        }
    }
    let Some((file, range)) =
        path.or_else(|| first_pos.map(|w| (w.text.as_str(), w.range.clone())))
    else {
        return;
    };
    if is_kubeconfig_path(file) {
        f.cluster_access.push(Hit {
            what: "write .kube/config".to_string(),
            range: pw.range.start..range.end,
        });
    }
    if matches!(prog, "add-content" | "ac") || is_github_env(file) {
        return;
    }
    f.edits.push(Edit {
        tool: EditTool::PowerShellSetContent,
        files: vec![path_ref(file, range, cmd.cwd.as_deref())],
        images: Vec::new(),
        range: cmd.range(),
    });
}

/// Values after `image:` in the string literals of the script's words
/// (e.g. a `-replace` replacement), skipping regex-looking ones.
fn powershell_images(script: &str, cmds: &[Command]) -> Vec<String> {
    let mut out = Vec::new();
    // `-replace 'PATTERN', 'REPLACEMENT'`
    for c in cmds {
        for (k, w) in c.words.iter().enumerate() {
            let op = w.text.to_ascii_lowercase();
            if !matches!(op.as_str(), "-replace" | "-ireplace" | "-creplace") {
                continue;
            }
            let segments: Vec<&str> = c
                .words
                .iter()
                .skip(k + 1)
                .take(2)
                .filter_map(|n| script.get(n.range.clone()))
                .flat_map(quoted_segments)
                .collect();
            if let [pattern, replacement, ..] = segments.as_slice() {
                if let Some(v) = substitution_image(pattern, replacement) {
                    push_unique(&mut out, v);
                }
            }
        }
    }
    for w in cmds.iter().flat_map(|c| c.words.iter()) {
        let Some(raw) = script.get(w.range.clone()) else {
            continue;
        };
        for content in quoted_segments(raw) {
            let Some(p) = content.find("image:") else {
                continue;
            };
            let v = trim_value(content.get(p + "image:".len()..).unwrap_or(""));
            let regex = ["*", ".+", "\\s", "\\S", "[^", "\\d"]
                .iter()
                .any(|m| v.contains(m))
                || v.ends_with('$');
            if !regex {
                push_unique(&mut out, v);
            }
        }
    }
    out
}

/// Contents of the `"..."` / `'...'` literals in raw word text.
fn quoted_segments(raw: &str) -> Vec<&str> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j] != q {
            // PowerShell (`) and bash (\) escapes inside double quotes.
            j += if q == b'"' && matches!(b[j], b'`' | b'\\') {
                2
            } else {
                1
            };
        }
        let end = j.min(b.len());
        out.extend(raw.get(i + 1..end));
        i = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(s: &str) -> Vec<String> {
        analyze(s)
            .cluster_access
            .into_iter()
            .map(|h| h.what)
            .collect()
    }

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    fn values_of(refs: &[ImageRef]) -> Vec<&str> {
        refs.iter().map(|r| r.value.as_str()).collect()
    }

    fn paths(d: &Deploy) -> Vec<&str> {
        d.paths.iter().map(|p| p.value.as_str()).collect()
    }

    fn files(e: &Edit) -> Vec<&str> {
        e.files.iter().map(|p| p.value.as_str()).collect()
    }

    const REFERENCE: &str = r#"az acr login -n ${{ env.ACRNAME }} --expose-token
docker build . -t $ACRSERVER/$APPNAME:${{ github.sha }}
docker push $ACRSERVER/$APPNAME:${{ github.sha }}
kubelogin convert-kubeconfig -l azurecli
kubectl create namespace ${{ inputs.NAMESPACE }} --dry-run=client -o yaml | kubectl apply -f -
yq eval '.spec.template.spec.containers[0].image = "acr6222.azurecr.io/azvoteapp02:${{ github.run_number }}"' -i workloads/azure-vote/front-deployment.yml
az acr build -t $REPOSITORY/$IMAGEREPO:${{ github.sha }} -r $ACRNAME .
git add workloads/flask/deployment.yaml
git commit -m "update image tag"
git push origin
$content | ForEach-Object {$_ -replace $line,"        image: ${{ inputs.ACRNAME }}.azurecr.io/${{ inputs.APPNAME }}:${{ github.run_number }}"} | Set-Content workloads/flask/deployment.yaml"#;

    #[test]
    fn reference_snippets() {
        let s = REFERENCE;
        let f = analyze(s);
        assert_eq!(
            f.cluster_access
                .iter()
                .map(|h| h.what.as_str())
                .collect::<Vec<_>>(),
            vec!["kubelogin convert-kubeconfig", "kubectl apply"]
        );
        assert_eq!(
            &s[f.cluster_access[0].range.clone()],
            "kubelogin convert-kubeconfig"
        );
        assert_eq!(&s[f.cluster_access[1].range.clone()], "kubectl apply");

        assert_eq!(f.deploys.len(), 1);
        assert_eq!(f.deploys[0].tool, "kubectl apply");
        assert!(f.deploys[0].paths.is_empty());
        assert_eq!(&s[f.deploys[0].range.clone()], "kubectl apply -f -");

        assert_eq!(
            values_of(&f.builds),
            vec!["$ACRSERVER/$APPNAME:${{ github.sha }}"]
        );
        assert_eq!(
            &s[f.builds[0].range.clone()],
            "$ACRSERVER/$APPNAME:${{ github.sha }}"
        );
        assert_eq!(
            values_of(&f.pushes),
            vec![
                "$ACRSERVER/$APPNAME:${{ github.sha }}",
                "$ACRNAME.azurecr.io/$REPOSITORY/$IMAGEREPO:${{ github.sha }}"
            ]
        );
        assert_eq!(
            &s[f.pushes[1].range.clone()],
            "$REPOSITORY/$IMAGEREPO:${{ github.sha }}"
        );

        assert_eq!(f.edits.len(), 2);
        assert_eq!(f.edits[0].tool, EditTool::Yq);
        assert_eq!(
            files(&f.edits[0]),
            vec!["workloads/azure-vote/front-deployment.yml"]
        );
        assert_eq!(
            f.edits[0].images,
            v(&["acr6222.azurecr.io/azvoteapp02:${{ github.run_number }}"])
        );
        assert_eq!(f.edits[1].tool, EditTool::PowerShellSetContent);
        assert_eq!(files(&f.edits[1]), vec!["workloads/flask/deployment.yaml"]);
        assert_eq!(
            f.edits[1].images,
            v(&["${{ inputs.ACRNAME }}.azurecr.io/${{ inputs.APPNAME }}:${{ github.run_number }}"])
        );
        assert_eq!(
            &s[f.edits[1].files[0].range.clone()],
            "workloads/flask/deployment.yaml"
        );

        assert_eq!(
            f.commits
                .iter()
                .map(|h| h.what.as_str())
                .collect::<Vec<_>>(),
            vec!["git commit", "git push"]
        );
        assert!(f.pull_secrets.is_empty());

        // Line by line too.
        for line in s.lines() {
            let _ = analyze(line);
        }
        assert!(
            analyze("az acr login -n ${{ env.ACRNAME }} --expose-token") == ScriptFacts::default()
        );
    }

    #[test]
    fn data_is_not_a_command() {
        for s in [
            r#"echo "run kubectl apply later""#,
            "echo 'helm upgrade --install x ./c' # kubectl apply -f y",
            "# kubectl apply -f x\n# az aks get-credentials -n a -g b",
            "cat <<EOF > deploy.sh\nkubectl apply -f x\naz aks get-credentials -n a -g b\nEOF",
            "cat <<'EOF' | tee notes.md\nhelm install a ./b\nEOF\necho ok",
            r#"echo "KUBECONFIG=/tmp/x""#,
            r#"gh pr create --body "kubectl apply -f $(ls)""#,
            "az acr login -n x\naz acr build -r x -t y . --no-logs && az acr import -n x --source y",
            "kustomize build overlays/prod > out.yaml\nkustomize edit add resource x.yaml",
            "helm template x ./chart | kubeconform -strict\nhelm lint ./chart\nhelm package ./chart\nhelm repo add a b\nhelm dependency update ./c\nhelm push c.tgz oci://r\nhelm show values x",
            "yq '.a' x.yaml\nyq e '.image' k.yaml",
            "mkdir -p ~/.kube && chmod 600 ~/.kube",
            "kubectl kustomize overlays/prod\nkubectl version --client\nkubectl completion bash\nkubectl config view\nkubectl config get-contexts\nkubectl plugin list\nkubectl help\nkubectl apply --help",
            "kubectl apply -f x.yaml --dry-run\nkubectl apply -f x.yaml --dry-run=client\nkubectl create deploy x --image=y --dry-run=client -o yaml",
            "helm upgrade --install x ./c --dry-run",
            "which kubectl\ncommand -v helm",
        ] {
            assert_eq!(access(s), Vec::<String>::new(), "{s}");
            assert!(analyze(s).deploys.is_empty(), "{s}");
        }
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
    fn kubeconfig_writes_and_env() {
        let s = "echo \"$KUBE_CONFIG\" | base64 -d > ~/.kube/config";
        let f = analyze(s);
        assert_eq!(access(s), v(&["write .kube/config"]));
        assert_eq!(&s[f.cluster_access[0].range.clone()], "~/.kube/config");
        assert_eq!(
            access("echo x >> $HOME/.kube/config"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("echo x > \"${HOME}/.kube/config\""),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("printf '%s' \"$K\" > /home/runner/.kube/config"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("cp kc.yaml ~/.kube/config"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("sudo mv ./config $HOME/.kube/"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("install -m 600 kc $HOME/.kube/config"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("echo $K | tee ~/.kube/config > /dev/null"),
            v(&["write .kube/config"])
        );
        assert_eq!(
            access("cp ~/.kube/config backup.yaml"),
            Vec::<String>::new()
        );
        assert_eq!(access("mkdir -p ~/.kube"), Vec::<String>::new());
        assert_eq!(
            access("Set-Content -Path ~/.kube/config -Value $k"),
            v(&["write .kube/config"])
        );

        assert_eq!(
            access("export KUBECONFIG=$(pwd)/kc"),
            v(&["export KUBECONFIG"])
        );
        let s = "export FOO=1 KUBECONFIG=/tmp/kc";
        let f = analyze(s);
        assert_eq!(&s[f.cluster_access[0].range.clone()], s);
        assert_eq!(
            access("KUBECONFIG=/tmp/kc kubectl get pods"),
            v(&["KUBECONFIG=", "kubectl get"])
        );
        assert_eq!(access("KUBECONFIG=/tmp/kc"), v(&["KUBECONFIG="]));
        assert_eq!(
            access("KUBECONFIG=kc helm template x ./c"),
            v(&["KUBECONFIG="])
        );
        assert_eq!(
            access("echo \"KUBECONFIG=$RUNNER_TEMP/kc\" >> $GITHUB_ENV"),
            v(&["KUBECONFIG >> $GITHUB_ENV"])
        );
        assert_eq!(
            access("echo \"KUBECONFIG=x\" >> \"$GITHUB_ENV\""),
            v(&["KUBECONFIG >> $GITHUB_ENV"])
        );
        assert_eq!(
            access("printf 'KUBECONFIG=%s\\n' x >> ${GITHUB_ENV}"),
            v(&["KUBECONFIG >> $GITHUB_ENV"])
        );
        assert_eq!(
            access("\"KUBECONFIG=$k\" >> $env:GITHUB_ENV"),
            v(&["KUBECONFIG >> $GITHUB_ENV"])
        );
        assert_eq!(
            access("echo \"FOO=KUBECONFIG=x\" >> $GITHUB_ENV"),
            Vec::<String>::new()
        );
        let s = "echo \"KUBECONFIG=$PWD/kc\" | sudo tee -a $GITHUB_ENV";
        let f = analyze(s);
        assert_eq!(access(s), v(&["KUBECONFIG >> $GITHUB_ENV"]));
        assert_eq!(&s[f.cluster_access[0].range.clone()], s);
        let s = "Write-Output \"KUBECONFIG=$HOME/kc\" | Out-File -FilePath $env:GITHUB_ENV -Append";
        assert_eq!(access(s), v(&["KUBECONFIG >> $GITHUB_ENV"]));
        let s = "echo \"KUBECONFIG=x\"; tee -a $GITHUB_ENV < f";
        assert_eq!(access(s), Vec::<String>::new());
        let s = "echo \"KUBECONFIG=x\" | grep K | tee -a $GITHUB_ENV";
        assert_eq!(access(s), Vec::<String>::new());
        assert_eq!(
            access("echo \"KUBECONFIG=x\" >> other.env"),
            Vec::<String>::new()
        );
        assert_eq!(
            access("$env:KUBECONFIG = \"$pwd/kc\""),
            v(&["$env:KUBECONFIG ="])
        );
    }

    #[test]
    fn deploys() {
        let s = "cd workloads/flask && kubectl apply -f deployment.yaml";
        let f = analyze(s);
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["workloads/flask/deployment.yaml"]
        );
        assert_eq!(&s[f.deploys[0].paths[0].range.clone()], "deployment.yaml");

        let f = analyze("kubectl apply --filename=a.yaml -f=./b.yaml --filename c/ -k overlays/prod --namespace=ns -f d.yaml,e.yaml");
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["a.yaml", "b.yaml", "c", "overlays/prod", "d.yaml", "e.yaml"]
        );
        assert_eq!(f.deploys[0].namespace.as_deref(), Some("ns"));
        let f = analyze(
            "kubectl create -f https://example.com/x.yaml\nkubectl replace --force -f $MANIFEST",
        );
        assert_eq!(paths(&f.deploys[0]), vec!["https://example.com/x.yaml"]);
        assert_eq!(paths(&f.deploys[1]), vec!["$MANIFEST"]);
        assert_eq!(f.deploys[1].tool, "kubectl replace");
        let f = analyze("kubectl apply --kustomize ./k8s/overlays/dev");
        assert_eq!(paths(&f.deploys[0]), vec!["k8s/overlays/dev"]);
        assert!(analyze("kubectl create namespace x").deploys.is_empty());
        let f = analyze("cd k8s; kubectl apply -f <(envsubst < app.yaml) -f /dev/stdin");
        assert!(f.deploys[0].paths.is_empty());
        assert!(analyze("kubectl apply view-last-applied deploy/x")
            .deploys
            .is_empty());

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

        // Multi-line with continuations.
        let s =
            "kubectl apply \\\n  -n staging \\\n  -f k8s/deployment.yaml \\\n  -f k8s/service.yaml";
        let f = analyze(s);
        assert_eq!(
            paths(&f.deploys[0]),
            vec!["k8s/deployment.yaml", "k8s/service.yaml"]
        );
        assert_eq!(f.deploys[0].namespace.as_deref(), Some("staging"));
        assert_eq!(&s[f.deploys[0].range.clone()], s);
        // Subshell cd does not leak.
        let f = analyze("(cd a && kubectl apply -f x.yaml)\nkubectl apply -f y.yaml");
        assert_eq!(paths(&f.deploys[0]), vec!["a/x.yaml"]);
        assert_eq!(paths(&f.deploys[1]), vec!["y.yaml"]);
    }

    #[test]
    fn images() {
        let f = analyze("docker build -t a:1 --tag b:2 --tag=c:3 -f Dockerfile --build-arg X=1 .");
        assert_eq!(values_of(&f.builds), vec!["a:1", "b:2", "c:3"]);
        assert!(f.pushes.is_empty());
        let f = analyze("docker buildx build --platform linux/amd64 --push -t r/x:1 .");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1"]);
        let f = analyze("docker buildx build --output type=registry -t r/x:1 .\ndocker buildx build -o type=image,push=true -t r/y:1 .\ndocker build --push -t r/z .");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1", "r/y:1", "r/z"]);
        let f = analyze("docker buildx build --load -t r/x:1 .");
        assert_eq!(values_of(&f.builds), vec!["r/x:1"]);
        let f = analyze("docker image push r/x:1\ndocker push --all-tags r/y\npodman push r/z:2\ndocker --config /tmp/c push r/w");
        assert_eq!(values_of(&f.pushes), vec!["r/x:1", "r/y", "r/z:2", "r/w"]);
        let f = analyze(
            "docker tag local:1 r/x:${{ github.sha }}\ndocker image tag a b\npodman build -t p:1 .",
        );
        assert_eq!(
            values_of(&f.builds),
            vec!["r/x:${{ github.sha }}", "b", "p:1"]
        );
        let f =
            analyze("az acr build --registry myacr.azurecr.io --image app:v1 --image app:latest .");
        assert_eq!(
            values_of(&f.pushes),
            vec!["myacr.azurecr.io/app:v1", "myacr.azurecr.io/app:latest"]
        );
        let f = analyze("az acr build -t app:v1 -r ${{ env.ACR }} --no-push .");
        assert_eq!(
            values_of(&f.builds),
            vec!["${{ env.ACR }}.azurecr.io/app:v1"]
        );
        let f = analyze("az acr build --image app:v1 .");
        assert_eq!(values_of(&f.pushes), vec!["app:v1"]);
        assert!(
            analyze("docker compose build\ndocker run -t x\ndocker pull a")
                .builds
                .is_empty()
        );
    }

    #[test]
    fn sed_edits() {
        let s = "sed -i \"s|image: .*|image: $ACR/app:${{ github.sha }}|g\" k8s/deployment.yaml k8s/other.yaml";
        let f = analyze(s);
        let e = &f.edits[0];
        assert_eq!(e.tool, EditTool::Sed);
        assert_eq!(files(e), vec!["k8s/deployment.yaml", "k8s/other.yaml"]);
        assert_eq!(e.images, v(&["$ACR/app:${{ github.sha }}"]));
        assert_eq!(&s[e.range.clone()], s);

        let f =
            analyze("cd manifests\nsed -i -e 's/IMAGE_TAG/'\"$TAG\"'/g' -e '/^#/d' deploy.yaml");
        assert_eq!(files(&f.edits[0]), vec!["manifests/deploy.yaml"]);
        assert_eq!(f.edits[0].images, v(&["$TAG"]));
        let f = analyze("sed --in-place --expression='s#\\(image: \\).*#\\1 r/x:1#' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r/x:1"]));
        let f = analyze("sed -i.bak -E '3,/spec/ s@(image:).*@image: \"r/y:2\"@' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r/y:2"]));
        let f = analyze("sed -i '' 's/replicas: 1/replicas: 2/' a.yaml");
        assert_eq!(files(&f.edits[0]), vec!["a.yaml"]);
        assert!(f.edits[0].images.is_empty());
        let s = "sed -i \"s|contoso.azurecr.io/shop/api:.*|contoso.azurecr.io/shop/api:${{ github.sha }}|\" a.yaml";
        let f = analyze(s);
        assert_eq!(
            f.edits[0].images,
            v(&["contoso.azurecr.io/shop/api:${{ github.sha }}"])
        );
        let s = "sed -i 's/^\\(\\s*\\)r\\.io\\/app:[a-z0-9]*/r.io\\/app:v2/' a.yaml\nsed -i 's|version:.*|version:2|' b\nsed -i 's|app:.*|app:3|' c\nsed -i 's|r.io/app:.*|x r.io/app:3|' d";
        let f = analyze(s);
        assert!(f.edits.iter().all(|e| e.images.is_empty()), "{:?}", f.edits);
        let f = analyze("sed -i 's/r\\.io\\/app:.*/r.io\\/app:v2/' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r.io/app:v2"]));
        let f = analyze("sed -Ei 's/a\\/b/c/;s|x|image: z|' f");
        assert_eq!(f.edits[0].images, v(&["z"]));
        // not in place
        assert!(analyze("sed 's/image: .*/image: x/' a.yaml > b.yaml")
            .edits
            .is_empty());
        let f = analyze("perl -pi -e 's/image: .*/image: r\\/p:1/' k8s/app.yaml");
        assert_eq!(f.edits[0].tool, EditTool::Sed);
        assert_eq!(files(&f.edits[0]), vec!["k8s/app.yaml"]);
        assert_eq!(f.edits[0].images, v(&["r/p:1"]));
        let f = analyze("awk -i inplace '{print}' a.yaml");
        assert_eq!(f.edits[0].tool, EditTool::Other);
        assert_eq!(files(&f.edits[0]), vec!["a.yaml"]);
    }

    #[test]
    fn yq_and_kustomize_edits() {
        let f = analyze("yq -i '.spec.template.spec.containers[0].image = \"r/x:1\"' deploy.yaml");
        assert_eq!(f.edits[0].images, v(&["r/x:1"]));
        assert_eq!(files(&f.edits[0]), vec!["deploy.yaml"]);
        let f = analyze("yq e -i '(.spec.template.spec.containers[] | select(.name == \"app\") | .image) |= \"r/y:2\" | .metadata.labels.v = \"3\"' a.yaml b.yaml");
        assert_eq!(f.edits[0].images, v(&["r/y:2"]));
        assert_eq!(files(&f.edits[0]), vec!["a.yaml", "b.yaml"]);
        let f = analyze("IMG=r/z:3 yq eval --inplace '.image = strenv(IMG)' values.yaml");
        assert_eq!(f.edits[0].images, v(&["$IMG"]));
        let f = analyze("yq w -i k8s/deploy.yaml 'spec.template.spec.containers[0].image' r/w:4");
        assert_eq!(files(&f.edits[0]), vec!["k8s/deploy.yaml"]);
        assert_eq!(f.edits[0].images, v(&["r/w:4"]));
        let f = analyze("yq -i '.replicas = 3' a.yaml");
        assert!(f.edits[0].images.is_empty());
        assert!(analyze("yq '.image = \"x\"' a.yaml").edits.is_empty());

        let s = "cd overlays/prod\nkustomize edit set image app=myacr.azurecr.io/app:${{ github.sha }} other:1.0";
        let f = analyze(s);
        let e = &f.edits[0];
        assert_eq!(e.tool, EditTool::KustomizeEditSetImage);
        assert_eq!(files(e), vec!["overlays/prod/kustomization.yaml"]);
        assert_eq!(
            e.images,
            v(&["myacr.azurecr.io/app:${{ github.sha }}", "other:1.0"])
        );
        assert_eq!(
            files(&analyze("kustomize edit set image x=y:1").edits[0]),
            vec!["kustomization.yaml"]
        );
        assert!(analyze("kustomize edit add resource a.yaml")
            .edits
            .is_empty());
    }

    #[test]
    fn powershell_edits() {
        let s = "(Get-Content k8s/app.yaml) -replace 'image: .*', \"image: $env:ACR/app:$env:TAG\" | Set-Content -Path k8s/app.yaml -Encoding utf8";
        let f = analyze(s);
        assert_eq!(f.edits.len(), 1);
        assert_eq!(f.edits[0].tool, EditTool::PowerShellSetContent);
        assert_eq!(files(&f.edits[0]), vec!["k8s/app.yaml"]);
        assert_eq!(f.edits[0].images, v(&["$env:ACR/app:$env:TAG"]));
        let s = "$content = Get-Content workloads/api/deployment.yaml\n$content -replace 'contoso\\.azurecr\\.io/shop/api:.*', 'contoso.azurecr.io/shop/api:${{ github.run_number }}' | Set-Content workloads/api/deployment.yaml";
        let f = analyze(s);
        assert_eq!(
            f.edits[0].images,
            v(&["contoso.azurecr.io/shop/api:${{ github.run_number }}"])
        );
        assert_eq!(files(&f.edits[0]), vec!["workloads/api/deployment.yaml"]);
        let f = analyze("$x | Out-File -FilePath out/a.yaml\n$y | sc b.yaml\n$z | set-content -LiteralPath:c.yaml");
        assert_eq!(
            f.edits.iter().flat_map(|e| files(e)).collect::<Vec<_>>(),
            vec!["out/a.yaml", "b.yaml", "c.yaml"]
        );
        assert!(
            analyze("\"A=1\" | Out-File -FilePath $env:GITHUB_ENV -Append")
                .edits
                .is_empty()
        );
        assert!(analyze("Add-Content -Path a.yaml -Value x")
            .edits
            .is_empty());
    }

    #[test]
    fn commits() {
        let s = "git config user.name bot\ngit -c user.email=a@b commit -am \"bump\"\ngit -C repo push origin HEAD:main\ngit add .";
        let f = analyze(s);
        assert_eq!(
            f.commits
                .iter()
                .map(|h| h.what.as_str())
                .collect::<Vec<_>>(),
            vec!["git commit", "git push"]
        );
        assert_eq!(
            &s[f.commits[0].range.clone()],
            "git -c user.email=a@b commit"
        );
        assert!(analyze("echo \"git push\"\ngit pull").commits.is_empty());
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

    #[test]
    fn never_panics_on_random_scripts() {
        let mut seed = 7;
        for _ in 0..20_000 {
            let _ = analyze(&crate::script::shell::tests::random_script(&mut seed));
        }
    }

    #[test]
    fn never_panics() {
        let samples = [
            REFERENCE,
            "TOKEN=$(az aks get-credentials -n x -g y) && echo `date` $((1+2)) ${X:-\"d\"}",
            "cat <<-'EOF' > f\n\tkubectl apply\n\tEOF\ncd a/b && kubectl apply -f c.yaml \\\n -n ns # comment",
            "case \"$1\" in\n a|b) helm upgrade --install x ./chart -f v.yaml ;;\n *) echo \"no ; way\" ;;\nesac",
            "docker buildx build --push -t r/x:1 . && docker tag a b && az acr build -r r -t i --no-push .",
            "sed -i -e 's|image: .*|image: r/x:1|g' -e \"s/\\(image\\)/\\1/\" f.yaml; perl -pi -e 's{a}{b}' g",
            "yq -i '.a.image |= \"x\" | .b = strenv(Y' f; kustomize edit set image a=b:c",
            "kubectl -n x create secret docker-registry s --namespace=y; helm upgrade -i r ./c -f v.yaml",
            "cp a ~/.kube/; Set-Content -Path: ; echo \"KUBECONFIG=x\" >> $GITHUB_ENV",
        ];
        let inserts = [
            "\"", "'", "`", "\\", "$(", "${{", "=", "-", "é", "\n", "|", "s/",
        ];
        for s in samples {
            let cuts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for &i in &cuts {
                let _ = analyze(&s[..i]);
                let _ = analyze(&s[i..]);
                for ins in inserts {
                    let _ = analyze(&format!("{}{}{}", &s[..i], ins, &s[i..]));
                }
            }
        }
        for s in [
            "s",
            "s/",
            "s/a",
            "s/a/",
            "s\\",
            "/",
            "\\",
            "1,",
            "$",
            "s§a§image: b§",
            "/x/I,+3 s/a/b/",
            "y/a/b/;s/a/\\",
        ] {
            let _ = sed_substitutions(s);
            let _ = yq_rhs(s);
            let mut out = Vec::new();
            yq_images(s, &mut out);
            sed_images(s, &mut out);
        }
    }
}
