//! Typed constructs that turn a model definition into a CloudFormation template.

pub mod cfn;
pub mod construct;
pub mod ecs_model;
pub mod model;
