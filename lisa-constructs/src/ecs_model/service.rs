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
            minimum_healthy_percent: Some(0u32.into()),
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
    })
}
