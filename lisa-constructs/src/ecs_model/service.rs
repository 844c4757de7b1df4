//! The ECS service: a replica service, one task per instance, on the model's capacity provider,
//! updated blue/green behind the load balancer's two target groups.

use super::deployment::Deployment;
use super::load_balancer::ModelLoadBalancer;
use super::server_settings::SERVER_PORT;
use crate::cfn::Expr;
use crate::cfn::resources::Conditional;
use crate::cfn::resources::ecs::{
    AdvancedConfiguration, DeploymentAlarms, DeploymentConfiguration, DeploymentController,
    PlacementConstraint, Service, ServiceLoadBalancer,
};
use crate::cfn::resources::ecs_capacity::CapacityProviderStrategyItem;
use crate::construct::{ConstructError, ResourceHandle, Scope};

use super::deployment::BAKE_TIME_MINUTES;

/// Seconds allowed for copying the weights and loading the model, on top of the container
/// health check's start period, before the load balancer's health checks count. A constant, not
/// derived from the autoscaling settings, so that an autoscaling update leaves the service alone.
pub const MODEL_LOAD_GRACE_SECONDS: u32 = 600;
/// The longest container health-check start period ECS accepts (seconds).
pub const MAX_START_PERIOD_SECONDS: u32 = 300;
/// How long a new instance may take to serve: boot, weights copy and model load under the
/// longest start period. A constant, so a health-check edit leaves the Auto Scaling group alone.
pub const TIME_TO_SERVE_SECONDS: u32 = MODEL_LOAD_GRACE_SECONDS + MAX_START_PERIOD_SECONDS;

/// The share of the desired tasks (percent) that stays healthy while instances drain (a
/// scale-in, a new AMI): every one, since a drained task's replacement starts first.
pub const MINIMUM_HEALTHY_PERCENT: u32 = 100;
/// The share of the desired tasks (percent) that may run while instances drain: a replacement
/// beside each task.
pub const MAXIMUM_PERCENT: u32 = 200;

/// What the service needs.
#[derive(Debug)]
pub struct ServiceProps<'a> {
    /// The cluster.
    pub cluster: Expr,
    /// The task definition.
    pub task_definition: Expr,
    /// The container the target groups send traffic to.
    pub container_name: String,
    /// The load balancer, its two target groups and their listener rules.
    pub load_balancer: &'a ModelLoadBalancer,
    /// The capacity provider the tasks are placed on.
    pub capacity_provider: Expr,
    /// The role, alarm and gate of a deployment.
    pub deployment: &'a Deployment,
    /// Seconds the load balancer's health checks are ignored after a task starts: long enough
    /// to copy the weights and load the model.
    pub health_check_grace_seconds: u32,
    /// The tasks this deployment asks for; `None` leaves the running count alone (service
    /// auto scaling owns it), as a count carried into every later synthesis would undo
    /// scale-out on each update.
    pub desired_count: Option<u32>,
    /// Logical ids the service must wait for: the Auto Scaling group (the stack waits for
    /// instances before it counts the service stable) and the capacity provider's association
    /// with the cluster (a service can use a provider only once it is associated).
    pub after: Vec<String>,
}

/// Adds the service. Tasks go one per instance (`distinctInstance`) on the capacity provider,
/// which sizes the Auto Scaling group for them. A container change is a blue/green deployment:
/// green tasks start beside blue ones and register with the alternate target group, the gate
/// checks them through the test listener, production traffic moves to them, and blue stops after
/// the bake time; the rollback alarm, a failed gate or a failed stage sends the traffic back to
/// blue.
pub fn service(
    scope: &mut Scope<'_>,
    props: &ServiceProps<'_>,
) -> Result<ResourceHandle, ConstructError> {
    let lb = props.load_balancer;
    let deployment = props.deployment;
    let service = Service {
        cluster: Some(props.cluster.clone()),
        task_definition: Some(props.task_definition.clone()),
        scheduling_strategy: Some(Expr::str("REPLICA")),
        capacity_provider_strategy: vec![CapacityProviderStrategyItem {
            capacity_provider: props.capacity_provider.clone(),
            weight: Some(1u32.into()),
            base: None,
        }],
        deployment_controller: Some(DeploymentController::ecs()),
        desired_count: props.desired_count.map(Into::into),
        placement_constraints: vec![PlacementConstraint {
            constraint_type: Expr::str("distinctInstance"),
            expression: None,
        }],
        deployment_configuration: Some(DeploymentConfiguration {
            maximum_percent: Some(MAXIMUM_PERCENT.into()),
            minimum_healthy_percent: Some(MINIMUM_HEALTHY_PERCENT.into()),
            strategy: Some(Expr::str("BLUE_GREEN")),
            bake_time_in_minutes: Some(BAKE_TIME_MINUTES.into()),
            alarms: Some(DeploymentAlarms {
                alarm_names: vec![deployment.rollback_alarm.ref_()],
                enable: true,
                rollback: true,
            }),
            lifecycle_hooks: Some(Conditional::When(
                deployment.gate_condition.clone(),
                vec![deployment.gate_hook.clone()],
            )),
            ..DeploymentConfiguration::default()
        }),
        load_balancers: vec![ServiceLoadBalancer {
            container_name: Expr::str(props.container_name.as_str()),
            container_port: SERVER_PORT.into(),
            target_group_arn: lb.target_group.ref_(),
            advanced_configuration: Some(AdvancedConfiguration {
                alternate_target_group_arn: lb.alternate_target_group.ref_(),
                production_listener_rule: Some(lb.production_rule.ref_()),
                test_listener_rule: Some(lb.test_rule.ref_()),
                role_arn: Some(deployment.load_balancer_role.get_att("Arn")),
            }),
        }],
        health_check_grace_period_seconds: Some(props.health_check_grace_seconds.into()),
        enable_ecs_managed_tags: Some(true),
        propagate_tags: Some(Expr::str("SERVICE")),
        ..Service::default()
    };
    scope.add_with("Service", service, |r| {
        props
            .after
            .iter()
            .fold(r, |r, logical_id| r.depends_on(logical_id.as_str()))
    })
}
