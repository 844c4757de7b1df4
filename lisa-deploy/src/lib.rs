//! All of lisa's AWS I/O: the environment, stack operations, the model registry and the
//! lifecycle. Used by the `lisa-ops` command line, the HTTP API and the lifecycle function.
//!
//! The surface is the lifecycle: [`Deployer`] lists, gets, creates, updates and deletes models
//! and waits for them. Every operation returns as soon as the new status is recorded (what an
//! HTTP request needs); [`Deployer::wait`] follows an operation to its end. Errors say which
//! rule refused ([`DeployError::Refused`]) or which service failed. Beside it: deploying a
//! deployment's bootstrap stack ([`bootstrap`]), fleets ([`plan_fleet`], [`apply_fleet`]) and
//! what a caller shows while a stack changes ([`Progress`]).

mod aws;
mod aws_errors;
mod bootstrap;
mod deployer;
mod error;
mod fleet;
#[cfg(feature = "preflight")]
mod preflight;
mod registry;
mod stack_status;
mod stacks;

pub use aws::Clients;
pub use aws_errors::AwsFault;
pub use bootstrap::{
    BootstrapChange, BootstrapFunction, BootstrapProblem, bootstrap, check_bootstrap,
    read_bootstrap,
};
pub use deployer::{Deployer, DeployerOptions, ScheduleRetry, Waited};
pub use error::{DeployError, ErrorClass, Result};
pub use fleet::{AppliedItem, PlanItem, apply_fleet, plan_fleet};
#[cfg(feature = "preflight")]
pub use fleet::{CheckedItem, preflight_fleet};
#[cfg(feature = "preflight")]
pub use preflight::preflight_model;
pub use registry::{Listed, Registry, Unreadable, WriteError};
pub use stack_status::StackStatus;
pub use stacks::{DEPLOYMENT_TAG, Pending, Polling, Progress, Resources, StackOps, Waiting};
