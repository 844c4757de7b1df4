//! The bootstrap stack, `<deploymentName>-bootstrap`: once per environment, the model registry
//! (a DynamoDB table), the LiteLLM registration function with its role, the [`lifecycle`]
//! function that carries out model schedules, the role CloudFormation acts with on model stacks
//! ([`stack_role`]), the [`gate`] of hosted models' blue/green deployments, the bucket their
//! code and large templates are uploaded to, and outputs that
//! record the environment, so model commands need nothing but the deployment name.
//!
//! The template is a function of the [`Environment`]: its values are written into the outputs.
//! The one parameter is the registration code's object key, content-addressed, so the same zip
//! gives the same template and parameters (a second bootstrap changes nothing) and a new zip
//! updates the function. The function exists only once a key is given: the first deploy
//! creates the bucket, the code is uploaded, and an update with the key adds the function.

pub mod gate;
pub mod lifecycle;
mod outputs;
pub mod stack_role;

pub use outputs::{BootstrapOutputs, OutputsError, output};

use crate::cfn::resources::dynamodb::Table;
use crate::cfn::resources::ec2::{EgressRule, SecurityGroup};
use crate::cfn::resources::iam::{Effect, Policy, PolicyDocument, Role, Statement};
use crate::cfn::resources::lambda::{
    Code, Function, FunctionEnvironment, LoggingConfig, VpcConfig,
};
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::resources::s3::{Bucket, BucketPolicy};
use crate::cfn::{Condition, DeletionPolicy, Expr, Output, Parameter, ParameterType, Template};
use crate::construct::{ConstructError, IdError, Stack, StackName, SynthError};
use crate::ecs_model::registration::function;
use crate::ecs_model::stack_io::parameter as name;
use crate::environment::Environment;

/// The registry table's key attribute.
pub const REGISTRY_KEY: &str = "model_id";
/// The parameter holding the registration code's object key in the artifacts bucket.
pub const CODE_KEY_PARAMETER: &str = "RegistrarCodeKey";
/// Object key prefix of the registration code: `registrar/<sha256>.zip`.
pub const CODE_KEY_PREFIX: &str = "registrar/";
/// Object key prefix of templates too large to send inline.
pub const TEMPLATE_KEY_PREFIX: &str = "templates/";
/// How long the function's logs are kept.
pub const LOG_RETENTION_DAYS: u32 = 90;

/// The bootstrap stack's name for a deployment.
pub fn stack_name(deployment_name: &str) -> Result<StackName, IdError> {
    StackName::new(format!("{deployment_name}-bootstrap"))
}

/// The registration function's name (fixed, so its role can name it without a cycle).
pub fn function_name(deployment_name: &str) -> String {
    format!("{deployment_name}-registrar")
}

/// The object key of registration code whose SHA-256 is `sha256_hex`.
pub fn code_key(sha256_hex: &str) -> String {
    format!("{CODE_KEY_PREFIX}{sha256_hex}.zip")
}

