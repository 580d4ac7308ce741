//! The findings model: what every rule reports and every output format reads.
//! Rules never format text for a terminal; they give byte spans in files and
//! the engine turns them into lines and columns once. `suppress` reads the
//! `# shipshape: ignore[...]` comments that silence findings; `visible`
//! renders repository text safe to show in a terminal or log.

use std::borrow::Cow;
use std::sync::Arc;

use crate::model::k8s::ObjectRef;
use crate::yaml::Span;

pub mod rule_meta;
pub mod suppress;
pub mod visible;
pub mod wire;

pub use rule_meta::RuleMeta;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
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

/// A rule's id. Named so that serde's derive does not take the field for
/// text borrowed from the input (it reads `&'static str` that way), since
/// [`wire::rule_id`] finds the id among the binary's own.
pub type RuleId = &'static str;

/// Index of a file in the run's file table.
pub type FileId = u32;

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Location {
    #[serde(with = "wire::file_id")]
    pub file: FileId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Label {
    pub at: Location,
    pub message: String,
}

/// Text of a finding that is either static or shared: a help line that
/// thousands of findings repeat (the allowed registries) is allocated once.
#[derive(Clone, Debug)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

/// Equal when the text is: where it is held does not matter.
impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Text {}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Self {
        Text::Static(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Shared(Arc::from(s))
    }
}

impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Self {
        Text::Shared(s)
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Self {
        match s {
            Cow::Borrowed(s) => Text::Static(s),
            Cow::Owned(s) => s.into(),
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Finding {
    #[serde(with = "wire::rule_id")]
    pub rule: RuleId,
    /// Set by the rule to its default (or a deliberate downgrade); the engine
    /// caps it with the configured level.
    pub severity: Severity,
    pub message: String,
    /// What to do instead (mostly static text: no allocation).
    pub help: Option<Text>,
    pub primary: Location,
    /// Text shown under the primary span in human output.
    pub label: Option<Text>,
    pub related: Vec<Label>,
    /// Shared: the findings of one object point at one copy, and a finding
    /// held until output stays small.
    pub object: Option<Arc<ObjectRef>>,
}

/// A message kept at its length: `format!` guesses twice its literal text and
/// doubles from there, and findings are held until output.
fn exact(mut s: String) -> String {
    s.shrink_to_fit();
    s
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, at: Location, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.id,
            severity: rule.default_severity,
            message: exact(message.into()),
            help: None,
            primary: at,
            label: None,
            related: Vec::new(),
            object: None,
        }
    }
    pub fn help(mut self, help: impl Into<Text>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn label(mut self, label: impl Into<Text>) -> Self {
        self.label = Some(label.into());
        self
    }
    pub fn related(mut self, at: Location, message: impl Into<String>) -> Self {
        self.related.push(Label {
            at,
            message: exact(message.into()),
        });
        self
    }
    pub fn object(mut self, object: Option<impl Into<Arc<ObjectRef>>>) -> Self {
        self.object = object.map(Into::into);
        self
    }
    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }
}
