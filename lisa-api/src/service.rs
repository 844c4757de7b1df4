//! What the API asks of the system behind it: the model lifecycle, as a trait the deployer
//! implements, so the HTTP layer holds no AWS code and is tested on its own.

use crate::schedule::ModelSchedule;
use crate::view::ListEntry;
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::{ModelId, ModelUpdate, ValidDefinition, ValidationErrors};
use schemars::JsonSchema;
use serde::Serialize;
use std::future::Future;

/// The model lifecycle behind the API. Every operation that starts long work (a stack create,
/// update or delete) returns as soon as the new status is recorded; the work goes on without the
/// caller. The server runs `create`, `update`, `set_schedule` and `delete` on tasks of their
/// own, one per model at a time, so their futures always run to their end, even when the client
/// has hung up.
pub trait ModelService: Send + Sync + 'static {
    /// A model as the API returns it (the seed's model object, with `status`).
    type Model: Serialize + JsonSchema + Send;

    /// Every model (a stored model that cannot be read is listed as such, never hidden).
    fn list(
        &self,
    ) -> impl Future<Output = Result<Vec<ListEntry<Self::Model>>, ServiceError>> + Send;

    /// One model.
    fn get(&self, id: &ModelId) -> impl Future<Output = Result<Self::Model, ServiceError>> + Send;

    /// Records a new model as `Creating` and starts creating its stack.
    fn create(
        &self,
        definition: ValidDefinition,
    ) -> impl Future<Output = Result<Changed<Self::Model>, ServiceError>> + Send;

    /// Applies an update payload (metadata, autoscaling, container settings, stop or start).
    fn update(
        &self,
        id: &ModelId,
        update: ModelUpdate,
    ) -> impl Future<Output = Result<Changed<Self::Model>, ServiceError>> + Send;

    /// The model's schedule, its next transition and the schedule's last run.
    fn schedule(
        &self,
        id: &ModelId,
    ) -> impl Future<Output = Result<ModelSchedule, ServiceError>> + Send;

    /// Gives the model a schedule, replaces it or (with `None`) removes it: from `InService` or
    /// `Stopped` only, an update of the model's stack (the answer is the model, `Updating`; a
    /// stopped model stays stopped), or the model unchanged when the schedule is the same.
    fn set_schedule(
        &self,
        id: &ModelId,
        schedule: Option<Schedule>,
    ) -> impl Future<Output = Result<Self::Model, ServiceError>> + Send;

    /// Marks the model `Deleting` and starts deleting its stack.
    fn delete(&self, id: &ModelId) -> impl Future<Output = Result<(), ServiceError>> + Send;
}

/// A model a create or an update started to change, with the warnings of the checks before
/// the change that could not run (an unreadable vCPU quota): the change went ahead, and the
/// administrator should know what was not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed<M> {
    /// The model with its new status.
    pub model: M,
    /// What could not be checked; empty when everything was.
    pub warnings: Vec<String>,
}

impl<M> Changed<M> {
    /// A change with nothing to warn about.
    pub fn new(model: M) -> Self {
        Changed {
            model,
            warnings: Vec::new(),
        }
    }
}

/// Why an operation was refused or failed, in the terms the API answers with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ServiceError {
    /// No model has this id (404).
    #[error("model {0} does not exist")]
    NotFound(String),
    /// A model with this id exists already (409).
    #[error("model {0} already exists")]
    AlreadyExists(String),
    /// Another request changed the model first (409); reading it again shows the new state.
    #[error("{0}")]
    Conflict(String),
    /// The payload breaks the rules (400), every problem with its path.
    #[error("{0}")]
    Invalid(ValidationErrors),
    /// The request is well-formed but not allowed now, e.g. starting a running model (400).
    #[error("{0}")]
    Refused(String),
    /// The deployment or the server's configuration must be changed by an operator before the
    /// request can succeed (a part the bootstrap lacks, credentials, rights): 500, since
    /// trying the same request again cannot help.
    #[error("{0}")]
    Misconfigured(String),
    /// A service the system depends on cannot be reached (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (500). Never used for bad input.
    #[error("{0}")]
    Internal(String),
}