/// Why the bootstrap stack could not be synthesized.
#[derive(Debug, thiserror::Error)]
pub enum BootstrapError {
    /// The stack name cannot be formed.
    #[error(transparent)]
    Id(#[from] IdError),
    /// A part could not be added.
    #[error(transparent)]
    Construct(#[from] ConstructError),
    /// The finished stack failed its validation pass.
    #[error(transparent)]
    Synth(#[from] SynthError),
}

/// A synthesized bootstrap stack.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapStack {
    /// `<deploymentName>-bootstrap`.
    pub name: StackName,
    /// The template.
    pub template: Template,
}

/// Synthesizes the bootstrap stack of an environment. Same environment, same bytes.
pub fn synthesize(environment: &Environment) -> Result<BootstrapStack, BootstrapError> {
    let stack_name = stack_name(&environment.deployment_name)?;
    let mut stack = Stack::new(stack_name.clone());
    stack.set_description(format!(
        "LISA deployment {}: model registry, LiteLLM registration function and lifecycle function",
        environment.deployment_name
    ));
    let code_key = stack.add_parameter(
        CODE_KEY_PARAMETER,
        Parameter::new(ParameterType::String)
            .description("Object key of the registration function's code in the artifacts bucket; empty before the first upload")
            .default_value(""),
    )?;
    let has_code = stack.add_condition(
        "HasRegistrarCode",
        Condition::not(Condition::equals(code_key.ref_(), Expr::str(""))),
    )?;

    let registry = stack.root().add_with(
        "Registry",
        Table::on_demand_with_string_key(REGISTRY_KEY),
        |r| {
            r.deletion_policy(DeletionPolicy::Retain)
                .update_replace_policy(DeletionPolicy::Retain)
                .checkov_skip(
                    "CKV_AWS_119",
                    "Encrypted with the AWS managed KMS key; the records hold model definitions, no secrets",
                )
        },
    )?;

    let artifacts = stack.root().add_with("Artifacts", Bucket::private(), |r| {
        r.deletion_policy(DeletionPolicy::Retain)
            .update_replace_policy(DeletionPolicy::Retain)
            .checkov_skip(
                "CKV_AWS_18",
                "Holds only the registration code and templates the deployer writes; CloudTrail records access",
            )
    })?;
    stack.add(
        "ArtifactsPolicy",
        BucketPolicy {
            bucket: artifacts.ref_(),
            policy_document: PolicyDocument::new([Statement {
                sid: Some("DenyInsecureTransport".to_owned()),
                effect: Effect::Deny,
                principal: Some(Expr::str("*")),
                action: vec![Expr::str("s3:*")],
                resource: vec![
                    artifacts.get_att("Arn"),
                    Expr::sub(format!("${{{}.Arn}}/*", artifacts.logical_id().as_str())),
                ],
                condition: Some(Expr::map([(
                    "Bool",
                    Expr::map([("aws:SecureTransport", Expr::str("false"))]),
                )])),
            }]),
        },
    )?;

    let function_name = function_name(&environment.deployment_name);
    let function_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"
    ));
    let log_group = stack.root().add_with(
        "RegistrarLogs",
        LogGroup {
            retention_in_days: Some(LOG_RETENTION_DAYS.into()),
            ..LogGroup::default()
        },
        |r| {
            r.condition(has_code.name())
                .checkov_skip(
                    "CKV_AWS_158",
                    "The function logs no secrets; CloudWatch Logs encrypts them at rest with its own key",
                )
        },
    )?;
    let role = stack.root().add_with(
        "RegistrarRole",
        Role {
            description: Some(Expr::str(
                "LiteLLM registration function: reads the master-key secret, writes its logs",
            )),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            )],
            policies: vec![Policy {
                policy_name: Expr::str("registrar"),
                policy_document: PolicyDocument::new([
                    Statement::allow(
                        function::SECRET_ACTIONS.map(Expr::str),
                        [Expr::str(&environment.litellm_master_key_secret_arn)],
                    ),
                    // DescribeTargetHealth has no resource-level permissions.
                    Statement::allow(function::TARGET_HEALTH_ACTIONS.map(Expr::str), [Expr::str("*")]),
                    Statement::allow(
                        function::SELF_INVOKE_ACTIONS.map(Expr::str),
                        [function_arn.clone()],
                    ),
                    // A request is checked against the model stack it names: the resource in
                    // progress there, the stack's load balancer and DomainName.
                    Statement::allow(
                        [
                            "cloudformation:DescribeStackResources",
                            "cloudformation:DescribeStacks",
                        ],
                        [Expr::sub(format!(
                            "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{}*/*",
                            crate::ecs_model::model_stack_prefix(&environment.deployment_name)
                        ))],
                    ),
                    // DescribeLoadBalancers has no resource-level permissions.
                    Statement::allow(
                        ["elasticloadbalancing:DescribeLoadBalancers"],
                        [Expr::str("*")],
                    ),
                    Statement::allow(
                        [Expr::str("logs:CreateLogStream"), Expr::str("logs:PutLogEvents")],
                        [log_group.get_att("Arn")],
                    ),
                ]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service("lambda.amazonaws.com"))
        },
        |r| r.condition(has_code.name()),
    )?;

