//! Deploying the bootstrap stack and reading it back. A first run creates the stack (registry
//! and bucket), uploads the functions' code content-addressed (the registration function's and
//! the lifecycle function's), then updates the stack so the functions exist; a run with the
//! same inputs changes nothing and says so. [`check`] tells beforehand what would make the
//! run fail, or deploy a function that cannot start, with nothing uploaded.

#[cfg(feature = "preflight")]
mod network;
pub mod package;

use crate::aws::{Clients, call};
use crate::error::{DeployError, Result};
use crate::stack_status::StackClass;
use crate::stacks::{Budgets, Polling, Progress, StackOps, Started, sha256_hex};
use lisa_constructs::bootstrap::{self, BootstrapOutputs, lifecycle, stack_name};
use lisa_constructs::ecs_model::registration;
use lisa_constructs::environment::Environment;
use package::{Architecture, PackageProblem};
use std::time::Duration;

/// The functions a bootstrap deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootstrapFunction {
    /// The LiteLLM registration function (`--registrar-zip`).
    Registration,
    /// The lifecycle function model schedules invoke (`--lifecycle-zip`).
    Lifecycle,
}

impl BootstrapFunction {
    /// Its name in a sentence.
    pub fn name(self) -> &'static str {
        match self {
            BootstrapFunction::Registration => "registration function",
            BootstrapFunction::Lifecycle => "lifecycle function",
        }
    }
}

/// Something a bootstrap run would fail on, or deploy broken, found before anything is
/// uploaded: the operator must change it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BootstrapProblem {
    /// A function's package cannot run.
    #[error("the {}'s package {problem}", function.name())]
    Package {
        /// Whose package.
        function: BootstrapFunction,
        /// What is wrong with it.
        problem: PackageProblem,
    },
    /// The environment names a VPC, subnet or security group that does not exist.
    #[error("{field}: {id} does not exist in {region}")]
    Missing {
        /// The environment's field.
        field: &'static str,
        /// The id.
        id: String,
        /// Where it was looked for.
        region: String,
    },
    /// A subnet of the environment lies in another VPC.
    #[error("{field}: {id} is in {actual}, not in vpcId {vpc_id}")]
    OutsideVpc {
        /// The environment's field.
        field: &'static str,
        /// The subnet.
        id: String,
        /// The VPC it is in.
        actual: String,
        /// The environment's VPC.
        vpc_id: String,
    },
}

/// What can be known before a bootstrap uploads anything: that each package given can start
/// (a zip holding an executable `bootstrap` for the functions' architecture) and, with
/// `network`, that the environment's VPC, subnets and security groups exist (EC2 describe
/// calls, the preflight's; a build without the `preflight` feature checks the packages only).
/// Every problem at once; `Err` only when a check itself could not be made.
pub async fn check_bootstrap(
    clients: &Clients,
    environment: &Environment,
    registrar_zip: Option<&[u8]>,
    lifecycle_zip: Option<&[u8]>,
    network: bool,
) -> Result<Vec<BootstrapProblem>> {
    let architecture = Architecture::from_lambda_name(registration::function::ARCHITECTURE)
        .unwrap_or(Architecture::X86_64);
    let packages = [
        (BootstrapFunction::Registration, registrar_zip),
        (BootstrapFunction::Lifecycle, lifecycle_zip),
    ]
    .into_iter()
    .filter_map(|(function, zip)| Some((function, zip?)))
    .flat_map(|(function, zip)| {
        package::check(zip, architecture)
            .into_iter()
            .map(move |problem| BootstrapProblem::Package { function, problem })
    });
    #[cfg(feature = "preflight")]
    let network = if network {
        network::check(clients, environment).await?
    } else {
        Vec::new()
    };
    #[cfg(not(feature = "preflight"))]
    let network: Vec<BootstrapProblem> = {
        let _ = (clients, environment, network);
        Vec::new()
    };
    Ok(packages.chain(network).collect())
}

/// What a bootstrap run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootstrapChange {
    /// The stack was created.
    Created,
    /// The stack was updated (new environment or new code of a function).
    Updated,
    /// Nothing changed.
    Unchanged,
}

/// How long a bootstrap operation may take.
pub const BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(30 * 60);

fn vanished(stack_name: &str) -> DeployError {
    DeployError::StackVanished {
        stack_name: stack_name.to_owned(),
    }
}

/// One function's code in a bootstrap run: the zip to deploy (none keeps the deployed code),
/// where such code is uploaded, and the stack parameter naming it.
struct FunctionCode<'a> {
    zip: Option<&'a [u8]>,
    key: fn(&str) -> String,
    parameter: &'static str,
}

