//! Schema validation: our validator, which walks the YAML span tree and a
//! compiled schema together, against the jsonschema crate (0.61, default
//! features off) over a `serde_json::Value` built from the same tree, with
//! the same strict schemas (objects with properties closed) compiled once.
//! Inputs: the corpus's manifest set when `../shared/corpus` is there (its
//! `MANIFESTS.txt`), else generated Deployments. docs/benchmarks.md records
//! the results and docs/design.md the decision.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;
use shipshape::schema::{bundled, crd, validate};
use shipshape::yaml::{parse_stream, Limits, Span};

/// Texts of the manifests to validate.
fn inputs() -> Vec<String> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if let Ok(list) = std::fs::read_to_string(corpus.join("MANIFESTS.txt")) {
        let texts: Vec<String> = list
            .lines()
            .filter_map(|l| std::fs::read_to_string(corpus.join(l.trim())).ok())
            .collect();
        if !texts.is_empty() {
            return texts;
        }
    }
    (0..2000)
        .map(|i| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web-{i}}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers:\n        - name: web\n          image: contoso.azurecr.io/web:1.{i}.0\n          ports: [{{containerPort: 8080}}]\n"))
        .collect()
}

/// The Kubernetes bundle as one JSON Schema document for jsonschema:
/// `$ref`s resolve inside it, and every object with properties is closed
/// (what our validator does for structural schemas in strict mode).
fn jsonschema_document(def: &str) -> Value {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/bundled/kubernetes.json"),
    )
    .unwrap();
    let mut bundle: Value = serde_json::from_str(&text).unwrap();
    fn close(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.contains_key("properties") && !m.contains_key("additionalProperties") {
                    m.insert("additionalProperties".into(), Value::Bool(false));
                }
                for (k, child) in m.iter_mut() {
                    if k == "properties" {
                        if let Value::Object(props) = child {
                            props.values_mut().for_each(close);
                        }
                    } else {
                        close(child);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(close),
            _ => {}
        }
    }
    let mut defs = bundle["defs"].take();
    close(&mut defs);
    serde_json::json!({ "$ref": format!("#/defs/{def}"), "defs": defs })
}

fn validation(c: &mut Criterion) {
    let texts = inputs();
    let bytes: usize = texts.iter().map(String::len).sum();
    let kinds = bundled::KUBERNETES.keys();
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    let bundle_text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/bundled/kubernetes.json"),
    )
    .unwrap();
    let bundle: Value = serde_json::from_str(&bundle_text).unwrap();
    // jsonschema validators, compiled once per kind (as ours are).
    let theirs: std::collections::HashMap<String, jsonschema::Validator> = kinds
        .iter()
        .filter_map(|k| {
            let def = bundle["kinds"][k].as_str()?;
            let v = jsonschema::validator_for(&jsonschema_document(def)).ok()?;
            Some((k.clone(), v))
        })
        .collect();
    let opts = validate::Options::OBJECT;
    let parsed: Vec<_> = texts
        .iter()
        .map(|t| parse_stream(t, &Limits::default()))
        .collect();
    let objects = || {
        parsed.iter().flat_map(|p| p.docs.iter()).filter_map(|d| {
            let root = d.root()?;
            let key = format!(
                "{} {}",
                root.str_at(&["apiVersion"])?,
                root.str_at(&["kind"])?
            );
            bundled::KUBERNETES.has(&key).then_some((key, root))
        })
    };
    let count = objects().count();
    eprintln!(
        "schema validation inputs: {} files, {bytes} bytes, {count} objects with a bundled schema",
        texts.len()
    );
    // The verdicts, once: objects each one rejects.
    let (mut ours, mut jsonschema_only, mut ours_only) = (0, 0, 0);
    for (key, root) in objects() {
        let s = bundled::KUBERNETES.get(&key).unwrap();
        let a = !validate::validate(&s, root, Span::default(), opts).is_empty();
        let b = crd::to_json(root).is_ok_and(|j| !theirs[&key].is_valid(&j));
        ours += usize::from(a);
        jsonschema_only += usize::from(b && !a);
        ours_only += usize::from(a && !b);
        if a != b && std::env::var_os("SHIPSHAPE_BENCH_DIFF").is_some() {
            let name = root.str_at(&["metadata", "name"]).unwrap_or("");
            let theirs_says = crd::to_json(root)
                .ok()
                .and_then(|j| {
                    theirs[&key]
                        .iter_errors(&j)
                        .next()
                        .map(|e| format!("{} at {}", e, e.instance_path()))
                })
                .unwrap_or_default();
            let ours_says: Vec<String> = validate::validate(&s, root, Span::default(), opts)
                .into_iter()
                .map(|v| v.message)
                .collect();
            eprintln!("differ: {key} {name}: ours {ours_says:?}; jsonschema {theirs_says:.200}");
        }
    }
    eprintln!("objects rejected: shipshape {ours}; by jsonschema only {jsonschema_only}; by shipshape only {ours_only}");
    let mut g = c.benchmark_group("schema validation (parsed trees)");
    g.sample_size(10);
    g.throughput(Throughput::Elements(count as u64));
    g.bench_function("shipshape: walk the span tree", |b| {
        b.iter(|| {
            objects()
                .map(|(key, root)| {
                    let s = bundled::KUBERNETES.get(&key).unwrap();
                    validate::validate(&s, black_box(root), Span::default(), opts).len()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("jsonschema 0.61: tree to serde_json, then validate", |b| {
        b.iter(|| {
            objects()
                .map(|(key, root)| {
                    let json = crd::to_json(black_box(root)).unwrap();
                    theirs[&key].iter_errors(&json).count()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
