//! What shells and packagers install, generated from the clap definitions:
//! `shipshape completions <shell>` and `shipshape man`.

mod common;

use std::process::Command;

use common::*;

fn stdout_of(args: &[&str]) -> String {
    let out = shipshape().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `program ARGS` on `script`: the exit status and stderr.
fn check_syntax(program: &str, args: &[&str], script: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("completion");
    std::fs::write(&path, script).unwrap();
    let out = Command::new(program)
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_shell_gets_a_completion_script() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        // fish names a long option `-l format`; the others `--format`.
        let option = |name: &str| match shell {
            "fish" => format!("-l {name}"),
            _ => format!("--{name}"),
        };
        assert!(
            script.contains("check") && script.contains(&option("format")),
            "{shell}: {script}"
        );
        // Options of later subcommands too (what `--help` shows is what completes).
        assert!(script.contains(&option("stdin-filename")), "{shell}");
        assert!(script.contains("config-schema"), "{shell}");
    }
    let out = shipshape().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn completion_scripts_parse() {
    let (ok, err) = check_syntax("bash", &["-n"], &stdout_of(&["completions", "bash"]));
    assert!(ok, "bash -n: {err}");
    for (shell, program, args) in [("zsh", "zsh", ["-n"]), ("fish", "fish", ["--no-execute"])] {
        if !installed(program) {
            eprintln!("skipped: {program} is not installed");
            continue;
        }
        let (ok, err) = check_syntax(program, &args, &stdout_of(&["completions", shell]));
        assert!(ok, "{program}: {err}");
    }
}

#[test]
fn bash_completes_subcommands_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("shipshape.bash");
    std::fs::write(&script, stdout_of(&["completions", "bash"])).unwrap();
    // As bash calls a completion function: the words so far, the one being
    // completed, and `_shipshape <command> <current word> <previous word>`.
    let complete = |words: &[&str]| -> String {
        let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
        let cword = words.len() - 1;
        let prev = words[cword - 1];
        let cur = words[cword];
        let body = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _shipshape shipshape '{cur}' '{prev}'; echo \"${{COMPREPLY[*]}}\"",
            script.display(),
            quoted.join(" ")
        );
        let out = Command::new("bash").arg("-c").arg(body).output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(complete(&["shipshape", "ch"]), "check");
    assert_eq!(complete(&["shipshape", "check", "--for"]), "--format");
    let formats = complete(&["shipshape", "check", "--format", ""]);
    assert!(
        formats.contains("human") && formats.contains("json"),
        "{formats}"
    );
    assert_eq!(
        complete(&["shipshape", "check", "--fail-on", "w"]),
        "warning"
    );
}

#[test]
fn man_pages_for_the_tool_and_each_subcommand() {
    let page = stdout_of(&["man"]);
    assert!(page.contains(".TH shipshape 1"), "{page}");
    assert!(page.contains("shipshape\\-check(1)"), "{page}");
    let check = stdout_of(&["man", "check"]);
    assert!(check.contains(".TH shipshape-check 1"), "{check}");
    assert!(
        check.contains(&format!("shipshape {}", env!("CARGO_PKG_VERSION"))),
        "{check}"
    );
    for option in ["\\-\\-format", "\\-\\-output", "\\-\\-stdin\\-filename"] {
        assert!(check.contains(option), "{option} missing: {check}");
    }
    assert!(check.contains("Exit status"), "{check}");
    let out = shipshape().args(["man", "chek"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Every page into a directory, as a package build would.
    let dir = tempfile::tempdir().unwrap();
    let out = shipshape()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in ["shipshape.1", "shipshape-check.1", "shipshape-rule.1"] {
        assert!(names.contains(&name.to_string()), "{names:?}");
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shipshape-check.1")).unwrap(),
        check
    );
}

#[test]
fn man_pages_render_without_warnings() {
    if !installed("groff") {
        eprintln!("skipped: groff is not installed");
        return;
    }
    for args in [&["man"][..], &["man", "check"]] {
        let (ok, err) = check_syntax("groff", &["-man", "-Tutf8", "-ww", "-z"], &stdout_of(args));
        assert!(ok && err.is_empty(), "groff on {args:?}: {err}");
    }
}
