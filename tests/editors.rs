//! The editor snippets of docs/editors.md, taken from the document as written
//! and run against the real binary: the VS Code problem matchers on human
//! output, the nvim-lint linter (in headless Neovim when it is installed,
//! and structurally always), the Helix key's command and the Zed task.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use regex::Regex;
use serde_json::Value;

use common::*;

/// The fenced blocks of docs/editors.md with this info string.
fn blocks(lang: &str) -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/editors.md")).unwrap();
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.lines() {
        match &mut current {
            None if line.trim_start() == format!("```{lang}") => current = Some(String::new()),
            Some(text) if line.trim_start() == "```" => {
                out.push(std::mem::take(text));
                current = None;
            }
            Some(text) => {
                text.push_str(line);
                text.push('\n');
            }
            None => {}
        }
    }
    out
}

/// The one block of `lang` that contains `marker`.
fn block(lang: &str, marker: &str) -> String {
    let found: Vec<String> = blocks(lang)
        .into_iter()
        .filter(|b| b.contains(marker))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one ```{lang} block with {marker:?} in docs/editors.md"
    );
    found.into_iter().next().unwrap()
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shipshape"))
}

/// The binary run as an editor runs it: `args` in `dir`, colour forced on by
/// the environment (as a task terminal may), nothing on stdin unless given.
fn run(dir: &Path, program: &str, args: &[String], stdin: Option<&str>) -> (String, i32) {
    assert_eq!(program, "shipshape");
    let mut c = Command::new(bin());
    c.current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .env("SHIPSHAPE_CACHE_DIR", common::test_cache())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap_or(-1),
    )
}

/// A finding as an editor would show it: file, position (none for a whole
/// file), severity, rule, message.
type Problem = (String, Option<(u64, u64)>, String, String, String);

/// What the JSON output of `args` (with `--format json`) reports, as problems.
fn json_problems(dir: &Path, args: &[&str]) -> BTreeSet<Problem> {
    let (v, _) = json(dir, args);
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = str_of;
            let pos = (
                f["start"]["line"].as_u64().unwrap(),
                f["start"]["column"].as_u64().unwrap(),
            );
            (
                s(&f["path"]),
                Some(pos),
                s(&f["severity"]),
                s(&f["rule"]),
                s(&f["message"]),
            )
        })
        .collect()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap().to_string()
}

/// VS Code's multi-line matching: every run of consecutive lines that the
/// patterns match in turn is a problem; `kind` comes from the first pattern.
fn match_problems(matchers: &[Value], output: &str) -> BTreeSet<Problem> {
    let lines: Vec<&str> = output.lines().collect();
    let mut problems = BTreeSet::new();
    for m in matchers {
        assert_eq!(m["fileLocation"][0], "relative");
        let patterns = m["pattern"].as_array().unwrap();
        let regexes: Vec<Regex> = patterns
            .iter()
            .map(|p| Regex::new(p["regexp"].as_str().unwrap()).unwrap())
            .collect();
        let whole_file = patterns[0]["kind"] == "file";
        for start in 0..lines.len().saturating_sub(patterns.len() - 1) {
            let caps: Option<Vec<_>> = regexes
                .iter()
                .enumerate()
                .map(|(i, r)| r.captures(lines[start + i]))
                .collect();
            let Some(caps) = caps else { continue };
            let get = |field: &str| -> Option<String> {
                patterns.iter().zip(&caps).find_map(|(p, c)| {
                    let group = p[field].as_u64()? as usize;
                    Some(c.get(group)?.as_str().to_string())
                })
            };
            let position = if whole_file {
                None
            } else {
                let n = |s: Option<String>| s.unwrap().parse::<u64>().unwrap();
                Some((n(get("line")), n(get("column"))))
            };
            problems.insert((
                get("file").unwrap(),
                position,
                get("severity").unwrap(),
                get("code").unwrap(),
                get("message").unwrap(),
            ));
        }
    }
    problems
}

/// The task of the VS Code snippet: its arguments and problem matchers.
fn vscode_task() -> (String, Vec<String>, Vec<Value>) {
    let tasks: Value = serde_json::from_str(&block("json", "problemMatcher"))
        .expect("the tasks.json snippet is JSON");
    let task = &tasks["tasks"][0];
    assert_eq!(task["type"], "process");
    assert_eq!(task["options"]["cwd"], "${workspaceFolder}");
    let args = task["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    let matchers = task["problemMatcher"].as_array().unwrap().clone();
    (str_of(&task["command"]), args, matchers)
}

/// A repository with findings of both shapes: located, and about whole files.
fn mixed_repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let write = |rel: &str, text: &str| {
        let p = d.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(".shipshape.yaml", "limits:\n  max-file-size: 400\n");
    write("big.yaml", &format!("a: {}\n", "x".repeat(500)));
    write("broken.yaml", "a: [1\n");
    write(
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: wébé\nspec:\n  containers:\n    - {name: \"é\", image: \"é/x\"}\n",
    );
    d
}

#[test]
fn vscode_problem_matchers_read_every_finding_of_the_human_output() {
    let (program, args, matchers) = vscode_task();
    assert!(
        args.contains(&"--color".to_string()) && args.last().unwrap() == ".",
        "{args:?}"
    );
    let mixed = mixed_repo();
    for dir in [fixture(""), mixed.path().to_path_buf()] {
        let (output, code) = run(&dir, &program, &args, None);
        assert_eq!(code, 1, "{output}");
        assert!(
            !output.contains('\x1b'),
            "colour codes in the task's output"
        );
        let matched = match_problems(&matchers, &output);
        // The JSON output of the same run, a finding about a whole file
        // (at 1:1) seen as VS Code sees it: no position.
        let expected: BTreeSet<Problem> = json_problems(&dir, &["."])
            .into_iter()
            .map(|mut p| {
                if matched
                    .iter()
                    .any(|m| m.0 == p.0 && m.1.is_none() && m.3 == p.3)
                {
                    assert_eq!(p.1, Some((1, 1)), "{p:?}");
                    p.1 = None;
                }
                p
            })
            .collect();
        assert!(expected.len() > 2, "{}", dir.display());
        assert_eq!(
            matched,
            expected,
            "problems in {}:\n{output}",
            dir.display()
        );
    }
    // Both shapes were seen, and a column counts characters as VS Code does.
    let matched = match_problems(&matchers, &run(mixed.path(), &program, &args, None).0);
    let files: BTreeSet<&str> = matched
        .iter()
        .filter(|p| p.1.is_none())
        .map(|p| p.0.as_str())
        .collect();
    assert_eq!(files, BTreeSet::from(["big.yaml"]));
    assert!(matched.contains(&(
        "pod.yaml".into(),
        Some((7, 27)),
        "error".into(),
        "unpinned-image".into(),
        "image `é/x` has no tag or digest in container `é`".into()
    )));
}

#[test]
fn vscode_matcher_needs_the_color_flag() {
    // Without `--color never`, a task terminal's forced colours defeat the patterns.
    let (program, args, matchers) = vscode_task();
    let coloured: Vec<String> = args
        .iter()
        .filter(|a| *a != "--color" && *a != "never")
        .cloned()
        .collect();
    let (output, _) = run(&fixture("push-voting-app"), &program, &coloured, None);
    assert!(output.contains('\x1b'));
    assert!(match_problems(&matchers, &output).is_empty());
}

/// The nvim-lint snippet.
fn lua_snippet() -> String {
    block("lua", "lint.linters.shipshape")
}

/// What the parser reads of each finding: `f.x`, `f.x.y`, `f['x'].y`.
fn fields_the_parser_reads(lua: &str) -> BTreeSet<String> {
    let access = Regex::new(r"\bf(?:\.([a-z]+)|\['([a-z]+)'\])(?:\.([a-z]+))?").unwrap();
    access
        .captures_iter(lua)
        .map(|c| {
            let first = c.get(1).or(c.get(2)).unwrap().as_str();
            match c.get(3) {
                Some(second) => format!("{first}.{}", second.as_str()),
                None => first.to_string(),
            }
        })
        .collect()
}

#[test]
fn nvim_lint_parser_reads_fields_that_real_output_has() {
    let lua = lua_snippet();
    assert!(lua.contains("stdin = true") && lua.contains("ignore_exitcode = true"));
    let read = fields_the_parser_reads(&lua);
    let checked: BTreeSet<String> = [
        "start.line",
        "start.column",
        "end.line",
        "end.column",
        "severity",
        "message",
        "help",
        "rule",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(
        read, checked,
        "the parser reads fields this test does not check"
    );
    // The types the parser assumes, in real output (whole run and stdin run).
    let (v, _) = json(&fixture(""), &["."]);
    let findings = v["findings"].as_array().unwrap();
    assert!(findings.len() > 50);
    assert!(findings.iter().any(|f| f.get("help").is_some()));
    for f in findings {
        for pos in ["start", "end"] {
            for field in ["line", "column"] {
                let n = f[pos][field].as_u64();
                assert!(n.is_some_and(|n| n >= 1), "{pos}.{field} of {f}");
            }
        }
        assert!(["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()));
        assert!(f["message"].is_string() && f["rule"].is_string(), "{f}");
        assert!(f.get("help").is_none_or(Value::is_string), "{f}");
    }
}

/// The byte offset of character `chars` (0-based) in `line`.
fn byte_col(line: &str, chars: u64) -> u64 {
    line.char_indices()
        .nth(chars as usize)
        .map_or(line.len(), |(i, _)| i) as u64
}

const NVIM_HARNESS: &str = r#"
-- A stand-in for nvim-lint: the snippet registers its linter on it, and
-- this runs the linter as nvim-lint's try_lint does.
local lint = { linters = {}, linters_by_ft = {}, try_lint = function() end }
package.loaded['lint'] = lint
dofile(os.getenv('SNIPPET'))
vim.cmd('edit ' .. vim.fn.fnameescape(os.getenv('FILE')))
local bufnr = vim.api.nvim_get_current_buf()
local fh = io.open(os.getenv('BUFFER'))
local text = fh:read('*a')
fh:close()
-- The buffer's unsaved text.
vim.api.nvim_buf_set_lines(bufnr, 0, -1, false, vim.split(text, '\n', true))
local linter = lint.linters.shipshape
if type(linter) == 'function' then
  linter = linter()
end
assert(linter.stdin == true and linter.append_fname == false and linter.ignore_exitcode == true)
assert((linter.stream or 'stdout') == 'stdout')
local cwd = linter.cwd or vim.fn.getcwd()
local args = {}
for _, a in ipairs(linter.args) do
  table.insert(args, type(a) == 'function' and a() or a)
end
local input = table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, true), '\n') .. '\n'
local here = vim.fn.getcwd()
vim.cmd('cd ' .. vim.fn.fnameescape(cwd))
local output = vim.fn.system(vim.list_extend({ linter.cmd }, args), input)
vim.cmd('cd ' .. vim.fn.fnameescape(here))
local diagnostics = linter.parser(output, bufnr, cwd)
local out = io.open(os.getenv('OUT'), 'w')
out:write(vim.fn.json_encode({ diagnostics = diagnostics, yaml = lint.linters_by_ft.yaml }))
out:close()
"#;

#[test]
fn nvim_lint_snippet_runs_in_neovim() {
    if !installed("nvim") {
        eprintln!("skipped: nvim is not installed (apt-get install neovim)");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("k8s")).unwrap();
    // On disk: clean. In the buffer: an unpinned image after non-ASCII text,
    // and an untagged one whose finding has a help line.
    let file = repo.join("k8s/pod.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
    )
    .unwrap();
    let buffer = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: wébé\nspec:\n  containers:\n    - {name: \"é\", image: \"é/x\"}\n    - name: web\n      image: contoso.azurecr.io/web\n";
    std::fs::write(d.path().join("buffer.yaml"), buffer).unwrap();
    std::fs::write(d.path().join("snippet.lua"), lua_snippet()).unwrap();
    std::fs::write(d.path().join("harness.lua"), NVIM_HARNESS).unwrap();
    let out_path = d.path().join("out.json");
    let path = format!(
        "{}:{}",
        bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = Command::new("nvim")
        .current_dir(&repo)
        .args(["--headless", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg("lua local ok, e = pcall(dofile, os.getenv('HARNESS')) if not ok then io.stderr:write(tostring(e)) vim.cmd('cquit 3') end")
        .args(["-c", "qa!"])
        .env("PATH", path)
        .env("HARNESS", d.path().join("harness.lua"))
        .env("SNIPPET", d.path().join("snippet.lua"))
        .env("FILE", &file)
        .env("BUFFER", d.path().join("buffer.yaml"))
        .env("OUT", &out_path)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "nvim: {}",
        String::from_utf8_lossy(&status.stderr)
    );
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(got["yaml"], serde_json::json!(["shipshape"]));
    // What the diagnostics must be: shipshape's own JSON for that buffer.
    let (output, _) = run(
        &repo,
        "shipshape",
        &[
            "check",
            "--format",
            "json",
            "--stdin-filename",
            file.to_str().unwrap(),
            "-",
        ]
        .map(String::from),
        Some(buffer),
    );
    let v: Value = serde_json::from_str(&output).unwrap();
    let lines: Vec<&str> = buffer.lines().collect();
    let severity = |s: &str| match s {
        "error" => 1,
        "warning" => 2,
        _ => 3,
    };
    let expected: Vec<Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (l, el) = (
                f["start"]["line"].as_u64().unwrap() - 1,
                f["end"]["line"].as_u64().unwrap() - 1,
            );
            let mut message = str_of(&f["message"]);
            if let Some(help) = f["help"].as_str() {
                message.push_str(&format!("\nhelp: {help}"));
            }
            serde_json::json!({
                "lnum": l,
                "col": byte_col(lines[l as usize], f["start"]["column"].as_u64().unwrap() - 1),
                "end_lnum": el,
                "end_col": byte_col(lines[el as usize], f["end"]["column"].as_u64().unwrap() - 1),
                "severity": severity(f["severity"].as_str().unwrap()),
                "message": message,
                "source": "shipshape",
                "code": f["rule"],
            })
        })
        .collect();
    assert!(expected.len() >= 3, "{output}");
    assert_eq!(got["diagnostics"], Value::Array(expected));
    // The non-ASCII line: one `é` before the node, so its 0-based column is
    // 26 in characters (what shipshape counts) and 27 in bytes (what Neovim counts).
    assert_eq!(v["findings"][0]["start"]["column"], 27);
    assert_eq!(got["diagnostics"][0]["col"], 27);
}

#[test]
fn helix_key_runs_shipshape_on_the_saved_file() {
    let toml = block("toml", ":sh shipshape");
    let line = toml.lines().find(|l| l.contains(":sh ")).unwrap();
    let command = line
        .split('"')
        .nth(1)
        .unwrap()
        .strip_prefix(":sh ")
        .unwrap();
    let command = command.replace("%{buffer_name}", "pod.yaml");
    let mut words = command.split_whitespace().map(String::from);
    let program = words.next().unwrap();
    let args: Vec<String> = words.collect();
    let (output, code) = run(mixed_repo().path(), &program, &args, None);
    assert_eq!(code, 1);
    assert!(!output.contains('\x1b'));
    assert!(output.contains("error[unpinned-image]"), "{output}");
    assert!(output.contains("╭▸ pod.yaml:7:27"), "{output}");
}

#[test]
fn zed_task_runs_shipshape_on_the_current_file() {
    let tasks: Value = serde_json::from_str(&block("json", "$ZED_RELATIVE_FILE")).unwrap();
    let task = &tasks[0];
    assert_eq!(task["cwd"], "$ZED_WORKTREE_ROOT");
    let args: Vec<String> = task["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| str_of(a).replace("$ZED_RELATIVE_FILE", "pod.yaml"))
        .collect();
    let (output, code) = run(
        mixed_repo().path(),
        task["command"].as_str().unwrap(),
        &args,
        None,
    );
    assert_eq!(code, 1);
    assert!(!output.contains('\x1b'));
    assert!(output.contains("╭▸ pod.yaml:7:27"), "{output}");
    assert!(
        !output.contains("big.yaml"),
        "only the current file is reported"
    );
}
