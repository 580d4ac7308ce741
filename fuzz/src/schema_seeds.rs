//! Seeds of the `schema` target (see `check_schema` for the input format):
//! hand-written pathological schemas, the schema-violation fixtures (their
//! JSON Schemas paired with their manifests, CRDs with their custom
//! resources, and every file against its own and a picked bundled schema),
//! the bundled Kustomize schema as a custom one, and the CRDs of the shared
//! corpus, each followed by a custom resource of its kind.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Value};

/// `schema \0 yaml`: the custom-schema mode.
fn custom(schema: &Value, yaml: &str) -> Vec<u8> {
    let mut d = serde_json::to_vec(schema).expect("a schema serialises");
    d.push(0);
    d.extend_from_slice(yaml.as_bytes());
    d
}

fn custom_raw(schema: &str, yaml: &str) -> Vec<u8> {
    let mut d = schema.as_bytes().to_vec();
    d.push(0);
    d.extend_from_slice(yaml.as_bytes());
    d
}

/// A selector byte (1..=8, see `SCHEMA_PICKS`) then YAML.
fn pick(i: u8, yaml: &[u8]) -> Vec<u8> {
    let mut d = vec![1 + i % 8];
    d.extend_from_slice(yaml);
    d
}

/// A chain of `n` definitions, each only a `$ref` to the next; the last
/// refers back to the first through a property.
fn ref_chain(n: usize) -> Value {
    let mut defs = serde_json::Map::new();
    for i in 0..n {
        defs.insert(
            format!("d{i}"),
            json!({"$ref": format!("#/definitions/d{}", i + 1)}),
        );
    }
    defs.insert(
        format!("d{n}"),
        json!({"type": "object", "properties": {"x": {"$ref": "#/definitions/d0"}}, "required": ["y"]}),
    );
    json!({"definitions": defs, "$ref": "#/definitions/d0"})
}

/// `depth` levels of `properties: {a: ...}` (two JSON levels each).
fn nested_properties(depth: usize) -> Value {
    let mut v = json!({"type": "string", "minLength": 3});
    for i in 0..depth {
        v = json!({"type": "object", "properties": {"a": v}, "required": [format!("r{i}")]});
    }
    v
}

/// `depth` nested flow mappings `{a: ...}` around `leaf`.
fn nested_doc(depth: usize, leaf: &str) -> String {
    format!("{}{leaf}{}\n", "{a: ".repeat(depth), "}".repeat(depth))
}

/// An alias chain: each anchor nests `per` flow sequences around the
/// previous alias, so the expanded document is `per * n` levels deep while
/// the text stays small (YAML's `max_depth` counts only written nesting).
fn alias_chain_doc(n: usize, per: usize) -> String {
    let mut s = String::from("a0: &a0 x\n");
    for i in 1..n {
        let _ = writeln!(
            s,
            "a{i}: &a{i} {}*a{}{}",
            "[".repeat(per),
            i - 1,
            "]".repeat(per)
        );
    }
    s
}

/// The same with nested `properties` mappings, as a CRD's schema: the
/// expanded schema is `2 * per * n` levels deep.
fn alias_chain_crd(n: usize, per: usize) -> String {
    let mut s = String::from(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: deeps.example.com}\nx-anchors:\n  p0: &p0 {type: string}\n",
    );
    for i in 1..n {
        let _ = writeln!(
            s,
            "  p{i}: &p{i} {}*p{}{}",
            "{type: object, properties: {a: ".repeat(per),
            i - 1,
            "}}".repeat(per)
        );
    }
    let _ = write!(
        s,
        "spec:\n  group: example.com\n  names: {{kind: Deep, plural: deeps}}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema: *p{}\n---\napiVersion: example.com/v1\nkind: Deep\nmetadata: {{name: d}}\na: {{a: {{a: 1}}}}\n",
        n - 1
    );
    s
}

