//! The model's instances: role, security group, launch template, Auto Scaling group (rolled one
//! instance at a time when its launch template changes) and the ECS capacity provider that
//! sizes the group for the service's tasks and drains an instance's tasks before it terminates.

use super::RunState;
use super::parameters::Network;
use super::scripts::{self, RenderError};
use super::server_settings::SERVER_PORT;
use crate::cfn::resources::autoscaling::{AutoScalingGroup, LaunchTemplateSpecification};
use crate::cfn::resources::ec2::{
    BlockDeviceMapping, Ebs, EgressRule, IamInstanceProfileSpecification, IngressRule,
    LaunchTemplate, LaunchTemplateData, MetadataOptions, Monitoring, SecurityGroup,
};
use crate::cfn::resources::ecs_capacity::{
    AutoScalingGroupProvider, CapacityProvider, CapacityProviderStrategyItem,
    ClusterCapacityProviderAssociations, ManagedScaling,
};
use crate::cfn::resources::iam::{InstanceProfile, PolicyDocument, Role};
use crate::cfn::{AutoScalingRollingUpdate, UpdatePolicy};
use crate::cfn::{Expr, NumericString};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::{AutoScalingConfig, InstanceSpec, ModelDefinition, ModelUpdate};

/// The managed policy that lets the ECS agent join a cluster and report.
pub const ECS_INSTANCE_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

/// The share of the group's instances ECS keeps running tasks (managed scaling's target): 100,
/// one task per instance and no idle GPU.
pub const TARGET_CAPACITY_PERCENT: u32 = 100;

/// The most instances the group may hold for `config`: a blue/green deployment starts a green
/// task for every blue one, each on an instance of its own, so at the largest size twice
/// `maxCapacity`. The capacity checks count this peak against the account's quota.
pub fn peak_instances_of(config: &AutoScalingConfig) -> u32 {
    config.max_capacity.saturating_mul(2)
}

/// [`peak_instances_of`] of a hosted model; `None` for a LiteLLM-only model (no instances).
pub fn peak_instances(definition: &ModelDefinition) -> Option<u32> {
    definition
        .hosting
        .as_ref()
        .map(|hosting| peak_instances_of(&hosting.auto_scaling_config))
}

/// The Auto Scaling group's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSizes {
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
    /// DesiredCapacity: only to stop the model at once; otherwise the capacity provider sets it.
    pub desired: Option<u32>,
}

impl GroupSizes {
    /// The sizes for a run state. Running: MinSize is `minCapacity` (those instances start with
    /// the stack, before any task asks for them) and MaxSize the [peak](peak_instances_of); the
    /// count is managed scaling's. Stopped: 0/0/0, which terminates every instance at once
    /// instead of waiting for managed scaling's slow scale-in.
    pub fn for_run_state(config: &AutoScalingConfig, run_state: RunState) -> GroupSizes {
        match run_state {
            RunState::Running => GroupSizes {
                min: config.min_capacity,
                max: peak_instances_of(config),
                desired: None,
            },
            RunState::Stopped => GroupSizes {
                min: 0,
                max: 0,
                desired: Some(0),
            },
        }
    }
}

/// The count a create deployment applies: the definition's `desiredCapacity`. A start may pass
/// it too, to restore the saved count (the service is at 0, so no scale-out is undone); without
/// it a start begins at `minCapacity`.
pub fn desired_on_create(definition: &ModelDefinition) -> Option<u32> {
    definition
        .hosting
        .as_ref()
        .and_then(|hosting| hosting.auto_scaling_config.desired_capacity)
}

/// The count an update deployment applies: the request's own `desiredCapacity`, never the one
/// stored from an earlier request.
pub fn desired_on_update(update: &ModelUpdate) -> Option<u32> {
    update
        .auto_scaling_instance_config
        .as_ref()
        .and_then(|config| config.desired_capacity)
}

/// What the capacity part needs.
#[derive(Debug)]
pub struct CapacityProps<'a> {
    /// The instance type's catalog entry.
    pub instance: &'a InstanceSpec,
    /// The ECS cluster the instances join.
    pub cluster: &'a ResourceHandle,
    /// VPC and subnets.
    pub network: &'a Network,
    /// The AMI.
    pub image_id: Expr,
    /// Group sizes.
    pub sizes: GroupSizes,
    /// The group's default cooldown in seconds.
    pub cooldown: u32,
    /// The group's DefaultInstanceWarmup in seconds.
    pub default_instance_warmup: u32,
    /// The root volume's size in GiB.
    pub volume_size_gib: u32,
    /// The load balancer's security group, the only source allowed to the server port.
    pub load_balancer_security_group: Expr,
    /// Seconds a new instance needs to serve (boot, weights copy, model load): the rolling
    /// update waits that long after each replacement.
    pub time_to_serve_seconds: u32,
}

