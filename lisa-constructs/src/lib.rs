//! Typed constructs that turn a model definition into a CloudFormation template.
//!
//! - [`model`]: the Admin API's payloads as types, the instance catalog, and validation that
//!   reports every error with its JSON path.
//! - [`cfn`]: the CloudFormation document model (typed intrinsics, typed resource properties).
//! - [`construct`]: stacks, scopes and CDK-compatible logical ids, with a validation pass.
//! - [`ecs_model`]: the per-model stack, composed from parts you can also use on their own.
//! - [`bootstrap`]: the once-per-environment stack (registry, registration function).
//! - [`environment`]: the environment a deployment runs in (`environment.json`).
//! - [`deployment_name`]: the rule for a deployment's name, the prefix of every stack it owns.
//!
//! The library is pure: no I/O, no AWS SDK, and the same input always gives the same bytes.

#![warn(missing_docs)]

pub mod bootstrap;
pub mod cfn;
pub mod construct;
pub mod deployment_name;
pub mod ecs_model;
pub mod environment;
pub mod model;
