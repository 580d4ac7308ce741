//! `git commit` and `git push`; `git clone` and `gh repo clone`, which put
//! another repository's files in a directory of the workspace.

use crate::script::args::{parse_args, path_ref, positionals, values};
use crate::script::shell::{Command, Word};
use crate::script::{Clone, Hit, ScriptFacts};
use crate::source::path::join_path;

/// `git` options before the subcommand that take a value.
const GIT_VALUE_FLAGS: &[&str] = &[
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--config-env",
    "--super-prefix",
];

/// `git clone` options that take a value.
const CLONE_VALUE_FLAGS: &[&str] = &[
    "-b",
    "--branch",
    "-o",
    "--origin",
    "-u",
    "--upload-pack",
    "--reference",
    "--reference-if-able",
    "--separate-git-dir",
    "-c",
    "--config",
    "--depth",
    "--shallow-since",
    "--shallow-exclude",
    "-j",
    "--jobs",
    "--filter",
    "--template",
    "--bundle-uri",
    "--server-option",
    "--ref-format",
];

pub(super) fn git(cmd: &Command, pw: &Word, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, GIT_VALUE_FLAGS);
    let Some(sub) = positionals(&parsed).first().copied() else {
        return;
    };
    match sub.text.as_str() {
        "commit" | "push" => f.commits.push(Hit {
            what: format!("git {}", sub.text),
            range: pw.range.start..sub.range.end,
        }),
        "clone" => {
            // `git -C DIR clone ...` clones relative to DIR.
            let base = values(&parsed, &["-C"]).last().map(|v| v.text.to_string());
            let rest = args
                .iter()
                .position(|w| std::ptr::eq(w, sub))
                .and_then(|i| args.get(i + 1..))
                .unwrap_or(&[]);
            let parsed = parse_args(rest, CLONE_VALUE_FLAGS);
            clone(cmd, base.as_deref(), &positionals(&parsed), f);
        }
        _ => {}
    }
}

/// `gh repo clone REPO [DIR] [-- GITFLAGS]`.
pub(super) fn gh(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    // git's own flags follow `--`.
    let own = &args[..args
        .iter()
        .position(|w| w.text == "--")
        .unwrap_or(args.len())];
    let parsed = parse_args(own, &["-u", "--upstream-remote-name", "-R", "--repo"]);
    let pos = positionals(&parsed);
    if pos.len() >= 3 && pos[0].text == "repo" && pos[1].text == "clone" {
        clone(cmd, None, &pos[2..], f);
    }
}

/// A clone of `pos[0]` into `pos[1]` (default: the URL's last part).
fn clone(cmd: &Command, base: Option<&str>, pos: &[&Word], f: &mut ScriptFacts) {
    let Some(url) = pos.first() else { return };
    let cwd = match (cmd.cwd.as_deref(), base) {
        (Some(c), Some(b)) => Some(join_path(c, b)),
        (None, Some(b)) => Some(b.to_string()),
        (c, None) => c.map(str::to_string),
    };
    let dir = match pos.get(1) {
        Some(d) => path_ref(&d.text, d.range.clone(), cwd.as_deref()),
        None => {
            let last = url
                .text
                .trim_end_matches('/')
                .rsplit(['/', ':'])
                .next()
                .unwrap_or("");
            let name = last.strip_suffix(".git").unwrap_or(last);
            path_ref(name, url.range.clone(), cwd.as_deref())
        }
    };
    f.clones.push(Clone {
        url: url.text.clone(),
        dir,
        range: cmd.range(),
    });
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;

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
    fn clones() {
        let dirs = |s: &str| {
            analyze(s)
                .clones
                .into_iter()
                .map(|c| (c.url, c.dir.value))
                .collect::<Vec<_>>()
        };
        let p = |u: &str, d: &str| (u.to_string(), d.to_string());
        assert_eq!(
            dirs("git clone --depth 1 -b main https://x-access-token:${{ secrets.T }}@github.com/org/gitops.git"),
            [p("https://x-access-token:${{ secrets.T }}@github.com/org/gitops.git", "gitops")]
        );
        assert_eq!(
            dirs("cd work && git clone git@github.com:org/gitops.git deploy/"),
            [p("git@github.com:org/gitops.git", "work/deploy")]
        );
        assert_eq!(
            dirs("git -C /tmp clone https://github.com/org/gitops"),
            [p("https://github.com/org/gitops", "/tmp/gitops")]
        );
        assert_eq!(
            dirs("gh repo clone org/gitops -- --depth=1\ngh repo clone org/infra infra-repo"),
            [p("org/gitops", "gitops"), p("org/infra", "infra-repo")]
        );
        assert!(dirs("git clone\ngh repo view org/x\ngit pull").is_empty());
    }
}
