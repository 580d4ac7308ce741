//! A JMESPath interpreter for Kyverno's `{{ }}` variables, `foreach.list`
//! and context `jmesPath`: the subset Kyverno's policy library uses, with
//! Kyverno's functions. `lexer` and `parser` turn the text into a tree once
//! (an unknown function is an error there, with its offset); `eval` runs it
//! on a [`Val`] within a step budget; `functions` holds the functions.
//! A value can be a resource node ([`Val::Node`]), so a result that comes
//! from the resource says where it is written. Nothing here reads the
//! cluster, the clock or the network.

mod eval;
mod functions;
mod lexer;
mod names;
mod parser;
mod value;

pub use value::{num_text, parse_text, Json, Kind, Val};

use parser::Ast;

/// A compile error, at a byte offset of the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub offset: usize,
    pub message: String,
}

impl Error {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        Error {
            offset,
            message: message.into(),
        }
    }
}

/// An expression, compiled once.
#[derive(Debug, Clone)]
pub struct Expr {
    pub text: String,
    ast: Ast,
}

impl Expr {
    pub fn compile(text: &str) -> Result<Expr, Error> {
        Ok(Expr {
            text: text.to_string(),
            ast: parser::parse(text)?,
        })
    }

    /// The expression's value on `data`, or why it has none (a function's
    /// error, the step budget).
    pub fn eval<'d, 's>(&self, data: &Val<'d, 's>) -> Result<Val<'d, 's>, String> {
        let mut e = eval::Eval {
            steps: eval::STEP_BUDGET,
        };
        e.eval(&self.ast, data)
    }

    /// The variables the expression reads from the context, as paths of
    /// up to two names (`request.object`, `element`).
    pub fn roots(&self) -> Vec<Vec<String>> {
        let mut out = Vec::new();
        roots(&self.ast, true, &mut out);
        out
    }

    /// A function it calls that is not evaluated offline, if any.
    pub fn not_offline(&self) -> Option<String> {
        let mut found = None;
        calls(&self.ast, &mut |name| {
            if found.is_none() && names::NOT_OFFLINE.contains(&name) {
                found = Some(name.to_string());
            }
        });
        found
    }
}

/// A path read from the top of the context: its first names.
fn head(ast: &Ast) -> Option<Vec<String>> {
    match ast {
        Ast::Field(f) => Some(vec![f.clone()]),
        Ast::Sub(l, r) => {
            let mut h = head(l)?;
            if h.len() < 2 {
                if let Ast::Field(f) = r.as_ref() {
                    h.push(f.clone());
                }
            }
            Some(h)
        }
        _ => None,
    }
}

fn roots(ast: &Ast, top: bool, out: &mut Vec<Vec<String>>) {
    if top {
        if let Some(h) = head(ast) {
            out.push(h);
            return;
        }
    }
    match ast {
        Ast::Sub(l, r) | Ast::Pipe(l, r) | Ast::Project(l, r) | Ast::ValueProject(l, r) => {
            roots(l, top, out);
            roots(r, false, out);
        }
        Ast::Filter(l, r, c) => {
            roots(l, top, out);
            roots(r, false, out);
            roots(c, false, out);
        }
        Ast::Or(l, r) | Ast::And(l, r) | Ast::Cmp(_, l, r) => {
            roots(l, top, out);
            roots(r, top, out);
        }
        Ast::Not(x) | Ast::Flatten(x) | Ast::ExpRef(x) => roots(x, top, out),
        Ast::MultiList(items) | Ast::Call(_, items) => {
            items.iter().for_each(|i| roots(i, top, out));
        }
        Ast::MultiHash(items) => items.iter().for_each(|(_, i)| roots(i, top, out)),
        Ast::Field(f) if top => out.push(vec![f.clone()]),
        _ => {}
    }
}

