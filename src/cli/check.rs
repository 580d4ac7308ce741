//! `shipshape check`: turn the arguments into the engine's options, run it,
//! write the chosen format, and say how it went in the exit code.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::load_config::load_config;
use super::{CheckArgs, ColorChoice, FailOn, Format, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::engine::cache::CacheDir;
use crate::engine::{self, Options, Run};
use crate::finding::visible::visible;
use crate::finding::Severity;
use crate::output;
use crate::source::git::GitBase;

pub(super) fn check(args: CheckArgs) -> i32 {
    let start = Instant::now();
    match args.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    let opts = match options(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let run = engine::run(&opts);
    let out_start = Instant::now();
    let res = write_output(&run, &opts, &args, start);
    if args.explain_mode {
        crate::rules::workflow::mode::explain(&run.index, &opts.config, &mut std::io::stderr());
    }
    if args.stats {
        print_stats(&run, start, out_start);
    }
    let code = if res.is_err() || run.counts.unreadable > 0 {
        EXIT_ERROR
    } else {
        exit_code(&run, args.fail_on)
    };
    // The process exits next (`main` calls `process::exit`): freeing every
    // finding, fact and path one by one, each emptied page handed back to the
    // system at once, would only cost time.
    std::mem::forget(run);
    code
}

/// The engine's options: paths, stdin, config, threads and context.
/// `Err` holds the exit code of a usage or config error, already reported.
fn options(args: &CheckArgs) -> Result<Options, i32> {
    let wants_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    let mut paths: Vec<PathBuf> = args
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    if paths.is_empty() && !wants_stdin {
        paths.push(PathBuf::from("."));
    }
    if args.stdin_filename.is_some() && !wants_stdin {
        eprintln!("error: --stdin-filename needs `-` among the paths to read stdin");
        return Err(EXIT_ERROR);
    }
    let stdin = if wants_stdin {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read stdin: {e}");
            return Err(EXIT_ERROR);
        }
        Some((
            args.stdin_filename
                .clone()
                .unwrap_or_else(|| PathBuf::from("stdin.yaml")),
            text,
        ))
    } else {
        None
    };
    let config_anchor = stdin
        .as_ref()
        .map(|(p, _)| {
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
        })
        .or_else(|| paths.first().cloned())
        .unwrap_or_else(|| PathBuf::from("."));
    let Ok(mut config) = load_config(args, &config_anchor) else {
        return Err(EXIT_ERROR);
    };
    if let Some(max) = args.max_file_size {
        config.limits.max_file_size = max;
    }
    if let Some(v) = &args.kubernetes_version {
        let known = crate::config::KUBERNETES_VERSIONS.iter().find(|k| **k == v);
        config.schemas.kubernetes_version =
            known.copied().unwrap_or(config.schemas.kubernetes_version);
    }
    let diff_base = match &args.diff_base {
        Some(rev) => match GitBase::open(Path::new("."), rev) {
            Ok(base) => Some(base),
            Err(e) => {
                eprintln!("error: {}", visible(&e));
                return Err(EXIT_ERROR);
            }
        },
        None => None,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    // Files named one by one (pre-commit) or a buffer on stdin (editors): index the
    // whole working directory too, so cross-file rules see the repository.
    let named_files = paths.iter().any(|p| !p.is_dir());
    let context = (named_files || stdin.is_some()).then(|| PathBuf::from("."));
    let cache = cache_dir(args, &config);
    Ok(Options {
        cache,
        paths,
        stdin,
        threads,
        no_ignore: args.no_ignore,
        config,
        context,
        stats: args.stats,
        follow_outside_links: args.follow_outside_links,
        diff_base,
    })
}

/// Where the results cache goes: `--no-cache`, `--cache-dir`,
/// `SHIPSHAPE_CACHE_DIR`, the config's `cache-dir`, the default, in that order.
fn cache_dir(args: &CheckArgs, config: &crate::config::Config) -> Option<CacheDir> {
    if args.no_cache {
        return None;
    }
    let named = args.cache_dir.clone().or_else(engine::cache::env_dir);
    if let Some(path) = named {
        return Some(CacheDir { path, within: None });
    }
    // The repository's choice: kept inside it.
    let path = match &config.cache_dir {
        Some(dir) => config.root.join(dir),
        None => config.root.join(engine::cache::DEFAULT_DIR),
    };
    Some(CacheDir {
        path,
        within: Some(config.root.clone()),
    })
}

/// Writes the report where it goes: stdout, or the `--output` file, with the
/// summary line on stderr so the terminal still says how it went.
fn write_output(
    run: &Run,
    opts: &Options,
    args: &CheckArgs,
    start: Instant,
) -> std::io::Result<()> {
    let elapsed_ms = start.elapsed().as_millis();
    let Some(path) = &args.output else {
        let styled = args.format == Format::Human
            && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
        // Plain rendering carries no escapes: skip anstream's byte-by-byte
        // stripping adapter, which would only copy it.
        let stdout: Box<dyn Write> = if styled {
            Box::new(anstream::stdout().lock())
        } else {
            Box::new(std::io::stdout().lock())
        };
        return write_report(run, opts, args, stdout, styled, elapsed_ms);
    };
    let file = std::fs::File::create(path).inspect_err(|e| {
        eprintln!(
            "error: cannot write {}: {e}",
            visible(&path.to_string_lossy())
        )
    })?;
    // A file gets colours only when asked for.
    let styled = args.format == Format::Human && args.color == ColorChoice::Always;
    write_report(run, opts, args, Box::new(file), styled, elapsed_ms)?;
    let line = output::human::summary_line(run, elapsed_ms);
    let styled = anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never;
    writeln!(anstream::stderr(), "{}", line.render(styled))
}

/// Writes the findings to `out` in the chosen format.
fn write_report(
    run: &Run,
    opts: &Options,
    args: &CheckArgs,
    out: Box<dyn Write>,
    styled: bool,
    elapsed_ms: u128,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    match args.format {
        Format::Human => {
            let o = output::human::Options { styled, elapsed_ms };
            output::human::write(run, &opts.config, &mut out, &o)
        }
        // Machine formats never carry escapes.
        Format::Json => output::json::write(run, &opts.config, &mut out),
        Format::Sarif => output::sarif::write(run, &opts.config, &mut out),
        Format::Github => output::github::write(run, &opts.config, &mut out),
    }?;
    out.flush()
}

/// `--stats`: counts, time per phase and peak memory, on stderr.
fn print_stats(run: &Run, start: Instant, out_start: Instant) {
    let s = &run.stats;
    eprintln!(
        "stats: {} files, {} documents, {} bytes, {} skipped; walk {:.1} ms, parse+rules {:.1} ms, index {:.1} ms, cross-file rules {:.1} ms, suppressions {:.1} ms, output {:.1} ms, total {:.1} ms",
        run.counts.files,
        run.counts.documents,
        s.bytes,
        run.counts.skipped,
        ms(s.walk),
        ms(s.lint),
        ms(s.index),
        ms(s.repo_rules),
        ms(s.finish),
        ms(out_start.elapsed()),
        ms(start.elapsed()),
    );
    let mut peaks: Vec<String> = s
        .peak_rss
        .iter()
        .map(|(phase, kib)| format!("{phase} {:.1} MiB", *kib as f64 / 1024.0))
        .collect();
    if let Some(kib) = engine::peak_rss_kib() {
        peaks.push(format!("output {:.1} MiB", kib as f64 / 1024.0));
    }
    if !peaks.is_empty() {
        eprintln!("stats: peak memory after {}", peaks.join(", "));
    }
    if let Some(c) = &s.cache {
        eprintln!("stats: {}", cache_line(c));
    }
}

/// `--stats`: what the results cache did.
fn cache_line(c: &engine::CacheStats) -> String {
    let mut line = format!("cache: {} of {} files from the cache", c.hits, c.files);
    if let Some(why) = &c.unused {
        line.push_str(&format!(" (cache on disk not used: {why})"));
    }
    match &c.written {
        Ok(Some(bytes)) => line.push_str(&format!("; written, {bytes} bytes")),
        Ok(None) => line.push_str("; unchanged"),
        Err(e) => line.push_str(&format!("; not written: {e}")),
    }
    visible(&line).into_owned()
}

/// 1 when a finding is at or above `--fail-on`, else 0.
fn exit_code(run: &Run, fail_on: FailOn) -> i32 {
    let threshold = match fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    match threshold {
        Some(t) if run.findings.iter().any(|f| f.severity >= t) => EXIT_FINDINGS,
        _ => EXIT_OK,
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
