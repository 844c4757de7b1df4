//! The fixtures are CloudFormation's request shapes: the events crate's request type reads them,
//! and their properties read through the contract the template is rendered from.

mod support;

use aws_lambda_events::event::cloudformation::CloudFormationCustomResourceRequest;
use lisa_constructs::ecs_model::registration::RegistrationProperties;
use serde_json::Value;

fn filled(name: &str) -> Value {
    support::fixture(
        name,
        &[
            (
                "RESPONSE_URL",
                "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
            ),
            ("STACK", "lisa-mistral-vllm"),
            ("ENDPOINT", "http://litellm.internal:4000"),
            (
                "SECRET",
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:litellm-AbCdEf",
            ),
            (
                "TARGET_GROUP",
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/0123456789abcdef",
            ),
            ("BUDGET", "630"),
            ("PHYSICAL_ID", "mistral-vllm-0123456789ab"),
            ("ENABLED", "false"),
            ("OLD_ENABLED", "true"),
        ],
    )
}

type Request = CloudFormationCustomResourceRequest<RegistrationProperties, RegistrationProperties>;

#[test]
fn create_update_and_delete_read_as_typed_requests() {
    match serde_json::from_value::<Request>(filled("create")).expect("create reads") {
        Request::Create(r) => {
            assert_eq!(r.resource_properties.load_budget_seconds, Some(630));
            assert!(r.resource_properties.enabled);
            assert!(r.resource_properties.streaming);
        }
        other => panic!("not a create: {other:?}"),
    }
    match serde_json::from_value::<Request>(filled("update")).expect("update reads") {
        Request::Update(r) => {
            assert!(!r.resource_properties.enabled);
            assert!(r.old_resource_properties.enabled);
            assert_eq!(r.physical_resource_id, "mistral-vllm-0123456789ab");
        }
        other => panic!("not an update: {other:?}"),
    }
    match serde_json::from_value::<Request>(filled("delete")).expect("delete reads") {
        Request::Delete(r) => assert_eq!(r.resource_properties.model_id, "mistral-vllm"),
        other => panic!("not a delete: {other:?}"),
    }
}

#[test]
fn a_request_with_a_broken_property_does_not_read() {
    let mut r = filled("create");
    r["ResourceProperties"]["LoadBudgetSeconds"] = "soon".into();
    assert!(serde_json::from_value::<Request>(r).is_err());
}