fn calls(ast: &Ast, f: &mut dyn FnMut(&str)) {
    match ast {
        Ast::Call(name, args) => {
            f(name);
            args.iter().for_each(|a| calls(a, f));
        }
        Ast::Sub(l, r)
        | Ast::Pipe(l, r)
        | Ast::Project(l, r)
        | Ast::ValueProject(l, r)
        | Ast::Or(l, r)
        | Ast::And(l, r)
        | Ast::Cmp(_, l, r) => {
            calls(l, f);
            calls(r, f);
        }
        Ast::Filter(l, r, c) => {
            calls(l, f);
            calls(r, f);
            calls(c, f);
        }
        Ast::Not(x) | Ast::Flatten(x) | Ast::ExpRef(x) => calls(x, f),
        Ast::MultiList(items) => items.iter().for_each(|i| calls(i, f)),
        Ast::MultiHash(items) => items.iter().for_each(|(_, i)| calls(i, f)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    fn run(expr: &str, data: &str) -> String {
        let ps = parse_stream(data, &Limits::default());
        let root = Val::Node(ps.docs[0].root().unwrap());
        match Expr::compile(expr).unwrap().eval(&root) {
            Ok(v) => v.to_json(),
            Err(e) => format!("error: {e}"),
        }
    }

    const POD: &str = "spec:\n  containers:\n    - {name: a, image: 'nginx:latest', ports: [{hostPort: 80}]}\n    - {name: b, image: 'busybox:1.2', securityContext: {capabilities: {add: [NET_RAW]}}}\n  initContainers: [{name: i, image: x}]\nmetadata: {name: p, labels: {app: web, tier: '1'}}\n";

    #[test]
    fn paths_projections_filters() {
        for (e, want) in [
            ("metadata.name", r#""p""#),
            ("spec.containers[0].name", r#""a""#),
            ("spec.containers[-1].name", r#""b""#),
            ("spec.containers[*].name", r#"["a","b"]"#),
            ("spec.containers[].ports[].hostPort", "[80]"),
            (
                "spec.[containers, initContainers][].name",
                r#"["a","b","i"]"#,
            ),
            ("spec.containers[?name == 'b'].image", r#"["busybox:1.2"]"#),
            (
                "spec.containers[?starts_with(image, 'nginx')] | length(@)",
                "1",
            ),
            ("spec.missing || `[]`", "[]"),
            (
                "spec.containers[].securityContext.capabilities.add[] || `[]`",
                r#"["NET_RAW"]"#,
            ),
            ("metadata.labels.keys(@)", r#"["app","tier"]"#),
            (
                "metadata.{n: name, l: labels.app}",
                r#"{"l":"web","n":"p"}"#,
            ),
            ("!(metadata.missing)", "true"),
            ("!metadata.missing", "null"),
            (
                "metadata.name == 'p' && spec.containers[0].name != 'x'",
                "true",
            ),
            ("spec.containers[0:1].name", r#"["a"]"#),
            ("metadata.labels.*", r#"["web","1"]"#),
            ("metadata.labels.\"tier\"", r#""1""#),
            ("to_number(metadata.labels.tier) > `0`", "true"),
            ("split(spec.containers[0].image, ':')[1]", r#""latest""#),
            ("join('-', spec.containers[].name)", r#""a-b""#),
            (
                "regex_replace_all('^(\\w+):.*$', spec.containers[0].image, '$1')",
                r#""nginx""#,
            ),
            ("contains(spec.containers[].name, 'b')", "true"),
            (
                "merge(metadata.labels, `{\"x\": 1}`) | keys(@) | sort(@)",
                r#"["app","tier","x"]"#,
            ),
            ("label_match(`{\"app\": \"web\"}`, metadata.labels)", "true"),
            ("base64_decode('aGk=')", r#""hi""#),
            ("to_string(`[1, 2]`)", r#""[1,2]""#),
            ("length('abc')", "3"),
            ("max(`[1, 5, 2]`)", "5"),
            ("sum(`[1, 5, 2]`)", "8"),
            ("length(`3`)", "error: length(): not a string, list or map"),
        ] {
            assert_eq!(run(e, POD), want, "{e}");
        }
    }

    #[test]
    fn results_keep_their_nodes() {
        let ps = parse_stream(POD, &Limits::default());
        let root = Val::Node(ps.docs[0].root().unwrap());
        let v = Expr::compile("spec.containers[1].image")
            .unwrap()
            .eval(&root)
            .unwrap();
        let n = v.node().expect("a node");
        assert_eq!(&POD[n.span().range()], "'busybox:1.2'");
    }

    #[test]
    fn roots_and_offline_functions() {
        let e =
            Expr::compile("request.object.spec.containers[?name == element.name] || x").unwrap();
        assert_eq!(
            e.roots(),
            vec![
                vec!["request".to_string(), "object".to_string()],
                vec!["x".to_string()]
            ]
        );
        let e = Expr::compile("time_now_utc()").unwrap();
        assert_eq!(e.not_offline().as_deref(), Some("time_now_utc"));
    }

    #[test]
    fn budget_bounds_evaluation() {
        let big = format!("[{}]", vec!["[1,2,3,4,5,6,7,8,9,10]"; 2000].join(","));
        let ps = parse_stream(&big, &Limits::default());
        let root = Val::Node(ps.docs[0].root().unwrap());
        let e = Expr::compile("[*][*][*][*][*][*][*]").unwrap();
        assert!(e.eval(&root).is_ok());
        let e = Expr::compile("[].[@, @, @, @, @, @, @, @][][][].[@, @, @, @, @, @, @, @][][][]")
            .unwrap();
        let _ = e.eval(&root);
    }
}
