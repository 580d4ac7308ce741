//! One Azure Pipelines step as it is read into workflow facts: where its
//! paths start (the sources directory, a `publish:`ed artifact), its
//! multi-line inputs, and its scripts, analysed by `crate::script` with
//! `$(macro)` references masked so the shell lexer does not read them as
//! command substitutions.

use super::workflow::{Hit, ScriptReader, StepPos, WorkflowFacts};
use crate::model::azure::{vars::macro_name, Step, Vars};
use crate::model::workflow::ValueMap;
use crate::script;
use crate::source::path::join_norm;
use crate::yaml::{NodeRef, Span, Spanned};

/// Predefined variables that name the sources directory, where relative paths start.
pub(super) const SOURCES_DIRS: &[&str] = &[
    "$(Build.SourcesDirectory)",
    "$(System.DefaultWorkingDirectory)",
    "$(Build.Repository.LocalPath)",
    "$(Pipeline.Workspace)/s",
    "$(Agent.BuildDirectory)/s",
    "$BUILD_SOURCESDIRECTORY",
    "$SYSTEM_DEFAULTWORKINGDIRECTORY",
    "${{ variables['Build.SourcesDirectory'] }}",
];

/// One step in its job, with what it is read with.
pub(super) struct Cx<'a, 'd, 's> {
    pub src: &'a str,
    pub facts: &'a mut WorkflowFacts,
    pub vars: &'a Vars,
    pub workdir: String,
    pub step: &'a Step<'d, 's>,
    pub job: u32,
    /// `publish:`ed artifacts: (name, repository path).
    pub artifacts: &'a [(String, String)],
}

impl Cx<'_, '_, '_> {
    /// A path of this step, relative to the sources directory.
    pub fn path(&self, p: &str) -> String {
        let p = self.vars.expand(p.trim());
        for dir in SOURCES_DIRS {
            if let Some(rest) = strip_dir(&p, dir) {
                return join_norm("", rest);
            }
        }
        for (name, path) in self.artifacts {
            let dir = format!("$(Pipeline.Workspace)/{name}");
            if let Some(rest) = strip_dir(&p, &dir) {
                return join_norm(path, rest);
            }
        }
        join_norm(&self.workdir, &p)
    }

    pub fn pos(&self, span: Span) -> StepPos {
        StepPos {
            job: self.job,
            step: self.step.index as u32,
            offset: span.start,
        }
    }

    /// The items of a multi-line or comma-separated input, expanded, with their spans.
    pub fn list(&self, node: Option<NodeRef>) -> Vec<Spanned> {
        let Some(node) = node else { return Vec::new() };
        let Some(raw) = node.as_str() else {
            return Vec::new();
        };
        let map = ValueMap::new(self.src, node);
        super::workflow::list_items(raw)
            .into_iter()
            .map(|(item, r)| Spanned::new(self.vars.expand(&item), map.span(r)))
            .collect()
    }

    pub fn access(&mut self, what: String, span: Span) {
        self.facts.cluster_access.push(Hit { what, span });
    }

    /// A script body: masked, analysed, its facts mapped back to the file.
    pub fn script(&mut self, node: NodeRef) {
        let Some(text) = node.as_str() else { return };
        let masked = Masked::new(text, self.vars);
        let sf = script::analyze(&masked.text);
        let map = ValueMap::new(self.src, node);
        let reader = ScriptReader {
            text: &masked.text,
            span: &|r| map.span(r),
            value: &|v| self.vars.expand(&masked.unmask(v)),
            path: &|p| self.path(&masked.unmask(p)),
            pos: &|span| self.pos(span),
            repository: &Some,
        };
        let mut found = WorkflowFacts::default();
        reader.add(sf, &mut found);
        self.facts.append(found);
    }
}

/// `p` below `dir`, when it is.
pub(super) fn strip_dir<'p>(p: &'p str, dir: &str) -> Option<&'p str> {
    let rest = p.strip_prefix(dir)?;
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('\\'))
        .then(|| rest.trim_start_matches(['/', '\\']))
}

/// A script with each `$(name)` macro (replaced by Azure Pipelines before
/// the shell runs) written as `${name}` of the same length, dots as
/// underscores, so offsets hold; `unmask` restores them in values.
struct Masked {
    text: String,
    back: Vec<(String, String)>,
}

impl Masked {
    fn new(text: &str, vars: &Vars) -> Masked {
        let mut out = String::with_capacity(text.len());
        let mut back = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find("$(") {
            out.push_str(&rest[..i]);
            let tail = &rest[i..];
            match macro_name(tail) {
                Some(name)
                    if name.contains('.')
                        || vars.get(name).is_some()
                        || !name.chars().all(|c| c.is_ascii_lowercase()) =>
                {
                    let masked = format!("${{{}}}", name.replace(['.', '-'], "_"));
                    back.push((masked.clone(), tail[..name.len() + 3].to_string()));
                    out.push_str(&masked);
                    rest = &tail[name.len() + 3..];
                }
                _ => {
                    out.push_str("$(");
                    rest = &tail[2..];
                }
            }
        }
        out.push_str(rest);
        Masked { text: out, back }
    }

    fn unmask(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (masked, original) in &self.back {
            if s.contains(masked.as_str()) {
                s = s.replace(masked.as_str(), original);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_macros_keeping_offsets() {
        let mut vars = Vars::default();
        vars.set("acr", "contoso.azurecr.io");
        let m = Masked::new(
            "docker push $(acr)/web:$(Build.BuildId) && echo $(date)",
            &vars,
        );
        assert!(m.text.contains("${acr}"));
        assert_eq!(
            m.text.len(),
            "docker push $(acr)/web:$(Build.BuildId) && echo $(date)".len()
        );
        assert!(m.text.contains("${Build_BuildId}"));
        assert!(
            m.text.contains("$(date)"),
            "a lower-case single word may be a command"
        );
        assert_eq!(m.unmask("x/web:${Build_BuildId}"), "x/web:$(Build.BuildId)");
    }
}
