//! `lisa-synth ls`: the stack names of model definitions, in input order.

use crate::cli::LsArgs;
use lisa_constructs::ecs_model::StackOptions;
use lisa_synth::{CommandResult, Diagnostics, TemplateFormat};

pub fn run(args: &LsArgs, diagnostics: Diagnostics) -> CommandResult {
    let input = args.input.spec();
    let diagnostics = lisa_synth::diagnostics_for(input.error_format, diagnostics);
    let options = StackOptions {
        deployment_name: args.names.deployment_name.clone(),
        ..StackOptions::default()
    };
    let stacks = lisa_synth::synthesize(&input, &options, TemplateFormat::Json, diagnostics)?;
    let names: String = stacks.iter().map(|s| format!("{}\n", s.name)).collect();
    lisa_synth::product(names.as_bytes())
}
