//! `--format sarif`: valid against the OASIS SARIF 2.1.0 schema (when
//! `../shared/schemas/sarif-schema-2.1.0.json` is present), and, always, the
//! structure code scanning relies on: the driver's rules, one result per
//! finding (suppressed ones marked, not dropped), locations, fingerprints
//! that survive unrelated edits, the same bytes at any thread count, and no
//! raw control character.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use common::*;

fn sarif(dir: &Path, args: &[&str]) -> Value {
    let mut a = vec!["--format", "sarif"];
    a.extend_from_slice(args);
    let out = check(dir, &a);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid SARIF JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn results(v: &Value) -> &Vec<Value> {
    v["runs"][0]["results"].as_array().expect("results")
}

fn is_suppressed(r: &Value) -> bool {
    r.get("suppressions").is_some()
}

/// (rule, uri, line, column) of a result's primary location.
type Key = (String, String, u64, u64);

fn key(r: &Value) -> Key {
    let loc = &r["locations"][0]["physicalLocation"];
    (
        r["ruleId"].as_str().unwrap().to_string(),
        loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
        loc["region"]["startLine"].as_u64().unwrap(),
        loc["region"]["startColumn"].as_u64().unwrap(),
    )
}

fn fingerprint(r: &Value) -> String {
    r["partialFingerprints"]["shipshapeFingerprint/v1"]
        .as_str()
        .expect("fingerprint")
        .to_string()
}

fn validator() -> Option<jsonschema::Validator> {
    let Some(path) = shared("schemas/sarif-schema-2.1.0.json") else {
        eprintln!(
            "note: ../shared/schemas/sarif-schema-2.1.0.json is absent: schema validation skipped"
        );
        return None;
    };
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    Some(
        jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("the SARIF schema compiles"),
    )
}

fn schema_errors(validator: &jsonschema::Validator, v: &Value) -> Vec<String> {
    validator
        .iter_errors(v)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn output_validates_against_the_sarif_schema() {
    let Some(validator) = validator() else { return };
    for (dir, args) in [
        ("", vec!["."]),
        ("", vec!["--no-ignore", "."]),
        ("pull-flask-app", vec!["."]),
        ("rules/unused-ignore/fail", vec!["."]),
        ("reference/current-pull-clean", vec!["."]),
    ] {
        let v = sarif(&fixture(dir), &args);
        let errors = schema_errors(&validator, &v);
        assert!(
            errors.is_empty(),
            "fixtures/{dir} {args:?}:\n{}",
            errors.join("\n")
        );
    }
    // The validator is real: it rejects a broken log.
    let mut v = sarif(&fixture("push-voting-app"), &["."]);
    v["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
    v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    v["runs"][0]["columnKind"] = Value::String("bytes".into());
    assert_eq!(schema_errors(&validator, &v).len(), 3, "{v}");
}

#[test]
fn the_driver_lists_every_rule() {
    let v = sarif(&fixture("push-voting-app"), &["."]);
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"].as_array().unwrap().len(), 1);
    let run = &v["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root.starts_with("file:///") && root.ends_with('/'),
        "{root}"
    );
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "shipshape");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // No homepage is declared anywhere: no URL is invented.
    assert!(driver.get("informationUri").is_none());
    let out = shipshape()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let rules = driver["rules"].as_array().unwrap();
    let sarif_ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(sarif_ids, ids);
    for r in rules {
        let id = r["id"].as_str().unwrap();
        let name = r["name"].as_str().unwrap();
        assert_eq!(name.to_lowercase(), id.replace('-', ""), "{id}");
        assert!(name.starts_with(|c: char| c.is_ascii_uppercase()), "{id}");
        for field in ["shortDescription", "fullDescription"] {
            assert!(
                !r[field]["text"].as_str().unwrap().is_empty(),
                "{id} {field}"
            );
        }
        let help = r["help"]["markdown"].as_str().unwrap();
        assert!(help.starts_with(&format!("# {id}\n")), "{id}");
        assert_eq!(r["help"]["text"], r["help"]["markdown"]);
        assert!(r.get("helpUri").is_none());
        let level = r["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level), "{id}");
        let tags = r["properties"]["tags"].as_array().unwrap();
        assert!(!tags.is_empty(), "{id}");
    }
    let tags =
        |id: &str| rules.iter().find(|r| r["id"] == id).unwrap()["properties"]["tags"].clone();
    assert_eq!(
        tags("untrusted-registry"),
        serde_json::json!(["image", "security"])
    );
    assert_eq!(tags("invalid-yaml"), serde_json::json!(["yaml"]));
}

#[test]
fn every_finding_is_a_result_with_its_location() {
    for (dir, args) in [("", vec!["."]), ("", vec!["--no-ignore", "."])] {
        let dir = fixture(dir);
        let v = sarif(&dir, &args);
        let (json, _) = json(&dir, &args);
        let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
        let reported: Vec<&Value> = results(&v).iter().filter(|r| !is_suppressed(r)).collect();
        let findings = json["findings"].as_array().unwrap();
        assert_eq!(reported.len(), findings.len());
        for (r, f) in reported.iter().zip(findings) {
            // Same order, same places as the JSON output.
            let loc = &r["locations"][0]["physicalLocation"];
            assert_eq!(r["ruleId"], f["rule"]);
            assert_eq!(
                loc["artifactLocation"]["uri"], f["path"],
                "plain paths need no encoding"
            );
            assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            let region = &loc["region"];
            assert_eq!(region["startLine"], f["start"]["line"]);
            assert_eq!(region["startColumn"], f["start"]["column"]);
            assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
            assert!(region["endColumn"].as_u64().unwrap() >= 1);
            let level = match f["severity"].as_str().unwrap() {
                "info" => "note",
                s => s,
            };
            assert_eq!(r["level"], level);
            assert!(r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with(f["message"].as_str().unwrap()));
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            assert_eq!(fingerprint(r).len(), 32);
            let related = r.get("relatedLocations").and_then(Value::as_array);
            assert_eq!(
                related.map_or(0, Vec::len),
                f["related"].as_array().unwrap().len()
            );
            for (i, l) in related.into_iter().flatten().enumerate() {
                assert_eq!(l["id"], i + 1);
                assert!(!l["message"]["text"].as_str().unwrap().is_empty());
            }
        }
    }
}

#[test]
fn snippets_are_the_region_and_its_lines() {
    let v = sarif(&fixture("pull-flask-app"), &["."]);
    let r = results(&v)
        .iter()
        .find(|r| r["ruleId"] == "unpinned-image")
        .unwrap();
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["region"]["snippet"]["text"], "redis:latest");
    assert_eq!(
        loc["contextRegion"]["snippet"]["text"],
        "          image: redis:latest"
    );
    assert_eq!(
        loc["contextRegion"]["startLine"],
        loc["region"]["startLine"]
    );
}

#[test]
fn suppressed_findings_are_results_with_their_reason() {
    let v = sarif(&fixture("pull-flask-app"), &["."]);
    let suppressed: Vec<&Value> = results(&v).iter().filter(|r| is_suppressed(r)).collect();
    assert_eq!(suppressed.len(), 1, "{v}");
    let r = suppressed[0];
    assert_eq!(
        key(r),
        (
            "untrusted-registry".into(),
            "workloads/flask/redis.yaml".into(),
            18,
            18
        )
    );
    let s = &r["suppressions"][0];
    assert_eq!(s["kind"], "inSource");
    assert_eq!(
        s["justification"],
        "redis comes from Docker Hub until the mirror lands"
    );
    let comment = &s["location"]["physicalLocation"]["region"];
    assert_eq!(comment["startLine"], 17);
    assert!(comment["snippet"]["text"]
        .as_str()
        .unwrap()
        .starts_with("# shipshape: ignore[untrusted-registry]"));
    // The other formats still leave it out, and it does not fail the run.
    let (json, _) = json(&fixture("pull-flask-app"), &["."]);
    assert!(!json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "untrusted-registry"));

    // --no-ignore: nothing is suppressed, the finding is an ordinary result.
    let v = sarif(&fixture("pull-flask-app"), &["--no-ignore", "."]);
    assert!(!results(&v).iter().any(is_suppressed));
    assert!(results(&v).iter().any(|r| key(r).0 == "untrusted-registry"));

    // A suppression without a reason still suppresses: no justification.
    let v = sarif(&fixture("rules/unused-ignore/fail"), &["."]);
    let s: Vec<&Value> = results(&v).iter().filter(|r| is_suppressed(r)).collect();
    assert_eq!(s.len(), 1);
    assert_eq!(
        key(s[0]),
        (
            "untrusted-registry".into(),
            "manifests/web.yaml".into(),
            21,
            18
        )
    );
    assert!(s[0]["suppressions"][0].get("justification").is_none());
}

#[test]
fn exit_codes_ignore_suppressed_findings() {
    // Only the suppressed finding would fail the run at `--fail-on error`
    // if it counted: the unused-ignore fixture's findings are infos.
    let dir = fixture("rules/unused-ignore/fail");
    let out = check(&dir, &["--format", "sarif", "."]);
    assert_eq!(out.status.code(), Some(0));
    let out = check(&dir, &["--format", "sarif", "--no-ignore", "."]);
    assert_eq!(out.status.code(), Some(1));
}

const MANIFEST: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: a
          image: nginx:1.25
        - name: b
          image: nginx:1.25
        - name: c
          image: contosoacr.azurecr.io/cache
  selector: {matchLabels: {app: web}}
";

fn lint_fingerprints(dir: &Path) -> Vec<(Key, String)> {
    let v = sarif(dir, &["--no-config", "."]);
    results(&v)
        .iter()
        .map(|r| (key(r), fingerprint(r)))
        .collect()
}

#[test]
fn fingerprints_survive_unrelated_edits() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    let file = dir.path().join("k8s/web.yaml");
    std::fs::write(&file, MANIFEST).unwrap();
    let before = lint_fingerprints(dir.path());
    assert!(before.len() >= 3, "{before:?}");
    let prints: BTreeSet<&String> = before.iter().map(|(_, p)| p).collect();
    assert_eq!(
        prints.len(),
        before.len(),
        "two identical images still differ: {before:?}"
    );

    // Lines inserted above and the whole document re-indented: same
    // findings, other lines, same fingerprints.
    let moved = format!(
        "# a comment\n# another\n---\n{}",
        MANIFEST
            .replace("        - name", "          - name")
            .replace("          image", "            image")
    );
    std::fs::write(&file, moved).unwrap();
    let after = lint_fingerprints(dir.path());
    assert_eq!(after.len(), before.len());
    for ((k0, p0), (k1, p1)) in before.iter().zip(&after) {
        assert_eq!((&k0.0, &k0.1), (&k1.0, &k1.1));
        assert_eq!(k1.2, k0.2 + 3, "the finding moved down");
        assert_eq!(p0, p1, "{k0:?} kept its fingerprint");
    }

    // A changed node is a different result.
    std::fs::write(
        &file,
        MANIFEST.replace("contosoacr.azurecr.io/cache", "contosoacr.azurecr.io/queue"),
    )
    .unwrap();
    let changed = lint_fingerprints(dir.path());
    let cache = |v: &[(Key, String)]| {
        v.iter()
            .filter(|(k, _)| k.2 == 14)
            .map(|(_, p)| p.clone())
            .collect::<Vec<_>>()
    };
    assert!(!cache(&before).is_empty());
    for p in cache(&changed) {
        assert!(
            !cache(&before).contains(&p),
            "a changed image keeps no old fingerprint"
        );
    }
    // The unchanged lines keep theirs.
    assert_eq!(before[..2], changed[..2]);
}

