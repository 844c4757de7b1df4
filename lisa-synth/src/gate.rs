//! The one gate every command passes definitions through: read, validate, check the regions,
//! refuse duplicate modelIds, synthesize and check the template's size. `validate`, `synth` and
//! `ls` all go through [`synthesize_each`], so whatever one accepts the others accept.

use crate::inputs::{self, FileProblem, Source};
use crate::output::{Diagnostics, ErrorFormat, Failure};
use crate::parallel;
use crate::render::{self, Rendered, TemplateFormat};
use lisa_constructs::ecs_model::{self, StackOptions};
use lisa_constructs::model::{
    DefinitionError, ModelUpdate, SUPPORTED_REGIONS, ValidDefinition, payload_kind,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What a command reads: its inputs, the regions to check them in, and how their problems are
/// printed.
#[derive(Debug, Clone)]
pub struct InputSpec {
    /// Files, folders of them, or `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// Regions to check each model in; empty: AWS_REGION's, else AWS_DEFAULT_REGION's, if set.
    pub regions: Vec<String>,
    /// How problems are printed.
    pub error_format: ErrorFormat,
}

impl InputSpec {
    /// `paths`, checked in the environment's region, problems printed as text.
    pub fn of_paths(paths: Vec<PathBuf>) -> InputSpec {
        InputSpec {
            paths,
            regions: Vec::new(),
            error_format: ErrorFormat::Text,
        }
    }
}

/// The regions to check: `--region` (repeated or comma-separated), else AWS_REGION, else
/// AWS_DEFAULT_REGION. An unsupported region is a usage error, reported once.
pub fn regions(flag: &[String]) -> Result<Vec<String>, Failure> {
    let from_env = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (vec![v], name.to_owned()))
    };
    let (given, origin) = if flag.is_empty() {
        match from_env("AWS_REGION").or_else(|| from_env("AWS_DEFAULT_REGION")) {
            Some(found) => found,
            None => return Ok(Vec::new()),
        }
    } else {
        (flag.to_vec(), "--region".to_owned())
    };
    let mut regions: Vec<String> = Vec::new();
    for region in given {
        let region = region.trim().to_owned();
        if !SUPPORTED_REGIONS.contains(&region.as_str()) {
            return Err(Failure::Usage(format!(
                "{origin}: region {region:?} is not supported; supported regions: {}",
                SUPPORTED_REGIONS.join(", ")
            )));
        }
        if !regions.contains(&region) {
            regions.push(region);
        }
    }
    Ok(regions)
}

/// The diagnostics of a command whose problems are printed in `format`: with JSON, standard
/// error holds the array of problems alone (no notes, no summary), so that a tool can parse it
/// whole.
pub fn diagnostics_for(format: ErrorFormat, diagnostics: Diagnostics) -> Diagnostics {
    Diagnostics {
        quiet: diagnostics.quiet || format == ErrorFormat::Json,
    }
}

/// Prints problems on standard error, as text lines or as one JSON array, then a summary, and
/// returns the failure they amount to: an I/O error when an input could not be read, invalid
/// input otherwise. Both have been reported in full: nothing more is printed.
fn report(
    problems: &[FileProblem],
    format: ErrorFormat,
    inputs: usize,
    diagnostics: Diagnostics,
) -> Failure {
    report_of(problems, format, inputs, diagnostics, Writes::Nothing)
}

/// Whether a command writes anything from its inputs: its summary of problems then says that
/// nothing was written, and only then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    /// The command only reads and checks (`validate`, `ls`, an operation of `lisa-ops`).
    Nothing,
    /// The command writes templates (`synth`), all or nothing.
    Templates,
}

/// The summary line after the problems.
fn summary(problems: &[FileProblem], inputs: usize, writes: Writes) -> String {
    let mut files: Vec<&str> = problems.iter().map(|p| p.file.as_str()).collect();
    files.sort_unstable();
    files.dedup();
    let unwritten = match writes {
        Writes::Nothing => "",
        Writes::Templates => "; nothing written",
    };
    format!(
        "{} problem(s) in {} of {inputs} input(s){unwritten}",
        problems.len(),
        files.len()
    )
}

