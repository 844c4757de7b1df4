//! `lisa-synth`: validate model definitions, list and synthesize their CloudFormation stacks,
//! and print the payloads' JSON Schema. Deploying, managing and serving models is `lisa-ops`.

use clap::Parser;
use lisa_synth::cli::{self, Command};
use lisa_synth::commands;
use lisa_synth::output::{self, Diagnostics, EXIT_USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
    output::set_program_name("lisa-synth");
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are products (standard output); usage errors exit 2.
            let _ = error.print();
            return if error.use_stderr() {
                ExitCode::from(EXIT_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
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
