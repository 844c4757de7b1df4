//! `lisa-ops serve`: the Admin Model Management API over HTTP, on the deployer.
//!
//! Operations answer as soon as the new status is recorded; they run detached from their
//! requests (a client that hangs up cancels nothing) and a SIGTERM waits for those under way.
//! A task per operation follows the stack to its end and records the outcome. Nothing lives
//! only in this process: the registry and the stacks are the truth and every read reconciles an
//! in-progress status with its stack, so a restart loses nothing, and several servers can share
//! one registry (its writes are guarded).

use super::aws_common::AwsArgs;
use clap::Args;
use lisa_api::{
    AdminTokens, Changed, ListEntry, ModelSchedule, ModelService, ModelView, Operations, RateLimit,
    ServeOptions, ServiceError, UnreadableModelView,
};
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::{ModelId, ModelRecord, ModelUpdate, ValidDefinition};
use lisa_deploy::{DeployError, Deployer, ErrorClass, Listed};
use lisa_synth::{CommandResult, Diagnostics, Failure};
use std::path::PathBuf;
use std::time::Duration;

/// `lisa-ops serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on. Use 0.0.0.0:PORT to accept connections from other hosts.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: String,
    /// A file of admin tokens, one per line (else LISA_ADMIN_TOKENS).
    #[arg(long, value_name = "FILE")]
    pub tokens_file: Option<PathBuf>,
    /// Seconds a client may take to send a request's headers (and an idle connection may wait
    /// for its next request); then the connection is closed.
    #[arg(long, value_name = "SECONDS", default_value_t = lisa_api::DEFAULT_HEADER_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,
    /// Seconds a request may take from its headers to its answer, its body included; then 408.
    /// An operation the request started goes on.
    #[arg(long, value_name = "SECONDS", default_value_t = lisa_api::DEFAULT_REQUEST_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Connections open at once. One client address (an IPv6 /64) holds at most an eighth of
    /// them (at least 4); its next is answered 429. At the cap a new connection takes an idle
    /// one's place; when every connection serves a request, 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = lisa_api::DEFAULT_MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_connections: u64,
    /// Requests per second from one client address, sustained; over it, 429 with Retry-After
    /// (GET /health has a bucket of its own of the same size). 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = lisa_api::DEFAULT_RATE_PER_SECOND)]
    pub rate_limit: u32,
    /// Requests one client address may send at once before --rate-limit applies.
    #[arg(long, value_name = "N", default_value_t = lisa_api::DEFAULT_RATE_BURST, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_burst: u32,
    /// At Ctrl-C or SIGTERM, seconds to wait for the requests and the operations under way.
    #[arg(long, value_name = "SECONDS", default_value_t = lisa_api::DEFAULT_SHUTDOWN_TIMEOUT.as_secs())]
    pub shutdown_timeout: u64,
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl ServeArgs {
    /// The server's limits, from the flags.
    fn options(&self) -> ServeOptions {
        ServeOptions {
            header_timeout: Duration::from_secs(self.header_timeout),
            request_timeout: Duration::from_secs(self.request_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            rate_limit: (self.rate_limit > 0).then_some(RateLimit {
                per_second: self.rate_limit,
                burst: self.rate_burst,
            }),
            shutdown_timeout: Duration::from_secs(self.shutdown_timeout),
        }
    }
}

/// More on `serve`, for `--help`.
pub const SERVE_HELP: &str = "Admin tokens: --tokens-file FILE (one token per line, `#` \
comments) or else LISA_ADMIN_TOKENS (comma-separated); each at least 16 characters. The server \
refuses to start without one.\n\nAWS: the SDK's usual settings apply (AWS_PROFILE, \
AWS_REGION, AWS_ENDPOINT_URL, ...); --region and --endpoint-url override them.\n\nOperations \
run detached from their requests: a client that hangs up cancels nothing, and one model has one \
operation at a time in this server (another request on it gets 409). Ctrl-C or SIGTERM stops \
taking connections, lets the requests under way finish, and waits for the operations under way \
to reach a safe point (their stack calls made), at most --shutdown-timeout seconds; give the \
process manager's own grace period more than that.\n\nLimits: a client is cut off after \
--header-timeout seconds without a complete request head, a request after --request-timeout \
seconds (408); one address holds at most an eighth of --max-connections (at least 4), its \
next connection is answered 429; at the cap a new connection takes an idle one's place, and \
when every connection serves a request it is answered 503; past --rate-burst requests at once \
and --rate-limit a second from one address, 429 with Retry-After (GET /health counted in a \
bucket of its own). Behind a load balancer or proxy every client shares its address: raise \
--max-connections (the share follows) and --rate-limit, or set the rate limit to 0 and limit \
there.\n\nExit codes: 0 stopped by a signal; 2 cannot start (no token, not bootstrapped, \
address in use).";

/// The variable holding the admin tokens (comma-separated) when no tokens file is given.
pub const TOKENS_VARIABLE: &str = "LISA_ADMIN_TOKENS";

pub fn run(args: &ServeArgs, diagnostics: Diagnostics) -> CommandResult {
    let tokens = admin_tokens(args)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Io(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(serve(args, tokens, diagnostics))
}

fn admin_tokens(args: &ServeArgs) -> Result<AdminTokens, Failure> {
    let (text, source) = match &args.tokens_file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| {
                Failure::Usage(format!(
                    "cannot read the tokens file {}: {e}",
                    path.display()
                ))
            })?,
            format!("the tokens file {}", path.display()),
        ),
        None => (
            std::env::var(TOKENS_VARIABLE).unwrap_or_default(),
            TOKENS_VARIABLE.to_owned(),
        ),
    };
    AdminTokens::parse_list(&text).map_err(|e| {
        Failure::Usage(format!(
            "{e} (in {source}); the server admits only admins: give tokens with --tokens-file FILE or {TOKENS_VARIABLE}"
        ))
    })
}

