//! The model lifecycle (domain §5): list, get, create, update, delete, each a guarded state
//! transition that returns as soon as the new status is recorded, and [`Deployer::wait`], which
//! follows an operation to its end. Reads reconcile an in-progress status with the stack's real
//! status, so a process that dies mid-operation never leaves a model stuck.

mod reconcile;
mod scheduled;

pub use scheduled::ScheduleRetry;

use crate::aws::Clients;
use crate::error::{DeployError, Result};
use crate::registry::{Listed, Registry, Unreadable, WriteError};
use crate::stack_status::StackStatus;
use crate::stacks::{Budgets, Polling, Prepared, Preview, Progress, StackOps, Started};
use lisa_constructs::bootstrap::BootstrapOutputs;
use lisa_constructs::ecs_model::stack_io::{Functions, parameter_values};
use lisa_constructs::ecs_model::{
    ModelStack, RunState, StackOptions, capacity, model_stack_prefix, synthesize,
};
use lisa_constructs::environment::Environment;
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::status::{self, Request, Step};
use lisa_constructs::model::{
    ModelDefinition, ModelRecord, ModelStatus, ModelUpdate, ScheduledRun,
};
use std::time::Duration;

/// Choices of a deployer.
#[derive(Debug, Clone)]
pub struct DeployerOptions {
    /// The deployment (prefix of every stack name).
    pub deployment_name: String,
    /// How often waiting operations poll.
    pub polling: Polling,
    /// How long [`Deployer::wait`] follows one operation.
    pub timeout: Duration,
    /// Templates larger than this go through the artifacts bucket.
    pub inline_limit: usize,
    /// An operation that has not reached its stack (no stack yet, or no event with its token)
    /// is left alone while this deployer has watched its record unchanged for less than this
    /// (by its own clock): its ExecuteChangeSet may still be on its way. Longer, it is taken as
    /// never run: a create is marked `Failed`, anything else goes back to where it was. An
    /// operation still alive then finds it lost the record and deletes its change set instead
    /// of executing it.
    pub stale_after: Duration,
    /// Skip the preflight checks of creates and resizes (for accounts where the calls are not
    /// allowed).
    pub skip_preflight: bool,
}

impl Default for DeployerOptions {
    fn default() -> Self {
        DeployerOptions {
            deployment_name: lisa_constructs::ecs_model::DEFAULT_DEPLOYMENT_NAME.to_owned(),
            polling: Polling::default(),
            timeout: Duration::from_secs(90 * 60),
            inline_limit: crate::stacks::INLINE_TEMPLATE_LIMIT,
            stale_after: Duration::from_secs(120),
            skip_preflight: false,
        }
    }
}

/// How a waited-for operation ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Waited {
    /// The model settled in this state (InService, Stopped or Failed).
    Settled(Box<ModelRecord>),
    /// The model was deleted.
    Deleted,
}

/// The lifecycle over one deployment.
#[derive(Debug, Clone)]
pub struct Deployer {
    /// Read by the preflight checks only.
    #[cfg_attr(not(feature = "preflight"), allow(dead_code))]
    clients: Clients,
    options: DeployerOptions,
    bootstrap: BootstrapOutputs,
    registry: Registry,
    stacks: StackOps,
    observed: Observed,
}

/// When this process first saw each (model, record version), by its own monotonic clock. An
/// operation is taken for dead when its record has stood unchanged, and unseen on its stack,
/// for `stale_after` of this process's own watching: the record's timestamp, written by another
/// machine's clock, is never compared with this one's.
#[derive(Debug, Clone, Default)]
struct Observed(
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(String, u64), std::time::Instant>>>,
);

impl Observed {
    /// How long this process has seen `record` unchanged.
    fn unchanged_for(&self, record: &ModelRecord) -> Duration {
        let key = (model_id_of(record), record.version);
        let now = std::time::Instant::now();
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() > 10_000 {
            seen.retain(|_, first| now.duration_since(*first) < Duration::from_secs(3600));
        }
        now.duration_since(*seen.entry(key).or_insert(now))
    }
}

fn conflict(model_id: &str, current: Option<ModelStatus>) -> DeployError {
    DeployError::Conflict {
        model_id: model_id.to_owned(),
        current,
    }
}

