//! What every AWS command shares: the deployment and connection options, the runtime, and exit
//! codes (progress on standard error is [`super::progress`]'s).

use clap::Args;
use lisa_deploy::{Clients, DeployError, Deployer, DeployerOptions, ErrorClass};
use lisa_synth::Diagnostics;
use std::process::ExitCode;

/// The exit codes of the AWS commands besides 0 (the operation reached its goal).
pub mod exit {
    /// Invalid input, or a request a rule refused (nothing was changed).
    pub const REFUSED: u8 = 1;
    /// Usage or I/O error, or a configuration the operator must change (credentials, region,
    /// endpoint, a deployment not bootstrapped or lacking a function).
    pub const USAGE: u8 = 2;
    /// AWS failed, or the model did not reach its goal (Failed, rolled back).
    pub const FAILED: u8 = 3;
}

/// How to reach AWS. The SDK's own environment variables apply too (`AWS_PROFILE`,
/// `AWS_REGION`, `AWS_ENDPOINT_URL`, ...).
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// The AWS region (default: the SDK's, from AWS_REGION or the profile).
    #[arg(long, value_name = "REGION", global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (an emulator, a VPC endpoint).
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint_url: Option<String>,
}

impl ConnectionArgs {
    /// The clients.
    pub async fn clients(&self) -> Clients {
        Clients::load(self.region.clone(), self.endpoint_url.clone()).await
    }
}

/// Which deployment, and how to reach AWS.
#[derive(Debug, Args, Clone)]
pub struct AwsArgs {
    /// The deployment: its bootstrap stack is <NAME>-bootstrap, its models <NAME>-<modelId>.
    /// A letter, then letters and digits only (no '-': it ends the deployment's part of a
    /// stack name, so no deployment's stacks start with another's prefix).
    #[arg(long, default_value = "lisa", value_name = "NAME", global = true)]
    pub deployment_name: String,
    /// Region and endpoint.
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// Skip the checks before a create or a resize (instance type offered in the region and in
    /// two Availability Zones of the subnets, vCPU quota), for accounts where those calls are
    /// not allowed.
    #[arg(long, global = true)]
    pub skip_preflight: bool,
}

impl AwsArgs {
    /// A deployer of the deployment.
    pub async fn deployer(&self) -> Result<Deployer, DeployError> {
        let options = DeployerOptions {
            deployment_name: self.deployment_name.clone(),
            skip_preflight: self.skip_preflight,
            ..DeployerOptions::default()
        };
        Deployer::connect(self.connection.clients().await, options).await
    }
}

/// Runs an async command on a runtime of its own.
pub fn block_on<F: std::future::Future<Output = ExitCode>>(future: F) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(future),
        Err(error) => {
            Diagnostics::error(format_args!("cannot start the async runtime: {error}"));
            ExitCode::from(exit::USAGE)
        }
    }
}

/// Prints an error on standard error and gives its exit code, from its class.
pub fn fail(error: &DeployError) -> ExitCode {
    Diagnostics::error(format_args!("{error}"));
    ExitCode::from(exit_code(error.class()))
}

/// The exit code of an error class: 1 when the request was refused as it stands (nothing
/// changed), 2 when the operator must change the deployment or this machine first, 3 when AWS
/// failed (trying again later may help).
pub fn exit_code(class: ErrorClass) -> u8 {
    match class {
        ErrorClass::NotFound
        | ErrorClass::Exists
        | ErrorClass::Busy
        | ErrorClass::Refused
        | ErrorClass::Invalid => exit::REFUSED,
        ErrorClass::Misconfigured => exit::USAGE,
        ErrorClass::Unavailable | ErrorClass::Internal => exit::FAILED,
    }
}

/// Prints one JSON document on standard output.
pub fn print_json(value: &serde_json::Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            if let Err(failure) = lisa_synth::product(format!("{text}\n").as_bytes()) {
                failure.exit_now();
            }
        }
        Err(error) => Diagnostics::error(format_args!("cannot print JSON: {error}")),
    }
}
