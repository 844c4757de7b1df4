//! The model's instances: role, security group, launch template and Auto Scaling group.

use super::Lifecycle;
use super::parameters::Network;
use super::scripts::{self, RenderError, SERVER_PORT};
use crate::cfn::resources::autoscaling::{AutoScalingGroup, LaunchTemplateSpecification};
use crate::cfn::resources::ec2::{
    BlockDeviceMapping, Ebs, EgressRule, IamInstanceProfileSpecification, IngressRule,
    LaunchTemplate, LaunchTemplateData, MetadataOptions, Monitoring, SecurityGroup,
};
use crate::cfn::resources::iam::{InstanceProfile, PolicyDocument, Role};
use crate::cfn::{Expr, NumericString};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::{AutoScalingConfig, InstanceSpec};

/// The managed policy that lets the ECS agent join a cluster and report.
pub const ECS_INSTANCE_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role";

/// The Auto Scaling group's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSizes {
    /// MinSize.
    pub min: u32,
    /// MaxSize.
    pub max: u32,
    /// DesiredCapacity, only when explicitly requested: a fixed value in the template would
    /// reset the group's current size on every stack update.
    pub desired: Option<u32>,
}

impl GroupSizes {
    /// The sizes for a lifecycle: the configuration while running, 0/0/0 while stopped.
    pub fn for_lifecycle(config: &AutoScalingConfig, lifecycle: Lifecycle) -> GroupSizes {
        match lifecycle {
            Lifecycle::Running => GroupSizes {
                min: config.min_capacity,
                max: config.max_capacity,
                desired: config.desired_capacity,
            },
            Lifecycle::Stopped => GroupSizes {
                min: 0,
                max: 0,
                desired: Some(0),
            },
        }
    }
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
    let group = scope.add(
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
    )?;

    Ok(Capacity {
        role,
        security_group,
        launch_template,
        group,
    })
}
