//! The role CloudFormation acts with on this deployment's model stacks, the way the CDK's
//! deployments act with an execution role: every change set and delete of a model stack passes
//! it (`RoleARN`), whether the CLI, the Admin API or the lifecycle function asks, so a stack and
//! its rollbacks always act with the same rights, and a caller needs `iam:PassRole` on this role
//! instead of the rights over the stacks' resources.
//!
//! The rights are those CloudFormation's own resource handlers list for every resource type a
//! model stack can contain (`tests/stack_role.rs` checks them against cfn-lint's copy of the
//! registry schemas), grouped by service into three customer managed policies: a role's inline
//! policies share 10,240 characters, which the longest deployment name would exceed, where each
//! managed policy holds 6,144.
//!
//! Resources CloudFormation names after the stack (`<stack>-<logicalId>-<suffix>`: roles,
//! instance profiles, Auto Scaling groups, ECS clusters and services, log groups, alarms,
//! schedules) and those the model stacks name from `${AWS::StackName}` (capacity providers, task
//! definition families) are reached through [`model_stack_prefix`], which starts no other
//! deployment's stack names. Load balancers, listeners, rules, target groups, launch templates
//! and scalable targets get short or generated names that cannot carry the prefix: their actions
//! are limited to the resource kinds the stacks create. Security groups are limited to the
//! environment's VPC. Describe, List and Get actions are allowed on everything. The bootstrap
//! stack's own roles and log groups are denied outright: the prefix may start its name too.

use crate::cfn::Expr;
use crate::cfn::resources::iam::{Effect, ManagedPolicy, PolicyDocument, Role, Statement};
use crate::construct::{ConstructError, ResourceHandle, Stack};
use crate::ecs_model::model_stack_prefix;
use crate::environment::Environment;

/// The role's logical id.
pub const LOGICAL_ID: &str = "ModelStackRole";

/// What a capacity provider's name adds in front of its stack's name (capacity providers may not
/// start with `ecs` or `aws`, which a stack name may).
const CAPACITY_PROVIDER_NAME_PREFIX: &str = "lisa-";

