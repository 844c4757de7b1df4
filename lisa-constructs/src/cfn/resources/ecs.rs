//! `AWS::ECS::*`: cluster, task definition, service.

use indexmap::IndexMap;

use crate::cfn::OrderedMap;
use serde::Serialize;

use super::ecs_capacity::CapacityProviderStrategyItem;
use super::{Conditional, Tag};
use crate::cfn::{Expr, Integer, NumericString, resource_type};

/// `AWS::ECS::Cluster`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Cluster {
    /// Physical name; generated when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_name: Option<Expr>,
    /// Cluster settings (container insights).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cluster_settings: Vec<ClusterSetting>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(Cluster {
    cluster_name,
    cluster_settings,
    tags
});
resource_type!(Cluster, "AWS::ECS::Cluster");

/// `Cluster.ClusterSettings[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ClusterSetting {
    /// Setting name (`containerInsights`).
    pub name: Expr,
    /// Setting value (`enabled`, `enhanced`, `disabled`).
    pub value: Expr,
}
crate::references_of_fields!(ClusterSetting { name, value });

impl ClusterSetting {
    /// `containerInsights: enabled`.
    pub fn container_insights_enabled() -> ClusterSetting {
        ClusterSetting {
            name: Expr::from("containerInsights"),
            value: Expr::from("enabled"),
        }
    }
}

/// `AWS::ECS::TaskDefinition`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaskDefinition {
    /// Family name; revisions share it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<Expr>,
    /// The containers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub container_definitions: Vec<ContainerDefinition>,
    /// `bridge`, `host`, `awsvpc` or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<Expr>,
    /// `EC2`, `FARGATE`, `EXTERNAL`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires_compatibilities: Vec<Expr>,
    /// Task-level CPU units (String-typed in the spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<NumericString>,
    /// Task-level memory in MiB (String-typed in the spec).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<NumericString>,
    /// Role the containers assume.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_role_arn: Option<Expr>,
    /// Role the agent uses to pull images and write logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<Expr>,
    /// Volumes the containers may mount.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
    /// Placement constraints (`memberOf`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(TaskDefinition {
    family,
    container_definitions,
    network_mode,
    requires_compatibilities,
    cpu,
    memory,
    task_role_arn,
    execution_role_arn,
    volumes,
    placement_constraints,
    tags
});
resource_type!(TaskDefinition, "AWS::ECS::TaskDefinition");

/// `TaskDefinition.ContainerDefinitions[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
    /// Container name (what a service's `LoadBalancers.ContainerName` must match).
    pub name: Expr,
    /// Image reference.
    pub image: Expr,
    /// Stop the task when this container stops.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub essential: Option<bool>,
    /// Overrides the image entry point.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub entry_point: Vec<Expr>,
    /// Overrides the image command.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<Expr>,
    /// Plain environment variables (not for secrets).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub environment: Vec<KeyValuePair>,
    /// Secrets injected from SSM or Secrets Manager.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    /// Port mappings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub port_mappings: Vec<PortMapping>,
    /// CPU units reserved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Integer>,
    /// Hard memory limit in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<Integer>,
    /// Soft memory reservation in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_reservation: Option<Integer>,
    /// GPUs and other resources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resource_requirements: Vec<ResourceRequirement>,
    /// Linux-specific settings (shared memory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linux_parameters: Option<LinuxParameters>,
    /// Container health check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check: Option<HealthCheck>,
    /// Log driver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_configuration: Option<LogConfiguration>,
    /// Volume mounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mount_points: Vec<MountPoint>,
    /// Start-order dependencies on other containers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<ContainerDependency>,
    /// Containers of the same task this one reaches by name (`bridge` network mode only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Expr>,
    /// Run with root-equivalent host privileges (avoid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Mount the root filesystem read-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readonly_root_filesystem: Option<bool>,
    /// User (and group) to run as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Expr>,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_directory: Option<Expr>,
    /// Seconds to wait for dependencies before giving up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<Integer>,
    /// Seconds between SIGTERM and SIGKILL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<Integer>,
    /// Resource limits.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<Ulimit>,
    /// Docker labels.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub docker_labels: OrderedMap<NumericString>,
}
crate::references_of_fields!(ContainerDefinition {
    name,
    image,
    essential,
    entry_point,
    command,
    environment,
    secrets,
    port_mappings,
    cpu,
    memory,
    memory_reservation,
    resource_requirements,
    linux_parameters,
    health_check,
    log_configuration,
    mount_points,
    depends_on,
    links,
    privileged,
    readonly_root_filesystem,
    user,
    working_directory,
    start_timeout,
    stop_timeout,
    ulimits,
    docker_labels
});

