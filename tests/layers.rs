//! The shape of the house, checked on every test run: `src/` is layered
//! (a module imports only modules of its own layer or below, as listed in
//! `LAYERS` and in `src/lib.rs`), no two files import each other through a
//! cycle, and files and functions stay short enough to read at once.
//!
//! It reads the source text, not the compiler's view: a reference is a path
//! starting `crate::`, `$crate::` or `super::` outside comments. That is
//! cheap, and enough, since every import in the crate is written so.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules of `src/`, lowest layer first.
const LAYERS: &[&str] = &[
    "source", "yaml", "model", "script", "finding", "config", "schema", "policy", "index", "rules",
    "report", "engine", "output", "cli",
];

/// Code lines of a file before its `#[cfg(test)]` module.
const MAX_FILE_LINES: usize = 600;
/// Lines of one function outside tests, signature to closing brace.
const MAX_FN_LINES: usize = 100;

/// A source file: its module path (`["engine", "finish"]`) and its text.
struct Source {
    module: Vec<String>,
    path: String,
    text: String,
}

fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn sources(root: &Path) -> Vec<Source> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<Source>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for e in entries {
            let p = e.path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap();
                if rel == Path::new("main.rs") {
                    continue;
                }
                out.push(Source {
                    module: module_of(rel),
                    path: rel.to_string_lossy().into_owned(),
                    text: std::fs::read_to_string(&p).unwrap(),
                });
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out
}

/// The text without `//` comments (doc comments included), line by line.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(|l| match l.find("//") {
        Some(i) => &l[..i],
        None => l,
    })
}

/// Module paths a file refers to, resolved to absolute paths
/// (`super::x` from `engine::finish` is `engine::x`).
fn references(src: &Source) -> Vec<Vec<String>> {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for line in code_lines(&src.text) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::").or_else(|| rest.find("super::")) {
            // Whichever comes first.
            let (at, is_super) = match (rest.find("crate::"), rest.find("super::")) {
                (Some(c), Some(s)) if s < c => (s, true),
                (Some(c), _) => (c, false),
                (None, Some(s)) => (s, true),
                (None, None) => unreachable!("{i}"),
            };
            let preceded_by_ident = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| ident(c) && c != '$');
            let mut base: Vec<String> = Vec::new();
            let mut tail = &rest[at..];
            if is_super {
                base = src.module.clone();
                // A file `a/b.rs` is module `a::b`; `super` is `a`. For
                // `a/mod.rs`, module `a`, `super` is the crate root.
                while let Some(t) = tail.strip_prefix("super::") {
                    base.pop();
                    tail = t;
                }
            } else {
                tail = &tail["crate::".len()..];
            }
            let mut segments = Vec::new();
            if let Some(group) = tail.strip_prefix('{') {
                // `crate::{a::X, b}`: the first segment of each member.
                let group = &group[..group.find('}').unwrap_or(group.len())];
                for member in group.split(',') {
                    let first: String = member.trim().chars().take_while(|&c| ident(c)).collect();
                    if !first.is_empty() && first != "self" {
                        segments.push(vec![first]);
                    }
                }
            } else {
                let path: Vec<String> = tail
                    .split("::")
                    .map(|s| s.chars().take_while(|&c| ident(c)).collect::<String>())
                    .take_while(|s| !s.is_empty())
                    .collect();
                segments.push(path);
            }
            if !preceded_by_ident {
                for s in segments {
                    let mut full = base.clone();
                    full.extend(s);
                    out.push(full);
                }
            }
            rest = &rest[at + 7..];
        }
    }
    out
}

