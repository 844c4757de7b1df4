//! The per-model stack: one CloudFormation stack per model definition.
//!
//! A LISA-hosted model's stack is composed from named parts, each a function a library user can
//! also call on their own scope: [`capacity`] (GPU instances on a capacity provider that sizes
//! them for the tasks, rolled on change, drained before they terminate), [`task`] (roles, logs
//! and the task definition, with [`server_settings`] translating the seed's limits per server
//! and [`metrics`] publishing the server's own signals), [`load_balancer`] (internal ALB, the
//! two target groups and listener rules of blue/green deployments, the test listener, optional
//! alias record), [`deployment`] (what a blue/green deployment needs: roles, rollback alarm,
//! gate), [`service`] (the ECS service), [`scaling`] (service auto scaling) and
//! [`registration`] (the LiteLLM custom resource). A LiteLLM-only model's stack holds only the
//! registration. A model with a schedule adds its
//! [`schedule`] (EventBridge Scheduler schedules invoking the deployment's lifecycle function). Every lifecycle operation (stop, start,
//! autoscaling change) is a new synthesis of the same definition with other [`StackOptions`], and
//! so a stack update in which every logical id stays the same.
//!
//! ```
//! use lisa_constructs::ecs_model::{synthesize, StackOptions};
//! use lisa_constructs::model::ModelDefinition;
//!
//! let definition = ModelDefinition::from_json_str(
//!     r#"{"modelId": "titan", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen"}"#,
//! )?;
//! let stack = synthesize(&definition, &StackOptions::default())?;
//! assert_eq!(stack.name.as_str(), "lisa-titan");
//! assert_eq!(stack.template.resources_of_type("Custom::LiteLLMModel").count(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod capacity;
pub mod deployment;
pub mod guards;
pub mod load_balancer;
pub mod metrics;
pub mod parameters;
pub mod registration;
pub mod scaling;
pub mod schedule;
pub mod scripts;
pub mod server_settings;
pub mod service;
pub mod stack_io;
pub mod task;

use crate::cfn::resources::ecs::{Cluster, ClusterSetting};
use crate::cfn::{Output, Template};
use crate::construct::{ConstructError, IdError, Stack, StackName, SynthError};
use crate::model::{Hosting, ModelDefinition, ValidDefinition, ValidationErrors};
use parameters::Parameters;

/// Whether the model should be serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunState {
    /// Instances per the autoscaling configuration, registered with LiteLLM.
    #[default]
    Running,
    /// No instances (the group at 0/0/0), not registered with LiteLLM.
    Stopped,
}

/// Choices that are not part of the model definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackOptions {
    /// Prefix of the stack name: `<deployment_name>-<modelId>`.
    pub deployment_name: String,
    /// Running or stopped.
    pub run_state: RunState,
    /// Serve the load balancer over HTTPS (adds a `CertificateArn` parameter, and optional
    /// `DomainName` and `HostedZoneId` parameters for a name the certificate covers).
    pub https: bool,
    /// The service's desired count in this deployment only: the count the create or update being
    /// deployed asks for ([`capacity::desired_on_create`], [`capacity::desired_on_update`]),
    /// within `minCapacity`..=`maxCapacity`. `None` leaves the running count alone (service auto
    /// scaling moves it; a start reaches `minCapacity`); a count carried into every later
    /// synthesis would undo scale-out on each update. The capacity provider sizes the group.
    pub desired_capacity: Option<u32>,
}

impl Default for StackOptions {
    fn default() -> Self {
        StackOptions {
            deployment_name: DEFAULT_DEPLOYMENT_NAME.to_owned(),
            run_state: RunState::Running,
            https: false,
            desired_capacity: None,
        }
    }
}

/// The logical id of a hosted model's ECS cluster (a top-level id keeps its plain name).
pub const CLUSTER_ID: &str = "Cluster";

pub use crate::deployment_name::{
    DEFAULT_DEPLOYMENT_NAME, MAX_DEPLOYMENT_NAME_LEN, STACK_NAME_SEPARATOR,
};

impl StackOptions {
    /// Checks the deployment name: a letter, then letters and digits (no `-`: see
    /// [`STACK_NAME_SEPARATOR`]), at most [`MAX_DEPLOYMENT_NAME_LEN`] characters.
    pub fn check(&self) -> Result<(), StackError> {
        let name = &self.deployment_name;
        if crate::deployment_name::is_valid(name) {
            Ok(())
        } else {
            Err(StackError::DeploymentName {
                name: name.clone(),
                max: MAX_DEPLOYMENT_NAME_LEN,
            })
        }
    }
}

/// A synthesized model stack.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelStack {
    /// `<deployment_name>-<modelId>`.
    pub name: StackName,
    /// The template, validated.
    pub template: Template,
}

