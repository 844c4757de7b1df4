//! `lisa-synth`: validate model definitions, list and synthesize their CloudFormation stacks,
//! and print the payloads' JSON Schema. Deploying, managing and serving models is `lisa-ops`.

mod cli;
mod commands;

use cli::Command;
use lisa_synth::Diagnostics;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::parse_or_exit() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let diagnostics = Diagnostics { quiet: cli.quiet };
    let outcome = match &cli.command {
        Command::Validate(args) => commands::validate::run(args, diagnostics),
        Command::Synth(args) => commands::synth::run(args, diagnostics),
        Command::Ls(args) => commands::ls::run(args, diagnostics),
        Command::Schema(args) => commands::schema::run(args),
        Command::Bootstrap(_)
        | Command::Models(_)
        | Command::Diff(_)
        | Command::Deploy(_)
        | Command::Serve(_) => Err(cli::moved_to_ops(cli.command.name())),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}
