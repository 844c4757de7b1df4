//! The command line: what each subcommand takes, with its help text.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Turns model definitions (the Admin API's JSON payloads) into CloudFormation stacks.
///
/// Exit codes: 0 success, 1 invalid input (every problem is printed), 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "lisa-synth", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check model definitions (or update payloads) and print every error with its JSON path.
    ///
    /// Prints one line per error as `FILE: PATH: message`; exits 0 when every file is valid, 1
    /// otherwise. A directory stands for the `*.json` files directly inside it.
    Validate(ValidateArgs),
    /// Synthesize one CloudFormation template per model definition.
    ///
    /// With one model and no --out, the template goes to standard output. With --out, each model's
    /// template is written to DIR/<stack-name>.template.json (or .yaml). Invalid definitions fail
    /// with their validation errors, and then nothing is written.
    Synth(SynthArgs),
    /// Print the JSON Schema of the model definition (or of the update payload with --update),
    /// for editors that check JSON files against a schema.
    Schema(SchemaArgs),
    /// Deploy a deployment's bootstrap stack (model registry, LiteLLM registration function)
    /// from an environment file. Exit codes: 0 done, 1 invalid config, 2 usage or I/O error,
    /// 3 AWS failure.
    Bootstrap(crate::commands::bootstrap::BootstrapArgs),
    /// List, get, create, update and delete the models of a deployment (the Admin API's JSON on
    /// standard output, progress on standard error). Exit codes: 0 the model reached its goal,
    /// 1 invalid input or refused by a rule (nothing changed), 2 usage or I/O error, 3 AWS
    /// failure or the model did not reach its goal.
    Models(crate::commands::models::ModelsArgs),
    /// Show what deploying a folder of model definitions would change: new, changed (with the
    /// resources the change set would touch and whether any is replaced), unchanged, absent.
    Diff(crate::commands::fleet::DiffArgs),
    /// Deploy a folder of model definitions: create the new, update the changed and, with
    /// --prune, delete the absent, many stacks at once. Exit codes as for `models`.
    Deploy(crate::commands::fleet::DeployArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Model definition files or directories of them.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// The files are update payloads (`PUT /models/{modelId}`), not model definitions.
    #[arg(long)]
    pub update: bool,
    /// Also check that each model can be deployed in this region: a supported region that
    /// offers its instance type.
    #[arg(long, value_name = "REGION", conflicts_with = "update")]
    pub region: Option<String>,
    /// How errors are printed.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Text)]
    pub format: ErrorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// `FILE: PATH: message`, one line per error.
    Text,
    /// A JSON array of `{"file", "path", "message"}` objects (plus `line` and `column` for
    /// malformed JSON), for tools.
    Json,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Model definition files or directories of them.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Write one template per model into this directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// Prefix of every stack name: stacks are named <deployment-name>-<modelId>.
    #[arg(long, default_value = "lisa", value_name = "NAME")]
    pub deployment_name: String,
    /// Synthesize the models as stopped: no instances, not registered with LiteLLM.
    #[arg(long)]
    pub stopped: bool,
    /// Serve the load balancer over HTTPS; the stack then takes a CertificateArn parameter.
    #[arg(long)]
    pub https: bool,
    /// Also check that each model can be deployed in this region: a supported region that
    /// offers its instance type.
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// How validation errors are printed.
    #[arg(long, value_enum, default_value_t = ErrorFormat::Text)]
    pub error_format: ErrorFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TemplateFormat {
    /// Pretty-printed JSON.
    Json,
    /// YAML (long-form intrinsic functions, e.g. `Fn::Sub:`).
    Yaml,
}

impl TemplateFormat {
    /// The file extension of a template in this format.
    pub fn extension(self) -> &'static str {
        match self {
            TemplateFormat::Json => "template.json",
            TemplateFormat::Yaml => "template.yaml",
        }
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of the update payload instead.
    #[arg(long)]
    pub update: bool,
}