/// What the role needs from the rest of the bootstrap stack.
pub(super) struct StackRoleProps<'a> {
    pub environment: &'a Environment,
    /// The bootstrap stack's name, which the names of its own roles and log groups start with.
    pub bootstrap_stack: &'a str,
    /// The registration function, which CloudFormation invokes for the custom resources.
    pub registrar_function_arn: &'a Expr,
    /// The role model schedules invoke the lifecycle function with.
    pub scheduler_role: &'a ResourceHandle,
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`.
fn arn(service: &str, resource: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
    ))
}

/// An IAM ARN (IAM has no region).
fn iam_arn(resource: &str) -> Expr {
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:{resource}"
    ))
}

/// A Route 53 ARN (no region, no account).
fn route53_arn(resource: &str) -> Expr {
    Expr::sub(format!("arn:${{AWS::Partition}}:route53:::{resource}"))
}

fn allow(actions: &[&str], resources: impl IntoIterator<Item = Expr>) -> Statement {
    Statement::allow(actions.iter().copied().map(Expr::str), resources)
}

fn on_everything(actions: &[&str]) -> Statement {
    allow(actions, [Expr::str("*")])
}

fn deny(actions: &[&str], resources: impl IntoIterator<Item = Expr>) -> Statement {
    Statement {
        effect: Effect::Deny,
        ..allow(actions, resources)
    }
}

/// `statement` under one condition `test: {key: values}`.
fn when(statement: Statement, test: &str, key: &str, values: &[Expr]) -> Statement {
    let values = match values {
        [value] => value.clone(),
        values => Expr::list(values.iter().cloned()),
    };
    Statement {
        condition: Some(Expr::map([(test, Expr::map([(key, values)]))])),
        ..statement
    }
}

fn passed_to(statement: Statement, services: &[&str]) -> Statement {
    let services: Vec<Expr> = services.iter().copied().map(Expr::str).collect();
    when(statement, "StringEquals", "iam:PassedToService", &services)
}

/// The patterns of this deployment's names.
struct Names {
    /// `<deployment><separator>`.
    prefix: String,
    /// The bootstrap stack's name.
    bootstrap_stack: String,
}

impl Names {
    /// `arn:…:<service>:<region>:<account>:<kind><prefix>*`.
    fn named(&self, service: &str, kind: &str) -> Expr {
        arn(service, &format!("{kind}{}*", self.prefix))
    }

    fn roles(&self) -> Expr {
        iam_arn(&format!("role/{}*", self.prefix))
    }
}

/// EC2 Auto Scaling, Application Auto Scaling (the service's desired count), EC2, ECS.
fn compute(names: &Names, vpc_id: &str) -> Vec<Statement> {
    let clusters = names.named("ecs", "cluster/");
    let vpc = arn("ec2", &format!("vpc/{vpc_id}"));
    vec![
        // Everything on this deployment's groups: the handler lists most of the service's
        // actions on a group.
        allow(
            &["autoscaling:*"],
            [names.named("autoscaling", "autoScalingGroup:*:autoScalingGroupName/")],
        ),
        on_everything(&[
            "autoscaling:Describe*",
            "application-autoscaling:Describe*",
            "application-autoscaling:ListTagsForResource",
            "cloudwatch:GetMetricData",
            "vpc-lattice:GetTargetGroup",
            "vpc-lattice:ListTargets",
        ]),
        // A scalable target's ARN carries a generated id, not the service's name.
        on_everything(&[
            "application-autoscaling:DeleteScalingPolicy",
            "application-autoscaling:DeleteScheduledAction",
            "application-autoscaling:DeregisterScalableTarget",
            "application-autoscaling:PutScalingPolicy",
            "application-autoscaling:PutScheduledAction",
            "application-autoscaling:RegisterScalableTarget",
            "application-autoscaling:TagResource",
            "application-autoscaling:UntagResource",
        ]),
        // Provisioned concurrency of functions as scalable targets; the stacks have none.
        allow(
            &[
                "lambda:DeleteProvisionedConcurrencyConfig",
                "lambda:GetProvisionedConcurrencyConfig",
                "lambda:PutProvisionedConcurrencyConfig",
            ],
            [names.named("lambda", "function:")],
        ),
        // Groups registered as VPC Lattice targets; the stacks register none.
        allow(
            &[
                "vpc-lattice:DeregisterTargets",
                "vpc-lattice:RegisterTargets",
            ],
            [arn("vpc-lattice", "targetgroup/*")],
        ),
        // The instances' AMI is one of AWS's public parameters, resolved by CloudFormation
        // (public parameters carry no account in their ARN).
        allow(
            &["ssm:Get*"],
            [Expr::sub(
                "arn:${AWS::Partition}:ssm:${AWS::Region}:*:parameter/aws/service/*",
            )],
        ),
        on_everything(&["ec2:Describe*", "ec2:Get*"]),
        // The one Get action that reads a secret (an instance's Windows password).
        deny(&["ec2:GetPasswordData"], [Expr::str("*")]),
        // Creating or updating a group with a launch template is checked against RunInstances
        // on every resource an instance would use.
        on_everything(&["ec2:RunInstances"]),
        allow(
            &["ec2:CreateSecurityGroup"],
            [arn("ec2", "security-group/*"), vpc.clone()],
        ),
        when(
            allow(
                &[
                    "ec2:AuthorizeSecurityGroupEgress",
                    "ec2:AuthorizeSecurityGroupIngress",
                    "ec2:DeleteSecurityGroup",
                    "ec2:RevokeSecurityGroupEgress",
                    "ec2:RevokeSecurityGroupIngress",
                    "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
                    "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
                ],
                [arn("ec2", "security-group/*")],
            ),
            "ArnEquals",
            "ec2:Vpc",
            &[vpc],
        ),
        // A rule is a resource of its own, without the VPC condition key.
        allow(
            &[
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:AuthorizeSecurityGroupIngress",
            ],
            [arn("ec2", "security-group-rule/*")],
        ),
        allow(
            &[
                "ec2:CreateLaunchTemplate",
                "ec2:CreateLaunchTemplateVersion",
                "ec2:DeleteLaunchTemplate",
            ],
            [arn("ec2", "launch-template/*")],
        ),
        allow(
            &["ec2:CreateTags", "ec2:DeleteTags"],
            [
                arn("ec2", "security-group/*"),
                arn("ec2", "security-group-rule/*"),
                arn("ec2", "launch-template/*"),
            ],
        ),
        allow(
            &[
                "ecs:CreateCluster",
                "ecs:DeleteCluster",
                "ecs:PutClusterCapacityProviders",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:UpdateCluster",
                "ecs:UpdateClusterSettings",
            ],
            [clusters],
        ),
        // A service's ARN names its cluster first: `service/<cluster>/<service>`.
        allow(
            &[
                "ecs:CreateService",
                "ecs:DeleteService",
                "ecs:StopServiceDeployment",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:UpdateService",
            ],
            [
                names.named("ecs", "service/"),
                names.named("ecs", "service-deployment/"),
            ],
        ),
        allow(
            &[
                "ecs:CreateCapacityProvider",
                "ecs:DeleteCapacityProvider",
                "ecs:TagResource",
                "ecs:UntagResource",
                "ecs:UpdateCapacityProvider",
            ],
            [names.named(
                "ecs",
                &format!("capacity-provider/{CAPACITY_PROVIDER_NAME_PREFIX}"),
            )],
        ),
        allow(
            &[
                "ecs:RegisterTaskDefinition",
                "ecs:TagResource",
                "ecs:UntagResource",
            ],
            [names.named("ecs", "task-definition/")],
        ),
        on_everything(&["ecs:Describe*", "ecs:List*", "kms:DescribeKey"]),
        // No resource-level permissions: a revision is deregistered when the stack replaces it,
        // and account settings are the cluster handler's.
        on_everything(&[
            "ecs:DeregisterTaskDefinition",
            "ecs:PutAccountSetting",
            "ecs:PutAccountSettingDefault",
        ]),
    ]
}

/// Elastic Load Balancing, Route 53, CloudWatch alarms and logs.
fn network_and_monitoring(names: &Names) -> Vec<Statement> {
    let alarms = [
        names.named("cloudwatch", "alarm:"),
        // Target tracking alarms of this deployment's groups and services.
        names.named("cloudwatch", "alarm:TargetTracking-"),
        names.named("cloudwatch", "alarm:TargetTracking-service/"),
    ];
    let zones = route53_arn("hostedzone/*");
    vec![
        on_everything(&[
            "elasticloadbalancing:Describe*",
            "cognito-idp:DescribeUserPoolClient",
        ]),
        allow(
            &[
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:CreateLoadBalancer",
                "elasticloadbalancing:CreateRule",
                "elasticloadbalancing:CreateTargetGroup",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteRule",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:ModifyRule",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:RegisterTargets",
                "elasticloadbalancing:RemoveTags",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetRulePriorities",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
            ],
            [
                arn("elasticloadbalancing", "loadbalancer/app/*"),
                arn("elasticloadbalancing", "listener/app/*"),
                arn("elasticloadbalancing", "listener-rule/app/*"),
                arn("elasticloadbalancing", "targetgroup/*"),
            ],
        ),
        // The hosted zone is a model stack's parameter; only alias A records are written.
        when(
            allow(&["route53:ChangeResourceRecordSets"], [zones.clone()]),
            "ForAllValues:StringEquals",
            "route53:ChangeResourceRecordSetsRecordTypes",
            &[Expr::str("A")],
        ),
        allow(
            &["route53:GetHostedZone", "route53:ListResourceRecordSets"],
            [zones],
        ),
        allow(&["route53:GetChange"], [route53_arn("change/*")]),
        on_everything(&[
            "route53:ListHostedZones",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
        ]),
        allow(
            &[
                "cloudwatch:DeleteAlarms",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            alarms,
        ),
        allow(
            &[
                "logs:AssociateKmsKey",
                "logs:CreateLogGroup",
                "logs:DeleteDataProtectionPolicy",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:DisassociateKmsKey",
                "logs:GetDataProtectionPolicy",
                "logs:PutBearerTokenAuthentication",
                "logs:PutDataProtectionPolicy",
                "logs:PutLogGroupDeletionProtection",
                "logs:PutRetentionPolicy",
                "logs:TagResource",
                "logs:UntagResource",
            ],
            [names.named("logs", "log-group:")],
        ),
        // A log group's delivery stream would be named after its stack too.
        allow(
            &["firehose:TagDeliveryStream"],
            [names.named("firehose", "deliverystream/")],
        ),
        on_everything(&["logs:Describe*", "logs:ListTagsForResource"]),
        // No resource-level permissions.
        on_everything(&[
            "logs:CreateLogDelivery",
            "logs:DeleteIndexPolicy",
            "logs:DeleteResourcePolicy",
            "logs:PutIndexPolicy",
            "logs:PutResourcePolicy",
        ]),
    ]
}

/// IAM, EventBridge Scheduler, the custom resources' function, and what the role never reaches.
fn identity_and_invocation(names: &Names, props: &StackRoleProps<'_>) -> Vec<Statement> {
    let bootstrap = &names.bootstrap_stack;
    vec![
        allow(
            &[
                "iam:AttachRolePolicy",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:DeleteRolePermissionsBoundary",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:PutRolePermissionsBoundary",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole",
                "iam:UpdateRoleDescription",
            ],
            [names.roles()],
        ),
        allow(
            &[
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:RemoveRoleFromInstanceProfile",
            ],
            [iam_arn(&format!("instance-profile/{}*", names.prefix))],
        ),
        // The instance role goes to EC2 through its instance profile, the task and execution
        // roles to ECS tasks, the roles a blue/green deployment moves traffic and calls its gate
        // with to ECS.
        passed_to(
            allow(&["iam:PassRole"], [names.roles()]),
            &[
                "ec2.amazonaws.com",
                "ecs-tasks.amazonaws.com",
                "ecs.amazonaws.com",
            ],
        ),
        when(
            allow(
                &["iam:CreateServiceLinkedRole"],
                [iam_arn("role/aws-service-role/*")],
            ),
            "StringEquals",
            "iam:AWSServiceName",
            &[
                Expr::str("autoscaling.amazonaws.com"),
                Expr::str("ecs.amazonaws.com"),
                Expr::str("ecs.application-autoscaling.amazonaws.com"),
            ],
        ),
        allow(
            &[
                "scheduler:CreateSchedule",
                "scheduler:DeleteSchedule",
                "scheduler:GetSchedule",
                "scheduler:UpdateSchedule",
            ],
            [names.named("scheduler", "schedule/*/")],
        ),
        passed_to(
            allow(&["iam:PassRole"], [props.scheduler_role.get_att("Arn")]),
            &["scheduler.amazonaws.com"],
        ),
        // The registration custom resource: CloudFormation invokes its function.
        allow(
            &["lambda:InvokeFunction"],
            [props.registrar_function_arn.clone()],
        ),
        // Whatever the model stacks' prefix reaches, never the bootstrap stack's own roles
        // (this one among them), instance profiles and logs.
        deny(
            &["*"],
            [
                iam_arn(&format!("role/{bootstrap}-*")),
                iam_arn(&format!("instance-profile/{bootstrap}-*")),
                arn("logs", &format!("log-group:{bootstrap}-*")),
            ],
        ),
    ]
}

/// Adds the role and its policies; the bootstrap stack outputs the role's ARN.
pub(super) fn model_stack_role(
    stack: &mut Stack,
    props: &StackRoleProps<'_>,
) -> Result<ResourceHandle, ConstructError> {
    let names = Names {
        prefix: model_stack_prefix(&props.environment.deployment_name),
        bootstrap_stack: props.bootstrap_stack.to_owned(),
    };
    let deployment = &props.environment.deployment_name;
    let role = stack.root().add(
        LOGICAL_ID,
        Role {
            description: Some(Expr::str(format!(
                "CloudFormation on the model stacks of deployment {deployment}: creates, updates, rolls back and deletes their resources"
            ))),
            ..Role::new(PolicyDocument::assume_role_by_service(
                "cloudformation.amazonaws.com",
            ))
        },
    )?;
    let policy = |services: &str, statements: Vec<Statement>| ManagedPolicy {
        policy_document: PolicyDocument::new(statements),
        description: Some(Expr::str(format!(
            "CloudFormation on the model stacks of deployment {deployment}: {services}"
        ))),
        roles: vec![role.ref_()],
        managed_policy_name: None,
    };
    stack.root().add_with(
        "ModelStackCompute",
        policy(
            "Auto Scaling, EC2 and ECS",
            compute(&names, &props.environment.vpc_id),
        ),
        |r| {
            r.checkov_skip(
                "CKV_AWS_111",
                "RunInstances is checked on whoever creates or updates an Auto Scaling group with a launch template, across every resource an instance uses, and a scalable target's ARN carries no name; the instances are launched by Auto Scaling's own role, and only CloudFormation can assume the role this policy is attached to",
            )
            .checkov_skip(
                "CKV_AWS_107",
                "ec2:Get* is what CloudFormation's Auto Scaling group handler lists; the one credential read it covers, GetPasswordData, is denied in the same policy",
            )
        },
    )?;
    stack.root().add(
        "ModelStackNetwork",
        policy(
            "Elastic Load Balancing, Route 53, CloudWatch alarms and logs",
            network_and_monitoring(&names),
        ),
    )?;
    stack.root().add(
        "ModelStackIdentity",
        policy(
            "IAM, EventBridge Scheduler and the custom resources' function",
            identity_and_invocation(&names, props),
        ),
    )?;
    Ok(role)
}
