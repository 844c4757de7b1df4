//! The command line: what each subcommand takes, with its help text. Flags mean the same thing
//! in every command: `--format` is the format of the product (a template), `--error-format` the
//! format of the problems, `--region` the regions to check, `-q` silences notes and summaries.

use clap::{Args, Parser, Subcommand, ValueEnum};
use lisa_synth::{EXIT_CODES_HELP, EXIT_USAGE, ErrorFormat, Failure, InputSpec, TemplateFormat};
use std::path::PathBuf;

/// How inputs are found, for `--help`.
pub const INPUTS_HELP: &str = "Inputs: each FILE is read whatever its name; `-` reads standard \
input (once). A DIR stands for the regular files directly inside it whose names end in `.json` \
(any case), in name order; hidden files (names starting with `.`, such as macOS's `._x.json`), \
subdirectories, broken links and other files are skipped, and each skip is noted on standard \
error. A DIR without any definition is a usage error. A file given twice, by another path or \
through a link, is read once. A payload is at most 6 MiB (the Admin \
API's request limit); a UTF-8 byte-order mark is accepted; a key given twice is refused.";

/// Validates model definitions (the Admin API's JSON payloads) and turns them into
/// CloudFormation stacks, one per model.
///
/// Deploying them (bootstrap, models, diff, deploy) and serving the Admin API (serve) are the
/// operator command's: `lisa-ops --help`.
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
    /// Moved to `lisa-ops`: points there and exits 2.
    #[command(hide = true, disable_help_flag = true)]
    Bootstrap(MovedArgs),
    /// Moved to `lisa-ops`.
    #[command(hide = true, disable_help_flag = true)]
    Models(MovedArgs),
    /// Moved to `lisa-ops`.
    #[command(hide = true, disable_help_flag = true)]
    Diff(MovedArgs),
    /// Moved to `lisa-ops`.
    #[command(hide = true, disable_help_flag = true)]
    Deploy(MovedArgs),
    /// Moved to `lisa-ops`.
    #[command(hide = true, disable_help_flag = true)]
    Serve(MovedArgs),
}

impl Command {
    /// The subcommand's name, as typed.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Validate(_) => "validate",
            Command::Synth(_) => "synth",
            Command::Ls(_) => "ls",
            Command::Schema(_) => "schema",
            Command::Bootstrap(_) => "bootstrap",
            Command::Models(_) => "models",
            Command::Diff(_) => "diff",
            Command::Deploy(_) => "deploy",
            Command::Serve(_) => "serve",
        }
    }
}

/// Whatever follows an operator command's name; it is not read.
#[derive(Debug, Args)]
pub struct MovedArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<std::ffi::OsString>,
}

/// The usage error of an operator command given to `lisa-synth`.
pub fn moved_to_ops(command: &str) -> Failure {
    Failure::Usage(format!(
        "`{command}` is an operator command: run `lisa-ops {command} ...` with the same flags \
(`cargo run -p lisa-ops -- {command} --help`); lisa-synth only validates and synthesizes"
    ))
}

/// Parses the command line. `--help` and `--version` print their text on standard output and end
/// with 0; a usage error is printed on standard error and ends with 2.
pub fn parse_or_exit() -> Result<Cli, std::process::ExitCode> {
    Cli::try_parse().map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            std::process::ExitCode::from(EXIT_USAGE)
        } else {
            std::process::ExitCode::SUCCESS
        }
    })
}

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
    #[arg(long, value_enum, default_value_t = ErrorFormatFlag::Text)]
    pub error_format: ErrorFormatFlag,
}

impl InputArgs {
    /// What the gate reads.
    pub fn spec(&self) -> InputSpec {
        InputSpec {
            paths: self.paths.clone(),
            regions: self.regions.clone(),
            error_format: match self.error_format {
                ErrorFormatFlag::Text => ErrorFormat::Text,
                ErrorFormatFlag::Json => ErrorFormat::Json,
            },
        }
    }
}

/// The stack name's prefix, shared by `synth` and `ls`.
#[derive(Debug, Args)]
pub struct NameArgs {
    /// Prefix of every stack name: stacks are named <deployment-name>-<modelId>. A letter, then
    /// letters and digits only (no '-': it ends the deployment's part of a stack name).
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

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormatFlag {
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
    #[arg(long, value_enum, default_value_t = FormatFlag::Json)]
    pub format: FormatFlag,
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

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatFlag {
    /// Pretty-printed JSON.
    Json,
    /// YAML (long-form intrinsic functions, e.g. `Fn::Sub:`).
    Yaml,
}

impl From<FormatFlag> for TemplateFormat {
    fn from(flag: FormatFlag) -> TemplateFormat {
        match flag {
            FormatFlag::Json => TemplateFormat::Json,
            FormatFlag::Yaml => TemplateFormat::Yaml,
        }
    }
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of the update payload instead.
    #[arg(long)]
    pub update: bool,
}
