//! `sed -i`, `perl -pi` and `awk -i inplace`, and the image values written
//! by sed substitutions (also used for PowerShell `-replace`).

use super::{files_of, push_unique, trim_value};
use crate::script::args::{parse_args, positionals, values};
use crate::script::shell::{Command, Word};
use crate::script::{Edit, EditTool, ScriptFacts};

/// `sed -i[SUFFIX] [-e SCRIPT]... [SCRIPT] FILE...`.
pub(in crate::script) fn sed(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let mut in_place = false;
    let mut scripts: Vec<&str> = Vec::new();
    let mut script_file = false;
    let mut pos: Vec<&Word> = Vec::new();
    let mut only_pos = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            pos.push(w);
            continue;
        }
        if t == "--" {
            only_pos = true;
        } else if let Some(long) = t.strip_prefix("--") {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            let take = |i: &mut usize| match value {
                Some(v) => Some(v),
                None => {
                    let v = args.get(*i).map(|n| n.text.as_str());
                    *i += 1;
                    v
                }
            };
            match name {
                "in-place" => in_place = true,
                "expression" => scripts.extend(take(&mut i)),
                "file" => {
                    script_file = true;
                    take(&mut i);
                }
                "line-length" => {
                    take(&mut i);
                }
                _ => {}
            }
        } else {
            // Bundled short options: `-i`, `-i.bak`, `-Ei`, `-ne 's/..'`.
            let body = t.get(1..).unwrap_or("");
            for (k, ch) in body.char_indices() {
                let rest = body.get(k + ch.len_utf8()..).unwrap_or("");
                match ch {
                    'i' => {
                        in_place = true;
                        // BSD `sed -i '' ...`
                        if rest.is_empty() && args.get(i).is_some_and(|n| n.text.is_empty()) {
                            i += 1;
                        }
                        break;
                    }
                    'e' | 'f' | 'l' => {
                        let v = if rest.is_empty() {
                            i += 1;
                            args.get(i - 1).map(|n| n.text.as_str())
                        } else {
                            Some(rest)
                        };
                        match ch {
                            'e' => scripts.extend(v),
                            'f' => script_file = true,
                            _ => {}
                        }
                        break;
                    }
                    _ => {}
                }
            }
        }
    }
    if !in_place {
        return;
    }
    let files = if scripts.is_empty() && !script_file {
        match pos.split_first() {
            Some((s, rest)) => {
                scripts.push(&s.text);
                rest
            }
            None => &[][..],
        }
    } else {
        &pos[..]
    };
    let mut images = Vec::new();
    for s in &scripts {
        sed_images(s, &mut images);
    }
    f.edits.push(Edit {
        tool: EditTool::Sed,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// `perl -pi -e 's/../../' FILE...` (recorded as [`EditTool::Sed`]).
pub(in crate::script) fn perl(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let mut in_place = false;
    let mut scripts: Vec<&str> = Vec::new();
    let mut pos: Vec<&Word> = Vec::new();
    let mut only_pos = false;
    let mut i = 0;
    while let Some(w) = args.get(i) {
        i += 1;
        let t = w.text.as_str();
        if only_pos || !w.is_flag() {
            pos.push(w);
            continue;
        }
        if t == "--" {
            only_pos = true;
            continue;
        }
        let body = t.get(1..).unwrap_or("");
        for (k, ch) in body.char_indices() {
            let rest = body.get(k + ch.len_utf8()..).unwrap_or("");
            match ch {
                'i' => {
                    in_place = true;
                    break;
                }
                'e' | 'E' => {
                    if rest.is_empty() {
                        scripts.extend(args.get(i).map(|n| n.text.as_str()));
                        i += 1;
                    } else {
                        scripts.push(rest);
                    }
                    break;
                }
                '0' | 'M' | 'm' | 'I' | 'x' | 'C' | 'd' | 'D' | 'F' => break,
                _ => {}
            }
        }
    }
    if !in_place {
        return;
    }
    // Without -e the first operand is the program file.
    let files = if scripts.is_empty() {
        pos.get(1..).unwrap_or(&[])
    } else {
        &pos[..]
    };
    let mut images = Vec::new();
    for s in &scripts {
        sed_images(s, &mut images);
    }
    f.edits.push(Edit {
        tool: EditTool::Sed,
        files: files_of(cmd, files),
        images,
        range: cmd.range(),
    });
}

/// `awk -i inplace PROGRAM FILE...` (gawk): recorded as [`EditTool::Other`].
pub(in crate::script) fn awk(cmd: &Command, args: &[Word], f: &mut ScriptFacts) {
    let parsed = parse_args(
        args,
        &[
            "-i",
            "--include",
            "-f",
            "--file",
            "-v",
            "--assign",
            "-F",
            "--field-separator",
        ],
    );
    let in_place = values(&parsed, &["-i", "--include"]).any(|v| v.text == "inplace");
    if !in_place {
        return;
    }
    let pos = positionals(&parsed);
    let has_file = values(&parsed, &["-f", "--file"]).next().is_some();
    let files = if has_file {
        &pos[..]
    } else {
        pos.get(1..).unwrap_or(&[])
    };
    f.edits.push(Edit {
        tool: EditTool::Other,
        files: files_of(cmd, files),
        images: Vec::new(),
        range: cmd.range(),
    });
}

/// Image values written by the `s` commands of a sed/perl script: the
/// replacement text after `image:`, or the whole replacement (minus leading
/// back-references) when only the pattern mentions `image`.
pub(in crate::script) fn sed_images(script: &str, out: &mut Vec<String>) {
    for (pattern, replacement) in sed_substitutions(script) {
        if let Some(v) = substitution_image(&pattern, &replacement) {
            push_unique(out, v);
        }
    }
}

/// The image a substitution writes: the replacement text after `image:`;
/// the whole replacement (minus leading back-references) when the pattern
/// mentions `image`; or the whole replacement when it starts with the
/// pattern's literal `REGISTRY/REPO:` prefix (`s|r.io/app:.*|r.io/app:v2|`).
pub(in crate::script) fn substitution_image(pattern: &str, replacement: &str) -> Option<String> {
    let v = if let Some(p) = replacement.find("image:") {
        trim_value(replacement.get(p + "image:".len()..).unwrap_or(""))
    } else if pattern.to_ascii_lowercase().contains("image") {
        trim_value(strip_backrefs(replacement))
    } else {
        let prefix = regex_literal_prefix(pattern);
        let repo = prefix.strip_suffix(':')?;
        let replacement = replacement.trim();
        let plain = |t: &str| !without_expressions(t).contains(char::is_whitespace);
        let is_tag_update = repo.contains('/')
            && plain(repo)
            && plain(replacement)
            && replacement.starts_with(prefix.as_str());
        if !is_tag_update {
            return None;
        }
        replacement.to_string()
    };
    Some(v).filter(|v| !v.is_empty())
}

/// The literal text a regex starts with (`^` dropped, `\.` unescaped), up to
/// its first metacharacter.
fn regex_literal_prefix(pattern: &str) -> String {
    let mut out = String::new();
    let mut it = pattern
        .strip_prefix('^')
        .unwrap_or(pattern)
        .chars()
        .peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' => match it.next() {
                Some(n) if n.is_ascii_punctuation() && n != '(' && n != '{' => out.push(n),
                _ => break,
            },
            '.' if matches!(it.peek(), Some('*' | '+' | '?' | '{')) => break,
            '*' | '+' | '?' | '[' | '(' | '{' | '$' | '|' => break,
            _ => out.push(c),
        }
    }
    out
}