/// The hand-written pathological schemas.
fn pathological() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let deep_doc = nested_doc(120, "x");
    let mixed =
        "a: [1, [2, [3, {b: c}]]]\nx: y\nn: null\nt: true\nf: 1.5\ns: \"str\"\nl: [a, a, b]\n";

    // Long `$ref` chains: 10,000 definitions (larger than libFuzzer's
    // max_len: it runs unmutated, as a seed), and ones that fit.
    out.push(custom(&ref_chain(10_000), "x: {x: {x: {y: 1}}}\n"));
    for n in [2, 50, 400] {
        out.push(custom(&ref_chain(n), &deep_doc));
    }
    // A definition that is only a reference to itself, and a two-cycle.
    out.push(custom(
        &json!({"definitions": {"a": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}),
        mixed,
    ));
    out.push(custom(
        &json!({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}),
        mixed,
    ));
    // Self-referencing combinators, each on its own and all together.
    let me = json!({"$ref": "#/definitions/a"});
    for body in [
        json!({"allOf": [me, me]}),
        json!({"anyOf": [me, {"type": "string"}]}),
        json!({"oneOf": [me, me, {"type": "integer"}]}),
        json!({"not": {"not": me}}),
        json!({"if": me, "then": me, "else": me}),
        json!({"dependencies": {"a": me, "x": ["y", "z"]}}),
        json!({"items": me, "additionalProperties": me}),
        json!({"properties": {"a": me}, "patternProperties": {"^x": me}, "additionalProperties": false}),
        json!({"allOf": [me, me], "anyOf": [me, me], "oneOf": [me, {"type": "string"}],
               "not": {"not": me}, "items": me, "additionalProperties": me,
               "if": {"required": ["a"]}, "then": me, "else": {"not": me}}),
    ] {
        let s = json!({"definitions": {"a": body}, "$ref": "#/definitions/a"});
        out.push(custom(&s, mixed));
        out.push(custom(&s, &deep_doc));
        out.push(custom(&s, &alias_chain_doc(25, 200)));
    }
    // Deeply nested properties: within serde_json's 128 levels, and past them.
    out.push(custom(&nested_properties(60), &nested_doc(60, "ab")));
    out.push(custom_raw(
        &format!(
            "{}{}",
            "{\"properties\":{\"a\":".repeat(100),
            "{}}}".repeat(100)
        ),
        &nested_doc(100, "x"),
    ));
    // `not` of `not`, 60 deep, and a 1,000-long chain of `not`s through references.
    let mut nots = json!({"type": "string"});
    for _ in 0..60 {
        nots = json!({"not": nots});
    }
    out.push(custom(&nots, "x\n"));
    let mut defs = serde_json::Map::new();
    for i in 0..1000 {
        defs.insert(
            format!("n{i}"),
            json!({"not": {"$ref": format!("#/definitions/n{}", i + 1)}}),
        );
    }
    defs.insert("n1000".into(), json!({"type": "object"}));
    out.push(custom(
        &json!({"definitions": defs, "$ref": "#/definitions/n0"}),
        mixed,
    ));
    // Exponential branches: 30 levels of anyOf whose branches both go on.
    let mut defs = serde_json::Map::new();
    for i in 0..30 {
        let next = json!({"$ref": format!("#/definitions/e{}", i + 1)});
        defs.insert(
            format!("e{i}"),
            json!({"anyOf": [
                {"type": "object", "properties": {"a": next}, "required": ["zz"]},
                {"type": "object", "properties": {"a": next}, "required": ["yy"]}
            ]}),
        );
    }
    defs.insert("e30".into(), json!({"type": "string", "enum": ["nope"]}));
    out.push(custom(
        &json!({"definitions": defs, "$ref": "#/definitions/e0"}),
        &nested_doc(30, "x"),
    ));
    // Huge enums: strings (with near misses for the "did you mean"), numbers, mixed.
    let strs: Vec<Value> = (0..1500).map(|i| json!(format!("value{i}"))).collect();
    let doc: String = (0..60).map(|i| format!("k{i}: valu{i}\n")).collect();
    out.push(custom(
        &json!({"additionalProperties": {"enum": strs}, "properties": {"n": {"enum": (0..1000).collect::<Vec<_>>()}}}),
        &format!("{doc}n: 1001\n"),
    ));
    out.push(custom(
        &json!({"items": {"enum": [null, true, 1, 1.5, "a", [1], {"a": 1}], "const": "a"}}),
        "[null, true, 1, 1.5, a, [1], {a: 1}, b, ~, yes, 0x1]\n",
    ));
    // Patterns: good, slow-looking, too big, invalid here (ECMA-262 only).
    for p in [
        "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        "(a*)*b",
        "(a|aa)+$",
        "^(\\w+\\s?)*$",
        "a{1000}",
        "(?:a{100}){100}",
        "^(?!x).*",
        "(a)\\1",
        "\\p{L}+",
        "[",
        "",
        "^\\$\\{\\{(.|[\\r\\n])*\\}\\}$",
    ] {
        out.push(custom(
            &json!({"type": "object", "patternProperties": {p: {"type": "string", "pattern": p}},
                     "additionalProperties": {"pattern": p, "maxLength": 5, "minLength": 1}}),
            &format!(
                "{}: {}\nb: \"{}\"\nc: ok\n",
                "a".repeat(40),
                "a".repeat(3000),
                "a".repeat(200)
            ),
        ));
    }
    // uniqueItems over a long list, distinct and repeated.
    let items: String = (0..2000).map(|i| format!("i{i},")).collect();
    out.push(custom(
        &json!({"properties": {"l": {"type": "array", "uniqueItems": true, "maxItems": 3, "minItems": 5000}}}),
        &format!("l: [{items} i1, i1]\n"),
    ));
    // Every keyword once, with odd values.
    out.push(custom(
        &json!({
            "type": ["object", "null"], "nullable": true, "minProperties": 3, "maxProperties": 1,
            "required": ["a", 1, null], "x-kubernetes-embedded-resource": true,
            "properties": {
                "n": {"type": "number", "minimum": 1e308, "maximum": -1e308, "exclusiveMinimum": true, "exclusiveMaximum": 5},
                "i": {"type": "integer", "format": "int32", "multipleOf": 0},
                "q": {"type": "string", "format": "quantity"},
                "b": {"type": "string", "format": "byte"},
                "s": {"x-kubernetes-int-or-string": true, "minLength": 2, "maxLength": 1},
                "t": {"type": "array", "items": [{"type": "string"}, false, true], "additionalItems": {"type": "null"}},
                "p": {"x-kubernetes-preserve-unknown-fields": true, "type": "object", "properties": {}},
                "c": {"const": {"a": 1}},
                "d": {"dependencies": {"a": ["b"], "b": {"required": ["c"]}, "c": 3}},
                "e": {"enum": []},
                "f": false,
                "g": true
            }
        }),
        "n: 1e309\ni: 2147483648\nq: 1.5Gi\nb: aGVsbG8=\ns: 1\nt: [a, 1, null, x]\np: {x: 1}\nc: {a: 1}\nd: {a: 1, b: 2}\ne: x\nf: 1\ng: 2\nh: .inf\n",
    ));
    // Compile errors: a missing definition, an outside reference, a bad type.
    for s in [
        json!({"$ref": "#/definitions/missing"}),
        json!({"$ref": "other.json#/definitions/a"}),
        json!({"type": "strin"}),
        json!({"type": [1]}),
        json!({"properties": {"a": 3}}),
        json!([{"type": "object"}]),
        json!({"$ref": 3, "type": "string"}),
        json!({"definitions": {"a": {"$ref": "#/definitions/b"}}, "$ref": "#/definitions/a"}),
    ] {
        out.push(custom(&s, mixed));
    }
    // Not JSON at all, and JSON with a multi-byte character where the loader reports an offset.
    out.push(custom_raw("{\"type\": \"object\",", mixed));
    out.push(custom_raw("{é: 1}", mixed));
    out.push(custom_raw("{\"a\": 1é}", mixed));
    out.push(custom_raw("", mixed));
    // A kind for the loader, and a schema the document meets.
    out.push(custom(
        &json!({"x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Gadget"}],
                 "type": "object", "properties": {"spec": {"type": "object", "required": ["owner"]}}}),
        "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g}\nspec: {owner: me}\n",
    ));
    // CRDs: an alias chain that expands into a schema thousands of levels
    // deep, one for apiextensions v1beta1 (`spec.validation`), a broken one.
    out.push(alias_chain_crd(70, 60).into_bytes());
    out.push(alias_chain_crd(8, 20).into_bytes());
    out.push(
        b"apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: olds.example.com}\nspec:\n  group: example.com\n  version: v1\n  names: {kind: Old}\n  validation:\n    openAPIV3Schema:\n      type: object\n      properties:\n        spec: {type: object, properties: {n: {type: integer, minimum: 1}}, required: [n]}\n---\napiVersion: example.com/v1\nkind: Old\nmetadata: {name: o}\nspec: {n: 0, m: 1}\n"
            .to_vec(),
    );
    out.push(
        b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: example.com\n  names: {kind: Bad}\n  versions:\n  - name: v1\n    schema: {openAPIV3Schema: {type: objec, properties: {a: {$ref: '#/definitions/x'}}}}\n  - name: v2\n    served: false\n  - name: v3\n    schema: {openAPIV3Schema: [1, 2]}\n"
            .to_vec(),
    );
    out
}

