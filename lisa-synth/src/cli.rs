//! The command line: what each subcommand takes, with its help text. Flags mean the same thing
//! in every command: `--format` is the format of the product (a template), `--error-format` the
//! format of the problems, `--region` the regions to check, `-q` silences notes and summaries.

use crate::output::EXIT_CODES_HELP;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// How inputs are found, for `--help`.
pub const INPUTS_HELP: &str = "Inputs: each FILE is read whatever its name; `-` reads standard \
input (once). A DIR stands for the regular files directly inside it whose names end in `.json` \
(any case), in name order; hidden files (names starting with `.`, such as macOS's `._x.json`), \
subdirectories, broken links and other files are skipped, and each skip is noted on standard \
error. A DIR without any definition is a usage error. A payload is at most 6 MiB (the Admin \
API's request limit); a UTF-8 byte-order mark is accepted; a key given twice is refused.";

/// Validates model definitions (the Admin API's JSON payloads), turns them into CloudFormation
/// stacks, deploys and manages them on AWS, and serves the Admin API over HTTP.
#[derive(Debug, Parser)]
#[command(name = "lisa-synth", version, propagate_version = true, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Print only errors: no notes, no summaries.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check model definitions (or update payloads): the same gate as `synth`.
    ///
    /// Prints every problem on standard error as `FILE: PATH: message` and exits 0 when every
    /// file is valid, 1 otherwise. A definition that `validate` accepts, `synth` accepts, and the
    /// reverse: both read, check and synthesize the same way (duplicate modelIds included).
    #[command(after_help = help_with_inputs())]
    Validate(ValidateArgs),
    /// Synthesize one CloudFormation template per model definition.
    ///
    /// With one model and no --out, the template goes to standard output. With --out, each
    /// model's template is written to DIR/<stack-name>.template.json (or .yaml), all or nothing:
    /// the templates are written to a temporary folder on DIR's file system (inside DIR when it
    /// exists, beside it otherwise) and then moved in. A template
    /// over CloudFormation's 1 MB limit is refused; one over the 51,200-byte inline limit is
    /// noted on standard error (upload it to S3 to deploy it).
    #[command(after_help = help_with_inputs())]
    Synth(SynthArgs),
    /// List the stack names of model definitions, one per line, in input order.
    #[command(after_help = help_with_inputs())]
    Ls(LsArgs),
    /// Print the JSON Schema of the model definition (or of the update payload with --update),
    /// for editors that check JSON files against a schema.
    #[command(after_help = EXIT_CODES_HELP)]
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
    /// Serve the Admin Model Management API over HTTP for one deployment.
    ///
    /// `GET /models`, `GET /models/{modelId}`, `POST /models`, `PUT /models/{modelId}` and
    /// `DELETE /models/{modelId}` take and return the Admin API's JSON, for admins only
    /// (`Authorization: Bearer <token>`); `GET /health` and `GET /openapi.json` are open. The
    /// deployment must be bootstrapped (`lisa-synth bootstrap`). Operations that change stacks
    /// answer at once with the new status and go on in the background; the registry and the
    /// stacks hold all state, so a restart loses nothing and several servers may share one
    /// deployment. One line per request (method, path, status, latency) goes to standard error.
    /// Ctrl-C or SIGTERM stops the server after the requests under way.
    #[command(after_help = SERVE_HELP)]
    Serve(ServeArgs),
}

/// More on `serve`, for `--help`.
pub const SERVE_HELP: &str = "Admin tokens: --tokens-file FILE (one token per line, `#` \
comments) or else LISA_ADMIN_TOKENS (comma-separated); each at least 16 characters. The server \
refuses to start without one.\n\nAWS: the SDK's usual settings apply (AWS_PROFILE, \
AWS_REGION, AWS_ENDPOINT_URL, ...); --region and --endpoint-url override them.\n\nExit codes: \
0 stopped by a signal; 2 cannot start (no token, not bootstrapped, address in use).";

fn help_with_inputs() -> String {
    format!("{INPUTS_HELP}\n\n{EXIT_CODES_HELP}")
}

/// Inputs and checks shared by every command that reads definitions.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Model definition files, directories of them, or `-` for standard input.
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    pub paths: Vec<PathBuf>,
    /// Also check that each model can be deployed in these regions: supported regions that
    /// offer its instance type. Repeat the flag or separate regions with commas. Without it,
    /// AWS_REGION (or else AWS_DEFAULT_REGION) is checked when set.
    #[arg(long = "region", value_name = "REGION", value_delimiter = ',')]
    pub regions: Vec<String>,
    /// How problems are printed (on standard error).
    #[arg(long, value_enum, default_value_t = ErrorFormat::Text)]
    pub error_format: ErrorFormat,
}

/// The stack name's prefix, shared by `synth` and `ls`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Prefix of every stack name: stacks are named <deployment-name>-<modelId>.
    #[arg(long, default_value = "lisa", value_name = "NAME")]
    pub deployment_name: String,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The files are update payloads (`PUT /models/{modelId}`), not model definitions.
    #[arg(long, conflicts_with = "regions")]
    pub update: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// `FILE: PATH: message`, one line per problem.
    Text,
    /// One JSON array of `{"file", "path", "message"}` objects (plus `line` and `column` for
    /// malformed JSON), for tools: it is all standard error holds (no notes, no summary).
    Json,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub names: NameArgs,
    /// Write one template per model into this directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Template format.
    #[arg(long, value_enum, default_value_t = TemplateFormat::Json)]
    pub format: TemplateFormat,
    /// Synthesize the models as stopped: no instances, not registered with LiteLLM.
    #[arg(long)]
    pub stopped: bool,
    /// Serve the load balancer over HTTPS; the stack then takes a CertificateArn parameter.
    #[arg(long)]
    pub https: bool,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub names: NameArgs,
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
pub struct ServeArgs {
    /// The address to listen on. Use 0.0.0.0:PORT to accept connections from other hosts.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// A file of admin tokens, one per line (else LISA_ADMIN_TOKENS).
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
    #[command(flatten)]
    pub aws: crate::commands::aws_common::AwsArgs,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of the update payload instead.
    #[arg(long)]
    pub update: bool,
}
