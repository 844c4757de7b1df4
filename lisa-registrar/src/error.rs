//! Why a request could not be carried out, in words an operator can act on (these become the
//! `Reason` of a failed answer, after the master key is redacted).

use crate::litellm::LiteLlmError;
use crate::operation::Operation;

/// The handler's failures.
#[derive(Debug, thiserror::Error)]
pub enum RegistrarError {
    /// The event is not a CloudFormation custom-resource request.
    #[error("not a CloudFormation custom-resource request: {0}")]
    Request(String),
    /// The resource's properties do not match the contract.
    #[error(
        "the Custom::LiteLLMModel properties are invalid ({0}); synthesize the stack again with this version of lisa-synth"
    )]
    Properties(String),
    /// The master key could not be read.
    #[error(
        "cannot read the LiteLLM master key from secret {arn}: {message}; check that the secret exists and that the registration function's role may call secretsmanager:GetSecretValue on it"
    )]
    Secret {
        /// The secret.
        arn: String,
        /// The service's error.
        message: String,
    },
    /// The secret holds no key.
    #[error("secret {arn} holds no LiteLLM master key (it is empty)")]
    SecretEmpty {
        /// The secret.
        arn: String,
    },
    /// Target health could not be read.
    #[error(
        "cannot read the health of target group {target_group}: {message}; check that the registration function's role may call elasticloadbalancing:DescribeTargetHealth"
    )]
    TargetHealth {
        /// The target group.
        target_group: String,
        /// The service's error.
        message: String,
    },
    /// The model never became healthy within its budget.
    #[error(
        "the model did not become healthy within its load budget of {budget_seconds} s: no healthy target in {seen}; check the ECS service's events and the model container's logs (image pull, weights copy, out of memory), then raise the health check's startPeriod if the model just loads slowly"
    )]
    NeverHealthy {
        /// The budget.
        budget_seconds: u32,
        /// Each target group read and its targets' last states, as `target group ARN (states)`.
        seen: String,
    },
    /// A LiteLLM call failed.
    #[error(transparent)]
    LiteLlm(#[from] LiteLlmError),
    /// LiteLLM accepted a write but does not show it.
    #[error(
        "LiteLLM at {endpoint} accepted {action} of model id {id} but {observed}; check that the proxy stores models in its database (STORE_MODEL_IN_DB) and that all its replicas share it"
    )]
    NotStored {
        /// The proxy.
        endpoint: String,
        /// What was written.
        action: &'static str,
        /// The registration's id.
        id: String,
        /// What a read-back showed.
        observed: &'static str,
    },
    /// Another entry already serves the model's name.
    #[error(
        "LiteLLM at {endpoint} already serves a model named {name:?} under id(s) {ids} that this stack does not own; remove that entry from LiteLLM or choose another modelId"
    )]
    DuplicateName {
        /// The proxy.
        endpoint: String,
        /// The model name.
        name: String,
        /// The other entries' ids.
        ids: String,
    },
    /// The request could not be handed on.
    #[error(
        "cannot hand the request on to a fresh invocation of {function}: {message}; check that the function's role may call lambda:InvokeFunction on itself"
    )]
    Relay {
        /// The function.
        function: String,
        /// The service's error.
        message: String,
    },
    /// The request took more invocations than allowed.
    #[error("the request was handed on {hops} times without finishing; giving up")]
    TooManyHops {
        /// How many times.
        hops: u32,
    },
    /// The work did not finish before the invocation's deadline.
    #[error(
        "the registration did not finish before the function's deadline; it was {stage}; if LiteLLM is slow or hanging, check the proxy's health and logs"
    )]
    Deadline {
        /// What it was doing.
        stage: String,
    },
    /// The code panicked.
    #[error(
        "the registration function failed unexpectedly while {stage} (internal error: {message}); see the function's log"
    )]
    Panicked {
        /// What it was doing.
        stage: String,
        /// The panic's message.
        message: String,
    },
    /// The function's configuration does not pin what it may trust.
    #[error(
        "the registration function is not configured: {variable} is not set; deploy it with `lisa-ops bootstrap`, which pins the deployment, the LiteLLM endpoint and the master-key secret in its environment"
    )]
    NotPinned {
        /// The missing variable.
        variable: &'static str,
    },
    /// What the request claims does not hold.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// What CloudFormation or Elastic Load Balancing says about the stack could not be read.
    #[error(
        "cannot check the request against stack {stack_id}: {source}; check that the registration function's role may call cloudformation:DescribeStackResources and cloudformation:DescribeStacks on the deployment's stacks and elasticloadbalancing:DescribeLoadBalancers, and that its network reaches those APIs"
    )]
    StackLookup {
        /// The stack the request names.
        stack_id: String,
        /// The failed read.
        #[source]
        source: crate::stacks::LookupError,
    },
    /// The answer could not be sent to CloudFormation.
    #[error("cannot send the answer to CloudFormation: {message}")]
    Answer {
        /// Why.
        message: String,
    },
}

