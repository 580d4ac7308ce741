//! PowerShell writes: `Set-Content` and `Out-File` edits (and kubeconfig
//! writes, also by `Add-Content`), and the image values in the script's
//! `-replace` operands and `image:` string literals.

use std::ops::Range;

use crate::script::args::path_ref;
use crate::script::editors::{push_unique, substitution_image, trim_value};
use crate::script::kubeconfig::{is_github_env, is_kubeconfig_path};
use crate::script::shell::{Command, Word};
use crate::script::{Edit, EditTool, Hit, ScriptFacts};

/// PowerShell `Set-Content [-Path] FILE`, `sc FILE`, `Out-File [-FilePath]
/// FILE` (edits) and `Add-Content` (only checked for kubeconfig writes).
pub(super) fn powershell_write(
    cmd: &Command,
    pw: &Word,
    prog: &str,
    args: &[Word],
    f: &mut ScriptFacts,
) {
    const VALUE_PARAMS: &[&str] = &[
        "-value",
        "-encoding",
        "-stream",
        "-filter",
        "-include",
        "-exclude",
        "-credential",
        "-width",
        "-inputobject",
        "-delimiter",
    ];
    const PATH_PARAMS: &[&str] = &["-path", "-literalpath", "-lp", "-pspath", "-filepath"];
    let mut path: Option<(&str, Range<usize>)> = None;
    let mut first_pos: Option<&Word> = None;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        if !w.is_flag() {
            if first_pos.is_none() {
                first_pos = Some(w);
            }
            continue;
        }
        let lower = w.text.to_ascii_lowercase();
        let (name, inline) = match lower.split_once(':') {
            Some((n, _)) => (n, w.text.split_once(':').map(|(_, v)| v)),
            None => (lower.as_str(), None),
        };
        if PATH_PARAMS.contains(&name) {
            match inline {
                Some(v) => path = Some((v, w.range.clone())),
                None => {
                    path = args.get(i).map(|n| (n.text.as_str(), n.range.clone()));
                    i += 1;
                }
            }
        } else if VALUE_PARAMS.contains(&name) && inline.is_none() {
            i += 1;
        }
    }
    let Some((file, range)) =
        path.or_else(|| first_pos.map(|w| (w.text.as_str(), w.range.clone())))
    else {
        return;
    };
    if is_kubeconfig_path(file) {
        f.cluster_access.push(Hit {
            what: "write .kube/config".to_string(),
            range: pw.range.start..range.end,
        });
    }
    if matches!(prog, "add-content" | "ac") || is_github_env(file) {
        return;
    }
    f.edits.push(Edit {
        tool: EditTool::PowerShellSetContent,
        files: vec![path_ref(file, range, cmd.cwd.as_deref())],
        images: Vec::new(),
        range: cmd.range(),
    });
}

/// Values after `image:` in the string literals of the script's words
/// (e.g. a `-replace` replacement), skipping regex-looking ones.
pub(super) fn powershell_images(script: &str, cmds: &[Command]) -> Vec<String> {
    let mut out = Vec::new();
    // `-replace 'PATTERN', 'REPLACEMENT'`
    for c in cmds {
        for (k, w) in c.words.iter().enumerate() {
            let op = w.text.to_ascii_lowercase();
            if !matches!(op.as_str(), "-replace" | "-ireplace" | "-creplace") {
                continue;
            }
            let segments: Vec<&str> = c
                .words
                .iter()
                .skip(k + 1)
                .take(2)
                .filter_map(|n| script.get(n.range.clone()))
                .flat_map(quoted_segments)
                .collect();
            if let [pattern, replacement, ..] = segments.as_slice() {
                if let Some(v) = substitution_image(pattern, replacement) {
                    push_unique(&mut out, v);
                }
            }
        }
    }
    for w in cmds.iter().flat_map(|c| c.words.iter()) {
        let Some(raw) = script.get(w.range.clone()) else {
            continue;
        };
        for content in quoted_segments(raw) {
            let Some(p) = content.find("image:") else {
                continue;
            };
            let v = trim_value(content.get(p + "image:".len()..).unwrap_or(""));
            let regex = ["*", ".+", "\\s", "\\S", "[^", "\\d"]
                .iter()
                .any(|m| v.contains(m))
                || v.ends_with('$');
            if !regex {
                push_unique(&mut out, v);
            }
        }
    }
    out
}

/// Contents of the `"..."` / `'...'` literals in raw word text.
fn quoted_segments(raw: &str) -> Vec<&str> {
    let b = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let q = b[i];
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < b.len() && b[j] != q {
            // PowerShell (`) and bash (\) escapes inside double quotes.
            j += if q == b'"' && matches!(b[j], b'`' | b'\\') {
                2
            } else {
                1
            };
        }
        let end = j.min(b.len());
        out.extend(raw.get(i + 1..end));
        i = end + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{files, v};
    use crate::script::EditTool;

    #[test]
    fn powershell_edits() {
        let s = "(Get-Content k8s/app.yaml) -replace 'image: .*', \"image: $env:ACR/app:$env:TAG\" | Set-Content -Path k8s/app.yaml -Encoding utf8";
        let f = analyze(s);
        assert_eq!(f.edits.len(), 1);
        assert_eq!(f.edits[0].tool, EditTool::PowerShellSetContent);
        assert_eq!(files(&f.edits[0]), vec!["k8s/app.yaml"]);
        assert_eq!(f.edits[0].images, v(&["$env:ACR/app:$env:TAG"]));
        let s = "$content = Get-Content workloads/api/deployment.yaml\n$content -replace 'contoso\\.azurecr\\.io/shop/api:.*', 'contoso.azurecr.io/shop/api:${{ github.run_number }}' | Set-Content workloads/api/deployment.yaml";
        let f = analyze(s);
        assert_eq!(
            f.edits[0].images,
            v(&["contoso.azurecr.io/shop/api:${{ github.run_number }}"])
        );
        assert_eq!(files(&f.edits[0]), vec!["workloads/api/deployment.yaml"]);
        let f = analyze("$x | Out-File -FilePath out/a.yaml\n$y | sc b.yaml\n$z | set-content -LiteralPath:c.yaml");
        assert_eq!(
            f.edits.iter().flat_map(|e| files(e)).collect::<Vec<_>>(),
            vec!["out/a.yaml", "b.yaml", "c.yaml"]
        );
        assert!(
            analyze("\"A=1\" | Out-File -FilePath $env:GITHUB_ENV -Append")
                .edits
                .is_empty()
        );
        assert!(analyze("Add-Content -Path a.yaml -Value x")
            .edits
            .is_empty());
    }
}
