//! The per-file pass, in parallel: read, decode, parse, classify each
//! document, run the per-object and per-workflow rules, and take the facts
//! the repository index needs. A file's tree is dropped when its task ends;
//! its findings and facts are folded into the worker's accumulator at once,
//! and accumulators are joined in file order.

use rayon::prelude::*;

use super::cache::{self, Blobs, Cache};
use super::file_result::{Base, FileResult, Pass1};
use super::read::{self, ReadBuffer, Unread};
use super::template;
use crate::config::Config;
use crate::finding::suppress;
use crate::finding::{FileId, Finding, Location};
use crate::index::{azure as azure_facts, extract, helm, workflow as workflow_facts};
use crate::model::azure;
use crate::model::k8s;
use crate::model::kustomize::is_kustomize;
use crate::model::workflow::Workflow;
use crate::policy::PolicySet;
use crate::report::positions::positions_for;
use crate::report::redact;
use crate::rules::{engine as er, DocCx, Rule, SchemaCx};
use crate::schema::Catalog;
use crate::source::contain::Outside;
use crate::source::file::FileEntry;
use crate::source::kind::FileKind;
use crate::source::text::TextProblem;
use crate::yaml::{self, ParsedStream, Span};

/// What every file of the pass is linted with.
pub(super) struct PassInput<'a> {
    pub cfg: &'a Config,
    pub active: &'a [&'static dyn Rule],
    pub catalog: &'a Catalog,
    /// The run's policies, compiled.
    pub policies: &'a PolicySet,
    /// By file id: the file is a Kustomize patch.
    pub patches: &'a [bool],
    /// The results cache, unless `--no-cache`.
    pub cache: Option<&'a Cache>,
}

/// Lints every file, on `pool` when there is one. Results come back in file order.
pub(super) fn lint_all(
    files: &[FileEntry],
    input: &PassInput,
    pool: Option<&rayon::ThreadPool>,
) -> Pass1 {
    let lint_one = |(i, f): (usize, &FileEntry)| lint_file(i as FileId, f, input);
    // Each result is folded into its worker's accumulator as soon as the file
    // is done (the tree is already gone), and accumulators are joined in file
    // order: nothing per file is held beyond what the index and the output need.
    let add = |acc: Pass1, (i, f): (usize, &FileEntry)| acc.add(i as FileId, f, lint_one((i, f)));
    match pool {
        Some(pool) => pool.install(|| {
            files
                .par_iter()
                .enumerate()
                .fold(Pass1::default, add)
                .reduce(Pass1::default, Pass1::merge)
        }),
        None => files.iter().enumerate().fold(Pass1::default(), add),
    }
}

fn lint_file(id: FileId, f: &FileEntry, input: &PassInput) -> FileResult {
    let cfg = input.cfg;
    let mut r = FileResult::default();
    // In a chart, only `Chart.yaml` and the values files are YAML as written.
    if f.kind == FileKind::HelmChart && !helm::is_read_in_chart(&f.path) {
        r.base.skipped = true;
        return r;
    }
    if let Some(err) = &f.error {
        r.unreadable = true;
        r.report.findings.push(Finding::new(
            &er::IoError::META,
            Location {
                file: id,
                span: Span::default(),
            },
            format!("could not read the file: {err}"),
        ));
        return r;
    }
    if let Some(o) = &f.outside {
        r.base.skipped = true;
        r.report.findings.push(outside_link(id, f, o));
        return r;
    }
    let fragment = input.patches.get(id as usize).copied().unwrap_or(false);
    // Stdin text is an editor's buffer, not the file: never cached.
    let probe = input
        .cache
        .filter(|_| f.text.is_none())
        .map(|c| c.probe(f, fragment));
    if let Some((blobs, outcome)) = probe.as_ref().and_then(|p| p.unchanged(f.focus)) {
        if let Some(r) = cached(id, blobs) {
            return FileResult {
                cache: outcome,
                ..r
            };
        }
    }
    let mut buf = ReadBuffer::take();
    let decoded = match read::read(id, f, cfg.limits.max_file_size, &mut buf.0) {
        Ok(d) => d,
        Err(Unread::Skipped(finding)) => {
            r.base.skipped = true;
            r.report.findings.push(*finding);
            return r;
        }
        Err(Unread::Unreadable(finding)) => {
            r.unreadable = true;
            r.report.findings.push(*finding);
            return r;
        }
    };
    // The file as read, hashed, when the cache may keep it.
    let hashed = probe.as_ref().map(|p| (p, cache::content_hash(&buf.0)));
    if let Some((p, hash)) = hashed {
        if let Some((blobs, outcome)) = p.same_content(hash, f.focus) {
            if let Some(r) = cached(id, blobs) {
                return FileResult {
                    cache: outcome,
                    ..r
                };
            }
        }
    }
    let (src, problem): (&str, Option<&TextProblem>) = match &decoded.text {
        Some(t) => (t.text.as_str(), t.problem.as_ref()),
        None => (
            crate::source::text::as_plain_utf8(&buf.0).unwrap_or(""),
            None,
        ),
    };
    let mut r = lint_text(id, f, input, (src, problem), fragment);
    if let Some((p, hash)) = hashed {
        if let Some((base, report)) = r.encode(id, f.focus) {
            r.cache = p.fresh(hash, decoded.meta.as_ref(), &base, report.as_deref());
        }
    }
    r
}

