//! The stack's parameters: everything that differs between environments, so one synthesized
//! template deploys into any account and region without synth-time lookups.

use super::stack_io::parameter as name;
use crate::cfn::{Condition, Expr, Parameter, ParameterType, Rule};
use crate::construct::{ConstructError, Stack};
use crate::model::InstanceSpec;

/// The public SSM parameter holding the current ECS-optimized GPU AMI (Amazon Linux 2023).
pub const GPU_AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";
/// The same for CPU instance types.
pub const CPU_AMI_PARAMETER: &str =
    "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";

/// Where the network pieces come from.
#[derive(Debug, Clone)]
pub struct Network {
    /// The VPC.
    pub vpc_id: Expr,
    /// Private subnets for the instances and the internal load balancer.
    pub subnet_ids: Expr,
    /// Who may reach the load balancer by address range (condition `name` guards the rule).
    pub ingress_cidr: Expr,
    /// The condition under which the CIDR rule exists.
    pub has_ingress_cidr: String,
    /// Who may reach the load balancer by security group.
    pub ingress_security_group: Expr,
    /// The condition under which the security-group rule exists.
    pub has_ingress_security_group: String,
}

/// The name an HTTPS load balancer is served under, when one is given at deploy time.
#[derive(Debug, Clone)]
pub struct Domain {
    /// The fully qualified name (the certificate must cover it); empty for none.
    pub name: Expr,
    /// The logical name of the parameter holding it, for `Fn::Sub`.
    pub name_parameter: String,
    /// The Route 53 hosted zone that holds the name.
    pub hosted_zone_id: Expr,
    /// The condition under which a name was given.
    pub has_domain_name: String,
}

/// How the registration reaches LiteLLM.
#[derive(Debug, Clone)]
pub struct LiteLlm {
    /// The registration function's ARN (the custom resource's ServiceToken).
    pub function_arn: Expr,
    /// The LiteLLM proxy's base URL.
    pub endpoint: Expr,
    /// The Secrets Manager secret holding the proxy's master key (never the key itself).
    pub master_key_secret_arn: Expr,
}

/// The deployment gate: the function a blue/green deployment calls before production traffic
/// moves to the new tasks, and the security group it calls the test listener from. Both are
/// the deployment's (one function for every model, in the deployment's VPC), so they are
/// parameters; a stack deployed without them runs blue/green without the gate.
#[derive(Debug, Clone)]
pub struct Gate {
    /// The gate function's ARN.
    pub function_arn: Expr,
    /// The condition under which a gate function was given.
    pub has_function: String,
    /// The gate function's security group.
    pub security_group_id: Expr,
    /// The condition under which that security group was given.
    pub has_security_group: String,
}

/// The parameters of a model stack, as expressions the parts use.
#[derive(Debug, Clone)]
pub struct Parameters {
    /// LiteLLM settings (every stack).
    pub litellm: LiteLlm,
    /// Network settings (hosted models).
    pub network: Network,
    /// The logical name of the parameter holding the models bucket's name (hosted models).
    pub models_bucket: String,
    /// The instances' AMI (hosted models).
    pub image_id: Expr,
    /// The listener certificate, when the load balancer serves HTTPS.
    pub certificate_arn: Option<Expr>,
    /// The optional name of an HTTPS load balancer.
    pub domain: Option<Domain>,
    /// The deployment gate (hosted models).
    pub gate: Gate,
}

/// The parameters of a LiteLLM-only stack.
#[derive(Debug, Clone)]
pub struct LiteLlmParameters {
    /// LiteLLM settings.
    pub litellm: LiteLlm,
}

fn string(description: &str) -> Parameter {
    Parameter::new(ParameterType::String).description(description)
}

fn add_litellm(stack: &mut Stack) -> Result<LiteLlm, ConstructError> {
    let function_arn = stack.add_parameter(
        name::REGISTRATION_FUNCTION_ARN,
        string("ARN of the Lambda function that registers models with LiteLLM (from the bootstrap stack)")
            .allowed_pattern("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", "must be a Lambda function ARN"),
    )?;
    let endpoint = stack.add_parameter(
        name::LITELLM_ENDPOINT,
        string(
            "Base URL of the LiteLLM proxy's admin API, e.g. https://litellm.internal.example.com",
        )
        .allowed_pattern("^https?://[^\\s]+$", "must be an http:// or https:// URL"),
    )?;
    let master_key_secret_arn = stack.add_parameter(
        name::LITELLM_MASTER_KEY_SECRET_ARN,
        string("ARN of the Secrets Manager secret holding the LiteLLM master key").allowed_pattern(
            "^arn:aws[a-zA-Z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$",
            "must be a Secrets Manager secret ARN",
        ),
    )?;
    Ok(LiteLlm {
        function_arn: function_arn.ref_(),
        endpoint: endpoint.ref_(),
        master_key_secret_arn: master_key_secret_arn.ref_(),
    })
}

