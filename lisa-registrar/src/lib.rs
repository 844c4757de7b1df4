//! The LiteLLM registration custom resource's handler: an AWS Lambda function that answers
//! CloudFormation's `Custom::LiteLLMModel` requests by adding, replacing and removing the model's
//! entry in the LiteLLM proxy.
//!
//! The core is [`handler::Registrar::decide`], a plain async function from a request to the
//! answer (or to handing the request on to a fresh invocation); [`handler::Registrar::run`] wraps
//! it so CloudFormation always gets an answer before the invocation's deadline, also when LiteLLM
//! hangs or the code panics. The custom resource's properties are
//! [`lisa_constructs::ecs_model::registration::RegistrationProperties`], the type the template
//! renders them from. What the function trusts (its deployment, the LiteLLM endpoint, the
//! master-key secret) is [`Pinned`], from its own environment, never from a request; what
//! a request claims about its stack is checked against CloudFormation (through [`Stacks`]).
//!
//! The same function is also the deployment gate ([`Gate`]): ECS calls it during a model's
//! blue/green deployment, and it answers `SUCCEEDED`, `FAILED` or `IN_PROGRESS` after checking the
//! new tasks' health, model list and one minimal inference through the test listener. An event
//! with a `lifecycleStage` is the gate's; it needs none of the registrar's settings.

mod claim;
mod error;
mod gate;
mod handler;
mod health;
mod litellm;
mod message;
mod operation;
mod pinned;
mod progress;
mod relay;
mod respond;
mod retry;
mod secret;
mod stacks;

pub use error::{Refusal, RegistrarError};
pub use gate::{
    ATTEMPT_KEY, ENV_GIVE_UP_SECONDS, EXECUTION_KEY, FIRST_SEEN_KEY, Gate, GateSettings,
    HookStatus, Verdict, is_gate_event,
};
pub use handler::{Handled, Invocation, Registrar, Settings, Step};
pub use litellm::{LiteLlmClient, LiteLlmError};
pub use pinned::Pinned;
pub use stacks::{AwsStacks, Lookup, LookupError, StackResource, Stacks};
