//! The lifecycle function: an AWS Lambda function that EventBridge Scheduler invokes when a
//! model's schedule says to stop or start it. It runs the library's own scheduled transition,
//! [`lisa_deploy::Deployer::run_scheduled`], so a scheduled stop or start changes the registry,
//! the stack and LiteLLM exactly as an administrator's does, and returns what happened (the
//! [`lisa_constructs::model::ScheduledRun`] recorded on the model) as the invocation's result.
//!
//! What the function trusts is [`Settings`], from its own environment: the deployment
//! it serves is pinned there by the bootstrap stack, never taken from an event, so an event can
//! name only a model of that deployment. The event is
//! [`lisa_constructs::ecs_model::schedule::LifecycleEvent`], read into a
//! [`lisa_constructs::model::schedule::DueTransition`]; whether it is obeyed is
//! [`lisa_constructs::model::schedule::due::decide`]'s to say, at the time the invocation
//! arrived (the caller's clock, [`LifecycleHandler::handle`]'s `now`).

#![warn(missing_docs)]

mod error;
mod event;
mod handler;
mod line;
mod settings;

pub use error::LifecycleError;
pub use handler::LifecycleHandler;
pub use settings::{DEADLINE_MARGIN, Settings, SettingsError};
