//! `AWS::Logs::*`.

use serde::Serialize;

use super::Tag;
use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::Logs::LogGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroup {
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<Expr>,
    /// Days to keep events (1, 3, 5, 7, 14, 30, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<Integer>,
    /// KMS key ARN encrypting the events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(LogGroup {
    log_group_name,
    retention_in_days,
    kms_key_id,
    tags
});
resource_type!(LogGroup, "AWS::Logs::LogGroup");