/// The module a reference lands in: the longest prefix that is a file.
fn target(path: &[String], modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Upward imports: `file: module -> module` for every reference to a higher layer.
fn layer_violations(srcs: &[Source]) -> Vec<String> {
    let layer = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut out = Vec::new();
    for s in srcs {
        let Some(own) = s.module.first() else {
            continue;
        };
        let Some(own_layer) = layer(own) else {
            out.push(format!(
                "{}: top-level module `{own}` is in no layer: add it to LAYERS and src/lib.rs",
                s.path
            ));
            continue;
        };
        for r in references(s) {
            let Some(to) = r.first() else { continue };
            match layer(to) {
                Some(l) if l <= own_layer => {}
                Some(_) => out.push(format!(
                    "{}: `{own}` imports `{}`, a higher layer",
                    s.path,
                    r.join("::")
                )),
                None => {}
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Cycles between files neither of which contains the other (a parent
/// module and its children may refer to each other: that is a facade).
fn cycles(srcs: &[Source]) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = srcs.iter().map(|s| s.module.clone()).collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for s in srcs {
        // Tests may compare a module with its sibling (a renderer with the
        // reference one): only the code itself must be acyclic.
        let code = Source {
            module: s.module.clone(),
            path: s.path.clone(),
            text: before_tests(&s.text).to_string(),
        };
        for r in references(&code) {
            let Some(t) = target(&r, &modules) else {
                continue;
            };
            let nested = t.starts_with(&s.module) || s.module.starts_with(&t);
            if !nested {
                edges.entry(s.module.clone()).or_default().insert(t);
            }
        }
    }
    // Depth-first search for a back edge; report each cycle once.
    let mut found = BTreeSet::new();
    fn dfs(
        m: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        stack: &mut Vec<Vec<String>>,
        done: &mut BTreeSet<Vec<String>>,
        found: &mut BTreeSet<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == m) {
            let mut cycle: Vec<String> = stack[i..].iter().map(|p| p.join("::")).collect();
            let min = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| *c)
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(min);
            found.insert(cycle.join(" -> "));
            return;
        }
        if done.contains(m) {
            return;
        }
        stack.push(m.clone());
        for n in edges.get(m).into_iter().flatten() {
            dfs(n, edges, stack, done, found);
        }
        stack.pop();
        done.insert(m.clone());
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        dfs(m, &edges, &mut Vec::new(), &mut done, &mut found);
    }
    found.into_iter().collect()
}

/// The part of a file before its tests.
fn before_tests(text: &str) -> &str {
    text.find("#[cfg(test)]").map_or(text, |i| &text[..i])
}

fn long_files(srcs: &[Source]) -> Vec<String> {
    srcs.iter()
        .filter_map(|s| {
            let n = before_tests(&s.text).lines().count();
            (n > MAX_FILE_LINES).then(|| format!("{}: {n} lines before its tests", s.path))
        })
        .collect()
}

/// Functions longer than `MAX_FN_LINES`: from a line starting `fn` (after
/// visibility) to the next line holding only `}` at the same indentation.
fn long_functions(srcs: &[Source]) -> Vec<String> {
    let mut out = Vec::new();
    for s in srcs {
        let lines: Vec<&str> = before_tests(&s.text).lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let t = l.trim_start();
            let indent = &l[..l.len() - t.len()];
            let t = t
                .strip_prefix("pub(crate) ")
                .or_else(|| t.strip_prefix("pub(super) "))
                .or_else(|| t.strip_prefix("pub "))
                .unwrap_or(t);
            let t = t.strip_prefix("const ").unwrap_or(t);
            if !t.starts_with("fn ") || l.trim_end().ends_with(';') {
                continue;
            }
            let close = format!("{indent}}}");
            if let Some(len) = lines[i..].iter().position(|x| *x == close) {
                if len + 1 > MAX_FN_LINES {
                    let name: String = t[3..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.push(format!(
                        "{}:{}: fn {name} is {} lines",
                        s.path,
                        i + 1,
                        len + 1
                    ));
                }
            }
        }
    }
    out
}

fn src_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn lib_declares_the_layers_in_order() {
    let lib = std::fs::read_to_string(src_dir().join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';'))
        .collect();
    assert_eq!(
        declared, LAYERS,
        "src/lib.rs must declare the layers, lowest first"
    );
}

#[test]
fn no_module_imports_a_higher_layer() {
    let v = layer_violations(&sources(&src_dir()));
    assert!(v.is_empty(), "upward imports:\n{}", v.join("\n"));
}

#[test]
fn no_import_cycles_between_files() {
    let c = cycles(&sources(&src_dir()));
    assert!(c.is_empty(), "import cycles:\n{}", c.join("\n"));
}

#[test]
fn files_and_functions_read_at_once() {
    let srcs = sources(&src_dir());
    let mut v = long_files(&srcs);
    v.extend(long_functions(&srcs));
    assert!(v.is_empty(), "too long:\n{}", v.join("\n"));
}

fn fake(path: &str, text: &str) -> Source {
    Source {
        module: module_of(Path::new(path)),
        path: path.into(),
        text: text.into(),
    }
}

#[test]
fn the_checks_catch_what_they_are_for() {
    // An upward import, in each spelling.
    let srcs = [
        fake("model/k8s.rs", "use crate::rules::Rule;\n"),
        fake(
            "yaml/tree.rs",
            "use crate::{source::file::FileEntry, engine::Run};\n",
        ),
        fake(
            "model/mod.rs",
            "fn f() { crate::index::extract::object(); }\n",
        ),
        fake(
            "index/extract.rs",
            "use crate::model::k8s; // crate::cli in a comment is not an import\n",
        ),
        fake("widgets/mod.rs", "\n"),
    ];
    let v = layer_violations(&srcs);
    assert_eq!(v.len(), 4, "{v:#?}");
    assert!(
        v[0].contains("k8s.rs: `model` imports `rules::Rule`"),
        "{v:#?}"
    );
    assert!(
        v[1].contains("`model` imports `index::extract::object`"),
        "{v:#?}"
    );
    assert!(
        v[2].contains("top-level module `widgets` is in no layer"),
        "{v:#?}"
    );
    assert!(v[3].contains("`yaml` imports `engine`"), "{v:#?}");

    // Two siblings importing each other, through `super::` and `crate::`.
    let srcs = [
        fake("index/mod.rs", "pub mod a;\npub mod b;\n"),
        fake("index/a.rs", "use super::b::B;\npub struct A;\n"),
        fake(
            "index/b.rs",
            "use crate::index::a::A;\nuse super::X;\npub struct B;\n",
        ),
        fake("index/c.rs", "use super::a::A;\n"),
        fake(
            "index/d.rs",
            "#[cfg(test)]\nmod tests { use super::super::c; }\n",
        ),
        fake(
            "index/e.rs",
            "use super::d;\n#[cfg(test)]\nmod tests { use super::super::e; }\n",
        ),
    ];
    assert_eq!(cycles(&srcs), ["index::a -> index::b"]);

    // Length: a 101-line function outside tests, and one inside tests.
    let body = "    let x = 1;\n".repeat(99);
    let src = format!("fn long() {{\n{body}}}\n#[cfg(test)]\nmod tests {{\n    fn long_test() {{\n{body}    }}\n}}\n");
    let v = long_functions(&[fake("engine/x.rs", &src)]);
    assert_eq!(v, ["engine/x.rs:1: fn long is 101 lines"]);
}
