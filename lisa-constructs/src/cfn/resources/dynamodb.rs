//! `AWS::DynamoDB::*`.

use serde::Serialize;

use crate::cfn::{Expr, resource_type};

/// `AWS::DynamoDB::Table`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Table {
    /// The key attributes' types.
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// The primary key.
    pub key_schema: Vec<KeySchemaElement>,
    /// `PAY_PER_REQUEST` (on demand) or `PROVISIONED`.
    pub billing_mode: Expr,
    /// Encryption at rest.
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseSpecification,
    /// Point-in-time recovery.
    pub point_in_time_recovery_specification: PointInTimeRecoverySpecification,
    /// Refuse `DeleteTable` while set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
}
crate::references_of_fields!(Table {
    attribute_definitions,
    key_schema,
    billing_mode,
    sse_specification,
    point_in_time_recovery_specification,
    deletion_protection_enabled
});
resource_type!(Table, "AWS::DynamoDB::Table");

impl Table {
    /// An on-demand table keyed by one string attribute, encrypted, with point-in-time recovery.
    pub fn on_demand_with_string_key(key: &str) -> Table {
        Table {
            attribute_definitions: vec![AttributeDefinition {
                attribute_name: Expr::str(key),
                attribute_type: Expr::str("S"),
            }],
            key_schema: vec![KeySchemaElement {
                attribute_name: Expr::str(key),
                key_type: Expr::str("HASH"),
            }],
            billing_mode: Expr::str("PAY_PER_REQUEST"),
            sse_specification: SseSpecification {
                sse_enabled: true,
                sse_type: Some(Expr::str("KMS")),
            },
            point_in_time_recovery_specification: PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: true,
            },
            deletion_protection_enabled: None,
        }
    }
}

/// `Table.AttributeDefinitions[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// The attribute.
    pub attribute_name: Expr,
    /// `S`, `N` or `B`.
    pub attribute_type: Expr,
}
crate::references_of_fields!(AttributeDefinition {
    attribute_name,
    attribute_type
});

/// `Table.KeySchema[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// The attribute.
    pub attribute_name: Expr,
    /// `HASH` or `RANGE`.
    pub key_type: Expr,
}
crate::references_of_fields!(KeySchemaElement {
    attribute_name,
    key_type
});

/// `Table.SSESpecification`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SseSpecification {
    /// Encrypt with KMS rather than the default owned key.
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
    /// `KMS`.
    #[serde(rename = "SSEType", skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<Expr>,
}
crate::references_of_fields!(SseSpecification {
    sse_enabled,
    sse_type
});

/// `Table.PointInTimeRecoverySpecification`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// Continuous backups on.
    pub point_in_time_recovery_enabled: bool,
}
crate::references_of_fields!(PointInTimeRecoverySpecification {
    point_in_time_recovery_enabled
});
