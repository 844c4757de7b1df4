//! `lisa-ops diff` and `lisa-ops deploy`: a folder of model definitions is the desired
//! fleet; diff shows what a deploy would change, deploy does it. `diff` and `deploy --dry-run`
//! are one review: the plan with each change set previewed, after the preflight checks of what
//! it grows (their warnings and refusals on standard error).
//!
//! `--prune` deletes what the folders do not hold, so it takes folders only (a few files are not
//! a fleet, and would make every other model absent), and deletes only what the operator
//! confirmed: with `--yes` (a pipeline), or by typing `yes` at a terminal after the list of
//! models it would delete. Unconfirmed, the deploy changes nothing at all.

use super::aws_common::{AwsArgs, block_on, exit, fail};
use clap::Args;
use lisa_constructs::model::ModelDefinition;
use lisa_deploy::Deployer;
use lisa_deploy::{AppliedItem, PlanItem, apply_fleet, plan_fleet, preflight_fleet};
use lisa_synth::{Diagnostics, Failure, InputSpec};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// `lisa-ops diff FILE_OR_DIR...`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Model definition files or directories of them: the desired fleet.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `lisa-ops deploy FILE_OR_DIR...`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Model definition files or directories of them: the desired fleet.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Also delete the deployed models that are not in the folders (directories only). The
    /// models to delete are listed and must be confirmed: at a terminal by typing `yes`,
    /// elsewhere with --yes; unconfirmed, nothing at all is changed.
    #[arg(long)]
    pub prune: bool,
    /// Confirm what --prune deletes without asking (for pipelines; review the plan with
    /// --dry-run first).
    #[arg(long, requires = "prune")]
    pub yes: bool,
    /// Print the plan and stop: what `diff` prints (each change set previewed), changing
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How many models are deployed at once.
    #[arg(long, default_value_t = 4, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The definitions of the fleet, through the same gate as `validate` (every problem of every
/// file, duplicate model ids, the deployment region when given).
fn read_all(paths: &[PathBuf], aws: &AwsArgs) -> Result<Vec<ModelDefinition>, ExitCode> {
    let input = InputSpec {
        regions: aws.connection.region.iter().cloned().collect(),
        ..InputSpec::of_paths(paths.to_vec())
    };
    lisa_synth::definitions(&input, Diagnostics { quiet: false })
        .map(|read| read.into_iter().map(|(_, d)| d.into_inner()).collect())
        .map_err(Failure::exit)
}

/// Prints the plan on standard output, one line per model (and one per resource a change set
/// touches), through the shared writer: a reader that went away ends the command quietly.
fn print_plan(plan: &[PlanItem], prune: bool) {
    if let Err(failure) = lisa_synth::product(plan_text(plan, prune).as_bytes()) {
        failure.exit_now();
    }
}

fn plan_text(plan: &[PlanItem], prune: bool) -> String {
    let mut text = String::new();
    for item in plan {
        let line = match item {
            PlanItem::Create(definition) => format!("+ create     {}\n", definition.model_id),
            PlanItem::Update {
                definition,
                changes: None,
                ..
            } => format!("~ update     {}\n", definition.model_id),
            PlanItem::Update {
                definition,
                changes: Some(changes),
                ..
            } => {
                let replaced = changes
                    .iter()
                    .filter(|c| c.replacement.as_deref() == Some("True"))
                    .count();
                let mut lines = format!(
                    "~ update     {}  ({} resource(s) change, {replaced} replaced)\n",
                    definition.model_id,
                    changes.len()
                );
                for change in changes {
                    let replacement = change
                        .replacement
                        .as_deref()
                        .map_or_else(String::new, |r| format!("  replacement: {r}"));
                    lines.push_str(&format!(
                        "    {:<8} {:<40} {}{replacement}\n",
                        change.action, change.logical_id, change.resource_type
                    ));
                }
                lines
            }
            PlanItem::Unchanged(id) => format!("= unchanged  {id}\n"),
            PlanItem::Absent(id) if prune => format!("- delete     {id}\n"),
            PlanItem::Absent(id) => {
                format!("? absent     {id}  (deployed, not in the folder; --prune deletes it)\n")
            }
        };
        text.push_str(&line);
    }
    text
}

/// The preflight checks of what `plan` grows (none when they are off), each warning and
/// refusal printed on standard error; the models refused.
async fn check_plan(deployer: &Deployer, plan: &[PlanItem], aws: &AwsArgs) -> Vec<String> {
    if aws.skip_preflight {
        return Vec::new();
    }
    let mut refused = Vec::new();
    for checked in preflight_fleet(deployer, plan).await {
        match checked.result {
            Ok(warnings) => {
                for warning in warnings {
                    eprintln!("{}: preflight warning: {warning}", checked.model_id);
                }
            }
            Err(error) => {
                eprintln!("{}: {error}", checked.model_id);
                refused.push(checked.model_id);
            }
        }
    }
    refused
}