impl ContainerDefinition {
    /// A container with only its required `Name` and `Image`.
    pub fn new(name: impl Into<Expr>, image: impl Into<Expr>) -> ContainerDefinition {
        ContainerDefinition {
            name: name.into(),
            image: image.into(),
            essential: None,
            entry_point: Vec::new(),
            command: Vec::new(),
            environment: Vec::new(),
            secrets: Vec::new(),
            port_mappings: Vec::new(),
            cpu: None,
            memory: None,
            memory_reservation: None,
            resource_requirements: Vec::new(),
            linux_parameters: None,
            health_check: None,
            log_configuration: None,
            mount_points: Vec::new(),
            depends_on: Vec::new(),
            links: Vec::new(),
            privileged: None,
            readonly_root_filesystem: None,
            user: None,
            working_directory: None,
            start_timeout: None,
            stop_timeout: None,
            ulimits: Vec::new(),
            docker_labels: OrderedMap::default(),
        }
    }
}

/// A `{Name, Value}` environment variable (values always render as JSON strings).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyValuePair {
    /// Variable name.
    pub name: Expr,
    /// Variable value.
    pub value: NumericString,
}
crate::references_of_fields!(KeyValuePair { name, value });

impl KeyValuePair {
    /// An environment variable.
    pub fn new(name: impl Into<Expr>, value: impl Into<NumericString>) -> KeyValuePair {
        KeyValuePair {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// A `{Name, ValueFrom}` secret reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Secret {
    /// Variable name.
    pub name: Expr,
    /// ARN of the SSM parameter or Secrets Manager secret.
    pub value_from: Expr,
}
crate::references_of_fields!(Secret { name, value_from });

/// `ContainerDefinition.PortMappings[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortMapping {
    /// Port inside the container.
    pub container_port: Integer,
    /// Port on the host (0 or absent: dynamic in bridge mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_port: Option<Integer>,
    /// `tcp` or `udp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Expr>,
    /// Mapping name (Service Connect).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `http`, `http2`, `grpc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<Expr>,
}
crate::references_of_fields!(PortMapping {
    container_port,
    host_port,
    protocol,
    name,
    app_protocol
});

impl PortMapping {
    /// A TCP mapping of `container_port` to `host_port`.
    pub fn tcp(container_port: impl Into<Integer>, host_port: impl Into<Integer>) -> PortMapping {
        PortMapping {
            container_port: container_port.into(),
            host_port: Some(host_port.into()),
            protocol: Some(Expr::from("tcp")),
            name: None,
            app_protocol: None,
        }
    }
}

/// `ContainerDefinition.ResourceRequirements[]` (`Value` is String-typed in the spec).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceRequirement {
    /// `GPU` or `InferenceAccelerator`.
    #[serde(rename = "Type")]
    pub requirement_type: Expr,
    /// The amount, rendered as a JSON string.
    pub value: NumericString,
}
crate::references_of_fields!(ResourceRequirement {
    requirement_type,
    value
});

impl ResourceRequirement {
    /// `count` GPUs.
    pub fn gpu(count: u32) -> ResourceRequirement {
        ResourceRequirement {
            requirement_type: Expr::from("GPU"),
            value: count.into(),
        }
    }
}

/// `ContainerDefinition.LinuxParameters`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinuxParameters {
    /// Size of `/dev/shm` in MiB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_memory_size: Option<Integer>,
    /// Run an init process (reaps zombies, forwards signals).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_process_enabled: Option<bool>,
}
crate::references_of_fields!(LinuxParameters {
    shared_memory_size,
    init_process_enabled
});

