//! CustomResourceDefinitions as schemas: a CRD in the linted tree (or in a
//! `schemas.paths` folder) gives the schema of each version it serves, for
//! the custom resources that use it.

use serde_json::{Map, Number, Value as Json};

use super::value::{self, Ty};
use crate::yaml::{NodeRef, Span};

/// The most nodes one schema taken from YAML may have (aliases count as
/// often as they are used).
const MAX_JSON_NODES: usize = 1_000_000;
/// The deepest a schema taken from YAML may nest, in JSON levels: what
/// serde_json allows a schema file (its recursion limit, 128). Aliases can
/// expand a few lines of YAML into a schema thousands of levels deep (YAML's
/// `max_depth` counts only written nesting), and the conversion, the
/// compiler and the validator each walk a schema recursively, so an
/// unbounded one overflows the stack. Real CRDs stay far below (43 levels
/// at most in our corpus).
pub const MAX_JSON_DEPTH: usize = 128;

/// One served version of a CRD.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct CrdVersion {
    /// `group/version` (what a custom resource's `apiVersion` says).
    pub api_version: String,
    pub kind: String,
    /// `openAPIV3Schema`, as JSON (`Null` when only declared, see [`declared`]).
    #[serde(with = "json_text")]
    pub schema: Json,
    /// Where the schema is written: a schema that does not compile is reported there.
    pub span: Span,
    /// The CRD object's extent in its file: where to find it again.
    pub object: Span,
    /// Its document's extent: the text to parse again for it.
    pub doc: Span,
}

/// The versions a CRD serves, without reading their schemas: what the file
/// pass keeps, so that only CRDs some custom resource uses are ever
/// converted (CRDs are large, and repositories vendor many).
pub fn declared(obj: NodeRef) -> Vec<CrdVersion> {
    read(obj, false).unwrap_or_default()
}

/// The schemas a `CustomResourceDefinition` object declares, or why one
/// could not be read (with the span it concerns).
pub fn versions(obj: NodeRef) -> Result<Vec<CrdVersion>, (Span, String)> {
    read(obj, true)
}

fn read(obj: NodeRef, with_schema: bool) -> Result<Vec<CrdVersion>, (Span, String)> {
    let spec = obj.get("spec").filter(|s| s.is_map());
    let Some(spec) = spec else {
        return Ok(Vec::new());
    };
    let group = spec.str_at(&["group"]).unwrap_or("");
    let Some(kind) = spec.str_at(&["names", "kind"]) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    // apiextensions.k8s.io/v1beta1 put one schema for all versions under `spec.validation`.
    let shared = spec.path(&["validation", "openAPIV3Schema"]);
    let versions: Vec<NodeRef> = match spec.get("versions") {
        Some(v) if v.is_seq() => v.items().collect(),
        _ => Vec::new(),
    };
    let mut names: Vec<(String, Option<NodeRef>)> = versions
        .iter()
        .filter(|v| v.get("served").and_then(|s| s.as_str()) != Some("false"))
        .filter_map(|v| {
            let name = v.str_at(&["name"])?.to_string();
            Some((name, v.path(&["schema", "openAPIV3Schema"])))
        })
        .collect();
    if names.is_empty() {
        if let Some(v) = spec.str_at(&["version"]) {
            names.push((v.to_string(), None));
        }
    }
    for (name, schema) in names {
        let Some(node) = schema.or(shared) else {
            continue;
        };
        let json = if with_schema {
            to_json(node).map_err(|m| (node.span(), m))?
        } else {
            Json::Null
        };
        out.push(CrdVersion {
            api_version: if group.is_empty() {
                name
            } else {
                format!("{group}/{name}")
            },
            kind: kind.to_string(),
            schema: json,
            span: node.span(),
            object: obj.span(),
            doc: obj.doc.span,
        });
    }
    Ok(out)
}

/// A YAML node as JSON (YAML 1.2 core types), bounded in size and depth.
pub fn to_json(n: NodeRef) -> Result<Json, String> {
    let mut budget = MAX_JSON_NODES;
    convert(n, &mut budget, 0)
}