/// What `diff` and `deploy --dry-run` show: the plan with each change set previewed, after the
/// preflight checks. One path, so the two never disagree.
async fn review(
    deployer: &Deployer,
    definitions: Vec<ModelDefinition>,
    aws: &AwsArgs,
    prune: bool,
) -> ExitCode {
    match plan_fleet(deployer, definitions, true).await {
        Ok(plan) => {
            check_plan(deployer, &plan, aws).await;
            print_plan(&plan, prune);
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

pub fn diff(args: &DiffArgs) -> ExitCode {
    let definitions = match read_all(&args.paths, &args.aws) {
        Ok(definitions) => definitions,
        Err(code) => return code,
    };
    block_on(async {
        match args.aws.deployer().await {
            Ok(deployer) => review(&deployer, definitions, &args.aws, false).await,
            Err(error) => fail(&error),
        }
    })
}

/// Files given with `--prune`: refused, since everything deployed that they do not name would
/// be deleted.
fn prune_needs_folders(args: &DeployArgs) -> Result<(), ExitCode> {
    let files: Vec<String> = args
        .paths
        .iter()
        .filter(|path| args.prune && !path.is_dir())
        .map(|path| path.display().to_string())
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "--prune deletes every deployed model that the folders do not hold, so it takes directories only, not {}; deploy files without --prune, or give the fleet's folder",
        files.join(", ")
    ))
    .exit())
}

/// The operator's go-ahead for what `--prune` deletes: `--yes`, or `yes` typed at a terminal.
fn confirm_prune(plan: &[PlanItem], args: &DeployArgs) -> Result<(), ExitCode> {
    let doomed: Vec<&str> = plan
        .iter()
        .filter_map(|item| match item {
            PlanItem::Absent(id) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    if !args.prune || doomed.is_empty() || args.yes {
        return Ok(());
    }
    let list = doomed.join(", ");
    let count = doomed.len();
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Failure::Usage(format!(
            "--prune would delete {count} model(s) and their stacks: {list}; nothing was changed. Run again with --yes to delete them"
        ))
        .exit());
    }
    eprint!("--prune deletes {count} model(s) and their stacks: {list}\nType yes to go on: ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if answer.trim() == "yes" {
        return Ok(());
    }
    eprintln!("deploy: not confirmed; nothing was changed");
    Err(ExitCode::from(exit::REFUSED))
}

pub fn deploy(args: &DeployArgs) -> ExitCode {
    if let Err(code) = prune_needs_folders(args) {
        return code;
    }
    let definitions = match read_all(&args.paths, &args.aws) {
        Ok(definitions) => definitions,
        Err(code) => return code,
    };
    block_on(async {
        let deployer = match args.aws.deployer().await {
            Ok(deployer) => deployer,
            Err(error) => return fail(&error),
        };
        if args.dry_run {
            return review(&deployer, definitions, &args.aws, args.prune).await;
        }
        let plan = match plan_fleet(&deployer, definitions, false).await {
            Ok(plan) => plan,
            Err(error) => return fail(&error),
        };
        let refused = check_plan(&deployer, &plan, &args.aws).await;
        print_plan(&plan, args.prune);
        if let Err(code) = confirm_prune(&plan, args) {
            return code;
        }
        // The checks ran above (or are off): the models refused are left out, reported failed.
        let plan: Vec<PlanItem> = plan
            .into_iter()
            .filter(|item| !refused.iter().any(|id| id == item.model_id()))
            .collect();
        let deployer = deployer.skipping_preflight();
        let started = Instant::now();
        let mut done = |applied: &AppliedItem| match &applied.result {
            Ok(Some(record)) => eprintln!(
                "{:>7.1}s  {}: {}{}",
                started.elapsed().as_secs_f64(),
                applied.model_id,
                record.status,
                record
                    .failure_reason
                    .as_deref()
                    .map_or_else(String::new, |r| format!(" ({r})"))
            ),
            Ok(None) => eprintln!(
                "{:>7.1}s  {}: deleted",
                started.elapsed().as_secs_f64(),
                applied.model_id
            ),
            Err(error) => eprintln!(
                "{:>7.1}s  {}: {error}",
                started.elapsed().as_secs_f64(),
                applied.model_id
            ),
        };
        let results = apply_fleet(
            &deployer,
            plan,
            args.prune,
            usize::from(args.concurrency),
            &mut done,
        )
        .await;
        let failed = results.iter().filter(|r| !r.succeeded()).count() + refused.len();
        eprintln!(
            "deploy: {} model(s) changed, {failed} failed, in {:.1} s",
            results.len(),
            started.elapsed().as_secs_f64()
        );
        if failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(exit::FAILED)
        }
    })
}
