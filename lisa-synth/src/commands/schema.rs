//! `lisa-synth schema`: the JSON Schema of a payload.

use crate::cli::SchemaArgs;
use lisa_constructs::model::{definition_schema, update_schema};
use std::process::ExitCode;

pub fn run(args: &SchemaArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let schema = if args.update {
        update_schema()
    } else {
        definition_schema()
    };
    println!("{}", serde_json::to_string_pretty(&schema)?);
    Ok(ExitCode::SUCCESS)
}
