//! `lisa-ops bootstrap`: deploys a deployment's bootstrap stack from `environment.json`.

use super::aws_common::{ConnectionArgs, block_on, exit, fail, print_json, progress};
use clap::Args;
use lisa_constructs::environment::Environment;
use lisa_deploy::bootstrap::{BootstrapChange, bootstrap};
use lisa_deploy::stacks::Polling;
use lisa_synth::output::Diagnostics;
use std::path::PathBuf;
use std::process::ExitCode;

/// `lisa-ops bootstrap --config FILE [--registrar-zip ZIP]`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The environment (JSON: deploymentName, vpcId, subnetIds, modelsBucketName,
    /// loadBalancerIngressCidr or loadBalancerIngressSecurityGroupId, litellmEndpoint,
    /// litellmMasterKeySecretArn; optional certificateArn, registrationSubnetIds,
    /// registrationSecurityGroupIds). Unknown keys are refused.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The registration function's code (a Lambda zip holding `bootstrap`); uploaded
    /// content-addressed, so the same zip changes nothing and a new one updates the function.
    #[arg(long, value_name = "ZIP")]
    pub registrar_zip: Option<PathBuf>,
    /// Region and endpoint (the deployment name comes from the config file).
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

pub fn run(args: &BootstrapArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.config) {
        Ok(text) => text,
        Err(error) => {
            Diagnostics::error(format_args!(
                "cannot read {}: {error}",
                args.config.display()
            ));
            return ExitCode::from(exit::USAGE);
        }
    };
    let environment = match Environment::from_json_str(&text) {
        Ok(environment) => environment,
        Err(error) => {
            for line in error.to_string().lines() {
                eprintln!("{}: {line}", args.config.display());
            }
            return ExitCode::from(exit::REFUSED);
        }
    };
    let zip = match &args.registrar_zip {
        Some(path) => match std::fs::read(path) {
            Ok(bytes) => Some(bytes),
            Err(error) => {
                Diagnostics::error(format_args!("cannot read {}: {error}", path.display()));
                return ExitCode::from(exit::USAGE);
            }
        },
        None => None,
    };
    block_on(async {
        let clients = args.connection.clients().await;
        let name = format!("{}-bootstrap", environment.deployment_name);
        eprintln!("bootstrap: deploying {name}");
        let mut report = progress(name.clone(), None);
        match bootstrap(
            &clients,
            &environment,
            zip.as_deref(),
            Polling::default(),
            &mut report,
        )
        .await
        {
            Ok((change, outputs)) => {
                let said = match change {
                    BootstrapChange::Created => "created",
                    BootstrapChange::Updated => "updated",
                    BootstrapChange::Unchanged => "unchanged: nothing to do",
                };
                eprintln!("bootstrap: {name} {said}");
                if outputs.registration_function_arn.is_none() {
                    eprintln!(
                        "bootstrap: no registration function yet; run again with --registrar-zip before creating models"
                    );
                }
                print_json(&serde_json::json!({
                    "stackName": name,
                    "change": match change {
                        BootstrapChange::Created => "created",
                        BootstrapChange::Updated => "updated",
                        BootstrapChange::Unchanged => "unchanged",
                    },
                    "registryTableName": outputs.registry_table_name,
                    "artifactsBucketName": outputs.artifacts_bucket_name,
                    "registrationFunctionArn": outputs.registration_function_arn,
                    "environment": outputs.environment,
                }));
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        }
    })
}
