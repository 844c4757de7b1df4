//! The lifecycle function and the scheduler's role: what carries out model schedules. Once per
//! deployment, like the registration function: the function (`<deploymentName>-lifecycle`, code
//! uploaded content-addressed under [`CODE_KEY_PREFIX`]) runs the library's own stop or start of
//! the model a schedule names, and the role is the one EventBridge Scheduler assumes to invoke
//! it, allowed to invoke nothing else.
//!
//! The function's role reaches this deployment's stacks (`<deploymentName>-*`), its registry
//! table and its artifacts bucket's templates, and what a stop or start changes in a model stack:
//! the Auto Scaling group and its scaling policy (groups named after the stacks) and the
//! registration custom resource (invoking the registration function). Preflight checks are not
//! run by the function, so it needs no quota or Availability Zone reads.

use crate::cfn::resources::iam::{Policy, PolicyDocument, Role, Statement};
use crate::cfn::resources::lambda::{Code, Function, FunctionEnvironment, LoggingConfig};
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::{Condition, Expr, Output, Parameter, ParameterType};
use crate::construct::{ConstructError, ResourceHandle, Stack};
use crate::ecs_model::registration::function as registrar;
use crate::ecs_model::stack_io::parameter as name;
use crate::environment::Environment;

/// The parameter holding the lifecycle code's object key in the artifacts bucket.
pub const CODE_KEY_PARAMETER: &str = "LifecycleCodeKey";
/// Object key prefix of the lifecycle code: `lifecycle/<sha256>.zip`.
pub const CODE_KEY_PREFIX: &str = "lifecycle/";
/// The package's file name, as `scripts/package-functions OUT_DIR` writes it.
pub const PACKAGE_FILE: &str = "lisa-lifecycle.zip";
/// The function's timeout: Lambda's longest, so a transition can wait out a busy model.
pub const TIMEOUT_SECONDS: u32 = 900;
/// The function's memory in MiB.
pub const MEMORY_MIB: u32 = 256;
/// How many transitions run at once; more wait in Lambda's asynchronous queue.
pub const RESERVED_CONCURRENCY: u32 = 10;
/// Environment variable: the longest a transition waits for a busy model before recording a
/// skip, in seconds.
pub const ENV_RETRY_SECONDS: &str = "LISA_SCHEDULE_RETRY_SECONDS";
/// The default of [`ENV_RETRY_SECONDS`]: well inside the timeout.
pub const DEFAULT_RETRY_SECONDS: u32 = 600;

/// The lifecycle function's name (fixed, so the scheduler's role can name it without a cycle).
pub fn function_name(deployment_name: &str) -> String {
    format!("{deployment_name}-lifecycle")
}

/// The object key of lifecycle code whose SHA-256 is `sha256_hex`.
pub fn code_key(sha256_hex: &str) -> String {
    format!("{CODE_KEY_PREFIX}{sha256_hex}.zip")
}

/// What the lifecycle resources need from the rest of the bootstrap stack.
pub(super) struct LifecycleProps<'a> {
    pub environment: &'a Environment,
    pub registry: &'a ResourceHandle,
    pub artifacts: &'a ResourceHandle,
    pub registrar_function_arn: &'a Expr,
}

