//! The validator: it walks the YAML tree and a compiled schema together,
//! so every violation carries the span of the node it concerns (a missing
//! required field: its parent's key). Nothing is converted to JSON first.
//!
//! `oneOf` and `anyOf` are tried branch by branch in *probe* mode (errors
//! counted, no message written); when none fits, the branch that fits best
//! (the right type, then the fewest errors) is walked again for its
//! messages. `oneOf` is read as `anyOf`: overlapping branches are common in
//! published schemas, and structure is the bar here, not exclusivity.
//! A visit budget bounds the work on any input: a pathological schema or an
//! alias-heavy document ends the walk early, never hangs it.

mod branches;
mod placeholder;
mod scalar;

use placeholder::is_go_template;
pub use placeholder::is_placeholder;

use super::compile::{types, Compiled, Dep, Extra, Schema, Sid};
use super::message::{self, Seg};
use super::value::{self, Ty};
use crate::config::closest;
use crate::yaml::{NodeRef, Span};

/// How to validate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Unknown fields are errors where a schema closes its object.
    pub strict: bool,
    /// A partial object (a Kustomize patch): no required fields, and `$patch`-style directives allowed.
    pub fragment: bool,
    /// Read plain scalars as YAML 1.1 does (Kubernetes manifests).
    pub yaml11: bool,
    /// An empty value is accepted where any type is (Kubernetes prunes nulls).
    pub null_ok: bool,
    /// The node is a Kubernetes object: `apiVersion`, `kind` and `metadata`
    /// are allowed at its root whatever its schema says.
    pub object_root: bool,
    /// Values may be quoted in messages (never in secrets).
    pub quote: bool,
    /// Every scalar is a string that may also read as the boolean or
    /// number a schema asks for (`"true"`, `10`), and `$[ ]` is a
    /// placeholder too: Azure Pipelines.
    pub strings: bool,
}

impl Options {
    /// A Kubernetes object, as the API server gets it: strict, YAML 1.1,
    /// nulls pruned, the object header always allowed.
    pub const OBJECT: Options = Options {
        strict: true,
        fragment: false,
        yaml11: true,
        null_ok: true,
        object_root: true,
        quote: true,
        strings: false,
    };
    /// A workflow, action or kustomization: strict, YAML 1.2, a null is a value.
    pub const DOCUMENT: Options = Options {
        strict: true,
        fragment: false,
        yaml11: false,
        null_ok: false,
        object_root: false,
        quote: true,
        strings: false,
    };
    /// An Azure pipeline: strict; every scalar a string, converted where a
    /// boolean or number is asked for; an empty value is accepted (Azure
    /// reads it as the empty string).
    pub const AZURE: Options = Options {
        strict: true,
        fragment: false,
        yaml11: false,
        null_ok: true,
        object_root: false,
        quote: true,
        strings: true,
    };
}

/// What kind of problem a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Unknown,
    Type,
    Required,
    Value,
    /// The walk reached its visit budget: the document is not fully checked.
    Incomplete,
}

/// One problem, at the node it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub span: Span,
    pub problem: Problem,
    pub message: String,
}

/// The most schema nodes one validation visits.
/// Real documents need far fewer: the most any document of the corpus
/// needs is under 20,000.
const VISIT_BUDGET: usize = 200_000;
/// The deepest node validated: below it, nothing more is checked (the
/// recursion's depth stays bounded whatever the document and schema).
const MAX_DEPTH: usize = 256;
/// The most nested combinators at one node (a schema referring to itself
/// through `allOf` would otherwise never end).
pub(super) const MAX_COMBINATOR_DEPTH: u32 = 32;
/// The most violations reported for one document.
const MAX_VIOLATIONS: usize = 100;

/// Validates `node` against `c`'s root. `anchor` is where a missing
/// required field of the root is reported.
pub fn validate(c: &Compiled, node: NodeRef, anchor: Span, opts: Options) -> Vec<Violation> {
    let mut w = Walker {
        c,
        opts,
        out: Vec::new(),
        path: Vec::new(),
        probing: 0,
        counting: 0,
        placeholders: Vec::new(),
        probe_errors: 0,
        visits: 0,
        nesting: 0,
    };
    w.check(c.root, node, anchor);
    w.finish(anchor)
}

