//! What editors install, generated from the definitions so it cannot drift:
//! `config-schema`, from the config's key table and the rule registry.

use std::io::Write;

use super::{EXIT_ERROR, EXIT_OK};
use crate::config;
use crate::rules;

/// schemas/shipshape-config.schema.json: the config file's JSON Schema, never edited by hand.
pub fn config_schema() -> String {
    let schema = config::json_schema(&rules::all());
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

pub(super) fn print_config_schema() -> i32 {
    exit(
        std::io::stdout()
            .lock()
            .write_all(config_schema().as_bytes()),
    )
}

fn exit(r: std::io::Result<()>) -> i32 {
    if r.is_ok() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }
}
