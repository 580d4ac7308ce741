//! The JSON output validates against the published schema
//! (`schemas/shipshape-output-v1.schema.json`). The schema uses a small subset
//! of JSON Schema (type, const, enum, required, properties,
//! additionalProperties: false, items, $ref to $defs, minimum, pattern by
//! prefix class), validated here without a heavy dependency.

mod common;

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
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Some(obj) = v.as_object() else {
                errors.push(format!("{path}: not an object"));
                return;
            };
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
        Some("array") => {
            let Some(arr) = v.as_array() else {
                errors.push(format!("{path}: not an array"));
                return;
            };
            if let Some(items) = schema.get("items") {
                for (i, item) in arr.iter().enumerate() {
                    validate(item, items, root, &format!("{path}[{i}]"), errors);
                }
            }
        }
        Some("integer") => match v.as_u64() {
            Some(n)
                if schema
                    .get("minimum")
                    .and_then(Value::as_u64)
                    .is_none_or(|m| n >= m) => {}
            _ => errors.push(format!("{path}: {v} is not an integer within bounds")),
        },
        Some("string") if !v.is_string() => errors.push(format!("{path}: not a string")),
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