impl Parameters {
    /// Adds the parameters of a LiteLLM-only stack.
    pub fn litellm(stack: &mut Stack) -> Result<LiteLlmParameters, ConstructError> {
        Ok(LiteLlmParameters {
            litellm: add_litellm(stack)?,
        })
    }

    /// Adds the parameters of a hosted model's stack.
    pub fn hosted(
        stack: &mut Stack,
        instance: &InstanceSpec,
        https: bool,
    ) -> Result<Parameters, ConstructError> {
        let vpc_id = stack.add_parameter(
            name::VPC_ID,
            Parameter::new(ParameterType::VpcId).description("The VPC the model runs in"),
        )?;
        let subnet_ids = stack.add_parameter(
            name::SUBNET_IDS,
            Parameter::new(ParameterType::SubnetIdList)
                .description("Private subnets (at least two Availability Zones) for the instances and the internal load balancer"),
        )?;
        let ingress_cidr = stack.add_parameter(
            name::LOAD_BALANCER_INGRESS_CIDR,
            string("IPv4 range allowed to call the model's load balancer (for example the VPC's); empty for none")
                .default_value("")
                .allowed_pattern("^$|^([0-9]{1,3}\\.){3}[0-9]{1,3}/([0-9]|[12][0-9]|3[0-2])$", "must be empty or an IPv4 CIDR such as 10.0.0.0/16"),
        )?;
        let ingress_group = stack.add_parameter(
            name::LOAD_BALANCER_INGRESS_SECURITY_GROUP_ID,
            string("Security group allowed to call the model's load balancer (for example LiteLLM's); empty for none")
                .default_value("")
                .allowed_pattern("^$|^sg-[0-9a-f]{8,17}$", "must be empty or a security group id (sg-...)"),
        )?;
        let models_bucket = stack.add_parameter(
            name::MODELS_BUCKET_NAME,
            string("The S3 bucket holding model weights under their modelName prefix")
                .allowed_pattern(
                    "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                    "must be an S3 bucket name",
                ),
        )?;
        let (ami, ami_kind) = if instance.gpus > 0 {
            (GPU_AMI_PARAMETER, "GPU")
        } else {
            (CPU_AMI_PARAMETER, "CPU")
        };
        let image_id = stack.add_parameter(
            name::IMAGE_ID,
            Parameter::new(ParameterType::SsmImageId)
                .description(format!(
                    "SSM parameter of the ECS-optimized {ami_kind} AMI (Amazon Linux 2023)"
                ))
                .default_value(ami),
        )?;
        let certificate_arn = if https {
            let certificate = stack.add_parameter(
                name::CERTIFICATE_ARN,
                string("ACM certificate for the load balancer's HTTPS listener").allowed_pattern(
                    "^arn:aws[a-zA-Z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$",
                    "must be an ACM certificate ARN",
                ),
            )?;
            Some(certificate.ref_())
        } else {
            None
        };
        let has_ingress_cidr = stack.add_condition(
            "HasLoadBalancerIngressCidr",
            Condition::not(Condition::equals(ingress_cidr.ref_(), Expr::str(""))),
        )?;
        let has_ingress_group = stack.add_condition(
            "HasLoadBalancerIngressSecurityGroup",
            Condition::not(Condition::equals(ingress_group.ref_(), Expr::str(""))),
        )?;
        // Rules cannot name conditions: the assertion restates them.
        stack.add_rule(
            "LoadBalancerReachable",
            Rule::assert(
                Condition::or([
                    Condition::not(Condition::equals(ingress_cidr.ref_(), Expr::str(""))),
                    Condition::not(Condition::equals(ingress_group.ref_(), Expr::str(""))),
                ]),
                "Give LoadBalancerIngressCidr or LoadBalancerIngressSecurityGroupId (or both): with neither, nothing can reach the model's load balancer",
            ),
        )?;
        let domain = if https {
            Some(add_domain(stack)?)
        } else {
            None
        };
        let gate = add_gate(stack)?;
        Ok(Parameters {
            litellm: add_litellm(stack)?,
            network: Network {
                vpc_id: vpc_id.ref_(),
                subnet_ids: subnet_ids.ref_(),
                ingress_cidr: ingress_cidr.ref_(),
                has_ingress_cidr: has_ingress_cidr.name().to_owned(),
                ingress_security_group: ingress_group.ref_(),
                has_ingress_security_group: has_ingress_group.name().to_owned(),
            },
            models_bucket: models_bucket.name().as_str().to_owned(),
            image_id: image_id.ref_(),
            certificate_arn,
            domain,
            gate,
        })
    }
}

