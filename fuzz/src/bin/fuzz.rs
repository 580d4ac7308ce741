//! A stable-Rust, std-only, coverage-less but structure-aware fuzzer for the
//! targets of `shipshape_fuzz` (the same checks the libFuzzer targets run).
//! Use it where cargo-fuzz cannot run (no C++ toolchain, no `RUSTC_BOOTSTRAP`),
//! or as a quick smoke run in CI.
//!
//! ```text
//! cargo run --release --bin fuzz -- [--target yaml|lint|config|shell|schema|all] [--seconds N] [--seed S]
//!                                   [--max-files N] [--max-len BYTES]
//! cargo run --release --bin fuzz -- --replay TARGET FILE...
//! cargo run --release --bin fuzz -- --minimize TARGET FILE OUT
//! ```
//!
//! TARGET for `--replay`/`--minimize` may also be `lint@MODE` (MODE: `x.yaml`,
//! `.github/workflows/x.yml`, `kustomization.yaml`, `action.yml`, `x.json`,
//! `disk`, `diff`): plain `lint` picks its mode from a hash of the bytes, so a lint
//! crash is minimised and replayed with its mode pinned.
//!
//! ```text
//! ```
//!
//! Seeds: `seeds::gather` (fixtures, the YAML test suite, the shared corpus,
//! workflow `run:` scripts, configs) plus whatever `corpus/<target>/` holds.
//! Mutations: byte flips, line insert/delete/duplicate/swap, splices of two
//! seeds, YAML-significant tokens, CRLF, BOM, multi-byte UTF-8, deep
//! nesting, truncation; 1 to 4 stacked per input. Each input runs in a worker
//! thread under `catch_unwind`; over 2 s is a hang. The first input of each
//! distinct failure is written to `artifacts/<target>/` and minimised
//! (`min-…` beside it); copy that into `regressions/<target>/`.
//! Single-threaded: the worker runs while the main thread waits.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use shipshape_fuzz::{
    catch, check_spec, install_panic_hook, lint_mode_name, lint_mode_of, seeds, TARGETS,
};

const HANG: Duration = Duration::from_secs(2);
/// How long a hung input is still waited for before its worker is abandoned.
const HANG_GRACE: Duration = Duration::from_secs(60);

// ------------------------------------------------------------------ PRNG

/// xorshift64* seeded through splitmix64.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

// ------------------------------------------------------------- mutations

const TOKENS: &[&str] = &[
    "&a ",
    "*a",
    "&b ",
    "*b",
    "<<: ",
    "<<: *a\n",
    "- ",
    ": ",
    "? ",
    "{",
    "}",
    "[",
    "]",
    ", ",
    "\"",
    "'",
    "|",
    "|-\n",
    "|+\n",
    ">",
    ">-\n",
    "|2\n",
    "---",
    "\n---\n",
    "...",
    "\n...\n",
    "#",
    " # c",
    "\t",
    "\r\n",
    "\r",
    "\u{feff}",
    "é",
    "\u{2028}",
    "🚀",
    "\u{85}",
    "\\u00e9",
    "\\x",
    "\\",
    "!!str ",
    "!!map ",
    "!tag ",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "\0",
    "~",
    "null",
    "true",
    "0x1F",
    "1e9",
    "-.inf",
    "apiVersion: apps/v1\n",
    "kind: Deployment\n",
    "kind: Kustomization\n",
    "metadata:\n  name: x\n",
    "spec:\n",
    "containers:\n",
    "- image: ",
    "image: ",
    "imagePullSecrets: ",
    "images:\n",
    "newTag: ",
    "digest: ",
    "myreg.azurecr.io/app:v1",
    "nginx:latest",
    "@sha256:",
    "on: push\n",
    "jobs:\n",
    "steps:\n",
    "runs-on: ",
    "uses: ",
    "run: ",
    "run: |\n",
    "${{ secrets.X }}",
    "kubectl apply -f ",
    "helm upgrade --install ",
    "docker push ",
    "docker build -t ",
    "sed -i ",
    "yq -i ",
    "az aks get-credentials ",
    "git push",
    "cd ",
    " && ",
    " | ",
    "<<EOF\n",
    "\nEOF\n",
    "$(",
    "`",
    "# shipshape-ignore: ",
    "# shipshape-ignore-file\n",
    "mode: ",
    "registries:\n",
    "allowed: ",
    "private:\n",
    "match: ",
    "auth: ",
    "exclude: ",
    "rules:\n",
    "limits:\n",
    "max-depth: ",
    "max-file-size: ",
    "**/",
    // JSON Schema (the `schema` target: `schema \0 yaml`).
    "\"$ref\": \"#/definitions/a\"",
    "{\"$ref\": \"#/definitions/a\"}",
    "\"definitions\": {\"a\": ",
    "\"type\": \"object\", ",
    "\"properties\": {\"a\": ",
    "\"additionalProperties\": false, ",
    "\"items\": ",
    "\"required\": [\"a\"], ",
    "\"enum\": [\"a\", 1, null], ",
    "\"anyOf\": [",
    "\"oneOf\": [",
    "\"allOf\": [",
    "\"not\": ",
    "\"pattern\": \"^a+$\", ",
    "\"format\": \"quantity\", ",
    "\"x-kubernetes-preserve-unknown-fields\": true, ",
    "\"x-kubernetes-int-or-string\": true, ",
    "$ref: '#/definitions/a'",
    "openAPIV3Schema:\n",
    "kind: CustomResourceDefinition\n",
    "x-kubernetes-preserve-unknown-fields: true\n",
];