/// `ContainerDefinition.HealthCheck`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    /// `["CMD-SHELL", "curl -f http://localhost/health || exit 1"]`.
    pub command: Vec<Expr>,
    /// Seconds between checks (5-300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Integer>,
    /// Failures before unhealthy (1-10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retries: Option<Integer>,
    /// Grace period in seconds (0-300).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<Integer>,
    /// Seconds a check may take (2-60).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Integer>,
}
crate::references_of_fields!(HealthCheck {
    command,
    interval,
    retries,
    start_period,
    timeout
});

/// `ContainerDefinition.LogConfiguration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfiguration {
    /// `awslogs`, ...
    pub log_driver: Expr,
    /// Driver options (all values are strings).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub options: OrderedMap<NumericString>,
}
crate::references_of_fields!(LogConfiguration {
    log_driver,
    options
});

impl LogConfiguration {
    /// The `awslogs` driver writing to `group` in `region` with `stream_prefix`.
    pub fn awslogs(
        group: impl Into<Expr>,
        region: impl Into<Expr>,
        stream_prefix: impl Into<Expr>,
    ) -> LogConfiguration {
        let mut options = OrderedMap::default();
        options.insert(
            "awslogs-group".to_owned(),
            NumericString::from(group.into()),
        );
        options.insert(
            "awslogs-region".to_owned(),
            NumericString::from(region.into()),
        );
        options.insert(
            "awslogs-stream-prefix".to_owned(),
            NumericString::from(stream_prefix.into()),
        );
        LogConfiguration {
            log_driver: Expr::from("awslogs"),
            options,
        }
    }
}

/// `ContainerDefinition.MountPoints[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    /// Path inside the container.
    pub container_path: Expr,
    /// Name of a task definition volume.
    pub source_volume: Expr,
    /// Mount read-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
}
crate::references_of_fields!(MountPoint {
    container_path,
    source_volume,
    read_only
});

/// `ContainerDefinition.DependsOn[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDependency {
    /// The container depended on.
    pub container_name: Expr,
    /// `START`, `COMPLETE`, `SUCCESS` or `HEALTHY`.
    pub condition: Expr,
}
crate::references_of_fields!(ContainerDependency {
    container_name,
    condition
});

/// `ContainerDefinition.Ulimits[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ulimit {
    /// `nofile`, `memlock`, ...
    pub name: Expr,
    /// Soft limit.
    pub soft_limit: Integer,
    /// Hard limit.
    pub hard_limit: Integer,
}
crate::references_of_fields!(Ulimit {
    name,
    soft_limit,
    hard_limit
});

/// `TaskDefinition.Volumes[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    /// Name used by mount points.
    pub name: Expr,
    /// Bind mount from the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostVolumeProperties>,
}
crate::references_of_fields!(Volume { name, host });

/// `Volume.Host`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostVolumeProperties {
    /// Path on the host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_path: Option<Expr>,
}
crate::references_of_fields!(HostVolumeProperties { source_path });

/// A placement constraint (task definition or service).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlacementConstraint {
    /// `memberOf` or `distinctInstance`.
    #[serde(rename = "Type")]
    pub constraint_type: Expr,
    /// Cluster query language expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expr>,
}
crate::references_of_fields!(PlacementConstraint {
    constraint_type,
    expression
});

/// `AWS::ECS::Service`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Service {
    /// Physical name; generated when absent (a fixed name blocks replacement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_name: Option<Expr>,
    /// The cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Expr>,
    /// The task definition ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_definition: Option<Expr>,
    /// `EC2`, `FARGATE`, `EXTERNAL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub launch_type: Option<Expr>,
    /// `REPLICA` or `DAEMON`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheduling_strategy: Option<Expr>,
    /// Where the tasks are placed (instead of a launch type): capacity providers and shares.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    /// Who runs deployments (`ECS`, `CODE_DEPLOY`, `EXTERNAL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_controller: Option<DeploymentController>,
    /// Tasks to keep running (not with `DAEMON`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired_count: Option<Integer>,
    /// Rollout settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_configuration: Option<DeploymentConfiguration>,
    /// Target groups the tasks register with.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<ServiceLoadBalancer>,
    /// Seconds to ignore failing load balancer health checks after a task starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health_check_grace_period_seconds: Option<Integer>,
    /// Tag tasks with ECS-managed tags.
    #[serde(
        rename = "EnableECSManagedTags",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ecs_managed_tags: Option<bool>,
    /// Allow ECS Exec.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_execute_command: Option<bool>,
    /// `SERVICE`, `TASK_DEFINITION` or `NONE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub propagate_tags: Option<Expr>,
    /// Placement constraints.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// Tags.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}
