//! The handler: from CloudFormation's request to its answer.
//!
//! [`Registrar::decide`] is the core, a plain async function from an event to a [`Step`]: the
//! answer, or handing the request on to a fresh invocation while a hosted model is still loading.
//! [`Registrar::run`] is what the Lambda runtime calls: it runs `decide` under the invocation's
//! deadline and catches panics, so CloudFormation always gets an answer, then sends that answer
//! (or hands the request on).
//!
//! Semantics (domain.md §7): create is idempotent (an entry with the registration's id is reused
//! when it matches, replaced when it does not); an update with `Enabled=false` removes the entry
//! and `true` adds it again; changed parameters replace it; delete of an unknown id succeeds.
//! Every write is read back. A hosted model is added on create and on start only once its target
//! group has a healthy target, within its load budget.
//!
//! Trust (see [`crate::pinned`] and [`crate::claim`]): a request from a stack outside the
//! function's deployment, account or region, naming another LiteLLM endpoint or secret than the
//! pinned ones, another model than its stack's, a resource CloudFormation is not creating,
//! updating or deleting, or (create, update) a host other than its stack's own load balancer, is
//! refused before the master key is read. A refused create or update is answered FAILED; a
//! refused delete (one naming any entry but its own stack's registration, say) removes nothing
//! and is answered SUCCESS, so it never holds up a stack's delete.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceRequest, CloudFormationCustomResourceResponse,
};
use lisa_constructs::ecs_model::registration::{
    MODEL_ID_ATTRIBUTE, RegistrationProperties, function, registration_id,
};
use serde_json::{Map, Value, json};

use crate::claim::{Claim, Operation};
use crate::error::RegistrarError;
use crate::health;
use crate::litellm::{Deployment, LiteLlmClient};
use crate::pinned::Pinned;
use crate::progress::Progress;
use crate::relay::{self, MAX_HOPS, Relayed};
use crate::respond::{self, Echo};
use crate::secret;
use crate::stacks::{AwsStacks, StackResource, Stacks};

/// The `api_key` LiteLLM sends to an OpenAI-compatible model server that checks none (TGI, TEI).
pub const PLACEHOLDER_API_KEY: &str = "no-key-required";

/// Timings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Between two looks at a target group's health.
    pub health_poll: Duration,
    /// One call to LiteLLM.
    pub litellm_timeout: Duration,
    /// How long before the invocation's deadline the answer is sent at the latest.
    pub answer_margin: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            health_poll: Duration::from_secs(function::DEFAULT_HEALTH_POLL_SECONDS.into()),
            litellm_timeout: Duration::from_secs(function::DEFAULT_LITELLM_TIMEOUT_SECONDS.into()),
            answer_margin: Duration::from_secs(function::ANSWER_MARGIN_SECONDS.into()),
        }
    }
}

impl Settings {
    /// The defaults, overridden by the environment variables named in [`function`].
    pub fn from_env() -> Settings {
        let seconds = |name: &str, default: Duration| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(default, Duration::from_secs)
        };
        let defaults = Settings::default();
        Settings {
            health_poll: seconds(function::ENV_HEALTH_POLL_SECONDS, defaults.health_poll),
            litellm_timeout: seconds(
                function::ENV_LITELLM_TIMEOUT_SECONDS,
                defaults.litellm_timeout,
            ),
            answer_margin: defaults.answer_margin,
        }
    }

    /// Time a registration needs after the model is healthy: the LiteLLM calls and the answer.
    fn registration_reserve(&self) -> Duration {
        self.litellm_timeout * 4 + self.answer_margin
    }
}

/// One invocation of the function.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// When Lambda stops the invocation.
    pub deadline: Instant,
    /// The function's own ARN (to hand a request on).
    pub function_arn: String,
}

/// What `decide` concluded.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send this answer.
    Answer(CloudFormationCustomResourceResponse),
    /// The model is still loading and this invocation cannot wait any longer.
    HandOn(Relayed),
}

/// What `run` did.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    /// This answer was sent to the ResponseURL.
    Answered(CloudFormationCustomResourceResponse),
    /// The request was handed on to a fresh invocation.
    HandedOn(Relayed),
}

