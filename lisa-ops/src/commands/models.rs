//! `lisa-ops models`: list, get, create, update and delete models of a deployment, and show,
//! set and remove their schedules. Output on standard output is the Admin API's JSON; progress
//! goes to standard error.

use super::aws_common::{AwsArgs, block_on, exit, fail, print_json};
use super::progress::{Subject, reporter};
use clap::{Args, Subcommand};
use lisa_api::ModelSchedule;
use lisa_constructs::bootstrap::lifecycle::busy_model_rule;
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::{ModelRecord, ModelStatus, ModelUpdate, status};
use lisa_deploy::{Deployer, Waited};
use lisa_synth::{Diagnostics, Failure};
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
    #[command(after_help = schedule_help())]
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
    /// Follow the model's current operation (one started with --no-wait, by the API, or by its
    /// schedule) with its progress until it settles, and print the model; a settled model is
    /// printed at once. Exit code 0 when the model is InService (or Stopped, when stopped on
    /// purpose) or its delete finished, 1 when there is no such model, 3 when it failed or its
    /// operation did not reach its goal.
    Watch {
        /// The model's id.
        model_id: String,
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
    #[command(after_help = schedule_help())]
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
fn schedule_help() -> String {
    // `{BUSY}` stands for the busy-model rule, written once beside its constant.
    SCHEDULE_HELP.replace("{BUSY}", &busy_model_rule())
}

const SCHEDULE_HELP: &str = "A schedule names an IANA time zone and either one window for \
every day or a window per day of the week:\n  {\"timeZone\": \"Europe/Berlin\", \"daily\": \
{\"startTime\": \"08:00\", \"stopTime\": \"20:00\"}}\n  {\"timeZone\": \"America/New_York\", \
\"weekdays\": {\"friday\": {\"startTime\": \"22:00\", \"stopTime\": \"06:00\"}}}\nA window whose \
stop is earlier than its start runs past midnight; weekday windows may not overlap or touch.\n\n\
A stop by hand holds: a model stopped by hand (`models update MODEL_ID FILE` with \
{\"enabled\": false}, or the same through the API) is skipped by scheduled starts, each skip \
recorded with its reason, until it is started by hand ({\"enabled\": true}), unless the \
schedule says \"resumeAfterManualStop\": true. A scheduled stop stops a model started by hand. \
{BUSY} `models get` and `models schedule get` \
show the last scheduled run as lastScheduledAction (outcome done or skipped, with the reason) \
and the next one as nextScheduledAction (in UTC and in the schedule's zone).\n\nExit codes: 0 \
the model reached its goal (InService, or Stopped for a stopped model); 1 an invalid schedule \
or a status that does not allow the change (nothing changed); 2 usage or I/O error, or a \
configuration to change (credentials, region, endpoint, a missing lifecycle function); 3 AWS \
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
    json!({"model": record.view()})
}

/// A schedule file (or `-`), read and checked as an update payload is: every problem printed
/// as FILE: PATH: message.
fn schedule_file(path: &Path) -> Result<Schedule, Failure> {
    lisa_synth::payload_file(path, Schedule::from_json_str, Diagnostics { quiet: false })
}

fn deleted(model_id: &str) -> serde_json::Value {
    json!({"status": "success", "message": format!("Model {model_id} has been deleted successfully.")})
}

/// How the heartbeat speaks of the model's stack.
fn subject(record: &ModelRecord) -> Subject {
    if record.definition.hosting.is_some() {
        Subject::HostedModel
    } else {
        Subject::LiteLlmModel
    }
}

/// Where an operation on a model should end: InService, or Stopped for a model stopped on
/// purpose (the record's `enabled` says which from the moment the operation is recorded).
fn goal_of(record: &ModelRecord) -> ModelStatus {
    if record.enabled {
        ModelStatus::InService
    } else {
        ModelStatus::Stopped
    }
}

/// Prints a settled model (its status once, its failure, its JSON); the exit code says whether
/// it is at `goal` without a failure.
fn settled(record: &ModelRecord, goal: ModelStatus) -> ExitCode {
    let model_id = record.definition.model_id.as_str();
    eprintln!("{model_id}: {}", record.status);
    if let Some(reason) = &record.failure_reason {
        eprintln!("{model_id}: failure: {reason}");
    }
    print_json(&model(record));
    if record.status == goal && record.failure_reason.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(exit::FAILED)
    }
}