fn report_of(
    problems: &[FileProblem],
    format: ErrorFormat,
    inputs: usize,
    diagnostics: Diagnostics,
    writes: Writes,
) -> Failure {
    let text = match format {
        ErrorFormat::Text => problems.iter().map(|p| format!("{p}\n")).collect(),
        ErrorFormat::Json => serde_json::to_string_pretty(problems).map_or_else(
            |e| format!("cannot print the problems: {e}\n"),
            |t| t + "\n",
        ),
    };
    Diagnostics::problems(&text);
    diagnostics.note(format_args!("{}", summary(problems, inputs, writes)));
    if problems.iter().any(|p| p.io) {
        Failure::Unreadable
    } else {
        Failure::Invalid
    }
}

/// Reads and validates every definition named by `input`, checks the regions and that no
/// modelId is defined twice. Returns the definitions in input order, or reports the problems.
pub fn definitions(
    input: &InputSpec,
    diagnostics: Diagnostics,
) -> Result<Vec<(Source, ValidDefinition)>, Failure> {
    Inputs::gather(input, diagnostics)?.definitions(diagnostics)
}

/// Where each modelId was first defined: a second definition of one is a problem of its input.
#[derive(Debug, Default)]
struct FirstDefinitions(BTreeMap<String, Source>);

impl FirstDefinitions {
    fn check(&mut self, source: &Source, definition: &ValidDefinition) -> Option<FileProblem> {
        let id = definition.model_id.to_string();
        if let Some(first) = self.0.get(&id) {
            return Some(FileProblem::new(
                source,
                "modelId",
                format!("{id:?} is already defined in {first}"),
            ));
        }
        self.0.insert(id, source.clone());
        None
    }
}

/// One model definition file (or `-`), read and checked by the same gate as `validate`, and in
/// `region` when one is given (else in AWS_REGION's, as `validate` does).
pub fn definition_file(
    path: &Path,
    region: Option<&str>,
    diagnostics: Diagnostics,
) -> Result<ValidDefinition, Failure> {
    let input = InputSpec {
        regions: region.map(str::to_owned).into_iter().collect(),
        ..InputSpec::of_paths(vec![path.to_path_buf()])
    };
    let mut read = definitions(&input, diagnostics)?;
    read.pop()
        .map(|(_, definition)| definition)
        .ok_or_else(|| Failure::Usage(format!("{} holds no model definition", path.display())))
}

/// One payload file (or `-`) read by `read` (an update payload's reader, a schedule's), each
/// problem printed as `FILE: PATH: message`, as `validate` prints them.
pub fn payload_file<T>(
    path: &Path,
    read: impl FnOnce(&str) -> Result<T, DefinitionError>,
    diagnostics: Diagnostics,
) -> Result<T, Failure> {
    let source = if path.as_os_str() == "-" {
        Source::Stdin
    } else {
        Source::File(path.to_path_buf())
    };
    let problems = match inputs::read_text(&source) {
        Ok(text) => match read(&text) {
            Ok(payload) => return Ok(payload),
            Err(error) => inputs::problems(&source, &error),
        },
        Err(problem) => vec![problem],
    };
    Err(report(&problems, ErrorFormat::Text, 1, diagnostics))
}

/// The inputs a command names and the regions to check them in: everything known before any
/// input is read.
#[derive(Debug)]
pub struct Inputs {
    sources: Vec<Source>,
    regions: Vec<String>,
    error_format: ErrorFormat,
    writes: Writes,
}

impl Inputs {
    /// The regions and the inputs' paths expanded, or a usage failure.
    pub fn gather(input: &InputSpec, diagnostics: Diagnostics) -> Result<Inputs, Failure> {
        let regions = regions(&input.regions)?;
        let sources = inputs::expand(&input.paths, diagnostics)?;
        Ok(Inputs {
            sources,
            regions,
            error_format: input.error_format,
            writes: Writes::Nothing,
        })
    }