/// Adds the code key parameter, the function with its role and logs, the scheduler's role and
/// their outputs; the function and the roles exist once a code key is given.
pub(super) fn lifecycle(
    stack: &mut Stack,
    props: &LifecycleProps<'_>,
) -> Result<(), ConstructError> {
    let deployment = &props.environment.deployment_name;
    let code_key = stack.add_parameter(
        CODE_KEY_PARAMETER,
        Parameter::new(ParameterType::String)
            .description("Object key of the lifecycle function's code in the artifacts bucket; empty until it is uploaded")
            .default_value(""),
    )?;
    let has_code = stack.add_condition(
        "HasLifecycleCode",
        Condition::not(Condition::equals(code_key.ref_(), Expr::str(""))),
    )?;
    let function_name = function_name(deployment);
    let function_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"
    ));
    let log_group = stack.root().add_with(
        "LifecycleLogs",
        LogGroup {
            retention_in_days: Some(super::LOG_RETENTION_DAYS.into()),
            ..LogGroup::default()
        },
        |r| {
            r.condition(has_code.name()).checkov_skip(
                "CKV_AWS_158",
                "The function logs no secrets; CloudWatch Logs encrypts them at rest with its own key",
            )
        },
    )?;
    let stacks = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{deployment}-*/*"
    ));
    let groups = Expr::sub(format!(
        "arn:${{AWS::Partition}}:autoscaling:${{AWS::Region}}:${{AWS::AccountId}}:autoScalingGroup:*:autoScalingGroupName/{deployment}-*"
    ));
    let stack_roles = Expr::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{deployment}-*"
    ));
    let templates = Expr::sub(format!(
        "${{{}.Arn}}/{}*",
        props.artifacts.logical_id().as_str(),
        super::TEMPLATE_KEY_PREFIX
    ));
    let role = stack.root().add_with(
        "LifecycleRole",
        Role {
            description: Some(Expr::str(
                "Lifecycle function: stops and starts this deployment's models through their stacks and registry",
            )),
            policies: vec![Policy {
                policy_name: Expr::str("lifecycle"),
                policy_document: PolicyDocument::new([
                    Statement::allow(
                        [
                            "cloudformation:DescribeStacks",
                            "cloudformation:DescribeStackEvents",
                            "cloudformation:CreateChangeSet",
                            "cloudformation:DescribeChangeSet",
                            "cloudformation:ExecuteChangeSet",
                            "cloudformation:DeleteChangeSet",
                            "cloudformation:ContinueUpdateRollback",
                        ],
                        [stacks],
                    ),
                    Statement::allow(
                        [
                            "dynamodb:GetItem",
                            "dynamodb:PutItem",
                            "dynamodb:UpdateItem",
                            "dynamodb:DeleteItem",
                            "dynamodb:Scan",
                        ],
                        [props.registry.get_att("Arn")],
                    ),
                    // Templates over the inline limit are uploaded for CloudFormation to read.
                    Statement::allow(["s3:PutObject"], [templates]),
                    Statement::allow(
                        [
                            "autoscaling:UpdateAutoScalingGroup",
                            "autoscaling:PutScalingPolicy",
                            "autoscaling:DeletePolicy",
                        ],
                        [groups],
                    ),
                    // The Describe actions have no resource-level permissions; a group update
                    // with a launch template is checked against RunInstances on its behalf.
                    Statement::allow(
                        [
                            "autoscaling:DescribeAutoScalingGroups",
                            "autoscaling:DescribePolicies",
                            "autoscaling:DescribeScalingActivities",
                            "ec2:DescribeLaunchTemplateVersions",
                            "ec2:RunInstances",
                            "ec2:CreateTags",
                        ],
                        ["*"],
                    ),
                    Statement {
                        condition: Some(Expr::map([(
                            "StringEquals",
                            Expr::map([("iam:PassedToService", Expr::str("ec2.amazonaws.com"))]),
                        )])),
                        ..Statement::allow(["iam:PassRole"], [stack_roles])
                    },
                    // The registration custom resource is invoked with the caller's rights.
                    Statement::allow(["lambda:InvokeFunction"], [props.registrar_function_arn.clone()]),
                    Statement::allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [log_group.get_att("Arn")],
                    ),
                ]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service("lambda.amazonaws.com"))
        },
        |r| {
            r.condition(has_code.name()).checkov_skip(
                "CKV_AWS_111",
                "RunInstances and CreateTags are checked when a stop or start updates an Auto Scaling group with a launch template; the groups themselves are limited to this deployment's",
            )
        },
    )?;
    let function = stack.root().add_with(
        "Lifecycle",
        Function {
            function_name: Some(Expr::str(&function_name)),
            description: Some(Expr::str(
                "Stops and starts LISA models on their schedules, through the model lifecycle",
            )),
            runtime: Expr::str(registrar::RUNTIME),
            handler: Expr::str(registrar::HANDLER),
            architectures: vec![Expr::str(registrar::ARCHITECTURE)],
            code: Code {
                s3_bucket: props.artifacts.ref_(),
                s3_key: code_key.ref_(),
            },
            role: role.get_att("Arn"),
            timeout: TIMEOUT_SECONDS.into(),
            memory_size: MEMORY_MIB.into(),
            reserved_concurrent_executions: Some(RESERVED_CONCURRENCY.into()),
            vpc_config: None,
            logging_config: Some(LoggingConfig {
                log_group: log_group.ref_(),
            }),
            environment: Some(FunctionEnvironment {
                variables: [(
                    registrar::ENV_DEPLOYMENT_NAME.to_owned(),
                    Expr::str(deployment),
                )]
                .into_iter()
                .collect(),
            }),
        },
        |r| {
            r.condition(has_code.name())
                .checkov_skip(
                    "CKV_AWS_116",
                    "Invoked asynchronously by EventBridge Scheduler, which retries; a skipped transition is recorded on the model",
                )
                .checkov_skip(
                    "CKV_AWS_117",
                    "Calls only AWS APIs (CloudFormation, DynamoDB, S3); no VPC resource to reach",
                )
                .checkov_skip(
                    "CKV_AWS_272",
                    "The code is uploaded content-addressed by the deployer to a private bucket of this stack",
                )
                .checkov_skip(
                    "CKV_AWS_173",
                    "The one variable is the deployment name, no secret; Lambda encrypts it at rest with its own key",
                )
        },
    )?;
    let scheduler_role = stack.root().add_with(
        "SchedulerRole",
        Role {
            description: Some(Expr::str(
                "EventBridge Scheduler: invokes the lifecycle function for model schedules, nothing else",
            )),
            policies: vec![Policy {
                policy_name: Expr::str("invoke-lifecycle"),
                policy_document: PolicyDocument::new([Statement::allow(
                    ["lambda:InvokeFunction"],
                    [function_arn.clone(), Expr::sub(format!(
                        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}:*"
                    ))],
                )]),
            }],
            ..Role::new(scheduler_trust())
        },
        |r| r.condition(has_code.name()),
    )?;
    stack.add_output(
        name::LIFECYCLE_FUNCTION_ARN,
        Output::new(function.get_att("Arn"))
            .description("The function model schedules invoke")
            .condition(has_code.name()),
    )?;
    stack.add_output(
        name::SCHEDULER_ROLE_ARN,
        Output::new(scheduler_role.get_att("Arn"))
            .description("The role model schedules invoke it with")
            .condition(has_code.name()),
    )?;
    Ok(())
}

/// Trusted by EventBridge Scheduler acting for this account only.
fn scheduler_trust() -> PolicyDocument {
    let mut trust = PolicyDocument::assume_role_by_service("scheduler.amazonaws.com");
    for statement in &mut trust.statement {
        statement.condition = Some(Expr::map([(
            "StringEquals",
            Expr::map([("aws:SourceAccount", Expr::sub("${AWS::AccountId}"))]),
        )]));
    }
    trust
}