/// Why a stack could not be synthesized.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The definition breaks the model rules.
    #[error("invalid model definition:\n{0}")]
    Invalid(#[from] ValidationErrors),
    /// The deployment name cannot prefix a stack name.
    #[error(
        "deployment name {name:?} must start with a letter and contain only letters and digits (no '-': it separates the deployment from the model in stack names), at most {max} characters"
    )]
    DeploymentName {
        /// The rejected name.
        name: String,
        /// The longest allowed.
        max: usize,
    },
    /// A stack or logical id could not be formed.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A part could not be added to the stack.
    #[error(transparent)]
    Construct(#[from] ConstructError),
    /// A script template failed to render.
    #[error(transparent)]
    Render(#[from] scripts::RenderError),
    /// The finished stack failed its validation pass.
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// The stack name of a model: `<deployment_name>-<modelId>` (see [`STACK_NAME_SEPARATOR`]).
pub fn stack_name(
    deployment_name: &str,
    definition: &ModelDefinition,
) -> Result<StackName, StackError> {
    Ok(StackName::new(format!(
        "{}{}",
        model_stack_prefix(deployment_name),
        definition.model_id
    ))?)
}

/// What every model stack name of a deployment starts with, and no other deployment's stack
/// name does: `<deployment_name>-`.
pub fn model_stack_prefix(deployment_name: &str) -> String {
    format!("{deployment_name}{STACK_NAME_SEPARATOR}")
}

/// The deployment and the model id a model stack's name stands for, or `None` for a name no
/// model stack has (the bootstrap stack's, say).
pub fn model_of_stack(stack_name: &str) -> Option<(&str, &str)> {
    let (deployment, model) = stack_name.split_once(STACK_NAME_SEPARATOR)?;
    let is_model = crate::model::ModelId::parse(model).is_ok();
    (!deployment.is_empty() && is_model).then_some((deployment, model))
}

/// Synthesizes the model's stack. The definition is validated first; the same definition and
/// options always give the same template, byte for byte.
pub fn synthesize(
    definition: &ModelDefinition,
    options: &StackOptions,
) -> Result<ModelStack, StackError> {
    definition.validate()?;
    build(definition, options)
}

/// Synthesizes the stack of a definition that was validated already (when it was read, say), so
/// it is not validated again.
pub fn synthesize_valid(
    definition: &ValidDefinition,
    options: &StackOptions,
) -> Result<ModelStack, StackError> {
    build(definition, options)
}

fn build(definition: &ModelDefinition, options: &StackOptions) -> Result<ModelStack, StackError> {
    options.check()?;
    let name = stack_name(&options.deployment_name, definition)?;
    let mut stack = Stack::new(name.clone());
    stack.add_validation("guards", guards::check);
    match &definition.hosting {
        Some(hosting) => hosted_model(&mut stack, definition, hosting, options)?,
        None => litellm_only_model(&mut stack, definition, options)?,
    }
    if let Some(model_schedule) = &definition.schedule {
        let target = schedule::LifecycleTarget::parameters(&mut stack)?;
        schedule::schedules(&mut stack, &definition.model_id, model_schedule, &target)?;
    }
    let template = stack.into_template()?;
    Ok(ModelStack { name, template })
}

fn litellm_only_model(
    stack: &mut Stack,
    definition: &ModelDefinition,
    options: &StackOptions,
) -> Result<(), StackError> {
    stack.set_description(format!(
        "LISA model {} (LiteLLM-only: {})",
        definition.model_id, definition.model_name
    ));
    let params = Parameters::litellm(stack)?;
    let registration = registration::registration(
        &mut stack.root(),
        &registration::RegistrationProps {
            definition,
            litellm: &params.litellm,
            api_base: None,
            enabled: options.run_state == RunState::Running,
            after: None,
            readiness: None,
        },
    )?;
    registration::outputs(stack, &registration)?;
    Ok(())
}

fn hosted_model(
    stack: &mut Stack,
    definition: &ModelDefinition,
    hosting: &Hosting,
    options: &StackOptions,
) -> Result<(), StackError> {
    let instance = definition.instance().ok_or_else(|| {
        // validate() guarantees a catalog entry; keep the error a value all the same.
        let mut errors = ValidationErrors::default();
        errors.0.push(crate::model::ValidationError {
            path: "instanceType".into(),
            message: format!("unsupported instance type {:?}", hosting.instance_type),
        });
        StackError::Invalid(errors)
    })?;
    stack.set_description(format!(
        "LISA model {} ({} on {})",
        definition.model_id, hosting.inference_container, hosting.instance_type
    ));
    let params = Parameters::hosted(stack, instance, options.https)?;

    let cluster = stack.add(
        CLUSTER_ID,
        Cluster {
            cluster_settings: vec![ClusterSetting::container_insights_enabled()],
            ..Cluster::default()
        },
    )?;

    let lb = load_balancer::load_balancer(
        &mut stack.scope("LoadBalancer"),
        &load_balancer::LoadBalancerProps {
            network: &params.network,
            health_check: &hosting.load_balancer_config.health_check_config,
            certificate_arn: params.certificate_arn.clone(),
            domain: params.domain.as_ref(),
            gate: &params.gate,
        },
    )?;

    let health_check_grace_seconds = hosting.container_config.health_check_config.start_period()
        + service::MODEL_LOAD_GRACE_SECONDS;
    let config = &hosting.auto_scaling_config;
    let sizes = capacity::GroupSizes::for_run_state(config, options.run_state);
    let capacity = capacity::capacity(
        &mut stack.scope("Capacity"),
        &capacity::CapacityProps {
            instance,
            cluster: &cluster,
            network: &params.network,
            image_id: params.image_id.clone(),
            sizes,
            cooldown: config.cooldown,
            default_instance_warmup: config.default_instance_warmup,
            volume_size_gib: config.block_device_volume_size(),
            load_balancer_security_group: lb.security_group.get_att("GroupId"),
            time_to_serve_seconds: service::TIME_TO_SERVE_SECONDS,
        },
    )?;
    load_balancer::allow_traffic_to(
        &mut stack.scope("LoadBalancer"),
        &lb,
        capacity.security_group.get_att("GroupId"),
    )?;

    let task = task::task(
        &mut stack.scope("Task"),
        &task::TaskProps {
            definition,
            hosting,
            instance,
            models_bucket: params.models_bucket.clone(),
            cluster: &cluster,
        },
    )?;

    let deployment = deployment::deployment(
        &mut stack.scope("Deployment"),
        &deployment::DeploymentProps {
            gate: &params.gate,
            gate_details: deployment::GateDetails {
                test_endpoint: lb.test_endpoint(options.https),
                health_path: hosting
                    .load_balancer_config
                    .health_check_config
                    .path
                    .clone(),
                served_model_name: definition.model_name.clone(),
                model_type: definition.model_type.as_str().to_owned(),
                inference_container: hosting.inference_container.as_str().to_owned(),
            },
            load_balancer_full_name: lb.load_balancer.get_att("LoadBalancerFullName"),
        },
    )?;

    let (min_tasks, max_tasks) = scaling::service_bounds(config, options.run_state);
    let service = service::service(
        &mut stack.root(),
        &service::ServiceProps {
            cluster: cluster.ref_(),
            task_definition: task.definition.ref_(),
            container_name: task::SERVER_CONTAINER.to_owned(),
            load_balancer: &lb,
            capacity_provider: capacity.capacity_provider.ref_(),
            deployment: &deployment,
            health_check_grace_seconds,
            desired_count: match options.run_state {
                RunState::Stopped => Some(0),
                RunState::Running => options
                    .desired_capacity
                    .map(|count| count.clamp(min_tasks, max_tasks)),
            },
            after: vec![
                capacity.group.logical_id().as_str().to_owned(),
                capacity.cluster_providers.logical_id().as_str().to_owned(),
            ],
        },
    )?;

    let scaling = scaling::service_scaling(
        &mut stack.scope("Scaling"),
        &scaling::ScalingProps {
            cluster: cluster.ref_(),
            service_name: service.get_att("Name"),
            run_state: options.run_state,
            config,
            container: hosting.inference_container,
            load_balancer_full_name: lb.load_balancer.get_att("LoadBalancerFullName"),
            target_group_full_names: lb
                .target_groups()
                .map(|group| group.get_att("TargetGroupFullName")),
        },
    )?;

    let registration = registration::registration(
        &mut stack.root(),
        &registration::RegistrationProps {
            definition,
            litellm: &params.litellm,
            api_base: Some(lb.api_base(options.https)),
            enabled: options.run_state == RunState::Running,
            // After the scalable target: registering it is what brings a started service to
            // minCapacity, and the registration waits for a healthy target.
            after: Some(scaling.target.logical_id().as_str().to_owned()),
            readiness: Some(registration::Readiness {
                target_group_arn: lb.target_group.ref_(),
                alternate_target_group_arn: lb.alternate_target_group.ref_(),
                // The service's grace period is the time a task may take to load the model;
                // the registration waits for a healthy target no longer than that.
                load_budget_seconds: health_check_grace_seconds,
            }),
        },
    )?;

    stack.add_output(
        stack_io::output::MODEL_ENDPOINT_URL,
        Output::new(lb.api_base(options.https))
            .description("The model's OpenAI-compatible base URL inside the VPC"),
    )?;
    stack.add_output(
        stack_io::output::AUTO_SCALING_GROUP_NAME,
        Output::new(capacity.group.ref_())
            .description("The Auto Scaling group of the model's instances"),
    )?;
    registration::outputs(stack, &registration)?;
    Ok(())
}
