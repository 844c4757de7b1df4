//! What a blue/green deployment of the service needs beside the load balancer: the role ECS
//! moves the listener rules with, the alarm that rolls a deployment back, and the gate, a
//! function ECS calls once test traffic reaches the new (green) tasks and before production
//! traffic does, with the role ECS invokes it with.
//!
//! [`GateDetails`] is the contract between this crate, which renders it into the hook's
//! `HookDetails`, and the gate function, which reads it from the hook's event: what to call and
//! what to expect, so one function gates every model of a deployment.

use serde::{Deserialize, Serialize};

use super::parameters::Gate;
use crate::cfn::Expr;
use crate::cfn::resources::cloudwatch::{Alarm, Dimension, Metric, MetricDataQuery};
use crate::cfn::resources::ecs::DeploymentLifecycleHook;
use crate::cfn::resources::iam::{Policy, PolicyDocument, Role, Statement};
use crate::construct::{ConstructError, ResourceHandle, Scope};

/// The managed policy of the role ECS uses to move listener rules and register targets.
pub const LOAD_BALANCER_ROLE_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers";
/// The stage the gate runs at: green tasks receive the test traffic, production still goes to
/// blue.
pub const GATE_STAGE: &str = "POST_TEST_TRAFFIC_SHIFT";
/// Minutes blue keeps running after production traffic moved to green: a rollback within them
/// moves the traffic back at once, and the rollback alarm has time to fire.
pub const BAKE_TIME_MINUTES: u32 = 10;
/// The rollback alarm's threshold: this share (percent) of the requests answered with a 5xx by
/// the targets ...
pub const ERROR_RATE_PERCENT: u32 = 5;
/// ... in each of this many consecutive minutes ...
pub const ERROR_MINUTES: u32 = 2;
/// ... when at least this many requests arrived in the minute (a single failed request of
/// three is not a trend).
pub const ERROR_MIN_REQUESTS: u32 = 10;

/// What the gate function checks for one model, passed to it in the hook's `HookDetails`.
/// `S` is how a string is given: [`Expr`] when rendering, `String` when the function reads the
/// event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateDetails<S = String> {
    /// The test listener's base URL (green tasks behind it during the gate's stage).
    pub test_endpoint: S,
    /// The server's health route.
    pub health_path: String,
    /// The name the server serves the model under (its model list must show it).
    pub served_model_name: String,
    /// `textgen` (a one-token completion) or `embedding` (one embedding).
    pub model_type: String,
    /// The server (`vllm`, `tgi`, `tei`).
    pub inference_container: String,
}

impl GateDetails<Expr> {
    /// The details as a template value.
    pub fn to_expr(&self) -> Expr {
        Expr::map([
            ("testEndpoint", self.test_endpoint.clone()),
            ("healthPath", Expr::str(self.health_path.as_str())),
            (
                "servedModelName",
                Expr::str(self.served_model_name.as_str()),
            ),
            ("modelType", Expr::str(self.model_type.as_str())),
            (
                "inferenceContainer",
                Expr::str(self.inference_container.as_str()),
            ),
        ])
    }
}

/// What the deployment part needs.
#[derive(Debug)]
pub struct DeploymentProps<'a> {
    /// The deployment gate.
    pub gate: &'a Gate,
    /// What the gate checks.
    pub gate_details: GateDetails<Expr>,
    /// The load balancer's full name (`app/<name>/<id>`), for the rollback alarm.
    pub load_balancer_full_name: Expr,
}

/// The deployment part's resources.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The role ECS moves listener rules and registers targets with.
    pub load_balancer_role: ResourceHandle,
    /// The alarm that rolls a deployment back.
    pub rollback_alarm: ResourceHandle,
    /// The hook that gates green tasks, present while a gate function is given.
    pub gate_hook: DeploymentLifecycleHook,
    /// The condition under which the gate exists.
    pub gate_condition: String,
}