/// The JSON Schema a bundle gives a kind, as a standalone schema (its
/// definitions under `defs`), when it is small enough.
fn bundle_as_custom(bundle_text: &str, key: &str, max: usize) -> Option<Vec<u8>> {
    let v: Value = serde_json::from_str(bundle_text).ok()?;
    let def = v["kinds"][key].as_str()?;
    let s = json!({"defs": v["defs"], "$ref": format!("#/defs/{def}")});
    let d = serde_json::to_vec(&s).ok()?;
    (d.len() <= max).then_some(d)
}

/// `group`, the served versions' names and `names.kind` of a CRD, read
/// with shipshape's YAML layer.
fn custom_resources_for(text: &str) -> String {
    let parsed = shipshape::yaml::parse_stream(text, &shipshape::yaml::Limits::default());
    let mut out = String::new();
    for doc in &parsed.docs {
        let Some(root) = doc.root() else { continue };
        let Ok(versions) = shipshape::schema::crd::versions(root) else {
            continue;
        };
        for v in versions.iter().take(2) {
            let _ = write!(
                out,
                "---\napiVersion: {}\nkind: {}\nmetadata: {{name: x, labels: {{a: b}}}}\nspec: {{replicas: \"2\", unknownField: 1, selector: {{}}}}\n",
                v.api_version, v.kind
            );
        }
    }
    out
}

