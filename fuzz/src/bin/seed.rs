//! Builds the seed corpora under `fuzz/corpus/<target>/` (gitignored) from
//! the repository's `fixtures/`, `../shared/yaml-test-suite` (every `in.yaml`)
//! and `../shared/corpus` (every workflow, then manifests round-robin across
//! the corpus's repositories), plus the `run:` scripts of those workflows for
//! the `shell` target and the fixtures' `.shipshape.yaml` files plus a few
//! hand-written configs for the `config` target.
//!
//! Usage (from `fuzz/`): `cargo run --release --bin seed -- [--max-files N] [--max-size BYTES]`
//! Paths are relative to `fuzz/`; override with `SHIPSHAPE_SHARED=/path/to/shared`.

use std::path::PathBuf;

use shipshape_fuzz::seeds;

fn main() {
    let mut max_files = 1500usize;
    let mut max_size = 16 * 1024usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--max-files" => {
                max_files = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--max-files N")
            }
            "--max-size" => {
                max_size = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--max-size BYTES")
            }
            _ => {
                eprintln!("usage: seed [--max-files N] [--max-size BYTES]");
                std::process::exit(2);
            }
        }
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = here.parent().expect("fuzz/ has a parent").to_path_buf();
    let shared = std::env::var_os("SHIPSHAPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared"));
    let gathered = seeds::gather(&repo, &shared, max_files, max_size);
    let out = here.join("corpus");
    for (target, inputs) in &gathered {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).expect("corpus dir");
        let mut n = 0;
        for data in inputs {
            let name = format!("seed-{:016x}", seeds::fnv(data));
            let p = dir.join(name);
            if !p.exists() {
                std::fs::write(&p, data).expect("write seed");
                n += 1;
            }
        }
        println!(
            "{target}: {} seeds ({n} new) in {}",
            inputs.len(),
            dir.display()
        );
    }
}