/// Many files with several findings each: the output is rendered in
/// several parallel chunks, and must not depend on the thread count.
fn many_findings() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..120 {
        let text = MANIFEST.replace("name: web", &format!("name: web-{i}"));
        std::fs::write(dir.path().join(format!("m{i:03}.yaml")), text).unwrap();
    }
    // One suppressed finding among them.
    let first = dir.path().join("m000.yaml");
    let text = std::fs::read_to_string(&first).unwrap();
    let text = text.replacen(
        "image: nginx:1.25",
        "image: nginx:1.25 # shipshape: ignore[untrusted-registry] vendor",
        1,
    );
    std::fs::write(first, text).unwrap();
    dir
}

#[test]
fn the_same_bytes_at_any_thread_count() {
    let dir = many_findings();
    let one = check(
        dir.path(),
        &["--format", "sarif", "--no-config", "--threads", "1", "."],
    );
    let four = check(
        dir.path(),
        &["--format", "sarif", "--no-config", "--threads", "4", "."],
    );
    assert!(results(&serde_json::from_slice(&one.stdout).unwrap()).len() > 300);
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&four.stdout)
    );
    let one = check(
        dir.path(),
        &["--format", "github", "--no-config", "--threads", "1", "."],
    );
    let four = check(
        dir.path(),
        &["--format", "github", "--no-config", "--threads", "4", "."],
    );
    assert_eq!(
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&four.stdout)
    );
}