/// `t` with its `${{ ... }}` expressions removed.
fn without_expressions(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(p) = rest.find("${{") {
        out.push_str(rest.get(..p).unwrap_or(""));
        let after = rest.get(p + 3..).unwrap_or("");
        match after.find("}}") {
            Some(q) => rest = after.get(q + 2..).unwrap_or(""),
            None => {
                rest = after;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

fn strip_backrefs(mut r: &str) -> &str {
    loop {
        r = r.trim_start();
        match r.strip_prefix('\\') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                r = rest.get(1..).unwrap_or("")
            }
            _ => return r,
        }
    }
}

/// `(pattern, replacement)` of each `s` command of a sed script.
pub(in crate::script) fn sed_substitutions(script: &str) -> Vec<(String, String)> {
    let b = script.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if matches!(
            b[i],
            b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{' | b'}' | b'!'
        ) {
            i += 1;
            continue;
        }
        i = skip_sed_address(b, i);
        while matches!(b.get(i), Some(b' ' | b'\t' | b'!')) {
            i += 1;
        }
        let Some(&c) = b.get(i) else { break };
        match c {
            b's' | b'y' => {
                let delim = script.get(i + 1..).and_then(|s| s.chars().next());
                let Some(delim) = delim.filter(|d| !matches!(d, '\n' | '\\')) else {
                    i += 1;
                    continue;
                };
                let (pattern, j) = sed_part(script, i + 1 + delim.len_utf8(), delim);
                let (replacement, k) = sed_part(script, j, delim);
                if c == b's' {
                    out.push((pattern, replacement));
                }
                i = k;
                while i < b.len() && !matches!(b[i], b';' | b'\n' | b'}') {
                    i += 1;
                }
            }
            // Commands taking the rest of the line.
            b'a' | b'i' | b'c' | b'#' | b'r' | b'R' | b'w' | b'W' | b'e' | b':' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                i += 1;
                while i < b.len() && !matches!(b[i], b';' | b'\n') {
                    i += 1;
                }
            }
        }
    }
    out
}

