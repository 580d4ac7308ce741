//! GitHub Actions workflows: jobs, steps, and literal variable resolution.

use std::collections::HashMap;

use crate::yaml::{NodeRef, ScalarStyle, Span};

#[derive(Clone)]
pub struct Step<'d, 's> {
    pub node: NodeRef<'d, 's>,
    pub job: &'d str,
    pub index: usize,
    pub uses: Option<NodeRef<'d, 's>>,
    pub run: Option<NodeRef<'d, 's>>,
    pub with: Option<NodeRef<'d, 's>>,
    pub env: Option<NodeRef<'d, 's>>,
}

impl<'d, 's> Step<'d, 's> {
    /// The action a step uses, lowercased without its ref: `azure/k8s-deploy`.
    pub fn action(&self) -> Option<String> {
        self.uses.and_then(|u| u.as_str()).map(action_name)
    }
    pub fn with_value(&self, key: &str) -> Option<NodeRef<'d, 's>> {
        self.with.and_then(|w| w.get(key))
    }
}

/// `Owner/Repo/sub@v1` → `owner/repo/sub`.
pub fn action_name(uses: &str) -> String {
    uses.split('@')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub struct Job<'d, 's> {
    pub id: &'d str,
    pub node: NodeRef<'d, 's>,
    pub env: Option<NodeRef<'d, 's>>,
    pub steps: Vec<Step<'d, 's>>,
}

pub struct Workflow<'d, 's> {
    pub root: NodeRef<'d, 's>,
    pub jobs: Vec<Job<'d, 's>>,
}

impl<'d, 's> Workflow<'d, 's> {
    pub fn new(root: NodeRef<'d, 's>) -> Option<Self> {
        let jobs_node = root.get("jobs")?;
        let mut jobs = Vec::new();
        for (k, job) in jobs_node.entries() {
            let Some(id) = k.as_str() else { continue };
            let steps = job
                .get("steps")
                .map(|s| {
                    s.items()
                        .enumerate()
                        .filter(|(_, n)| n.is_map())
                        .map(|(index, node)| Step {
                            node,
                            job: id,
                            index,
                            uses: node.get("uses").filter(|u| u.as_str().is_some()),
                            run: node.get("run").filter(|u| u.as_str().is_some()),
                            with: node.get("with").filter(|w| w.is_map()),
                            env: node.get("env").filter(|w| w.is_map()),
                        })
                        .collect()
                })
                .unwrap_or_default();
            jobs.push(Job {
                id,
                node: job,
                env: job.get("env").filter(|e| e.is_map()),
                steps,
            });
        }
        Some(Workflow { root, jobs })
    }

    pub fn steps(&self) -> impl Iterator<Item = &Step<'d, 's>> {
        self.jobs.iter().flat_map(|j| j.steps.iter())
    }

    /// Literal variables visible to a step: workflow, job and step `env:`, and
    /// input defaults (`workflow_dispatch` / `workflow_call`).
    pub fn vars_for(&self, job: &Job<'d, 's>, step: Option<&Step<'d, 's>>) -> Vars {
        let mut v = Vars::default();
        if let Some(on) = self.root.get("on") {
            for trigger in ["workflow_dispatch", "workflow_call"] {
                if let Some(inputs) = on.path(&[trigger, "inputs"]) {
                    for (k, i) in inputs.entries() {
                        if let (Some(name), Some(d)) =
                            (k.as_str(), i.get("default").and_then(|d| d.as_str()))
                        {
                            v.inputs.insert(name.to_string(), d.to_string());
                        }
                    }
                }
            }
        }
        let envs = [self.root.get("env"), job.env, step.and_then(|s| s.env)];
        for env in envs.into_iter().flatten() {
            for (k, val) in env.entries() {
                if let (Some(name), Some(text)) = (k.as_str(), val.as_str()) {
                    v.env.insert(name.to_string(), text.to_string());
                }
            }
        }
        v
    }
}

/// Literal values of `env` and `inputs`, for resolving `${{ env.X }}`,
/// `${{ inputs.X }}`, `$X` and `${X}`.
#[derive(Debug, Default, Clone)]
pub struct Vars {
    pub env: HashMap<String, String>,
    pub inputs: HashMap<String, String>,
}

impl Vars {
    /// Substitutes what is known, leaving the rest verbatim. Values are
    /// expanded once more, so `A: ${{ env.B }}-x` works; no deeper.
    pub fn expand(&self, s: &str) -> String {
        let once = self.expand_once(s);
        if once.contains('$') {
            self.expand_once(&once)
        } else {
            once
        }
    }

    fn expand_once(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            if let Some(expr_end) = tail.strip_prefix("${{").and_then(|t| t.find("}}")) {
                let expr = tail[3..3 + expr_end].trim();
                let whole = &tail[..3 + expr_end + 2];
                match self.lookup_expr(expr) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(whole),
                }
                rest = &tail[whole.len()..];
            } else if let Some(close) = tail.strip_prefix("${").and_then(|t| t.find('}')) {
                let name = &tail[2..2 + close];
                match self.env.get(name) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&tail[..close + 3]),
                }
                rest = &tail[close + 3..];
            } else {
                let name_len = tail[1..]
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                let name = &tail[1..1 + name_len];
                match self.env.get(name).filter(|_| name_len > 0) {
                    Some(v) => out.push_str(v),
                    None => out.push_str(&tail[..1 + name_len]),
                }
                rest = &tail[1 + name_len..];
            }
        }
        out.push_str(rest);
        out
    }

    fn lookup_expr(&self, expr: &str) -> Option<&str> {
        if let Some(name) = expr.strip_prefix("env.") {
            return self.env.get(name).map(String::as_str);
        }
        let name = expr
            .strip_prefix("inputs.")
            .or_else(|| expr.strip_prefix("github.event.inputs."))?;
        self.inputs.get(name).map(String::as_str)
    }
}

