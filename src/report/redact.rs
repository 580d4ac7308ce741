//! Secret safety: the spans of values that must never be printed, found in
//! the parallel pass, and the redaction applied whenever a source is loaded
//! for display. Messages never quote these values; this keeps the source
//! lines shown around a finding from doing it either.

use crate::source::kind::FileKind;
use crate::yaml::{NodeRef, Span, Value};

/// Keys whose literal values look like credentials, in workflows. Inputs
/// that name a pull secret (k8s-deploy `imagepullsecrets`, KubernetesManifest
/// `imagePullSecrets` and `secretName`, k8s-create-secret `secret-name`)
/// hold Kubernetes object names, which findings quote: they stay readable.
fn credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '_'], "");
    if matches!(k.as_str(), "imagepullsecrets" | "secretname") {
        return false;
    }
    [
        "password",
        "passwd",
        "token",
        "secret",
        "apikey",
        "privatekey",
        "credential",
        "clientsecret",
        "accesskey",
        "auth",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn scalar_spans(n: NodeRef, out: &mut Vec<Span>) {
    let mut stack = vec![n];
    let mut budget = 100_000;
    while let Some(n) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        if n.is_alias() {
            out.push(n.span());
            continue;
        }
        match n.value() {
            Value::Scalar(_) => out.push(n.span()),
            Value::Seq(_) => stack.extend(n.items()),
            Value::Map(_) => stack.extend(n.entries().map(|(_, v)| v)),
            Value::Alias(_) => {}
        }
    }
}

/// Spans of secret values in a Kubernetes object: a Secret's `data` and
/// `stringData`, a SealedSecret's `spec.encryptedData`.
pub fn object_secrets(obj: &crate::model::k8s::Object, out: &mut Vec<Span>) {
    let (holder, keys): (Option<NodeRef>, &[&str]) = match obj.kind {
        "Secret" => (Some(obj.node), &["data", "stringData"]),
        "SealedSecret" => (obj.node.get("spec"), &["encryptedData"]),
        _ => return,
    };
    for k in keys {
        if let Some(v) = holder.and_then(|h| h.get(k)) {
            scalar_spans(v, out);
        }
    }
}

/// Literal values under credential-looking keys anywhere in a workflow
/// (`password: hunter2`, `env: {API_TOKEN: abc}`); expressions such as
/// `${{ secrets.X }}` are references, not values, and stay readable.
pub fn workflow_literals(root: NodeRef, out: &mut Vec<Span>) {
    let mut stack = vec![root];
    let mut budget = 200_000;
    while let Some(n) = stack.pop() {
        budget -= 1;
        if budget == 0 {
            break;
        }
        for (k, v) in n.entries() {
            if let (Some(key), Some(text)) = (k.as_str(), v.as_str()) {
                if credential_key(key)
                    && !text.trim().is_empty()
                    && !text.trim_start().starts_with("${{")
                {
                    out.push(v.span());
                }
            }
            if v.is_map() || v.is_seq() {
                stack.push(v.resolve());
            }
        }
        stack.extend(
            n.items()
                .filter(|i| i.is_map() || i.is_seq())
                .map(|i| i.resolve()),
        );
    }
}

/// For a file that did not parse to the end: redact every `key: value`
/// value of the document holding the first error, and every later one, when
/// the file may hold secrets. Keys that never hold secrets stay readable.
pub fn fallback_spans(src: &str, error_at: usize, kind: FileKind) -> Vec<Span> {
    let workflow = matches!(kind, FileKind::Workflow | FileKind::Action);
    if !workflow && !src.contains("Secret") {
        return Vec::new();
    }
    const SAFE_KEYS: &[&str] = &["apiVersion", "kind", "name", "namespace", "type", "image"];
    let error_at = crate::yaml::lines_floor(src, error_at);
    // The failing document starts after the last `---` line before the error.
    let mut start = 0;
    let mut pos = 0;
    for line in src[..error_at].split_inclusive('\n') {
        if line.starts_with("---") {
            start = pos + line.len();
        }
        pos += line.len();
    }
    let mut out = Vec::new();
    let mut pos = start;
    for line in src[start..].split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(i) = body.find(": ").or_else(|| body.find(":\t")) {
            let key = body[..i]
                .trim()
                .trim_start_matches("- ")
                .trim_matches(['"', '\'']);
            let value_start = i + 2;
            // In a workflow only credential-looking keys hold secrets; in a
            // manifest that may be a Secret, any value but the safe keys.
            let secret = if workflow {
                credential_key(key)
            } else {
                !SAFE_KEYS.contains(&key)
            };
            if value_start < body.len() && !body.trim_start().starts_with('#') && secret {
                out.push(Span::new(pos + value_start, pos + body.len()));
            }
        }
        pos += line.len();
    }
    out
}

