//! What editors, shells and packagers install, generated from the definitions
//! so it cannot drift: `config-schema` (from the config's key table and the
//! rule registry), `completions` (clap_complete) and `man` (clap_mangen),
//! both from the clap definitions in `cli/mod.rs`.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;

use super::{Cli, EXIT_ERROR, EXIT_OK};
use crate::config;
use crate::finding::visible::visible;
use crate::rules;

/// schemas/shipshape-config.schema.json: the config file's JSON Schema, never edited by hand.
pub fn config_schema() -> String {
    let schema = config::json_schema(&rules::all());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

pub(super) fn print_config_schema() -> i32 {
    exit(
        std::io::stdout()
            .lock()
            .write_all(config_schema().as_bytes()),
    )
}

pub(super) fn completions(shell: clap_complete::Shell) -> i32 {
    let mut cmd = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut cmd, "shipshape", &mut out);
    exit(out.flush())
}

/// shipshape(1) or a subcommand's page on stdout, or every page into `dir`.
pub(super) fn man(command: Option<&str>, dir: Option<&Path>) -> i32 {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![cmd.clone()];
    pages.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    // A subcommand has no version of its own: every page says the tool's.
    let source = format!("shipshape {}", env!("CARGO_PKG_VERSION"));
    let page = |c: clap::Command| clap_mangen::Man::new(c).source(source.clone());
    if let Some(dir) = dir {
        let r = pages
            .into_iter()
            .try_for_each(|c| page(c).generate_to(dir).map(|_| ()));
        if let Err(e) = &r {
            eprintln!(
                "error: cannot write man pages to {}: {e}",
                visible(&dir.to_string_lossy())
            );
        }
        return exit(r);
    }
    let wanted = match command {
        None => Some(cmd),
        Some(name) => pages.into_iter().skip(1).find(|c| c.get_name() == name),
    };
    let Some(wanted) = wanted else {
        eprintln!("error: no subcommand `{}`", visible(command.unwrap_or("")));
        eprintln!("help: `shipshape --help` lists them");
        return EXIT_ERROR;
    };
    exit(page(wanted).render(&mut std::io::stdout().lock()))
}

fn exit(r: std::io::Result<()>) -> i32 {
    if r.is_ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}
