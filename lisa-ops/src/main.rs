//! `lisa-ops`: the operator command. Bootstraps a deployment, deploys and manages its models on
//! AWS, and serves the Admin API. Everything AWS is `lisa-deploy`'s; reading definitions and
//! reporting their problems is `lisa-synth`'s, so both commands behave alike.

mod cli;
mod commands;

use clap::Parser;
use cli::Command;
use lisa_synth::output::{self, Diagnostics, EXIT_USAGE};
use std::process::ExitCode;

fn main() -> ExitCode {
    output::set_program_name("lisa-ops");
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
    match &cli.command {
        Command::Bootstrap(args) => commands::bootstrap::run(args),
        Command::Models(args) => commands::models::run(args),
        Command::Diff(args) => commands::fleet::diff(args),
        Command::Deploy(args) => commands::fleet::deploy(args),
        Command::Serve(args) => match commands::serve::run(args, diagnostics) {
            Ok(()) => ExitCode::SUCCESS,
            Err(failure) => failure.exit(),
        },
    }
}
