//! The model stack's inputs and outputs as one contract: the parameter and output names exist
//! here once, [`parameter_values`] turns an environment into the values of every parameter a
//! template declares, and [`ModelStackOutputs`] reads a deployed stack's outputs back.

use crate::cfn::Template;
use crate::environment::Environment;

/// Parameter names of a model stack.
pub mod parameter {
    /// The VPC (hosted models).
    pub const VPC_ID: &str = "VpcId";
    /// The private subnets (hosted models).
    pub const SUBNET_IDS: &str = "SubnetIds";
    /// The address range allowed to call the load balancer (hosted models).
    pub const LOAD_BALANCER_INGRESS_CIDR: &str = "LoadBalancerIngressCidr";
    /// The security group allowed to call the load balancer (hosted models).
    pub const LOAD_BALANCER_INGRESS_SECURITY_GROUP_ID: &str = "LoadBalancerIngressSecurityGroupId";
    /// The models bucket (hosted models).
    pub const MODELS_BUCKET_NAME: &str = "ModelsBucketName";
    /// The instances' AMI, an SSM parameter with a default (hosted models).
    pub const IMAGE_ID: &str = "ImageId";
    /// The listener certificate (hosted models served over HTTPS).
    pub const CERTIFICATE_ARN: &str = "CertificateArn";
    /// The name an HTTPS load balancer is served under, with a default (hosted models over HTTPS).
    pub const DOMAIN_NAME: &str = "DomainName";
    /// The Route 53 zone holding that name, with a default (hosted models over HTTPS).
    pub const HOSTED_ZONE_ID: &str = "HostedZoneId";
    /// The registration function (every model).
    pub const REGISTRATION_FUNCTION_ARN: &str = "RegistrationFunctionArn";
    /// The LiteLLM proxy's base URL (every model).
    pub const LITELLM_ENDPOINT: &str = "LiteLlmEndpoint";
    /// The secret holding LiteLLM's master key (every model).
    pub const LITELLM_MASTER_KEY_SECRET_ARN: &str = "LiteLlmMasterKeySecretArn";
    /// The lifecycle function the schedules invoke (models with a schedule).
    pub const LIFECYCLE_FUNCTION_ARN: &str = "LifecycleFunctionArn";
    /// The role EventBridge Scheduler assumes to invoke it (models with a schedule).
    pub const SCHEDULER_ROLE_ARN: &str = "SchedulerRoleArn";
    /// The function that gates a blue/green deployment's green tasks (hosted models; empty for
    /// no gate, the default).
    pub const GATE_FUNCTION_ARN: &str = "GateFunctionArn";
    /// The gate function's security group, the only source allowed to the test listener
    /// (hosted models; empty for none, the default).
    pub const GATE_SECURITY_GROUP_ID: &str = "GateSecurityGroupId";
}

/// The deployment's functions a model stack invokes, as its bootstrap stack reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Functions {
    /// The registration function (every model).
    pub registration_function_arn: String,
    /// The lifecycle function (models with a schedule), once its code was uploaded.
    pub lifecycle_function_arn: Option<String>,
    /// The role the schedules invoke it with.
    pub scheduler_role_arn: Option<String>,
    /// The gate of blue/green deployments (hosted models), once its code was uploaded.
    pub gate_function_arn: Option<String>,
    /// The gate's security group.
    pub gate_security_group_id: Option<String>,
}

/// Output names of a model stack.
pub mod output {
    /// The hosted model's OpenAI-compatible base URL.
    pub const MODEL_ENDPOINT_URL: &str = "ModelEndpointUrl";
    /// The hosted model's Auto Scaling group.
    pub const AUTO_SCALING_GROUP_NAME: &str = "AutoScalingGroupName";
    /// LiteLLM's id of the registration.
    pub const LITELLM_MODEL_ID: &str = "LiteLlmModelId";
}

/// Why a template's parameters cannot all be given values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackIoError {
    /// The template declares a parameter this contract does not know and gives it no default.
    #[error("parameter {name} has no value in the environment and no default")]
    NoValue {
        /// The parameter.
        name: String,
    },
}

/// The environment's value of one parameter, if it has one.
fn environment_value(
    name: &str,
    environment: &Environment,
    functions: &Functions,
) -> Option<String> {
    match name {
        parameter::VPC_ID => Some(environment.vpc_id.clone()),
        parameter::SUBNET_IDS => Some(environment.subnet_ids.join(",")),
        parameter::LOAD_BALANCER_INGRESS_CIDR => environment.ingress.cidr.clone(),
        parameter::LOAD_BALANCER_INGRESS_SECURITY_GROUP_ID => {
            environment.ingress.security_group_id.clone()
        }
        parameter::MODELS_BUCKET_NAME => Some(environment.models_bucket_name.clone()),
        parameter::CERTIFICATE_ARN => environment.certificate_arn.clone(),
        parameter::REGISTRATION_FUNCTION_ARN => Some(functions.registration_function_arn.clone()),
        parameter::LIFECYCLE_FUNCTION_ARN => functions.lifecycle_function_arn.clone(),
        parameter::SCHEDULER_ROLE_ARN => functions.scheduler_role_arn.clone(),
        parameter::GATE_FUNCTION_ARN => functions.gate_function_arn.clone(),
        parameter::GATE_SECURITY_GROUP_ID => functions.gate_security_group_id.clone(),
        parameter::LITELLM_ENDPOINT => Some(environment.litellm_endpoint.clone()),
        parameter::LITELLM_MASTER_KEY_SECRET_ARN => {
            Some(environment.litellm_master_key_secret_arn.clone())
        }
        _ => None,
    }
}

/// A value for every parameter `template` declares, in template order: the environment's value
/// where it has one, the parameter's default otherwise. Every value is explicit, so an update
/// never depends on what a previous deploy passed.
pub fn parameter_values(
    template: &Template,
    environment: &Environment,
    functions: &Functions,
) -> Result<Vec<(String, String)>, StackIoError> {
    template
        .parameters
        .iter()
        .map(|(name, declared)| {
            environment_value(name, environment, functions)
                .or_else(|| declared.default.clone())
                .map(|value| (name.clone(), value))
                .ok_or_else(|| StackIoError::NoValue { name: name.clone() })
        })
        .collect()
}

/// What a deployed model stack reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelStackOutputs {
    /// The hosted model's base URL.
    pub model_endpoint_url: Option<String>,
    /// The hosted model's Auto Scaling group.
    pub auto_scaling_group_name: Option<String>,
    /// LiteLLM's id of the registration.
    pub litellm_model_id: Option<String>,
}

impl ModelStackOutputs {
    /// Reads `(name, value)` pairs; names this contract does not know are ignored.
    pub fn from_outputs<'a>(outputs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut read = ModelStackOutputs::default();
        for (name, value) in outputs {
            let slot = match name {
                output::MODEL_ENDPOINT_URL => &mut read.model_endpoint_url,
                output::AUTO_SCALING_GROUP_NAME => &mut read.auto_scaling_group_name,
                output::LITELLM_MODEL_ID => &mut read.litellm_model_id,
                _ => continue,
            };
            *slot = Some(value.to_owned());
        }
        read
    }
}
