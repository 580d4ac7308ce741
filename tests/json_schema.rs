//! The published schemas, checked with a small validator (no heavy
//! dependency): the JSON output validates against
//! `schemas/shipshape-output-v1.schema.json`, and
//! `schemas/shipshape-config.schema.json` is what `shipshape config-schema`
//! generates from the config's key table, passes the example configs, and
//! agrees with shipshape's own validation of the config. The validator covers
//! the keywords both schemas use: type (one or a list), const, enum,
//! required, properties, additionalProperties: false, items, $ref to $defs,
//! minimum, pattern.

mod common;

use regex::Regex;
use serde_json::Value;

use common::*;

fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/$defs/");
            &root["$defs"][name]
        }
        None => schema,
    }
}

fn has_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        // A number with no fraction, as JSON Schema (draft-06 on) counts it.
        "integer" => v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "null" => v.is_null(),
        _ => panic!("unknown type {t}"),
    }
}

fn validate(v: &Value, schema: &Value, root: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(schema, root);
    if let Some(c) = schema.get("const") {
        if v != c {
            errors.push(format!("{path}: {v} is not {c}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            errors.push(format!("{path}: {v} not in {e:?}"));
        }
    }
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() && !types.iter().any(|t| has_type(v, t)) {
        errors.push(format!("{path}: {v} is not of type {types:?}"));
        return;
    }
    match v {
        Value::Object(obj) => {
            for r in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !obj.contains_key(r.as_str().unwrap()) {
                    errors.push(format!("{path}: missing {r}"));
                }
            }
            let props = schema.get("properties").and_then(Value::as_object);
            for (k, val) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(s) => validate(val, s, root, &format!("{path}.{k}"), errors),
                    None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        errors.push(format!("{path}: unexpected property {k}"))
                    }
                    None => {}
                }
            }
        }
        Value::Array(arr) => {
            if let Some(items) = schema.get("items") {
                for (i, item) in arr.iter().enumerate() {
                    validate(item, items, root, &format!("{path}[{i}]"), errors);
                }
            }
        }
        Value::Number(n) => {
            if let Some(m) = schema.get("minimum").and_then(Value::as_f64) {
                if n.as_f64().unwrap() < m {
                    errors.push(format!("{path}: {v} is below {m}"));
                }
            }
        }
        Value::String(s) => {
            if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
                if !Regex::new(p).unwrap().is_match(s) {
                    errors.push(format!("{path}: {v} does not match {p}"));
                }
            }
        }
        _ => {}
    }
}

fn schema() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/shipshape-output-v1.schema.json")).unwrap(),
    )
    .unwrap()
}

#[test]
fn output_on_every_fixture_validates() {
    let schema = schema();
    let (v, _) = json(&fixture(""), &["."]);
    assert!(v["findings"].as_array().unwrap().len() > 50);
    let mut errors = Vec::new();
    validate(&v, &schema, &schema, "$", &mut errors);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_validator_catches_violations() {
    let schema = schema();
    let (mut v, _) = json(&fixture("push-voting-app"), &["."]);
    v["findings"][0]["severity"] = Value::String("fatal".into());
    v["findings"][0]["extra"] = Value::Bool(true);
    v["summary"].as_object_mut().unwrap().remove("files");
    let mut errors = Vec::new();
    validate(&v, &schema, &schema, "$", &mut errors);
    assert_eq!(errors.len(), 3, "{errors:?}");
}

// The config file's schema.

fn config_schema() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("schemas/shipshape-config.schema.json")).unwrap(),
    )
    .unwrap()
}

