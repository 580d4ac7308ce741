//! `--format github`: one workflow command per finding, escaped so that no
//! repository text (a file name, an object name, a value) can end the line
//! or the property list early and forge a command of its own; then a plain
//! summary line that is not a command.

mod common;

use common::*;

fn github(dir: &std::path::Path, args: &[&str]) -> (String, i32) {
    let mut a = vec!["--format", "github"];
    a.extend_from_slice(args);
    let out = check(dir, &a);
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// The command lines and the summary line; every line but the last is a
/// well-formed command whose properties hold no unescaped `:` or `,`.
fn commands(out: &str) -> (Vec<&str>, &str) {
    let lines: Vec<&str> = out.lines().collect();
    let (summary, commands) = lines.split_last().expect("a summary line");
    for c in commands {
        let rest = ["::error ", "::warning ", "::notice "]
            .iter()
            .find_map(|p| c.strip_prefix(p))
            .unwrap_or_else(|| panic!("not a command: {c:?}"));
        let (props, _message) = rest.split_once("::").expect("properties, then the message");
        let names: Vec<&str> = props
            .split(',')
            .map(|p| p.split_once('=').unwrap().0)
            .collect();
        assert_eq!(
            names,
            ["file", "line", "col", "endLine", "endColumn", "title"],
            "{c}"
        );
    }
    assert!(
        !summary.trim_start().starts_with("::") && !summary.contains("##["),
        "{summary}"
    );
    (commands.to_vec(), summary)
}

/// A property's value as the runner reads it back.
fn unescape_property(s: &str) -> String {
    s.replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%25", "%")
}

#[test]
fn one_command_per_finding_then_the_summary() {
    let dir = fixture("push-voting-app");
    let (out, code) = github(&dir, &["."]);
    let (commands, summary) = commands(&out);
    let (json, json_code) = json(&dir, &["."]);
    assert_eq!(code, json_code);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(commands.len(), findings.len());
    for (c, f) in commands.iter().zip(findings) {
        let level = match f["severity"].as_str().unwrap() {
            "info" => "notice",
            s => s,
        };
        let expect = format!(
            "::{level} file={},line={},col={},endLine={},endColumn={},title=shipshape ({})::",
            f["path"].as_str().unwrap(),
            f["start"]["line"],
            f["start"]["column"],
            f["end"]["line"],
            f["end"]["column"],
            f["rule"].as_str().unwrap(),
        );
        assert!(c.starts_with(&expect), "{c}\nexpected {expect}");
    }
    assert_eq!(
        summary,
        "shipshape: 5 errors, 0 warnings in 5 files (7 documents)"
    );
}

#[test]
fn suppressed_findings_are_not_annotated() {
    let dir = fixture("pull-flask-app");
    let (out, _) = github(&dir, &["."]);
    assert!(!out.contains("untrusted-registry"), "{out}");
    let (out, _) = github(&dir, &["--no-ignore", "."]);
    assert!(
        out.contains("title=shipshape (untrusted-registry)"),
        "{out}"
    );
}

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: \"web\\r\\n::error file=x.yaml::forged\"
spec:
  template:
    spec:
      containers:
        - name: \"c 100%0A, a:b\\n::warning::forged\\e]0;t\\a\\x85\\u202e\"
          image: contosoacr.azurecr.io/app:latest
  selector: {matchLabels: {app: web}}
";

#[test]
fn a_hostile_file_name_or_value_forges_no_command() {
    let dir = tempfile::tempdir().unwrap();
    let name = "a\n::error file=forged.yaml::forged,\r%0A:b.yaml";
    std::fs::write(dir.path().join(name), DEPLOYMENT).unwrap();
    let (out, _) = github(dir.path(), &["--no-config", "."]);
    let (commands, summary) = commands(&out);
    // Two findings (unpinned-image, missing-pull-secret), nothing forged.
    assert_eq!(commands.len(), 2, "{out}");
    assert_eq!(
        summary,
        "shipshape: 2 errors, 0 warnings in 1 file (1 document)"
    );
    assert!(!out.contains('\r') && !out.contains('\u{1b}') && !out.contains('\u{85}'));
    for c in &commands {
        // The path: made visible, then `%`, `:` and `,` escaped.
        let file = c
            .strip_prefix("::error file=")
            .unwrap()
            .split(',')
            .next()
            .unwrap();
        assert_eq!(
            file,
            "a\\n%3A%3Aerror file=forged.yaml%3A%3Aforged%2C\\r%250A%3Ab.yaml"
        );
        assert_eq!(
            unescape_property(file),
            "a\\n::error file=forged.yaml::forged,\\r%0A:b.yaml"
        );
        // The message: `%` escaped, repository line breaks visible, its own
        // lines joined by escaped line breaks; `:` and `,` may stay.
        let message = c.split_once(")::").unwrap().1;
        assert!(
            message.contains("`web\\r\\n::error file=x.yaml::forged`"),
            "{message}"
        );
        assert!(message.contains("%0Ahelp: "), "{message}");
    }
    let unpinned = commands
        .iter()
        .find(|c| c.contains("(unpinned-image)"))
        .unwrap();
    assert!(
        unpinned
            .contains("container `c 100%250A, a:b\\n::warning::forged\\e]0;t\\a\\u{85}\\u{202e}`"),
        "{unpinned}"
    );
}
