//! All of lisa's AWS I/O: the environment, stack operations, the model registry and the
//! lifecycle. Used by the `lisa-ops` command line and by the HTTP API.
//!
//! The surface is the lifecycle: [`Deployer`] lists, gets, creates, updates and deletes models
//! and waits for them. Every operation returns as soon as the new status is recorded (what an
//! HTTP request needs); [`Deployer::wait`] follows an operation to its end. Errors say which
//! rule refused ([`DeployError::Refused`]) or which service failed.

pub mod aws;
pub mod aws_errors;
pub mod bootstrap;
pub mod error;
pub mod fleet;
pub mod lifecycle;
#[cfg(feature = "preflight")]
pub mod preflight;
pub mod registry;
pub mod stack_status;
pub mod stacks;

pub use aws::Clients;
pub use aws_errors::AwsFault;
pub use error::{DeployError, ErrorClass, Result};
pub use lifecycle::{Deployer, DeployerOptions, Waited};
pub use registry::{Listed, Unreadable};
