//! The construct tree and logical ids: a [`Stack`] holds the template being built; [`Scope`]s
//! let composed parts add resources under their own path; logical ids are derived from paths the
//! way the AWS CDK derives them ([`LogicalId::from_path`]) or pinned explicitly; [`Stack::synth`]
//! validates every reference before handing out the [`Template`](crate::cfn::Template).

pub mod id;
pub mod stack;
pub mod validate;

pub use id::{IdError, LogicalId, StackName};
pub use stack::{
    ConditionHandle, ConstructError, ParameterHandle, ResourceHandle, Scope, Stack, Validation,
};
pub use validate::{Location, Problem, SynthError, validate_template};

#[cfg(test)]
mod tests;
