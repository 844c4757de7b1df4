//! Why an invocation failed, in words an operator can act on. Each failure is reported to
//! Lambda as the invocation's error (an asynchronous invocation is then tried again by Lambda,
//! and its log line says why).

use lambda_runtime::Diagnostic;
use lisa_constructs::model::schedule::Transition;
use lisa_deploy::DeployError;

use crate::event::EventError;
use crate::settings::SettingsError;

/// The function's failures.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// The function's environment does not say what it serves.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The event is not a lifecycle event.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The deployment's bootstrap stack could not be read.
    #[error("cannot reach deployment {deployment_name}: {source}")]
    Connect {
        /// The deployment.
        deployment_name: String,
        /// Why.
        #[source]
        source: DeployError,
    },
    /// The transition could not be carried out or recorded (an AWS failure).
    #[error("the scheduled {action} of model {model_id} failed: {source}")]
    Transition {
        /// The model.
        model_id: String,
        /// Start or stop.
        action: Transition,
        /// Why.
        #[source]
        source: DeployError,
    },
}

impl LifecycleError {
    /// A short name of the kind of failure: the `errorType` Lambda records.
    pub fn kind(&self) -> &'static str {
        match self {
            LifecycleError::Settings(SettingsError::Missing { .. }) => "NotConfigured",
            LifecycleError::Settings(SettingsError::Invalid { .. }) => "Misconfigured",
            LifecycleError::Event(_) => "MalformedEvent",
            LifecycleError::Connect { .. } => "DeploymentUnreachable",
            LifecycleError::Transition { .. } => "TransitionFailed",
        }
    }
}

impl From<LifecycleError> for Diagnostic {
    fn from(error: LifecycleError) -> Diagnostic {
        Diagnostic {
            error_type: error.kind().to_owned(),
            error_message: error.to_string(),
        }
    }
}
