//! Owned values that remember where they were written: what facts carry out
//! of a file once its tree is dropped.

use super::tree::{NodeRef, ScalarStyle, Span};

/// A string value and where it is written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spanned {
    pub value: String,
    pub span: Span,
}

impl Spanned {
    pub fn new(value: impl Into<String>, span: Span) -> Self {
        Spanned {
            value: value.into(),
            span,
        }
    }

    /// A scalar's text and its span without quotes; `None` for a
    /// collection or null.
    pub fn of(n: NodeRef) -> Option<Spanned> {
        n.as_string().map(|s| Spanned::new(s, unquoted_span(n)))
    }
}

/// The span of a scalar's value without its quotes.
pub fn unquoted_span(n: NodeRef) -> Span {
    let sp = n.span();
    match n.scalar().map(|s| s.style) {
        Some(ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted)
            if sp.len() >= 2 && !n.is_alias() =>
        {
            Span {
                start: sp.start + 1,
                end: sp.end - 1,
            }
        }
        _ => sp,
    }
}