async fn serve(args: &ServeArgs, tokens: AdminTokens, diagnostics: Diagnostics) -> CommandResult {
    let deployer = args
        .aws
        .deployer()
        .await
        .map_err(|e| Failure::Usage(e.to_string()))?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| Failure::Usage(format!("cannot listen on {}: {e}", args.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| Failure::Io(format!("cannot read the listening address: {e}")))?;
    diagnostics.note(format_args!(
        "serving deployment {} on http://{address} (GET /openapi.json describes the API)",
        args.aws.deployment_name
    ));
    let operations = Operations::default();
    let router = lisa_api::router(DeployerService { deployer }, tokens, &operations);
    let options = args.options();
    let waiting = operations.clone();
    let bound = options.shutdown_timeout.as_secs();
    let shutdown = async move {
        shutdown_signal().await;
        let under_way = waiting.under_way();
        if !under_way.is_empty() {
            diagnostics.note(format_args!(
                "stopping: waiting for the operations on {} (at most {bound} s)",
                under_way.join(", ")
            ));
        }
    };
    let stopped = lisa_api::serve(listener, router, &options, &operations, shutdown)
        .await
        .map_err(|e| Failure::Io(format!("the server stopped: {e}")))?;
    if !stopped.unfinished.is_empty() {
        Diagnostics::error(format_args!(
            "stopped with operations still running on {}; reads reconcile them with their stacks",
            stopped.unfinished.join(", ")
        ));
    }
    diagnostics.note(format_args!("stopped"));
    Ok(())
}

/// Ctrl-C or SIGTERM: stop taking requests, finish those under way.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// The deployer as the API's lifecycle.
#[derive(Debug, Clone)]
struct DeployerService {
    deployer: Deployer,
}

/// How long a background task follows one operation before leaving it to later reads.
const FOLLOW_AT_MOST: Duration = Duration::from_secs(2 * 60 * 60);

impl DeployerService {
    /// Follows the model's operation in the background, so its status settles without a reader.
    fn follow(&self, model_id: &str) {
        let deployer = self.deployer.clone();
        let model_id = model_id.to_owned();
        tokio::spawn(async move {
            match tokio::time::timeout(FOLLOW_AT_MOST, deployer.wait(&model_id, &mut |_| {})).await
            {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(error)) => {
                    Diagnostics::error(format_args!("following model {model_id}: {error}"))
                }
            }
        });
    }
}

/// The model as the API shows it now (with its next scheduled transition).
fn view(record: &ModelRecord) -> ModelView {
    record.view()
}

/// A listed model's view: the model, or the flagged entry of a record that cannot be read.
pub(crate) fn listed_view(listed: &Listed) -> ListEntry<ModelView> {
    match listed {
        Listed::Model(record) => ListEntry::Model(view(record)),
        Listed::Unreadable(unreadable) => ListEntry::Unreadable(UnreadableModelView {
            model_id: unreadable.model_id.clone(),
            status: unreadable.status,
            unreadable: unreadable.reason.clone(),
        }),
    }
}

