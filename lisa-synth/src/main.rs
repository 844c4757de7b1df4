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
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("lisa-synth: {error}");
            ExitCode::from(2)
        }
    }
}