    /// The same inputs, for a command that writes what it makes of them.
    pub fn writing(self, writes: Writes) -> Inputs {
        Inputs { writes, ..self }
    }

    /// How many inputs there are (a file given twice counts once).
    pub fn count(&self) -> usize {
        self.sources.len()
    }

    /// Every definition read and validated, in the regions, no modelId defined twice: the
    /// definitions in input order, or the problems reported.
    pub fn definitions(
        &self,
        diagnostics: Diagnostics,
    ) -> Result<Vec<(Source, ValidDefinition)>, Failure> {
        let read = parallel::map(&self.sources, |source| {
            read_definition(source, &self.regions)
        });
        let mut problems = Vec::new();
        let mut definitions = Vec::with_capacity(self.count());
        let mut first_definitions = FirstDefinitions::default();
        for (source, result) in self.sources.iter().zip(read) {
            match result {
                Ok(definition) => match first_definitions.check(source, &definition) {
                    Some(problem) => problems.push(problem),
                    None => definitions.push((source.clone(), definition)),
                },
                Err(found) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(definitions)
        } else {
            Err(report_of(
                &problems,
                self.error_format,
                self.count(),
                diagnostics,
                self.writes,
            ))
        }
    }
}

/// `options`, or the usage failure they amount to.
pub fn check_options(options: &StackOptions) -> Result<(), Failure> {
    options
        .check()
        .map_err(|e| Failure::Usage(format!("--deployment-name: {e}")))
}

/// Every template of [`synthesize_each`], kept in memory: the checks of `validate`, and the
/// stack names of `ls`.
pub fn synthesize(
    input: &InputSpec,
    options: &StackOptions,
    format: TemplateFormat,
    diagnostics: Diagnostics,
) -> Result<Vec<Rendered>, Failure> {
    check_options(options)?;
    let inputs = Inputs::gather(input, diagnostics)?;
    synthesize_each(&inputs, options, format, diagnostics, Ok)
}

/// Every input read and checked, its stack synthesized and rendered, and each template handed to
/// `each` by the thread that rendered it (a writer stores one template while the other threads
/// render theirs). A thread reads inputs while any is left, then renders: the script templates
/// compile on a helper meanwhile, and no thread waits for the others in between
/// (`parallel::map_in_two_steps`).
///
/// The problems are those of steps taken one after the other: problems in the inputs
/// (unreadable, invalid, a modelId defined twice) are reported alone; then templates that cannot
/// be rendered or are over CloudFormation's 1 MB limit, all together; then the first failure of
/// `each`. So `each` may be handed templates that are not kept (when another input turns out
/// to be in error): what it does must be undone on failure, as `synth --out`'s staging folder is.
pub fn synthesize_each<R: Send>(
    inputs: &Inputs,
    options: &StackOptions,
    format: TemplateFormat,
    diagnostics: Diagnostics,
    each: impl Fn(Rendered) -> Result<R, Failure> + Sync,
) -> Result<Vec<R>, Failure> {
    let outcomes = parallel::map_in_two_steps(
        &inputs.sources,
        ecs_model::scripts::prepare,
        |source| read_definition(source, &inputs.regions),
        |source, read| {
            let definition = read.as_ref().ok()?;
            Some(render::stack(source, definition, options, format).map(&each))
        },
    );
    let mut input_problems = Vec::new();
    let mut first_definitions = FirstDefinitions::default();
    let mut render_problems = Vec::new();
    let mut failure = None;
    let mut done = Vec::with_capacity(outcomes.len());
    for (source, (read, rendered)) in inputs.sources.iter().zip(outcomes) {
        match read {
            Ok(definition) => input_problems.extend(first_definitions.check(source, &definition)),
            Err(found) => input_problems.extend(found),
        }
        match rendered {
            None => {}
            Some(Err(problem)) => render_problems.push(problem),
            Some(Ok(Err(error))) => failure = failure.or(Some(error)),
            Some(Ok(Ok(value))) => done.push(value),
        }
    }
    for problems in [input_problems, render_problems] {
        if !problems.is_empty() {
            return Err(report_of(
                &problems,
                inputs.error_format,
                inputs.count(),
                diagnostics,
                inputs.writes,
            ));
        }
    }
    match failure {
        Some(failure) => Err(failure),
        None => Ok(done),
    }
}

/// Reads one definition and checks it in every region.
fn read_definition(
    source: &Source,
    regions: &[String],
) -> Result<ValidDefinition, Vec<FileProblem>> {
    let text = inputs::read_text(source).map_err(|p| vec![p])?;
    let definition = ValidDefinition::from_json_str(&text).map_err(|error| {
        // An update payload given as a definition: the reader says so; say how to check it.
        if names_only(&error, payload_kind::UPDATE_GIVEN_AS_DEFINITION) {
            vec![FileProblem::new(
                source,
                "(payload)",
                format!(
                    "{}: check it with `validate --update`",
                    payload_kind::UPDATE_GIVEN_AS_DEFINITION
                ),
            )]
        } else if inputs::is_a_template(&text) {
            vec![FileProblem::new(
                source,
                "(payload)",
                "is a CloudFormation template, not a model definition: keep `synth --out` \
                 outside the folders it reads"
                    .into(),
            )]
        } else {
            inputs::problems(source, &error)
        }
    })?;
    let mut problems = Vec::new();
    for region in regions {
        if let Err(errors) = definition.check_region(region) {
            problems.extend(inputs::validation_problems(source, &errors));
        }
    }
    if problems.is_empty() {
        Ok(definition)
    } else {
        Err(problems)
    }
}

/// Whether the reader's only problem is `message` at the payload's root.
fn names_only(error: &DefinitionError, message: &str) -> bool {
    matches!(error, DefinitionError::Invalid(errors)
        if matches!(errors.errors(), [only] if only.path.is_empty() && only.message == message))
}

/// Reads and validates update payloads (no synthesis: an update is not a stack).
pub fn updates(input: &InputSpec, diagnostics: Diagnostics) -> Result<usize, Failure> {
    let sources = inputs::expand(&input.paths, diagnostics)?;
    let results = parallel::map(&sources, |source| {
        let text = inputs::read_text(source).map_err(|p| vec![p])?;
        ModelUpdate::from_json_str(&text)
            .map(drop)
            .map_err(|error| {
                // A model definition given as an update: the reader says so; say how to
                // check it.
                if names_only(&error, payload_kind::DEFINITION_GIVEN_AS_UPDATE) {
                    vec![FileProblem::new(
                        source,
                        "(payload)",
                        format!(
                            "{}: check it without --update",
                            payload_kind::DEFINITION_GIVEN_AS_UPDATE
                        ),
                    )]
                } else {
                    inputs::problems(source, &error)
                }
            })
    });
    let problems: Vec<FileProblem> = results
        .into_iter()
        .filter_map(Result::err)
        .flatten()
        .collect();
    if problems.is_empty() {
        Ok(sources.len())
    } else {
        Err(report(
            &problems,
            input.error_format,
            sources.len(),
            diagnostics,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_command_that_writes_says_nothing_was_written() {
        let problems = [
            FileProblem::new(&Source::File("a.json".into()), "streamng", "unknown".into()),
            FileProblem::new(&Source::File("a.json".into()), "modelId", "missing".into()),
        ];
        assert_eq!(
            summary(&problems, 3, Writes::Nothing),
            "2 problem(s) in 1 of 3 input(s)"
        );
        assert_eq!(
            summary(&problems, 3, Writes::Templates),
            "2 problem(s) in 1 of 3 input(s); nothing written"
        );
    }
}