/// Maps byte ranges of a scalar's *value* (e.g. a command inside a `run: |`
/// script) back to spans in the file. Built once per scalar; each lookup is a
/// binary search. Falls back to the scalar's whole span when the mapping
/// cannot be proven (folded or multi-line flow scalars).
pub struct ValueMap<'a> {
    whole: Span,
    value_len: usize,
    mode: MapMode,
    _src: std::marker::PhantomData<&'a str>,
}

enum MapMode {
    Whole,
    /// Single-line scalar: value offset + base = file offset.
    Shift(usize),
    /// Literal block: where each value line starts, in the value and in the file.
    Lines {
        value_starts: Vec<usize>,
        file_starts: Vec<usize>,
    },
}

impl<'a> ValueMap<'a> {
    pub fn new(src: &'a str, node: NodeRef) -> Self {
        let whole = node.span();
        let fallback = |value_len| ValueMap {
            whole,
            value_len,
            mode: MapMode::Whole,
            _src: std::marker::PhantomData,
        };
        let Some(scalar) = node.scalar() else {
            return fallback(0);
        };
        let value = scalar.text;
        if node.is_alias() {
            return fallback(value.len());
        }
        let start = whole.start as usize;
        let mode = match scalar.style {
            ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
                if !value.contains('\n') =>
            {
                let base = start + usize::from(scalar.style != ScalarStyle::Plain);
                if src.get(base..base + value.len()) == Some(value) {
                    MapMode::Shift(base)
                } else {
                    MapMode::Whole
                }
            }
            ScalarStyle::Literal => {
                let start = start.min(src.len());
                let mut line_start = src[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
                let indent = start - line_start;
                // The span starts on the first line with content: leading
                // empty lines of the value are above it.
                for _ in value.bytes().take_while(|&b| b == b'\n') {
                    let above = src.get(..line_start.saturating_sub(1)).unwrap_or("");
                    line_start = above.rfind('\n').map_or(0, |i| i + 1);
                }
                let mut value_starts = Vec::new();
                let mut file_starts = Vec::new();
                let mut file_line = line_start;
                let mut voff = 0;
                let mut ok = true;
                for (i, vline) in value.split('\n').enumerate() {
                    let content = (file_line + indent).min(src.len());
                    if !vline.is_empty()
                        && !src
                            .get(content..)
                            .is_some_and(|rest| rest.starts_with(vline))
                    {
                        ok = false;
                        break;
                    }
                    value_starts.push(voff);
                    file_starts.push(content);
                    voff += vline.len() + 1;
                    match src.get(file_line..).and_then(|rest| rest.find('\n')) {
                        Some(nl) => file_line += nl + 1,
                        None => {
                            // The file ends: only empty value lines (a
                            // final line break the file lacks) may follow.
                            ok &= value.split('\n').skip(i + 1).all(str::is_empty);
                            break;
                        }
                    }
                }
                if ok {
                    MapMode::Lines {
                        value_starts,
                        file_starts,
                    }
                } else {
                    MapMode::Whole
                }
            }
            _ => MapMode::Whole,
        };
        ValueMap {
            whole,
            value_len: value.len(),
            mode,
            _src: std::marker::PhantomData,
        }
    }

    fn offset(&self, off: usize) -> Option<usize> {
        match &self.mode {
            MapMode::Whole => None,
            MapMode::Shift(base) => Some(base + off),
            MapMode::Lines {
                value_starts,
                file_starts,
            } => {
                let line = value_starts.partition_point(|&s| s <= off).checked_sub(1)?;
                Some(file_starts.get(line)? + (off - value_starts[line]))
            }
        }
    }

    /// The file span of `range` in the value.
    pub fn span(&self, range: std::ops::Range<usize>) -> Span {
        if range.end > self.value_len || range.start > range.end {
            return self.whole;
        }
        match (self.offset(range.start), self.offset(range.end)) {
            (Some(s), Some(e)) if e >= s => Span::new(s, e),
            _ => self.whole,
        }
    }
}

/// One-off form of `ValueMap::span`.
pub fn value_range_span(src: &str, node: NodeRef, range: std::ops::Range<usize>) -> Span {
    ValueMap::new(src, node).span(range)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_stream, Limits};