/// A result from the cache's bytes, if they read back.
fn cached(id: FileId, (base, report): Blobs) -> Option<FileResult> {
    FileResult::decode(id, &base, report.as_deref())
}

/// Lints a file's text (`problem`: why it is not text, if it is not).
fn lint_text(
    id: FileId,
    f: &FileEntry,
    input: &PassInput,
    (src, problem): (&str, Option<&TextProblem>),
    fragment: bool,
) -> FileResult {
    let cfg = input.cfg;
    let mut r = FileResult::default();
    r.base.linted = true;
    r.base.bytes = src.len() as u64;
    let is_json = f.path.ends_with(".json");
    if let Some(problem) = problem {
        if !is_json || read::looks_like_manifest(src) {
            r.report.findings.push(read::text_problem(id, src, problem));
        }
        return r;
    }
    let parsed = yaml::parse_stream(src, &cfg.limits.yaml);
    // A template that is not YAML until rendered (Go templates outside a Helm
    // chart, as in kustomize generators or test data; Jinja in Ansible roles)
    // is skipped and counted, like a chart file, rather than reported as a
    // syntax error.
    let first_error = parsed.errors.iter().map(|e| e.span.start as usize).min();
    if first_error
        .is_some_and(|e| template::is_template(src) || template::breaks_at_placeholder(src, e))
    {
        r.base.linted = false;
        r.base.skipped = true;
        return r;
    }
    // A JSON file that does not parse is only ours to report if it is a manifest.
    if !(is_json && !parsed.errors.is_empty() && !read::looks_like_manifest(src)) {
        syntax_errors(id, &parsed, &mut r.report.findings);
    }
    // Context files feed the index only: no per-file rules, nothing reported.
    let active: &[&'static dyn Rule] = if f.focus { input.active } else { &[] };
    let schema = SchemaCx::new(input.catalog, fragment);
    // Context files feed the index only: no policies either.
    let policies = f.focus.then_some(input.policies);
    documents(id, f, src, &parsed, (cfg, active, schema, policies), &mut r);
    if let Some(first) = parsed.errors.iter().map(|e| e.span.start as usize).min() {
        r.base
            .redact
            .extend(redact::fallback_spans(src, first, f.kind));
    }
    if f.focus {
        r.report.suppressions = suppress::scan(src, &parsed.docs);
        r.report.positions = positions_for(id, src, &r.report.findings);
    } else {
        r.report.findings.clear();
    }
    r
}

/// The `link-outside-repository` warning for a named file that is not read.
fn outside_link(id: FileId, f: &FileEntry, o: &Outside) -> Finding {
    Finding::new(
        &er::LinkOutsideRepository::META,
        Location {
            file: id,
            span: Span::default(),
        },
        format!(
            "not read: `{}` is a symbolic link to `{}`, outside `{}`",
            f.path,
            o.target.display(),
            o.boundary.display()
        ),
    )
    .help("lint the file where it lives, or pass `--follow-outside-links` to read it anyway")
}

/// An `invalid-yaml` finding for each syntax error, with its help.
fn syntax_errors(id: FileId, parsed: &ParsedStream, out: &mut Vec<Finding>) {
    let at = |span: Span| Location { file: id, span };
    for e in &parsed.errors {
        let mut finding = Finding::new(&er::InvalidYaml::META, at(e.span), e.message.clone());
        if let Some((span, msg)) = &e.related {
            finding = finding.related(at(*span), msg.clone());
        }
        finding = match e.kind {
            yaml::YamlErrorKind::DuplicateKey => {
                finding.help("remove one of the two; consumers disagree on which one wins")
            }
            yaml::YamlErrorKind::AliasBomb => {
                finding.help("expand the aliases by hand, or raise `limits.max-alias-expansion`")
            }
            yaml::YamlErrorKind::TooDeep => {
                finding.help("raise `limits.max-depth` if this nesting is intended")
            }
            yaml::YamlErrorKind::TooManyDocuments => {
                finding.help("raise `limits.max-documents`, or split the file")
            }
            _ => finding,
        };
        out.push(finding);
    }
}

/// What a file is read as: an Azure pipeline where its path says so and
/// its first document has the keys of one (else a manifest), or, for one
/// kept outside the usual places (`.devops/`, `Pipelines/`), where its
/// first document's content says so.
fn read_as(f: &FileEntry, parsed: &ParsedStream) -> FileKind {
    let first = parsed.docs.first().and_then(|d| d.root());
    match f.kind {
        FileKind::AzurePipeline if first.is_some_and(azure::may_be_pipeline) => f.kind,
        FileKind::AzurePipeline => FileKind::Manifest,
        FileKind::Manifest if first.is_some_and(azure::looks_like_pipeline) => {
            FileKind::AzurePipeline
        }
        kind => kind,
    }
}

/// An Azure pipeline document: its literals redacted, its facts taken.
fn pipeline_doc(id: FileId, src: &str, root: yaml::NodeRef, base: &mut Base) {
    redact::workflow_literals(root, &mut base.redact);
    if let Some(p) = azure::Pipeline::new(root) {
        base.facts.workflows.push(azure_facts::extract(id, src, &p));
    }
}

/// Each document by the file's kind: rules run, facts taken, secrets noted.
fn documents(
    id: FileId,
    f: &FileEntry,
    src: &str,
    parsed: &ParsedStream,
    (cfg, active, schema, policies): (&Config, &[&'static dyn Rule], SchemaCx, Option<&PolicySet>),
    r: &mut FileResult,
) {
    let mut cx = DocCx {
        file: id,
        path: &f.path,
        config: cfg,
        findings: &mut r.report.findings,
        object: None,
        schema,
        deferred: Vec::new(),
    };
    let kind = read_as(f, parsed);
    for doc in &parsed.docs {
        let Some(root) = doc.root() else { continue };
        if root.is_null() {
            continue;
        }
        r.base.documents += 1;
        if matches!(
            kind,
            FileKind::Workflow | FileKind::Action | FileKind::Manifest | FileKind::AzurePipeline
        ) || (kind == FileKind::Kustomization && is_kustomize(root))
        {
            for rule in active {
                rule.check_document(kind, root, &mut cx);
            }
        }
        match kind {
            FileKind::AzurePipeline => pipeline_doc(id, src, root, &mut r.base),
            FileKind::Workflow => {
                redact::workflow_literals(root, &mut r.base.redact);
                if let Some(wf) = Workflow::new(root) {
                    for rule in active {
                        rule.check_workflow(&wf, &mut cx);
                    }
                    r.base
                        .facts
                        .workflows
                        .push(workflow_facts::extract(id, src, &wf));
                }
            }
            FileKind::Kustomization if is_kustomize(root) => {
                r.base
                    .facts
                    .kustomizations
                    .push(extract::kustomization(id, root));
            }
            FileKind::Action => redact::workflow_literals(root, &mut r.base.redact),
            // Values are not objects: no rules, only the facts of the first document.
            FileKind::HelmChart if r.base.facts.helm.is_empty() => {
                r.base
                    .facts
                    .helm
                    .extend(helm::chart_file(id, &f.path, root));
            }
            FileKind::HelmChart => {}
            _ => {
                let built = crate::model::tools::skaffold_artifacts(root);
                r.base
                    .facts
                    .built
                    .extend(built.into_iter().map(|b| (id, b)));
                let azd = crate::model::tools::azd_services(root);
                r.base.facts.azd.extend(azd.into_iter().map(|s| (id, s)));
                for obj in k8s::objects(root) {
                    for rule in active {
                        rule.check_object(&obj, &mut cx);
                    }
                    if let Some(set) = policies {
                        crate::rules::policy::check(set, &obj, crate::policy::Pass::File, &mut cx);
                    }
                    r.base.facts.objects.push(extract::object(id, &obj));
                    redact::object_secrets(&obj, &mut r.base.redact);
                }
            }
        }
    }
    r.report.pending = std::mem::take(&mut cx.schema.pending);
    r.report.crds = std::mem::take(&mut cx.schema.crds);
    r.report.deferred = std::mem::take(&mut cx.deferred);
}
