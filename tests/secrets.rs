//! No output format ever prints a secret's value: `fixtures/secrets` plants
//! values in Secret data/stringData, a Secret that fails to parse, and
//! workflow literals, with findings right next to them.

mod common;

use common::*;

const PLANTED: &[&str] = &["PLANTED-SECRET", "UExBTlRFRC1TRUNSRVQt"];

fn assert_clean(what: &str, out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    for p in PLANTED {
        assert!(
            !text.contains(p),
            "{what} prints a planted secret ({p}):\n{text}"
        );
    }
}

#[test]
fn no_format_prints_a_planted_secret() {
    let dir = fixture("secrets");
    // The fixture really holds the values, and findings sit next to them.
    let raw = std::fs::read_to_string(dir.join("k8s/registry-secret.yaml")).unwrap();
    assert!(raw.contains("UExBTlRFRC1TRUNSRVQtMQ=="));
    let (v, _) = json(&dir, &["."]);
    assert!(v["findings"].as_array().unwrap().len() >= 5);

    for args in [
        vec!["."],
        vec!["--color", "always", "."],
        vec!["--format", "json", "."],
        vec!["--format", "sarif", "."],
        vec!["--format", "github", "."],
        vec!["--format", "sarif", "--no-ignore", "--fail-on", "info", "."],
        vec!["--explain-mode", "--stats", "."],
        vec![
            "--no-ignore",
            "--fail-on",
            "info",
            "k8s/registry-secret.yaml",
            "k8s/app-secret.yaml",
        ],
    ] {
        let out = check(&dir, &args);
        assert_clean(&format!("check {args:?} (stdout)"), &out.stdout);
        assert_clean(&format!("check {args:?} (stderr)"), &out.stderr);
    }
    // An editor buffer on stdin.
    for format in ["human", "json", "sarif", "github"] {
        let out = shipshape()
            .current_dir(&dir)
            .args([
                "check",
                "--format",
                format,
                "--stdin-filename",
                "k8s/registry-secret.yaml",
                "-",
            ])
            .write_stdin(raw.clone())
            .output()
            .unwrap();
        assert_clean(&format!("stdin {format}"), &out.stdout);
    }
}

fn fingerprints(dir: &std::path::Path) -> Vec<String> {
    let out = check(
        dir,
        &[
            "--format",
            "sarif",
            "--no-ignore",
            "--fail-on",
            "never",
            ".",
        ],
    );
    assert_clean("sarif (copy)", &out.stdout);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"].to_string())
        .collect()
}

/// SARIF fingerprints hash the source as every output shows it, redacted:
/// other secret values of the same length give the same fingerprints.
#[test]
fn fingerprints_do_not_hash_secret_values() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("secrets"), dir.path());
    let before = fingerprints(dir.path());
    assert!(before.len() >= 5);
    let mut changed = 0;
    for e in walk(dir.path()) {
        let text = std::fs::read_to_string(&e).unwrap();
        let other = text
            .replace("PLANTED-SECRET", "OTHERS-VALUE-X")
            .replace("UExBTlRFRC1TRUNSRVQt", "T1RIRVJTLVZBTFVFLVgt");
        if other != text {
            std::fs::write(&e, other).unwrap();
            changed += 1;
        }
    }
    assert!(changed >= 2);
    assert_eq!(fingerprints(dir.path()), before);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}
