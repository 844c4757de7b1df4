//! `lisa-synth ls`: the stack names of model definitions, in input order.

use crate::cli::{LsArgs, TemplateFormat};
use crate::gate;
use crate::output::{self, Diagnostics, Outcome};
use lisa_constructs::ecs_model::StackOptions;

pub fn run(args: &LsArgs, diagnostics: Diagnostics) -> Outcome {
    let diagnostics = gate::diagnostics_for(args.input.error_format, diagnostics);
    let options = StackOptions {
        deployment_name: args.names.deployment_name.clone(),
        ..StackOptions::default()
    };
    let stacks = gate::synthesize(&args.input, &options, TemplateFormat::Json, diagnostics)?;
    let names: String = stacks.iter().map(|s| format!("{}\n", s.name)).collect();
    output::product(names.as_bytes())
}