/// The gate's parameters, their conditions, and the rule that a gate comes with the security
/// group it reaches the test listener from (without it, every gated deployment would fail).
fn add_gate(stack: &mut Stack) -> Result<Gate, ConstructError> {
    let function = stack.add_parameter(
        name::GATE_FUNCTION_ARN,
        string("ARN of the function that checks a deployment's new tasks through the test listener before production traffic reaches them (from the bootstrap stack); empty to deploy without the gate")
            .default_value("")
            .allowed_pattern(
                "^$|^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$",
                "must be empty or a Lambda function ARN",
            ),
    )?;
    let group = stack.add_parameter(
        name::GATE_SECURITY_GROUP_ID,
        string("Security group of the gate function, the only source allowed to the load balancer's test listener; empty for none")
            .default_value("")
            .allowed_pattern("^$|^sg-[0-9a-f]{8,17}$", "must be empty or a security group id (sg-...)"),
    )?;
    let given = |parameter: &crate::construct::ParameterHandle| {
        Condition::not(Condition::equals(parameter.ref_(), Expr::str("")))
    };
    let has_function = stack.add_condition("HasGateFunction", given(&function))?;
    let has_group = stack.add_condition("HasGateSecurityGroup", given(&group))?;
    stack.add_rule(
        "GateReachesTestListener",
        Rule::assert(
            given(&group),
            "Give GateSecurityGroupId with GateFunctionArn: the gate calls the test listener from that security group",
        )
        .when(given(&function)),
    )?;
    Ok(Gate {
        function_arn: function.ref_(),
        has_function: has_function.name().to_owned(),
        security_group_id: group.ref_(),
        has_security_group: has_group.name().to_owned(),
    })
}

/// The optional domain name of an HTTPS load balancer, its hosted zone, and the rule that a
/// name comes with its zone.
fn add_domain(stack: &mut Stack) -> Result<Domain, ConstructError> {
    let domain_name = stack.add_parameter(
        name::DOMAIN_NAME,
        string("Name to serve the model under, covered by the certificate (an alias record is created in HostedZoneId, and LiteLLM calls this name); empty to use the load balancer's own DNS name")
            .default_value("")
            .allowed_pattern(
                "^$|^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\\.)+[a-zA-Z]{2,63}$",
                "must be empty or a fully qualified domain name such as llm.example.com",
            ),
    )?;
    let zone = stack.add_parameter(
        name::HOSTED_ZONE_ID,
        string("Route 53 hosted zone holding DomainName; empty when DomainName is")
            .default_value("")
            .allowed_pattern(
                "^$|^Z[A-Z0-9]{1,31}$",
                "must be empty or a hosted zone id (Z...)",
            ),
    )?;
    let has_domain_name = stack.add_condition(
        "HasDomainName",
        Condition::not(Condition::equals(domain_name.ref_(), Expr::str(""))),
    )?;
    stack.add_rule(
        "DomainNameHasZone",
        Rule::assert(
            Condition::not(Condition::equals(zone.ref_(), Expr::str(""))),
            "Give HostedZoneId with DomainName: the alias record is created in that zone",
        )
        .when(Condition::not(Condition::equals(
            domain_name.ref_(),
            Expr::str(""),
        ))),
    )?;
    Ok(Domain {
        name: domain_name.ref_(),
        name_parameter: domain_name.name().as_str().to_owned(),
        hosted_zone_id: zone.ref_(),
        has_domain_name: has_domain_name.name().to_owned(),
    })
}