/// The capacity part's resources.
#[derive(Debug, Clone)]
pub struct Capacity {
    /// The instances' role.
    pub role: ResourceHandle,
    /// The instances' security group.
    pub security_group: ResourceHandle,
    /// The launch template.
    pub launch_template: ResourceHandle,
    /// The Auto Scaling group.
    pub group: ResourceHandle,
    /// The capacity provider: ECS sizes the group for the tasks through it, and drains an
    /// instance before it terminates.
    pub capacity_provider: ResourceHandle,
    /// The capacity provider's association with the cluster: a service can use the provider
    /// only once it exists.
    pub cluster_providers: ResourceHandle,
}

/// Why the capacity part could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    /// A resource could not be added.
    #[error(transparent)]
    Construct(#[from] ConstructError),
    /// The user data did not render.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<CapacityError> for super::StackError {
    fn from(error: CapacityError) -> Self {
        match error {
            CapacityError::Construct(e) => e.into(),
            CapacityError::Render(e) => e.into(),
        }
    }
}

/// Adds the instances' role, profile, security group, launch template and Auto Scaling group.
pub fn capacity(
    scope: &mut Scope<'_>,
    props: &CapacityProps<'_>,
) -> Result<Capacity, CapacityError> {
    let role = scope.add(
        "InstanceRole",
        Role {
            description: Some(Expr::sub("ECS container instances of ${AWS::StackName}")),
            managed_policy_arns: vec![Expr::sub(ECS_INSTANCE_POLICY)],
            ..Role::new(PolicyDocument::assume_role_by_service("ec2.amazonaws.com"))
        },
    )?;
    let profile = scope.add("InstanceProfile", InstanceProfile::for_role(role.ref_()))?;

    let security_group = scope.add(
        "SecurityGroup",
        SecurityGroup {
            vpc_id: Some(props.network.vpc_id.clone()),
            security_group_ingress: vec![IngressRule::tcp_from_group(
                SERVER_PORT,
                props.load_balancer_security_group.clone(),
                "Model server, from the load balancer only",
            )],
            security_group_egress: vec![EgressRule::tcp_to_cidr(
                443u16,
                "0.0.0.0/0",
                "HTTPS to AWS APIs (ECS, ECR, S3, CloudWatch Logs) and the image registry",
            )],
            ..SecurityGroup::new(Expr::sub("Model instances of ${AWS::StackName}"))
        },
    )?;

    // In Fn::Sub, ${Cluster} is the cluster's Ref: its name.
    let cluster_name = format!("${{{}}}", props.cluster.logical_id());
    let user_data = scripts::user_data(
        &cluster_name,
        props.instance.gpus > 0,
        props.instance.local_nvme,
    )?;
    let launch_template = scope.add(
        "LaunchTemplate",
        LaunchTemplate {
            launch_template_data: LaunchTemplateData {
                image_id: Some(props.image_id.clone()),
                instance_type: Some(Expr::str(props.instance.name)),
                iam_instance_profile: Some(IamInstanceProfileSpecification {
                    arn: Some(profile.get_att("Arn")),
                    name: None,
                }),
                security_group_ids: Some(Expr::list([security_group.get_att("GroupId")])),
                user_data: Some(Expr::base64(Expr::sub(user_data))),
                // Hop limit 1: containers on the bridge network cannot reach IMDSv2 either.
                metadata_options: Some(MetadataOptions::imdsv2_required(1)),
                block_device_mappings: vec![BlockDeviceMapping {
                    device_name: Expr::str("/dev/xvda"),
                    ebs: Some(Ebs {
                        volume_size: Some(props.volume_size_gib.into()),
                        volume_type: Some(Expr::str("gp3")),
                        encrypted: Some(true),
                        delete_on_termination: Some(true),
                        ..Ebs::default()
                    }),
                }],
                monitoring: Some(Monitoring { enabled: true }),
                ..LaunchTemplateData::default()
            },
            ..LaunchTemplate::default()
        },
    )?;

    let sizes = props.sizes;
    let group = scope.add_with(
        "Group",
        AutoScalingGroup {
            desired_capacity: sizes.desired.map(NumericString::from),
            cooldown: Some(props.cooldown.into()),
            default_instance_warmup: Some(props.default_instance_warmup.into()),
            vpc_zone_identifier: Some(props.network.subnet_ids.clone()),
            launch_template: Some(LaunchTemplateSpecification::latest(
                launch_template.logical_id().as_str(),
            )),
            health_check_type: Some(Expr::str("EC2")),
            ..AutoScalingGroup::new(sizes.min, sizes.max)
        },
        |r| match rolling_update(sizes, props.time_to_serve_seconds) {
            Some(policy) => r.update_policy(policy),
            None => r,
        },
    )?;

    // Managed scaling: ECS sets the group's count to the instances the service's tasks need
    // (one each), so a service scale-out or a blue/green deployment brings its instances.
    // Managed draining: ECS puts a termination lifecycle hook on the group; when an instance is
    // to terminate (scale-in, rolling update), ECS replaces its tasks elsewhere and drains it
    // before completing the hook. Managed termination protection stays off: it would keep a
    // stop (MaxSize 0) and a delete waiting for ECS to unprotect each instance, and draining
    // already keeps every task serving until its replacement is healthy.
    // The id predates managed scaling: the provider has a fixed name, so a new id would replace
    // it under the same name, which CloudFormation refuses.
    let capacity_provider = scope.add(
        "DrainingProvider",
        CapacityProvider {
            // Generated names derive from the stack name, which may start with `ecs` or `aws`
            // (reserved prefixes for capacity providers).
            name: Some(Expr::sub("lisa-${AWS::StackName}")),
            auto_scaling_group_provider: AutoScalingGroupProvider {
                auto_scaling_group_arn: group.ref_(),
                managed_draining: Some(Expr::str("ENABLED")),
                managed_scaling: Some(ManagedScaling {
                    status: Expr::str("ENABLED"),
                    target_capacity: Some(TARGET_CAPACITY_PERCENT.into()),
                    minimum_scaling_step_size: Some(1u32.into()),
                    maximum_scaling_step_size: None,
                    instance_warmup_period: Some(props.default_instance_warmup.into()),
                }),
                managed_termination_protection: Some(Expr::str("DISABLED")),
            },
        },
    )?;
    let cluster_providers = scope.add(
        "ClusterProviders",
        ClusterCapacityProviderAssociations {
            cluster: props.cluster.ref_(),
            capacity_providers: vec![capacity_provider.ref_()],
            default_capacity_provider_strategy: vec![CapacityProviderStrategyItem {
                capacity_provider: capacity_provider.ref_(),
                weight: Some(1u32.into()),
                base: None,
            }],
        },
    )?;

    Ok(Capacity {
        role,
        security_group,
        launch_template,
        group,
        capacity_provider,
        cluster_providers,
    })
}

