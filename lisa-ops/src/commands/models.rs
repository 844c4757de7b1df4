//! `lisa-ops models`: list, get, create, update and delete models of a deployment. Output on
//! standard output is the Admin API's JSON; progress goes to standard error.

use super::aws_common::{AwsArgs, block_on, exit, fail, print_json, progress};
use clap::{Args, Subcommand};
use lisa_constructs::model::{ModelRecord, ModelStatus};
use lisa_deploy::{Deployer, Waited};
use lisa_synth::output::Diagnostics;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// `lisa-ops models ...`.
#[derive(Debug, Args)]
pub struct ModelsArgs {
    #[command(subcommand)]
    pub command: ModelsCommand,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The model operations.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Print every model: {"models": [...]}.
    List,
    /// Print one model: {"model": {...}}.
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

/// Whether to follow the operation.
#[derive(Debug, Args, Clone, Copy)]
pub struct WaitArgs {
    /// Return once the new status is recorded, without following the stack.
    #[arg(long)]
    pub no_wait: bool,
}

fn model(record: &ModelRecord) -> serde_json::Value {
    json!({"model": record.to_api_json()})
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

pub fn run(args: &ModelsArgs) -> ExitCode {
    block_on(async {
        let deployer = match args.aws.deployer().await {
            Ok(deployer) => deployer,
            Err(error) => return fail(&error),
        };
        match &args.command {
            ModelsCommand::List => match deployer.list().await {
                Ok(listed) => {
                    let models: Vec<_> = listed.iter().map(super::serve::listed_view).collect();
                    print_json(&json!({"models": models}));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            },
            ModelsCommand::Get { model_id } => match deployer.get(model_id).await {
                Ok(record) => {
                    print_json(&model(&record));
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&error),
            },
            ModelsCommand::Create { file, wait } => {
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
            ModelsCommand::Update {
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
            ModelsCommand::Delete { model_id, wait } => match deployer.delete(model_id).await {
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