crate::references_of_fields!(Service {
    service_name,
    cluster,
    task_definition,
    launch_type,
    scheduling_strategy,
    capacity_provider_strategy,
    deployment_controller,
    desired_count,
    deployment_configuration,
    load_balancers,
    health_check_grace_period_seconds,
    enable_ecs_managed_tags,
    enable_execute_command,
    propagate_tags,
    placement_constraints,
    tags
});
resource_type!(Service, "AWS::ECS::Service");

/// `Service.DeploymentConfiguration`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentConfiguration {
    /// Stop (and optionally roll back) failing deployments.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment_circuit_breaker: Option<DeploymentCircuitBreaker>,
    /// Upper bound of running tasks during a deployment, in percent of desired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_percent: Option<Integer>,
    /// Lower bound of healthy tasks during a deployment, in percent of desired.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum_healthy_percent: Option<Integer>,
    /// `ROLLING`, `BLUE_GREEN`, `LINEAR` or `CANARY` (with the `ECS` controller).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Expr>,
    /// Minutes blue and green both run after production traffic moved to green.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bake_time_in_minutes: Option<Integer>,
    /// Alarms that fail (and optionally roll back) a deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarms: Option<DeploymentAlarms>,
    /// Functions a deployment calls at its stages; it waits for their answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_hooks: Option<Conditional<Vec<DeploymentLifecycleHook>>>,
}
crate::references_of_fields!(DeploymentConfiguration {
    deployment_circuit_breaker,
    maximum_percent,
    minimum_healthy_percent,
    strategy,
    bake_time_in_minutes,
    alarms,
    lifecycle_hooks
});

/// `Service.DeploymentController`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentController {
    /// `ECS`, `CODE_DEPLOY` or `EXTERNAL`.
    #[serde(rename = "Type")]
    pub controller_type: Expr,
}
crate::references_of_fields!(DeploymentController { controller_type });

impl DeploymentController {
    /// ECS runs the deployments itself (rolling, blue/green, linear, canary).
    pub fn ecs() -> DeploymentController {
        DeploymentController {
            controller_type: Expr::from("ECS"),
        }
    }
}

/// `DeploymentConfiguration.Alarms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentAlarms {
    /// Alarm names (their `Ref`).
    pub alarm_names: Vec<Expr>,
    /// Watch the alarms during deployments.
    pub enable: bool,
    /// Roll back to the last completed deployment when one fires.
    pub rollback: bool,
}
crate::references_of_fields!(DeploymentAlarms {
    alarm_names,
    enable,
    rollback
});

/// `DeploymentConfiguration.LifecycleHooks[]`: a Lambda function ECS invokes at some stages of
/// a deployment, and again while it answers `IN_PROGRESS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentLifecycleHook {
    /// The function's ARN.
    pub hook_target_arn: Expr,
    /// A role ECS assumes to invoke it.
    pub role_arn: Expr,
    /// `RECONCILE_SERVICE`, `PRE_SCALE_UP`, `POST_SCALE_UP`, `TEST_TRAFFIC_SHIFT`,
    /// `POST_TEST_TRAFFIC_SHIFT`, `PRODUCTION_TRAFFIC_SHIFT`, `POST_PRODUCTION_TRAFFIC_SHIFT`.
    pub lifecycle_stages: Vec<Expr>,
    /// Any JSON value, passed to the function in each invocation's event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_details: Option<Expr>,
}
crate::references_of_fields!(DeploymentLifecycleHook {
    hook_target_arn,
    role_arn,
    lifecycle_stages,
    hook_details
});

/// `DeploymentConfiguration.DeploymentCircuitBreaker`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeploymentCircuitBreaker {
    /// Turn the breaker on.
    pub enable: bool,
    /// Roll back to the last completed deployment when it trips.
    pub rollback: bool,
}
crate::references_of_fields!(DeploymentCircuitBreaker { enable, rollback });

