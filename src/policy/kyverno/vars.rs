//! Kyverno's `{{ }}` variables: policy values read into owned templates
//! once (each variable's expression compiled, so a bad one is an error of
//! the policy), and substituted against the context Kyverno's CLI builds
//! for a resource (`request.object`, `request.operation` = `CREATE`,
//! `request.namespace`, `element`, context variables). What the context
//! cannot hold offline (`request.userInfo`, `serviceAccountName`, ...)
//! makes the rule undecidable, never a guess.

use super::jmespath::{Expr, Json, Kind, Val};
use super::scalar::Leaf;
use super::value::leaf;
use crate::yaml::{NodeRef, Span};

/// A piece of a string: text, or a variable (whose expression may itself
/// hold variables, substituted as text first, as Kyverno does).
#[derive(Debug, Clone)]
pub enum Part {
    Text(String),
    Var(Expr),
    Nested(Vec<Part>),
}

/// A policy value with its variables, owned.
#[derive(Debug, Clone)]
pub enum Tmpl {
    Lit(Json),
    /// A string holding variables.
    Str(Vec<Part>),
    List(Vec<Tmpl>),
    Map(Vec<(String, Tmpl)>),
}

/// Why a policy value cannot be used: a bad expression (an error of the
/// policy, at `at`) or a variable that needs the cluster (not run).
#[derive(Debug, Clone)]
pub enum Bad {
    Invalid { at: Span, message: String },
    Undecidable(String),
}

/// The context variables a rule defines (`context: [{name, variable}]`),
/// which may be read beside the built-in ones.
pub(crate) type Names<'a> = &'a [String];

const MAX_NODES: usize = 50_000;

impl Tmpl {
    /// Reads a policy node, compiling its variables.
    pub fn read(node: NodeRef, names: Names) -> Result<Tmpl, Bad> {
        let mut budget = MAX_NODES;
        read(node, names, &mut budget)
    }

    /// Reads a string holding variables (`at`: where it is written).
    pub fn read_text(s: &str, at: Span, names: Names) -> Result<Tmpl, Bad> {
        match parse_parts(s, names) {
            Err(message) => Err(Bad::Invalid { at, message }),
            Ok(Err(bad)) => Err(bad),
            Ok(Ok(parts)) => Ok(Tmpl::Str(parts)),
        }
    }

    /// Whether it holds any variable.
    pub fn has_vars(&self) -> bool {
        match self {
            Tmpl::Lit(_) => false,
            Tmpl::Str(_) => true,
            Tmpl::List(l) => l.iter().any(Tmpl::has_vars),
            Tmpl::Map(m) => m.iter().any(|(_, v)| v.has_vars()),
        }
    }

