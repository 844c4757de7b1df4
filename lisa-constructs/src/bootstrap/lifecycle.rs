//! The lifecycle function and the scheduler's role: what carries out model schedules. Once per
//! deployment, like the registration function: the function (`<deploymentName>-lifecycle`, code
//! uploaded content-addressed under [`CODE_KEY_PREFIX`]) runs the library's own stop or start of
//! the model a schedule names, and the role is the one EventBridge Scheduler assumes to invoke
//! it, allowed to invoke nothing else.
//!
//! The function's role reaches this deployment's model stacks (named with
//! [`model_stack_prefix`]), its registry table and its artifacts bucket's templates. What a stop
//! or start changes inside a model stack is CloudFormation's to do, with the model-stack role
//! (see [`super::stack_role`]): the function may pass that role to CloudFormation, and every
//! change set it creates must name it. Preflight checks are not run by the function, so it needs
//! no quota or Availability Zone reads.

use crate::cfn::resources::iam::{Effect, Policy, PolicyDocument, Role, Statement};
use crate::cfn::resources::lambda::{
    Code, EventInvokeConfig, Function, FunctionEnvironment, LoggingConfig,
};
use crate::cfn::resources::logs::LogGroup;
use crate::cfn::{Condition, Expr, Output, Parameter, ParameterType};
use crate::construct::{ConstructError, ResourceHandle, Stack};
use crate::ecs_model::model_stack_prefix;
use crate::ecs_model::registration::function as registrar;
use crate::ecs_model::stack_io::parameter as name;
use crate::environment::Environment;
use crate::model::schedule::due;

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

/// What a transition does with a busy model, in one sentence read from
/// [`DEFAULT_RETRY_SECONDS`]: for help texts, the JSON Schema and the OpenAPI document.
pub fn busy_model_rule() -> String {
    format!(
        "A scheduled start or stop that finds the model busy with another operation tries again \
         for up to {} minutes (the lifecycle function's default, {ENV_RETRY_SECONDS}), then \
         records a skip.",
        DEFAULT_RETRY_SECONDS / 60
    )
}
/// How many times Lambda invokes the function again after a failed invocation (an AWS call that
/// failed, throttling when many models change in the same minute). Lambda waits about one, then
/// two minutes, so both retries fit well inside the age an event may have
/// ([`due::MAX_EVENT_AGE_SECONDS`]); a retry is safe because a transition reads the model again
/// first and skips one that is done or under way.
pub const MAX_RETRY_ATTEMPTS: u32 = 2;

/// What the function does to a model stack besides creating change sets (which must name the
/// model-stack role).
const STACK_CHANGES: [&str; 3] = [
    "cloudformation:ExecuteChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:ContinueUpdateRollback",
];

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
    /// The role CloudFormation acts with on model stacks.
    pub model_stack_role: &'a ResourceHandle,
    /// From [`scheduler_role`].
    pub scheduler_role: &'a ResourceHandle,
    /// The bootstrap stack's name.
    pub bootstrap_stack: &'a str,
}

/// Adds the role EventBridge Scheduler invokes the lifecycle function with. It exists from the
/// first deploy, before the function does, so the model-stack role can name it (CloudFormation
/// passes it to the scheduler when it creates a model's schedules).
pub(super) fn scheduler_role(
    stack: &mut Stack,
    deployment: &str,
) -> Result<ResourceHandle, ConstructError> {
    let function_name = function_name(deployment);
    let function_arn = Expr::sub(format!(
        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}"
    ));
    stack.root().add(
        "SchedulerRole",
        Role {
            description: Some(Expr::str(
                "EventBridge Scheduler: invokes the lifecycle function for model schedules, nothing else",
            )),
            policies: vec![Policy {
                policy_name: Expr::str("invoke-lifecycle"),
                policy_document: PolicyDocument::new([Statement::allow(
                    ["lambda:InvokeFunction"],
                    [function_arn, Expr::sub(format!(
                        "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{function_name}:*"
                    ))],
                )]),
            }],
            ..Role::new(scheduler_trust())
        },
    )
}