/// Validates `node`, the value of `key` at the root of a document (an
/// object's `metadata` against ObjectMeta): messages name it by `key`.
pub fn validate_under(
    c: &Compiled,
    node: NodeRef,
    anchor: Span,
    opts: Options,
    key: &'static str,
) -> Vec<Violation> {
    let mut w = Walker {
        c,
        opts: Options {
            object_root: false,
            ..opts
        },
        out: Vec::new(),
        path: vec![Seg::Key(key)],
        probing: 0,
        counting: 0,
        placeholders: Vec::new(),
        probe_errors: 0,
        visits: 0,
        nesting: 0,
    };
    w.check(c.root, node, anchor);
    w.finish(anchor)
}

struct Walker<'c, 'd, 's> {
    c: &'c Compiled,
    opts: Options,
    out: Vec<Violation>,
    path: Vec<Seg<'d, 's>>,
    /// Above 0 while trying a branch: errors are counted, not written.
    probing: u32,
    /// Above 0 while counting a branch's errors: they are kept, unworded.
    counting: u32,
    /// Per node of the document: 0 not read yet, 1 not a placeholder, 2 one.
    placeholders: Vec<u8>,
    probe_errors: usize,
    visits: usize,
    nesting: u32,
}

impl<'c, 'd, 's> Walker<'c, 'd, 's> {
    /// The violations, and a word if the budget cut the walk short (fewer
    /// findings must never pass for a clean document).
    fn finish(mut self, anchor: Span) -> Vec<Violation> {
        if self.visits > VISIT_BUDGET {
            self.out.push(Violation {
                span: anchor,
                problem: Problem::Incomplete,
                message: format!(
                    "schema validation stopped after {VISIT_BUDGET} steps: this document is only partly checked"
                ),
            });
        }
        self.out
    }

    fn report(&mut self, span: Span, problem: Problem, message: impl FnOnce(&Self) -> String) {
        if self.probing > 0 {
            self.probe_errors += 1;
        } else if self.out.len() < MAX_VIOLATIONS {
            let message = if self.counting > 0 {
                String::new()
            } else {
                message(self)
            };
            self.out.push(Violation {
                span,
                problem,
                message,
            });
        }
    }

    /// Validates a child: one level deeper, with its own count of nested
    /// combinators; nothing below `MAX_DEPTH`.
    fn descend(&mut self, seg: Seg<'d, 's>, f: impl FnOnce(&mut Self)) {
        if self.path.len() >= MAX_DEPTH {
            return;
        }
        self.path.push(seg);
        let nesting = std::mem::take(&mut self.nesting);
        f(self);
        self.nesting = nesting;
        self.path.pop();
    }

    /// `n` against schema `id`; `anchor` is the key (or item) span of `n`.
    fn check(&mut self, id: Sid, n: NodeRef<'d, 's>, anchor: Span) {
        self.visits += 1;
        if self.visits > VISIT_BUDGET || (self.probing > 0 && self.probe_errors > 0) {
            return;
        }
        let c = self.c;
        let s = c.node(id);
        let n = n.resolve();
        let ty = self.type_of(n);
        // A string any string satisfies needs no look for placeholders
        // (long `run:` scripts are the common case).
        let any_string = {
            // Through `$ref` slots (an `allOf` of one) to what they name.
            let s = self.shape(id);
            s.rare.is_none()
                && s.all_of.is_empty()
                && (s.types == 0 || s.types & crate::schema::compile::types::STR != 0)
        };
        if ty == Ty::Str && !any_string && self.is_placeholder_node(n) {
            // `${PORT}`, `$(VAR)`, `{{ .Values.port }}`: filled in before
            // the API server sees it (envsubst, Kustomize vars, templates).
            return;
        }
        if ty == Ty::Map && is_go_template(n) {
            // `{{ .Values.x }}` unquoted parses as a mapping: a template
            // that is not rendered yet says nothing about the result.
            return;
        }
        if !self.type_ok(s, ty) && !self.reads_as(s, n, ty) {
            let at = if n.span().is_empty() {
                anchor
            } else {
                n.span()
            };
            self.report(at, Problem::Type, |w| {
                let label = message::label(&w.path);
                let ctx = message::named_context(&w.path, false)
                    .map(|c| format!(" in {c}"))
                    .unwrap_or_default();
                let hint = if w.opts.strings && s.types & types::BOOL != 0 {
                    "; it is read as `true` or `false`, any other value as false"
                } else if ty == Ty::Bool && n.as_str().is_some_and(value::is_yaml11_bool) {
                    "; Kubernetes reads YAML 1.1, where this is a boolean: quote it"
                } else if matches!(ty, Ty::Int | Ty::Float | Ty::Bool)
                    && s.types & types::STR != 0
                    && s.types & !types::NULL == types::STR
                {
                    "; quote it to make it a string"
                } else {
                    ""
                };
                format!(
                    "{label}{ctx} must be {}, got {}{hint}",
                    message::expected(s.types, s.int_or_string),
                    message::found(n, ty, &w.path, w.opts.quote)
                )
            });
            return;
        }
        match ty {
            Ty::Map => self.object(s, n, anchor),
            Ty::Seq => self.array(s, n),
            Ty::Null => {}
            _ => self.scalar(s, n, ty),
        }
        self.combinators(s, n, anchor);
    }

