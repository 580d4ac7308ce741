//! The command line: `check`, `rules`, `rule <id>`, and what editors, shells
//! and packagers install (`config-schema`, `completions`, `man`). Exit codes
//! are a contract: 0 no finding at or above `--fail-on`; 1 some; 2 usage,
//! config or read error. This file holds the arguments; `check` runs a check,
//! `load_config` finds and reads the config, `rules_cmd` lists and prints the
//! rules, `generate` prints the config schema, completions and man pages.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod check;
mod generate;
mod load_config;
mod rules_cmd;

pub use generate::config_schema;
pub use rules_cmd::rules_markdown;

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
    #[command(
        after_help = "Exit status: 0 no finding at or above --fail-on; 1 some; 2 a usage or config error, or a file that could not be read."
    )]
    Check(CheckArgs),
    /// List every rule: id, default severity, summary.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
    },
    /// Print a rule's documentation.
    Rule { id: String },
    /// Print the JSON Schema of the config file (`.shipshape.yaml`), for editors.
    ConfigSchema,
    /// Print a shell completion script (e.g. `shipshape completions bash > /etc/bash_completion.d/shipshape`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print a man page (roff): shipshape(1), or a subcommand's, like shipshape-check(1).
    Man {
        /// The subcommand whose page to print.
        command: Option<String>,
        /// Write every page (shipshape.1, shipshape-check.1, ...) into this directory instead.
        #[arg(long, value_name = "DIR", conflicts_with = "command")]
        dir: Option<PathBuf>,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    /// SARIF 2.1.0, for code scanning (docs/sarif.md).
    Sarif,
    /// GitHub Actions annotations (docs/github-annotations.md).
    Github,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Human,
    Json,
    /// Every rule's full documentation, as one Markdown document (docs/rules.md).
    Markdown,
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
    /// Judge apiVersions against this Kubernetes version, `1.N` (overrides
    /// `schemas.kubernetes-version`; default: the bundled schemas' version).
    #[arg(long, value_name = "VERSION", value_parser = clap::builder::PossibleValuesParser::new(crate::config::KUBERNETES_VERSIONS))]
    pub kubernetes_version: Option<String>,
    /// Skip files larger than this many bytes (overrides `limits.max-file-size`).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Print files, documents, bytes and time per phase to stderr.
    #[arg(long)]
    pub stats: bool,
    /// Print each workflow's deployment mode (push or pull) and the evidence for it, to stderr.
    #[arg(long)]
    pub explain_mode: bool,
    /// Write the report to FILE instead of stdout (the summary line still goes to stderr).
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Read a named file (or `--stdin-filename`) even when a symbolic link
    /// takes it outside the directory it was named in (by default it is not
    /// read, and a `link-outside-repository` warning says so).
    #[arg(long)]
    pub follow_outside_links: bool,
    /// Report only findings on lines added or modified since this git
    /// revision (and every finding of files it does not have); the others are
    /// counted in the summary. For adopting shipshape on an existing repository.
    #[arg(long, value_name = "REV")]
    pub diff_base: Option<String>,
    /// Neither read nor write the results cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// Keep the results cache in DIR (default: `SHIPSHAPE_CACHE_DIR`, else
    /// the config's `cache-dir`, else `.shipshape_cache` in the config
    /// file's directory or the working directory).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
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
        Command::Check(args) => check::check(args),
        Command::Rules { format } => rules_cmd::list_rules(format),
        Command::Rule { id } => rules_cmd::show_rule(&id),
        Command::ConfigSchema => generate::print_config_schema(),
        Command::Completions { shell } => generate::completions(shell),
        Command::Man { command, dir } => generate::man(command.as_deref(), dir.as_deref()),
    }
}
