//! The deployment gate: once per deployment, the function ECS calls when a blue/green deployment
//! of a hosted model has moved the test listener to the new (green) tasks and before production
//! traffic follows. It runs the registration function's code (one package: the code tells a
//! deployment hook's event from CloudFormation's), attached to the deployment's VPC so it reaches
//! the models' internal load balancers. Its security group is the only source a model stack
//! admits on its test listener ([`crate::ecs_model::stack_io::parameter::GATE_SECURITY_GROUP_ID`]),
//! and it may open connections to the test listeners' ports only: it calls no AWS API and reads
//! no secret.

use crate::cfn::resources::ec2::{EgressRule, SecurityGroup};
use crate::cfn::resources::iam::{Policy, PolicyDocument, Role, Statement};
use crate::cfn::resources::lambda::{Code, Function, LoggingConfig, VpcConfig};
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::{Expr, Output};
use crate::construct::{ConstructError, ResourceHandle, Stack};
use crate::ecs_model::load_balancer::{TEST_PORT_HTTP, TEST_PORT_HTTPS};
use crate::ecs_model::registration::function as registrar;
use crate::ecs_model::stack_io::parameter as name;
use crate::environment::Environment;

/// The gate's timeout: one round of checks (health, model list, one inference) with short
/// timeouts each; while the green tasks are still warming the gate answers `IN_PROGRESS` and ECS
/// calls it again.
pub const TIMEOUT_SECONDS: u32 = 60;
/// The gate's memory in MiB.
pub const MEMORY_MIB: u32 = 128;

/// The gate function's name.
pub fn function_name(deployment_name: &str) -> String {
    format!("{deployment_name}-gate")
}

/// What the gate needs from the rest of the bootstrap stack.
pub(super) struct GateProps<'a> {
    pub environment: &'a Environment,
    pub artifacts: &'a ResourceHandle,
    /// The registration code's object key (the gate runs the same code).
    pub code_key: Expr,
    /// The condition under which the code exists.
    pub has_code: &'a str,
    /// The registration function's log retention.
    pub log_retention_days: u32,
}

/// Adds the gate's security group, log group, role and function, and the outputs model stacks
/// read (`GateFunctionArn`, `GateSecurityGroupId`).
pub(super) fn gate(stack: &mut Stack, props: &GateProps<'_>) -> Result<(), ConstructError> {
    let environment = props.environment;
    let group = stack.root().add_with(
        "GateSecurityGroup",
        SecurityGroup {
            vpc_id: Some(Expr::str(&environment.vpc_id)),
            security_group_egress: [TEST_PORT_HTTP, TEST_PORT_HTTPS]
                .into_iter()
                .map(|port| {
                    EgressRule::tcp_to_cidr(
                        port,
                        "0.0.0.0/0",
                        "The test listeners of model load balancers",
                    )
                })
                .collect(),
            ..SecurityGroup::new(
                "Deployment gate: reaches the test listeners of model load balancers only",
            )
        },
        |r| r.condition(props.has_code),
    )?;
    let logs = stack.root().add_with(
        "GateLogs",
        LogGroup {
            retention_in_days: Some(props.log_retention_days.into()),
            ..LogGroup::default()
        },
        |r| {
            r.condition(props.has_code).checkov_skip(
                "CKV_AWS_158",
                "The gate logs check outcomes, no secrets; CloudWatch Logs encrypts them at rest with its own key",
            )
        },
    )?;
    let role = stack.root().add_with(
        "GateRole",
        Role {
            description: Some(Expr::str(
                "Deployment gate: attaches to the VPC and writes its logs, nothing else",
            )),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
            )],
            policies: vec![Policy {
                policy_name: Expr::str("gate"),
                policy_document: PolicyDocument::new([Statement::allow(
                    [Expr::str("logs:CreateLogStream"), Expr::str("logs:PutLogEvents")],
                    [logs.get_att("Arn")],
                )]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service("lambda.amazonaws.com"))
        },
        |r| r.condition(props.has_code),
    )?;
    let function = stack.root().add_with(
        "Gate",
        Function {
            function_name: Some(Expr::str(function_name(&environment.deployment_name))),
            description: Some(Expr::str(
                "Lets a hosted model's blue/green deployment proceed once the new tasks answer through the test listener",
            )),
            runtime: Expr::str(registrar::RUNTIME),
            handler: Expr::str(registrar::HANDLER),
            architectures: vec![Expr::str(registrar::ARCHITECTURE)],
            code: Code {
                s3_bucket: props.artifacts.ref_(),
                s3_key: props.code_key.clone(),
            },
            role: role.get_att("Arn"),
            timeout: TIMEOUT_SECONDS.into(),
            memory_size: MEMORY_MIB.into(),
            reserved_concurrent_executions: Some(10u32.into()),
            vpc_config: Some(VpcConfig {
                subnet_ids: environment.subnet_ids.iter().map(Expr::str).collect(),
                security_group_ids: vec![group.get_att("GroupId")],
            }),
            logging_config: Some(LoggingConfig {
                log_group: logs.ref_(),
            }),
            environment: None,
        },
        |r| {
            r.condition(props.has_code)
                .checkov_skip(
                    "CKV_AWS_116",
                    "Invoked synchronously by ECS, which rolls the deployment back on a failed invocation; a queue would hold nothing to replay",
                )
                .checkov_skip(
                    "CKV_AWS_272",
                    "The code is uploaded content-addressed by the deployer to a private bucket of this stack",
                )
        },
    )?;
    stack.add_output(
        name::GATE_FUNCTION_ARN,
        Output::new(function.get_att("Arn"))
            .description("The function that gates hosted models' blue/green deployments")
            .condition(props.has_code),
    )?;
    stack.add_output(
        name::GATE_SECURITY_GROUP_ID,
        Output::new(group.get_att("GroupId"))
            .description("The gate's security group, admitted on the models' test listeners")
            .condition(props.has_code),
    )?;
    Ok(())
}
