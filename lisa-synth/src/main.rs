//! `lisa-synth`: validate model definitions, list and synthesize their CloudFormation stacks,
//! print the payloads' JSON Schema, deploy and manage models on AWS, and serve the Admin API.

mod cli;
mod commands;
mod gate;
mod inputs;
mod output;
mod yaml;

use clap::Parser;
use output::{Diagnostics, EXIT_USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
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
        cli::Command::Validate(args) => commands::validate::run(args, diagnostics),
        cli::Command::Synth(args) => commands::synth::run(args, diagnostics),
        cli::Command::Ls(args) => commands::ls::run(args, diagnostics),
        cli::Command::Schema(args) => commands::schema::run(args),
        cli::Command::Bootstrap(args) => return commands::bootstrap::run(args),
        cli::Command::Models(args) => return commands::models::run(args),
        cli::Command::Diff(args) => return commands::fleet::diff(args),
        cli::Command::Deploy(args) => return commands::fleet::deploy(args),
        cli::Command::Serve(args) => commands::serve::run(args, diagnostics),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}
