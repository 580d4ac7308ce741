//! `yq -i` (v4 and v3 syntax) with the image values its expressions assign,
//! and `kustomize edit set image`.

use super::{files_of, push_unique};
use crate::script::args::{has_flag, parse_args, path_ref, positionals, values};
use crate::script::shell::{Command, Word};
use crate::script::{Edit, EditTool, ScriptFacts};

const YQ_VALUE_FLAGS: &[&str] = &[
    "-o",
    "--output-format",
    "-p",
    "--input-format",
    "-I",
    "--indent",
    "--from-file",
    "-s",
    "--split-exp",
    "--expression",
    "-d",
    "--doc",
    "--lua-prefix",
    "--lua-suffix",
    "--properties-separator",
    "--csv-separator",
    "--xml-attribute-prefix",
    "--xml-content-name",
    "--front-matter",
];

/// `yq -i EXPR FILE...`, `yq eval|e|eval-all|ea -i EXPR FILE...`,
/// `yq w -i FILE PATH VALUE` (v3).
pub(in crate::script) fn yq(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, YQ_VALUE_FLAGS);
    if !has_flag(&parsed, &["-i", "--inplace"]) {
        return;
    }
    let pos = positionals(&parsed);
    let mut images = Vec::new();
    let files: &[&Word] = match pos.first().map(|w| w.text.as_str()) {
        Some("w" | "write") => {
            let path = pos.get(2).map_or("", |w| w.text.as_str());
            if let Some(value) = pos
                .get(3)
                .filter(|_| path.to_ascii_lowercase().contains("image"))
            {
                push_unique(&mut images, value.text.clone());
            }
            pos.get(1..2).unwrap_or(&[])
        }
        first => {
            let rest = if matches!(first, Some("eval" | "e" | "eval-all" | "ea")) {
                pos.get(1..).unwrap_or(&[])
            } else {
                &pos[..]
            };
            let exprs: Vec<&str> = values(&parsed, &["--expression"]).map(|v| v.text).collect();
            if !exprs.is_empty() || values(&parsed, &["--from-file"]).next().is_some() {
                for e in &exprs {
                    yq_images(e, &mut images);
                }
                rest
            } else {
                if let Some(e) = rest.first() {
                    yq_images(&e.text, &mut images);
                }
                rest.get(1..).unwrap_or(&[])
            }
        }
    };
    f.edits.push(Edit {
        tool: EditTool::Yq,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// String literals assigned to a path ending in `image` in a yq expression:
/// `.a.image = "X"`, `(... | .image) |= "X"`, `.image = strenv(IMG)` (-> `$IMG`).
pub(in crate::script) fn yq_images(expr: &str, out: &mut Vec<String>) {
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_dq(b, i + 1),
            b'=' => {
                let prev = i.checked_sub(1).and_then(|p| b.get(p)).copied();
                if b.get(i + 1) == Some(&b'=') {
                    i += 2;
                    continue;
                }
                i += 1;
                if matches!(
                    prev,
                    Some(b'!' | b'<' | b'>' | b'=' | b'+' | b'-' | b'*' | b'/' | b'%')
                ) {
                    continue;
                }
                let op_start = if prev == Some(b'|') { i - 2 } else { i - 1 };
                let lhs = expr
                    .get(..op_start)
                    .unwrap_or("")
                    .trim_end_matches([' ', '\t', ')', ']', '"', '\'']);
                if lhs.to_ascii_lowercase().ends_with("image") {
                    if let Some(v) = yq_rhs(expr.get(i..).unwrap_or("")) {
                        push_unique(out, v);
                    }
                }
            }
            _ => i += 1,
        }
    }
}

fn skip_dq(b: &[u8], mut i: usize) -> usize {
    while let Some(&c) = b.get(i) {
        match c {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

pub(in crate::script) fn yq_rhs(r: &str) -> Option<String> {
    let r = r.trim_start();
    if let Some(rest) = r.strip_prefix('"') {
        let end = skip_dq(rest.as_bytes(), 0);
        let inner = rest.get(..end.saturating_sub(1)).unwrap_or(rest);
        return Some(inner.replace("\\\"", "\""));
    }
    for func in ["strenv(", "env("] {
        if let Some(rest) = r.strip_prefix(func) {
            let name = rest.split(')').next().unwrap_or("").trim();
            return Some(format!("${name}"));
        }
    }
    None
}

/// `kustomize edit set image [name=]newName:tag...`.
pub(in crate::script) fn kustomize(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(args, &[]);
    let pos = positionals(&parsed);
    let texts: Vec<&str> = pos.iter().take(3).map(|w| w.text.as_str()).collect();
    if texts != ["edit", "set", "image"] {
        return;
    }
    let mut images = Vec::new();
    for w in pos.get(3..).unwrap_or(&[]) {
        let v = w.text.split_once('=').map_or(w.text.as_str(), |(_, v)| v);
        push_unique(&mut images, v.to_string());
    }
    let file = path_ref("kustomization.yaml", cmd.range(), cmd.cwd.as_deref());
    f.edits.push(Edit {
        tool: EditTool::KustomizeEditSetImage,
        files: vec![file],
        images,
        range: cmd.range(),
    });
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{files, v};
    use crate::script::EditTool;

    #[test]
    fn yq_and_kustomize_edits() {
        let f = analyze("yq -i '.spec.template.spec.containers[0].image = \"r/x:1\"' deploy.yaml");
        assert_eq!(f.edits[0].images, v(&["r/x:1"]));
        assert_eq!(files(&f.edits[0]), vec!["deploy.yaml"]);
        let f = analyze("yq e -i '(.spec.template.spec.containers[] | select(.name == \"app\") | .image) |= \"r/y:2\" | .metadata.labels.v = \"3\"' a.yaml b.yaml");
        assert_eq!(f.edits[0].images, v(&["r/y:2"]));
        assert_eq!(files(&f.edits[0]), vec!["a.yaml", "b.yaml"]);
        let f = analyze("IMG=r/z:3 yq eval --inplace '.image = strenv(IMG)' values.yaml");
        assert_eq!(f.edits[0].images, v(&["$IMG"]));
        let f = analyze("yq w -i k8s/deploy.yaml 'spec.template.spec.containers[0].image' r/w:4");
        assert_eq!(files(&f.edits[0]), vec!["k8s/deploy.yaml"]);
        assert_eq!(f.edits[0].images, v(&["r/w:4"]));
        let f = analyze("yq -i '.replicas = 3' a.yaml");
        assert!(f.edits[0].images.is_empty());
        assert!(analyze("yq '.image = \"x\"' a.yaml").edits.is_empty());

        let s = "cd overlays/prod\nkustomize edit set image app=myacr.azurecr.io/app:${{ github.sha }} other:1.0";
        let f = analyze(s);
        let e = &f.edits[0];
        assert_eq!(e.tool, EditTool::KustomizeEditSetImage);
        assert_eq!(files(e), vec!["overlays/prod/kustomization.yaml"]);
        assert_eq!(
            e.images,
            v(&["myacr.azurecr.io/app:${{ github.sha }}", "other:1.0"])
        );
        assert_eq!(
            files(&analyze("kustomize edit set image x=y:1").edits[0]),
            vec!["kustomization.yaml"]
        );
        assert!(analyze("kustomize edit add resource a.yaml")
            .edits
            .is_empty());
    }
}
