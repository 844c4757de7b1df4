//! The operator command line: what each subcommand takes, with its help text. The AWS options
//! (`--deployment-name`, `--region`, `--endpoint-url`, `--skip-preflight`) mean the same in
//! every command.

use crate::commands::{bootstrap, fleet, models, serve};
use clap::{Parser, Subcommand};

/// Operates a deployment on AWS: bootstraps it, creates, updates and deletes its models (one
/// CloudFormation stack each, recorded in the deployment's registry), deploys a folder of
/// definitions as a fleet, and serves the Admin Model Management API over HTTP.
///
/// Definitions are read and checked exactly as `lisa-synth validate` reads them; to see a
/// model's template without AWS, use `lisa-synth synth`.
#[derive(Debug, Parser)]
#[command(name = "lisa-ops", version, propagate_version = true, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Print only errors: no notes, no summaries.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The exit codes, for `--help`.
pub const EXIT_CODES_HELP: &str = "Exit codes: 0 the operation reached its goal; 1 invalid \
input, or a request refused as it stands: no such model, exists already, busy with another \
operation, a rule (nothing changed); 2 usage or I/O error, or a configuration the operator must \
change (credentials, region, an unreachable endpoint, a deployment not bootstrapped or lacking a \
function); 3 an AWS failure, or the model did not reach its goal. 141: standard output closed by its reader.\n\nStandard output \
carries only the product (the Admin API's JSON, a plan); progress, problems and notes go to \
standard error.";

/// Parses the command line. `--help` and `--version` print their text on standard output and end
/// with 0; a usage error is printed on standard error and ends with 2.
pub fn parse_or_exit() -> Result<Cli, std::process::ExitCode> {
    Cli::try_parse().map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            std::process::ExitCode::from(lisa_synth::EXIT_USAGE)
        } else {
            std::process::ExitCode::SUCCESS
        }
    })
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Deploy a deployment's bootstrap stack (model registry, LiteLLM registration function,
    /// lifecycle function for model schedules) from an environment file. Before anything is
    /// uploaded, each function package is checked (a zip holding an executable `bootstrap` for
    /// x86_64) and, unless --skip-preflight, that the VPC, subnets and security groups exist;
    /// every problem is reported at once. Exit codes: 0 done, 1 invalid config, 2 usage or I/O
    /// error, or a problem found before uploading (nothing uploaded), 3 AWS failure.
    Bootstrap(bootstrap::BootstrapArgs),
    /// List, get, create, update, delete and watch the models of a deployment, and show, set and
    /// remove their schedules (the Admin API's JSON on standard output, progress on standard
    /// error: each stack event, and while the stack works without news a heartbeat line every
    /// 30 s, or every LISA_HEARTBEAT_SECONDS, 0 for none, saying what it waits for). Exit codes:
    /// 0 the model reached its goal, 1 invalid input or refused as it stands (nothing changed),
    /// 2 usage or I/O error or a configuration to change, 3 AWS failure or the model did not
    /// reach its goal.
    Models(models::ModelsArgs),
    /// Show what deploying a folder of model definitions would change: new, changed (with the
    /// resources the change set would touch and whether any is replaced), unchanged, absent,
    /// after the preflight checks of the new and the resized models (warnings on standard
    /// error). The same as `deploy --dry-run`.
    Diff(fleet::DiffArgs),
    /// Deploy a folder of model definitions: create the new, update the changed and, with
    /// --prune (folders only, confirmed with --yes or at a terminal), delete the absent, many
    /// stacks at once. Exit codes as for `models`; an unconfirmed prune is a usage error (2)
    /// that changes nothing.
    Deploy(fleet::DeployArgs),
    /// Serve the Admin Model Management API over HTTP for one deployment.
    ///
    /// `GET /models`, `GET /models/{modelId}`, `POST /models`, `PUT /models/{modelId}` and
    /// `DELETE /models/{modelId}`, and `GET`, `PUT` and `DELETE /models/{modelId}/schedule`
    /// for a model's schedule, take and return the Admin API's JSON, for admins only
    /// (`Authorization: Bearer <token>`); `GET /health` and `GET /openapi.json` are open. The
    /// deployment must be bootstrapped (`lisa-ops bootstrap`). Operations that change stacks
    /// answer at once with the new status and go on in the background; the registry and the
    /// stacks hold all state, so a restart loses nothing and several servers may share one
    /// deployment. One line per request (method, path, status, latency) goes to standard error.
    /// Operations run detached from their requests, so a client that hangs up cancels none.
    /// Ctrl-C or SIGTERM stops the server after the requests and the operations under way
    /// (at most --shutdown-timeout seconds). Slow, numerous and eager clients are held off by
    /// --header-timeout, --request-timeout, --max-connections and --rate-limit.
    #[command(after_help = serve::SERVE_HELP)]
    Serve(serve::ServeArgs),
}
