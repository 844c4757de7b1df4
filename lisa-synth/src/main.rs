//! `lisa-synth`: validate model definitions, print their JSON Schema, and synthesize one
//! CloudFormation template per model.

mod cli;
mod commands;
mod inputs;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Validate(args) => commands::validate::run(&args),
        cli::Command::Synth(args) => commands::synth::run(&args),
        cli::Command::Schema(args) => commands::schema::run(&args),
        cli::Command::Bootstrap(args) => return commands::bootstrap::run(&args),
        cli::Command::Models(args) => return commands::models::run(&args),
        cli::Command::Diff(args) => return commands::fleet::diff(&args),
        cli::Command::Deploy(args) => return commands::fleet::deploy(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("lisa-synth: {error}");
            ExitCode::from(2)
        }
    }
}
