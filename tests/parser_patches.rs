//! Our copy of saphyr-parser (`vendor/saphyr-parser`, see its PATCHES.md)
//! reads its input in runs instead of one character at a time. This test
//! holds it to the published 0.3.3: the same events, spans and errors,
//! event for event.
//!
//! Inputs: hand-written cases aimed at each patched loop (always run); every
//! fixture; and, when `../shared` is present, the YAML test suite (valid and
//! error cases) and a sample of the corpus. Each input is also read with CRLF
//! line endings and, seeded and repeatable, with characters that end or
//! interrupt the patched runs inserted at pseudo-random places.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;

/// Every event with its span's markers, up to the first error, as text: one
/// function per crate, from one body (the two crates' types are distinct).
macro_rules! events_fn {
    ($name:ident, $krate:ident) => {
        fn $name(src: &str) -> Vec<String> {
            let mut v = Vec::new();
            for item in $krate::Parser::new_from_str(src) {
                match item {
                    Ok((ev, sp)) => v.push(format!(
                        "{ev:?} {}:{}:{}-{}:{}:{}",
                        sp.start.index(),
                        sp.start.line(),
                        sp.start.col(),
                        sp.end.index(),
                        sp.end.line(),
                        sp.end.col()
                    )),
                    Err(e) => {
                        v.push(format!("error {e:?}"));
                        break;
                    }
                }
            }
            v
        }
    };
}

events_fn!(events_ours, saphyr_parser);
events_fn!(events_upstream, saphyr_parser_upstream);

/// Characters that end or interrupt a plain, quoted or block scalar's run.
const PIECES: &[&str] = &[
    " ", "\t", "\n", "\r", "\r\n", "'", "''", "\"", "\\", "\\\n", ":", ": ", "#", " #", "{", "}",
    "[", "]", ",", "\u{feff}", "é", "日本", "\0", "-", "- ", "|", ">-", "---\n", "...\n",
];

struct Checker {
    inputs: usize,
    differ: Vec<String>,
}

impl Checker {
    fn check(&mut self, name: &str, src: &str) {
        self.inputs += 1;
        let (ours, up) = (events_ours(src), events_upstream(src));
        if ours != up {
            let at = ours
                .iter()
                .zip(&up)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(up.len()));
            self.differ.push(format!(
                "{name}: event {at}: ours {:?}, upstream {:?}\ninput: {src:?}",
                ours.get(at),
                up.get(at)
            ));
        }
    }

    /// The text as is, with CRLF line endings, and `mutations` seeded variants.
    fn check_variants(&mut self, name: &str, src: &str, mutations: usize) {
        self.check(name, src);
        self.check(&format!("{name} (CRLF)"), &src.replace('\n', "\r\n"));
        let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (src.len() as u64);
        for m in 0..mutations {
            let mut t = src.to_string();
            for _ in 0..3 {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let mut at = ((seed >> 33) as usize) % (t.len() + 1);
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                t.insert_str(at, PIECES[((seed >> 20) as usize) % PIECES.len()]);
            }
            self.check(&format!("{name} (mutation {m})"), &t);
        }
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(t) = e.file_type() else { continue };
        if t.is_dir() {
            yaml_files(&p, out);
        } else if t.is_file()
            && matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
        {
            out.push(p);
        }
    }
}

#[test]
fn patched_parser_reads_like_the_published_one() {
    let mut c = Checker {
        inputs: 0,
        differ: Vec::new(),
    };
    // Each patched loop: plain scalars (block and flow), quoted runs and
    // escapes, block scalar lines; multi-byte characters and a BOM inside.
    let cases = [
        "key: value with spaces\nurl: http://x:8080/a#b\n",
        "a: b:c\nd: 'it''s' \ne: \"tab\\tand \\u00e9 and \\\"q\\\"\"\n",
        "f: {a: b, c: [d, e:f, 'g', \"h\"], i:j}\n",
        "g: |\n  line one é\n  line two: x # not a comment\n\n  last\nh: >-\n  folded\n  text\n",
        "i: plain é 日本 \u{feff}x\nj: \"multi\n  line\"\nk: 'multi\n\n  line'\n",
        "- a\n- b: c\n  d: e\n- [x, {y: z}]\n---\n? complex\n: value\n...\n",
        "l: \"escaped line \\\n  break\"\nm: end with colon:\nn: a:\n",
        "bad: \"unterminated\nnext: x\n",
        "bad: 'x' trailing\n",
        "- \"\\q invalid escape\"\n",
    ];
    for (i, src) in cases.iter().enumerate() {
        c.check_variants(&format!("case {i}"), src, 200);
    }
    let mut files = Vec::new();
    yaml_files(&root().join("fixtures"), &mut files);
    let fixtures = files.len();
    if let Some(suite) = shared("yaml-test-suite") {
        yaml_files(&suite, &mut files);
    }
    files.sort();
    for (i, p) in files.iter().enumerate() {
        let Ok(src) = fs::read_to_string(p) else {
            continue;
        };
        let mutations = if i < fixtures { 10 } else { 20 };
        c.check_variants(&p.display().to_string(), &src, mutations);
    }
    if let Some(corpus) = shared("corpus") {
        let mut corpus_files = Vec::new();
        yaml_files(&corpus, &mut corpus_files);
        corpus_files.sort();
        // Every 8th file: a spread of real-world YAML that keeps the test short.
        for p in corpus_files.iter().step_by(8) {
            let Ok(src) = fs::read_to_string(p) else {
                continue;
            };
            c.check_variants(&p.display().to_string(), &src, 1);
        }
    } else {
        eprintln!("note: ../shared is absent; checked the cases and fixtures only");
    }
    eprintln!("{} inputs read by both parsers", c.inputs);
    assert!(c.inputs > 2_000, "too few inputs: {}", c.inputs);
    assert!(
        c.differ.is_empty(),
        "{} inputs read differently:\n{}",
        c.differ.len(),
        c.differ[..c.differ.len().min(5)].join("\n")
    );
}