fn line_bounds(d: &[u8]) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        d.iter()
            .enumerate()
            .filter(|(_, &b)| b == b'\n')
            .map(|(i, _)| i + 1),
    );
    if *v.last().unwrap_or(&0) != d.len() {
        v.push(d.len());
    }
    v
}

/// A random line as a byte range (the whole input when it has one line).
fn random_line(r: &mut Rng, d: &[u8]) -> (usize, usize) {
    let b = line_bounds(d);
    if b.len() < 2 {
        return (0, d.len());
    }
    let i = r.below(b.len() - 1);
    (b[i], b[i + 1])
}

fn mutate(r: &mut Rng, d: &mut Vec<u8>, seeds: &[Vec<u8>], max_len: usize) {
    let pos = |r: &mut Rng, d: &Vec<u8>| r.below(d.len() + 1);
    match r.below(16) {
        0 if !d.is_empty() => {
            let i = r.below(d.len());
            d[i] ^= 1 << r.below(8);
        }
        1 if !d.is_empty() => {
            let i = r.below(d.len());
            d[i] = *r.pick(b"\n\t :-[]{}&*!|>'\"#,?%@`\\\r\x00\xff\xc3\xe2");
        }
        2 => {
            let (a, b) = random_line(r, d);
            d.drain(a..b);
        }
        3 => {
            let (a, b) = random_line(r, d);
            let line = d[a..b].to_vec();
            let at = random_line(r, d).0;
            d.splice(at..at, line);
        }
        4 => {
            // Swap two lines (by moving one).
            let (a, b) = random_line(r, d);
            let line: Vec<u8> = d.drain(a..b).collect();
            let at = random_line(r, d).1;
            d.splice(at..at, line);
        }
        5 | 6 => {
            let t = r.pick(TOKENS).as_bytes();
            let at = pos(r, d);
            d.splice(at..at, t.iter().copied());
        }
        7 => {
            // Splice: a prefix of this input with a suffix (or a line) of another seed.
            let other = r.pick(seeds);
            let cut = pos(r, d);
            d.truncate(cut);
            if r.chance(2) {
                let from = r.below(other.len() + 1);
                d.extend_from_slice(&other[from..]);
            } else {
                let (a, b) = random_line(r, other);
                d.extend_from_slice(&other[a..b]);
            }
        }
        8 => {
            let at = pos(r, d);
            d.truncate(at);
        }
        9 => {
            // Deep nesting, flow or block.
            let n = 1 + r.below(1200);
            let at = pos(r, d);
            let chunk: Vec<u8> = match r.below(4) {
                0 => "[".repeat(n).into_bytes(),
                1 => "{a: ".repeat(n).into_bytes(),
                2 => (0..n.min(300))
                    .flat_map(|i| format!("{}- \n", " ".repeat(i * 2)).into_bytes())
                    .collect(),
                _ => (0..n.min(300))
                    .flat_map(|i| format!("{}k{i}:\n", " ".repeat(i)).into_bytes())
                    .collect(),
            };
            d.splice(at..at, chunk);
        }
        10 => {
            // Line endings: all LF to CRLF, or CR alone.
            let to: &[u8] = if r.chance(2) { b"\r\n" } else { b"\r" };
            let mut out = Vec::with_capacity(d.len() + d.len() / 16);
            for &b in d.iter() {
                if b == b'\n' {
                    out.extend_from_slice(to);
                } else {
                    out.push(b);
                }
            }
            *d = out;
        }
        11 => {
            let boms: [&[u8]; 3] = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"];
            let bom = *r.pick(&boms);
            d.splice(0..0, bom.iter().copied());
        }
        12 => {
            // Re-indent a line by a random amount (spaces or a tab).
            let (a, _) = random_line(r, d);
            let ind: Vec<u8> = if r.chance(4) {
                vec![b'\t']
            } else {
                vec![b' '; r.below(9)]
            };
            d.splice(a..a, ind);
        }
        13 if !d.is_empty() => {
            // Delete or duplicate a byte range.
            let a = r.below(d.len());
            let b = (a + 1 + r.below(64)).min(d.len());
            if r.chance(2) {
                d.drain(a..b);
            } else {
                let chunk = d[a..b].to_vec();
                d.splice(b..b, chunk);
            }
        }
        14 => {
            // Anchors and aliases at random: define then reuse, or a bomb.
            let name = *r.pick(&["a", "b", "x", "é"]);
            let at = pos(r, d);
            let t = match r.below(3) {
                0 => format!("&{name} "),
                1 => format!("*{name}"),
                _ => {
                    let mut s = format!("{name}0: &{name}0 [x, x]\n");
                    for i in 1..(2 + r.below(30)) {
                        s.push_str(&format!(
                            "{name}{i}: &{name}{i} [*{name}{}, *{name}{}]\n",
                            i - 1,
                            i - 1
                        ));
                    }
                    s
                }
            };
            d.splice(at..at, t.into_bytes());
        }
        _ => {
            // A multi-byte character, possibly cut in the middle.
            let chars: [&[u8]; 6] = [
                b"\xc3\xa9",
                b"\xe2\x80\xa8",
                b"\xf0\x9f\x9a\x80",
                b"\xc3",
                b"\xe2\x80",
                b"\xed\xa0\x80",
            ];
            let c = *r.pick(&chars);
            let at = pos(r, d);
            d.splice(at..at, c.iter().copied());
        }
    }
    d.truncate(max_len);
}