/// Follows the operation `record` is in and prints where it ended; the exit code says whether
/// it reached `goal` (`None`: the model is deleted).
async fn follow(deployer: &Deployer, record: &ModelRecord, goal: Option<ModelStatus>) -> ExitCode {
    let model_id = record.definition.model_id.as_str();
    let mut report = reporter(model_id.to_owned(), subject(record));
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
        // A delete that ends with the model still there is never at its goal.
        Ok(Waited::Settled(record)) => settled(&record, goal.unwrap_or(ModelStatus::Deleting)),
        Err(error) => fail(&error),
    }
}

/// `models watch`: a working model's operation followed, a settled model printed at once.
async fn watch(deployer: &Deployer, model_id: &str) -> ExitCode {
    let record = match deployer.get(model_id).await {
        Ok(record) => record,
        Err(error) => return fail(&error),
    };
    if !status::is_working(record.status) {
        return settled(&record, goal_of(&record));
    }
    eprintln!("{model_id}: {}", record.status);
    let goal = (record.status != ModelStatus::Deleting).then(|| goal_of(&record));
    follow(deployer, &record, goal).await
}

/// The record of an operation that started, its preflight warnings (checks that could not
/// run) printed to standard error.
fn warned(
    result: lisa_deploy::Result<(ModelRecord, Vec<String>)>,
) -> lisa_deploy::Result<ModelRecord> {
    result.map(|(record, warnings)| {
        for warning in warnings {
            eprintln!(
                "{}: preflight warning: {warning}",
                record.definition.model_id
            );
        }
        record
    })
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
            Ok(record) if wait.is_some_and(|w| w.no_wait) => {
                print_json(&model(&record));
                ExitCode::SUCCESS
            }
            Ok(record) if !status::is_working(record.status) => settled(&record, goal_of(&record)),
            Ok(record) => {
                eprintln!("{model_id}: {}", record.status);
                follow(&deployer, &record, Some(goal_of(&record))).await
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
                let definition =
                    match lisa_synth::definition_file(file, region, Diagnostics { quiet: false }) {
                        Ok(definition) => definition.into_inner(),
                        Err(failure) => return failure.exit(),
                    };
                let model_id = definition.model_id.to_string();
                match warned(deployer.create_warned(definition).await) {
                    Ok(record) if wait.no_wait => {
                        print_json(&model(&record));
                        ExitCode::SUCCESS
                    }
                    Ok(record) if !status::is_working(record.status) => {
                        settled(&record, ModelStatus::InService)
                    }
                    Ok(record) => {
                        eprintln!("{model_id}: creating");
                        follow(&deployer, &record, Some(ModelStatus::InService)).await
                    }
                    Err(error) => fail(&error),
                }
            }
            ModelCommand::Update {
                model_id,
                file,
                wait,
            } => {
                let update = match lisa_synth::payload_file(
                    file,
                    ModelUpdate::from_json_str,
                    Diagnostics { quiet: false },
                ) {
                    Ok(update) => update,
                    Err(failure) => return failure.exit(),
                };
                match warned(deployer.update_warned(model_id, &update).await) {
                    Ok(record) if wait.no_wait => {
                        print_json(&model(&record));
                        ExitCode::SUCCESS
                    }
                    Ok(record) if !status::is_working(record.status) => {
                        settled(&record, goal_of(&record))
                    }
                    Ok(record) => {
                        eprintln!("{model_id}: {}", record.status);
                        follow(&deployer, &record, Some(goal_of(&record))).await
                    }
                    Err(error) => fail(&error),
                }
            }
            ModelCommand::Delete { model_id, wait } => match deployer.delete(model_id).await {
                Ok(None) => {
                    print_json(&deleted(model_id));
                    ExitCode::SUCCESS
                }
                // The API's answer: the delete has started, and goes on without this command.
                Ok(Some(_)) if wait.no_wait => {
                    print_json(&deleted(model_id));
                    ExitCode::SUCCESS
                }
                Ok(Some(record)) => {
                    eprintln!("{model_id}: deleting");
                    follow(&deployer, &record, None).await
                }
                Err(error) => fail(&error),
            },
            ModelCommand::Watch { model_id } => watch(&deployer, model_id).await,
        }
    })
}
