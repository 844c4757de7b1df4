//! `AWS::Lambda::*`.

use serde::Serialize;

use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::Lambda::Function`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Function {
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<Expr>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `provided.al2023` for a Rust `bootstrap` binary.
    pub runtime: Expr,
    /// The handler name (`bootstrap` for a custom runtime).
    pub handler: Expr,
    /// `x86_64` or `arm64`.
    pub architectures: Vec<Expr>,
    /// Where the code is.
    pub code: Code,
    /// The execution role's ARN.
    pub role: Expr,
    /// Seconds, at most 900.
    pub timeout: Integer,
    /// MiB.
    pub memory_size: Integer,
    /// Concurrency reserved (and capped) for the function.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<Integer>,
    /// Network placement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_config: Option<VpcConfig>,
    /// Where the logs go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_config: Option<LoggingConfig>,
    /// The function's environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<FunctionEnvironment>,
}
crate::references_of_fields!(Function {
    function_name,
    description,
    runtime,
    handler,
    architectures,
    code,
    role,
    timeout,
    memory_size,
    reserved_concurrent_executions,
    vpc_config,
    logging_config,
    environment
});
resource_type!(Function, "AWS::Lambda::Function");

/// `Function.Code` from S3.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// The bucket.
    pub s3_bucket: Expr,
    /// The object key.
    pub s3_key: Expr,
}
crate::references_of_fields!(Code { s3_bucket, s3_key });

/// `Function.VpcConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcConfig {
    /// Subnets.
    pub subnet_ids: Vec<Expr>,
    /// Security groups.
    pub security_group_ids: Vec<Expr>,
}
crate::references_of_fields!(VpcConfig {
    subnet_ids,
    security_group_ids
});

/// `Function.LoggingConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// The log group's name.
    pub log_group: Expr,
}
crate::references_of_fields!(LoggingConfig { log_group });

/// `Function.Environment`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FunctionEnvironment {
    /// Name to value, in a fixed order so the template's bytes are stable.
    pub variables: std::collections::BTreeMap<String, Expr>,
}
crate::references_of_fields!(FunctionEnvironment { variables });

/// `AWS::Lambda::EventInvokeConfig`: how Lambda handles a function's asynchronous invocations.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventInvokeConfig {
    /// The function's name or ARN.
    pub function_name: Expr,
    /// `$LATEST`, a version or an alias.
    pub qualifier: Expr,
    /// How long an event may wait in Lambda's queue (60 to 21,600 seconds; 21,600 when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<Integer>,
    /// How many times a failed invocation is retried (0 to 2; 2 when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<Integer>,
}
crate::references_of_fields!(EventInvokeConfig {
    function_name,
    qualifier,
    maximum_event_age_in_seconds,
    maximum_retry_attempts
});
resource_type!(EventInvokeConfig, "AWS::Lambda::EventInvokeConfig");

impl EventInvokeConfig {
    /// The qualifier of the unpublished function.
    pub const LATEST: &'static str = "$LATEST";
}
