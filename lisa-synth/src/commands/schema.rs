//! `lisa-synth schema`: the JSON Schema of a payload.

use crate::cli::SchemaArgs;
use crate::output::{self, Failure, Outcome};
use lisa_constructs::model::{definition_schema, update_schema};

pub fn run(args: &SchemaArgs) -> Outcome {
    let schema = if args.update {
        update_schema()
    } else {
        definition_schema()
    };
    let text = serde_json::to_string_pretty(&schema)
        .map_err(|e| Failure::Io(format!("cannot print the schema: {e}")))?;
    output::product(format!("{text}\n").as_bytes())
}