pub fn gather(
    repo: &Path,
    shared: &Path,
    max_size: usize,
    walk: impl Fn(&Path) -> Vec<std::path::PathBuf>,
) -> Vec<Vec<u8>> {
    let mut out = pathological();
    let read = |p: &Path| std::fs::read(p).ok().filter(|d| d.len() <= max_size);

    // The schema-violation fixtures: each file on its own (its own schema)
    // and against a picked bundled one; CRDs with the manifests; JSON
    // Schemas with every manifest of their fixture.
    for side in ["pass", "fail"] {
        let dir = repo.join("fixtures/rules/schema-violation").join(side);
        let files = walk(&dir);
        let yamls: Vec<Vec<u8>> = files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .filter_map(|p| read(p))
            .collect();
        for (i, y) in yamls.iter().enumerate() {
            out.push(y.clone());
            out.push(pick(i as u8, y));
        }
        let crds: Vec<&Vec<u8>> = yamls
            .iter()
            .filter(|y| String::from_utf8_lossy(y).contains("kind: CustomResourceDefinition"))
            .collect();
        for c in &crds {
            for y in &yamls {
                let mut d = (*c).clone();
                d.extend_from_slice(b"\n---\n");
                d.extend_from_slice(y);
                out.push(d);
            }
        }
        for p in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            let Some(schema) = read(p) else { continue };
            for y in &yamls {
                let mut d = schema.clone();
                d.push(0);
                d.extend_from_slice(y);
                out.push(d);
            }
        }
    }

    // The bundled Kustomize schema as a custom one, with kustomizations.
    let kustomize =
        std::fs::read_to_string(repo.join("schemas/bundled/kustomize.json")).unwrap_or_default();
    let kfiles: Vec<Vec<u8>> = walk(&repo.join("fixtures"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "kustomization.yaml"))
        .filter_map(|p| read(&p))
        .collect();
    if let Some(s) = bundle_as_custom(&kustomize, "kustomization", 64 * 1024) {
        for k in kfiles.iter().take(8) {
            let mut d = s.clone();
            d.push(0);
            d.extend_from_slice(k);
            out.push(d);
        }
    }

    // The corpus's CRDs, each followed by a custom resource of every kind it defines.
    let mut crds = walk(&shared.join("corpus"));
    crds.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    for p in crds {
        let Some(d) = read(&p) else { continue };
        let text = String::from_utf8_lossy(&d);
        if !text.contains("kind: CustomResourceDefinition") {
            continue;
        }
        let mut seed = d.clone();
        seed.extend_from_slice(b"\n");
        seed.extend_from_slice(custom_resources_for(&text).as_bytes());
        out.push(seed);
    }
    out
}