/// Adds the code key parameter, the function with its role, logs and asynchronous invocation
/// settings, and the outputs naming it and the scheduler's role; they exist once a code key is
/// given.
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
    let prefix = model_stack_prefix(deployment);
    let stacks = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{prefix}*/*"
    ));
    let clusters = Expr::sub(format!(
        "arn:${{AWS::Partition}}:ecs:${{AWS::Region}}:${{AWS::AccountId}}:cluster/{prefix}*"
    ));
    let bootstrap_stack = Expr::sub(format!(
        "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{}/*",
        props.bootstrap_stack
    ));
    let model_stack_role = props.model_stack_role.get_att("Arn");
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
                    // The environment is read from the bootstrap stack's outputs.
                    Statement::allow(["cloudformation:DescribeStacks"], [bootstrap_stack.clone()]),
                    Statement::allow(
                        [
                            "cloudformation:DescribeStacks",
                            "cloudformation:DescribeStackEvents",
                            "cloudformation:DescribeStackResource",
                            "cloudformation:DescribeChangeSet",
                        ],
                        [stacks.clone()],
                    ),
                    Statement::allow(STACK_CHANGES, [stacks.clone()]),
                    // A change set without the model-stack role would act with this role's
                    // rights, which reach no resource of a model stack: refused at once rather
                    // than failing halfway through the update.
                    Statement {
                        condition: Some(Expr::map([(
                            "ArnEquals",
                            Expr::map([("cloudformation:RoleArn", model_stack_role.clone())]),
                        )])),
                        ..Statement::allow(["cloudformation:CreateChangeSet"], [stacks])
                    },
                    // The model stacks' prefix may start the bootstrap stack's name too: the stack
                    // that holds this role is not the function's to change.
                    Statement {
                        effect: Effect::Deny,
                        ..Statement::allow(
                            STACK_CHANGES
                                .iter()
                                .chain(&["cloudformation:CreateChangeSet"])
                                .copied(),
                            [bootstrap_stack],
                        )
                    },
                    Statement {
                        condition: Some(Expr::map([(
                            "StringEquals",
                            Expr::map([(
                                "iam:PassedToService",
                                Expr::str("cloudformation.amazonaws.com"),
                            )]),
                        )])),
                        ..Statement::allow(["iam:PassRole"], [model_stack_role])
                    },
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
                    // Templates over the inline limit are uploaded, and CloudFormation reads a
                    // template URL with the rights of whoever creates the change set.
                    Statement::allow(["s3:PutObject", "s3:GetObject"], [templates]),
                    // Why a model's last task stopped, when a start failed (best effort).
                    Statement {
                        condition: Some(Expr::map([(
                            "ArnLike",
                            Expr::map([("ecs:cluster", clusters)]),
                        )])),
                        ..Statement::allow(["ecs:ListTasks", "ecs:DescribeTasks"], ["*"])
                    },
                    Statement::allow(
                        ["logs:CreateLogStream", "logs:PutLogEvents"],
                        [log_group.get_att("Arn")],
                    ),
                ]),
            }],
            ..Role::new(PolicyDocument::assume_role_by_service("lambda.amazonaws.com"))
        },
        |r| r.condition(has_code.name()),
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
                    "Invoked asynchronously by EventBridge Scheduler; a transition older than the event age bound is stale and dropped by design, and a skipped one is recorded on the model",
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
    stack.root().add_with(
        "LifecycleInvokeConfig",
        EventInvokeConfig {
            function_name: function.ref_(),
            qualifier: Expr::str(EventInvokeConfig::LATEST),
            // Lambda drops an event that waited longer in its queue, where its age starts no
            // earlier than the time it was due: the function would refuse it by its
            // `scheduledTime` anyway, and Lambda's default keeps it six hours.
            maximum_event_age_in_seconds: Some(due::MAX_EVENT_AGE_SECONDS.into()),
            maximum_retry_attempts: Some(MAX_RETRY_ATTEMPTS.into()),
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
        Output::new(props.scheduler_role.get_att("Arn"))
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
