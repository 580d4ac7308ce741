//! A JSON Schema, as the bundles, CRDs and `schemas.paths` files give it,
//! compiled into an arena the validator walks.
//!
//! The subset is what Kubernetes structural schemas and SchemaStore's
//! draft-07 schemas use: types, properties, additionalProperties,
//! patternProperties, required, items, enum/const, the combinators,
//! if/then/else, dependencies, string, number, array and object bounds,
//! pattern, format, the `x-kubernetes-*` extensions that change what
//! validates, `x-ignore-case-keys`/`x-ignore-case-values` (property
//! names, enum strings match in any case) and `x-dispatch` (a schema per
//! value of one property). Anything else is ignored (it annotates, or is too rare to matter
//! for structure).
//!
//! `$ref`s name definitions of the same set (`#/defs/X`, `#/definitions/X`,
//! `#/$defs/X`); each is compiled once, through a work list rather than
//! recursion, so a chain of references, however long or circular, costs no
//! stack. The arena is capped: a schema that would compile to more than
//! `MAX_NODES` nodes is refused.

use std::collections::HashMap;

use serde_json::{Map, Value as Json};

pub use super::node::{
    types, Bounds, Compiled, Dep, Dispatch, Extra, Lit, Rare, Schema, Sid, MAX_NODES,
};

/// Why a schema did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileError(pub String);

/// Where `$ref`s are looked up: a definitions map, or a bundle that parses
/// each definition only when a reference reaches it.
pub trait Defs {
    fn def(&self, name: &str) -> Option<std::borrow::Cow<'_, Json>>;
}

impl Defs for Map<String, Json> {
    fn def(&self, name: &str) -> Option<std::borrow::Cow<'_, Json>> {
        self.get(name).map(std::borrow::Cow::Borrowed)
    }
}

/// No definitions: every `$ref` is an error.
pub struct NoDefs;

impl Defs for NoDefs {
    fn def(&self, _: &str) -> Option<std::borrow::Cow<'_, Json>> {
        None
    }
}

/// Compiles `root`, resolving references against `defs`. `structural`
/// gives Kubernetes structural semantics: an object with properties and no
/// `additionalProperties` is closed (in strict mode).
pub fn compile(
    root: &Json,
    defs: Option<&Map<String, Json>>,
    structural: bool,
) -> Result<Compiled, CompileError> {
    match defs {
        Some(d) => compile_with(root, d, structural),
        None => compile_with(root, &NoDefs, structural),
    }
}

/// [`compile`] with any source of definitions.
pub fn compile_with(
    root: &Json,
    defs: &dyn Defs,
    structural: bool,
) -> Result<Compiled, CompileError> {
    let mut c = Compiler {
        defs,
        structural,
        nodes: Vec::new(),
        by_name: HashMap::new(),
        queue: Vec::new(),
        skipped_patterns: 0,
        junctor: 0,
    };
    let root = c.node(root)?;
    while let Some((name, slot)) = c.queue.pop() {
        let Some(def) = c.defs.def(&name) else {
            return Err(CompileError(format!(
                "`$ref` to `{name}`, which is not defined"
            )));
        };
        let body = c.node(&def)?;
        // The slot stands for the definition: it is an `allOf` of its body,
        // so a definition that is only a reference stays one hop.
        c.nodes[slot as usize].all_of.push(body);
    }
    Ok(Compiled {
        nodes: c.nodes,
        root,
        skipped_patterns: c.skipped_patterns,
    })
}

struct Compiler<'a> {
    defs: &'a dyn Defs,
    structural: bool,
    nodes: Vec<Schema>,
    by_name: HashMap<String, Sid>,
    queue: Vec<(String, Sid)>,
    skipped_patterns: usize,
    /// Inside `oneOf`, `anyOf`, `allOf` or `not`: a structural schema's
    /// branches only constrain, so their objects are never closed.
    junctor: u32,
}

/// The definition name a `$ref` points at.
fn ref_name(r: &str) -> Option<&str> {
    ["#/defs/", "#/definitions/", "#/$defs/"]
        .iter()
        .find_map(|p| r.strip_prefix(p))
}

