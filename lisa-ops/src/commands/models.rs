//! `lisa-ops models`: list, get, create, update and delete models of a deployment, and show,
//! set and remove their schedules. Output on standard output is the Admin API's JSON; progress
//! goes to standard error.

use super::aws_common::{AwsArgs, block_on, exit, fail, print_json, progress};
use clap::{Args, Subcommand};
use lisa_api::{ModelSchedule, ModelView};
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::{ModelRecord, ModelStatus, status};
use lisa_deploy::{Deployer, Waited};
use lisa_synth::cli::ErrorFormat;
use lisa_synth::inputs::{self, Source};
use lisa_synth::output::{Diagnostics, Failure};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `lisa-ops models ...`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The model operations, and the schedule's.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    #[command(flatten)]
    Model(ModelCommand),
    /// Show, set or remove a model's schedule: when it runs and when it sleeps.
    #[command(after_help = SCHEDULE_HELP)]
    Schedule {
        #[command(subcommand)]
        command: ScheduleCommand,
    },
}

/// The operations on a model.
#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Print every model: {"models": [...]}.
    List,
    /// Print one model: {"model": {...}}, with its schedule, its next scheduled transition
    /// (nextScheduledAction) and what the schedule last did (lastScheduledAction).
    Get {
        /// The model's id.
        model_id: String,
    },
    /// Create a model from its definition file and follow the deploy to the end.
    Create {
        /// The model definition (the create payload).
        file: PathBuf,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Update a model (metadata, autoscaling, container settings, `enabled` to stop or start)
    /// from an update payload file.
    Update {
        /// The model's id.
        model_id: String,
        /// The update payload.
        file: PathBuf,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Delete a model and its stack.
    Delete {
        /// The model's id.
        model_id: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// A model's schedule.
#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Print the model's schedule, its next transition and the schedule's last run:
    /// {"schedule": {...} or null, "nextScheduledAction": {...}, "lastScheduledAction": {...}}
    /// (the last two only when there is one), as GET /models/{modelId}/schedule answers.
    Get {
        /// The model's id.
        model_id: String,
    },
    /// Give a model a schedule, or replace its schedule, and follow the stack update (which adds
    /// or changes the model's EventBridge Scheduler schedules) to its end. Only an InService or
    /// Stopped model; a stopped model stays stopped.
    #[command(after_help = SCHEDULE_HELP)]
    Set {
        /// The model's id.
        model_id: String,
        /// The schedule, a JSON file such as examples/schedules/office-hours.json, or - for
        /// standard input. It is checked before AWS is reached: every problem is printed as
        /// FILE: PATH: message and the exit code is 1.
        file: PathBuf,
        #[command(flatten)]
        wait: WaitArgs,
    },
    /// Remove a model's schedule and follow the stack update (which deletes its EventBridge
    /// Scheduler schedules) to its end. The model stays as it is, running or stopped.
    Delete {
        /// The model's id.
        model_id: String,
        #[command(flatten)]
        wait: WaitArgs,
    },
}

/// More on schedules, for `--help`.
pub const SCHEDULE_HELP: &str = "A schedule names an IANA time zone and either one window for \
every day or a window per day of the week:\n  {\"timeZone\": \"Europe/Berlin\", \"daily\": \
{\"startTime\": \"08:00\", \"stopTime\": \"20:00\"}}\n  {\"timeZone\": \"America/New_York\", \
\"weekdays\": {\"friday\": {\"startTime\": \"22:00\", \"stopTime\": \"06:00\"}}}\nA window whose \
stop is earlier than its start runs past midnight; weekday windows may not overlap or touch.\n\n\
A stop by hand holds: a model stopped by hand (`models update MODEL_ID FILE` with \
{\"enabled\": false}, or the same through the API) is skipped by scheduled starts, each skip \
recorded with its reason, until it is started by hand ({\"enabled\": true}), unless the \
schedule says \"resumeAfterManualStop\": true. A scheduled stop stops a model started by hand. \
A scheduled start or stop that finds the model busy with another operation tries again for up \
to 10 minutes (the lifecycle function's default), then records a skip. `models get` and `models schedule get` \
show the last scheduled run as lastScheduledAction (outcome done or skipped, with the reason) \
and the next one as nextScheduledAction (in UTC and in the schedule's zone).\n\nExit codes: 0 \
the model reached its goal (InService, or Stopped for a stopped model); 1 an invalid schedule \
or a status that does not allow the change (nothing changed); 2 usage or I/O error; 3 AWS \
failure or the model did not reach its goal.";

/// Whether to follow the operation.
#[derive(Debug, Args, Clone, Copy)]
pub struct WaitArgs {
    /// Return once the new status is recorded, without following the stack.
    #[arg(long)]
    pub no_wait: bool,
}

/// `{"model": ...}` as the API shows the model now (with its next scheduled transition).
fn model(record: &ModelRecord) -> serde_json::Value {
    json!({"model": ModelView::of_record(record)})
}

/// A schedule file (or `-`), read and checked as `update_file` reads an update payload: every
/// problem printed as FILE: PATH: message.
fn schedule_file(path: &Path) -> Result<Schedule, Failure> {
    let source = if path.as_os_str() == "-" {
        Source::Stdin
    } else {
        Source::File(path.to_path_buf())
    };
    let problems = match inputs::read_text(&source) {
        Ok(text) => match Schedule::from_json_str(&text) {
            Ok(schedule) => return Ok(schedule),
            Err(error) => inputs::problems(&source, &error),
        },
        Err(problem) => vec![problem],
    };
    Err(lisa_synth::gate::report(
        &problems,
        ErrorFormat::Text,
        1,
        Diagnostics { quiet: false },
    ))
}

fn deleted(model_id: &str) -> serde_json::Value {
    json!({"status": "success", "message": format!("Model {model_id} has been deleted successfully.")})
}

/// Follows the model's operation and prints where it ended; the exit code says whether it
/// reached `goal`.
async fn follow(deployer: &Deployer, model_id: &str, goal: Option<ModelStatus>) -> ExitCode {
    let resources = match deployer.get(model_id).await {
        Ok(record) => deployer
            .synthesize(&record.definition, record.enabled, None)
            .ok()
            .map(|(stack, _)| stack.template.resources.len()),
        Err(_) => None,
    };
    let mut report = progress(model_id.to_owned(), resources);
    match deployer.wait(model_id, &mut report).await {
        Ok(Waited::Deleted) => {
            eprintln!("{model_id}: deleted");
            print_json(&deleted(model_id));
            if goal.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILED)
            }
        }
        Ok(Waited::Settled(record)) => {
            eprintln!("{model_id}: {}", record.status);
            if let Some(reason) = &record.failure_reason {
                eprintln!("{model_id}: failure: {reason}");
            }
            print_json(&model(&record));
            if Some(record.status) == goal && record.failure_reason.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(exit::FAILED)
            }
        }
        Err(error) => fail(&error),
    }
}

