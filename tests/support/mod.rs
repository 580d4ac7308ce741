//! Helpers for the integration tests (pre-commit, the GitHub Action, the
//! PyPI package): YAML read into `serde_json::Value` with shipshape's own
//! parser, and Python tools installed from PyPI into cached virtualenvs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{Map, Number, Value};
use shipshape::yaml::{parse_stream, Limits, NodeRef, ScalarStyle};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where tests keep what outlives one run (virtualenvs, pre-commit's store, a
/// release build): `$CARGO_TARGET_TMPDIR/integrations`, so `cargo clean`
/// removes it and every worktree sharing a target directory shares it.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("integrations")
}

/// The single YAML document of `path` as JSON values (YAML 1.2 core schema:
/// plain `true`, `null`, numbers are typed, everything else is a string).
pub fn yaml_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let parsed = parse_stream(&text, &Limits::default());
    assert!(
        parsed.errors.is_empty(),
        "{}: invalid YAML: {:?}",
        path.display(),
        parsed.errors
    );
    assert_eq!(parsed.docs.len(), 1, "{}: one document", path.display());
    let root = parsed.docs[0].root().expect("a root node");
    to_json(root)
}

fn to_json(n: NodeRef) -> Value {
    let n = n.resolve();
    if n.is_map() {
        let mut m = Map::new();
        for (k, v) in n.entries() {
            let key = k.as_str().unwrap_or_default().to_string();
            assert!(!m.contains_key(&key), "duplicate key {key}");
            m.insert(key, to_json(v));
        }
        return Value::Object(m);
    }
    if n.is_seq() {
        return Value::Array(n.items().map(to_json).collect());
    }
    let s = n.scalar().expect("a scalar");
    if s.style != ScalarStyle::Plain {
        return Value::String(s.text.to_string());
    }
    match s.text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        t => t
            .parse::<i64>()
            .map(Number::from)
            .ok()
            .or_else(|| t.parse::<f64>().ok().and_then(Number::from_f64))
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(t.to_string())),
    }
}

/// Runs `cmd`, panicking with its output when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A virtualenv under the cache holding exactly `requirements` (pinned), made
/// once and reused. `None` (after saying why on stderr) when it cannot be
/// made, e.g. without network; set `SHIPSHAPE_REQUIRE_TOOLS=1` to fail instead.
///
/// Run its tools as `python -m module`: a venv's console scripts carry an
/// absolute shebang, and the venv is built under a temporary name first and
/// renamed into place, so that concurrent test runs never see half of one.
pub fn python_tools(name: &str, requirements: &[&str]) -> Option<PathBuf> {
    let key = requirements.join(" ");
    let dir = cache_dir().join("venv").join(name);
    let stamp = dir.join("shipshape-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(key.as_str()) {
        return Some(python(&dir));
    }
    let started = Instant::now();
    let tmp = dir.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.parent().unwrap()).unwrap();
    let python3 = if cfg!(windows) { "python" } else { "python3" };
    let made = Command::new(python3)
        .args(["-m", "venv"])
        .arg(&tmp)
        .output();
    let failure = match made {
        Err(e) => Some(format!("{python3} cannot be run: {e}")),
        Ok(o) if !o.status.success() => Some(format!("python3 -m venv failed: {}", text(&o))),
        Ok(_) => {
            let pip = Command::new(python(&tmp))
                .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
                .args(requirements)
                .output();
            match pip {
                Err(e) => Some(format!("pip cannot be run: {e}")),
                Ok(o) if !o.status.success() => {
                    Some(format!("pip install {key} failed:\n{}", text(&o)))
                }
                Ok(_) => None,
            }
        }
    };
    if let Some(why) = failure {
        let _ = std::fs::remove_dir_all(&tmp);
        if std::env::var_os("SHIPSHAPE_REQUIRE_TOOLS").is_some() {
            panic!("cannot install {key} from PyPI: {why}");
        }
        eprintln!("SKIPPED: cannot install {key} from PyPI (no network?): {why}");
        return None;
    }
    std::fs::write(tmp.join("shipshape-requirements.txt"), &key).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another run put one in place first: use it.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    eprintln!(
        "installed {key} into {} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Some(python(&dir))
}

fn python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}
