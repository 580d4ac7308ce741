//! Parse floor for the benchmarks (see `bench/README.md`).
//!
//! Walks the given paths the way a linter would (parallel `ignore` walker,
//! hidden files included, `.git` skipped), reads every `*.yaml`, `*.yml` and
//! `*.json` file and drains the `saphyr-parser` event stream, doing nothing
//! with the events. Its time is the lower bound for any linter built on that
//! parser: walking + reading + YAML tokenising/parsing, with no rules, no
//! tree building and no output.
//!
//! Usage: `parse_floor [--threads N] [PATHS...]` (default path `.`; default
//! threads: available parallelism). Paths given explicitly are parsed whatever
//! their extension. Prints one line: `files=N bytes=N events=N errors=N`,
//! where `errors` counts files that could not be read, were not UTF-8, or hit
//! a YAML scan error (parsing of that file stops at its first error).
//!
//! Build: `cargo build --release --example parse_floor`
//! (binary: `target/release/examples/parse_floor`).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use ignore::{WalkBuilder, WalkState};
use saphyr_parser::Parser;

// Same allocator as the shipshape binary, so the floor is comparable.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Default)]
struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
    events: AtomicU64,
    errors: AtomicU64,
}

/// Per-thread counters, flushed into the shared totals when the thread's
/// visitor is dropped (avoids contended atomics on every file).
struct Local<'a> {
    totals: &'a Totals,
    files: u64,
    bytes: u64,
    events: u64,
    errors: u64,
}

impl Drop for Local<'_> {
    fn drop(&mut self) {
        self.totals.files.fetch_add(self.files, Ordering::Relaxed);
        self.totals.bytes.fetch_add(self.bytes, Ordering::Relaxed);
        self.totals.events.fetch_add(self.events, Ordering::Relaxed);
        self.totals.errors.fetch_add(self.errors, Ordering::Relaxed);
    }
}

impl Local<'_> {
    fn parse_file(&mut self, path: &Path) {
        self.files += 1;
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(_) => {
                self.errors += 1;
                return;
            }
        };
        self.bytes += bytes.len() as u64;
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                self.errors += 1;
                return;
            }
        };
        let mut events = 0u64;
        let mut failed = false;
        for item in Parser::new_from_str(&text) {
            match item {
                Ok(ev) => {
                    events += 1;
                    std::hint::black_box(&ev);
                }
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        self.events += events;
        if failed {
            self.errors += 1;
        }
    }
}

fn is_yaml_or_json(path: &Path) -> bool {
    matches!(
        path.extension().and_then(OsStr::to_str),
        Some("yaml" | "yml" | "json")
    )
}

fn usage() -> ExitCode {
    eprintln!("usage: parse_floor [--threads N] [PATHS...]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut threads: Option<usize> = None;
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let s = arg.to_string_lossy();
        let value = if s == "--threads" || s == "-j" {
            match args.next() {
                Some(v) => Some(v.to_string_lossy().into_owned()),
                None => return usage(),
            }
        } else if let Some(v) = s.strip_prefix("--threads=") {
            Some(v.to_owned())
        } else if s == "-h" || s == "--help" {
            eprintln!("usage: parse_floor [--threads N] [PATHS...]");
            return ExitCode::SUCCESS;
        } else {
            None
        };
        match value {
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => threads = Some(n),
                _ => return usage(),
            },
            None => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let threads = threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });

    let mut builder = WalkBuilder::new(&paths[0]);
    for p in &paths[1..] {
        builder.add(p);
    }
    builder
        .hidden(false)
        .threads(threads)
        .filter_entry(|entry| entry.file_name() != OsStr::new(".git"));

    let totals = Totals::default();
    builder.build_parallel().run(|| {
        let mut local = Local {
            totals: &totals,
            files: 0,
            bytes: 0,
            events: 0,
            errors: 0,
        };
        Box::new(move |entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(_) => {
                    local.errors += 1;
                    return WalkState::Continue;
                }
            };
            let is_file = entry.file_type().is_some_and(|t| t.is_file());
            // Explicitly named files (depth 0) are parsed whatever their name.
            if is_file && (entry.depth() == 0 || is_yaml_or_json(entry.path())) {
                local.parse_file(entry.path());
            }
            WalkState::Continue
        })
    });

    println!(
        "files={} bytes={} events={} errors={}",
        totals.files.load(Ordering::Relaxed),
        totals.bytes.load(Ordering::Relaxed),
        totals.events.load(Ordering::Relaxed),
        totals.errors.load(Ordering::Relaxed),
    );
    ExitCode::SUCCESS
}
