//! Typed property structs, one module per AWS service. Field names follow the CloudFormation
//! resource specification; String-typed numbers use [`NumericString`](crate::cfn::NumericString)
//! and Integer-typed ones [`Integer`](crate::cfn::Integer), so `cfn-lint` strict typing holds.

pub mod application_autoscaling;
pub mod autoscaling;
pub mod cloudwatch;
pub mod custom;
pub mod dynamodb;
pub mod ec2;
pub mod ecs;
pub mod ecs_capacity;
pub mod elbv2;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod route53;
pub mod s3;
pub mod scheduler;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::cfn::{Expr, ReferenceTo, References};

/// A `{Key, Value}` resource tag.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub key: Expr,
    /// Tag value.
    pub value: Expr,
}
crate::references_of_fields!(Tag { key, value });

impl Tag {
    /// A tag.
    pub fn new(key: impl Into<Expr>, value: impl Into<Expr>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// A property value that is always there, or only while a template condition holds (rendered
/// as `Fn::If [condition, value, AWS::NoValue]`): a part that depends on a deploy-time choice
/// stays typed, so the guards and tests read it like any other value.
#[derive(Debug, Clone, PartialEq)]
pub enum Conditional<T> {
    /// The value, unconditionally.
    Always(T),
    /// The value while the named condition holds; no property otherwise.
    When(String, T),
}

impl<T> Conditional<T> {
    /// The value, whatever the condition.
    pub fn value(&self) -> &T {
        match self {
            Conditional::Always(value) | Conditional::When(_, value) => value,
        }
    }

    /// The condition the value depends on, if any.
    pub fn condition(&self) -> Option<&str> {
        match self {
            Conditional::Always(_) => None,
            Conditional::When(condition, _) => Some(condition),
        }
    }
}

impl<T: Serialize> Serialize for Conditional<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Conditional::Always(value) => value.serialize(serializer),
            Conditional::When(condition, value) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("Fn::If", &(condition.as_str(), value, Expr::no_value()))?;
                map.end()
            }
        }
    }
}

impl<T: References> References for Conditional<T> {
    fn visit_references<'a>(&'a self, visit: &mut dyn FnMut(ReferenceTo<'a>)) {
        if let Conditional::When(condition, _) = self {
            visit(ReferenceTo::Condition(condition));
        }
        self.value().visit_references(visit);
    }
}