/// Adds the load balancer role, the rollback alarm and the gate's role.
pub fn deployment(
    scope: &mut Scope<'_>,
    props: &DeploymentProps<'_>,
) -> Result<Deployment, ConstructError> {
    let load_balancer_role = scope.add(
        "LoadBalancerRole",
        Role {
            description: Some(Expr::sub(
                "Moves the listener rules of ${AWS::StackName} between blue and green tasks",
            )),
            managed_policy_arns: vec![Expr::sub(LOAD_BALANCER_ROLE_POLICY)],
            ..Role::new(PolicyDocument::assume_role_by_service("ecs.amazonaws.com"))
        },
    )?;

    let gate = props.gate;
    let gate_role = scope.add_with(
        "GateRole",
        Role {
            description: Some(Expr::sub(
                "Lets ECS call the deployment gate of ${AWS::StackName}",
            )),
            policies: vec![Policy {
                policy_name: Expr::str("invoke-gate"),
                policy_document: PolicyDocument::new([Statement::allow(
                    [Expr::str("lambda:InvokeFunction")],
                    [gate.function_arn.clone()],
                )]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service("ecs.amazonaws.com"))
        },
        |r| r.condition(gate.has_function.as_str()),
    )?;

    let rollback_alarm = scope.add("TargetErrorsAlarm", target_error_alarm(props))?;

    Ok(Deployment {
        load_balancer_role,
        rollback_alarm,
        gate_hook: DeploymentLifecycleHook {
            hook_target_arn: gate.function_arn.clone(),
            role_arn: gate_role.get_att("Arn"),
            lifecycle_stages: vec![Expr::str(GATE_STAGE)],
            hook_details: Some(props.gate_details.to_expr()),
        },
        gate_condition: gate.has_function.clone(),
    })
}

/// The alarm on the share of requests the targets answer with a 5xx, at the load balancer (both
/// target groups: which one serves production alternates between deployments). No traffic is
/// no breach.
fn target_error_alarm(props: &DeploymentProps<'_>) -> Alarm {
    let metric = |name: &str| Metric {
        metric_name: Expr::str(name),
        namespace: Expr::str("AWS/ApplicationELB"),
        dimensions: vec![Dimension {
            name: Expr::str("LoadBalancer"),
            value: props.load_balancer_full_name.clone(),
        }],
    };
    let rate = format!(
        "IF(FILL(requests, 0) >= {ERROR_MIN_REQUESTS}, 100 * FILL(errors, 0) / FILL(requests, 1), 0)"
    );
    Alarm {
        alarm_description: Some(Expr::sub(format!(
            "Targets of ${{AWS::StackName}} answer {ERROR_RATE_PERCENT} % or more of the requests with a 5xx for {ERROR_MINUTES} minutes: a deployment rolls back"
        ))),
        comparison_operator: Expr::str("GreaterThanOrEqualToThreshold"),
        evaluation_periods: ERROR_MINUTES.into(),
        datapoints_to_alarm: Some(ERROR_MINUTES.into()),
        threshold: f64::from(ERROR_RATE_PERCENT),
        treat_missing_data: Some(Expr::str("notBreaching")),
        metrics: vec![
            MetricDataQuery::metric("errors", metric("HTTPCode_Target_5XX_Count"), "Sum", 60),
            MetricDataQuery::metric("requests", metric("RequestCount"), "Sum", 60),
            MetricDataQuery::compared_expression("rate", &rate, "Target 5xx (%)", 60),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_details_render_under_the_names_the_gate_reads() {
        let details = GateDetails {
            test_endpoint: "http://lb:9080".to_owned(),
            health_path: "/health".into(),
            served_model_name: "org/model".into(),
            model_type: "textgen".into(),
            inference_container: "vllm".into(),
        };
        let rendered = GateDetails {
            test_endpoint: Expr::str(details.test_endpoint.as_str()),
            health_path: details.health_path.clone(),
            served_model_name: details.served_model_name.clone(),
            model_type: details.model_type.clone(),
            inference_container: details.inference_container.clone(),
        }
        .to_expr();
        let read: GateDetails =
            serde_json::from_value(serde_json::to_value(&rendered).expect("renders"))
                .expect("the gate reads what the template holds");
        assert_eq!(read, details);
    }
}
