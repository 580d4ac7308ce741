//! Rules beyond a fixed pattern: `context` variables, `preconditions`,
//! `validate.deny`, `validate.foreach`, and patterns holding `{{ }}`
//! variables. Read once into owned form ([`Logic`]); decided against a
//! resource in the context Kyverno's CLI builds (`vars::context`).
//! Context entries that read the cluster (`configMap`, `apiCall`,
//! `imageRegistry`, `globalReference`) make a rule undecidable.

use super::condition::Conditions;
use super::jmespath::{Expr, Val};
use super::vars::{context, unreadable, with, Bad, Tmpl};
use super::{validate_any_pattern, validate_pattern, Pattern, Verdict};
use crate::yaml::{NodeRef, Span};

/// A rule's logic, owned.
#[derive(Debug, Clone)]
pub struct Logic {
    vars: Vec<Var>,
    preconditions: Option<Conditions>,
    body: Body,
    /// The rule's message, when it holds variables.
    message: Option<Tmpl>,
}

#[derive(Debug, Clone)]
struct Var {
    name: String,
    value: Option<Tmpl>,
    path: Option<Expr>,
    default: Option<Tmpl>,
}

#[derive(Debug, Clone)]
enum Pat {
    Fixed(Pattern),
    Vars(Tmpl),
}

#[derive(Debug, Clone)]
enum Body {
    Pattern(Pat),
    AnyPattern(Vec<Pat>),
    /// `None`: deny always.
    Deny(Option<Conditions>),
    Foreach(Vec<Foreach>),
}

#[derive(Debug, Clone)]
struct Foreach {
    list: Tmpl,
    element_scope: Option<bool>,
    vars: Vec<Var>,
    preconditions: Option<Conditions>,
    body: Body,
}

/// How deep `foreach` may nest.
const MAX_NESTING: usize = 4;

impl Logic {
    /// Reads a rule with a `validate` block.
    pub fn read(rule: NodeRef) -> Result<Logic, Bad> {
        let mut names = Vec::new();
        let vars = read_vars(rule.get("context"), &mut names)?;
        let preconditions = read_conditions(rule.get("preconditions"), &names)?;
        let validate = rule
            .get("validate")
            .ok_or_else(|| Bad::Undecidable("not a validate rule".into()))?;
        let body = read_body(validate, &mut names, 0)?;
        let message = validate
            .get("message")
            .and_then(|m| Tmpl::read(m, &names).ok())
            .filter(Tmpl::has_vars);
        Ok(Logic {
            vars,
            preconditions,
            body,
            message,
        })
    }

    /// The rule's verdict on the resource `doc`, whose part the rule reads
    /// is `at` (the pod template for an auto-generated rule).
    pub fn decide(&self, doc: NodeRef, at: NodeRef, namespace: &str) -> Verdict {
        let kind_at = doc.get("kind").map_or(doc.span(), |k| k.span());
        let run = || -> Result<Verdict, String> {
            let mut ctx = context(doc, at, namespace);
            for v in &self.vars {
                ctx = v.bind(&ctx)?;
            }
            if let Some(p) = &self.preconditions {
                if !p.eval(&ctx)?.met {
                    return Ok(Verdict::Skip {
                        reason: "preconditions not met".into(),
                    });
                }
            }
            let scope = Scope {
                kind_at,
                message: self.message.as_ref(),
            };
            body(&self.body, &ctx, at, &scope, 0)
        };
        run().unwrap_or_else(|message| Verdict::Error { message })
    }

    /// The rule's family for reports: `deny`, `foreach` or `pattern`.
    pub fn family(&self) -> &'static str {
        match self.body {
            Body::Deny(_) => "deny",
            Body::Foreach(_) => "foreach",
            Body::Pattern(_) | Body::AnyPattern(_) => "pattern",
        }
    }

    /// Whether the rule has `preconditions`.
    pub fn has_preconditions(&self) -> bool {
        self.preconditions.is_some()
    }

    /// Whether the rule's message holds variables (then a failure's
    /// message is the substituted message, not the rule's text).
    pub fn message_has_vars(&self) -> bool {
        self.message.is_some()
    }
}

impl Var {
    fn bind<'d, 's>(&self, ctx: &Val<'d, 's>) -> Result<Val<'d, 's>, String> {
        let base = match &self.value {
            Some(t) => t.eval(ctx, false)?,
            None => ctx.clone(),
        };
        let mut v = match &self.path {
            Some(e) => e.eval(&base)?,
            None => base,
        };
        if matches!(v, Val::Null) {
            if let Some(d) = &self.default {
                v = d.eval(ctx, false)?;
            }
        }
        Ok(with(ctx, &self.name, v))
    }
}