    let security_groups = match &environment.registration_security_group_ids {
        Some(groups) => groups.iter().map(Expr::str).collect(),
        None => {
            let group = stack.root().add_with(
                "RegistrarSecurityGroup",
                SecurityGroup {
                    vpc_id: Some(Expr::str(&environment.vpc_id)),
                    security_group_egress: registrar_egress(&environment.litellm_endpoint),
                    ..SecurityGroup::new(
                        "LiteLLM registration function: reaches LiteLLM and the AWS APIs only",
                    )
                },
                |r| r.condition(has_code.name()),
            )?;
            vec![group.get_att("GroupId")]
        }
    };

    let function = stack.root().add_with(
        "Registrar",
        Function {
            function_name: Some(Expr::str(&function_name)),
            description: Some(Expr::str("Registers LISA models with the LiteLLM proxy (CloudFormation custom resource)")),
            runtime: Expr::str(function::RUNTIME),
            handler: Expr::str(function::HANDLER),
            architectures: vec![Expr::str(function::ARCHITECTURE)],
            code: Code {
                s3_bucket: artifacts.ref_(),
                s3_key: code_key.ref_(),
            },
            role: role.get_att("Arn"),
            timeout: function::TIMEOUT_SECONDS.into(),
            memory_size: function::MEMORY_MIB.into(),
            reserved_concurrent_executions: Some(10u32.into()),
            vpc_config: Some(VpcConfig {
                subnet_ids: environment.registration_subnets().iter().map(Expr::str).collect(),
                security_group_ids: security_groups,
            }),
            logging_config: Some(LoggingConfig {
                log_group: log_group.ref_(),
            }),
            environment: Some(pinned_environment(environment)),
        },
        |r| {
            r.condition(has_code.name())
                .checkov_skip(
                    "CKV_AWS_116",
                    "Invoked by CloudFormation, which records a failed invocation as a stack event; a queue would hold nothing to replay",
                )
                .checkov_skip(
                    "CKV_AWS_272",
                    "The code is uploaded content-addressed by the deployer to a private bucket of this stack",
                )
                .checkov_skip(
                    "CKV_AWS_173",
                    "The variables hold a deployment name, an endpoint URL and a secret's ARN, no secret; Lambda encrypts them at rest with its own key",
                )
        },
    )?;

    gate::gate(
        &mut stack,
        &gate::GateProps {
            environment,
            artifacts: &artifacts,
            code_key: code_key.ref_(),
            has_code: has_code.name(),
            log_retention_days: LOG_RETENTION_DAYS,
        },
    )?;
    let scheduler_role = lifecycle::scheduler_role(&mut stack, &environment.deployment_name)?;
    let model_stack_role = stack_role::model_stack_role(
        &mut stack,
        &stack_role::StackRoleProps {
            environment,
            bootstrap_stack: stack_name.as_str(),
            registrar_function_arn: &function_arn,
            scheduler_role: &scheduler_role,
        },
    )?;
    lifecycle::lifecycle(
        &mut stack,
        &lifecycle::LifecycleProps {
            environment,
            registry: &registry,
            artifacts: &artifacts,
            model_stack_role: &model_stack_role,
            scheduler_role: &scheduler_role,
            bootstrap_stack: stack_name.as_str(),
        },
    )?;
    stack.add_output(
        output::REGISTRY_TABLE_NAME,
        Output::new(registry.ref_()).description("The model registry"),
    )?;
    stack.add_output(
        output::ARTIFACTS_BUCKET_NAME,
        Output::new(artifacts.ref_())
            .description("Where registration code and large templates are uploaded"),
    )?;
    stack.add_output(
        output::MODEL_STACK_ROLE_ARN,
        Output::new(model_stack_role.get_att("Arn"))
            .description("The role CloudFormation acts with on model stacks: pass it as RoleARN"),
    )?;
    stack.add_output(
        name::REGISTRATION_FUNCTION_ARN,
        Output::new(function.get_att("Arn"))
            .description("The custom resources' ServiceToken")
            .condition(has_code.name()),
    )?;
    environment_outputs(&mut stack, environment)?;
    let template = stack.into_template()?;
    Ok(BootstrapStack {
        name: stack_name,
        template,
    })
}

