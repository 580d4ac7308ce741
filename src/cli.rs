//! The command line: `check`, `rules`, `rule <id>`. Exit codes are a contract:
//! 0 no finding at or above `--fail-on`; 1 some; 2 usage, config or read error.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, Config};
use crate::engine::{self, Options};
use crate::finding::Severity;
use crate::output;
use crate::report::Sources;
use crate::rules;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "shipshape",
    version,
    about = "A fast linter that keeps GitOps repositories safe to deploy"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint files and directories (default: the current directory).
    Check(CheckArgs),
    /// List every rule: id, default severity, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation.
    Rule { id: String },
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Human,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files and directories to lint; `-` reads stdin (see --stdin-filename).
    pub paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Use this config file instead of discovering `.shipshape.yaml`.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Ignore any config file: use the defaults.
    #[arg(long)]
    pub no_config: bool,
    /// Disregard `# shipshape: ignore[...]` suppressions.
    #[arg(long)]
    pub no_ignore: bool,
    /// Lowest severity that makes the exit code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Worker threads (default: the number of CPUs).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Lint stdin as if it were the file at this path (use with `-`).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Skip files larger than this many bytes (overrides `limits.max-file-size`).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Print files, documents, bytes and time per phase to stderr.
    #[arg(long)]
    pub stats: bool,
    /// Print each workflow's deployment mode (push or pull) and the evidence for it, to stderr.
    #[arg(long)]
    pub explain_mode: bool,
}

/// Runs the CLI and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    match cli.command {
        Command::Check(args) => check(args),
        Command::Rules { format } => list_rules(format),
        Command::Rule { id } => show_rule(&id),
    }
}

fn list_rules(format: ListFormat) -> i32 {
    let mut out = std::io::stdout().lock();
    let all = rules::all();
    let r = match format {
        ListFormat::Json => {
            let v: Vec<_> = all
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "id": m.id, "severity": m.default_severity.as_str(), "category": m.category,
                        "summary": m.summary, "alwaysOn": m.always_on,
                    })
                })
                .collect();
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&v).unwrap_or_default()
            )
        }
        ListFormat::Human => all.iter().try_for_each(|m| {
            writeln!(
                out,
                "{:<32} {:<8} {}",
                m.id,
                m.default_severity.as_str(),
                m.summary
            )
        }),
    };
    if r.is_err() {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

fn show_rule(id: &str) -> i32 {
    match rules::find(id) {
        Some(m) => {
            print!("{}", m.markdown());
            EXIT_OK
        }
        None => {
            let ids = rules::ids();
            eprintln!("error: unknown rule `{id}`");
            if let Some(c) = config::closest(id, &ids) {
                eprintln!("help: did you mean `{c}`?");
            }
            eprintln!("help: `shipshape rules` lists every rule");
            EXIT_ERROR
        }
    }
}

/// Loads the config the arguments call for. Errors are rendered to stderr.
fn load_config(args: &CheckArgs, first_path: &std::path::Path) -> Result<Config, ()> {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let path = if args.no_config {
        None
    } else if let Some(p) = &args.config {
        Some(p.clone())
    } else {
        config::discover(first_path)
    };
    let Some(path) = path else {
        return Ok(Config {
            root: cwd,
            ..Config::default()
        });
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read config file {}: {e}", path.display());
            return Err(());
        }
    };
    match config::parse(&text, &rules::ids()) {
        Ok(mut c) => {
            c.root = std::fs::canonicalize(config::root_of(&path))
                .unwrap_or_else(|_| config::root_of(&path));
            c.path = Some(path);
            Ok(c)
        }
        Err(errors) => {
            let display = engine::display_path(&path, &cwd);
            let entry = [engine::FileEntry {
                path: display,
                fs_path: path.clone(),
                kind: crate::classify::FileKind::Manifest,
                text: Some(std::sync::Arc::from(text.as_str())),
                error: None,
                focus: true,
            }];
            let cfg = Config::default();
            let mut sources = Sources::new(&entry, &cfg);
            let renderer = output::human::renderer(anstream::stderr().is_terminal_styled());
            let mut err = anstream::stderr().lock();
            for e in errors {
                let mut f = crate::finding::Finding::new(
                    &rules::engine::InvalidConfig::META,
                    crate::finding::Location {
                        file: 0,
                        span: e.span,
                    },
                    e.message,
                );
                f.help = e.help;
                let _ = writeln!(
                    err,
                    "{}\n",
                    output::human::render_finding(&f, &mut sources, &renderer)
                );
            }
            Err(())
        }
    }
}

trait StyledStream {
    fn is_terminal_styled(&self) -> bool;
}

impl StyledStream for anstream::Stderr {
    fn is_terminal_styled(&self) -> bool {
        anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
    }
}

fn check(args: CheckArgs) -> i32 {
    let start = Instant::now();
    match args.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
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
        return EXIT_ERROR;
    }
    let stdin = if wants_stdin {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            eprintln!("error: cannot read stdin: {e}");
            return EXIT_ERROR;
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
    let Ok(mut config) = load_config(&args, &config_anchor) else {
        return EXIT_ERROR;
    };
    if let Some(max) = args.max_file_size {
        config.limits.max_file_size = max;
    }
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
    let opts = Options {
        paths,
        stdin,
        threads,
        no_ignore: args.no_ignore,
        config,
        context,
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build();
    let run = match pool {
        Ok(pool) => pool.install(|| engine::run(&opts)),
        Err(_) => engine::run(&opts),
    };
    let out_start = Instant::now();
    let mut sources = Sources::new(&run.files, &opts.config);
    let stdout = anstream::stdout();
    let styled = args.format == Format::Human
        && anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never;
    let mut out = stdout.lock();
    let res = match args.format {
        Format::Human => {
            let o = output::human::Options {
                styled,
                elapsed_ms: start.elapsed().as_millis(),
            };
            output::human::write(&run, &mut sources, &mut out, &o)
        }
        Format::Json => output::json::write(&run, &mut sources, &mut out),
    };
    let _ = out.flush();
    if args.explain_mode {
        crate::rules::workflow::mode::explain(&run.index, &opts.config, &mut std::io::stderr());
    }
    if args.stats {
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
    }
    if res.is_err() {
        return EXIT_ERROR;
    }
    if run.counts.unreadable > 0 {
        return EXIT_ERROR;
    }
    let threshold = match args.fail_on {
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
