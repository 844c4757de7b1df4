//! Model stacks in moto's CloudFormation (scripts/moto-server.py): a stack is created with a
//! registration resource, which stays in CREATE_IN_PROGRESS until answered, and moto hands over
//! the Create event CloudFormation would send the function. A hosted stack also has a VPC, an
//! internal load balancer and a target group, and its registration's `ApiBase` is
//! `http://${LoadBalancer.DNSName}/v1`, as a synthesized model stack's.

use serde_json::{Map, Value, json};

use super::{FUNCTION_ARN, aws_config, moto_endpoint, stack_name};

/// The registration's logical id.
pub const REGISTRATION: &str = "Registration";
/// The load balancer's logical id.
pub const LOAD_BALANCER: &str = "LoadBalancer";
/// The target group's logical id.
pub const TARGET_GROUP: &str = "TargetGroup";

/// What the stack's registration says.
#[derive(Debug, Clone)]
pub struct Model {
    /// The model, and so the stack's name.
    pub model_id: String,
    /// The LiteLLM endpoint the registration names.
    pub endpoint: String,
    /// The master-key secret it names.
    pub secret_arn: String,
    /// With a load balancer and target group.
    pub hosted: bool,
}

impl Model {
    /// The stack's name.
    pub fn stack_name(&self) -> String {
        stack_name(&self.model_id)
    }

    /// A load balancer or target group name (at most 32 characters) unique to the model.
    fn short_name(&self, kind: &str) -> String {
        let name = format!("{kind}-{}", self.model_id);
        let start = name.len().saturating_sub(32);
        name[start..].trim_matches('-').to_owned()
    }

    fn template(&self) -> Value {
        let mut registration = Map::new();
        for (key, value) in [
            ("ServiceToken", FUNCTION_ARN),
            ("ModelId", &self.model_id),
            ("Mode", "chat"),
            ("Streaming", "true"),
            ("Enabled", "true"),
            ("LiteLlmEndpoint", &self.endpoint),
            ("MasterKeySecretArn", &self.secret_arn),
        ] {
            registration.insert(key.into(), json!(value));
        }
        let mut resources = Map::new();
        if self.hosted {
            registration.insert("LiteLlmModel".into(), json!("hosted_vllm/mistral"));
            registration.insert(
                "ApiBase".into(),
                json!({"Fn::Sub": format!("http://${{{LOAD_BALANCER}.DNSName}}/v1")}),
            );
            registration.insert("TargetGroupArn".into(), json!({"Ref": TARGET_GROUP}));
            registration.insert("LoadBudgetSeconds".into(), json!("60"));
            let subnet = |cidr: &str, zone: &str| {
                json!({"Type": "AWS::EC2::Subnet", "Properties": {
                    "VpcId": {"Ref": "Vpc"}, "CidrBlock": cidr, "AvailabilityZone": zone}})
            };
            resources.insert(
                "Vpc".into(),
                json!({"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}),
            );
            resources.insert("SubnetA".into(), subnet("10.0.1.0/24", "us-east-1a"));
            resources.insert("SubnetB".into(), subnet("10.0.2.0/24", "us-east-1b"));
            // Named, as a generated name would hold the stack name's "--", which these names
            // may not.
            resources.insert(
                LOAD_BALANCER.into(),
                json!({"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
                    "Name": self.short_name("lb"), "Scheme": "internal",
                    "Subnets": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}]}}),
            );
            // A Lambda target group needs no VPC, and moto reports a registered target healthy.
            resources.insert(
                TARGET_GROUP.into(),
                json!({"Type": "AWS::ElasticLoadBalancingV2::TargetGroup",
                    "Properties": {"Name": self.short_name("tg"), "TargetType": "lambda"}}),
            );
        } else {
            registration.insert(
                "LiteLlmModel".into(),
                json!("bedrock/amazon.titan-text-express-v1"),
            );
        }
        resources.insert(
            REGISTRATION.into(),
            json!({"Type": "Custom::LiteLLMModel", "Properties": registration}),
        );
        json!({
            "Parameters": {"DomainName": {"Type": "String", "Default": ""}},
            "Resources": resources,
        })
    }
}

/// A stack being created.
#[derive(Debug, Clone)]
pub struct MotoStack {
    /// Its ARN.
    pub stack_id: String,
    /// The Create event moto queued for the registration (its ResponseURL is moto's).
    pub event: Value,
}

pub async fn cloudformation() -> aws_sdk_cloudformation::Client {
    aws_sdk_cloudformation::Client::new(&aws_config(&moto_endpoint()).await)
}

/// Creates the stack (with `DomainName` set when given) and takes its registration's Create
/// event from moto.
pub async fn create(model: &Model, domain_name: Option<&str>) -> MotoStack {
    let client = cloudformation().await;
    let mut request = client
        .create_stack()
        .stack_name(model.stack_name())
        .template_body(model.template().to_string());
    if let Some(domain) = domain_name {
        request = request.parameters(
            aws_sdk_cloudformation::types::Parameter::builder()
                .parameter_key("DomainName")
                .parameter_value(domain)
                .build(),
        );
    }
    let stack_id = request
        .send()
        .await
        .expect("moto creates the stack")
        .stack_id()
        .expect("a stack id")
        .to_owned();
    // The trailing '/' keeps the marker from matching a stack whose name merely starts with ours.
    let url = format!(
        "{}/moto-api/custom-resources?stack={}%2F",
        moto_endpoint(),
        model.stack_name()
    );
    let events: Vec<Value> = reqwest::get(&url)
        .await
        .expect("moto answers")
        .json()
        .await
        .expect("a list of events");
    assert_eq!(events.len(), 1, "one Create event: {events:?}");
    MotoStack {
        stack_id,
        event: events[0].clone(),
    }
}

/// The physical id (ARN) of one of the stack's resources.
pub async fn physical_id(stack_id: &str, logical_id: &str) -> String {
    cloudformation()
        .await
        .describe_stack_resource()
        .stack_name(stack_id)
        .logical_resource_id(logical_id)
        .send()
        .await
        .expect("moto describes the resource")
        .stack_resource_detail()
        .and_then(|d| d.physical_resource_id())
        .expect("a physical id")
        .to_owned()
}