/// Why a request is not carried out: what it claims about itself does not hold. Whoever may
/// invoke the function (or create a stack with its ServiceToken) writes the request, so a refused
/// create or update fails, and a refused delete succeeds without removing anything (see
/// the claim checks).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The request comes from a stack this function does not serve.
    #[error(
        "refused: stack {stack_id} is not a stack of deployment {deployment} in this function's account and region ({why}); the function registers only its own deployment's models"
    )]
    ForeignStack {
        /// The requesting stack.
        stack_id: String,
        /// The deployment the function serves.
        deployment: String,
        /// What does not match.
        why: String,
    },
    /// The request names an endpoint or secret other than the pinned one.
    #[error(
        "refused: the resource's {property} is {given:?}, but this deployment's registration function uses only {pinned:?}; deploy the model stack again (`lisa-ops models update` or `deploy`) so it takes the deployment's current LiteLLM settings"
    )]
    NotPinnedValue {
        /// The property.
        property: &'static str,
        /// What the request gives.
        given: String,
        /// What the function is configured with.
        pinned: String,
    },
    /// The request names another model than the one its stack is named after.
    #[error(
        "refused: stack {stack_id} holds model {stack_model:?} (a model stack is named <deployment>-<modelId>), but the resource's ModelId is {model_id:?}"
    )]
    NotTheStacksModel {
        /// The requesting stack.
        stack_id: String,
        /// The model the stack's name gives.
        stack_model: String,
        /// What the request gives.
        model_id: String,
    },
    /// A delete names another registration than its stack's.
    #[error(
        "refused: the PhysicalResourceId {physical_id:?} is not the registration id {expected:?} derived from stack {stack_id} and its model"
    )]
    NotTheStacksRegistration {
        /// The requesting stack.
        stack_id: String,
        /// What the request gives.
        physical_id: String,
        /// The stack's own registration id.
        expected: String,
    },
    /// CloudFormation is not making this request.
    #[error(
        "refused: CloudFormation is not {} resource {logical_id} of stack {stack_id} ({found}; while it is, the resource is {}); the function carries out only the operation CloudFormation is running",
        .operation.doing(),
        .operation.in_progress()
    )]
    NotInProgress {
        /// The requesting stack.
        stack_id: String,
        /// The resource the request names.
        logical_id: String,
        /// What the request asks for.
        operation: Operation,
        /// What CloudFormation shows instead.
        found: String,
    },
    /// The request points the model at another host than its stack's load balancer.
    #[error(
        "refused: the resource's ApiBase {api_base:?} is not http(s)://<host>/v1 for a host of stack {stack_id}'s own ({served}); LiteLLM would send the model's prompts there"
    )]
    NotTheStacksApiBase {
        /// The requesting stack.
        stack_id: String,
        /// What the request gives.
        api_base: String,
        /// The stack's load balancer names, or that it has none.
        served: String,
    },
    /// A hosted model's request without its base URL.
    #[error(
        "refused: the resource gives no ApiBase, but stack {stack_id} serves its model from its own load balancer ({served})"
    )]
    NoApiBase {
        /// The requesting stack.
        stack_id: String,
        /// The stack's load balancer names.
        served: String,
    },
    /// The request waits on another stack's target group.
    #[error(
        "refused: the resource's target group {target_group} (TargetGroupArn or AlternateTargetGroupArn) is not a target group of stack {stack_id}"
    )]
    NotTheStacksTargetGroup {
        /// The requesting stack.
        stack_id: String,
        /// What the request gives.
        target_group: String,
    },
}