/// The AWS clients and settings the handler uses.
#[derive(Debug, Clone)]
pub struct Registrar {
    /// Secrets Manager (the master key).
    pub secrets: aws_sdk_secretsmanager::Client,
    /// Elastic Load Balancing (target health).
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
    /// Lambda (handing a request on).
    pub lambda: aws_sdk_lambda::Client,
    /// What CloudFormation says about the stack a request claims to come from.
    pub stacks: Arc<dyn Stacks>,
    /// HTTP (LiteLLM and the ResponseURL).
    pub http: reqwest::Client,
    /// Timings.
    pub settings: Settings,
    /// What the function trusts; without it (the name of the missing variable), every request
    /// is refused.
    pub pinned: Result<Pinned, &'static str>,
}

/// The request, with the properties read through the contract.
struct Parsed {
    echo: Echo,
    kind: Kind,
}

enum Kind {
    Create,
    Update {
        physical_id: String,
        /// Whether the old properties read and had the model enabled (it was serving).
        was_enabled: bool,
    },
    Delete {
        physical_id: String,
    },
}

/// Reads the parts every answer needs. Without them nothing can be answered.
pub fn echo_of(event: &Value) -> Result<Echo, RegistrarError> {
    let request = Relayed::from_event(event).map_or_else(|| event.clone(), |r| r.request);
    let field = |name: &str| {
        request
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| RegistrarError::Request(format!("no {name}")))
    };
    Ok(Echo {
        response_url: field("ResponseURL")?,
        stack_id: field("StackId")?,
        request_id: field("RequestId")?,
        logical_resource_id: field("LogicalResourceId")?,
    })
}

fn parse(request: &Value) -> Result<(Parsed, Value), RegistrarError> {
    let typed: CloudFormationCustomResourceRequest<Value, Value> =
        serde_json::from_value(request.clone())
            .map_err(|e| RegistrarError::Request(e.to_string()))?;
    let echo = echo_of(request)?;
    let (kind, properties) = match typed {
        CloudFormationCustomResourceRequest::Create(r) => (Kind::Create, r.resource_properties),
        CloudFormationCustomResourceRequest::Update(r) => (
            Kind::Update {
                physical_id: r.physical_resource_id,
                was_enabled: serde_json::from_value::<RegistrationProperties>(
                    r.old_resource_properties,
                )
                .is_ok_and(|old| old.enabled),
            },
            r.resource_properties,
        ),
        CloudFormationCustomResourceRequest::Delete(r) => (
            Kind::Delete {
                physical_id: r.physical_resource_id,
            },
            r.resource_properties,
        ),
        _ => return Err(RegistrarError::Request("unknown RequestType".into())),
    };
    Ok((Parsed { echo, kind }, properties))
}