/// The deployer's error as the API's: its class decides the status.
fn service_error(error: DeployError) -> ServiceError {
    let message = error.to_string();
    match (error.class(), error) {
        (_, DeployError::Invalid { errors, .. }) => ServiceError::Invalid(errors),
        (ErrorClass::NotFound, DeployError::Refused { model_id, .. }) => {
            ServiceError::NotFound(model_id)
        }
        (ErrorClass::Exists, DeployError::Refused { model_id, .. }) => {
            ServiceError::AlreadyExists(model_id)
        }
        // Only a refusal names a missing or existing model; anything else of those classes is
        // a stack in the way, which the caller resolves like a busy model.
        (ErrorClass::NotFound | ErrorClass::Exists | ErrorClass::Busy, _) => {
            ServiceError::Conflict(message)
        }
        (ErrorClass::Refused | ErrorClass::Invalid, _) => ServiceError::Refused(message),
        (ErrorClass::Misconfigured, _) => ServiceError::Misconfigured(message),
        (ErrorClass::Unavailable, _) => ServiceError::Unavailable(message),
        (ErrorClass::Internal, _) => ServiceError::Internal(message),
    }
}

impl ModelService for DeployerService {
    type Model = ModelView;

    async fn list(&self) -> Result<Vec<ListEntry<ModelView>>, ServiceError> {
        let listed = self.deployer.list().await.map_err(service_error)?;
        Ok(listed.iter().map(listed_view).collect())
    }

    async fn get(&self, id: &ModelId) -> Result<ModelView, ServiceError> {
        let record = self
            .deployer
            .get(id.as_str())
            .await
            .map_err(service_error)?;
        Ok(view(&record))
    }

    async fn create(
        &self,
        definition: ValidDefinition,
    ) -> Result<Changed<ModelView>, ServiceError> {
        let (record, warnings) = self
            .deployer
            .create_warned(definition.into_inner())
            .await
            .map_err(service_error)?;
        self.follow(record.definition.model_id.as_str());
        Ok(Changed {
            model: view(&record),
            warnings,
        })
    }

    async fn update(
        &self,
        id: &ModelId,
        update: ModelUpdate,
    ) -> Result<Changed<ModelView>, ServiceError> {
        let (record, warnings) = self
            .deployer
            .update_warned(id.as_str(), &update)
            .await
            .map_err(service_error)?;
        self.follow(id.as_str());
        Ok(Changed {
            model: view(&record),
            warnings,
        })
    }

    async fn schedule(&self, id: &ModelId) -> Result<ModelSchedule, ServiceError> {
        let record = self
            .deployer
            .get(id.as_str())
            .await
            .map_err(service_error)?;
        Ok(ModelSchedule::of_record(&record))
    }

    async fn set_schedule(
        &self,
        id: &ModelId,
        schedule: Option<Schedule>,
    ) -> Result<ModelView, ServiceError> {
        let record = self
            .deployer
            .set_schedule(id.as_str(), schedule)
            .await
            .map_err(service_error)?;
        self.follow(id.as_str());
        Ok(view(&record))
    }

    async fn delete(&self, id: &ModelId) -> Result<(), ServiceError> {
        self.deployer
            .delete(id.as_str())
            .await
            .map_err(service_error)?;
        self.follow(id.as_str());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisa_deploy::AwsFault;

    #[test]
    fn each_error_class_has_one_status() {
        let busy = service_error(DeployError::StackBusy {
            stack_name: "lisa-m".into(),
            status: "UPDATE_IN_PROGRESS".into(),
        });
        assert!(matches!(busy, ServiceError::Conflict(_)), "{busy:?}");
        let missing = service_error(DeployError::NotBootstrapped {
            deployment_name: "lisa".into(),
            reason: "the bootstrap stack has no lifecycle function yet".into(),
        });
        assert!(
            matches!(missing, ServiceError::Misconfigured(_)),
            "no retry can help: {missing:?}"
        );
        let no_preflight = service_error(DeployError::NoPreflight {
            model_id: "m".into(),
        });
        assert!(
            matches!(no_preflight, ServiceError::Misconfigured(_)),
            "{no_preflight:?}"
        );
        let outage = service_error(DeployError::Aws {
            operation: "CloudFormation.DescribeStacks",
            code: Some("InternalFailure".into()),
            message: "try later".into(),
            fault: AwsFault::Service,
        });
        assert!(matches!(outage, ServiceError::Unavailable(_)), "{outage:?}");
    }

    #[test]
    fn each_error_class_has_one_exit_code() {
        use super::super::aws_common::{exit, exit_code};
        assert_eq!(exit_code(ErrorClass::Busy), exit::REFUSED);
        assert_eq!(exit_code(ErrorClass::Misconfigured), exit::USAGE);
        assert_eq!(exit_code(ErrorClass::Unavailable), exit::FAILED);
    }
}