/// `Service.LoadBalancers[]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServiceLoadBalancer {
    /// Container receiving traffic (must exist in the task definition).
    pub container_name: Expr,
    /// Its container port (must be mapped).
    pub container_port: Integer,
    /// The target group.
    pub target_group_arn: Expr,
    /// Blue/green: the second target group and the listener rules ECS moves between the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advanced_configuration: Option<AdvancedConfiguration>,
}
crate::references_of_fields!(ServiceLoadBalancer {
    container_name,
    container_port,
    target_group_arn,
    advanced_configuration
});

/// `LoadBalancers[].AdvancedConfiguration`: what ECS needs to shift traffic between blue and
/// green.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdvancedConfiguration {
    /// The target group green tasks register with while blue serves.
    pub alternate_target_group_arn: Expr,
    /// The listener rule production traffic takes (its weights move blue to green).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub production_listener_rule: Option<Expr>,
    /// The listener rule test traffic takes (green receives it first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test_listener_rule: Option<Expr>,
    /// The role ECS assumes to change the rules and register targets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Expr>,
}
crate::references_of_fields!(AdvancedConfiguration {
    alternate_target_group_arn,
    production_listener_rule,
    test_listener_rule,
    role_arn
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cfn::Resource;
    use serde_json::json;

    #[test]
    fn container_definition_renders_gpu_as_string_and_sizes_as_numbers() {
        let mut c = ContainerDefinition::new("model", "vllm/vllm-openai:v0.6.0");
        c.essential = Some(true);
        c.memory_reservation = Some(15000u32.into());
        c.resource_requirements.push(ResourceRequirement::gpu(1));
        c.linux_parameters = Some(LinuxParameters {
            shared_memory_size: Some(2048u32.into()),
            init_process_enabled: None,
        });
        c.environment
            .push(KeyValuePair::new("MAX_TOTAL_TOKENS", 4096));
        c.port_mappings.push(PortMapping::tcp(8080u16, 0u16));
        c.health_check = Some(HealthCheck {
            command: vec!["CMD-SHELL".into(), "exit 0".into()],
            interval: Some(10u32.into()),
            retries: Some(3u32.into()),
            start_period: Some(300u32.into()),
            timeout: Some(5u32.into()),
        });
        c.log_configuration = Some(LogConfiguration::awslogs(
            Expr::ref_("Logs"),
            crate::cfn::Pseudo::Region,
            "model",
        ));
        c.privileged = Some(false);
        let td = TaskDefinition {
            family: Some("m".into()),
            container_definitions: vec![c],
            network_mode: Some("bridge".into()),
            requires_compatibilities: vec!["EC2".into()],
            volumes: vec![Volume {
                name: "weights".into(),
                host: Some(HostVolumeProperties {
                    source_path: Some("/opt/models".into()),
                }),
            }],
            ..TaskDefinition::default()
        };
        let v = Resource::new(&td)
            .expect("renders")
            .properties_json()
            .expect("renders");
        let c = &v["ContainerDefinitions"][0];
        assert_eq!(
            c["ResourceRequirements"],
            json!([{"Type": "GPU", "Value": "1"}])
        );
        assert_eq!(c["MemoryReservation"], json!(15000));
        assert_eq!(c["LinuxParameters"], json!({"SharedMemorySize": 2048}));
        assert_eq!(
            c["Environment"],
            json!([{"Name": "MAX_TOTAL_TOKENS", "Value": "4096"}])
        );
        assert_eq!(
            c["PortMappings"],
            json!([{"ContainerPort": 8080, "HostPort": 0, "Protocol": "tcp"}])
        );
        assert_eq!(c["HealthCheck"]["StartPeriod"], json!(300));
        assert_eq!(
            c["LogConfiguration"]["Options"]["awslogs-region"],
            json!({"Ref": "AWS::Region"})
        );
        assert_eq!(v["Volumes"][0]["Host"]["SourcePath"], json!("/opt/models"));
    }

    #[test]
    fn service_renders_circuit_breaker_and_load_balancers() {
        let s = Service {
            cluster: Some(Expr::ref_("Cluster")),
            task_definition: Some(Expr::ref_("Task")),
            launch_type: Some("EC2".into()),
            scheduling_strategy: Some("DAEMON".into()),
            deployment_configuration: Some(DeploymentConfiguration {
                deployment_circuit_breaker: Some(DeploymentCircuitBreaker {
                    enable: true,
                    rollback: true,
                }),
                maximum_percent: Some(100u32.into()),
                minimum_healthy_percent: Some(0u32.into()),
                ..DeploymentConfiguration::default()
            }),
            load_balancers: vec![ServiceLoadBalancer {
                container_name: "model".into(),
                container_port: 8080u16.into(),
                target_group_arn: Expr::ref_("Tg"),
                advanced_configuration: None,
            }],
            health_check_grace_period_seconds: Some(600u32.into()),
            enable_ecs_managed_tags: Some(true),
            ..Service::default()
        };
        let v = Resource::new(&s)
            .expect("renders")
            .properties_json()
            .expect("renders");
        assert_eq!(v["EnableECSManagedTags"], json!(true));
        assert_eq!(
            v["DeploymentConfiguration"],
            json!({"DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}, "MaximumPercent": 100, "MinimumHealthyPercent": 0})
        );
        assert_eq!(
            v["LoadBalancers"],
            json!([{"ContainerName": "model", "ContainerPort": 8080, "TargetGroupArn": {"Ref": "Tg"}}])
        );
        assert_eq!(v["HealthCheckGracePeriodSeconds"], json!(600));
    }

    #[test]
    fn blue_green_service_renders_its_deployment_and_a_conditional_hook() {
        let s = Service {
            capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: Expr::ref_("Provider"),
                weight: Some(1u32.into()),
                base: None,
            }],
            deployment_controller: Some(DeploymentController::ecs()),
            deployment_configuration: Some(DeploymentConfiguration {
                strategy: Some("BLUE_GREEN".into()),
                bake_time_in_minutes: Some(10u32.into()),
                alarms: Some(DeploymentAlarms {
                    alarm_names: vec![Expr::ref_("Alarm")],
                    enable: true,
                    rollback: true,
                }),
                lifecycle_hooks: Some(Conditional::When(
                    "HasGate".into(),
                    vec![DeploymentLifecycleHook {
                        hook_target_arn: Expr::ref_("Gate"),
                        role_arn: Expr::get_att("HookRole", "Arn"),
                        lifecycle_stages: vec!["POST_TEST_TRAFFIC_SHIFT".into()],
                        hook_details: None,
                    }],
                )),
                ..DeploymentConfiguration::default()
            }),
            load_balancers: vec![ServiceLoadBalancer {
                container_name: "model".into(),
                container_port: 8080u16.into(),
                target_group_arn: Expr::ref_("Blue"),
                advanced_configuration: Some(AdvancedConfiguration {
                    alternate_target_group_arn: Expr::ref_("Green"),
                    production_listener_rule: Some(Expr::ref_("ProdRule")),
                    test_listener_rule: Some(Expr::ref_("TestRule")),
                    role_arn: Some(Expr::get_att("LbRole", "Arn")),
                }),
            }],
            ..Service::default()
        };
        let resource = Resource::new(&s).expect("renders");
        let v = resource.properties_json().expect("renders");
        assert_eq!(v["DeploymentController"], json!({"Type": "ECS"}));
        assert_eq!(
            v["CapacityProviderStrategy"],
            json!([{"CapacityProvider": {"Ref": "Provider"}, "Weight": 1}])
        );
        assert_eq!(
            v["DeploymentConfiguration"]["LifecycleHooks"],
            json!({"Fn::If": ["HasGate", [{
                "HookTargetArn": {"Ref": "Gate"},
                "RoleArn": {"Fn::GetAtt": ["HookRole", "Arn"]},
                "LifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]
            }], {"Ref": "AWS::NoValue"}]})
        );
        assert_eq!(
            v["LoadBalancers"][0]["AdvancedConfiguration"],
            json!({
                "AlternateTargetGroupArn": {"Ref": "Green"},
                "ProductionListenerRule": {"Ref": "ProdRule"},
                "TestListenerRule": {"Ref": "TestRule"},
                "RoleArn": {"Fn::GetAtt": ["LbRole", "Arn"]}
            })
        );
        // The condition is a reference like any other: the validation pass checks it exists.
        let mut conditions = Vec::new();
        resource.visit_references(&mut |r| {
            if let crate::cfn::ReferenceTo::Condition(c) = r {
                conditions.push(c.to_owned());
            }
        });
        assert_eq!(conditions, ["HasGate"]);
    }
}
