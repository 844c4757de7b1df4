//! `AWS::Scheduler::*`: EventBridge Scheduler.

use serde::Serialize;

use crate::cfn::{Expr, Integer, resource_type};

/// `AWS::Scheduler::Schedule`: invokes a target on a cron, rate or one-time expression.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Schedule {
    /// Physical name; generated when absent (a generated name leaves the logical id in charge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// What the schedule is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `cron(...)`, `rate(...)` or `at(...)`.
    pub schedule_expression: Expr,
    /// The IANA zone a cron expression is evaluated in (UTC when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression_timezone: Option<Expr>,
    /// Whether the invocation may drift within a window.
    pub flexible_time_window: FlexibleTimeWindow,
    /// `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Expr>,
    /// What is invoked.
    pub target: Target,
}
crate::references_of_fields!(Schedule {
    name,
    description,
    schedule_expression,
    schedule_expression_timezone,
    flexible_time_window,
    state,
    target
});
resource_type!(Schedule, "AWS::Scheduler::Schedule");

/// `FlexibleTimeWindow`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    /// `OFF` or `FLEXIBLE`.
    pub mode: Expr,
    /// The window's length, with `FLEXIBLE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_window_in_minutes: Option<Integer>,
}
crate::references_of_fields!(FlexibleTimeWindow {
    mode,
    maximum_window_in_minutes
});

impl FlexibleTimeWindow {
    /// Invoked at the expression's time, not within a window.
    pub fn off() -> FlexibleTimeWindow {
        FlexibleTimeWindow {
            mode: Expr::str("OFF"),
            maximum_window_in_minutes: None,
        }
    }
}

/// `Target`: a templated target (a Lambda function, a queue, ...) by ARN.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Target {
    /// The target's ARN.
    pub arn: Expr,
    /// The role EventBridge Scheduler assumes to invoke it.
    pub role_arn: Expr,
    /// The payload (for Lambda, the event), JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Expr>,
    /// How a failed invocation is retried.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
}
crate::references_of_fields!(Target {
    arn,
    role_arn,
    input,
    retry_policy
});

/// `RetryPolicy`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    /// How long an undelivered invocation is kept (60–86400 s).
    pub maximum_event_age_in_seconds: Integer,
    /// How many times a failed invocation is retried (0–185).
    pub maximum_retry_attempts: Integer,
}
crate::references_of_fields!(RetryPolicy {
    maximum_event_age_in_seconds,
    maximum_retry_attempts
});
