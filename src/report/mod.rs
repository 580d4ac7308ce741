//! What findings are shown with: the line and column of each span
//! (`positions`, resolved once), the files' text as the output shows it
//! (`sources`), and the secret values that text never shows (`redact`).
//! Read by every output format; knows none of them.

pub mod positions;
pub mod redact;
pub mod sources;

pub use positions::{Place, Position, PositionCache};
pub use sources::Sources;
