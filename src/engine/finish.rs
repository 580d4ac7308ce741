//! Finishing: configured severities, suppressions (files with suppressions
//! are read again for their lines, one at a time), unused suppressions, and
//! the deterministic order every output shows. Suppressed findings are kept
//! aside, in the same order, for the formats that report them.

use std::cmp::Ordering;

use crate::config::{closest, Config, Level};
use crate::finding::suppress::{Suppressed, Suppression};
use crate::finding::{FileId, Finding, Location, Severity};
use crate::rules::{self, engine as er};
use crate::source::file::{load_text, FileEntry};
use crate::yaml::LineIndex;

/// What finishing leaves: the findings to report, and those suppressed.
pub(super) struct Finished {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
}

/// Applies severities and suppressions, and sorts.
pub(super) fn finish(
    mut findings: Vec<Finding>,
    files: &[FileEntry],
    suppressions: Vec<(FileId, Vec<Suppression>)>,
    cfg: &Config,
    no_ignore: bool,
) -> Finished {
    apply_severities(&mut findings, cfg);
    let mut suppressed = Vec::new();
    if !no_ignore {
        let mut extra = Vec::new();
        for (file, sups) in suppressions {
            let Some(entry) = files.get(file as usize) else {
                continue;
            };
            let Ok(text) = load_text(entry, cfg.limits.max_file_size) else {
                continue;
            };
            let lines = LineIndex::new(&text.text);
            let used = suppress(&mut findings, &mut suppressed, file, &sups, &lines);
            unused(file, &sups, &used, cfg, &mut extra);
        }
        for mut f in extra {
            if let Level::On(sev) = cfg.level(&er::UnusedIgnore::META) {
                f.severity = sev;
            }
            findings.push(f);
        }
    }
    sort(&mut findings, files, |f| f);
    sort(&mut suppressed, files, |s| &s.finding);
    Finished {
        findings,
        suppressed,
    }
}

/// Configured severities; disabled rules are dropped.
fn apply_severities(findings: &mut Vec<Finding>, cfg: &Config) {
    findings.retain_mut(|f| {
        let Some(meta) = rules::find(f.rule) else {
            return true;
        };
        match cfg.level(meta) {
            _ if meta.always_on => true,
            Level::Off => false,
            Level::On(sev) => {
                f.severity = if f.severity == meta.default_severity {
                    sev
                } else {
                    f.severity.min(sev)
                };
                true
            }
        }
    });
}

/// Moves the findings of `file` that its suppressions govern to
/// `suppressed` (with the first governing comment's reason); says which rule
/// of which suppression was used.
fn suppress(
    findings: &mut Vec<Finding>,
    suppressed: &mut Vec<Suppressed>,
    file: FileId,
    sups: &[Suppression],
    lines: &LineIndex,
) -> Vec<Vec<bool>> {
    let mut used: Vec<Vec<bool>> = sups.iter().map(|s| vec![false; s.rules.len()]).collect();
    let target_line =
        |s: &Suppression| lines.line_of(s.span.start as usize) + usize::from(s.standalone);
    findings.retain(|f| {
        if f.primary.file != file || rules::find(f.rule).is_some_and(|m| m.always_on) {
            return true;
        }
        let line = lines.line_of(f.primary.span.start as usize);
        let mut by: Option<&Suppression> = None;
        for (i, s) in sups.iter().enumerate() {
            if target_line(s) != line {
                continue;
            }
            for (j, (id, _)) in s.rules.iter().enumerate() {
                if id == f.rule {
                    used[i][j] = true;
                    by = by.or(Some(s));
                }
            }
        }
        if let Some(s) = by {
            suppressed.push(Suppressed {
                finding: f.clone(),
                by: Location { file, span: s.span },
                reason: s.reason.clone(),
            });
        }
        by.is_none()
    });
    used
}

