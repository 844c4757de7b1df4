//! `lisa-ops bootstrap`: deploys a deployment's bootstrap stack from `environment.json`.

use super::aws_common::{ConnectionArgs, block_on, exit, fail, print_json};
use super::progress::{Subject, reporter};
use clap::Args;
use lisa_constructs::environment::Environment;
use lisa_deploy::{
    BootstrapChange, BootstrapFunction, BootstrapProblem, Polling, bootstrap, check_bootstrap,
};
use lisa_synth::Diagnostics;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `lisa-ops bootstrap --config FILE [--registrar-zip ZIP] [--lifecycle-zip ZIP]`.
#[derive(Debug, Args)]
pub struct BootstrapArgs {
    /// The environment (JSON: deploymentName, vpcId, subnetIds, modelsBucketName,
    /// loadBalancerIngressCidr or loadBalancerIngressSecurityGroupId, litellmEndpoint,
    /// litellmMasterKeySecretArn; optional certificateArn, registrationSubnetIds,
    /// registrationSecurityGroupIds). Unknown keys are refused.
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// The registration function's code (a Lambda zip holding `bootstrap`, as
    /// `scripts/package-functions` writes `lisa-registrar.zip`); uploaded content-addressed, so
    /// the same zip changes nothing and a new one updates the function.
    #[arg(long, value_name = "ZIP")]
    pub registrar_zip: Option<PathBuf>,
    /// The lifecycle function's code (a Lambda zip holding `bootstrap`, as
    /// `scripts/package-functions` writes `lisa-lifecycle.zip`): the function model schedules
    /// invoke to stop and start models. Uploaded content-addressed like the registrar's;
    /// without it the deployed code is kept.
    #[arg(long, value_name = "ZIP")]
    pub lifecycle_zip: Option<PathBuf>,
    /// Skip the network checks (that the VPC, the subnets and the security groups of the config
    /// exist: EC2 describe calls), for accounts where those calls are not allowed. The packages
    /// are checked on this machine in any case.
    #[arg(long)]
    pub skip_preflight: bool,
    /// Region and endpoint (the deployment name comes from the config file).
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// One problem found before uploading, as the operator can find it: a package by its flag and
/// file, anything else by the config file.
fn problem_line(args: &BootstrapArgs, problem: &BootstrapProblem) -> String {
    match problem {
        BootstrapProblem::Package { function, problem } => {
            let (flag, path) = match function {
                BootstrapFunction::Registration => ("--registrar-zip", &args.registrar_zip),
                BootstrapFunction::Lifecycle => ("--lifecycle-zip", &args.lifecycle_zip),
            };
            let path = path
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string());
            format!("{flag} {path}: {problem}")
        }
        BootstrapProblem::Missing { .. } | BootstrapProblem::OutsideVpc { .. } => {
            format!("{}: {problem}", args.config.display())
        }
    }
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
    let (registrar_zip, lifecycle_zip) = match (
        read_zip(args.registrar_zip.as_deref()),
        read_zip(args.lifecycle_zip.as_deref()),
    ) {
        (Ok(registrar), Ok(lifecycle)) => (registrar, lifecycle),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    block_on(async {
        let clients = args.connection.clients().await;
        let name = format!("{}-bootstrap", environment.deployment_name);
        match check_bootstrap(
            &clients,
            &environment,
            registrar_zip.as_deref(),
            lifecycle_zip.as_deref(),
            !args.skip_preflight,
        )
        .await
        {
            Ok(problems) if problems.is_empty() => {}
            Ok(problems) => {
                for problem in &problems {
                    eprintln!("{}", problem_line(args, problem));
                }
                eprintln!(
                    "bootstrap: {} problem(s); nothing was uploaded or deployed",
                    problems.len()
                );
                return ExitCode::from(exit::USAGE);
            }
            Err(error) => return fail(&error),
        }
        eprintln!("bootstrap: deploying {name}");
        let mut report = reporter(name.clone(), Subject::Other);
        match bootstrap(
            &clients,
            &environment,
            registrar_zip.as_deref(),
            lifecycle_zip.as_deref(),
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
                if outputs.lifecycle_function_arn.is_none() {
                    eprintln!(
                        "bootstrap: no lifecycle function yet; models with a schedule need it: run again with --lifecycle-zip before giving a model a schedule"
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
                    "lifecycleFunctionArn": outputs.lifecycle_function_arn,
                    "environment": outputs.environment,
                }));
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error),
        }
    })
}

/// Reads a function's zip, when one is named; a file that cannot be read is a usage error.
fn read_zip(path: Option<&Path>) -> Result<Option<Vec<u8>>, ExitCode> {
    let Some(path) = path else {
        return Ok(None);
    };
    std::fs::read(path).map(Some).map_err(|error| {
        Diagnostics::error(format_args!("cannot read {}: {error}", path.display()));
        ExitCode::from(exit::USAGE)
    })
}