    #[test]
    fn expands_env_and_inputs() {
        let mut v = Vars::default();
        v.env.insert("ACR".into(), "contoso".into());
        v.env
            .insert("IMG".into(), "${{ env.ACR }}.azurecr.io/app".into());
        v.inputs.insert("NS".into(), "web".into());
        assert_eq!(
            v.expand("${{ env.IMG }}:${{ github.sha }}"),
            "contoso.azurecr.io/app:${{ github.sha }}"
        );
        assert_eq!(
            v.expand("-n ${{ inputs.NS }} $ACR ${ACR} $UNKNOWN"),
            "-n web contoso contoso $UNKNOWN"
        );
        assert_eq!(v.expand("${{ github.event.inputs.NS }}"), "web");
    }

    #[test]
    fn maps_ranges_inside_literal_blocks() {
        let src = "steps:\n  - run: |\n      echo hi\n      kubectl apply -f x.yaml\n";
        let p = parse_stream(src, &Limits::default());
        let run = p.docs[0]
            .root()
            .unwrap()
            .get("steps")
            .unwrap()
            .items()
            .next()
            .unwrap()
            .get("run")
            .unwrap();
        let value = run.as_str().unwrap();
        let i = value.find("kubectl").unwrap();
        let sp = value_range_span(src, run, i..i + "kubectl apply".len());
        assert_eq!(&src[sp.range()], "kubectl apply");
        let p2 = parse_stream("run: \"kubectl get pods\"\n", &Limits::default());
        let src2 = "run: \"kubectl get pods\"\n";
        let run2 = p2.docs[0].root().unwrap().get("run").unwrap();
        assert_eq!(
            &src2[value_range_span(src2, run2, 0..11).range()],
            "kubectl get"
        );
    }

    #[test]
    fn literal_blocks_with_leading_empty_lines_or_at_the_end_of_the_file() {
        for src in [
            "run: |\n\n\n  echo a\n  kubectl apply\n",
            "run: |\n\n  echo a\n  kubectl apply",
            "run: |+\n  echo a\n  kubectl apply\n\n\n",
            "run: |\r\n\r\n  echo a\r\n  kubectl apply\r\n",
        ] {
            let p = parse_stream(src, &Limits::default());
            let run = p.docs[0].root().unwrap().get("run").unwrap();
            let value = run.as_str().unwrap();
            let i = value.find("kubectl").unwrap();
            let sp = value_range_span(src, run, i..i + "kubectl apply".len());
            assert_eq!(&src[sp.range()], "kubectl apply", "{src:?}");
        }
    }
}
