//! The model's schedule in its own stack: one EventBridge Scheduler schedule per transition time
//! ([`Schedule::cron_schedules`]), each evaluated in the schedule's zone and invoking the
//! deployment's lifecycle function with the model's id and the transition. The function runs
//! the lifecycle's own stop or start, so a scheduled transition is exactly what an administrator's
//! would be. Deleting the stack deletes the schedules with it.

use super::stack_io::parameter as name;
use crate::cfn::resources::scheduler::{FlexibleTimeWindow, RetryPolicy, Schedule as Cron, Target};
use crate::cfn::{Expr, Parameter, ParameterType};
use crate::construct::{ConstructError, ResourceHandle, Stack};
use crate::model::ModelId;
use crate::model::schedule::{CronSchedule, Schedule, Transition};

/// The scope the schedules are added under: their logical ids read `Schedule<name><hash>`.
pub const SCOPE: &str = "Schedule";

/// Lambda's own retry of a failed asynchronous invocation covers most of it; the scheduler tries
/// again this many times when the invocation itself cannot be delivered.
pub const RETRY_ATTEMPTS: u32 = 2;
/// A transition not delivered within this long is dropped: a stop an hour late is a surprise.
pub const MAXIMUM_EVENT_AGE_SECONDS: u32 = 15 * 60;
/// What the scheduler puts in the event for the time the invocation was due (its own context
/// attribute, replaced at invocation time).
pub const SCHEDULED_TIME_ATTRIBUTE: &str = "<aws.scheduler.scheduled-time>";

/// What invokes the lifecycle, from the bootstrap stack.
#[derive(Debug, Clone)]
pub struct LifecycleTarget {
    /// The lifecycle function's ARN.
    pub function_arn: Expr,
    /// The role EventBridge Scheduler assumes to invoke it.
    pub role_arn: Expr,
}

impl LifecycleTarget {
    /// Adds the two parameters that name the target (only stacks with a schedule have them).
    pub fn parameters(stack: &mut Stack) -> Result<LifecycleTarget, ConstructError> {
        let function_arn = stack.add_parameter(
            name::LIFECYCLE_FUNCTION_ARN,
            Parameter::new(ParameterType::String)
                .description("ARN of the Lambda function that stops and starts models on their schedules (from the bootstrap stack)")
                .allowed_pattern(
                    "^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$",
                    "must be a Lambda function ARN",
                ),
        )?;
        let role_arn = stack.add_parameter(
            name::SCHEDULER_ROLE_ARN,
            Parameter::new(ParameterType::String)
                .description("ARN of the role EventBridge Scheduler assumes to invoke the lifecycle function (from the bootstrap stack)")
                .allowed_pattern(
                    "^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$",
                    "must be an IAM role ARN",
                ),
        )?;
        Ok(LifecycleTarget {
            function_arn: function_arn.ref_(),
            role_arn: role_arn.ref_(),
        })
    }
}

/// The event a schedule sends the lifecycle function, read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LifecycleEvent {
    /// The model.
    pub model_id: String,
    /// Start or stop.
    pub action: Transition,
    /// When the invocation was due (RFC 3339, UTC), as the scheduler filled it in.
    #[serde(default)]
    pub scheduled_time: Option<String>,
}

/// The event a schedule sends: `{"modelId": ..., "action": "start" | "stop", "scheduledTime": ...}`.
pub fn event(model_id: &ModelId, cron: &CronSchedule) -> String {
    serde_json::json!({
        "modelId": model_id.as_str(),
        "action": cron.transition.as_str(),
        "scheduledTime": SCHEDULED_TIME_ATTRIBUTE,
    })
    .to_string()
}

/// Adds the schedules of `schedule` for the model `model_id`, one per transition time; their
/// logical ids come from [`CronSchedule::name`], so the same schedule keeps its resources and a
/// changed time replaces only its own.
pub fn schedules(
    stack: &mut Stack,
    model_id: &ModelId,
    schedule: &Schedule,
    target: &LifecycleTarget,
) -> Result<Vec<ResourceHandle>, ConstructError> {
    let mut scope = stack.scope(SCOPE);
    schedule
        .cron_schedules()
        .iter()
        .map(|cron| {
            let days = if cron.every_day() {
                "every day".to_owned()
            } else {
                let names: Vec<&str> = cron.days.iter().map(|d| d.as_str()).collect();
                format!("on {}", names.join(", "))
            };
            scope.add(
                &cron.name(),
                Cron {
                    name: None,
                    description: Some(Expr::str(format!(
                        "LISA model {model_id}: {} at {} {} {days}",
                        cron.transition,
                        cron.time,
                        schedule.time_zone()
                    ))),
                    schedule_expression: Expr::str(cron.expression()),
                    schedule_expression_timezone: Some(Expr::str(schedule.time_zone().as_str())),
                    flexible_time_window: FlexibleTimeWindow::off(),
                    state: Some(Expr::str("ENABLED")),
                    target: Target {
                        arn: target.function_arn.clone(),
                        role_arn: target.role_arn.clone(),
                        input: Some(Expr::str(event(model_id, cron))),
                        retry_policy: Some(RetryPolicy {
                            maximum_event_age_in_seconds: MAXIMUM_EVENT_AGE_SECONDS.into(),
                            maximum_retry_attempts: RETRY_ATTEMPTS.into(),
                        }),
                    },
                },
            )
        })
        .collect()
}