/// A YAML document as an editor's schema check sees it: YAML 1.2 core
/// schema types (yaml-language-server's default), so `1_000_000`, `off` and
/// a quoted `"true"` are strings.
fn yaml_to_json(src: &str) -> Value {
    use shipshape::yaml::{self, NodeRef, ScalarStyle};
    fn plain(t: &str) -> Value {
        let int = Regex::new(r"^[-+]?[0-9]+$").unwrap();
        let float = Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap();
        match t {
            "" | "~" | "null" | "Null" | "NULL" => Value::Null,
            "true" | "True" | "TRUE" => true.into(),
            "false" | "False" | "FALSE" => false.into(),
            _ if int.is_match(t) => serde_json::from_str(t.trim_start_matches('+')).unwrap(),
            _ if t.starts_with("0x") || t.starts_with("0o") => {
                let radix = if t.starts_with("0x") { 16 } else { 8 };
                match u64::from_str_radix(&t[2..], radix) {
                    Ok(n) => n.into(),
                    Err(_) => t.into(),
                }
            }
            _ if float.is_match(t) => t.parse::<f64>().unwrap().into(),
            _ => t.into(),
        }
    }
    fn node(n: NodeRef) -> Value {
        if n.is_map() {
            Value::Object(
                n.entries()
                    .map(|(k, v)| (k.as_str().unwrap_or("").to_string(), node(v)))
                    .collect(),
            )
        } else if n.is_seq() {
            Value::Array(n.items().map(node).collect())
        } else {
            let s = n.scalar().unwrap();
            match s.style {
                ScalarStyle::Plain => plain(s.text),
                _ => s.text.into(),
            }
        }
    }
    let parsed = yaml::parse_stream(src, &yaml::Limits::default());
    assert!(parsed.errors.is_empty(), "{src}");
    parsed
        .docs
        .first()
        .and_then(|d| d.root())
        .map_or(Value::Null, node)
}

/// The schema's errors for a config; none for an empty file, which editors accept.
fn schema_errors(src: &str) -> Vec<String> {
    let schema = config_schema();
    let v = yaml_to_json(src);
    let mut errors = Vec::new();
    if !v.is_null() {
        validate(&v, &schema, &schema, "$", &mut errors);
    }
    errors
}

fn shipshape_accepts(src: &str) -> bool {
    shipshape::config::parse(src, &shipshape::rules::ids()).is_ok()
}

#[test]
fn config_schema_is_generated_from_the_config() {
    let out = shipshape().arg("config-schema").output().unwrap();
    assert!(out.status.success());
    let generated = String::from_utf8(out.stdout).unwrap();
    let path = root().join("schemas/shipshape-config.schema.json");
    if std::env::var_os("SHIPSHAPE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schemas/shipshape-config.schema.json is stale: run `SHIPSHAPE_UPDATE_DOCS=1 cargo test --test json_schema config_schema`"
    );
    // Every rule is there, with its default level.
    let schema = config_schema();
    let rules = &schema["properties"]["rules"]["properties"];
    for id in shipshape::rules::ids() {
        let default = shipshape::rules::find(id)
            .unwrap()
            .default_severity
            .as_str();
        assert_eq!(rules[id]["default"], default, "{id}");
    }
}

/// The README's "Configuration" block: the defaults, written out.
fn readme_config() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Configuration").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_string()
}

#[test]
fn readme_config_passes_the_schema_and_is_the_defaults() {
    let src = readme_config();
    assert!(src.contains("max-alias-expansion"), "{src}");
    assert_eq!(schema_errors(&src), Vec::<String>::new());
    let mut parsed = shipshape::config::parse(&src, &shipshape::rules::ids()).unwrap();
    // It spells out one rule's level, its default; everything else is as default.
    parsed.rules.clear();
    assert_eq!(
        format!("{parsed:?}"),
        format!("{:?}", shipshape::config::Config::default())
    );
}

/// The configs the config's own tests parse (`parse("...")`, `let src = "..."`).
fn config_test_examples() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("src/config/parse.rs")).unwrap();
    let tests = &text[text.find("#[cfg(test)]").unwrap()..];
    let literal = Regex::new(r#"(?:let src = |parse\()"((?:[^"\\]|\\.)*)""#).unwrap();
    literal
        .captures_iter(tests)
        .map(|c| {
            c[1].replace("\\n", "\n")
                .replace("\\\"", "\"")
                .replace("\\\\", "\\")
        })
        .collect()
}

#[test]
fn config_test_examples_pass_the_schema_exactly_when_shipshape_accepts_them() {
    let examples = config_test_examples();
    assert!(examples.len() >= 4, "{examples:?}");
    assert!(examples
        .iter()
        .any(|e| e.contains("max-file-size: 1_000_000")));
    for src in examples {
        let errors = schema_errors(&src);
        assert_eq!(
            errors.is_empty(),
            shipshape_accepts(&src),
            "schema and shipshape disagree on:\n{src}\nschema errors: {errors:?}"
        );
    }
}