/// `models schedule ...`: the schedule file is read and checked before AWS is reached, so a bad
/// file fails alike with or without credentials.
fn run_schedule(args: &ModelsArgs, command: &ScheduleCommand) -> ExitCode {
    let (model_id, change, wait) = match command {
        ScheduleCommand::Get { model_id } => (model_id, None, None),
        ScheduleCommand::Set {
            model_id,
            file,
            wait,
        } => match schedule_file(file) {
            Ok(schedule) => (model_id, Some(Some(schedule)), Some(*wait)),
            Err(failure) => return failure.exit(),
        },
        ScheduleCommand::Delete { model_id, wait } => (model_id, Some(None), Some(*wait)),
    };
    block_on(async {
        let deployer = match args.aws.deployer().await {
            Ok(deployer) => deployer,
            Err(error) => return fail(&error),
        };
        let Some(schedule) = change else {
            return match deployer.get(model_id).await {
                Ok(record) => {
                    print_json(&json!(ModelSchedule::of_record(&record)));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            };
        };
        match deployer.set_schedule(model_id, schedule).await {
            Ok(record) if wait.is_some_and(|w| w.no_wait) || !status::is_working(record.status) => {
                print_json(&model(&record));
                ExitCode::SUCCESS
            }
            Ok(record) => {
                let goal = if record.enabled {
                    ModelStatus::InService
                } else {
                    ModelStatus::Stopped
                };
                eprintln!("{model_id}: {}", record.status);
                follow(&deployer, model_id, Some(goal)).await
            }
            Err(error) => fail(&error),
        }
    })
}

pub fn run(args: &ModelsArgs) -> ExitCode {
    match &args.command {
        ModelsCommand::Model(command) => run_model(args, command),
        ModelsCommand::Schedule { command } => run_schedule(args, command),
    }
}

fn run_model(args: &ModelsArgs, command: &ModelCommand) -> ExitCode {
    block_on(async {
        let deployer = match args.aws.deployer().await {
            Ok(deployer) => deployer,
            Err(error) => return fail(&error),
        };
        match command {
            ModelCommand::List => match deployer.list().await {
                Ok(listed) => {
                    let models: Vec<_> = listed.iter().map(super::serve::listed_view).collect();
                    print_json(&json!({"models": models}));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            },
            ModelCommand::Get { model_id } => match deployer.get(model_id).await {
                Ok(record) => {
                    print_json(&model(&record));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            },
            ModelCommand::Create { file, wait } => {
                let region = args.aws.connection.region.as_deref();
                let definition = match lisa_synth::gate::definition_file(
                    file,
                    region,
                    Diagnostics { quiet: false },
                ) {
                    Ok(definition) => definition.into_inner(),
                    Err(failure) => return failure.exit(),
                };
                let model_id = definition.model_id.to_string();
                if !args.aws.skip_preflight {
                    match deployer.preflight(&definition).await {
                        Ok(warnings) => {
                            for warning in warnings {
                                eprintln!("{model_id}: preflight warning: {warning}");
                            }
                        }
                        Err(error) => return fail(&error),
                    }
                }
                match deployer.skipping_preflight().create(definition).await {
                    Ok(record) if wait.no_wait => {
                        print_json(&model(&record));
                        ExitCode::SUCCESS
                    }
                    Ok(_) => {
                        eprintln!("{model_id}: creating");
                        follow(&deployer, &model_id, Some(ModelStatus::InService)).await
                    }
                    Err(error) => fail(&error),
                }
            }
            ModelCommand::Update {
                model_id,
                file,
                wait,
            } => {
                let update = match lisa_synth::gate::update_file(file, Diagnostics { quiet: false })
                {
                    Ok(update) => update,
                    Err(failure) => return failure.exit(),
                };
                match deployer.update(model_id, &update).await {
                    Ok(record) if wait.no_wait => {
                        print_json(&model(&record));
                        ExitCode::SUCCESS
                    }
                    Ok(record) => {
                        let goal = match (update.enabled, record.status) {
                            (Some(false), _) | (None, ModelStatus::Stopped) => ModelStatus::Stopped,
                            _ => ModelStatus::InService,
                        };
                        eprintln!("{model_id}: {}", record.status);
                        follow(&deployer, model_id, Some(goal)).await
                    }
                    Err(error) => fail(&error),
                }
            }
            ModelCommand::Delete { model_id, wait } => match deployer.delete(model_id).await {
                Ok(None) => {
                    print_json(&deleted(model_id));
                    ExitCode::SUCCESS
                }
                Ok(Some(record)) if wait.no_wait => {
                    print_json(&model(&record));
                    ExitCode::SUCCESS
                }
                Ok(Some(_)) => {
                    eprintln!("{model_id}: deleting");
                    follow(&deployer, model_id, None).await
                }
                Err(error) => fail(&error),
            },
        }
    })
}