/// Processes suspended while instances roll: no health replacement, rebalancing, alarm-driven
/// scaling or scheduled action fights the replacement.
pub const ROLLING_SUSPENDED_PROCESSES: [&str; 5] = [
    "HealthCheck",
    "ReplaceUnhealthy",
    "AZRebalance",
    "AlarmNotification",
    "ScheduledActions",
];

/// The group's update policy: a new AMI or launch template replaces the instances one at a time,
/// keeping MinSize in service (below MaxSize, as CloudFormation requires), and waits for each new
/// instance to serve before the next. Each old instance terminates only once managed draining
/// has moved its task: the service keeps 100 % of its tasks healthy while instances drain, so
/// the replacement task serves on the new instance before the old one stops. A stopped group
/// (MaxSize 0) has nothing to roll and no MinInstancesInService below its MaxSize, so it gets no
/// policy.
pub fn rolling_update(sizes: GroupSizes, time_to_serve_seconds: u32) -> Option<UpdatePolicy> {
    if sizes.max == 0 {
        return None;
    }
    Some(UpdatePolicy {
        auto_scaling_rolling_update: Some(AutoScalingRollingUpdate {
            max_batch_size: Some(1u32.into()),
            min_instances_in_service: Some(sizes.min.min(sizes.max.saturating_sub(1)).into()),
            pause_time: Some(iso_duration(time_to_serve_seconds.min(MAX_PAUSE_SECONDS))),
            suspend_processes: ROLLING_SUSPENDED_PROCESSES
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            ..AutoScalingRollingUpdate::default()
        }),
        ..UpdatePolicy::default()
    })
}

/// The longest pause CloudFormation accepts between batches (one hour).
const MAX_PAUSE_SECONDS: u32 = 3600;

/// `seconds` as an ISO 8601 duration (`PT10M30S`).
fn iso_duration(seconds: u32) -> String {
    let (hours, minutes, seconds) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut text = String::from("PT");
    for (value, unit) in [(hours, 'H'), (minutes, 'M'), (seconds, 'S')] {
        if value > 0 {
            text.push_str(&format!("{value}{unit}"));
        }
    }
    if text.len() == 2 {
        text.push_str("0S");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_iso_8601() {
        assert_eq!(iso_duration(0), "PT0S");
        assert_eq!(iso_duration(630), "PT10M30S");
        assert_eq!(iso_duration(3600), "PT1H");
    }

    #[test]
    fn rolling_keeps_min_size_below_max_size() {
        let policy = |min, max| {
            rolling_update(
                GroupSizes {
                    min,
                    max,
                    desired: None,
                },
                900,
            )
            .and_then(|p| p.auto_scaling_rolling_update)
            .and_then(|r| r.min_instances_in_service)
        };
        assert_eq!(policy(1, 1), Some(0u32.into()));
        assert_eq!(policy(2, 2), Some(1u32.into()));
        assert_eq!(policy(2, 5), Some(2u32.into()));
        assert_eq!(policy(0, 0), None, "a stopped group has nothing to roll");
    }
}