#[test]
fn schema_and_validator_agree() {
    let cases = [
        "mode: push\n",
        "mode: \"pull\"\n",
        "mode: sideways\n",
        "mode: [pull]\n",
        "registrys: {}\n",
        "registries: x\n",
        "registries:\n  allowed: [\"*.azurecr.io\", mcr.microsoft.com, \"localhost:5000\", \"*\"]\n",
        "registries:\n  allowed: [\"a*.io\"]\n",
        "registries:\n  allowed: [\"*.\"]\n",
        "registries:\n  allowed: [ghcr.io/org]\n",
        "registries:\n  allowed: mcr.microsoft.com\n",
        "registries:\n  alowed: []\n",
        "registries:\n  private: []\n",
        "registries:\n  private:\n    - match: \"*.azurecr.io\"\n      auth: node-identity\n",
        "registries:\n  private:\n    - match: ghcr.io\n",
        "registries:\n  private:\n    - auth: pull-secret\n",
        "registries:\n  private:\n    - match: ghcr.io\n      auth: password\n",
        "registries:\n  private:\n    - match: ghcr.io\n      user: me\n",
        "registries:\n  private: [ghcr.io]\n",
        "registries:\n  private: {match: ghcr.io}\n",
        "operator-namespaces: [argocd, flux-system, gitops]\n",
        "operator-namespaces: argocd\n",
        "operator-namespaces: [[argocd]]\n",
        "operator-namespaces: [~]\n",
        "images:\n  mutable-tags: [latest, main, dev]\n  require-digest: true\n",
        "images:\n  require-digest: yes\n",
        "images:\n  require-digest: 1\n",
        "images:\n  pin: true\n",
        "images: [latest]\n",
        "exclude: [\"vendor/**\", \"charts/*/templates/**\"]\n",
        "exclude: vendor\n",
        "rules:\n  unpinned-image: warning\n  unused-ignore: off\n  workflow-image-mismatch: info\n",
        "rules:\n  unpinned-image: fatal\n",
        "rules:\n  unpinned-image: [error]\n",
        "rules:\n  no-such-rule: error\n",
        "rules: [unpinned-image]\n",
        "limits:\n  max-file-size: 1048576\n  max-documents: 10\n  max-depth: 64\n  max-alias-expansion: 1_000\n",
        "limits:\n  max-file-size: 0\n",
        "limits:\n  max-file-size: -5\n",
        "limits:\n  max-file-size: 1.5\n",
        "limits:\n  max-file-size: big\n",
        "limits:\n  max-file-size: \"4096\"\n",
        "limits:\n  max-size: 10\n",
        "limits: 10\n",
        "[mode]\n",
        "just text\n",
    ];
    for src in cases {
        let errors = schema_errors(src);
        assert_eq!(
            errors.is_empty(),
            shipshape_accepts(src),
            "schema and shipshape disagree on:\n{src}schema errors: {errors:?}"
        );
    }
}

#[test]
fn where_schema_and_validator_differ() {
    // shipshape reads a scalar's text where YAML 1.2 gives it a type, so the
    // schema, which sees types, is stricter on these.
    let stricter = [
        "operator-namespaces: [true]\n",
        "exclude: [123]\n",
        "images:\n  require-digest: \"true\"\n",
        "limits:\n  max-file-size: \"+5\"\n",
        "registries:\n  allowed: [\"a b.io\"]\n",
    ];
    // What a regular expression cannot say, or YAML 1.2 reads as a number
    // that shipshape's whole-number check does not: the schema is looser.
    let looser = [
        "exclude: [\"a[\"]\n",
        "limits:\n  max-file-size: 0x10\n",
        "limits:\n  max-file-size: 1e3\n",
        "limits:\n  max-depth: 18446744073709551616\n",
    ];
    for src in stricter {
        assert!(shipshape_accepts(src), "{src}");
        assert!(!schema_errors(src).is_empty(), "{src}");
    }
    for src in looser {
        assert!(!shipshape_accepts(src), "{src}");
        assert_eq!(schema_errors(src), Vec::<String>::new(), "{src}");
    }
}
