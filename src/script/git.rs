//! `git commit` and `git push`.

use crate::script::args::{parse_args, positionals};
use crate::script::shell::Word;
use crate::script::{Hit, ScriptFacts};

pub(super) fn git(pw: &Word, args: &[Word], f: &mut ScriptFacts) {
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
}
