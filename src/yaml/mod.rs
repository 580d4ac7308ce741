//! The YAML layer: a span-keeping tree over saphyr-parser's event stream.
//!
//! Every key, value and sequence item keeps its byte span in the file, so
//! rules can point at the exact node. Aliases are never expanded: an alias
//! node refers to its anchor's node, and the builder counts how large the
//! document *would* be if expanded, rejecting alias bombs with a diagnostic.
//! Nodes live in one arena per document, so neither building nor dropping a
//! deeply nested document recurses. This module knows nothing of Kubernetes,
//! workflows or output formats.

mod build;
mod lines;
mod spanned;
mod tree;

pub use build::{parse_stream, Limits, ParsedStream, YamlError, YamlErrorKind};
pub use lines::{floor_char_boundary as lines_floor, LineIndex};
pub use spanned::{unquoted_span, Spanned};
pub use tree::{
    is_null_text, plain_is_non_string, Document, Node, NodeId, NodeRef, Scalar, ScalarStyle, Span,
    Value,
};
