//! `lisa-synth validate`: the gate of `synth` without writing anything.

use crate::cli::{TemplateFormat, ValidateArgs};
use crate::gate;
use crate::output::{Diagnostics, Outcome};
use lisa_constructs::ecs_model::StackOptions;

pub fn run(args: &ValidateArgs, diagnostics: Diagnostics) -> Outcome {
    let diagnostics = gate::diagnostics_for(args.input.error_format, diagnostics);
    if args.update {
        let count = gate::updates(&args.input, diagnostics)?;
        diagnostics.note(format_args!("{count} update payload(s) valid"));
        return Ok(());
    }
    let stacks = gate::synthesize(
        &args.input,
        &StackOptions::default(),
        TemplateFormat::Json,
        diagnostics,
    )?;
    diagnostics.note(format_args!("{} definition(s) valid", stacks.len()));
    Ok(())
}