fn refused(model_id: &str, refusal: status::Refusal) -> DeployError {
    DeployError::Refused {
        model_id: model_id.to_owned(),
        refusal,
    }
}

/// Why a delete waits while a create has not reached CloudFormation: deleting the stack by name
/// then would find nothing, remove the record, and leave the create's stack without one.
const CREATE_STARTING_RULE: &str =
    "its create has not reached CloudFormation yet; try again in a few seconds";

/// How a fenced deploy went.
enum Fenced {
    /// The change set runs; the record as written by the fence (boxed: a record is large and
    /// this is one per operation).
    Owned(Box<ModelRecord>),
    /// Nothing to change; the stack's id.
    NoChanges(String),
}

/// Appended to an operation's token for the ContinueUpdateRollback that finishes its rollback:
/// an operation's rollback is continued once.
const CONTINUED: &str = "-continued";

fn unreadable_error(unreadable: &Unreadable) -> DeployError {
    DeployError::Registry {
        model_id: unreadable.model_id.clone(),
        reason: unreadable.reason.clone(),
    }
}

impl Deployer {
    /// A deployer of `options.deployment_name`, reading its environment from the bootstrap stack.
    pub async fn connect(clients: Clients, options: DeployerOptions) -> Result<Deployer> {
        clients.check().await?;
        let bootstrap =
            crate::bootstrap::read_bootstrap(&clients, &options.deployment_name).await?;
        Ok(Deployer::new(clients, options, bootstrap))
    }

    /// A deployer over a known environment.
    pub fn new(
        clients: Clients,
        options: DeployerOptions,
        bootstrap: BootstrapOutputs,
    ) -> Deployer {
        let registry = Registry::new(clients.dynamodb.clone(), &bootstrap.registry_table_name);
        let mut stacks = StackOps::new(
            clients.clone(),
            Some(bootstrap.artifacts_bucket_name.clone()),
        );
        stacks.polling = options.polling;
        stacks.inline_limit = options.inline_limit;
        stacks.deployment_name = Some(options.deployment_name.clone());
        stacks.role_arn = bootstrap.model_stack_role_arn.clone();
        Deployer {
            clients,
            options,
            bootstrap,
            registry,
            stacks,
            observed: Observed::default(),
        }
    }

    /// The same deployer with the preflight checks off (for a caller that ran them itself).
    pub fn skipping_preflight(&self) -> Deployer {
        let mut deployer = self.clone();
        deployer.options.skip_preflight = true;
        deployer
    }

    /// What the deployment's bootstrap stack gives its models (registry, functions, roles).
    pub fn bootstrap_outputs(&self) -> &BootstrapOutputs {
        &self.bootstrap
    }

    /// The deployment's environment.
    pub fn environment(&self) -> &Environment {
        &self.bootstrap.environment
    }

    /// The stack operations this deployer uses.
    pub fn stacks(&self) -> &StackOps {
        &self.stacks
    }

    /// The preflight checks of a hosted model (region, Availability Zones, vCPU quota); the
    /// warnings of checks that could not run. Refuses with [`DeployError::Preflight`].
    #[cfg(feature = "preflight")]
    pub async fn preflight(&self, definition: &ModelDefinition) -> Result<Vec<String>> {
        crate::preflight::preflight_model(&self.clients, definition, &self.environment().subnet_ids)
            .await
    }

    /// The preflight checks before a create or a resize, unless they are turned off; the
    /// warnings of checks that could not run.
    async fn check_before(&self, definition: &ModelDefinition) -> Result<Vec<String>> {
        if self.options.skip_preflight {
            return Ok(Vec::new());
        }
        #[cfg(feature = "preflight")]
        {
            self.preflight(definition).await
        }
        #[cfg(not(feature = "preflight"))]
        {
            Err(DeployError::NoPreflight {
                model_id: definition.model_id.to_string(),
            })
        }
    }

