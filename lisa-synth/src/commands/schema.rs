//! `lisa-synth schema`: the JSON Schema of a payload.

use crate::cli::SchemaArgs;
use lisa_constructs::model::{definition_schema, update_schema};
use lisa_synth::{CommandResult, Failure};

pub fn run(args: &SchemaArgs) -> CommandResult {
    let schema = if args.update {
        update_schema()
    } else {
        definition_schema()
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Failure::Io(format!("cannot print the schema: {e}")))?;
    lisa_synth::product(format!("{text}\n").as_bytes())
}