fn properties(value: Value) -> Result<RegistrationProperties, RegistrarError> {
    serde_json::from_value(value).map_err(|e| RegistrarError::Properties(e.to_string()))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn data(id: &str) -> HashMap<String, String> {
    HashMap::from([(MODEL_ID_ATTRIBUTE.to_owned(), id.to_owned())])
}

/// The physical id of a resource that never got one: the rollback's delete of it is a no-op.
fn unregistered_id(echo: &Echo) -> String {
    format!("{}-unregistered", echo.logical_resource_id)
}

/// The physical id a failure reports when the work could not say: the request's own (update,
/// delete), else the registration's id if the model id can be read (so a rollback's delete
/// removes whatever a cut-short create may have added), else [`unregistered_id`].
fn fallback_physical_id(event: &Value, echo: &Echo) -> String {
    let request = Relayed::from_event(event).map_or_else(|| event.clone(), |r| r.request);
    if let Some(id) = request.get("PhysicalResourceId").and_then(Value::as_str) {
        return id.to_owned();
    }
    match request
        .pointer("/ResourceProperties/ModelId")
        .and_then(Value::as_str)
    {
        Some(model_id) => registration_id(&echo.stack_id, model_id),
        None => unregistered_id(echo),
    }
}

/// The entry LiteLLM should hold for these properties.
pub fn desired_deployment(properties: &RegistrationProperties, id: &str) -> Deployment {
    let mut params = Map::new();
    params.insert("model".into(), json!(properties.lite_llm_model));
    if let Some(api_base) = &properties.api_base {
        params.insert("api_base".into(), json!(api_base));
    }
    if properties.lite_llm_model.starts_with("openai/") {
        params.insert("api_key".into(), json!(PLACEHOLDER_API_KEY));
    }
    let mut info = Map::new();
    info.insert("id".into(), json!(id));
    info.insert("mode".into(), json!(properties.mode));
    Deployment {
        model_name: properties.model_id.clone(),
        litellm_params: params,
        model_info: info,
    }
}

/// Whether an existing entry already serves what `desired` describes.
fn matches(existing: &Deployment, desired: &Deployment) -> bool {
    existing.model_name == desired.model_name
        && ["model", "api_base"]
            .iter()
            .all(|k| existing.litellm_params.get(*k) == desired.litellm_params.get(*k))
        && existing.model_info.get("mode") == desired.model_info.get("mode")
}

impl Registrar {
    /// Clients from the Lambda environment, settings from [`Settings::from_env`].
    pub async fn from_env() -> Registrar {
        let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Registrar {
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            stacks: Arc::new(AwsStacks::new(&config)),
            http: reqwest::Client::new(),
            settings: Settings::from_env(),
            pinned: Pinned::from_env(),
        }
    }

    /// Handles one invocation: decides under the deadline, catching panics, then answers
    /// CloudFormation (or hands the request on). Fails only when the event carries no
    /// ResponseURL (nothing to answer to) or the answer itself cannot be delivered.
    pub async fn run(
        self: &Arc<Self>,
        event: Value,
        invocation: Invocation,
    ) -> Result<Handled, RegistrarError> {
        let this = Arc::clone(self);
        let inv = invocation.clone();
        self.run_with(event, invocation, move |event, progress| async move {
            this.decide(event, &inv, &progress).await
        })
        .await
    }

    /// [`Registrar::run`] with another core: the deadline, panic and answer handling around any
    /// work (tests give it work that hangs or panics).
    pub async fn run_with<F, Fut>(
        &self,
        event: Value,
        invocation: Invocation,
        work: F,
    ) -> Result<Handled, RegistrarError>
    where
        F: FnOnce(Value, Progress) -> Fut,
        Fut: Future<Output = Step> + Send + 'static,
    {
        let echo = echo_of(&event)?;
        let physical_fallback = fallback_physical_id(&event, &echo);
        let progress = Progress::default();
        progress.stage("reading the request");
        let answer_by = invocation
            .deadline
            .checked_sub(self.settings.answer_margin)
            .unwrap_or_else(Instant::now);
        let task = tokio::spawn(work(event, progress.clone()));
        let abort = task.abort_handle();
        let fail = |error: RegistrarError| {
            respond::failure(
                &echo,
                &physical_fallback,
                progress.redact(&error.to_string()),
            )
        };
        let step = match tokio::time::timeout_at(answer_by.into(), task).await {
            Ok(Ok(step)) => step,
            Ok(Err(join)) => Step::Answer(fail(RegistrarError::Panicked {
                stage: progress.current(),
                message: panic_message(join),
            })),
            Err(_elapsed) => {
                abort.abort();
                Step::Answer(fail(RegistrarError::Deadline {
                    stage: progress.current(),
                }))
            }
        };
        let mut response = match step {
            Step::Answer(response) => response,
            Step::HandOn(relayed) => {
                let handing_on = relay::hand_on(&self.lambda, &invocation.function_arn, &relayed);
                match tokio::time::timeout_at(answer_by.into(), handing_on).await {
                    Ok(Ok(())) => return Ok(Handled::HandedOn(relayed)),
                    Ok(Err(e)) => fail(e),
                    Err(_elapsed) => fail(RegistrarError::Relay {
                        function: invocation.function_arn.clone(),
                        message: "no answer from Lambda before the deadline".into(),
                    }),
                }
            }
        };
        if let Some(reason) = &response.reason {
            response.reason = Some(progress.redact(reason));
        }
        eprintln!(
            "lisa-registrar: answering {:?} for {} ({})",
            response.status,
            echo.logical_resource_id,
            response.reason.as_deref().unwrap_or("no reason")
        );
        let put_timeout = self.settings.answer_margin.max(Duration::from_secs(1));
        respond::send(&self.http, &echo.response_url, &response, put_timeout).await?;
        Ok(Handled::Answered(response))
    }

    /// The core: what to answer to `event` (CloudFormation's request, or one handed on).
    pub async fn decide(&self, event: Value, invocation: &Invocation, progress: &Progress) -> Step {
        let (first_seen_ms, hop, request) = match Relayed::from_event(&event) {
            Some(r) => (r.first_seen_ms, r.hop, r.request),
            None => (now_ms(), 0, event),
        };
        let (parsed, raw_properties) = match parse(&request) {
            Ok(p) => p,
            Err(e) => {
                return match echo_of(&request) {
                    Ok(echo) => Step::Answer(respond::failure(
                        &echo,
                        &unregistered_id(&echo),
                        progress.redact(&e.to_string()),
                    )),
                    // run() checked the echo fields already; keep a value all the same.
                    Err(_) => Step::Answer(CloudFormationCustomResourceResponse::default()),
                };
            }
        };
        let echo = parsed.echo.clone();
        let context = Context {
            registrar: self,
            invocation,
            progress,
            first_seen_ms,
            hop,
            request,
        };
        let physical_fallback = match &parsed.kind {
            Kind::Update { physical_id, .. } | Kind::Delete { physical_id } => physical_id.clone(),
            Kind::Create => unregistered_id(&echo),
        };
        match context.carry_out(parsed, raw_properties).await {
            Ok(step) => step,
            Err((physical_id, error)) => Step::Answer(respond::failure(
                &echo,
                physical_id.as_deref().unwrap_or(&physical_fallback),
                progress.redact(&error.to_string()),
            )),
        }
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    if !join.is_panic() {
        return "the work was cancelled".to_owned();
    }
    let payload = join.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// One request being carried out.
struct Context<'a> {
    registrar: &'a Registrar,
    invocation: &'a Invocation,
    progress: &'a Progress,
    first_seen_ms: u64,
    hop: u32,
    request: Value,
}

/// A failure, with the physical id to report when one is known.
type Failure = (Option<String>, RegistrarError);

enum Readiness {
    Ready,
    HandOn,
}

impl Context<'_> {
    async fn carry_out(&self, parsed: Parsed, raw: Value) -> Result<Step, Failure> {
        let echo = &parsed.echo;
        let (known, operation) = match &parsed.kind {
            Kind::Create => (None, Operation::Create),
            Kind::Update { physical_id, .. } => (Some(physical_id.clone()), Operation::Update),
            Kind::Delete { physical_id } => {
                if *physical_id == unregistered_id(echo) {
                    // A create that registered nothing (refused, unreadable): nothing to remove.
                    return Ok(Step::Answer(respond::success(
                        echo,
                        physical_id,
                        HashMap::new(),
                    )));
                }
                return self.delete(echo, physical_id, raw).await;
            }
        };
        let keep = |e: RegistrarError| (known.clone(), e);
        let pinned = self
            .registrar
            .pinned
            .as_ref()
            .map_err(|&variable| keep(RegistrarError::NotPinned { variable }))?;
        let stack_model = pinned
            .admit(&echo.stack_id, &self.invocation.function_arn)
            .map_err(|e| keep(e.into()))?;
        let props = properties(raw).map_err(|e| (None, e))?;
        pinned.check(&props).map_err(|e| keep(e.into()))?;
        let claim = Claim {
            stack_id: &echo.stack_id,
            logical_id: &echo.logical_resource_id,
            stack_model: &stack_model,
            operation,
        };
        claim.same_model(&props).map_err(|e| keep(e.into()))?;
        let resources = self.in_progress(&claim).await.map_err(keep)?;
        claim
            .served_by_stack(self.registrar.stacks.as_ref(), &resources, &props)
            .await
            .map_err(keep)?;
        let id = claim.registration_id();
        let fail = |e| (Some(id.clone()), e);
        let done = || Ok(Step::Answer(respond::success(echo, &id, data(&id))));
        if !props.enabled {
            if matches!(parsed.kind, Kind::Update { .. }) {
                let client = self.client(pinned).await.map_err(fail)?;
                self.remove(&client, &id).await.map_err(fail)?;
            }
            return done();
        }
        let starting = match &parsed.kind {
            Kind::Create => true,
            Kind::Update { was_enabled, .. } => !was_enabled,
            Kind::Delete { .. } => false,
        };
        if starting {
            match self.wait_until_ready(&props).await.map_err(fail)? {
                Readiness::Ready => {}
                Readiness::HandOn => {
                    if self.hop + 1 >= MAX_HOPS {
                        return Err(fail(RegistrarError::TooManyHops { hops: self.hop + 1 }));
                    }
                    return Ok(Step::HandOn(Relayed {
                        lisa_relay: Relayed::VERSION,
                        first_seen_ms: self.first_seen_ms,
                        hop: self.hop + 1,
                        request: self.request.clone(),
                    }));
                }
            }
        }
        let client = self.client(pinned).await.map_err(fail)?;
        self.register(&client, &props, &id).await.map_err(fail)?;
        done()
    }

    /// A delete removes the stack's own registration, and only while CloudFormation deletes the
    /// resource. A refused delete removes nothing and is answered SUCCESS: CloudFormation then
    /// finishes deleting the stack (a FAILED answer would leave it in DELETE_FAILED until an
    /// operator retains the resource), and a crafted request gains nothing from the answer.
    async fn delete(&self, echo: &Echo, physical_id: &str, raw: Value) -> Result<Step, Failure> {
        let keep = |e: RegistrarError| (Some(physical_id.to_owned()), e);
        let pinned = self
            .registrar
            .pinned
            .as_ref()
            .map_err(|&variable| keep(RegistrarError::NotPinned { variable }))?;
        match self.check_delete(pinned, echo, physical_id, raw).await {
            Ok(true) => {}
            // A create with unreadable properties registered nothing: nothing to remove.
            Ok(false) => {
                return Ok(Step::Answer(respond::success(
                    echo,
                    physical_id,
                    HashMap::new(),
                )));
            }
            Err(RegistrarError::Refused(refusal)) => {
                return Ok(Step::Answer(respond::declined(
                    echo,
                    physical_id,
                    format!("{refusal}; nothing was removed, so the stack's delete can finish"),
                )));
            }
            Err(e) => return Err(keep(e)),
        }
        let client = self.client(pinned).await.map_err(keep)?;
        self.remove(&client, physical_id).await.map_err(keep)?;
        Ok(Step::Answer(respond::success(
            echo,
            physical_id,
            data(physical_id),
        )))
    }

    /// Whether the delete is to be carried out (`false`: nothing was ever registered), or why not.
    async fn check_delete(
        &self,
        pinned: &Pinned,
        echo: &Echo,
        physical_id: &str,
        raw: Value,
    ) -> Result<bool, RegistrarError> {
        let stack_model = pinned.admit(&echo.stack_id, &self.invocation.function_arn)?;
        let Ok(props) = properties(raw) else {
            return Ok(false);
        };
        pinned.check(&props)?;
        let claim = Claim {
            stack_id: &echo.stack_id,
            logical_id: &echo.logical_resource_id,
            stack_model: &stack_model,
            operation: Operation::Delete,
        };
        claim.same_model(&props)?;
        claim.own_registration(physical_id)?;
        self.in_progress(&claim).await?;
        Ok(true)
    }

    /// [`Claim::in_progress`], as a stage of the work.
    async fn in_progress(&self, claim: &Claim<'_>) -> Result<Vec<StackResource>, RegistrarError> {
        self.progress.stage(format!(
            "checking the request against stack {}",
            claim.stack_id
        ));
        claim.in_progress(self.registrar.stacks.as_ref()).await
    }

    /// A client of the pinned endpoint with the key from the pinned secret: the only place the
    /// key is read, so it can go nowhere else.
    async fn client(&self, pinned: &Pinned) -> Result<LiteLlmClient, RegistrarError> {
        self.progress.stage(format!(
            "reading the LiteLLM master key from secret {}",
            pinned.master_key_secret_arn
        ));
        let key =
            secret::master_key(&self.registrar.secrets, &pinned.master_key_secret_arn).await?;
        self.progress.secret(&key);
        Ok(LiteLlmClient::new(
            self.registrar.http.clone(),
            &pinned.litellm_endpoint,
            key,
            self.registrar.settings.litellm_timeout,
        ))
    }

    fn litellm_stage(&self, client: &LiteLlmClient, call: &str) {
        self.progress.stage(format!(
            "waiting for LiteLLM at {} to answer {call}",
            client.endpoint()
        ));
    }

    /// Waits for a healthy target as long as the budget and this invocation allow. Either target
    /// group counts: blue/green deployments move the serving tasks from one to the other.
    async fn wait_until_ready(
        &self,
        props: &RegistrationProperties,
    ) -> Result<Readiness, RegistrarError> {
        let groups: Vec<&String> = [&props.target_group_arn, &props.alternate_target_group_arn]
            .into_iter()
            .flatten()
            .collect();
        if groups.is_empty() {
            return Ok(Readiness::Ready);
        }
        let settings = &self.registrar.settings;
        let budget = props.load_budget_seconds.unwrap_or(0);
        let budget_end_ms = self.first_seen_ms + u64::from(budget) * 1000;
        loop {
            let mut seen = Vec::with_capacity(groups.len());
            for group in &groups {
                self.progress
                    .stage(format!("reading the health of target group {group}"));
                let states = health::target_states(&self.registrar.elb, group).await?;
                if states.ready() {
                    return Ok(Readiness::Ready);
                }
                seen.push(format!("target group {group} ({})", states.summary()));
            }
            let seen = seen.join(" nor in ");
            let now = now_ms();
            if now >= budget_end_ms {
                return Err(RegistrarError::NeverHealthy {
                    budget_seconds: budget,
                    seen,
                });
            }
            let pause = settings
                .health_poll
                .min(Duration::from_millis(budget_end_ms - now));
            let left = self
                .invocation
                .deadline
                .saturating_duration_since(Instant::now());
            if left < pause + settings.registration_reserve() {
                return Ok(Readiness::HandOn);
            }
            self.progress
                .stage(format!("waiting for a healthy target: none in {seen}"));
            tokio::time::sleep(pause).await;
        }
    }

    /// Makes LiteLLM hold exactly the desired entry under `id`, and checks it does.
    async fn register(
        &self,
        client: &LiteLlmClient,
        props: &RegistrationProperties,
        id: &str,
    ) -> Result<(), RegistrarError> {
        let desired = desired_deployment(props, id);
        self.litellm_stage(client, "GET /model/info");
        let all = client.models().await?;
        let others: Vec<&str> = all
            .iter()
            .filter(|d| d.model_name == desired.model_name && d.id() != Some(id))
            .map(|d| d.id().unwrap_or("(no id)"))
            .collect();
        if !others.is_empty() {
            return Err(RegistrarError::DuplicateName {
                endpoint: client.endpoint().to_owned(),
                name: desired.model_name,
                ids: others.join(", "),
            });
        }
        self.litellm_stage(client, &format!("GET /model/info?litellm_model_id={id}"));
        match client.model(id).await? {
            Some(existing) if matches(&existing, &desired) => return Ok(()),
            Some(_) => {
                self.litellm_stage(client, "POST /model/delete");
                client.delete(id).await?;
            }
            None => {}
        }
        self.litellm_stage(client, "POST /model/new");
        client.add(&desired).await?;
        self.litellm_stage(client, &format!("GET /model/info?litellm_model_id={id}"));
        match client.model(id).await? {
            Some(stored) if matches(&stored, &desired) => Ok(()),
            Some(_) => Err(not_stored(
                client,
                id,
                "the adding",
                "it lists other parameters",
            )),
            None => Err(not_stored(client, id, "the adding", "does not list it")),
        }
    }

    /// Removes the entry `id`; an unknown id is already removed.
    async fn remove(&self, client: &LiteLlmClient, id: &str) -> Result<(), RegistrarError> {
        self.litellm_stage(client, &format!("GET /model/info?litellm_model_id={id}"));
        if client.model(id).await?.is_none() {
            return Ok(());
        }
        self.litellm_stage(client, "POST /model/delete");
        client.delete(id).await?;
        self.litellm_stage(client, &format!("GET /model/info?litellm_model_id={id}"));
        match client.model(id).await? {
            None => Ok(()),
            Some(_) => Err(not_stored(client, id, "the removal", "still lists it")),
        }
    }
}

fn not_stored(
    client: &LiteLlmClient,
    id: &str,
    action: &'static str,
    observed: &'static str,
) -> RegistrarError {
    RegistrarError::NotStored {
        endpoint: client.endpoint().to_owned(),
        action,
        id: id.to_owned(),
        observed,
    }
}