    /// Whether a string node is a placeholder, read once per node (a
    /// long script is met again by every branch tried on its step).
    fn is_placeholder_node(&mut self, n: NodeRef) -> bool {
        let count = n.doc.node_count();
        if self.placeholders.len() != count {
            self.placeholders = vec![0; count];
        }
        let Some(slot) = self.placeholders.get_mut(n.id as usize) else {
            return false;
        };
        if *slot == 0 {
            let t = n.as_str().unwrap_or("");
            let yes = is_placeholder(t) || (self.opts.strings && t.contains("$["));
            *slot = if yes { 2 } else { 1 };
        }
        *slot == 2
    }

    /// The type of `n` as the document's consumer reads it.
    pub(super) fn type_of(&self, n: NodeRef) -> Ty {
        let ty = value::type_of(n, self.opts.yaml11);
        match ty {
            Ty::Bool | Ty::Int | Ty::Float if self.opts.strings => Ty::Str,
            _ => ty,
        }
    }

    /// With `strings`, a string that reads as the boolean or number the
    /// schema asks for (`"true"`, `"10"`).
    fn reads_as(&self, s: &Schema, n: NodeRef, ty: Ty) -> bool {
        if !self.opts.strings || ty != Ty::Str {
            return false;
        }
        let text = n.as_str().unwrap_or("").trim();
        let want = |bit: u8| s.types & bit != 0;
        (want(types::BOOL)
            && (text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false")))
            || (want(types::INT) && text.parse::<i64>().is_ok())
            || (want(types::NUM) && value::number(text).is_some())
    }

    fn type_ok(&self, s: &Schema, ty: Ty) -> bool {
        if ty == Ty::Null && (self.opts.null_ok || s.types == 0) {
            return true;
        }
        if s.int_or_string {
            return matches!(ty, Ty::Int | Ty::Str | Ty::Null);
        }
        s.types == 0 || s.types & ty.bit() != 0
    }

    fn object(&mut self, s: &'c Schema, n: NodeRef<'d, 's>, anchor: Span) {
        let at_root = self.path.is_empty() && self.opts.object_root;
        let mut count = 0u64;
        for (k, v) in n.entries() {
            count += 1;
            let Some(key) = k.as_str() else { continue };
            if key == "<<" {
                continue;
            }
            self.descend(Seg::Key(key), |w| w.property(s, key, k, v, at_root));
        }
        if !self.opts.fragment {
            // Fields missing from one object are one finding, at its key.
            let mut missing: Vec<&str> = Vec::new();
            for r in &s.required {
                match n.get_entry(r) {
                    None => missing.push(r),
                    // The API server reads an empty value as the field's
                    // zero value: a required field left empty is missing.
                    Some((k, v)) if self.opts.null_ok && v.resolve().is_null() => {
                        self.report(k.span(), Problem::Required, |w| {
                            format!(
                                "required field \"{}\" is empty in {}",
                                message::quoted_key(r),
                                message::place(&w.path)
                            )
                        })
                    }
                    Some(_) => {}
                }
            }
            if !missing.is_empty() {
                if self.probing > 0 {
                    self.probe_errors += missing.len() - 1;
                }
                self.report(anchor, Problem::Required, |w| {
                    missing_message(&missing, &w.path)
                });
            }
        }
        self.dependencies(s, n);
        if let Some(b) = s.bounds() {
            // A patch may leave fields out.
            let min = b.min_properties.filter(|_| !self.opts.fragment);
            self.counted(anchor, count, (min, b.max_properties), "field");
        }
    }

    fn property(
        &mut self,
        s: &'c Schema,
        key: &'d str,
        k: NodeRef<'d, 's>,
        v: NodeRef<'d, 's>,
        at_root: bool,
    ) {
        // The API server ignores what a manifest says of `status` (the
        // status subresource, and controllers, own it).
        if at_root && key == "status" {
            return;
        }
        if let Some(pid) = s.prop(key) {
            return self.check(pid, v, k.span());
        }
        let mut matched = false;
        for (re, pid) in s.pattern_props() {
            if re.is_match(key) {
                matched = true;
                self.check(*pid, v, k.span());
            }
        }
        if matched {
            return;
        }
        let header = matches!(key, "apiVersion" | "kind" | "metadata");
        match s.extra {
            Extra::Schema(x) => self.check(x, v, k.span()),
            Extra::Closed if self.opts.strict => {
                if (at_root || s.embedded) && header {
                    return;
                }
                if self.opts.fragment && key.starts_with('$') {
                    return;
                }
                self.report(k.span(), Problem::Unknown, |w| unknown(s, key, &w.path));
            }
            _ => {}
        }
    }

    /// A count of `noun`s (fields, items) against its bounds.
    fn counted(
        &mut self,
        at: Span,
        count: u64,
        (min, max): (Option<u64>, Option<u64>),
        noun: &str,
    ) {
        if let Some(min) = min.filter(|&m| count < m) {
            self.report(at, Problem::Value, |w| {
                format!(
                    "{} must have at least {min} {noun}{}",
                    message::label(&w.path),
                    plural(min)
                )
            });
        }
        if let Some(max) = max.filter(|&m| count > m) {
            self.report(at, Problem::Value, |w| {
                format!(
                    "{} must have at most {max} {noun}{}",
                    message::label(&w.path),
                    plural(max)
                )
            });
        }
    }

    fn dependencies(&mut self, s: &'c Schema, n: NodeRef<'d, 's>) {
        for (key, dep) in s.deps() {
            let Some((k, _)) = n.get_entry(key) else {
                continue;
            };
            match dep {
                Dep::Keys(needed) => {
                    for other in needed {
                        if n.get(other).is_none() && !self.opts.fragment {
                            self.report(k.span(), Problem::Required, |_| {
                                format!(
                                    "\"{}\" is only valid together with \"{}\"",
                                    message::quoted_key(key),
                                    message::quoted_key(other)
                                )
                            });
                        }
                    }
                }
                Dep::Schema(d) => self.check(*d, n, k.span()),
            }
        }
    }

    fn array(&mut self, s: &'c Schema, n: NodeRef<'d, 's>) {
        let mut len = 0u64;
        for (i, item) in n.items().enumerate() {
            len += 1;
            let id =
                s.tuple()
                    .get(i)
                    .copied()
                    .or(if i >= s.tuple().len() { s.items } else { None });
            if let Some(id) = id {
                self.descend(Seg::Item(i, item.resolve()), |w| {
                    w.check(id, item, item.span())
                });
            }
        }
        let Some(b) = s.bounds() else { return };
        self.counted(n.span(), len, (b.min_items, b.max_items), "item");
        if b.unique_items {
            let mut seen: Vec<&str> = Vec::new();
            for item in n.items() {
                let Some(t) = item.as_str() else { continue };
                if seen.contains(&t) {
                    self.report(item.span(), Problem::Value, |w| {
                        format!("{} must not repeat an item", message::label(&w.path))
                    });
                } else {
                    seen.push(t);
                }
            }
        }
    }
}

/// `missing required fields "a", "b" and "c" in spec`.
fn missing_message(missing: &[&str], path: &[Seg]) -> String {
    let names: Vec<String> = missing
        .iter()
        .map(|r| format!("\"{}\"", message::quoted_key(r)))
        .collect();
    let (s, list) = match names.split_last() {
        Some((last, [])) => ("", last.clone()),
        Some((last, rest)) => ("s", format!("{} and {last}", rest.join(", "))),
        None => ("", String::new()),
    };
    format!(
        "missing required field{s} {list} in {}",
        message::place(path)
    )
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `unknown field "x" in container "web"; did you mean "y"?`
fn unknown(s: &Schema, key: &str, path: &[Seg]) -> String {
    let parent = &path[..path.len().saturating_sub(1)];
    let names: Vec<&str> = s.props.iter().map(|(k, _)| &**k).collect();
    let near = names
        .iter()
        .find(|n| n.eq_ignore_ascii_case(key))
        .copied()
        .or_else(|| closest(key, &names));
    let hint = near
        .map(|n| format!("; did you mean \"{n}\"?"))
        .unwrap_or_default();
    format!(
        "unknown field \"{}\" in {}{hint}",
        message::quoted_key(key),
        message::place(parent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::bundled;
    use crate::schema::compile::compile;
    use crate::yaml::{parse_stream, Limits};

    const K8S: Options = Options::OBJECT;

    /// (message, the text its span covers) for each violation.
    fn run_with(src: &str, c: &Compiled, opts: Options) -> Vec<(String, String)> {
        let parsed = parse_stream(src, &Limits::default());
        let root = parsed.docs[0].root().unwrap();
        let anchor = root
            .get_entry("kind")
            .map(|(_, v)| v.span())
            .unwrap_or_default();
        validate(c, root, anchor, opts)
            .into_iter()
            .map(|v| (v.message, src[v.span.range()].to_string()))
            .collect()
    }

    fn k8s(src: &str, opts: Options) -> Vec<(String, String)> {
        let parsed = parse_stream(src, &Limits::default());
        let root = parsed.docs[0].root().unwrap();
        let key = format!(
            "{} {}",
            root.str_at(&["apiVersion"]).unwrap(),
            root.str_at(&["kind"]).unwrap()
        );
        let c = bundled::KUBERNETES
            .get(&key)
            .or_else(|| bundled::CRDS.get(&key))
            .unwrap();
        run_with(src, &c, opts)
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: three\n  template:\n    spec:\n      containers:\n      - name: web\n        imagePullPolicyy: Always\n        ports:\n        - containerPort: \"80\"\n        env:\n        - {name: A, value: yes}\n";

    #[test]
    fn each_problem_at_its_node_in_words() {
        let v = k8s(DEPLOYMENT, K8S);
        let expected = [
            ("replicas must be an integer, got the string \"three\"", "three"),
            ("unknown field \"imagePullPolicyy\" in container \"web\"; did you mean \"imagePullPolicy\"?", "imagePullPolicyy"),
            ("containerPort in container \"web\" must be an integer, got the string \"80\"", "\"80\""),
            ("value in env \"A\" must be a string, got a boolean; Kubernetes reads YAML 1.1, where this is a boolean: quote it", "yes"),
            ("missing required field \"selector\" in spec", "spec"),
        ];
        let got: Vec<(&str, &str)> = v.iter().map(|(m, t)| (m.as_str(), t.as_str())).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn strict_off_and_fragments_relax() {
        let relaxed = k8s(
            DEPLOYMENT,
            Options {
                strict: false,
                ..K8S
            },
        );
        assert!(
            relaxed.iter().all(|(m, _)| !m.contains("unknown field")),
            "{relaxed:?}"
        );
        assert_eq!(relaxed.len(), 4);
        let patch = k8s(
            DEPLOYMENT,
            Options {
                fragment: true,
                ..K8S
            },
        );
        assert!(
            patch.iter().all(|(m, _)| !m.contains("missing required")),
            "{patch:?}"
        );
        let directive = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      $setElementOrder/containers: [{name: web}]\n      containers:\n      - name: old\n        $patch: delete\n";
        assert_eq!(
            k8s(
                directive,
                Options {
                    fragment: true,
                    ..K8S
                }
            ),
            vec![]
        );
        assert_eq!(
            k8s(directive, K8S)
                .iter()
                .filter(|(m, _)| m.contains("unknown field \"$"))
                .count(),
            2
        );
    }

    #[test]
    fn empty_required_fields_and_kubectl_numbers() {
        let src = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  ownerReferences: [{apiVersion: v1, kind: X, name: o, uid: }]\nspec:\n  containers:\n  - name: c\n    ports: [{containerPort: 8_080}, {containerPort: 80.0}]\n    env: [{name: A, value: n}]\n";
        let v = k8s(src, K8S);
        let messages: Vec<&str> = v.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(
            messages,
            [
                "required field \"uid\" is empty in owner reference \"o\"",
                "value in env \"A\" must be a string, got a boolean; Kubernetes reads YAML 1.1, where this is a boolean: quote it",
            ]
        );
        assert_eq!(v[0].1, "uid");
        // A patch may leave a required field empty on purpose.
        assert_eq!(
            k8s(
                src,
                Options {
                    fragment: true,
                    ..K8S
                }
            )
            .len(),
            1
        );
    }

    #[test]
    fn placeholders_templates_and_nulls_pass() {
        let src = "apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: {{ .Values.labels }}}\nspec:\n  ports:\n  - port: ${PORT}\n    targetPort: $(TARGET)\n  - port: __PORT__\n    targetPort: <TARGET_PORT>\n  - port: '#{port}#'\n  selector:\n";
        assert_eq!(k8s(src, K8S), vec![]);
        for (t, yes) in [
            ("__HOST_IP__", true),
            ("a-<REPO_NAME>-b", true),
            ("#{Build.Id}#", true),
            ("<your-app-id>", true),
            ("a<your-app-id>", false),
            ("__init__", false),
            ("<a>", false),
            ("a < B > c", false),
            ("x__", false),
        ] {
            assert_eq!(is_placeholder(t), yes, "{t}");
        }
    }

    #[test]
    fn quantities_and_base64() {
        let src = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    resources: {limits: {cpu: 1 core, memory: 2Gi}, requests: {cpu: 500m, memory: 1e3}}\n";
        let v = k8s(src, K8S);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].1, "1 core");
        assert!(v[0].0.starts_with("cpu must be a quantity"), "{}", v[0].0);
        let secret = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  ok: aGVsbG8=\n  bad: hunter2!\n";
        let v = k8s(
            secret,
            Options {
                quote: false,
                ..K8S
            },
        );
        assert_eq!(v.len(), 1);
        assert!(
            !v[0].0.contains("hunter2"),
            "a secret's value is never quoted: {}",
            v[0].0
        );
    }

    #[test]
    fn custom_resources_against_their_crd_schema() {
        let src = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\nspec:\n  project: default\n  source: {repoURL: https://x, path: a, targetRevisionn: HEAD}\n  destination: {namespace: web}\n";
        let v = k8s(src, K8S);
        assert_eq!(v, vec![("unknown field \"targetRevisionn\" in spec.source; did you mean \"targetRevision\"?".to_string(), "targetRevisionn".to_string())]);
    }

    fn json_schema(s: serde_json::Value) -> Compiled {
        let defs = s.get("definitions").and_then(|d| d.as_object()).cloned();
        compile(&s, defs.as_ref(), false).unwrap()
    }

    const PLAIN: Options = Options::DOCUMENT;

    #[test]
    fn fields_missing_from_one_object_are_one_finding() {
        let c = json_schema(serde_json::json!({
            "type": "object",
            "required": ["a", "b", "c"],
            "properties": {"a": {}, "b": {}, "c": {}, "d": {}}
        }));
        assert_eq!(
            run_with("d: 1\n", &c, PLAIN)
                .into_iter()
                .map(|(m, _)| m)
                .collect::<Vec<_>>(),
            ["missing required fields \"a\", \"b\" and \"c\" in the top level"]
        );
        assert_eq!(
            run_with("a: 1\nc: 1\n", &c, PLAIN)[0].0,
            "missing required field \"b\" in the top level"
        );
    }

    #[test]
    fn status_is_not_judged() {
        let src = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers: [{name: c, image: i}]\nstatus:\n  phase: 3\n  bogus: true\n";
        assert_eq!(k8s(src, K8S), vec![]);
    }

    #[test]
    fn a_required_field_with_a_default_may_be_left_out() {
        // The API server applies defaults before it validates.
        let c = json_schema(serde_json::json!({
            "type": "object",
            "required": ["kind", "name"],
            "properties": {
                "kind": {"type": "string", "default": "Provider"},
                "name": {"type": "string"}
            }
        }));
        assert_eq!(run_with("name: x\n", &c, PLAIN), vec![]);
        assert_eq!(
            run_with("kind: x\n", &c, PLAIN)[0].0,
            "missing required field \"name\" in the top level"
        );
    }

    #[test]
    fn azure_reading_dispatch_and_case() {
        let c = json_schema(serde_json::json!({
            "type": "object",
            "properties": {"task": {"type": "string"}, "inputs": {"type": "object"},
                           "pr": {"enum": ["none"], "x-ignore-case-values": true}},
            "additionalProperties": false,
            "x-dispatch": {"property": "task", "cases": {"docker@2": {"properties": {"inputs": {
                "type": "object", "x-ignore-case-keys": true, "additionalProperties": false,
                "properties": {"containerRegistry": {"type": "string"}, "push": {"type": "boolean"},
                               "retries": {"type": "integer"}}}}}}}
        }));
        let az = Options::AZURE;
        let ok = "task: DOCKER@2\npr: None\ninputs:\n  ContainerRegistry: acr\n  push: 'true'\n  retries: 3\n";
        assert_eq!(run_with(ok, &c, az), vec![]);
        let bad = "task: Docker@2\ninputs:\n  containerRegistery: acr\n  push: yes\n  retries: $[ variables.n ]\n";
        let found: Vec<String> = run_with(bad, &c, az).into_iter().map(|(m, _)| m).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].starts_with("unknown field \"containerRegistery\""),
            "{found:?}"
        );
        assert!(found[1].starts_with("push must be a boolean"), "{found:?}");
        // A task no case names (an extension's) is not judged further.
        assert_eq!(
            run_with("task: my.ext@1\ninputs: {anything: 1}\n", &c, az),
            vec![]
        );
        // Outside the Azure reading, a quoted boolean is a string.
        assert_eq!(run_with(ok, &c, PLAIN).len(), 1);
    }

    #[test]
    fn one_of_required_keys_reads_as_a_rule() {
        let c = json_schema(serde_json::json!({
            "type": "object",
            "properties": {"uses": {"type": "string"}, "run": {"type": "string"}, "name": {"type": "string"}},
            "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
            "not": {"required": ["name", "id"]}
        }));
        assert_eq!(
            run_with("name: x\n", &c, PLAIN)[0].0,
            "the top level needs one of \"uses\" or \"run\""
        );
        let both = run_with("uses: a\nrun: b\n", &c, PLAIN);
        assert_eq!(
            both,
            vec![(
                "\"uses\" and \"run\" cannot be used together in the top level".to_string(),
                "run".to_string()
            )]
        );
        assert_eq!(run_with("run: b\n", &c, PLAIN), vec![]);
    }

    #[test]
    fn scalars_that_fit_no_branch_hear_every_form() {
        let c = json_schema(serde_json::json!({
            "type": "object",
            "properties": {"timeout": {"oneOf": [{"type": "number"}, {"type": "string", "pattern": "^\\$\\{\\{(.|[\r\n])*\\}\\}$"}]}}
        }));
        let v = run_with("timeout: soon\n", &c, PLAIN);
        assert_eq!(
            v[0].0,
            "timeout must be a number or an expression `${{ … }}`, got the string \"soon\""
        );
        assert_eq!(run_with("timeout: 5\n", &c, PLAIN), vec![]);
    }

    #[test]
    fn a_schema_that_refers_to_itself_ends() {
        let c = json_schema(serde_json::json!({
            "definitions": {"a": {"allOf": [{"$ref": "#/definitions/a"}], "anyOf": [{"$ref": "#/definitions/a"}, {"type": "string"}]}},
            "$ref": "#/definitions/a"
        }));
        let deep = format!("{}x{}\n", "[".repeat(60), "]".repeat(60));
        let _ = run_with(&deep, &c, PLAIN);
        let _ = run_with("a: 1\n", &c, PLAIN);
        // A walk the budget ends says so.
        let wide = json_schema(serde_json::json!({
            "type": "array",
            "items": {"anyOf": [{"type": "integer"}, {"type": "boolean"}, {"type": "string", "minLength": 1}]}
        }));
        let many = format!("[{}]\n", vec!["x"; 120_000].join(", "));
        let found = run_with(&many, &wide, PLAIN);
        assert!(
            found
                .last()
                .is_some_and(|(m, _)| m.contains("only partly checked")),
            "{:?}",
            found.last()
        );
        assert!(run_with("[x, 1]\n", &wide, PLAIN).is_empty());
    }
}
