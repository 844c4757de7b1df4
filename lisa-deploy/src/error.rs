//! The deployer's errors: one enum, each variant naming the rule or the service that refused.

use lisa_constructs::model::status::Refusal;
use lisa_constructs::model::{ModelStatus, ValidationErrors};

/// Why a deployer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The status machine refused the request (unknown model, duplicate, wrong status).
    #[error("model {model_id}: {refusal}")]
    Refused {
        /// The model.
        model_id: String,
        /// The rule that refused.
        refusal: Refusal,
    },
    /// The definition or update breaks a model rule.
    #[error("model {model_id}: invalid request:\n{errors}")]
    Invalid {
        /// The model.
        model_id: String,
        /// Every problem.
        errors: ValidationErrors,
    },
    /// Another request changed the model first; nothing was changed by this one.
    #[error(
        "model {model_id}: changed by another request meanwhile (now {current:?}); nothing was done, try again"
    )]
    Conflict {
        /// The model.
        model_id: String,
        /// Its status now, if it still exists.
        current: Option<ModelStatus>,
    },
    /// The deployment has no bootstrap stack (or an incomplete one).
    #[error("deployment {deployment_name}: {reason}")]
    NotBootstrapped {
        /// The deployment.
        deployment_name: String,
        /// What is missing.
        reason: String,
    },
    /// A preflight check refused: nothing was created.
    #[error("preflight: {0}")]
    Preflight(String),
    /// A template could not be synthesized.
    #[error("cannot synthesize {stack_name}: {message}")]
    Synth {
        /// The stack.
        stack_name: String,
        /// Why.
        message: String,
    },
    /// An AWS call failed (after retries).
    #[error("{operation} failed: {message}")]
    Aws {
        /// The API operation, such as `CloudFormation.CreateChangeSet`.
        operation: &'static str,
        /// The error code, when the service gave one.
        code: Option<String>,
        /// The service's message, or the transport error.
        message: String,
    },
    /// A stack operation could not start or ended badly.
    #[error("stack {stack_name}: {reason}")]
    Stack {
        /// The stack.
        stack_name: String,
        /// Why.
        reason: String,
    },
    /// CloudFormation reported a status this version does not know.
    #[error("stack {stack_name} has status {status}, unknown to this version: refusing to guess")]
    UnknownStackStatus {
        /// The stack.
        stack_name: String,
        /// The status.
        status: String,
    },
    /// A registry item could not be read.
    #[error("registry item {model_id} is unreadable: {reason}")]
    Registry {
        /// The model.
        model_id: String,
        /// Why.
        reason: String,
    },
}

impl DeployError {
    /// Whether the error is a refusal by a rule (HTTP 4xx), as opposed to a failure.
    pub fn is_refusal(&self) -> bool {
        match self {
            DeployError::Refused { .. }
            | DeployError::Invalid { .. }
            | DeployError::Conflict { .. }
            | DeployError::Preflight(_) => true,
            DeployError::NotBootstrapped { .. }
            | DeployError::Synth { .. }
            | DeployError::Aws { .. }
            | DeployError::Stack { .. }
            | DeployError::UnknownStackStatus { .. }
            | DeployError::Registry { .. } => false,
        }
    }
}

/// The deployer's result type.
pub type Result<T, E = DeployError> = std::result::Result<T, E>;