impl Compiler<'_> {
    fn push(&mut self, s: Schema) -> Result<Sid, CompileError> {
        if self.nodes.len() >= MAX_NODES {
            return Err(CompileError(format!(
                "the schema has more than {MAX_NODES} nodes"
            )));
        }
        self.nodes.push(s);
        Ok((self.nodes.len() - 1) as Sid)
    }

    /// The slot of a named definition, queued for compilation on first use.
    fn reference(&mut self, r: &str) -> Result<Sid, CompileError> {
        let Some(name) = ref_name(r) else {
            return Err(CompileError(format!(
                "`$ref: {r}` is not a reference to a definition of the same file"
            )));
        };
        if let Some(&id) = self.by_name.get(name) {
            return Ok(id);
        }
        let id = self.push(Schema::any())?;
        self.by_name.insert(name.to_string(), id);
        self.queue.push((name.to_string(), id));
        Ok(id)
    }

    fn node(&mut self, v: &Json) -> Result<Sid, CompileError> {
        let obj = match v {
            Json::Bool(true) => return self.push(Schema::any()),
            Json::Bool(false) => {
                let mut s = Schema::any();
                let not = self.push(Schema::any())?;
                s.rare = Some(Box::new(Rare {
                    not: Some(not),
                    ..Rare::default()
                }));
                return self.push(s);
            }
            Json::Object(o) => o,
            _ => return Err(CompileError("a schema must be an object".into())),
        };
        if let Some(Json::String(r)) = obj.get("$ref") {
            return self.reference(r);
        }
        let mut s = Schema::any();
        s.types = self.types(obj.get("type"))?;
        if obj.get("nullable") == Some(&Json::Bool(true)) && s.types != 0 {
            s.types |= types::NULL;
        }
        s.int_or_string = obj.get("x-kubernetes-int-or-string") == Some(&Json::Bool(true));
        s.embedded = obj.get("x-kubernetes-embedded-resource") == Some(&Json::Bool(true));
        s.fold_keys = obj.get("x-ignore-case-keys") == Some(&Json::Bool(true));
        s.fold_values = obj.get("x-ignore-case-values") == Some(&Json::Bool(true));
        if s.int_or_string {
            s.types = 0;
        }
        let mut r = Rare::default();
        self.object_keywords(obj, &mut s, &mut r)?;
        self.array_keywords(obj, &mut s, &mut r)?;
        self.combinators(obj, &mut s, &mut r)?;
        self.scalar_keywords(obj, &mut r);
        if !r.is_empty() {
            s.rare = Some(Box::new(r));
        }
        self.push(s)
    }

    fn types(&self, t: Option<&Json>) -> Result<u8, CompileError> {
        let bit = |name: &str| match name {
            "null" => Ok(types::NULL),
            "boolean" => Ok(types::BOOL),
            "integer" => Ok(types::INT),
            "number" => Ok(types::NUM | types::INT),
            "string" => Ok(types::STR),
            "array" => Ok(types::ARR),
            "object" => Ok(types::OBJ),
            _ => Err(CompileError(format!("unknown type `{name}`"))),
        };
        match t {
            None => Ok(0),
            Some(Json::String(n)) => bit(n),
            Some(Json::Array(a)) => a.iter().try_fold(0, |acc, n| match n {
                Json::String(n) => Ok(acc | bit(n)?),
                _ => Err(CompileError("`type` entries must be strings".into())),
            }),
            Some(_) => Err(CompileError("`type` must be a string or a list".into())),
        }
    }

    fn object_keywords(
        &mut self,
        obj: &Map<String, Json>,
        s: &mut Schema,
        r: &mut Rare,
    ) -> Result<(), CompileError> {
        if let Some(Json::Object(props)) = obj.get("properties") {
            for (k, v) in props {
                let id = self.node(v)?;
                s.props.push((k.as_str().into(), id));
            }
            s.props.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if let Some(Json::Object(pp)) = obj.get("patternProperties") {
            for (k, v) in pp {
                let id = self.node(v)?;
                match pattern(k) {
                    Some(re) => r.pattern_props.push((re, id)),
                    None => self.skipped_patterns += 1,
                }
            }
        }
        let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&Json::Bool(true));
        s.extra = match obj.get("additionalProperties") {
            _ if preserve => Extra::Allow,
            Some(Json::Bool(false)) => Extra::Closed,
            Some(Json::Bool(true)) => Extra::Allow,
            Some(v @ Json::Object(_)) => Extra::Schema(self.node(v)?),
            _ if self.structural && self.junctor == 0 && !s.props.is_empty() => Extra::Closed,
            _ => Extra::Allow,
        };
        if let Some(Json::Array(req)) = obj.get("required") {
            // Defaults apply before validation: a defaulted field may be left out.
            let props = obj.get("properties");
            let defaulted = |r: &&str| props.and_then(|p| p.get(*r)?.get("default")).is_some();
            let names = req.iter().filter_map(|r| r.as_str());
            s.required = names.filter(|r| !defaulted(r)).map(Into::into).collect();
        }
        if let Some(Json::Object(deps)) = obj.get("dependencies") {
            for (k, v) in deps {
                let dep = match v {
                    Json::Array(keys) => Dep::Keys(
                        keys.iter()
                            .filter_map(|r| r.as_str().map(Into::into))
                            .collect(),
                    ),
                    other => Dep::Schema(self.node(other)?),
                };
                r.deps.push((k.as_str().into(), dep));
            }
        }
        Ok(())
    }

    fn array_keywords(
        &mut self,
        obj: &Map<String, Json>,
        s: &mut Schema,
        r: &mut Rare,
    ) -> Result<(), CompileError> {
        match obj.get("items") {
            Some(Json::Array(list)) => {
                for v in list {
                    let id = self.node(v)?;
                    r.tuple.push(id);
                }
                if let Some(v) = obj.get("additionalItems") {
                    s.items = Some(self.node(v)?);
                }
            }
            Some(v) => s.items = Some(self.node(v)?),
            None => {}
        }
        Ok(())
    }

    fn combinators(
        &mut self,
        obj: &Map<String, Json>,
        s: &mut Schema,
        r: &mut Rare,
    ) -> Result<(), CompileError> {
        self.junctor += 1;
        let res = self.junctors(obj, s, r);
        self.junctor -= 1;
        res
    }

    fn junctors(
        &mut self,
        obj: &Map<String, Json>,
        s: &mut Schema,
        r: &mut Rare,
    ) -> Result<(), CompileError> {
        for (key, out) in [
            ("oneOf", &mut r.one_of),
            ("anyOf", &mut r.any_of),
            ("allOf", &mut s.all_of),
        ] {
            if let Some(Json::Array(list)) = obj.get(key) {
                for v in list {
                    let id = self.node(v)?;
                    out.push(id);
                }
            }
        }
        if let Some(v) = obj.get("not") {
            r.not = Some(self.node(v)?);
        }
        if let Some(v) = obj.get("if") {
            let cond = self.node(v)?;
            let then = obj.get("then").map(|v| self.node(v)).transpose()?;
            let otherwise = obj.get("else").map(|v| self.node(v)).transpose()?;
            r.cond = Some((cond, then, otherwise));
        }
        if let Some(Json::Object(d)) = obj.get("x-dispatch") {
            let (Some(Json::String(property)), Some(Json::Object(cases))) =
                (d.get("property"), d.get("cases"))
            else {
                return Err(CompileError("x-dispatch needs property and cases".into()));
            };
            let mut out = Dispatch {
                property: property.as_str().into(),
                ..Dispatch::default()
            };
            for (value, v) in cases {
                let id = self.node(v)?;
                out.cases.insert(value.to_ascii_lowercase().into(), id);
            }
            r.dispatch = Some(Box::new(out));
        }
        Ok(())
    }

    fn scalar_keywords(&mut self, obj: &Map<String, Json>, r: &mut Rare) {
        let mut lits: Option<Vec<Lit>> = match obj.get("enum") {
            Some(Json::Array(vals)) => Some(vals.iter().map(lit).collect()),
            _ => None,
        };
        if let Some(c) = obj.get("const") {
            lits = Some(vec![lit(c)]);
        }
        r.enumeration = lits;
        if let Some(Json::String(p)) = obj.get("pattern") {
            match pattern(p) {
                Some(re) => r.pattern = Some((re, p.as_str().into())),
                None => self.skipped_patterns += 1,
            }
        }
        if let Some(Json::String(f)) = obj.get("format") {
            r.format = Some(f.as_str().into());
        }
        let f = |k: &str| obj.get(k).and_then(Json::as_f64);
        let u = |k: &str| obj.get(k).and_then(Json::as_u64);
        let b = Bounds {
            minimum: f("minimum"),
            maximum: f("maximum"),
            exclusive_minimum: f("exclusiveMinimum"),
            exclusive_maximum: f("exclusiveMaximum"),
            min_items: u("minItems"),
            max_items: u("maxItems"),
            min_length: u("minLength"),
            max_length: u("maxLength"),
            min_properties: u("minProperties"),
            max_properties: u("maxProperties"),
            unique_items: obj.get("uniqueItems") == Some(&Json::Bool(true)),
        };
        // Draft-04 style booleans (`exclusiveMinimum: true`) read as the bound itself.
        let mut b = b;
        if obj.get("exclusiveMinimum") == Some(&Json::Bool(true)) {
            b.exclusive_minimum = b.minimum.take();
        }
        if obj.get("exclusiveMaximum") == Some(&Json::Bool(true)) {
            b.exclusive_maximum = b.maximum.take();
        }
        let any = b.minimum.is_some()
            || b.maximum.is_some()
            || b.exclusive_minimum.is_some()
            || b.exclusive_maximum.is_some()
            || b.min_items.is_some()
            || b.max_items.is_some()
            || b.min_length.is_some()
            || b.max_length.is_some()
            || b.min_properties.is_some()
            || b.max_properties.is_some()
            || b.unique_items;
        if any {
            r.bounds = Some(b);
        }
    }
}