fn convert(n: NodeRef, budget: &mut usize, depth: usize) -> Result<Json, String> {
    if *budget == 0 {
        return Err(format!(
            "the schema is larger than {MAX_JSON_NODES} nodes once its aliases are expanded"
        ));
    }
    if depth >= MAX_JSON_DEPTH {
        return Err(format!(
            "the schema nests deeper than {MAX_JSON_DEPTH} levels once its aliases are expanded"
        ));
    }
    *budget -= 1;
    let n = n.resolve();
    Ok(match value::type_of(n, false) {
        Ty::Map => {
            let mut m = Map::new();
            for (k, v) in n.entries() {
                let Some(key) = k.as_str() else { continue };
                m.insert(key.to_string(), convert(v, budget, depth + 1)?);
            }
            Json::Object(m)
        }
        Ty::Seq => Json::Array(
            n.items()
                .map(|i| convert(i, budget, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Ty::Null => Json::Null,
        Ty::Bool => Json::Bool(value::boolean(n.as_str().unwrap_or(""))),
        Ty::Int | Ty::Float => {
            let t = n.as_str().unwrap_or("");
            match t.parse::<i64>() {
                Ok(i) => Json::Number(i.into()),
                Err(_) => value::number(t)
                    .and_then(Number::from_f64)
                    .map(Json::Number)
                    .unwrap_or_else(|| Json::String(t.to_string())),
            }
        }
        Ty::Str => Json::String(n.as_str().unwrap_or("").to_string()),
    })
}

/// A schema in the results cache: as JSON text (the cache's format does not
/// describe itself, so a `Value` cannot be read back from it directly).
mod json_text {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Json;

    pub fn serialize<S: Serializer>(v: &Json, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Json, D::Error> {
        let text = <&str>::deserialize(d)?;
        serde_json::from_str(text).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn served_versions_with_their_schemas() {
        let src = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: Widget}\n  versions:\n  - name: v1\n    served: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec: {type: object, properties: {size: {type: integer}}}\n  - name: v0\n    served: false\n    schema: {openAPIV3Schema: {type: object}}\n";
        let parsed = parse_stream(src, &Limits::default());
        let v = versions(parsed.docs[0].root().unwrap()).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].api_version, "example.com/v1");
        assert_eq!(v[0].kind, "Widget");
        assert_eq!(
            v[0].schema["properties"]["spec"]["properties"]["size"]["type"],
            "integer"
        );
    }

    /// A CRD whose schema is an alias chain: 70 anchors, each nesting the
    /// previous one 60 `properties` deep, expand to a schema 8,400 mappings
    /// deep from 240 KB of YAML (within the alias expansion limit). Its
    /// conversion overflowed the stack of a 2 MiB thread (the engine's pool
    /// threads) before the depth limit; found by the `schema` fuzz target's
    /// seeds (`fuzz/regressions/schema/crd-alias-chain-stack-overflow`).
    #[test]
    fn schemas_deepened_by_aliases_are_refused_not_overflowed() {
        let mut src = String::from("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nx:\n  p0: &p0 {type: string}\n");
        for i in 1..70 {
            src.push_str(&format!(
                "  p{i}: &p{i} {}*p{}{}\n",
                "{type: object, properties: {a: ".repeat(60),
                i - 1,
                "}}".repeat(60)
            ));
        }
        src.push_str("spec:\n  group: example.com\n  names: {kind: Deep}\n  versions:\n  - name: v1\n    schema:\n      openAPIV3Schema: *p69\n");
        let outcome = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let parsed = parse_stream(&src, &Limits::default());
                assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
                let err = versions(parsed.docs[0].root().unwrap()).unwrap_err();
                err.1
            })
            .unwrap()
            .join()
            .unwrap();
        assert!(outcome.contains("deeper than 128 levels"), "{outcome}");

        // Just within the limit: converted whole.
        let mut deep = String::from("{type: string}");
        for _ in 0..(MAX_JSON_DEPTH / 2 - 1) {
            deep = format!("{{type: object, properties: {{a: {deep}}}}}");
        }
        let parsed = parse_stream(&deep, &Limits::default());
        assert!(to_json(parsed.docs[0].root().unwrap()).is_ok());
        let deeper = format!("{{properties: {{a: {deep}}}}}");
        let parsed = parse_stream(&deeper, &Limits::default());
        assert!(to_json(parsed.docs[0].root().unwrap()).is_err());
    }
}