#[test]
fn no_raw_control_character_and_paths_are_uris() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("web app#1");
    std::fs::create_dir(&sub).unwrap();
    // Controls and bidirectional overrides in a name (through YAML escapes)
    // and raw in the source lines around the finding.
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"web\\e]0;x\\a\\x85\\u202e\\u2028\"\n\
                spec:\n  template:\n    spec:\n      containers:\n        - name: c\n\
                \x20         image: nginx # raw \u{1b}[31m \u{7f} \u{202e} \u{2066}\n  selector: {matchLabels: {app: web}}\n";
    std::fs::write(sub.join("ünï:cøde.yaml"), text).unwrap();
    let out = check(dir.path(), &["--format", "sarif", "--no-config", "."]);
    let s = String::from_utf8(out.stdout).unwrap();
    let raw: Vec<char> = s
        .chars()
        .filter(|&c| c != '\n' && shipshape::finding::visible::needs_escape(c))
        .collect();
    assert!(raw.is_empty(), "raw characters {raw:?} in:\n{s}");
    let v: Value = serde_json::from_str(&s).unwrap();
    let r = &results(&v)[0];
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"]["uri"],
        "web%20app%231/%C3%BCn%C3%AF%3Ac%C3%B8de.yaml"
    );
    // The values themselves are exact once parsed.
    assert!(loc["contextRegion"]["snippet"]["text"]
        .as_str()
        .unwrap()
        .contains("\u{1b}[31m \u{7f} \u{202e}"));
    if let Some(validator) = validator() {
        let errors = schema_errors(&validator, &v);
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }
}
