//! Compiler-style diagnostics, rendered with annotate-snippets: the source
//! line with the node underlined, labels in other files, a help line.

use std::borrow::Cow;
use std::io::Write;

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::engine::Run;
use crate::finding::visible::{visible, visible_source};
use crate::finding::{Finding, Severity};
use crate::report::Sources;

use super::Summary;

pub struct Options {
    pub styled: bool,
    pub elapsed_ms: u128,
}

fn level(sev: Severity) -> Level<'static> {
    match sev {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Info => Level::INFO,
    }
}

/// Byte range to underline: never empty when the source has a character there.
fn underlined(src: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = crate::yaml::lines_floor(src, start.min(src.len()));
    let end = crate::yaml::lines_floor(src, end.min(src.len())).max(start);
    if end > start {
        return start..end;
    }
    match src[start..].chars().next() {
        Some(c) if c != '\n' && c != '\r' => start..start + c.len_utf8(),
        _ => start..start,
    }
}

/// The whole lines holding `ranges`: (text, its first line number, its byte
/// offset). The renderer is given only these, so its cost does not grow with
/// the file (a 4 MB file with a thousand findings would otherwise be scanned
/// a thousand times).
fn window<'t>(
    text: &'t str,
    lines: &crate::yaml::LineIndex,
    ranges: &[std::ops::Range<usize>],
) -> (&'t str, usize, usize) {
    let lo = ranges
        .iter()
        .map(|r| r.start)
        .min()
        .unwrap_or(0)
        .min(text.len());
    let hi = ranges
        .iter()
        .map(|r| r.end)
        .max()
        .unwrap_or(0)
        .clamp(lo, text.len());
    let first = lines.line_of(lo);
    let last = lines.line_of(hi.saturating_sub(1).max(lo));
    let start = lines.line_start(first).min(lo);
    let end = if last + 1 < lines.line_count() {
        lines.line_start(last + 1)
    } else {
        text.len()
    };
    let end = end.clamp(hi, text.len());
    (&text[start..end], first + 1, start)
}

/// An annotation to draw: its kind, its byte range in the file, its label.
type Annotated<'a> = (AnnotationKind, std::ops::Range<usize>, Option<Cow<'a, str>>);

/// A snippet of only the lines holding `anns` (kind, byte range in `text`,
/// label), numbered as in the file.
fn windowed<'a>(
    text: &'a str,
    lines: &crate::yaml::LineIndex,
    path: &'a str,
    anns: &[Annotated<'a>],
) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
    let ranges: Vec<_> = anns.iter().map(|(_, r, _)| r.clone()).collect();
    let (window, line_start, base) = window(text, lines, &ranges);
    // Control characters in the source are shown escaped; the annotations
    // move with the text.
    let (window, shifts) = visible_source(window);
    let mut snippet = Snippet::source(window)
        .line_start(line_start)
        .path(path)
        .fold(true);
    for (kind, r, label) in anns {
        let mut ann = kind.span(shifts.map(r.start - base)..shifts.map(r.end - base));
        if let Some(label) = label {
            ann = ann.label(label.clone());
        }
        snippet = snippet.annotation(ann);
    }
    snippet
}

/// The object note of a finding, made visible.
fn object_note(f: &Finding) -> Option<String> {
    f.object.as_ref().map(|o| super::object_note(o, visible))
}

/// Writes a plain finding of the common shape (see `one_line`) without
/// annotate-snippets; false, writing nothing, for any other.
fn write_one_line(f: &Finding, sources: &mut Sources, buf: &mut Vec<u8>) -> bool {
    if !f.related.is_empty() {
        return false;
    }
    let Some(src) = sources.get(f.primary.file) else {
        return false;
    };
    let text: &str = &src.text;
    let r = underlined(
        text,
        f.primary.span.start as usize,
        f.primary.span.end as usize,
    );
    let line = src.lines.line_of(r.start);
    let line_start = src.lines.line_start(line);
    let note = object_note(f);
    let (message, path) = (visible(&f.message), visible(sources.path(f.primary.file)));
    let label = f.label.as_deref().map(visible);
    let help = f.help.as_deref().map(visible);
    let one = super::one_line::OneLine {
        level: f.severity.as_str(),
        rule: f.rule,
        message: &message,
        path: &path,
        line_no: line + 1,
        line: src.lines.line_text(text, line),
        start: r.start.saturating_sub(line_start),
        end: r.end.saturating_sub(line_start),
        label: label.as_deref(),
        note: note.as_deref(),
        help: help.as_deref(),
    };
    if !one.supported() {
        return false;
    }
    one.write(buf);
    true
}