    /// The value with its variables substituted; `lenient`: a variable
    /// that resolves to nothing is `""` (Kyverno's preconditions and
    /// conditions) rather than an error.
    pub fn eval<'d, 's>(&self, ctx: &Val<'d, 's>, lenient: bool) -> Result<Val<'d, 's>, String> {
        Ok(match self {
            Tmpl::Lit(v) => v.clone(),
            Tmpl::Str(parts) => match parts.as_slice() {
                [Part::Var(_) | Part::Nested(_)] => {
                    let v = var(&parts[0], ctx, lenient)?;
                    if matches!(v, Val::Null) && lenient {
                        Val::str("")
                    } else {
                        v
                    }
                }
                _ => Val::str(text(parts, ctx, lenient)?),
            },
            Tmpl::List(l) => Val::List(
                l.iter()
                    .map(|t| t.eval(ctx, lenient))
                    .collect::<Result<_, _>>()?,
            ),
            Tmpl::Map(m) => Val::Map(
                m.iter()
                    .map(|(k, t)| Ok((k.clone(), t.eval(ctx, lenient)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

fn var<'d, 's>(p: &Part, ctx: &Val<'d, 's>, lenient: bool) -> Result<Val<'d, 's>, String> {
    let v = match p {
        Part::Text(t) => return Ok(Val::str(t.clone())),
        Part::Var(e) => e.eval(ctx)?,
        Part::Nested(inner) => {
            let src = text(inner, ctx, lenient)?;
            // Not quoted: the text holds the resource's values (a Secret's).
            let e = Expr::compile(src.trim()).map_err(|_| {
                "a variable does not compile once its inner variables are substituted"
            })?;
            e.eval(ctx)?
        }
    };
    if matches!(v, Val::Null) && !lenient {
        return Err("a variable resolved to nothing".into());
    }
    Ok(v)
}

fn text(parts: &[Part], ctx: &Val, lenient: bool) -> Result<String, String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            p => out.push_str(&var(p, ctx, lenient)?.to_text()),
        }
    }
    Ok(out)
}

fn read(node: NodeRef, names: Names, budget: &mut usize) -> Result<Tmpl, Bad> {
    if *budget == 0 {
        return Err(Bad::Undecidable("a value is too large".into()));
    }
    *budget -= 1;
    let node = node.resolve();
    if node.is_map() {
        let mut out = Vec::new();
        for (k, v) in node.entries() {
            out.push((
                k.as_str().unwrap_or_default().to_string(),
                read(v, names, budget)?,
            ));
        }
        return Ok(if out.iter().any(|(_, v)| v.has_vars()) {
            Tmpl::Map(out)
        } else {
            Tmpl::Lit(Val::Map(
                out.into_iter().map(|(k, v)| (k, lit(v))).collect(),
            ))
        });
    }
    if node.is_seq() {
        let out: Vec<Tmpl> = node
            .items()
            .map(|i| read(i, names, budget))
            .collect::<Result<_, _>>()?;
        return Ok(if out.iter().any(Tmpl::has_vars) {
            Tmpl::List(out)
        } else {
            Tmpl::Lit(Val::List(out.into_iter().map(lit).collect()))
        });
    }
    Ok(match leaf(node) {
        Leaf::Str(s) if s.contains("{{") => Tmpl::read_text(s, node.span(), names)?,
        Leaf::Str(s) => Tmpl::Lit(Val::str(s)),
        Leaf::Bool(b) => Tmpl::Lit(Val::Bool(b)),
        Leaf::Int(i) => Tmpl::Lit(Val::Num(i as f64)),
        Leaf::Float(f) => Tmpl::Lit(Val::Num(f)),
        _ => Tmpl::Lit(Val::Null),
    })
}

fn lit(t: Tmpl) -> Json {
    match t {
        Tmpl::Lit(v) => v,
        _ => Val::Null,
    }
}

/// A string's parts; `Err`: a bad expression (the policy's error);
/// `Ok(Err)`: a variable that cannot be read offline.
fn parse_parts(s: &str, names: Names) -> Result<Result<Vec<Part>, Bad>, String> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("{{") {
        if rest[..i].ends_with('\\') {
            parts.push(Part::Text(rest[..i + 2].to_string()));
            rest = &rest[i + 2..];
            continue;
        }
        let Some(end) = closing(&rest[i + 2..]) else {
            break;
        };
        parts.push(Part::Text(rest[..i].to_string()));
        let inner = &rest[i + 2..i + 2 + end];
        rest = &rest[i + 2 + end + 2..];
        if inner.contains("{{") {
            match parse_parts(inner, names)? {
                Ok(p) => parts.push(Part::Nested(p)),
                Err(b) => return Ok(Err(b)),
            }
            continue;
        }
        let e = Expr::compile(inner.trim())
            .map_err(|e| format!("`{}`: {}", inner.trim(), e.message))?;
        if let Some(why) = unreadable(&e, names) {
            return Ok(Err(Bad::Undecidable(why)));
        }
        parts.push(Part::Var(e));
    }
    parts.push(Part::Text(rest.to_string()));
    parts.retain(|p| !matches!(p, Part::Text(t) if t.is_empty()));
    Ok(Ok(parts))
}

/// The offset of the `}}` closing a variable whose text starts at `s`.
fn closing(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i + 1 < b.len() {
        if &b[i..i + 2] == b"{{" {
            depth += 1;
            i += 2;
        } else if &b[i..i + 2] == b"}}" {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    None
}

const REQUEST_FIELDS: [&str; 5] = ["object", "oldObject", "operation", "namespace", "name"];

/// Why an expression cannot be evaluated offline, if it cannot.
pub(crate) fn unreadable(e: &Expr, names: Names) -> Option<String> {
    if let Some(f) = e.not_offline() {
        return Some(format!("uses `{f}()`, which is not evaluated offline"));
    }
    if e.text.trim() == "@" {
        return Some("uses `{{@}}`".into());
    }
    for path in e.roots() {
        let ok = match path.first().map(String::as_str) {
            Some("request") => path
                .get(1)
                .is_some_and(|f| REQUEST_FIELDS.contains(&f.as_str())),
            Some(n) if n.starts_with("element") => true,
            Some(n) => names.iter().any(|x| x == n),
            None => true,
        };
        if !ok {
            return Some(format!(
                "reads `{}`, which needs the cluster or the admission request",
                path.join(".")
            ));
        }
    }
    None
}

/// The context Kyverno's CLI evaluates a rule in: `request` for the
/// resource `doc` (`at`: the pod template an auto-generated rule reads,
/// which `request.object.spec` and `.metadata` then name).
pub fn context<'d, 's>(doc: NodeRef<'d, 's>, at: NodeRef<'d, 's>, namespace: &str) -> Val<'d, 's> {
    let object = if at.key() == doc.key() {
        Val::Node(doc)
    } else {
        let mut entries = Val::Node(doc).entries().unwrap_or_default();
        for (k, v) in &mut entries {
            if k == "spec" || k == "metadata" {
                *v = Val::Node(at).field(k);
            }
        }
        Val::Map(entries)
    };
    let name = Val::Node(doc).field("metadata").field("name");
    Val::Map(vec![(
        "request".into(),
        Val::Map(vec![
            ("operation".into(), Val::str("CREATE")),
            ("object".into(), object),
            ("oldObject".into(), Val::Null),
            ("namespace".into(), Val::str(namespace)),
            ("name".into(), name),
        ]),
    )])
}

/// `ctx` with `name` set to `value` (context variables, `element`).
pub fn with<'d, 's>(ctx: &Val<'d, 's>, name: &str, value: Val<'d, 's>) -> Val<'d, 's> {
    let mut entries = match ctx {
        Val::Map(m) => m.clone(),
        _ => Vec::new(),
    };
    match entries.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => entries.push((name.to_string(), value)),
    }
    Val::Map(entries)
}

/// Whether a value is a string (for messages).
pub fn is_str(v: &Val) -> bool {
    v.kind() == Kind::Str
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    const POD: &str =
        "kind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: a, image: 'nginx:1'}]}\n";

    fn sub(value: &str) -> Result<String, String> {
        let (ps, rs) = (
            parse_stream(value, &Limits::default()),
            parse_stream(POD, &Limits::default()),
        );
        let doc = rs.docs[0].root().unwrap();
        let t = match Tmpl::read(ps.docs[0].root().unwrap(), &["x".to_string()]) {
            Ok(t) => t,
            Err(Bad::Invalid { message, .. }) => return Err(format!("invalid: {message}")),
            Err(Bad::Undecidable(why)) => return Err(format!("undecidable: {why}")),
        };
        let ctx = with(&context(doc, doc, "default"), "x", Val::Num(3.0));
        t.eval(&ctx, false).map(|v| v.to_json())
    }

    #[test]
    fn substitutes() {
        assert_eq!(
            sub("'{{ request.object.metadata.name }}'").unwrap(),
            r#""web""#
        );
        assert_eq!(
            sub("'n-{{request.object.metadata.name}}-{{x}}'").unwrap(),
            r#""n-web-3""#
        );
        assert_eq!(sub("'{{ x }}'").unwrap(), "3");
        assert_eq!(sub("'{{ request.operation }}'").unwrap(), r#""CREATE""#);
        assert_eq!(
            sub("\"{{ to_upper('{{request.object.metadata.name}}') }}\"").unwrap(),
            r#""WEB""#
        );
        assert_eq!(sub("[a, '{{x}}']").unwrap(), r#"["a",3]"#);
        assert_eq!(sub("'\\{{ x }}'").unwrap(), r#""\\{{ x }}""#);
        assert!(sub("'{{ request.object.nope }}'").is_err());
    }

    #[test]
    fn cluster_state_and_errors() {
        assert!(sub("'{{ request.userInfo.username }}'")
            .unwrap_err()
            .starts_with("undecidable"));
        assert!(sub("'{{ serviceAccountName }}'")
            .unwrap_err()
            .starts_with("undecidable"));
        assert!(sub("'{{ time_now_utc() }}'")
            .unwrap_err()
            .starts_with("undecidable"));
        assert!(sub("'{{ nope(x) }}'").unwrap_err().starts_with("invalid"));
        assert!(sub("'{{ a. }}'").unwrap_err().starts_with("invalid"));
    }
}