/// What the registration function trusts, set here rather than taken from its requests: whoever
/// may create a stack with its ServiceToken (or invoke it) chooses the request, and the function
/// sends the master key only to this endpoint, reads it only from this secret, and serves only
/// this deployment's stacks.
fn pinned_environment(environment: &Environment) -> FunctionEnvironment {
    FunctionEnvironment {
        variables: [
            (function::ENV_DEPLOYMENT_NAME, &environment.deployment_name),
            (
                function::ENV_LITELLM_ENDPOINT,
                &environment.litellm_endpoint,
            ),
            (
                function::ENV_MASTER_KEY_SECRET_ARN,
                &environment.litellm_master_key_secret_arn,
            ),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), Expr::str(value)))
        .collect(),
    }
}

/// The environment, recorded for model commands.
fn environment_outputs(stack: &mut Stack, environment: &Environment) -> Result<(), ConstructError> {
    let values = [
        (
            output::DEPLOYMENT_NAME,
            Some(environment.deployment_name.clone()),
        ),
        (name::VPC_ID, Some(environment.vpc_id.clone())),
        (name::SUBNET_IDS, Some(environment.subnet_ids.join(","))),
        (
            name::MODELS_BUCKET_NAME,
            Some(environment.models_bucket_name.clone()),
        ),
        (
            name::LOAD_BALANCER_INGRESS_CIDR,
            environment.ingress.cidr.clone(),
        ),
        (
            name::LOAD_BALANCER_INGRESS_SECURITY_GROUP_ID,
            environment.ingress.security_group_id.clone(),
        ),
        (
            name::LITELLM_ENDPOINT,
            Some(environment.litellm_endpoint.clone()),
        ),
        (
            name::LITELLM_MASTER_KEY_SECRET_ARN,
            Some(environment.litellm_master_key_secret_arn.clone()),
        ),
        (name::CERTIFICATE_ARN, environment.certificate_arn.clone()),
    ];
    for (output_name, value) in values {
        if let Some(value) = value {
            stack.add_output(output_name, Output::new(Expr::str(value)))?;
        }
    }
    Ok(())
}

/// HTTPS to the AWS APIs, and the LiteLLM proxy's port when it is another.
fn registrar_egress(litellm_endpoint: &str) -> Vec<EgressRule> {
    let mut rules = vec![EgressRule::tcp_to_cidr(
        443u16,
        "0.0.0.0/0",
        "HTTPS to the AWS APIs and the LiteLLM proxy",
    )];
    let port = litellm_port(litellm_endpoint);
    if port != 443 {
        rules.push(EgressRule::tcp_to_cidr(
            port,
            "0.0.0.0/0",
            "The LiteLLM proxy's admin API",
        ));
    }
    rules
}

/// The port of an `http://` or `https://` URL.
fn litellm_port(url: &str) -> u16 {
    let (rest, default) = match url.strip_prefix("https://") {
        Some(rest) => (rest, 443),
        None => (url.strip_prefix("http://").unwrap_or(url), 80),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once(':')
        .filter(|(host, _)| !host.ends_with(']') || authority.starts_with('['))
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_litellm_port_comes_from_the_url() {
        assert_eq!(litellm_port("https://litellm.example.com"), 443);
        assert_eq!(litellm_port("http://litellm.example.com/x"), 80);
        assert_eq!(litellm_port("http://10.0.0.5:4000"), 4000);
        assert_eq!(litellm_port("https://h:8443/admin"), 8443);
    }
}