/// `unused-ignore` findings: suppressions with no reason, no rule, an
/// unknown rule, or a rule not reported where they govern.
fn unused(
    file: FileId,
    sups: &[Suppression],
    used: &[Vec<bool>],
    cfg: &Config,
    extra: &mut Vec<Finding>,
) {
    let meta = &er::UnusedIgnore::META;
    if cfg.level(meta) == Level::Off {
        return;
    }
    let at = |span| Location { file, span };
    for (i, s) in sups.iter().enumerate() {
        if s.reason.is_none() {
            extra.push(
                Finding::new(meta, at(s.span), "suppression gives no reason").help(
                    "say why after the bracket: `# shipshape: ignore[rule-id] why this is safe`",
                ),
            );
        }
        if s.rules.is_empty() {
            extra.push(
                Finding::new(meta, at(s.span), "suppression names no rule")
                    .help("name the rules: `ignore[rule-id]`"),
            );
        }
        for (j, (id, span)) in s.rules.iter().enumerate() {
            if used[i][j] {
                continue;
            }
            match rules::find(id) {
                None => {
                    let known = rules::ids();
                    let help = closest(id, &known)
                        .map(|c| format!("did you mean `{c}`?"))
                        .unwrap_or_else(|| "`shipshape rules` lists the rule ids".into());
                    extra.push(Finding::new(meta, at(*span), format!("unknown rule `{id}` in suppression")).help(help));
                }
                Some(m) if cfg.level(m) == Level::Off => {}
                Some(_) => extra.push(
                    Finding::new(meta, at(*span), format!("`{id}` is not reported here: the suppression is unused"))
                        .help("remove it (a suppression governs its own line, or the next line when it stands alone)"),
                ),
            }
        }
    }
}

/// The order every output shows: by path, offset, rule, end, message.
pub fn report_order(a: &Finding, b: &Finding, files: &[FileEntry]) -> Ordering {
    let path_of = |f: &Finding| {
        files
            .get(f.primary.file as usize)
            .map(|e| e.path.as_str())
            .unwrap_or("")
    };
    let key = |f: &Finding| (path_of(f), f.primary.span.start, f.rule, f.primary.span.end);
    key(a).cmp(&key(b)).then_with(|| a.message.cmp(&b.message))
}

/// Sorts in [`report_order`] the items `of` gives the finding of; exact
/// duplicates dropped.
fn sort<T>(items: &mut Vec<T>, files: &[FileEntry], of: impl Fn(&T) -> &Finding) {
    // A stable sort of indices, then the permutation applied in place: a
    // stable sort of the findings themselves would allocate half of them again.
    let mut order: Vec<u32> = (0..items.len() as u32).collect();
    order.sort_by(|&a, &b| report_order(of(&items[a as usize]), of(&items[b as usize]), files));
    permute(items, order);
    items.dedup_by(|a, b| {
        let (a, b) = (of(a), of(b));
        a.rule == b.rule && a.primary == b.primary && a.message == b.message
    });
}

/// Reorders `items` so that position `i` holds what was at `order[i]`.
fn permute<T>(items: &mut [T], mut order: Vec<u32>) {
    for start in 0..items.len() {
        // Follow the cycle through `start`, marking visited slots with u32::MAX.
        let mut i = start;
        while order[i] != u32::MAX {
            let from = order[i] as usize;
            order[i] = u32::MAX;
            if from == start || order[from] == u32::MAX {
                break;
            }
            items.swap(i, from);
            i = from;
        }
    }
}

/// Severity counts of a list of findings: (errors, warnings, infos).
pub fn severity_counts(findings: &[Finding]) -> (usize, usize, usize) {
    findings
        .iter()
        .fold((0, 0, 0), |(e, w, i), f| match f.severity {
            Severity::Error => (e + 1, w, i),
            Severity::Warning => (e, w + 1, i),
            Severity::Info => (e, w, i + 1),
        })
}

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_applies_the_order_in_place() {
        // Every permutation of five items, including cycles of every length.
        let mut order: Vec<u32> = (0..5).collect();
        let mut count = 0;
        loop {
            let mut items: Vec<char> = "abcde".chars().collect();
            permute(&mut items, order.clone());
            let want: Vec<char> = order
                .iter()
                .map(|&i| b"abcde"[i as usize] as char)
                .collect();
            assert_eq!(items, want, "order {order:?}");
            count += 1;
            // Next permutation (lexicographic).
            let Some(k) = (0..4).rev().find(|&k| order[k] < order[k + 1]) else {
                break;
            };
            let l = (k + 1..5).rev().find(|&l| order[k] < order[l]).unwrap();
            order.swap(k, l);
            order[k + 1..].reverse();
        }
        assert_eq!(count, 120);
    }
}
