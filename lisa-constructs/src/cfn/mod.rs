//! The CloudFormation document model: a typed intrinsic-expression type ([`Expr`]), the
//! [`Template`] with its sections, and hand-written typed property structs for the resource
//! types this crate emits ([`resources`]).
//!
//! A template holds its resources' properties as the typed structs they were built from until it
//! is rendered: the validation pass walks their references ([`References`]), the guards read
//! their fields, and rendering writes them straight to the output, with no JSON tree in between.
//! A resource type the library has no struct for goes in as [`RawProperties`].
//!
//! Output is deterministic: maps keep insertion order, nothing depends on time or randomness.

pub mod condition;
pub mod expr;
mod json_writer;
mod ordered_map;
pub mod raw;
pub mod references;
pub mod resources;
mod shape;
pub mod template;
pub mod values;

pub use condition::Condition;
pub use expr::{Expr, Pseudo, Reference};
pub use ordered_map::OrderedMap;
pub use raw::RawProperties;
pub use references::{ReferenceTo, References};
pub use template::{
    AutoScalingReplacingUpdate, AutoScalingRollingUpdate, AutoScalingScheduledAction,
    DeletionPolicy, Export, Output, Parameter, ParameterType, Resource, Rule, RuleAssertion,
    Template, UpdatePolicy,
};
pub use values::{Integer, NumericString};

/// Typed properties of one CloudFormation resource type; lets a template take any of them.
///
/// A template keeps the value as it is until it is rendered: [`References`] lists what it
/// refers to (for the validation pass), `Serialize` renders it (as a JSON object), and
/// [`Resource::properties`] hands it back, typed, to checks that read its fields.
/// `examples/embed-stack` shows a type of one's own.
pub trait ResourceProperties:
    serde::Serialize + References + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The resource type name (`AWS::ECS::Service`, `Custom::LiteLLMModel`, ...).
    fn resource_type(&self) -> &str;
}

/// Errors of the document model.
#[derive(Debug, thiserror::Error)]
pub enum CfnError {
    /// Rendering to JSON failed.
    #[error("cannot render CloudFormation JSON")]
    Serialize(#[source] serde_json::Error),
    /// Writing the rendered template failed.
    #[error("cannot write the template")]
    Write(#[source] std::io::Error),
    /// A property struct rendered to something other than a JSON object.
    #[error("properties of `{resource_type}` did not render to a JSON object")]
    PropertiesNotAnObject {
        /// The resource type.
        resource_type: String,
    },
    /// A custom resource type name is not `Custom::` followed by 1-60 of `[A-Za-z0-9_@-]`.
    #[error("invalid custom resource type `{name}`: {reason}")]
    InvalidCustomType {
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
}

/// Implements [`ResourceProperties`] and an associated `TYPE` constant for a fixed-type struct.
macro_rules! resource_type {
    ($t:ty, $name:literal) => {
        impl $t {
            /// The CloudFormation resource type.
            pub const TYPE: &'static str = $name;
        }
        impl $crate::cfn::ResourceProperties for $t {
            fn resource_type(&self) -> &str {
                $name
            }
        }
    };
}
pub(crate) use resource_type;
