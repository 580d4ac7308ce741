//! One SARIF result: the finding's rule, level and message; its node as the
//! primary location, with the exact text of the node as the region's
//! snippet and its whole lines as the context region's; the other places it
//! names as related locations; its fingerprint; and, for a suppressed
//! finding, the suppression comment and its reason.
//!
//! Source text comes from `Sources`, redacted like every other output.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use super::fingerprint::{self, Occurrences};
use super::model::{
    ArtifactLocation, Location, PhysicalLocation, Region as SarifRegion, SarifResult, Suppression,
    Text,
};
use super::uri;
use crate::finding::suppress::Suppressed;
use crate::finding::{self, Finding};
use crate::output::full_message;
use crate::output::region::Region;
use crate::report::Sources;

/// A result to write: a reported finding or a suppressed one.
#[derive(Clone, Copy)]
pub enum Entry<'a> {
    Reported(&'a Finding),
    Suppressed(&'a Suppressed),
}

impl<'a> Entry<'a> {
    pub fn finding(&self) -> &'a Finding {
        match self {
            Entry::Reported(f) => f,
            Entry::Suppressed(s) => &s.finding,
        }
    }
}

/// What a result is built with, for one chunk of a run.
pub struct Cx<'s, 'r> {
    pub sources: &'s mut Sources<'r>,
    pub rule_index: &'s HashMap<&'static str, usize>,
    pub occurrences: Occurrences,
}

pub fn result<'a>(entry: Entry<'a>, cx: &mut Cx) -> SarifResult<'a> {
    let f = entry.finding();
    let (primary, node) = physical(f.primary, cx.sources);
    let path = cx.sources.path(f.primary.file).to_string();
    let identity = fingerprint::identity(f, &path, &node);
    let print = cx.occurrences.fingerprint(f.primary.file, identity);
    let related_locations = f
        .related
        .iter()
        .enumerate()
        .map(|(i, l)| Location {
            id: Some(i + 1),
            physical_location: physical(l.at, cx.sources).0,
            message: Some(Text::new(l.message.as_str())),
        })
        .collect();
    let suppressions = match entry {
        Entry::Reported(_) => Vec::new(),
        Entry::Suppressed(s) => vec![Suppression {
            kind: "inSource",
            justification: s.reason.as_deref(),
            location: Some(Location {
                id: None,
                physical_location: physical(s.by, cx.sources).0,
                message: None,
            }),
        }],
    };
    SarifResult {
        rule_id: f.rule,
        rule_index: cx.rule_index.get(f.rule).copied(),
        level: super::rules::level(f.severity),
        message: Text::new(full_message(f, |s| Cow::Borrowed(s))),
        locations: [Location {
            id: None,
            physical_location: primary,
            message: None,
        }],
        related_locations,
        partial_fingerprints: BTreeMap::from([(fingerprint::KEY, print)]),
        suppressions,
    }
}

/// A location's physical location, and the text that identifies its node
/// for the fingerprint (the node's text, or its line's when it is empty).
fn physical<'a>(at: finding::Location, sources: &mut Sources) -> (PhysicalLocation<'a>, String) {
    let place = sources.place(at);
    let r = Region::of(&place, sources);
    let (uri, uri_base_id) = uri::artifact(&place.path);
    let src = sources.get(at.file);
    let snippet = |s: &str| (!s.is_empty()).then(|| Text::new(Cow::Owned(s.to_string())));
    let covered = src.as_ref().map_or("", |s| r.text(s));
    let lines = src.as_ref().map_or("", |s| r.lines(s));
    let node = if covered.trim().is_empty() {
        lines.lines().next().unwrap_or("").to_string()
    } else {
        covered.to_string()
    };
    let location = PhysicalLocation {
        artifact_location: ArtifactLocation { uri, uri_base_id },
        region: SarifRegion {
            start_line: r.start_line,
            start_column: Some(r.start_column),
            end_line: r.end_line,
            end_column: Some(r.end_column),
            snippet: snippet(covered),
        },
        // A context region must enclose more than the region itself.
        context_region: (lines.len() > covered.len()).then(|| SarifRegion {
            start_line: r.start_line,
            start_column: None,
            end_line: r.end_line,
            end_column: None,
            snippet: snippet(lines),
        }),
    };
    (location, node)
}