    /// Every model, each in-progress status reconciled with its stack. Settled models are
    /// listed as recorded, so a list costs one DescribeStacks per model in progress rather than
    /// one per model (a stack deleted outside lisa shows on [`Deployer::get`]). A record that
    /// cannot be read is listed as [`Listed::Unreadable`] (it can still be deleted), never
    /// failing the list.
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let mut models = Vec::new();
        for listed in self.registry.list().await? {
            match listed {
                Listed::Model(record) if status::is_working(record.status) => {
                    models.extend(self.reconcile(record).await?.map(Listed::Model));
                }
                Listed::Model(record) => models.push(Listed::Model(record)),
                Listed::Unreadable(unreadable) => {
                    if !self.settle_unreadable(&unreadable).await? {
                        models.push(Listed::Unreadable(unreadable));
                    }
                }
            }
        }
        Ok(models)
    }

    /// One model, its status reconciled with its stack.
    pub async fn get(&self, model_id: &str) -> Result<ModelRecord> {
        self.find(model_id)
            .await?
            .ok_or_else(|| refused(model_id, status::Refusal::NotFound))
    }

    /// The model's record, reconciled; `None` when there is none. An unreadable record is
    /// [`DeployError::Registry`], unless it was being deleted and its stack is gone now.
    async fn find(&self, model_id: &str) -> Result<Option<ModelRecord>> {
        match self.registry.get_listed(model_id).await? {
            Some(Listed::Model(record)) => self.reconcile(record).await,
            Some(Listed::Unreadable(unreadable)) => {
                if self.settle_unreadable(&unreadable).await? {
                    Ok(None)
                } else {
                    Err(unreadable_error(&unreadable))
                }
            }
            None => Ok(None),
        }
    }

    /// The model's stack, synthesized for this deployment, with its parameter values.
    /// `desired_capacity` is the count this deployment applies to the group, once: the
    /// definition's on a create or a start, an update's own, and `None` otherwise, so a later
    /// deployment never snaps the group back to an old count.
    pub fn synthesize(
        &self,
        definition: &ModelDefinition,
        enabled: bool,
        desired_capacity: Option<u32>,
    ) -> Result<(ModelStack, Vec<(String, String)>)> {
        let name = format!(
            "{}{}",
            model_stack_prefix(&self.options.deployment_name),
            definition.model_id
        );
        let synth_error = |message: String| DeployError::Synth {
            stack_name: name.clone(),
            message,
        };
        let options = StackOptions {
            deployment_name: self.options.deployment_name.clone(),
            run_state: if enabled {
                RunState::Running
            } else {
                RunState::Stopped
            },
            https: self.environment().certificate_arn.is_some(),
            desired_capacity,
        };
        let stack = synthesize(definition, &options).map_err(|e| match e {
            lisa_constructs::ecs_model::StackError::Invalid(errors) => DeployError::Invalid {
                model_id: definition.model_id.to_string(),
                errors,
            },
            other => synth_error(other.to_string()),
        })?;
        let values = parameter_values(
            &stack.template,
            self.environment(),
            &self.functions(definition)?,
        )
        .map_err(|e| synth_error(e.to_string()))?;
        Ok((stack, values))
    }

    /// The deployment's functions a model's stack invokes; refused when the bootstrap stack
    /// lacks one the definition needs.
    fn functions(&self, definition: &ModelDefinition) -> Result<Functions> {
        let missing = |what: &str, flag: &str| DeployError::NotBootstrapped {
            deployment_name: self.options.deployment_name.clone(),
            reason: format!("the bootstrap stack has no {what} yet: run bootstrap with {flag}"),
        };
        let registration_function_arn = self
            .bootstrap
            .registration_function_arn
            .clone()
            .ok_or_else(|| missing("registration function", "--registrar-zip"))?;
        if self.bootstrap.model_stack_role_arn.is_none() {
            return Err(DeployError::NotBootstrapped {
                deployment_name: self.options.deployment_name.clone(),
                reason: "the bootstrap stack has no role for model stacks yet (it was deployed by an older version): run bootstrap again".to_owned(),
            });
        }
        if definition.schedule.is_some() && self.bootstrap.lifecycle_function_arn.is_none() {
            return Err(missing(
                "lifecycle function (models with a schedule need it)",
                "--lifecycle-zip",
            ));
        }
        Ok(Functions {
            registration_function_arn,
            lifecycle_function_arn: self.bootstrap.lifecycle_function_arn.clone(),
            scheduler_role_arn: self.bootstrap.scheduler_role_arn.clone(),
            gate_function_arn: self.bootstrap.gate_function_arn.clone(),
            gate_security_group_id: self.bootstrap.gate_security_group_id.clone(),
        })
    }

    /// The ClientRequestToken of an operation recorded by the next write of `record`: unique
    /// per model and version, so every stack event of the operation can be told apart from
    /// the events of the operations before it.
    fn next_token(model_id: &str, version: u64) -> String {
        format!("lisa-{model_id}-v{}", version + 1)
    }

    /// Starts creating a model; returns its record in `Creating` (or already settled when the
    /// stack needed no change). Refused when the id exists.
    pub async fn create(&self, definition: ModelDefinition) -> Result<ModelRecord> {
        self.create_warned(definition)
            .await
            .map(|(record, _)| record)
    }

    /// [`Deployer::create`], with the warnings of the preflight checks that could not run (an
    /// unreadable vCPU quota), for the caller to show.
    pub async fn create_warned(
        &self,
        definition: ModelDefinition,
    ) -> Result<(ModelRecord, Vec<String>)> {
        let model_id = definition.model_id.to_string();
        let current = self.registry.get(&model_id).await?;
        let Step::Deploy { working } = status::begin(current.map(|r| r.status), Request::Create)
            .map_err(|r| refused(&model_id, r))?
        else {
            return Err(refused(&model_id, status::Refusal::NotFound));
        };
        let (stack, values) =
            self.synthesize(&definition, true, capacity::desired_on_create(&definition))?;
        let warnings = self.check_before(&definition).await?;
        let stack_name = stack.name.as_str().to_owned();
        let record = ModelRecord {
            definition,
            previous_definition: None,
            enabled: true,
            status: working,
            stack_name: stack_name.clone(),
            stack_id: None,
            litellm_model_id: None,
            model_url: None,
            auto_scaling_group_name: None,
            failure_reason: None,
            operation_token: Some(Self::next_token(&model_id, 0)),
            stopped_by_hand: false,
            last_scheduled_run: None,
            version: 0,
            last_modified: String::new(),
        };
        let record = match self.registry.create(record).await {
            Ok(record) => record,
            Err(WriteError::Conflict) => {
                let current = self.registry.get(&model_id).await?.map(|r| r.status);
                return Err(match current {
                    Some(current) => refused(&model_id, status::Refusal::Exists { current }),
                    None => conflict(&model_id, None),
                });
            }
            Err(WriteError::Failed(error)) => return Err(error),
        };
        match self
            .deploy_fenced(record.clone(), &stack, &values, true)
            .await
        {
            Ok(Fenced::Owned(record)) => Ok((*record, warnings)),
            Ok(Fenced::NoChanges(stack_id)) => self
                .started(record, Started::NoChanges { stack_id })
                .await
                .map(|record| (record, warnings)),
            Err((error, version)) => {
                // Nothing was created: take the record back so the registry stays true.
                let taken_back = self.registry.remove(&model_id, version).await;
                Err(self
                    .lost_to_another_request(&model_id, taken_back, error)
                    .await)
            }
        }
    }

    /// Records the stack id of a started operation (settling at once when nothing changed).
    async fn started(&self, mut record: ModelRecord, started: Started) -> Result<ModelRecord> {
        let no_changes = matches!(started, Started::NoChanges { .. });
        record.stack_id = Some(started.stack_id().to_owned());
        if no_changes {
            // Nothing ran, so no event will carry the token: the stack's state is the outcome.
            record.operation_token = None;
        }
        let model_id = record.definition.model_id.to_string();
        let record = match self.registry.replace(record).await {
            Ok(record) => record,
            Err(WriteError::Conflict) => {
                return self
                    .find(&model_id)
                    .await?
                    .ok_or_else(|| conflict(&model_id, None));
            }
            Err(WriteError::Failed(error)) => return Err(error),
        };
        if no_changes {
            return Ok(self.reconcile(record.clone()).await?.unwrap_or(record));
        }
        Ok(record)
    }

    /// Starts an update (metadata, autoscaling, container), a stop (`enabled: false`) or a
    /// start (`enabled: true`); returns the record with its working status, or settled at once
    /// when only the record changes (an update of a stopped model, saved for its next start).
    pub async fn update(&self, model_id: &str, update: &ModelUpdate) -> Result<ModelRecord> {
        self.update_warned(model_id, update)
            .await
            .map(|(record, _)| record)
    }

    /// [`Deployer::update`], with the warnings of the preflight checks that could not run
    /// (they run before a resize or a start), for the caller to show.
    pub async fn update_warned(
        &self,
        model_id: &str,
        update: &ModelUpdate,
    ) -> Result<(ModelRecord, Vec<String>)> {
        self.update_by(model_id, update, None).await
    }

    /// [`Deployer::update`] by an administrator (`scheduled` is `None`: a stop holds against
    /// scheduled starts) or by the model's schedule (`scheduled` is recorded with it).
    async fn update_by(
        &self,
        model_id: &str,
        update: &ModelUpdate,
        scheduled: Option<ScheduledRun>,
    ) -> Result<(ModelRecord, Vec<String>)> {
        let record = self.get(model_id).await?;
        let request = match update.enabled {
            Some(false) => Request::Stop,
            Some(true) => Request::Start,
            None => Request::Update,
        };
        let requester = match scheduled {
            Some(_) => status::Requester::Schedule,
            None => status::Requester::Administrator,
        };
        let step = status::begin_as(Some(record.status), request, requester)
            .map_err(|r| refused(model_id, r))?;
        let definition = record
            .definition
            .apply_update(update, None)
            .map_err(|errors| DeployError::Invalid {
                model_id: model_id.to_owned(),
                errors,
            })?;
        let previous = record.clone();
        let mut next = record;
        next.definition = definition;
        match request {
            Request::Stop => next.stopped_by_hand = scheduled.is_none(),
            Request::Start => next.stopped_by_hand = false,
            Request::Create | Request::Update | Request::Delete => {}
        }
        if scheduled.is_some() {
            next.last_scheduled_run = scheduled;
        }
        let working = match step {
            Step::Save => {
                return self.write(next).await.map(|record| (record, Vec::new()));
            }
            Step::Deploy { working } => working,
        };
        next.enabled = match request {
            Request::Stop => false,
            Request::Start => true,
            Request::Create | Request::Update | Request::Delete => next.enabled,
        };
        let desired_capacity = match request {
            Request::Start => capacity::desired_on_create(&next.definition),
            Request::Update => capacity::desired_on_update(update),
            Request::Create | Request::Stop | Request::Delete => None,
        };
        let (stack, values) = self.synthesize(&next.definition, next.enabled, desired_capacity)?;
        let resized = update.auto_scaling_instance_config.is_some() || request == Request::Start;
        let warnings = if resized {
            self.check_before(&next.definition).await?
        } else {
            Vec::new()
        };
        self.deploy_change(previous, next, working, &stack, &values)
            .await
            .map(|record| (record, warnings))
    }

    /// Replaces a model's whole definition (a fleet deploy of a changed file): an update by the
    /// status machine's rules. A stopped model keeps the new definition for its next start.
    pub async fn redefine(&self, definition: ModelDefinition) -> Result<ModelRecord> {
        let model_id = definition.model_id.to_string();
        let record = self.get(&model_id).await?;
        let step = status::begin(Some(record.status), Request::Update)
            .map_err(|r| refused(&model_id, r))?;
        let previous = record.clone();
        let mut next = record;
        next.definition = definition;
        let working = match step {
            // A stopped model's schedule lives in its stack: a changed one is deployed now.
            Step::Save if next.definition.schedule != previous.definition.schedule => {
                ModelStatus::Updating
            }
            Step::Save => {
                self.synthesize(&next.definition, false, None)?;
                return self.write(next).await;
            }
            Step::Deploy { working } => working,
        };
        let (stack, values) = self.synthesize(&next.definition, next.enabled, None)?;
        self.deploy_change(previous, next, working, &stack, &values)
            .await
    }

    /// Gives a model a schedule, changes it or (with `None`) removes it: a stack update that
    /// adds, changes or deletes the model's EventBridge Scheduler schedules, from `InService`
    /// or `Stopped` (a stopped model stays stopped: status `Updating`, then `Stopped` again).
    /// An unchanged schedule changes nothing.
    pub async fn set_schedule(
        &self,
        model_id: &str,
        schedule: Option<Schedule>,
    ) -> Result<ModelRecord> {
        let record = self.get(model_id).await?;
        status::begin(Some(record.status), Request::Update).map_err(|r| refused(model_id, r))?;
        if record.definition.schedule == schedule {
            return Ok(record);
        }
        let previous = record.clone();
        let mut next = record;
        next.definition.schedule = schedule;
        let (stack, values) = self.synthesize(&next.definition, next.enabled, None)?;
        self.deploy_change(previous, next, ModelStatus::Updating, &stack, &values)
            .await
    }

    /// Records `next` in its working status and starts its stack's update; when the update
    /// cannot start, see [`Deployer::take_back`].
    async fn deploy_change(
        &self,
        previous: ModelRecord,
        mut next: ModelRecord,
        working: ModelStatus,
        stack: &ModelStack,
        values: &[(String, String)],
    ) -> Result<ModelRecord> {
        next.previous_definition = Some(previous.definition.clone());
        next.status = working;
        next.failure_reason = None;
        let token = Self::next_token(&model_id_of(&next), next.version);
        next.operation_token = Some(token.clone());
        let next = self.write(next).await?;
        match self.deploy_fenced(next.clone(), stack, values, false).await {
            Ok(Fenced::Owned(record)) => Ok(*record),
            Ok(Fenced::NoChanges(stack_id)) => {
                self.started(next, Started::NoChanges { stack_id }).await
            }
            Err((error, version)) => Err(self.take_back(previous, version, error).await),
        }
    }

    /// Computes the change set of `record`'s operation and executes it only while the
    /// operation still owns the record: a guarded write of the record (with the stack's id)
    /// right before ExecuteChangeSet. A reader that took the operation for dead and gave the
    /// model back meanwhile wrote first; then the change set is deleted instead, so the stack
    /// never runs what the registry no longer says ([`DeployError::Conflict`]).
    async fn deploy_fenced(
        &self,
        record: ModelRecord,
        stack: &ModelStack,
        values: &[(String, String)],
        must_be_new: bool,
    ) -> std::result::Result<Fenced, (DeployError, u64)> {
        let token = record.operation_token.clone().unwrap_or_default();
        let version = record.version;
        let change_set = match self
            .stacks
            .prepare(
                &record.stack_name,
                &stack.template,
                values,
                must_be_new,
                record.stack_id.as_deref(),
            )
            .await
            .map_err(|error| (error, version))?
        {
            Prepared::NoChanges { stack_id } => return Ok(Fenced::NoChanges(stack_id)),
            Prepared::Ready(change_set) => change_set,
        };
        let model_id = model_id_of(&record);
        let mut claim = record;
        claim.stack_id = Some(change_set.stack_id.clone());
        let owned = match self.registry.replace(claim).await {
            Ok(owned) => owned,
            Err(lost) => {
                let _ = self.stacks.discard(&change_set).await;
                let error = match lost {
                    WriteError::Conflict => {
                        let current = self.registry.get(&model_id).await.ok().flatten();
                        conflict(&model_id, current.map(|r| r.status))
                    }
                    WriteError::Failed(error) => error,
                };
                return Err((error, version));
            }
        };
        if let Err(error) = self.stacks.execute(&change_set, &token).await {
            let _ = self.stacks.discard(&change_set).await;
            return Err((error, owned.version));
        }
        Ok(Fenced::Owned(Box::new(owned)))
    }

    /// A stack operation could not start: the record goes back to `previous` so the registry
    /// stays true, and the answer is `error`, unless another request (a delete, say) changed
    /// the record meanwhile: that request's operation is the one that happens, and this one
    /// lost the model to it ([`DeployError::Conflict`]).
    async fn take_back(
        &self,
        previous: ModelRecord,
        version: u64,
        error: DeployError,
    ) -> DeployError {
        let model_id = model_id_of(&previous);
        let restored = ModelRecord {
            version,
            ..previous
        };
        let taken_back = self.registry.replace(restored).await.map(|_| ());
        self.lost_to_another_request(&model_id, taken_back, error)
            .await
    }

    /// `error`, or [`DeployError::Conflict`] when the record could not be taken back because
    /// another request changed it.
    async fn lost_to_another_request(
        &self,
        model_id: &str,
        taken_back: std::result::Result<(), WriteError>,
        error: DeployError,
    ) -> DeployError {
        match taken_back {
            Err(WriteError::Conflict) => {
                let current = self.registry.get(model_id).await.ok().flatten();
                conflict(model_id, current.map(|r| r.status))
            }
            Ok(()) | Err(WriteError::Failed(_)) => error,
        }
    }

    /// A guarded write; a lost race is [`DeployError::Conflict`].
    async fn write(&self, record: ModelRecord) -> Result<ModelRecord> {
        let model_id = record.definition.model_id.to_string();
        match self.registry.replace(record).await {
            Ok(record) => Ok(record),
            Err(WriteError::Conflict) => {
                let current = self.registry.get(&model_id).await?.map(|r| r.status);
                Err(conflict(&model_id, current))
            }
            Err(WriteError::Failed(error)) => Err(error),
        }
    }

    /// Starts deleting a model; returns its record in `Deleting`, or `None` when it is gone
    /// already (its stack was) or its record is unreadable (its stack's delete then shows in
    /// [`Deployer::list`] and [`Deployer::wait`]). Refused while a create has not reached
    /// CloudFormation: its stack cannot be found yet, and would outlive the record.
    pub async fn delete(&self, model_id: &str) -> Result<Option<ModelRecord>> {
        let record = match self.registry.get_listed(model_id).await? {
            Some(Listed::Unreadable(unreadable)) => {
                return self.delete_unreadable(unreadable).await;
            }
            Some(Listed::Model(record)) => self.reconcile(record).await?,
            None => None,
        };
        let record = record.ok_or_else(|| refused(model_id, status::Refusal::NotFound))?;
        let Step::Deploy { working } = status::begin(Some(record.status), Request::Delete)
            .map_err(|r| refused(model_id, r))?
        else {
            return Err(refused(model_id, status::Refusal::NotFound));
        };
        if record.status == ModelStatus::Creating && record.stack_id.is_none() {
            return Err(refused(
                model_id,
                status::Refusal::NotAllowed {
                    request: Request::Delete.as_str(),
                    current: record.status,
                    rule: CREATE_STARTING_RULE,
                },
            ));
        }
        let previous = record.clone();
        let mut next = record;
        next.status = working;
        let token = Self::next_token(model_id, next.version);
        next.operation_token = Some(token.clone());
        let next = self.write(next).await?;
        let stack = next
            .stack_id
            .clone()
            .unwrap_or_else(|| next.stack_name.clone());
        match self
            .stacks
            .delete(&stack, &token, next.stack_id.as_deref())
            .await
        {
            Ok(Some(_)) => Ok(Some(next)),
            Ok(None) => {
                self.remove(&next).await?;
                Ok(None)
            }
            Err(error) => Err(self.take_back(previous, next.version, error).await),
        }
    }

    /// Deletes the stack of a record that cannot be read, marking the record `Deleting`; the
    /// record goes once its stack has (see [`Deployer::settle_unreadable`]).
    async fn delete_unreadable(&self, unreadable: Unreadable) -> Result<Option<ModelRecord>> {
        let model_id = unreadable.model_id.as_str();
        let Some(version) = unreadable.version else {
            return Err(unreadable_error(&unreadable));
        };
        let stack = unreadable.stack.clone().unwrap_or_else(|| {
            format!(
                "{}{model_id}",
                model_stack_prefix(&self.options.deployment_name)
            )
        });
        match self
            .registry
            .set_status(model_id, version, ModelStatus::Deleting)
            .await
        {
            Ok(()) => {}
            Err(WriteError::Conflict) => return Err(conflict(model_id, unreadable.status)),
            Err(WriteError::Failed(error)) => return Err(error),
        }
        let deleting = version + 1;
        let token = Self::next_token(model_id, version);
        match self
            .stacks
            .delete(&stack, &token, unreadable.stack.as_deref())
            .await
        {
            Ok(Some(_)) => Ok(None),
            Ok(None) => match self.registry.remove(model_id, deleting).await {
                Ok(()) | Err(WriteError::Conflict) => Ok(None),
                Err(WriteError::Failed(error)) => Err(error),
            },
            Err(error) => {
                if let Some(status) = unreadable.status {
                    let _ = self.registry.set_status(model_id, deleting, status).await;
                }
                Err(error)
            }
        }
    }

    async fn remove(&self, record: &ModelRecord) -> Result<()> {
        let model_id = record.definition.model_id.as_str();
        match self.registry.remove(model_id, record.version).await {
            Ok(()) => Ok(()),
            Err(WriteError::Conflict) => {
                let current = self.registry.get(model_id).await?.map(|r| r.status);
                Err(conflict(model_id, current))
            }
            Err(WriteError::Failed(error)) => Err(error),
        }
    }

    /// Follows the model's current operation to its end, telling `progress` of each stack event
    /// and of what the stack waits on (its registration against the registration's
    /// `ServiceTimeout`), and records the outcome, read as soon as the stack settles.
    pub async fn wait(
        &self,
        model_id: &str,
        progress: &mut (dyn FnMut(Progress<'_>) + Send),
    ) -> Result<Waited> {
        // Whether the stack was found settled while the record still says working: the stack
        // may be settled from an earlier operation that this one has not reached yet.
        let mut followed = false;
        loop {
            let record = match self.find(model_id).await {
                Ok(Some(record)) => record,
                Ok(None) => return Ok(Waited::Deleted),
                Err(error @ DeployError::Registry { .. }) => {
                    // An unreadable record: follow its stack while it is being deleted.
                    let deleting = match self.registry.get_listed(model_id).await? {
                        Some(Listed::Unreadable(Unreadable {
                            status: Some(ModelStatus::Deleting),
                            stack: Some(stack),
                            ..
                        })) => stack,
                        _ => return Err(error),
                    };
                    let settled = self
                        .stacks
                        .wait(
                            &deleting,
                            self.options.timeout,
                            &Budgets::default(),
                            progress,
                        )
                        .await?;
                    if settled.is_some_and(|info| info.status != StackStatus::DeleteComplete) {
                        return Err(error);
                    }
                    continue;
                }
                Err(error) => return Err(error),
            };
            if !status::is_working(record.status) {
                return Ok(Waited::Settled(Box::new(record)));
            }
            if followed {
                // Look again after a pause rather than at once.
                tokio::time::sleep(self.options.polling.pause()).await;
            }
            let stack = record
                .stack_id
                .clone()
                .unwrap_or_else(|| record.stack_name.clone());
            let budgets = self
                .synthesize(&record.definition, record.enabled, None)
                .map(|(synthesized, _)| Budgets::of_template(&synthesized.template))
                .unwrap_or_default();
            self.stacks
                .wait(&stack, self.options.timeout, &budgets, progress)
                .await?;
            followed = true;
        }
    }

    /// What deploying `definition` would change (for `diff`).
    pub async fn preview(&self, definition: &ModelDefinition, enabled: bool) -> Result<Preview> {
        let (stack, values) = self.synthesize(definition, enabled, None)?;
        self.stacks
            .preview(stack.name.as_str(), &stack.template, &values)
            .await
    }
}

fn model_id_of(record: &ModelRecord) -> String {
    record.definition.model_id.to_string()
}

/// The HTTP API runs these operations on a multi-threaded runtime: their futures must be `Send`
/// and the deployer shareable. A compile-time check.
#[allow(dead_code)]
fn operations_can_run_on_any_thread(
    deployer: &Deployer,
    definition: ModelDefinition,
    update: &ModelUpdate,
) {
    fn send<T: Send>(_: T) {}
    fn shared<T: Send + Sync + Clone + 'static>() {}
    shared::<Deployer>();
    send(deployer.list());
    send(deployer.get("m"));
    send(deployer.create(definition.clone()));
    send(deployer.redefine(definition));
    send(deployer.update("m", update));
    send(deployer.delete("m"));
    send(deployer.wait("m", &mut |_| {}));
}
