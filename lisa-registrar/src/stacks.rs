//! What AWS says about a model stack: its resources as CloudFormation lists them, its parameters,
//! and its load balancers' DNS names. A request is checked against these facts (see
//! [`crate::claim`]); [`Stacks`] keeps the reads behind a small interface so the checks can be
//! exercised without AWS, and [`AwsStacks`] is the interface over the SDK.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use aws_sdk_cloudformation::error::ProvideErrorMetadata;

/// One resource of a stack, as `DescribeStackResources` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackResource {
    /// The id in the template.
    pub logical_id: String,
    /// The resource's own id (an ARN for a load balancer or target group); none before
    /// CloudFormation has one.
    pub physical_id: Option<String>,
    /// `AWS::...` or `Custom::...`.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `UPDATE_COMPLETE`...
    pub status: String,
}

/// A read that failed (not a stack that does not exist: that is `None`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action}: {message}")]
pub struct LookupError {
    /// The API action.
    pub action: &'static str,
    /// The service's error.
    pub message: String,
}

/// A read under way.
pub type Lookup<'a, T> = Pin<Box<dyn Future<Output = Result<T, LookupError>> + Send + 'a>>;

/// The reads a request is checked with.
pub trait Stacks: Send + Sync + Debug {
    /// The resources of the stack `stack_id` (its ARN, so one stack and not a later one of the
    /// same name), or `None` when CloudFormation knows no such stack.
    fn resources<'a>(&'a self, stack_id: &'a str) -> Lookup<'a, Option<Vec<StackResource>>>;

    /// The DNS names of these load balancers.
    fn load_balancer_dns_names<'a>(&'a self, arns: &'a [String]) -> Lookup<'a, Vec<String>>;

    /// The value of the stack's parameter `name`, if it has that parameter.
    fn parameter<'a>(&'a self, stack_id: &'a str, name: &'a str) -> Lookup<'a, Option<String>>;
}

/// [`Stacks`] over CloudFormation and Elastic Load Balancing.
#[derive(Debug, Clone)]
pub struct AwsStacks {
    /// CloudFormation.
    pub cloudformation: aws_sdk_cloudformation::Client,
    /// Elastic Load Balancing.
    pub elb: aws_sdk_elasticloadbalancingv2::Client,
}

impl AwsStacks {
    /// Clients from one configuration.
    pub fn new(config: &aws_config::SdkConfig) -> AwsStacks {
        AwsStacks {
            cloudformation: aws_sdk_cloudformation::Client::new(config),
            elb: aws_sdk_elasticloadbalancingv2::Client::new(config),
        }
    }
}

/// CloudFormation answers `ValidationError` for a stack it does not know ("Stack with id ... does
/// not exist"); every other failure is a failed read.
fn unknown_stack<E: ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("ValidationError")
}

fn failed<E>(action: &'static str, error: &E) -> LookupError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    LookupError {
        action,
        message: crate::message::aws_message(error),
    }
}

impl Stacks for AwsStacks {
    fn resources<'a>(&'a self, stack_id: &'a str) -> Lookup<'a, Option<Vec<StackResource>>> {
        Box::pin(async move {
            // One call lists up to 100 resources, more than a model stack has.
            let output = match self
                .cloudformation
                .describe_stack_resources()
                .stack_name(stack_id)
                .send()
                .await
            {
                Ok(output) => output,
                Err(e) if unknown_stack(&e) => return Ok(None),
                Err(e) => return Err(failed("DescribeStackResources", &e)),
            };
            Ok(Some(
                output
                    .stack_resources()
                    .iter()
                    .map(|r| StackResource {
                        logical_id: r.logical_resource_id().unwrap_or_default().to_owned(),
                        physical_id: r
                            .physical_resource_id()
                            .filter(|id| !id.is_empty())
                            .map(str::to_owned),
                        resource_type: r.resource_type().unwrap_or_default().to_owned(),
                        status: r
                            .resource_status()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_default(),
                    })
                    .collect(),
            ))
        })
    }

    fn load_balancer_dns_names<'a>(&'a self, arns: &'a [String]) -> Lookup<'a, Vec<String>> {
        Box::pin(async move {
            let output = self
                .elb
                .describe_load_balancers()
                .set_load_balancer_arns(Some(arns.to_vec()))
                .send()
                .await
                .map_err(|e| failed("DescribeLoadBalancers", &e))?;
            Ok(output
                .load_balancers()
                .iter()
                .filter_map(|lb| lb.dns_name().map(str::to_owned))
                .collect())
        })
    }

    fn parameter<'a>(&'a self, stack_id: &'a str, name: &'a str) -> Lookup<'a, Option<String>> {
        Box::pin(async move {
            let output = match self
                .cloudformation
                .describe_stacks()
                .stack_name(stack_id)
                .send()
                .await
            {
                Ok(output) => output,
                Err(e) if unknown_stack(&e) => return Ok(None),
                Err(e) => return Err(failed("DescribeStacks", &e)),
            };
            Ok(output
                .stacks()
                .iter()
                .flat_map(|s| s.parameters())
                .find(|p| p.parameter_key() == Some(name))
                .and_then(|p| p.parameter_value().map(str::to_owned)))
        })
    }
}
