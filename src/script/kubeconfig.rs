//! Kubeconfig writes by any command: redirects to `~/.kube/config`, copies
//! into it, `KUBECONFIG=` assignments and `KUBECONFIG` sent to
//! `$GITHUB_ENV`.

use crate::script::args::{parse_args, positionals, values};
use crate::script::shell::{Command, Word};
use crate::script::{Hit, ScriptFacts};

pub(super) fn is_kubeconfig_path(t: &str) -> bool {
    let t = t.replace('\\', "/");
    t == "~/.kube/config" || t == ".kube/config" || t.ends_with("/.kube/config")
}

fn is_kube_dir(t: &str) -> bool {
    let t = t.replace('\\', "/");
    let t = t.trim_end_matches('/');
    t == "~/.kube" || t == ".kube" || t.ends_with("/.kube")
}

/// `... > ~/.kube/config` and the like.
pub(super) fn kubeconfig_redirects(cmd: &Command, f: &mut ScriptFacts) {
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
pub(super) fn kubeconfig_copy(prog: &str, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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

pub(super) fn is_github_env(t: &str) -> bool {
    t == "$GITHUB_ENV" || t == "${GITHUB_ENV}" || t.eq_ignore_ascii_case("$env:GITHUB_ENV")
}

/// `echo "KUBECONFIG=..." >> $GITHUB_ENV` (also printf, and `echo ... |
/// tee -a $GITHUB_ENV` / `... | Out-File $env:GITHUB_ENV`); returns whether
/// the command writes to `$GITHUB_ENV` at all.
pub(super) fn kubeconfig_via_github_env(
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
pub(super) fn kubeconfig_assignments(cmd: &Command, f: &mut ScriptFacts) {
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

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{access, v};

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
}
