//! The findings model: what every rule reports and every output format reads.
//! Rules never format text for a terminal; they give byte spans in files and
//! the engine turns them into lines and columns once.

use std::borrow::Cow;

use crate::yaml::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Index of a file in the run's file table.
pub type FileId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub at: Location,
    pub message: String,
}

/// The Kubernetes object a finding concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Finding {
    pub rule: &'static str,
    /// Set by the rule to its default (or a deliberate downgrade); the engine
    /// caps it with the configured level.
    pub severity: Severity,
    pub message: String,
    /// What to do instead (mostly static text: no allocation).
    pub help: Option<Cow<'static, str>>,
    pub primary: Location,
    /// Text shown under the primary span in human output.
    pub label: Option<Cow<'static, str>>,
    pub related: Vec<Label>,
    /// Boxed: most findings are held until output, and a finding should stay small.
    pub object: Option<Box<ObjectRef>>,
}

impl Finding {
    pub fn new(
        rule: &'static crate::rules::RuleMeta,
        at: Location,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule: rule.id,
            severity: rule.default_severity,
            message: message.into(),
            help: None,
            primary: at,
            label: None,
            related: Vec::new(),
            object: None,
        }
    }
    pub fn help(mut self, help: impl Into<Cow<'static, str>>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn label(mut self, label: impl Into<Cow<'static, str>>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn related(mut self, at: Location, message: impl Into<String>) -> Self {
        self.related.push(Label {
            at,
            message: message.into(),
        });
        self
    }
    pub fn object(mut self, object: Option<ObjectRef>) -> Self {
        self.object = object.map(Box::new);
        self
    }
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
