//! The config a check runs with: `--config`, else the nearest config file
//! from the first linted path upward, else the defaults. Errors in it are
//! rendered like findings, pointing into the config file.

use std::io::Write;
use std::path::PathBuf;

use super::CheckArgs;
use crate::config::{self, Config};
use crate::finding::visible::visible;
use crate::output;
use crate::report::Sources;
use crate::rules;

/// Loads the config the arguments call for. Errors are rendered to stderr.
pub(super) fn load_config(args: &CheckArgs, first_path: &std::path::Path) -> Result<Config, ()> {
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
            eprintln!(
                "error: cannot read config file {}: {e}",
                visible(&path.to_string_lossy())
            );
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
            let display = crate::source::file::display_path(&path, &cwd);
            let entry = [crate::source::file::FileEntry {
                path: display,
                fs_path: path.clone(),
                kind: crate::source::kind::FileKind::Manifest,
                text: Some(std::sync::Arc::from(text.as_str())),
                error: None,
                outside: None,
                focus: true,
                explicit: true,
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
                f.help = e.help.map(Into::into);
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

pub(super) trait StyledStream {
    fn is_terminal_styled(&self) -> bool;
}

impl StyledStream for anstream::Stderr {
    fn is_terminal_styled(&self) -> bool {
        anstream::AutoStream::choice(&std::io::stderr()) != anstream::ColorChoice::Never
    }
}
