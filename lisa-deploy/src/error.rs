//! The deployer's errors: one enum, each variant naming the rule or the service that refused,
//! and one [`ErrorClass`] per variant from which the CLI's exit code and the API's HTTP status
//! are rendered.

use crate::aws_errors::AwsFault;
use lisa_constructs::model::status::Refusal;
use lisa_constructs::model::{ModelStatus, ValidationErrors};

/// What kind of failure an error is, for whoever must act on it. The edges render it: the CLI
/// as an exit code, the Admin API as an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The model (or the stack) does not exist.
    NotFound,
    /// The model or its stack exists already.
    Exists,
    /// Another operation holds the model or its stack; the same request may succeed once it
    /// settles.
    Busy,
    /// A rule refused the request as it stands (wrong status, a preflight check); nothing changed.
    Refused,
    /// The request breaks the model rules; nothing changed.
    Invalid,
    /// The deployment or this machine must be changed by an operator before the request can
    /// succeed (credentials, region, endpoint, a bootstrap that lacks a part, missing rights):
    /// trying again unchanged cannot help.
    Misconfigured,
    /// An AWS service failed or could not be reached; trying again later may help.
    Unavailable,
    /// Anything else: a defect or a state this version cannot handle.
    Internal,
}

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
        /// What is missing, and how to add it.
        reason: String,
    },
    /// No AWS region is set.
    #[error("no AWS region is set: pass --region or set AWS_REGION (or a region in the profile)")]
    NoRegion,
    /// No AWS credentials could be found.
    #[error(
        "no AWS credentials ({reason}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
    )]
    NoCredentials {
        /// What the credential chain said.
        reason: String,
    },
    /// The endpoint set for every call does not accept connections.
    #[error(
        "cannot reach {endpoint} ({reason}): check --endpoint-url / AWS_ENDPOINT_URL, and that the service there is running"
    )]
    Unreachable {
        /// The endpoint.
        endpoint: String,
        /// What the connection attempt said.
        reason: String,
    },
    /// A preflight check refused: nothing was created.
    #[error("preflight: {0}")]
    Preflight(String),
    /// Preflight checks were asked of a build that has none.
    #[error(
        "model {model_id}: this build has no preflight checks (the `preflight` feature); turn them off with DeployerOptions::skip_preflight"
    )]
    NoPreflight {
        /// The model.
        model_id: String,
    },
    /// A template could not be synthesized.
    #[error("cannot synthesize {stack_name}: {message}")]
    Synth {
        /// The stack.
        stack_name: String,
        /// Why.
        message: String,
    },
    /// An AWS call failed (after retries).
    #[error("{operation} failed: {message}{}", fault.hint())]
    Aws {
        /// The API operation, such as `CloudFormation.CreateChangeSet`.
        operation: &'static str,
        /// The error code, when the service gave one.
        code: Option<String>,
        /// The service's message, or the transport error in one line.
        message: String,
        /// What kind of failure it was.
        fault: AwsFault,
    },
    /// The stack is in the middle of another operation.
    #[error("stack {stack_name} is busy ({status}); wait until it settles")]
    StackBusy {
        /// The stack.
        stack_name: String,
        /// Its status.
        status: String,
    },
    /// A stack of this name exists but this deployment did not make it for this model.
    #[error(
        "stack {stack_name} exists already but {why}; delete the stack or choose another modelId"
    )]
    StackNotOurs {
        /// The stack.
        stack_name: String,
        /// What shows it is not ours.
        why: &'static str,
    },
    /// The stack is in a state from which it cannot be updated.
    #[error(
        "stack {stack_name} is {status} and cannot be updated; delete the model and create it again"
    )]
    StackCannotUpdate {
        /// The stack.
        stack_name: String,
        /// Its status.
        status: String,
    },
    /// CloudFormation could not compute the change set.
    #[error("stack {stack_name}: change set failed: {reason}")]
    ChangeSetFailed {
        /// The stack.
        stack_name: String,
        /// CloudFormation's reason.
        reason: String,
    },
    /// The stack's operation ended in a failure.
    #[error("stack {stack_name} ended {status}: {reason}")]
    StackFailed {
        /// The stack.
        stack_name: String,
        /// Its status.
        status: String,
        /// CloudFormation's reason for the first failure.
        reason: String,
    },
    /// The stack disappeared while it was being deployed, or was never created.
    #[error("stack {stack_name} disappeared while it was being deployed")]
    StackVanished {
        /// The stack.
        stack_name: String,
    },
    /// The stack did not settle within the time allowed.
    #[error("stack {stack_name} did not settle within {seconds} s")]
    Timeout {
        /// The stack.
        stack_name: String,
        /// The time allowed.
        seconds: u64,
    },
    /// The template is too large to send inline and the deployment has no bucket for it.
    #[error(
        "stack {stack_name}: the template is {bytes} bytes, over the inline limit, and there is no artifacts bucket to upload it to"
    )]
    NoArtifactsBucket {
        /// The stack.
        stack_name: String,
        /// The template's size.
        bytes: usize,
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

impl From<AwsFault> for ErrorClass {
    /// What the operator can do about a failed AWS call: change the configuration, or wait.
    fn from(fault: AwsFault) -> ErrorClass {
        match fault {
            AwsFault::AccessDenied | AwsFault::NoCredentials | AwsFault::Unreachable => {
                ErrorClass::Misconfigured
            }
            AwsFault::Service | AwsFault::Throttled | AwsFault::Transport => {
                ErrorClass::Unavailable
            }
        }
    }
}

impl DeployError {
    /// Whether CloudFormation answered that the stack does not exist.
    pub fn is_missing_stack(&self) -> bool {
        matches!(self, DeployError::Aws { code: Some(code), message, .. }
            if crate::aws_errors::says_stack_missing(code, message))
    }

    /// Whether CloudFormation answered that the change set does not exist.
    pub fn is_missing_change_set(&self) -> bool {
        matches!(self, DeployError::Aws { code: Some(code), .. }
            if crate::aws_errors::says_change_set_missing(code))
    }

    /// The error's class, from which the edges render an exit code or an HTTP status.
    pub fn class(&self) -> ErrorClass {
        match self {
            DeployError::Refused { refusal, .. } => match refusal {
                Refusal::NotFound => ErrorClass::NotFound,
                Refusal::Exists { .. } => ErrorClass::Exists,
                // Another operation holds the model: the request may succeed once it ends.
                Refusal::NotAllowed { current, .. }
                    if lisa_constructs::model::status::is_working(*current) =>
                {
                    ErrorClass::Busy
                }
                Refusal::NotAllowed { .. } => ErrorClass::Refused,
            },
            DeployError::Invalid { .. } => ErrorClass::Invalid,
            DeployError::Conflict { .. } | DeployError::StackBusy { .. } => ErrorClass::Busy,
            DeployError::StackNotOurs { .. } => ErrorClass::Exists,
            DeployError::Preflight(_) | DeployError::StackCannotUpdate { .. } => {
                ErrorClass::Refused
            }
            DeployError::NotBootstrapped { .. }
            | DeployError::NoRegion
            | DeployError::NoCredentials { .. }
            | DeployError::Unreachable { .. }
            | DeployError::NoPreflight { .. }
            | DeployError::NoArtifactsBucket { .. } => ErrorClass::Misconfigured,
            DeployError::Aws { fault, .. } => ErrorClass::from(*fault),
            DeployError::Timeout { .. } | DeployError::StackFailed { .. } => {
                ErrorClass::Unavailable
            }
            DeployError::Synth { .. }
            | DeployError::ChangeSetFailed { .. }
            | DeployError::StackVanished { .. }
            | DeployError::UnknownStackStatus { .. }
            | DeployError::Registry { .. } => ErrorClass::Internal,
        }
    }
}

/// The deployer's result type.
pub type Result<T, E = DeployError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_working_model_is_busy_and_a_settled_one_refuses() {
        let refused = |current| DeployError::Refused {
            model_id: "m".into(),
            refusal: Refusal::NotAllowed {
                current,
                request: "update",
                rule: "a rule",
            },
        };
        assert_eq!(refused(ModelStatus::Updating).class(), ErrorClass::Busy);
        assert_eq!(refused(ModelStatus::Failed).class(), ErrorClass::Refused);
        let busy = DeployError::StackBusy {
            stack_name: "s".into(),
            status: "UPDATE_IN_PROGRESS".into(),
        };
        assert_eq!(busy.class(), ErrorClass::Busy);
        assert_eq!(
            ErrorClass::from(AwsFault::Unreachable),
            ErrorClass::Misconfigured
        );
        assert_eq!(
            ErrorClass::from(AwsFault::Throttled),
            ErrorClass::Unavailable
        );
        let missing = DeployError::Aws {
            operation: "CloudFormation.DescribeStacks",
            code: Some("ValidationError".into()),
            message: "Stack with id lisa-m does not exist".into(),
            fault: AwsFault::Service,
        };
        assert!(missing.is_missing_stack() && !missing.is_missing_change_set());
        assert_eq!(
            DeployError::NoPreflight {
                model_id: "m".into()
            }
            .class(),
            ErrorClass::Misconfigured,
            "a build without preflight is no refusal of the request"
        );
    }
}
