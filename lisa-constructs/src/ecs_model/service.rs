//! The ECS service: one server task on every instance, behind the target group.

use super::scripts::SERVER_PORT;
use crate::cfn::Expr;
use crate::cfn::resources::ecs::{
    DeploymentCircuitBreaker, DeploymentConfiguration, Service, ServiceLoadBalancer,
};
use crate::construct::{ConstructError, ResourceHandle, Scope};

/// Seconds allowed for copying the weights and loading the model, on top of the container
/// health check's start period, before the load balancer's health checks count. A constant, not
/// derived from the autoscaling settings, so that an autoscaling update leaves the service alone.
pub const MODEL_LOAD_GRACE_SECONDS: u32 = 600;
/// The longest container health-check start period ECS accepts (seconds).
pub const MAX_START_PERIOD_SECONDS: u32 = 300;
/// How long a new instance may take to serve: boot, weights copy and model load under the
/// longest start period. A constant, so a health-check edit leaves the Auto Scaling group alone.
pub const TIME_TO_SERVE_SECONDS: u32 = MODEL_LOAD_GRACE_SECONDS + MAX_START_PERIOD_SECONDS;

/// What the service needs.
#[derive(Debug)]
pub struct ServiceProps {
    /// The cluster.
    pub cluster: Expr,
    /// The task definition.
    pub task_definition: Expr,
    /// The container the target group sends traffic to.
    pub container_name: String,
    /// The target group.
    pub target_group: Expr,
    /// The listener's logical id: a service may only join a target group that a listener uses.
    pub listener: String,
    /// Seconds the load balancer's health checks are ignored after a task starts: long enough
    /// to copy the weights and load the model.
    pub health_check_grace_seconds: u32,
    /// The Auto Scaling group's logical id: the service is created after it, so the stack waits
    /// for instances before it counts the service stable.
    pub group: String,
    /// The group's MinSize: it decides how many tasks a deployment may stop at once.
    pub group_min_size: u32,
}

/// The share of tasks (percent) a task-definition change keeps serving when the group always
/// has two instances or more: half, replaced half at a time.
pub const ROLLING_MINIMUM_HEALTHY_PERCENT: u32 = 50;

/// The deployment's minimum healthy percent. One task per instance and a full GPU leave no room
/// for a new task beside an old one, so a task must stop before its replacement starts. With
/// MinSize 2 or more, half the tasks keep serving; with a possible single instance the task is
/// replaced in place (ECS rounds the minimum up, so 50% of one task would block the deployment).
pub fn minimum_healthy_percent(group_min_size: u32) -> u32 {
    if group_min_size >= 2 {
        ROLLING_MINIMUM_HEALTHY_PERCENT
    } else {
        0
    }
}

/// Adds the service. The DAEMON strategy runs exactly one task per instance, so the Auto
/// Scaling group alone decides the capacity, and a stopped model (no instances) runs no task.
pub fn service(
    scope: &mut Scope<'_>,
    props: &ServiceProps,
) -> Result<ResourceHandle, ConstructError> {
    let service = Service {
        cluster: Some(props.cluster.clone()),
        task_definition: Some(props.task_definition.clone()),
        launch_type: Some(Expr::str("EC2")),
        scheduling_strategy: Some(Expr::str("DAEMON")),
        deployment_configuration: Some(DeploymentConfiguration {
            // ECS accepts the circuit breaker on a daemon service; its failure threshold is
            // computed for replica services, so it mostly acts on a deployment that never starts.
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                enable: true,
                rollback: true,
            }),
            // One task per instance: replacing a task means stopping the old one first.
            maximum_percent: Some(100u32.into()),
            minimum_healthy_percent: Some(minimum_healthy_percent(props.group_min_size).into()),
        }),
        load_balancers: vec![ServiceLoadBalancer {
            container_name: Expr::str(props.container_name.as_str()),
            container_port: SERVER_PORT.into(),
            target_group_arn: props.target_group.clone(),
        }],
        health_check_grace_period_seconds: Some(props.health_check_grace_seconds.into()),
        enable_ecs_managed_tags: Some(true),
        propagate_tags: Some(Expr::str("SERVICE")),
        ..Service::default()
    };
    scope.add_with("Service", service, |r| {
        r.depends_on(props.listener.as_str())
            .depends_on(props.group.as_str())
    })
}
