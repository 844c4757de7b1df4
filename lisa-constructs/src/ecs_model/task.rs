//! The task: its roles, log group and task definition (weights copy, then the server, with the
//! metrics agent beside it).

use super::metrics::{self, AGENT_MEMORY_MIB};
use super::scripts::{self, CONTAINER_WEIGHTS_DIR, HOST_WEIGHTS_DIR, RenderError};
use super::server_settings::SERVER_PORT;
use super::server_settings::VllmLimits;
use crate::cfn::resources::ecs::{
    ContainerDefinition, ContainerDependency, HealthCheck, HostVolumeProperties, KeyValuePair,
    LinuxParameters, LogConfiguration, MountPoint, PortMapping, ResourceRequirement,
    TaskDefinition, Volume,
};
use crate::cfn::resources::iam::{Policy, PolicyDocument, Role, Statement};
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::{Expr, Pseudo};
use crate::construct::{ConstructError, ResourceHandle, Scope};
use crate::model::{Hosting, ImageType, InstanceSpec, ModelDefinition, ModelType};

/// The name of the inference server's container.
pub const SERVER_CONTAINER: &str = "model-server";
/// The name of the container that copies the weights before the server starts.
pub const WEIGHTS_CONTAINER: &str = "model-weights";
/// The image that copies the weights (the AWS CLI, pinned).
pub const WEIGHTS_IMAGE: &str = "public.ecr.aws/aws-cli/aws-cli:2.22.35";
/// Memory (MiB) reserved for the weights copy.
pub const WEIGHTS_MEMORY_MIB: u32 = 512;
/// How long the logs are kept.
pub const LOG_RETENTION_DAYS: u32 = 30;
/// The managed policy that lets ECS pull images and write logs for the task.
pub const EXECUTION_POLICY: &str =
    "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

/// What the task part needs.
#[derive(Debug)]
pub struct TaskProps<'a> {
    /// The model.
    pub definition: &'a ModelDefinition,
    /// Its hosting block.
    pub hosting: &'a Hosting,
    /// The instance type's catalog entry.
    pub instance: &'a InstanceSpec,
    /// The logical name of the parameter (or resource) that holds the models bucket's name; the
    /// task role's ARNs and the weights copy refer to it inside `Fn::Sub`.
    pub models_bucket: String,
    /// The cluster (the metrics agent names it).
    pub cluster: &'a ResourceHandle,
}

/// The task part's resources.
#[derive(Debug, Clone)]
pub struct Task {
    /// The role ECS uses to start the task (image pull, logs).
    pub execution_role: ResourceHandle,
    /// The role the containers run with (read-only access to the model's weights).
    pub task_role: ResourceHandle,
    /// The containers' log group.
    pub log_group: ResourceHandle,
    /// The task definition.
    pub definition: ResourceHandle,
}