/// A pattern, compiled once per process: CRDs repeat the same few patterns
/// hundreds of times (the DNS-label one 344 times in the bundled CRDs), and
/// compiling a regex costs far more than looking one up. `None`: not a
/// pattern regex-lite reads.
fn pattern(p: &str) -> Option<regex_lite::Regex> {
    static CACHE: std::sync::LazyLock<
        std::sync::Mutex<HashMap<String, Option<regex_lite::Regex>>>,
    > = std::sync::LazyLock::new(Default::default);
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(re) = cache.get(p) {
        return re.clone();
    }
    // Bounded: a schema with endless distinct patterns compiles them uncached.
    let re = regex_lite::Regex::new(p).ok();
    if cache.len() < 4096 {
        cache.insert(p.to_string(), re.clone());
    }
    re
}

fn lit(v: &Json) -> Lit {
    match v {
        Json::Null => Lit::Null,
        Json::Bool(b) => Lit::Bool(*b),
        Json::Number(n) => n.as_f64().map(Lit::Num).unwrap_or(Lit::Other),
        Json::String(s) => Lit::Str(s.as_str().into()),
        _ => Lit::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_compile_once_and_cycles_terminate() {
        let defs = json!({
            "a": {"$ref": "#/defs/b"},
            "b": {"$ref": "#/defs/a"},
            "node": {"type": "object", "properties": {"next": {"$ref": "#/defs/node"}}}
        });
        let defs = defs.as_object().unwrap();
        let c = compile(&json!({"$ref": "#/defs/node"}), Some(defs), true).unwrap();
        assert!(c.nodes.len() < 5, "{}", c.nodes.len());
        let c = compile(&json!({"$ref": "#/defs/a"}), Some(defs), true).unwrap();
        assert_eq!(c.nodes.len(), 2);
        let e = compile(&json!({"$ref": "#/defs/zz"}), Some(defs), true).unwrap_err();
        assert!(e.0.contains("zz"));
    }

    #[test]
    fn structural_objects_with_properties_are_closed() {
        let s = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let c = compile(&s, None, true).unwrap();
        assert_eq!(c.node(c.root).extra, Extra::Closed);
        let c = compile(&s, None, false).unwrap();
        assert_eq!(c.node(c.root).extra, Extra::Allow);
        let p = json!({"type": "object", "properties": {}, "x-kubernetes-preserve-unknown-fields": true});
        let c = compile(&p, None, true).unwrap();
        assert_eq!(c.node(c.root).extra, Extra::Allow);
    }

    #[test]
    fn bad_schemas_are_errors() {
        assert!(compile(&json!({"type": "strin"}), None, true).is_err());
        assert!(compile(&json!(3), None, true).is_err());
        assert!(compile(&json!({"$ref": "other.json#/x"}), None, true).is_err());
    }
}
