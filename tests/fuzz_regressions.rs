//! Replays every input the fuzzers found (`fuzz/regressions/<target>/*`)
//! through the library, checking the properties the fuzz targets check: no
//! panic, and every span of every finding on character boundaries of the
//! text it refers to. The fuzz package (`fuzz/`) holds the fuzzers and a
//! stricter replay; this keeps the regression corpus in the main test run.
//! Inputs of the `schema` target also go through the schema layer (see
//! [`schema_layer`]), on a thread with the engine workers' 2 MiB stack.

mod common;

use std::path::PathBuf;

use common::*;

fn inputs() -> Vec<(String, PathBuf)> {
    let dir = root().join("fuzz/regressions");
    let mut out = Vec::new();
    let Ok(targets) = std::fs::read_dir(&dir) else {
        return out;
    };
    for t in targets.flatten().filter(|t| t.path().is_dir()) {
        let target = t.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(t.path()).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && !name.ends_with(".md") {
                out.push((target.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_fuzz_regression_input_is_handled() {
    let inputs = inputs();
    assert!(!inputs.is_empty(), "fuzz/regressions holds no input");
    for (target, path) in inputs {
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        // The library layers, whatever target found the input.
        let parsed = shipshape::yaml::parse_stream(&text, &shipshape::yaml::Limits::default());
        for e in &parsed.errors {
            assert!(
                text.is_char_boundary(e.span.start as usize)
                    && text.is_char_boundary(e.span.end as usize),
                "{}: error span",
                path.display()
            );
        }
        let _ = shipshape::config::parse(&text, &shipshape::rules::ids());
        if target == "schema" {
            let (t, p) = (bytes.clone(), path.clone());
            std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || schema_layer(&t))
                .unwrap()
                .join()
                .unwrap_or_else(|_| panic!("{}: the schema layer panicked", p.display()));
        }
        for r in [
            shipshape::script::analyze(&text).commits,
            shipshape::script::analyze(&text).cluster_access,
        ]
        .concat()
        {
            assert!(
                text.get(r.range.clone()).is_some(),
                "{}: script range",
                path.display()
            );
        }
        // The whole CLI on the raw bytes, as a manifest and as a workflow.
        for name in ["x.yaml", ".github/workflows/x.yml"] {
            let d = tempfile::tempdir().unwrap();
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &bytes).unwrap();
            let (v, code) = json(d.path(), &["--no-config", "."]);
            assert!(
                code == 0 || code == 1,
                "{target}/{}: exit {code}",
                path.display()
            );
            let on_disk = String::from_utf8_lossy(&bytes).into_owned();
            for f in v["findings"].as_array().unwrap() {
                for key in ["start", "end"] {
                    let off = f[key]["offset"].as_u64().unwrap() as usize;
                    assert!(
                        on_disk.is_char_boundary(off),
                        "{}: {key} offset {off} inside a character",
                        path.display()
                    );
                }
            }
        }
    }
}

/// The schema layer on a `schema` fuzz input: `JSON Schema \0 YAML` (else
/// all YAML, a leading byte 1 to 8 being the fuzzer's pick of a bundled
/// schema). The schema part is compiled (plain and structural) and
/// validates every document; every document is also read as a CRD, whose
/// served schemas are compiled and validate every document. Violation spans
/// must lie in the text on char boundaries.
fn schema_layer(bytes: &[u8]) {
    use shipshape::schema::{compile::compile, crd, validate};
    let (schema, yaml) = match bytes.iter().position(|&b| b == 0) {
        Some(nul) => (Some(&bytes[..nul]), &bytes[nul + 1..]),
        None if matches!(bytes.first(), Some(1..=8)) => (None, &bytes[1..]),
        None => (None, bytes),
    };
    let text = String::from_utf8_lossy(yaml).into_owned();
    let parsed = shipshape::yaml::parse_stream(&text, &shipshape::yaml::Limits::default());
    let roots: Vec<_> = parsed
        .docs
        .iter()
        .filter_map(|d| d.root())
        .take(4)
        .collect();
    let opts = validate::Options::OBJECT;
    let against = |c: &shipshape::schema::compile::Compiled| {
        for root in &roots {
            for v in validate::validate(c, *root, root.span(), opts) {
                assert!(
                    text.get(v.span.range()).is_some(),
                    "violation span {:?} outside the text or inside a character",
                    v.span
                );
            }
        }
    };
    if let Some(v) = schema.and_then(|s| serde_json::from_slice::<serde_json::Value>(s).ok()) {
        let defs = ["definitions", "$defs", "defs"]
            .iter()
            .find_map(|k| v.get(*k).and_then(|d| d.as_object()));
        for structural in [false, true] {
            if let Ok(c) = compile(&v, defs, structural) {
                against(&c);
            }
        }
    }
    for root in &roots {
        let Ok(versions) = crd::versions(*root) else {
            continue;
        };
        for v in versions.iter().take(2) {
            if let Ok(c) = compile(&v.schema, None, true) {
                against(&c);
            }
        }
    }
}
