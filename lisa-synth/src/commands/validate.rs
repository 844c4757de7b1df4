//! `lisa-synth validate`: the gate of `synth` without writing anything.

use crate::cli::ValidateArgs;
use lisa_constructs::ecs_model::StackOptions;
use lisa_synth::{CommandResult, Diagnostics, TemplateFormat};

pub fn run(args: &ValidateArgs, diagnostics: Diagnostics) -> CommandResult {
    let input = args.input.spec();
    let diagnostics = lisa_synth::diagnostics_for(input.error_format, diagnostics);
    if args.update {
        let count = lisa_synth::updates(&input, diagnostics)?;
        diagnostics.note(format_args!("{count} update payload(s) valid"));
        return Ok(());
    }
    let stacks = lisa_synth::synthesize(
        &input,
        &StackOptions::default(),
        TemplateFormat::Json,
        diagnostics,
    )?;
    diagnostics.note(format_args!("{} definition(s) valid", stacks.len()));
    Ok(())
}