/// Skips up to two sed addresses (`3`, `$`, `/re/I`, `\%re%`, `1~2`, `,+3`).
fn skip_sed_address(b: &[u8], mut i: usize) -> usize {
    for _ in 0..2 {
        let start = i;
        match b.get(i) {
            Some(c) if c.is_ascii_digit() => {
                while b.get(i).is_some_and(|c| c.is_ascii_digit() || *c == b'~') {
                    i += 1;
                }
            }
            Some(b'$') if b.get(i + 1) != Some(&b'{') => i += 1,
            Some(b'/') => i = skip_regex(b, i + 1, b'/'),
            Some(b'\\') => match b.get(i + 1) {
                Some(&d) if d.is_ascii() && d != b'\n' => i = skip_regex(b, i + 2, d),
                _ => return i,
            },
            Some(b'+' | b'~') if i > 0 => {
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {}
        }
        if i == start {
            break;
        }
        while matches!(b.get(i), Some(b'I' | b'M')) {
            i += 1;
        }
        if b.get(i) != Some(&b',') {
            break;
        }
        i += 1;
    }
    i
}

fn skip_regex(b: &[u8], mut i: usize, delim: u8) -> usize {
    while let Some(&c) = b.get(i) {
        if c == b'\\' {
            i += 2;
        } else if c == delim {
            return i + 1;
        } else {
            i += 1;
        }
    }
    b.len()
}

/// One delimited part of an `s` command starting at `start`; `\DELIM`
/// becomes DELIM, `${{ }}` is kept whole. Returns the text and the index
/// after the closing delimiter.
fn sed_part(script: &str, start: usize, delim: char) -> (String, usize) {
    let Some(rest) = script.get(start..) else {
        return (String::new(), script.len());
    };
    let mut out = String::new();
    let mut it = rest.char_indices().peekable();
    while let Some((k, ch)) = it.next() {
        if ch == '\\' {
            match it.next() {
                Some((_, n)) if n == delim => out.push(n),
                Some((_, n)) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
            continue;
        }
        if ch == '$' {
            let tail = rest.get(k..).unwrap_or("");
            if tail.starts_with("${{") {
                if let Some(p) = tail.find("}}") {
                    out.push_str(tail.get(..p + 2).unwrap_or(""));
                    while it.peek().is_some_and(|&(j, _)| j < k + p + 2) {
                        it.next();
                    }
                    continue;
                }
            }
        }
        if ch == delim {
            return (out, start + k + ch.len_utf8());
        }
        out.push(ch);
    }
    (out, script.len())
}

#[cfg(test)]
mod tests {
    use crate::script::analyze;
    use crate::script::test_util::{files, v};
    use crate::script::EditTool;

    #[test]
    fn sed_edits() {
        let s = "sed -i \"s|image: .*|image: $ACR/app:${{ github.sha }}|g\" k8s/deployment.yaml k8s/other.yaml";
        let f = analyze(s);
        let e = &f.edits[0];
        assert_eq!(e.tool, EditTool::Sed);
        assert_eq!(files(e), vec!["k8s/deployment.yaml", "k8s/other.yaml"]);
        assert_eq!(e.images, v(&["$ACR/app:${{ github.sha }}"]));
        assert_eq!(&s[e.range.clone()], s);

        let f =
            analyze("cd manifests\nsed -i -e 's/IMAGE_TAG/'\"$TAG\"'/g' -e '/^#/d' deploy.yaml");
        assert_eq!(files(&f.edits[0]), vec!["manifests/deploy.yaml"]);
        assert_eq!(f.edits[0].images, v(&["$TAG"]));
        let f = analyze("sed --in-place --expression='s#\\(image: \\).*#\\1 r/x:1#' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r/x:1"]));
        let f = analyze("sed -i.bak -E '3,/spec/ s@(image:).*@image: \"r/y:2\"@' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r/y:2"]));
        let f = analyze("sed -i '' 's/replicas: 1/replicas: 2/' a.yaml");
        assert_eq!(files(&f.edits[0]), vec!["a.yaml"]);
        assert!(f.edits[0].images.is_empty());
        let s = "sed -i \"s|contoso.azurecr.io/shop/api:.*|contoso.azurecr.io/shop/api:${{ github.sha }}|\" a.yaml";
        let f = analyze(s);
        assert_eq!(
            f.edits[0].images,
            v(&["contoso.azurecr.io/shop/api:${{ github.sha }}"])
        );
        let s = "sed -i 's/^\\(\\s*\\)r\\.io\\/app:[a-z0-9]*/r.io\\/app:v2/' a.yaml\nsed -i 's|version:.*|version:2|' b\nsed -i 's|app:.*|app:3|' c\nsed -i 's|r.io/app:.*|x r.io/app:3|' d";
        let f = analyze(s);
        assert!(f.edits.iter().all(|e| e.images.is_empty()), "{:?}", f.edits);
        let f = analyze("sed -i 's/r\\.io\\/app:.*/r.io\\/app:v2/' a.yaml");
        assert_eq!(f.edits[0].images, v(&["r.io/app:v2"]));
        let f = analyze("sed -Ei 's/a\\/b/c/;s|x|image: z|' f");
        assert_eq!(f.edits[0].images, v(&["z"]));
        // not in place
        assert!(analyze("sed 's/image: .*/image: x/' a.yaml > b.yaml")
            .edits
            .is_empty());
        let f = analyze("perl -pi -e 's/image: .*/image: r\\/p:1/' k8s/app.yaml");
        assert_eq!(f.edits[0].tool, EditTool::Sed);
        assert_eq!(files(&f.edits[0]), vec!["k8s/app.yaml"]);
        assert_eq!(f.edits[0].images, v(&["r/p:1"]));
        let f = analyze("awk -i inplace '{print}' a.yaml");
        assert_eq!(f.edits[0].tool, EditTool::Other);
        assert_eq!(files(&f.edits[0]), vec!["a.yaml"]);
    }
}
