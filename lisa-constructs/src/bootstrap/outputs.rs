//! Reading the bootstrap stack's outputs back: the environment and what model commands need.

use crate::ecs_model::stack_io::parameter as name;
use crate::environment::{Environment, Ingress};

/// Output names of the bootstrap stack that are not also model-stack parameter names (those
/// are shared: the environment's outputs are named after the parameters they feed).
pub mod output {
    /// The registry table.
    pub const REGISTRY_TABLE_NAME: &str = "RegistryTableName";
    /// The artifacts bucket.
    pub const ARTIFACTS_BUCKET_NAME: &str = "ArtifactsBucketName";
    /// The deployment name.
    pub const DEPLOYMENT_NAME: &str = "DeploymentName";
    /// The role CloudFormation acts with on every model stack (passed as `RoleARN`).
    pub const MODEL_STACK_ROLE_ARN: &str = "ModelStackRoleArn";
}

/// A required output is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputsError {
    /// The output is absent.
    #[error("the bootstrap stack has no output {name}: was it deployed by this version?")]
    Missing {
        /// The output.
        name: &'static str,
    },
}

/// What a deployed bootstrap stack tells model commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapOutputs {
    /// The environment (without the registration function's own network settings).
    pub environment: Environment,
    /// The registry table.
    pub registry_table_name: String,
    /// The artifacts bucket.
    pub artifacts_bucket_name: String,
    /// The registration function, once its code was uploaded.
    pub registration_function_arn: Option<String>,
    /// The lifecycle function, once its code was uploaded.
    pub lifecycle_function_arn: Option<String>,
    /// The role model schedules invoke the lifecycle function with.
    pub scheduler_role_arn: Option<String>,
    /// The deployment gate of hosted models' blue/green deployments, once the registration code
    /// was uploaded (it runs that code).
    pub gate_function_arn: Option<String>,
    /// The gate's security group, admitted on the models' test listeners.
    pub gate_security_group_id: Option<String>,
    /// The role CloudFormation acts with on model stacks: every change set and delete of a model
    /// stack passes it as `RoleARN`. `None` for a bootstrap stack deployed before it existed.
    pub model_stack_role_arn: Option<String>,
}

impl BootstrapOutputs {
    /// Reads `(name, value)` pairs.
    pub fn from_outputs<'a>(
        outputs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<BootstrapOutputs, OutputsError> {
        let outputs: Vec<(&str, &str)> = outputs.into_iter().collect();
        let get = |wanted: &str| {
            outputs
                .iter()
                .find(|(n, _)| *n == wanted)
                .map(|(_, v)| (*v).to_owned())
        };
        let required =
            |wanted: &'static str| get(wanted).ok_or(OutputsError::Missing { name: wanted });
        Ok(BootstrapOutputs {
            environment: Environment {
                deployment_name: required(output::DEPLOYMENT_NAME)?,
                vpc_id: required(name::VPC_ID)?,
                subnet_ids: required(name::SUBNET_IDS)?
                    .split(',')
                    .map(str::to_owned)
                    .collect(),
                models_bucket_name: required(name::MODELS_BUCKET_NAME)?,
                ingress: Ingress {
                    cidr: get(name::LOAD_BALANCER_INGRESS_CIDR),
                    security_group_id: get(name::LOAD_BALANCER_INGRESS_SECURITY_GROUP_ID),
                },
                litellm_endpoint: required(name::LITELLM_ENDPOINT)?,
                litellm_master_key_secret_arn: required(name::LITELLM_MASTER_KEY_SECRET_ARN)?,
                certificate_arn: get(name::CERTIFICATE_ARN),
                registration_subnet_ids: None,
                registration_security_group_ids: None,
            },
            registry_table_name: required(output::REGISTRY_TABLE_NAME)?,
            artifacts_bucket_name: required(output::ARTIFACTS_BUCKET_NAME)?,
            registration_function_arn: get(name::REGISTRATION_FUNCTION_ARN),
            lifecycle_function_arn: get(name::LIFECYCLE_FUNCTION_ARN),
            scheduler_role_arn: get(name::SCHEDULER_ROLE_ARN),
            gate_function_arn: get(name::GATE_FUNCTION_ARN),
            gate_security_group_id: get(name::GATE_SECURITY_GROUP_ID),
            model_stack_role_arn: get(output::MODEL_STACK_ROLE_ARN),
        })
    }
}