// ---------------------------------------------------------------- worker

type Job = (String, Vec<u8>);

/// A thread that runs checks: the main thread times them.
struct Worker {
    tx: Sender<Job>,
    rx: Receiver<Result<(), String>>,
}

impl Worker {
    fn spawn() -> Self {
        let (tx, jobs) = mpsc::channel::<Job>();
        let (done, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("fuzz-worker".into())
            .stack_size(64 << 20)
            .spawn(move || {
                for (target, data) in jobs {
                    let r = catch(|| check_spec(&target, &data));
                    if done.send(r).is_err() {
                        break;
                    }
                }
            })
            .expect("spawn worker");
        Worker { tx, rx }
    }
}

enum Outcome {
    Ok,
    Fail(String),
    /// Took longer than `HANG`; `Some(d)` when it finished after all.
    Hang(Option<Duration>),
}

struct Runner {
    worker: Worker,
    abandoned: usize,
}

impl Runner {
    fn run(&mut self, target: &str, data: &[u8]) -> Outcome {
        let t0 = Instant::now();
        self.worker
            .tx
            .send((target.to_string(), data.to_vec()))
            .expect("worker alive");
        match self.worker.rx.recv_timeout(HANG) {
            Ok(Ok(())) => Outcome::Ok,
            Ok(Err(e)) => Outcome::Fail(e),
            Err(_) => match self.worker.rx.recv_timeout(HANG_GRACE) {
                Ok(_) => Outcome::Hang(Some(t0.elapsed())),
                Err(_) => {
                    // Cannot kill a thread: leave it and start another.
                    self.abandoned += 1;
                    self.worker = Worker::spawn();
                    Outcome::Hang(None)
                }
            },
        }
    }
}

/// A failure's identity: its first line with numbers blanked, so one bug
/// found with different offsets counts once.
fn signature(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or("");
    let mut out = String::new();
    let mut in_num = false;
    for c in line.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    // Keep a panic's location (file:line) exact: it names the bug.
    if let Some(rest) = line.strip_prefix("panic at ") {
        if let Some((loc, _)) = rest.split_once(": ") {
            return format!(
                "panic at {loc}: {}",
                out.split_once(": ").map(|x| x.1).unwrap_or("")
            );
        }
    }
    out
}

/// Deletes lines, then byte ranges, then single bytes, while `still` holds.
fn minimize(data: &[u8], mut still: impl FnMut(&[u8]) -> bool, budget: Duration) -> Vec<u8> {
    let t0 = Instant::now();
    let mut cur = data.to_vec();
    // Lines, in chunks that halve.
    let mut chunk = line_bounds(&cur).len().max(2) / 2;
    while chunk >= 1 && t0.elapsed() < budget {
        let mut i = 0;
        loop {
            let b = line_bounds(&cur);
            if i + 1 >= b.len() || t0.elapsed() > budget {
                break;
            }
            let end = b[(i + chunk).min(b.len() - 1)];
            let mut cand = cur[..b[i]].to_vec();
            cand.extend_from_slice(&cur[end..]);
            if cand.len() < cur.len() && still(&cand) {
                cur = cand;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    // Bytes, in chunks that halve.
    let mut chunk = (cur.len() / 2).max(1);
    while chunk >= 1 && t0.elapsed() < budget {
        let mut i = 0;
        while i < cur.len() && t0.elapsed() < budget {
            let end = (i + chunk).min(cur.len());
            let mut cand = cur[..i].to_vec();
            cand.extend_from_slice(&cur[end..]);
            if still(&cand) {
                cur = cand;
            } else {
                i += chunk;
            }
        }
        chunk /= 2;
    }
    cur
}

#[derive(Default)]
struct Stats {
    execs: u64,
    time: Duration,
    /// Distinct failure signature -> (count, artifact file).
    crashes: BTreeMap<String, (u64, PathBuf)>,
    hangs: Vec<(PathBuf, Option<Duration>)>,
}

fn save(dir: &Path, prefix: &str, data: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("artifacts dir");
    let p = dir.join(format!("{prefix}-{:016x}", seeds::fnv(data)));
    std::fs::write(&p, data).expect("write artifact");
    p
}

fn usage() -> ! {
    eprintln!(
        "usage: fuzz [--target yaml|lint|config|shell|schema|all] [--seconds N] [--seed S] [--max-files N] [--max-len BYTES]\n       \
         fuzz --replay TARGET FILE...\n       fuzz --minimize TARGET FILE OUT"
    );
    std::process::exit(2)
}

fn main() {
    install_panic_hook();
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut runner = Runner {
        worker: Worker::spawn(),
        abandoned: 0,
    };

    if args.first().map(String::as_str) == Some("--replay") {
        let target = args.get(1).unwrap_or_else(|| usage());
        let mut bad = 0;
        for f in &args[2..] {
            let data = std::fs::read(f).expect("read input");
            match runner.run(target, &data) {
                Outcome::Ok => println!("ok    {f}"),
                Outcome::Fail(e) => {
                    bad += 1;
                    println!("FAIL  {f}: {e}")
                }
                Outcome::Hang(d) => {
                    bad += 1;
                    println!("HANG  {f}: {d:?}")
                }
            }
        }
        std::process::exit(i32::from(bad > 0));
    }
    if args.first().map(String::as_str) == Some("--minimize") {
        let (Some(target), Some(file), Some(out)) = (args.get(1), args.get(2), args.get(3)) else {
            usage()
        };
        let data = std::fs::read(file).expect("read input");
        let sig = match runner.run(target, &data) {
            Outcome::Fail(e) => signature(&e),
            Outcome::Hang(_) => "hang".to_string(),
            Outcome::Ok => {
                eprintln!("{file} does not fail the {target} target");
                std::process::exit(1)
            }
        };
        let min = minimize(
            &data,
            |c| match runner.run(target, c) {
                Outcome::Fail(e) => signature(&e) == sig,
                Outcome::Hang(_) => sig == "hang",
                Outcome::Ok => false,
            },
            Duration::from_secs(300),
        );
        std::fs::write(out, &min).expect("write output");
        println!("{} -> {} bytes: {sig}", data.len(), min.len());
        return;
    }

    let mut target = "all".to_string();
    let mut seconds = 60u64;
    let mut seed = 1u64;
    let mut max_files = 1500usize;
    let mut max_len = 16 * 1024usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().unwrap_or_else(|| usage());
        match a.as_str() {
            "--target" => target = val(),
            "--seconds" => seconds = val().parse().unwrap_or_else(|_| usage()),
            "--seed" => seed = val().parse().unwrap_or_else(|_| usage()),
            "--max-files" => max_files = val().parse().unwrap_or_else(|_| usage()),
            "--max-len" => max_len = val().parse().unwrap_or_else(|_| usage()),
            _ => usage(),
        }
    }
    let targets: Vec<&str> = if target == "all" {
        TARGETS.to_vec()
    } else if TARGETS.contains(&target.as_str()) {
        vec![TARGETS
            .iter()
            .copied()
            .find(|t| *t == target)
            .unwrap_or("yaml")]
    } else {
        usage()
    };

    let repo = here.parent().expect("fuzz/ has a parent").to_path_buf();
    let shared = std::env::var_os("SHIPSHAPE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("../shared"));
    let mut pools = seeds::gather(&repo, &shared, max_files, max_len);
    for t in &targets {
        let pool = pools.entry(*t).or_default();
        if let Ok(rd) = std::fs::read_dir(here.join("corpus").join(t)) {
            pool.extend(rd.flatten().filter_map(|e| std::fs::read(e.path()).ok()));
        }
        if pool.is_empty() {
            pool.push(b"a: b\n".to_vec());
        }
        println!("{t}: {} seeds", pool.len());
    }

    let mut r = Rng::new(seed);
    let mut stats: BTreeMap<&str, Stats> = targets.iter().map(|t| (*t, Stats::default())).collect();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(seconds);
    let mut last_report = Instant::now();
    let mut i = 0usize;
    // Seeds first (each once, unmutated), then mutants.
    let mut seed_pos: BTreeMap<&str, usize> = targets.iter().map(|t| (*t, 0)).collect();
    while Instant::now() < deadline {
        let t = targets[i % targets.len()];
        i += 1;
        let pool = &pools[t];
        let sp = seed_pos.get_mut(t).expect("target");
        let data = if *sp < pool.len() {
            *sp += 1;
            pool[*sp - 1].clone()
        } else {
            let mut d = r.pick(pool).clone();
            for _ in 0..1 + r.below(4) {
                mutate(&mut r, &mut d, pool, max_len);
            }
            d
        };
        let start = Instant::now();
        let outcome = runner.run(t, &data);
        let st = stats.get_mut(t).expect("target");
        st.execs += 1;
        st.time += start.elapsed();
        let art = here.join("artifacts").join(t);
        match outcome {
            Outcome::Ok => {}
            Outcome::Fail(e) => {
                let sig = signature(&e);
                if let Some(entry) = st.crashes.get_mut(&sig) {
                    entry.0 += 1;
                } else {
                    let p = save(&art, "crash", &data);
                    // Minimise with lint's mode pinned: its mode follows the bytes.
                    let spec = if t == "lint" {
                        format!("lint@{}", lint_mode_name(lint_mode_of(&data)))
                    } else {
                        t.to_string()
                    };
                    println!("\nCRASH [{spec}] {e}\n  input: {}", p.display());
                    let min = minimize(
                        &data,
                        |c| matches!(runner.run(&spec, c), Outcome::Fail(e2) if signature(&e2) == sig),
                        Duration::from_secs(60),
                    );
                    let tag = spec.replace(['@', '/', '.'], "-");
                    let m = save(&art, &format!("min-{tag}"), &min);
                    println!(
                        "  minimised to {} bytes (replay: --replay {spec} FILE): {}",
                        min.len(),
                        m.display()
                    );
                    stats
                        .get_mut(t)
                        .expect("target")
                        .crashes
                        .insert(sig, (1, m));
                }
            }
            Outcome::Hang(d) => {
                let p = save(&art, "hang", &data);
                println!("\nHANG [{t}] {} bytes, took {d:?} (None: still running after {HANG_GRACE:?}): {}", data.len(), p.display());
                st.hangs.push((p, d));
                if runner.abandoned >= 3 {
                    println!("three workers abandoned: stopping");
                    break;
                }
            }
        }
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            let parts: Vec<String> = stats
                .iter()
                .map(|(t, s)| {
                    format!(
                        "{t} {} ({} crash, {} hang)",
                        s.execs,
                        s.crashes.len(),
                        s.hangs.len()
                    )
                })
                .collect();
            println!("[{:>5}s] {}", t0.elapsed().as_secs(), parts.join(", "));
        }
    }

    let total = t0.elapsed();
    println!("\n== {} s, seed {seed}, target {target}", total.as_secs());
    println!("| target | execs | time in target (s) | execs/s | unique crashes | hangs |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut failed = false;
    for (t, s) in &stats {
        let secs = s.time.as_secs_f64();
        println!(
            "| {t} | {} | {secs:.0} | {:.0} | {} | {} |",
            s.execs,
            s.execs as f64 / secs.max(1e-9),
            s.crashes.len(),
            s.hangs.len()
        );
        for (sig, (n, p)) in &s.crashes {
            println!("    crash x{n}: {sig}\n      minimised: {}", p.display());
        }
        for (p, d) in &s.hangs {
            println!("    hang ({d:?}): {}", p.display());
        }
        failed |= !s.crashes.is_empty() || !s.hangs.is_empty();
    }
    std::process::exit(i32::from(failed));
}
