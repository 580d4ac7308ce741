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
    for format in ["human", "json"] {
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
