//! Argument parsing shared by the command families: flags with attached or
//! separate values, positionals, `--dry-run`, and the paths and lists that
//! arguments hold.

use std::ops::Range;

use crate::script::shell::Word;
use crate::script::PathRef;
use crate::source::path;

/// A flag value: its text and the range of the word that holds it.
pub(super) struct Val<'a> {
    pub(super) text: &'a str,
    pub(super) range: Range<usize>,
}

pub(super) enum Arg<'a> {
    Pos(&'a Word),
    Flag {
        name: &'a str,
        value: Option<Val<'a>>,
    },
}

/// Splits `args` into positionals and flags. `--name=value`, `-n=value` and
/// `-nvalue` carry their value; a flag in `value_flags` given alone takes the
/// next word; any other flag is boolean. `--` ends the flags.
pub(super) fn parse_args<'a>(args: &'a [Word], value_flags: &[&str]) -> Vec<Arg<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut only_pos = false;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            out.push(Arg::Pos(w));
            continue;
        }
        if t == "--" {
            only_pos = true;
            continue;
        }
        let value_word = |i: &mut usize| {
            let v = args.get(*i).map(|n| Val {
                text: &n.text,
                range: n.range.clone(),
            });
            *i += usize::from(v.is_some());
            v
        };
        let attached = |text: &'a str| {
            Some(Val {
                text,
                range: w.range.clone(),
            })
        };
        if t.starts_with("--") {
            if let Some(eq) = t.find('=') {
                let name = t.get(..eq).unwrap_or(t);
                out.push(Arg::Flag {
                    name,
                    value: attached(t.get(eq + 1..).unwrap_or("")),
                });
            } else {
                let value = if value_flags.contains(&t) {
                    value_word(&mut i)
                } else {
                    None
                };
                out.push(Arg::Flag { name: t, value });
            }
            continue;
        }
        // Short flag: `-x`, `-xVALUE`, `-x=VALUE`, or bundled booleans.
        let name_end = 1 + t
            .get(1..)
            .and_then(|r| r.chars().next())
            .map_or(1, char::len_utf8);
        let name = t.get(..name_end).unwrap_or(t);
        let rest = t.get(name_end..).unwrap_or("");
        let takes = value_flags.contains(&name);
        let value = if let Some(v) = rest.strip_prefix('=') {
            attached(v)
        } else if !rest.is_empty() {
            if takes {
                attached(rest)
            } else {
                None
            }
        } else if takes {
            value_word(&mut i)
        } else {
            None
        };
        out.push(Arg::Flag { name, value });
    }
    out
}

pub(super) fn positionals<'a>(parsed: &[Arg<'a>]) -> Vec<&'a Word> {
    parsed
        .iter()
        .filter_map(|a| match a {
            Arg::Pos(w) => Some(*w),
            Arg::Flag { .. } => None,
        })
        .collect()
}

/// Values of the flags named `names`, in order.
pub(super) fn values<'p, 'a>(
    parsed: &'p [Arg<'a>],
    names: &'p [&'p str],
) -> impl Iterator<Item = &'p Val<'a>> + 'p {
    parsed.iter().filter_map(move |a| match a {
        Arg::Flag {
            name,
            value: Some(v),
        } if names.contains(name) => Some(v),
        _ => None,
    })
}

pub(super) fn last_value(parsed: &[Arg<'_>], names: &[&str]) -> Option<String> {
    values(parsed, names).last().map(|v| v.text.to_string())
}

/// Whether a flag named `names` is present (and not `=false`).
pub(super) fn has_flag(parsed: &[Arg<'_>], names: &[&str]) -> bool {
    parsed.iter().any(|a| match a {
        Arg::Flag { name, value } => {
            names.contains(name) && value.as_ref().is_none_or(|v| v.text != "false")
        }
        Arg::Pos(_) => false,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum DryRun {
    No,
    Client,
    Server,
}

/// `--dry-run` (bare = client), `--dry-run=client|true` -> Client,
/// `--dry-run=server` -> Server.
pub(super) fn dry_run(parsed: &[Arg<'_>]) -> DryRun {
    let mut d = DryRun::No;
    for a in parsed {
        if let Arg::Flag {
            name: "--dry-run",
            value,
        } = a
        {
            d = match value.as_ref().map(|v| v.text) {
                None | Some("client" | "true") => DryRun::Client,
                Some("server") => DryRun::Server,
                Some(_) => DryRun::No,
            };
        }
    }
    d
}

pub(super) fn path_ref(value: &str, range: Range<usize>, cwd: Option<&str>) -> PathRef {
    let value = if value.contains("://") || value.starts_with(['/', '~', '$']) {
        value.to_string()
    } else {
        match cwd {
            Some(c) => path::join_path(c, value),
            None => path::normalize_path(value),
        }
    };
    PathRef { value, range }
}

/// Stdin or a process substitution rather than a file: `-`, `/dev/stdin`,
/// `<(...)`.
pub(super) fn is_stream(p: &str) -> bool {
    p == "-" || p == "/dev/stdin" || p.starts_with("<(") || p.starts_with(">(")
}

/// Splits a comma-separated list flag value (`-f a.yaml,b.yaml`), except
/// when it holds a `${{ }}` expression.
pub(super) fn split_list(v: &str) -> Vec<&str> {
    if v.contains("${{") {
        vec![v]
    } else {
        v.split(',').filter(|s| !s.is_empty()).collect()
    }
}
