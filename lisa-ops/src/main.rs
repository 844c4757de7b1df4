//! `lisa-ops`: the operator command. Bootstraps a deployment, deploys and manages its models on
//! AWS, and serves the Admin API. Everything AWS is `lisa-deploy`'s; reading definitions and
//! reporting their problems is `lisa-synth`'s, so both commands behave alike.

mod cli;
mod commands;

use cli::Command;
use lisa_synth::Diagnostics;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::parse_or_exit() {
        Ok(cli) => cli,
        Err(code) => return code,
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
