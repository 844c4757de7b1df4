//! `lisa-synth synth`: model definitions in, CloudFormation templates out.

use crate::cli::{SynthArgs, TemplateFormat};
use crate::commands::validate::report;
use crate::inputs::{self, FileProblem};
use lisa_constructs::ecs_model::{self, Lifecycle, StackOptions};
use lisa_constructs::model::ValidDefinition;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn run(args: &SynthArgs) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let files = inputs::expand(&args.paths)?;
    if files.is_empty() {
        return Err(
            "no model definition files found (a directory stands for its *.json files)".into(),
        );
    }
    if files.len() > 1 && args.out.is_none() {
        return Err(format!(
            "{} model definitions: give --out DIR to write one template each",
            files.len()
        )
        .into());
    }
    let options = StackOptions {
        deployment_name: args.deployment_name.clone(),
        lifecycle: if args.stopped {
            Lifecycle::Stopped
        } else {
            Lifecycle::Running
        },
        https: args.https,
        // A create deployment passes the definition's count; a synthesized file leaves it out.
        desired_capacity: None,
    };
    options.check()?;

    // Read everything first: an invalid definition means nothing is written.
    let mut definitions: Vec<(PathBuf, ValidDefinition)> = Vec::with_capacity(files.len());
    let mut problems: Vec<FileProblem> = Vec::new();
    let mut first_file_of: BTreeMap<String, PathBuf> = BTreeMap::new();
    let read = parallel_map(&files, |file| {
        inputs::read_definition(file, args.region.as_deref())
    });
    for (file, result) in files.into_iter().zip(read) {
        match result {
            Ok(definition) => {
                let id = definition.model_id.to_string();
                if let Some(first) = first_file_of.get(&id) {
                    problems.push(FileProblem {
                        file: file.display().to_string(),
                        path: "modelId".into(),
                        message: format!("{id:?} is already defined in {}", first.display()),
                        line: None,
                        column: None,
                    });
                } else {
                    first_file_of.insert(id, file.clone());
                    definitions.push((file, definition));
                }
            }
            Err(found) => problems.extend(found),
        }
    }
    if !problems.is_empty() {
        report(&problems, args.error_format)?;
        eprintln!("nothing written: {} problem(s)", problems.len());
        return Ok(ExitCode::from(1));
    }

    let rendered = parallel_map(&definitions, |(file, definition)| {
        let stack = ecs_model::synthesize_valid(definition, &options)
            .map_err(|error| format!("{}: {error}", file.display()))?;
        let mut text = match args.format {
            TemplateFormat::Json => stack.template.to_json_string()?,
            TemplateFormat::Yaml => serde_yaml::to_string(&stack.template)?,
        };
        // A file and standard output get the same bytes: a text file ends with a newline.
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>((stack.name, text))
    })
    .into_iter()
    .collect::<Result<Vec<_>, _>>()
    .map_err(|error| error as Box<dyn std::error::Error>)?;

    match &args.out {
        None => {
            let (_, text) = rendered.first().ok_or("nothing to synthesize")?;
            print!("{text}");
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            parallel_map(&rendered, |(name, text)| {
                let path = dir.join(format!("{name}.{}", args.format.extension()));
                std::fs::write(&path, text)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            })
            .into_iter()
            .collect::<Result<(), _>>()?;
            eprintln!("wrote {} template(s) to {}", rendered.len(), dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `f` over every item, on as many threads as there are cores, results in item order. Reading,
/// synthesizing and writing are independent per model, and a thousand models take a large part
/// of a second on one core.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if threads < 2 || items.len() < 2 {
        return items.iter().map(f).collect();
    }
    let chunk_len = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items
            .chunks(chunk_len)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(results) => results,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