async fn deploy_and_wait(
    ops: &StackOps,
    name: &str,
    template: &lisa_constructs::cfn::Template,
    values: &[(String, String)],
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<bool> {
    let keys: Vec<&str> = values.iter().map(|(_, key)| key.as_str()).collect();
    let token = format!(
        "lisa-bootstrap-{}",
        &sha256_hex(keys.join("\n").as_bytes())[..16]
    );
    let token = format!(
        "{token}-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    match ops.deploy(name, template, values, &token, false).await? {
        Started::NoChanges { .. } => Ok(false),
        Started::Executing { stack_id } => {
            let settled = ops
                .wait(&stack_id, BOOTSTRAP_TIMEOUT, &Budgets::default(), progress)
                .await?
                .ok_or_else(|| vanished(name))?;
            match settled.status.class() {
                StackClass::Complete => Ok(true),
                StackClass::InProgress
                | StackClass::AwaitingExecution
                | StackClass::RolledBack
                | StackClass::FailedNeedsDelete
                | StackClass::FailedNeedsContinueRollback
                | StackClass::Deleted => {
                    let reason = ops.failure_reason(&stack_id).await?.unwrap_or_default();
                    Err(DeployError::StackFailed {
                        stack_name: name.to_owned(),
                        status: settled.status.as_str().to_owned(),
                        reason,
                    })
                }
            }
        }
    }
}

/// Deploys the bootstrap stack of `environment`; with `registrar_zip`, its code becomes the
/// registration function's, with `lifecycle_zip` the lifecycle function's (the function model
/// schedules invoke). A function whose zip is not given keeps the code it has (or stays absent).
/// Idempotent: each zip is uploaded under its SHA-256, so the same inputs change nothing.
/// Uploads what it is given: [`check_bootstrap`] first says whether the packages can run.
pub async fn bootstrap(
    clients: &Clients,
    environment: &Environment,
    registrar_zip: Option<&[u8]>,
    lifecycle_zip: Option<&[u8]>,
    polling: Polling,
    progress: &mut (dyn FnMut(Progress<'_>) + Send),
) -> Result<(BootstrapChange, BootstrapOutputs)> {
    clients.check().await?;
    let synthesized = bootstrap::synthesize(environment).map_err(|e| DeployError::Synth {
        stack_name: format!("{}-bootstrap", environment.deployment_name),
        message: e.to_string(),
    })?;
    let name = synthesized.name.as_str().to_owned();
    let functions = [
        FunctionCode {
            zip: registrar_zip,
            key: bootstrap::code_key,
            parameter: bootstrap::CODE_KEY_PARAMETER,
        },
        FunctionCode {
            zip: lifecycle_zip,
            key: lifecycle::code_key,
            parameter: lifecycle::CODE_KEY_PARAMETER,
        },
    ];
    let mut ops = StackOps::new(clients.clone(), None);
    ops.polling = polling;
    let mut current = ops.describe(&name).await?;
    let mut change = BootstrapChange::Unchanged;
    if current.is_none() {
        let no_code: Vec<(String, String)> = functions
            .iter()
            .map(|function| (function.parameter.to_owned(), String::new()))
            .collect();
        deploy_and_wait(&ops, &name, &synthesized.template, &no_code, progress).await?;
        change = BootstrapChange::Created;
        current = ops.describe(&name).await?;
    }
    let current = current.ok_or_else(|| vanished(&name))?;
    let mut bucket = None;
    let mut values = Vec::with_capacity(functions.len());
    for function in &functions {
        let key = match function.zip {
            Some(zip) => {
                let key = (function.key)(&sha256_hex(zip));
                let bucket = match &bucket {
                    Some(bucket) => bucket,
                    None => {
                        bucket.insert(outputs_of(&name, &current.outputs)?.artifacts_bucket_name)
                    }
                };
                upload(clients, bucket, &key, zip).await?;
                key
            }
            None => current
                .parameters
                .iter()
                .find(|(k, _)| k == function.parameter)
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        };
        values.push((function.parameter.to_owned(), key));
    }
    if deploy_and_wait(&ops, &name, &synthesized.template, &values, progress).await?
        && change == BootstrapChange::Unchanged
    {
        change = BootstrapChange::Updated;
    }
    let outputs = read_bootstrap(clients, &environment.deployment_name).await?;
    Ok((change, outputs))
}

async fn upload(clients: &Clients, bucket: &str, key: &str, zip: &[u8]) -> Result<()> {
    let s3 = &clients.s3;
    let exists = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok();
    if !exists {
        call("S3.PutObject", || {
            s3.put_object()
                .bucket(bucket)
                .key(key)
                .content_type("application/zip")
                .body(zip.to_vec().into())
                .send()
        })
        .await?;
    }
    Ok(())
}

fn outputs_of(name: &str, outputs: &[(String, String)]) -> Result<BootstrapOutputs> {
    BootstrapOutputs::from_outputs(outputs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(
        |e| DeployError::NotBootstrapped {
            deployment_name: name.trim_end_matches("-bootstrap").to_owned(),
            reason: e.to_string(),
        },
    )
}

/// Reads a deployment's environment from its bootstrap stack.
pub async fn read_bootstrap(clients: &Clients, deployment_name: &str) -> Result<BootstrapOutputs> {
    let name = stack_name(deployment_name).map_err(|e| DeployError::NotBootstrapped {
        deployment_name: deployment_name.to_owned(),
        reason: e.to_string(),
    })?;
    let ops = StackOps::new(clients.clone(), None);
    let info = ops
        .describe(name.as_str())
        .await?
        .ok_or_else(|| DeployError::NotBootstrapped {
            deployment_name: deployment_name.to_owned(),
            reason: format!(
                "no stack {name}: run `lisa-ops bootstrap --config environment.json` first"
            ),
        })?;
    match info.status.class() {
        StackClass::Complete | StackClass::RolledBack | StackClass::InProgress => {}
        StackClass::AwaitingExecution
        | StackClass::FailedNeedsDelete
        | StackClass::FailedNeedsContinueRollback
        | StackClass::Deleted => {
            return Err(DeployError::NotBootstrapped {
                deployment_name: deployment_name.to_owned(),
                reason: format!("stack {name} is {}", info.status.as_str()),
            });
        }
    }
    outputs_of(name.as_str(), &info.outputs)
}