/// Why the task part could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// A resource could not be added.
    #[error(transparent)]
    Construct(#[from] ConstructError),
    /// A script did not render.
    #[error(transparent)]
    Render(#[from] RenderError),
}

impl From<TaskError> for super::StackError {
    fn from(error: TaskError) -> Self {
        match error {
            TaskError::Construct(e) => e.into(),
            TaskError::Render(e) => e.into(),
        }
    }
}

/// The server container's memory reservation: what a task may reserve on the instance
/// ([`InstanceSpec::task_memory_mib`]) less what the weights copy and the metrics agent
/// reserve. The container has no hard limit, so the reservation only decides placement: one
/// task per instance must fit.
pub fn server_memory_mib(instance: &InstanceSpec) -> u32 {
    instance
        .task_memory_mib()
        .saturating_sub(WEIGHTS_MEMORY_MIB + AGENT_MEMORY_MIB)
        .max(WEIGHTS_MEMORY_MIB)
}

/// The image reference in the template: as given, or the deploying account's ECR repository.
pub fn image_reference(image_type: ImageType, base_image: &str) -> Expr {
    match image_type {
        ImageType::Asset | ImageType::External => Expr::str(base_image),
        ImageType::Ecr => Expr::sub(format!(
            "${{AWS::AccountId}}.dkr.ecr.${{AWS::Region}}.${{AWS::URLSuffix}}/{base_image}"
        )),
    }
}

/// Adds the execution role, task role, log group and task definition.
pub fn task(scope: &mut Scope<'_>, props: &TaskProps<'_>) -> Result<Task, TaskError> {
    let definition = props.definition;
    let hosting = props.hosting;
    let container = &hosting.container_config;
    let bucket_name = &props.models_bucket;

    let execution_role = scope.add(
        "ExecutionRole",
        Role {
            description: Some(Expr::sub("Starts the model task of ${AWS::StackName}")),
            managed_policy_arns: vec![Expr::sub(EXECUTION_POLICY)],
            ..Role::new(PolicyDocument::assume_role_by_service(
                "ecs-tasks.amazonaws.com",
            ))
        },
    )?;

    let log_group = scope.add_with(
        "LogGroup",
        LogGroup {
            retention_in_days: Some(LOG_RETENTION_DAYS.into()),
            ..LogGroup::default()
        },
        |r| {
            r.checkov_skip(
                "CKV_AWS_158",
                "Server logs hold no request payloads; CloudWatch Logs encrypts them at rest with its own key",
            )
        },
    )?;
    let prefix = definition.model_name.trim_end_matches('/');
    let task_role = scope.add(
        "Role",
        Role {
            description: Some(Expr::sub(
                "Model containers of ${AWS::StackName}: read the model's weights, publish the server's metrics",
            )),
            policies: vec![Policy {
                policy_name: Expr::str("read-model-weights"),
                policy_document: PolicyDocument::new([
                    Statement::allow(
                        [Expr::str("s3:GetObject")],
                        [Expr::sub(format!(
                            "arn:${{AWS::Partition}}:s3:::${{{bucket_name}}}/{prefix}/*"
                        ))],
                    ),
                    Statement {
                        condition: Some(Expr::map([(
                            "StringLike",
                            Expr::map([(
                                "s3:prefix",
                                Expr::list([format!("{prefix}/*"), prefix.to_owned()]),
                            )]),
                        )])),
                        ..Statement::allow(
                            [Expr::str("s3:ListBucket")],
                            [Expr::sub(format!(
                                "arn:${{AWS::Partition}}:s3:::${{{bucket_name}}}"
                            ))],
                        )
                    },
                ]),
            }, Policy {
                policy_name: Expr::str("publish-server-metrics"),
                policy_document: PolicyDocument::new([metrics::agent_permissions(&log_group)]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service(
                "ecs-tasks.amazonaws.com",
            ))
        },
    )?;

    let logs = |prefix: &str| {
        LogConfiguration::awslogs(log_group.ref_(), Expr::pseudo(Pseudo::Region), prefix)
    };

    let weights_volume = "model-weights";
    let mount = MountPoint {
        container_path: Expr::str(CONTAINER_WEIGHTS_DIR),
        source_volume: Expr::str(weights_volume),
        read_only: Some(false),
    };

    let fetch = scripts::fetch_weights(&format!("${{{bucket_name}}}"), prefix)?;
    let weights_container = ContainerDefinition {
        essential: Some(false),
        entry_point: vec![Expr::str("/bin/sh"), Expr::str("-c")],
        command: vec![Expr::sub(fetch)],
        memory_reservation: Some(WEIGHTS_MEMORY_MIB.into()),
        log_configuration: Some(logs("weights")),
        mount_points: vec![mount.clone()],
        privileged: Some(false),
        ..ContainerDefinition::new(WEIGHTS_CONTAINER, WEIGHTS_IMAGE)
    };

    let check = &container.health_check_config;
    let server_command = scripts::server_command(
        hosting.inference_container,
        &definition.model_name,
        props.instance.gpus.max(1),
        definition.model_type == ModelType::Embedding,
        VllmLimits::from_environment(&container.environment),
        container.server_args(),
    )?;
    let server_container = ContainerDefinition {
        essential: Some(true),
        entry_point: vec![Expr::str("/bin/sh"), Expr::str("-c")],
        command: vec![Expr::str(server_command)],
        environment: container
            .environment
            .iter()
            .map(|(k, v)| KeyValuePair::new(k.as_str(), v.as_str()))
            .collect(),
        port_mappings: vec![PortMapping::tcp(SERVER_PORT, SERVER_PORT)],
        memory_reservation: Some(server_memory_mib(props.instance).into()),
        resource_requirements: if props.instance.gpus > 0 {
            vec![ResourceRequirement::gpu(props.instance.gpus)]
        } else {
            Vec::new()
        },
        linux_parameters: Some(LinuxParameters {
            shared_memory_size: Some(container.shared_memory_size.into()),
            ..LinuxParameters::default()
        }),
        health_check: Some(HealthCheck {
            command: check
                .command
                .iter()
                .map(|part| Expr::str(part.as_str()))
                .collect(),
            interval: Some(check.interval().into()),
            retries: Some(check.retries().into()),
            start_period: Some(check.start_period().into()),
            timeout: Some(check.timeout().into()),
        }),
        log_configuration: Some(logs("server")),
        mount_points: vec![MountPoint {
            read_only: Some(true),
            ..mount
        }],
        depends_on: vec![ContainerDependency {
            container_name: Expr::str(WEIGHTS_CONTAINER),
            condition: Expr::str("SUCCESS"),
        }],
        privileged: Some(false),
        ..ContainerDefinition::new(
            SERVER_CONTAINER,
            image_reference(container.image.image_type, &container.image.base_image),
        )
    };

    let agent_container = metrics::agent_container(
        hosting.inference_container,
        SERVER_CONTAINER,
        props.cluster,
        &log_group,
    )?;

    let task_definition = scope.add(
        "Definition",
        TaskDefinition {
            family: Some(Expr::sub(format!(
                "${{AWS::StackName}}-{}",
                definition.model_id
            ))),
            container_definitions: vec![weights_container, server_container, agent_container],
            network_mode: Some(Expr::str("bridge")),
            requires_compatibilities: vec![Expr::str("EC2")],
            task_role_arn: Some(task_role.get_att("Arn")),
            execution_role_arn: Some(execution_role.get_att("Arn")),
            volumes: vec![Volume {
                name: Expr::str(weights_volume),
                host: Some(HostVolumeProperties {
                    source_path: Some(Expr::str(HOST_WEIGHTS_DIR)),
                }),
            }],
            ..TaskDefinition::default()
        },
    )?;

    Ok(Task {
        execution_role,
        task_role,
        log_group,
        definition: task_definition,
    })
}