fn read_vars(node: Option<NodeRef>, names: &mut Vec<String>) -> Result<Vec<Var>, Bad> {
    let mut out = Vec::new();
    for entry in node.into_iter().flat_map(|l| l.items()) {
        let name = entry.str_at(&["name"]).unwrap_or_default().to_string();
        for source in ["configMap", "apiCall", "imageRegistry", "globalReference"] {
            if entry.get(source).is_some() {
                return Err(Bad::Undecidable(format!(
                    "context `{name}` reads `{source}`, which needs the cluster or a registry"
                )));
            }
        }
        let Some(var) = entry.get("variable") else {
            return Err(Bad::Undecidable(format!(
                "context `{name}` is not a variable"
            )));
        };
        let value = var.get("value").map(|v| Tmpl::read(v, names)).transpose()?;
        let path = match var.get("jmesPath") {
            None => None,
            Some(p) => {
                let text = p.as_str().unwrap_or_default();
                let e = Expr::compile(text).map_err(|e| Bad::Invalid {
                    at: p.span(),
                    message: format!("`{text}`: {}", e.message),
                })?;
                if value.is_none() {
                    if let Some(why) = unreadable(&e, names) {
                        return Err(Bad::Undecidable(why));
                    }
                }
                Some(e)
            }
        };
        let default = var
            .get("default")
            .map(|v| Tmpl::read(v, names))
            .transpose()?;
        names.push(name.clone());
        out.push(Var {
            name,
            value,
            path,
            default,
        });
    }
    Ok(out)
}

fn read_conditions(node: Option<NodeRef>, names: &[String]) -> Result<Option<Conditions>, Bad> {
    node.map(|n| Conditions::read(n, names)).transpose()
}

fn read_pat(node: NodeRef, names: &[String]) -> Result<Pat, Bad> {
    let t = Tmpl::read(node, names)?;
    if t.has_vars() {
        return Ok(Pat::Vars(t));
    }
    Pattern::read(node)
        .map(Pat::Fixed)
        .map_err(|why| Bad::Undecidable(format!("the pattern cannot be used: {why}")))
}

/// A `validate` block's or a `foreach` entry's check.
fn read_body(n: NodeRef, names: &mut Vec<String>, depth: usize) -> Result<Body, Bad> {
    if let Some(p) = n.get("pattern") {
        return Ok(Body::Pattern(read_pat(p, names)?));
    }
    if let Some(l) = n.get("anyPattern") {
        if !l.is_seq() {
            return Err(Bad::Undecidable("`anyPattern` is not a list".into()));
        }
        let pats = l
            .items()
            .map(|p| read_pat(p, names))
            .collect::<Result<_, _>>()?;
        return Ok(Body::AnyPattern(pats));
    }
    if let Some(d) = n.get("deny") {
        return Ok(Body::Deny(read_conditions(d.get("conditions"), names)?));
    }
    if let Some(f) = n.get("foreach") {
        if depth >= MAX_NESTING {
            return Err(Bad::Undecidable("`foreach` nests too deeply".into()));
        }
        let entries = f.items().map(|e| read_foreach(e, names, depth + 1));
        return Ok(Body::Foreach(entries.collect::<Result<_, _>>()?));
    }
    Err(Bad::Undecidable(
        "validate has no pattern, anyPattern, deny or foreach".into(),
    ))
}

fn read_foreach(e: NodeRef, names: &mut Vec<String>, depth: usize) -> Result<Foreach, Bad> {
    let Some(list) = e.get("list") else {
        return Err(Bad::Invalid {
            at: e.span(),
            message: "a `foreach` entry has no `list`".into(),
        });
    };
    let text = list.as_str().unwrap_or_default();
    let wrapped = format!("{{{{{text}}}}}");
    let list = Tmpl::read_text(&wrapped, list.span(), names)?;
    let vars = read_vars(e.get("context"), names)?;
    Ok(Foreach {
        list,
        element_scope: e
            .get("elementScope")
            .and_then(|b| b.as_str())
            .map(|b| b == "true"),
        preconditions: read_conditions(e.get("preconditions"), names)?,
        body: read_body(e, names, depth)?,
        vars,
    })
}

/// What a check's failure is reported with: where (the object's `kind`
/// unless a node is to blame) and the rule's message, if it has variables.
struct Scope<'m> {
    kind_at: Span,
    message: Option<&'m Tmpl>,
}

impl Scope<'_> {
    /// A failure's message: the rule's message substituted in the context
    /// of the failure (`element` included), then what failed.
    fn fail(&self, v: Verdict, ctx: &Val) -> Verdict {
        let Verdict::Fail { at, message } = v else {
            return v;
        };
        let said = self.message.and_then(|m| m.eval(ctx, false).ok());
        let message = match (said.map(|s| s.to_text()), message.is_empty()) {
            (Some(s), true) => s,
            (Some(s), false) => format!("{s}: {message}"),
            (None, _) => message,
        };
        Verdict::Fail { at, message }
    }
}

