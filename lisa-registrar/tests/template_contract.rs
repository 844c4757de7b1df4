//! The template and the function agree: the registration properties that lisa-constructs renders
//! for the example models, resolved the way CloudFormation resolves them (every `Ref` and
//! `Fn::Sub` becomes a string, every number too), make a Create request the function carries out.

mod support;

use std::sync::Arc;

use lisa_constructs::ecs_model::registration::{MODEL_ID_ATTRIBUTE, RESOURCE_TYPE};
use lisa_constructs::ecs_model::{StackOptions, synthesize};
use lisa_constructs::model::ModelDefinition;
use serde_json::{Map, Value, json};
use support::cloud::Cloud;
use support::litellm::{LiteLlm, Mode};
use support::*;

const KEY: &str = "sk-template-contract";
/// The load balancer's DNS name the stack is given.
const LB_DNS: &str = "internal-lisa-model-123.us-east-1.elb.amazonaws.com";

/// The resource's properties as CloudFormation hands them to the function.
fn resolved(properties: &Value, parameters: &Map<String, Value>) -> Value {
    let resolve = |v: &Value| -> Value {
        match v {
            Value::String(_) => v.clone(),
            Value::Number(n) => json!(n.to_string()),
            Value::Bool(b) => json!(b.to_string()),
            Value::Object(o) if o.contains_key("Ref") => {
                let name = o["Ref"].as_str().expect("a name");
                parameters
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| panic!("no value for Ref {name}"))
            }
            Value::Object(o) if o.contains_key("Fn::Sub") => json!(format!("http://{LB_DNS}/v1")),
            other => panic!("CloudFormation would not pass {other} as a scalar"),
        }
    };
    let map = properties.as_object().expect("an object");
    Value::Object(map.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
}

async fn carry_out(example: &str, healthy: bool) -> (Value, LiteLlm) {
    let path = format!(
        "{}/../examples/models/{example}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path).expect("the example exists");
    let definition = ModelDefinition::from_json_str(&text).expect("a valid example");
    let stack = synthesize(&definition, &StackOptions::default()).expect("synthesizes");
    let template = stack.template.to_json().expect("renders");
    let (logical_id, resource) = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .find(|(_, r)| r["Type"] == RESOURCE_TYPE)
        .expect("a registration");

    let litellm = LiteLlm::start(KEY, Mode::Normal).await;
    let answers = Answers::start().await;
    let lambda = LambdaApi::start().await;
    let target_group = target_group().await;
    if healthy {
        add_healthy_target(&target_group).await;
    }
    let mut parameters = Map::new();
    parameters.insert("RegistrationFunctionArn".into(), json!(FUNCTION_ARN));
    let secret_arn = secret(KEY).await;
    parameters.insert("LiteLlmEndpoint".into(), json!(litellm.server.url()));
    parameters.insert("LiteLlmMasterKeySecretArn".into(), json!(secret_arn));
    let stack_id = format!(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/{}/0c5ad1e0-cb80-11ef-8d2b-0e1f2a3b4c5d",
        stack.name.as_str()
    );
    // The stack as CloudFormation lists it while it creates the registration: the target
    // group's Ref is its ARN, and the load balancer's DNS name is what `Fn::Sub` resolves to.
    let cloud = Cloud::default();
    for (id, r) in template["Resources"].as_object().expect("resources") {
        let kind = r["Type"].as_str().expect("a type");
        match kind {
            "AWS::ElasticLoadBalancingV2::TargetGroup" => {
                parameters.insert(id.clone(), json!(target_group));
                cloud.set_resource(&stack_id, id, kind, Some(&target_group), "CREATE_COMPLETE");
            }
            "AWS::ElasticLoadBalancingV2::LoadBalancer" => cloud.set_load_balancer(
                &stack_id,
                id,
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/model/1",
                LB_DNS,
            ),
            _ if id == logical_id => {
                cloud.set_resource(&stack_id, id, kind, None, "CREATE_IN_PROGRESS");
            }
            _ => cloud.set_resource(&stack_id, id, kind, Some(id), "CREATE_COMPLETE"),
        }
    }
    let request = json!({
        "RequestType": "Create",
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": answers.url(),
        "StackId": stack_id,
        "RequestId": "1f0e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
        "LogicalResourceId": logical_id,
        "ResourceType": RESOURCE_TYPE,
        "ResourceProperties": resolved(&resource["Properties"], &parameters),
    });
    // The function's own configuration holds the same environment the stack's parameters do.
    let trusted = pinned(&litellm.server.url(), &secret_arn);
    registrar(
        &lambda.server.url(),
        fast_settings(),
        trusted,
        Arc::new(cloud),
    )
    .await
    .run(request, invocation(30.0))
    .await
    .expect("answered");
    assert!(
        litellm.violations().is_empty(),
        "{:?}",
        litellm.violations()
    );
    (answers.only(), litellm)
}

#[tokio::test]
async fn a_litellm_only_models_rendered_properties_register_it() {
    let (answer, litellm) = carry_out("titan-express-v1", false).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let entries = litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["model_info"]["id"],
        answer["Data"][MODEL_ID_ATTRIBUTE]
    );
}

#[tokio::test]
async fn a_hosted_models_rendered_properties_register_it_once_healthy() {
    let (answer, litellm) = carry_out("mistral-vllm", true).await;
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    let entries = litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["litellm_params"]["api_base"],
        "http://internal-lisa-model-123.us-east-1.elb.amazonaws.com/v1"
    );
    assert!(
        entries[0]["litellm_params"]["model"]
            .as_str()
            .is_some_and(|m| m.starts_with("hosted_vllm/"))
    );
}
