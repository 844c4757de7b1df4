//! `lisa-synth validate`: every error of every file, then an exit code.

use crate::cli::{ErrorFormat, ValidateArgs};
use crate::inputs::{self, FileProblem};
use std::process::ExitCode;

pub fn run(args: &ValidateArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let files = inputs::expand(&args.paths)?;
    let mut problems: Vec<FileProblem> = Vec::new();
    for file in &files {
        let result = if args.update {
            inputs::read_update(file).map(drop)
        } else {
            inputs::read_definition(file, args.region.as_deref()).map(drop)
        };
        if let Err(found) = result {
            problems.extend(found);
        }
    }
    report(&problems, args.format)?;
    let invalid_files = {
        let mut names: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
        names.dedup();
        names.len()
    };
    eprintln!(
        "{} of {} file(s) valid",
        files.len() - invalid_files,
        files.len()
    );
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Prints problems as text lines or as one JSON array.
pub fn report(problems: &[FileProblem], format: ErrorFormat) -> Result<(), serde_json::Error> {
    match format {
        ErrorFormat::Text => {
            for problem in problems {
                println!("{problem}");
            }
        }
        ErrorFormat::Json => println!("{}", serde_json::to_string_pretty(problems)?),
    }
    Ok(())
}
