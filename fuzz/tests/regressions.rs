//! Replays every input under `fuzz/regressions/<target>/` through every fuzz
//! target (and the `lint` target in every mode), strictly (known issues are
//! not tolerated), each in its own thread with a time limit.
//!
//! Inputs listed in `fuzz/regressions/OPEN` are known to still fail: they are
//! reported but do not fail the test, and the test fails once one of them
//! passes (so the list is kept honest: remove the line when the bug is fixed).
//!
//! Run from `fuzz/`: `cargo test --test regressions` (add `-- --nocapture` to see the table).

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use shipshape_fuzz::{
    catch, check_config, check_lint_mode, check_schema, check_shell, check_yaml, LINT_MODES,
};

/// A check over raw bytes, as the fuzz targets are.
type Check = fn(&[u8]) -> Result<(), String>;

/// Generous: the test profile is not the release build the fuzzer uses.
const LIMIT: Duration = Duration::from_secs(20);

fn inputs(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(targets) = std::fs::read_dir(root) else {
        return out;
    };
    for t in targets.flatten() {
        if !t.path().is_dir() {
            continue;
        }
        let Ok(files) = std::fs::read_dir(t.path()) else {
            continue;
        };
        for f in files.flatten() {
            let p = f.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if p.is_file() && !name.starts_with('.') && !name.ends_with(".md") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Runs one check in a worker thread; `Err` for a panic, a broken property or a hang.
fn run_one(
    name: String,
    data: Vec<u8>,
    f: fn(&[u8]) -> Result<(), String>,
) -> Result<Duration, String> {
    let (tx, rx) = mpsc::channel();
    let t0 = Instant::now();
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let r = catch(|| f(&data));
            let _ = tx.send(r);
        })
        .expect("spawn");
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(())) => Ok(t0.elapsed()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("hang: no result after {LIMIT:?}")),
    }
}

fn lint_mode_fn(i: usize) -> Check {
    // One plain fn per mode (fn pointers cannot capture the mode).
    const FNS: [Check; 7] = [
        |d| check_lint_mode(d, LINT_MODES[0]),
        |d| check_lint_mode(d, LINT_MODES[1]),
        |d| check_lint_mode(d, LINT_MODES[2]),
        |d| check_lint_mode(d, LINT_MODES[3]),
        |d| check_lint_mode(d, LINT_MODES[4]),
        |d| check_lint_mode(d, LINT_MODES[5]),
        |d| check_lint_mode(d, LINT_MODES[6]),
    ];
    FNS[i]
}

#[test]
fn regressions_replay_through_every_target() {
    // Strict: known issues fail here (set before any check reads it).
    std::env::set_var("SHIPSHAPE_FUZZ_STRICT", "1");
    shipshape_fuzz::install_panic_hook();
    assert_eq!(
        LINT_MODES.len(),
        7,
        "update lint_mode_fn for the new lint modes"
    );

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let open: Vec<String> = std::fs::read_to_string(root.join("OPEN"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();

    let mut checks: Vec<(String, Check)> = vec![
        ("yaml".into(), check_yaml),
        ("config".into(), check_config),
        ("shell".into(), check_shell),
        ("schema".into(), check_schema),
    ];
    for (i, m) in LINT_MODES.iter().enumerate() {
        checks.push((format!("lint {m:?}"), lint_mode_fn(i)));
    }

    let mut new_failures = Vec::new();
    let mut fixed_but_listed = Vec::new();
    let mut still_open = 0;
    let files = inputs(&root);
    for p in &files {
        let rel = p
            .strip_prefix(&root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let data = std::fs::read(p).expect("read regression input");
        let mut failures = Vec::new();
        for (name, f) in &checks {
            if let Err(e) = run_one(format!("{rel} {name}"), data.clone(), *f) {
                failures.push(format!("{name}: {e}"));
            }
        }
        let listed = open.iter().any(|o| o == &rel);
        match (failures.is_empty(), listed) {
            (true, false) => println!("ok     {rel}"),
            (true, true) => {
                println!("FIXED  {rel} (remove it from regressions/OPEN)");
                fixed_but_listed.push(rel);
            }
            (false, true) => {
                still_open += 1;
                println!("open   {rel}");
                for f in &failures {
                    println!("         {f}");
                }
            }
            (false, false) => {
                println!("FAIL   {rel}");
                for f in &failures {
                    println!("         {f}");
                }
                new_failures.push(format!("{rel}: {}", failures.join("; ")));
            }
        }
    }
    println!(
        "{} regression inputs: {} open (listed in regressions/OPEN), {} failing",
        files.len(),
        still_open,
        new_failures.len()
    );
    assert!(
        new_failures.is_empty(),
        "regression inputs fail:\n{}",
        new_failures.join("\n")
    );
    assert!(
        fixed_but_listed.is_empty(),
        "these pass now: remove them from regressions/OPEN: {fixed_but_listed:?}"
    );
}