/// A check's verdict in `ctx`; `at` is the node a pattern applies to.
fn body(b: &Body, ctx: &Val, at: NodeRef, scope: &Scope, depth: usize) -> Result<Verdict, String> {
    let kind_at = scope.kind_at;
    Ok(match b {
        Body::Pattern(p) => scope.fail(validate_pattern(at, &pattern(p, ctx)?), ctx),
        Body::AnyPattern(ps) => {
            let pats = ps
                .iter()
                .map(|p| pattern(p, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            scope.fail(validate_any_pattern(at, &pats), ctx)
        }
        Body::Deny(None) => scope.fail(
            Verdict::Fail {
                at: kind_at,
                message: String::new(),
            },
            ctx,
        ),
        Body::Deny(Some(c)) => {
            let o = c.eval(ctx)?;
            match o.met {
                true => scope.fail(
                    Verdict::Fail {
                        at: o.at.unwrap_or(kind_at),
                        message: String::new(),
                    },
                    ctx,
                ),
                false => Verdict::Pass,
            }
        }
        Body::Foreach(entries) => {
            let mut applied = 0;
            for f in entries {
                match foreach(f, ctx, at, scope, depth)? {
                    (_, Some(v)) => return Ok(v),
                    (n, None) => applied += n,
                }
            }
            match applied {
                0 => Verdict::Skip {
                    reason: "no element of a foreach list applied".into(),
                },
                _ => Verdict::Pass,
            }
        }
    })
}

fn pattern(p: &Pat, ctx: &Val) -> Result<Pattern, String> {
    match p {
        Pat::Fixed(p) => Ok(p.clone()),
        Pat::Vars(t) => Ok(Pattern(super::value::pat_of(&t.eval(ctx, false)?))),
    }
}

/// One `foreach` entry: how many elements it applied to, or the verdict
/// that ends the rule (a failure or an error).
fn foreach(
    f: &Foreach,
    ctx: &Val,
    at: NodeRef,
    scope: &Scope,
    depth: usize,
) -> Result<(usize, Option<Verdict>), String> {
    let kind_at = scope.kind_at;
    let list = f.list.eval(ctx, true)?;
    let items = match &list {
        Val::Null => Vec::new(),
        Val::Str(s) if s.is_empty() => Vec::new(),
        l => l.items().ok_or("a foreach list is not a list")?,
    };
    let mut applied = 0;
    for (i, element) in items.into_iter().enumerate() {
        let name = match depth {
            0 => "element".to_string(),
            d => format!("element{d}"),
        };
        let mut c = with(ctx, "element", element.clone());
        c = with(&c, &name, element.clone());
        c = with(&c, "elementIndex", Val::Num(i as f64));
        for v in &f.vars {
            c = v.bind(&c)?;
        }
        if let Some(p) = &f.preconditions {
            if !p.eval(&c)?.met {
                continue;
            }
        }
        let node = element.node();
        let scoped = f.element_scope.unwrap_or(true);
        let target = match (scoped, node) {
            (true, Some(n)) => n,
            (true, None) if matches!(f.body, Body::Pattern(_) | Body::AnyPattern(_)) => {
                return Err("a foreach element is not a resource node".into())
            }
            _ => at,
        };
        let element_at = node.map_or(kind_at, |n| n.span());
        let inner = Scope {
            kind_at: element_at,
            message: scope.message,
        };
        match body(&f.body, &c, target, &inner, depth + 1)? {
            Verdict::Skip { .. } => {}
            Verdict::Pass => applied += 1,
            Verdict::Fail { at, message } => {
                return Ok((applied, Some(Verdict::Fail { at, message })));
            }
            v @ Verdict::Error { .. } => return Ok((applied, Some(v))),
        }
    }
    Ok((applied, None))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, labels: {team: a}}\nspec:\n  containers:\n    - {name: a, image: 'nginx:1', ports: [{hostPort: 53}]}\n    - {name: b, image: 'busybox:latest'}\n";

    /// The verdict of a rule (YAML of one rule) on `POD`, with what a
    /// failure points at.
    fn decide(rule: &str) -> (String, String) {
        let (ps, rs) = (
            parse_stream(rule, &Limits::default()),
            parse_stream(POD, &Limits::default()),
        );
        let doc = rs.docs[0].root().unwrap();
        let logic = match Logic::read(ps.docs[0].root().unwrap()) {
            Ok(l) => l,
            Err(Bad::Invalid { message, .. }) => return ("invalid".into(), message),
            Err(Bad::Undecidable(why)) => return ("undecidable".into(), why),
        };
        match logic.decide(doc, doc, "default") {
            Verdict::Pass => ("pass".into(), String::new()),
            Verdict::Skip { reason } => ("skip".into(), reason),
            Verdict::Error { message } => ("error".into(), message),
            Verdict::Fail { at, message } => {
                ("fail".into(), format!("{} | {message}", &POD[at.range()]))
            }
        }
    }

    #[test]
    fn deny_and_preconditions() {
        let deny = "validate:\n  message: 'port of {{ request.object.metadata.name }}'\n  deny:\n    conditions:\n      any:\n        - {key: '{{ request.object.spec.containers[].ports[].hostPort }}', operator: AnyNotIn, value: 5000-6000}\n";
        assert_eq!(decide(deny), ("fail".into(), "53 | port of web".into()));
        let pre = format!("preconditions:\n  all:\n    - {{key: '{{{{ request.object.metadata.labels.team }}}}', operator: Equals, value: b}}\n{deny}");
        assert_eq!(decide(&pre).0, "skip");
        let met = pre.replace("value: b}", "value: '?'}");
        assert_eq!(decide(&met).0, "fail");
        // The old list form, and a deny with no conditions.
        let list = "validate:\n  deny:\n    conditions:\n      - {key: '{{ request.operation }}', operator: Equals, value: CREATE}\n";
        assert_eq!(decide(list).0, "fail");
        assert_eq!(decide("validate: {deny: {}}\n").1, "Pod | ");
        let pass = deny.replace("AnyNotIn", "AnyIn");
        assert_eq!(decide(&pass).0, "pass");
    }

    #[test]
    fn foreach_points_at_the_element() {
        let rule = "validate:\n  message: '{{ element.name }} uses latest'\n  foreach:\n    - list: request.object.spec.containers\n      preconditions:\n        all: [{key: '{{ element.name }}', operator: NotEquals, value: x}]\n      deny:\n        conditions:\n          all: [{key: '{{ ends_with(element.image, '':latest'') }}', operator: Equals, value: true}]\n";
        assert_eq!(
            decide(rule),
            (
                "fail".into(),
                "{name: b, image: 'busybox:latest'} | b uses latest".into()
            )
        );
        // A pattern applies to each element; none applying skips the rule.
        let pat = "validate:\n  foreach:\n    - list: request.object.spec.containers\n      pattern: {image: '!*:latest'}\n";
        assert_eq!(decide(pat).0, "fail");
        let none = "validate:\n  foreach:\n    - list: request.object.spec.initContainers\n      pattern: {image: '!*:latest'}\n";
        assert_eq!(decide(none).0, "skip");
    }

    #[test]
    fn context_variables_and_patterns_with_variables() {
        let rule = "context:\n  - name: team\n    variable: {jmesPath: request.object.metadata.labels.team, default: none}\n  - name: want\n    variable: {value: {image: 'nginx:*'}}\nvalidate:\n  pattern:\n    metadata: {labels: {team: '{{ team }}'}}\n    spec: {containers: [{name: '{{ request.object.spec.containers[0].name }} | b'}]}\n";
        assert_eq!(decide(rule).0, "pass");
        let other = rule.replace(
            "labels: {team: '{{ team }}'}",
            "labels: {team: '{{ want.image }}'}",
        );
        assert_eq!(decide(&other).0, "fail");
        // A variable that resolves to nothing in a pattern is an error.
        let missing = rule.replace("'{{ team }}'", "'{{ request.object.nope }}'");
        assert_eq!(decide(&missing).0, "error");
    }

    #[test]
    fn what_cannot_be_decided_or_read() {
        let cm = "context: [{name: c, configMap: {name: x, namespace: y}}]\nvalidate: {deny: {}}\n";
        assert!(decide(cm).1.contains("configMap"));
        let ui = "validate:\n  deny:\n    conditions: [{key: '{{ request.userInfo.username }}', operator: Equals, value: x}]\n";
        assert_eq!(decide(ui).0, "undecidable");
        let op = "validate:\n  deny:\n    conditions: [{key: a, operator: Matches, value: x}]\n";
        assert_eq!(
            decide(op),
            (
                "invalid".into(),
                "unknown condition operator `Matches`".into()
            )
        );
        let bad = "validate:\n  foreach:\n    - list: 'request.object.spec.containers[?'\n      deny: {}\n";
        assert_eq!(decide(bad).0, "invalid");
        let budget = "validate:\n  deny:\n    conditions: [{key: '{{ divide(`1`, `0`) }}', operator: Equals, value: x}]\n";
        assert_eq!(decide(budget).0, "error");
    }
}
