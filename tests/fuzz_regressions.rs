//! Replays every input the fuzzers found (`fuzz/regressions/<target>/*`)
//! through the library, checking the properties the fuzz targets check: no
//! panic, and every span of every finding on character boundaries of the
//! text it refers to. The fuzz package (`fuzz/`) holds the fuzzers and a
//! stricter replay; this keeps the regression corpus in the main test run.

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
