//! Typed property structs, one module per AWS service. Field names follow the CloudFormation
//! resource specification; String-typed numbers use [`NumericString`](crate::cfn::NumericString)
//! and Integer-typed ones [`Integer`](crate::cfn::Integer), so `cfn-lint` strict typing holds.

pub mod autoscaling;
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

use serde::Serialize;

use crate::cfn::Expr;

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