/// Renders one finding to a string.
pub fn render_finding(f: &Finding, sources: &mut Sources, renderer: &Renderer) -> String {
    let place = sources.place(f.primary);
    let title = level(f.severity)
        .primary_title(visible(&f.message))
        .id(f.rule);
    let mut group = Group::with_title(title);
    let primary_src = sources.get(f.primary.file);
    let primary_path = visible(&place.path).into_owned();
    // Related labels grouped by file, the primary's file first.
    let mut related_other: Vec<(crate::finding::FileId, Vec<&crate::finding::Label>)> = Vec::new();
    let mut related_same = Vec::new();
    for l in &f.related {
        if l.at.file == f.primary.file {
            related_same.push(l);
        } else if let Some(entry) = related_other.iter_mut().find(|(id, _)| *id == l.at.file) {
            entry.1.push(l);
        } else {
            related_other.push((l.at.file, vec![l]));
        }
    }
    match &primary_src {
        Some(src) => {
            let text: &str = &src.text;
            let span = |at: &crate::finding::Location| {
                underlined(text, at.span.start as usize, at.span.end as usize)
            };
            let mut anns = vec![(
                AnnotationKind::Primary,
                span(&f.primary),
                f.label.as_deref().map(visible),
            )];
            anns.extend(related_same.iter().map(|l| {
                (
                    AnnotationKind::Context,
                    span(&l.at),
                    Some(visible(&l.message)),
                )
            }));
            group = group.element(windowed(text, &src.lines, &primary_path, &anns));
        }
        None => {
            group = group.element(annotate_snippets::Origin::path(primary_path.clone()));
        }
    }
    let mut owned_texts = Vec::new();
    for (file, labels) in &related_other {
        if let Some(src) = sources.get(*file) {
            owned_texts.push((
                visible(sources.path(*file)).into_owned(),
                src,
                labels.clone(),
            ));
        }
    }
    for (path, src, labels) in &owned_texts {
        let text: &str = &src.text;
        let anns: Vec<_> = labels
            .iter()
            .map(|l| {
                let r = underlined(text, l.at.span.start as usize, l.at.span.end as usize);
                (AnnotationKind::Context, r, Some(visible(&l.message)))
            })
            .collect();
        group = group.element(windowed(text, &src.lines, path, &anns));
    }
    let note = object_note(f);
    if let Some(note) = &note {
        group = group.element(Level::NOTE.message(note.as_str()));
    }
    if let Some(help) = &f.help {
        group = group.element(Level::HELP.message(visible(help)));
    }
    renderer.render(&[group])
}

pub fn renderer(styled: bool) -> Renderer {
    let r = if styled {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    r.decor_style(DecorStyle::Unicode)
}

pub fn write(
    run: &Run,
    config: &crate::config::Config,
    out: &mut dyn Write,
    opts: &Options,
) -> std::io::Result<()> {
    let renderer = renderer(opts.styled);
    super::render_in_order(run, config, out, |_, f, sources, buf| {
        if opts.styled || !write_one_line(f, sources, buf) {
            buf.extend_from_slice(render_finding(f, sources, &renderer).as_bytes());
        }
        buf.extend_from_slice(b"\n\n");
    })?;
    writeln!(
        out,
        "{}",
        summary_line(run, opts.elapsed_ms).render(opts.styled)
    )
}

/// The last line of human output, `N errors, M warnings in F files (D
/// documents) in T ms`; also what `--output` leaves on stderr.
pub struct SummaryLine {
    text: String,
    errors: usize,
    warnings: usize,
}

impl SummaryLine {
    /// The line, coloured by the worst level found when `styled`.
    pub fn render(&self, styled: bool) -> String {
        if !styled {
            return self.text.clone();
        }
        let style = if self.errors > 0 {
            anstyle::AnsiColor::BrightRed.on_default().bold()
        } else if self.warnings > 0 {
            anstyle::AnsiColor::BrightYellow.on_default().bold()
        } else {
            anstyle::AnsiColor::BrightGreen.on_default().bold()
        };
        format!("{style}{}{style:#}", self.text)
    }
}

pub fn summary_line(run: &Run, elapsed_ms: u128) -> SummaryLine {
    let s = Summary::of(run);
    let mut line = s.counts_line();
    line.push_str(&format!(" in {elapsed_ms} ms"));
    SummaryLine {
        text: line,
        errors: s.errors,
        warnings: s.warnings,
    }
}