/// Replaces the bytes of every span with `*`, keeping byte offsets (a
/// multi-byte character becomes as many `*` as it had bytes).
pub fn apply(text: &mut String, spans: &[Span]) {
    if spans.is_empty() {
        return;
    }
    let mut bytes = std::mem::take(text).into_bytes();
    for s in spans {
        let (a, b) = (s.start as usize, (s.end as usize).min(bytes.len()));
        if a < b {
            for byte in &mut bytes[a..b] {
                // Keep line structure: a block scalar spans several lines.
                if *byte != b'\n' && *byte != b'\r' {
                    *byte = b'*';
                }
            }
        }
    }
    // Every replaced byte is ASCII and line breaks are kept: still valid UTF-8
    // as long as spans cover whole characters, which parser spans do.
    *text = String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Document, Limits};

    /// What the engine collects for a file's documents.
    fn secret_spans(kind: FileKind, docs: &[Document]) -> Vec<Span> {
        let mut out = Vec::new();
        for root in docs.iter().filter_map(|d| d.root()) {
            match kind {
                FileKind::Workflow | FileKind::Action => workflow_literals(root, &mut out),
                _ => crate::model::k8s::objects(root)
                    .iter()
                    .for_each(|o| object_secrets(o, &mut out)),
            }
        }
        out
    }

    #[test]
    fn secret_data_and_workflow_literals() {
        let src = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  a: c2VjcmV0\nstringData:\n  b: |\n    multi\n    line\n";
        let p = parse_stream(src, &Limits::default());
        let mut text = src.to_string();
        apply(&mut text, &secret_spans(FileKind::Manifest, &p.docs));
        assert!(
            !text.contains("c2VjcmV0") && !text.contains("multi") && !text.contains("line\n"),
            "{text}"
        );
        assert!(text.contains("kind: Secret") && text.contains("  a: ********"));
        assert_eq!(text.len(), src.len());

        let wf = "jobs:\n  a:\n    steps:\n      - with:\n          password: hunter2\n          token: ${{ secrets.T }}\n";
        let p = parse_stream(wf, &Limits::default());
        let mut text = wf.to_string();
        apply(&mut text, &secret_spans(FileKind::Workflow, &p.docs));
        assert!(!text.contains("hunter2"));
        assert!(text.contains("${{ secrets.T }}"));

        // Names of pull secrets are not credentials; the secret's contents are.
        let az = "steps:\n  - task: KubernetesManifest@1\n    inputs:\n      secretName: acr-pull\n      secretArguments: --from-literal=pw=hunter2\n      imagePullSecrets: |\n        acr-pull\n";
        let p = parse_stream(az, &Limits::default());
        let mut text = az.to_string();
        apply(&mut text, &secret_spans(FileKind::Workflow, &p.docs));
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("secretName: acr-pull") && text.contains("        acr-pull\n"));
    }

    #[test]
    fn fallback_redacts_after_an_error() {
        let src = "kind: Secret\ndata:\n  a: c2VjcmV0\n  b: [oops\n";
        let spans = fallback_spans(src, src.len(), FileKind::Manifest);
        let mut text = src.to_string();
        apply(&mut text, &spans);
        assert!(!text.contains("c2VjcmV0") && !text.contains("oops"));
        assert!(text.starts_with("kind: Secret\n"));
        // A broken workflow keeps its scripts readable but not its passwords.
        let wf = "jobs:\n  a:\n    steps:\n      - run: echo status: ok\n        with:\n          password: hunter2\n";
        let mut text = wf.to_string();
        apply(&mut text, &fallback_spans(wf, wf.len(), FileKind::Workflow));
        assert!(
            text.contains("run: echo status: ok") && !text.contains("hunter2"),
            "{text}"
        );
    }
}
