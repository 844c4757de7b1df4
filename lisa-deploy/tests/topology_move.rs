//! A hosted model whose stack an earlier version created (commit 754fbb7: a DAEMON ECS service,
//! the Auto Scaling group's own scaling policy) moves to today's topology (a REPLICA service
//! deployed blue/green, scaled through a scalable target) by one ordinary update through the
//! deployer, and is then stopped, started and deleted as any model. Against moto's server.
//!
//! The earlier template is the one `lisa-constructs/tests/topology_move.rs` compares with
//! today's synthesis: its scalable example, so the move also trades the group's policy for the
//! service's.

mod common;

use aws_sdk_cloudformation::types::{Capability, Parameter, Tag};
use common::*;
use lisa_constructs::ecs_model::stack_io::ModelStackOutputs;
use lisa_constructs::model::{ModelRecord, ModelStatus};
use lisa_deploy::Waited;
use lisa_deploy::{DEPLOYMENT_TAG, Registry, read_bootstrap};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The model id the earlier template was synthesized for (it is written into the template).
const MODEL_ID: &str = "mistral-vllm-autoscaling";

fn earlier_template() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../lisa-constructs/tests/fixtures/vllm-autoscaling-754fbb7.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

async fn settle(d: &Deployment, model_id: &str) -> ModelRecord {
    match d.deployer.wait(model_id, &mut |_| {}).await.expect("wait") {
        Waited::Settled(record) => *record,
        Waited::Deleted => panic!("{model_id} was deleted"),
    }
}

/// The stack's resources: logical id -> (type, physical id).
async fn resources(d: &Deployment, stack_name: &str) -> BTreeMap<String, (String, String)> {
    let described = d
        .clients
        .cloudformation
        .describe_stack_resources()
        .stack_name(stack_name)
        .send()
        .await
        .expect("describe resources");
    described
        .stack_resources()
        .iter()
        .map(|r| {
            (
                r.logical_resource_id().unwrap_or_default().to_owned(),
                (
                    r.resource_type().unwrap_or_default().to_owned(),
                    r.physical_resource_id().unwrap_or_default().to_owned(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_created_with_the_earlier_topology_moves_by_one_update() {
    let d = deployment("move").await;
    let definition = example("mistral-vllm-autoscaling.json", MODEL_ID);
    let stack_name = format!("{}-{MODEL_ID}", d.name);
    let role = d
        .deployer
        .bootstrap_outputs()
        .model_stack_role_arn
        .clone()
        .expect("the bootstrap stack's role for model stacks");

    // The earlier version's create: its template, with the values the deployer gives each
    // parameter it declares (today's deployer gives a value to every one of them).
    let old = earlier_template();
    let (_, today_values) = d
        .deployer
        .synthesize(&definition, true, None)
        .expect("synthesizes");
    let today_values: BTreeMap<_, _> = today_values.into_iter().collect();
    let parameters: Vec<Parameter> = old["Parameters"]
        .as_object()
        .expect("parameters")
        .keys()
        .map(|name| {
            let value = today_values
                .get(name)
                .unwrap_or_else(|| panic!("the deployer gives no value to {name}"));
            Parameter::builder()
                .parameter_key(name)
                .parameter_value(value)
                .build()
        })
        .collect();
    let created = d
        .clients
        .cloudformation
        .create_stack()
        .stack_name(&stack_name)
        .template_body(old.to_string())
        .set_parameters(Some(parameters))
        .role_arn(&role)
        .capabilities(Capability::CapabilityIam)
        .tags(Tag::builder().key(DEPLOYMENT_TAG).value(&d.name).build())
        .send()
        .await
        .expect("the earlier version's create");
    let stack_id = created.stack_id().expect("stack id").to_owned();
    let mut status = String::new();
    for _ in 0..600 {
        status = stack_status(&d, MODEL_ID).await.unwrap_or_default();
        if !status.ends_with("_IN_PROGRESS") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, "CREATE_COMPLETE");
    let before = resources(&d, &stack_name).await;
    assert_eq!(before["Service"].0, "AWS::ECS::Service");
    let held_before = held(&d, &stack_name).await;
    assert_eq!(
        held_before["Resources"]["Service"]["Properties"]["SchedulingStrategy"],
        "DAEMON"
    );
    assert_eq!(
        held_before["Resources"]["ScalingPolicyE6AB1601"]["Type"],
        "AWS::AutoScaling::ScalingPolicy"
    );

    // ... and the record it wrote once the stack was created.
    let outputs = d
        .deployer
        .stacks()
        .describe(&stack_id)
        .await
        .expect("describe")
        .expect("the stack")
        .outputs;
    let outputs =
        ModelStackOutputs::from_outputs(outputs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let table = read_bootstrap(&d.clients, &d.name)
        .await
        .expect("outputs")
        .registry_table_name;
    let registry = Registry::new(d.clients.dynamodb.clone(), table);
    registry
        .create(ModelRecord {
            definition: definition.clone(),
            previous_definition: None,
            enabled: true,
            status: ModelStatus::InService,
            stack_name: stack_name.clone(),
            stack_id: Some(stack_id.clone()),
            litellm_model_id: outputs.litellm_model_id,
            model_url: outputs.model_endpoint_url,
            auto_scaling_group_name: outputs.auto_scaling_group_name,
            failure_reason: None,
            operation_token: None,
            stopped_by_hand: false,
            last_scheduled_run: None,
            version: 0,
            last_modified: String::new(),
        })
        .await
        .map_err(|e| format!("{e:?}"))
        .expect("the earlier version's record");

    // One ordinary update.
    d.deployer
        .update(MODEL_ID, &update(json!({"streaming": false})))
        .await
        .expect("update");
    let record = settle(&d, MODEL_ID).await;
    assert_eq!(record.status, ModelStatus::InService, "{record:?}");
    assert_eq!(record.definition.streaming, Some(false), "{record:?}");
    assert_eq!(record.stack_id.as_deref(), Some(stack_id.as_str()));
    assert_eq!(
        stack_status(&d, MODEL_ID).await.as_deref(),
        Some("UPDATE_COMPLETE")
    );

    // moto makes no AWS::ApplicationAutoScaling::ScalableTarget and no
    // AWS::AutoScaling::ScalingPolicy (its CloudFormation skips both types, so DescribeStackResources
    // never lists them), and its AWS::ECS::Service ignores SchedulingStrategy (every service it
    // makes reports REPLICA, the DAEMON one too). What it cannot show is read from the template
    // CloudFormation holds for the stack (GetTemplate); what it makes, from its resources.
    let after = resources(&d, &stack_name).await;
    let kind = |id: &str| after.get(id).map(|(t, _)| t.as_str());
    assert_eq!(
        kind("LoadBalancerAlternateTargetGroup223F306C"),
        Some("AWS::ElasticLoadBalancingV2::TargetGroup"),
        "{after:?}"
    );
    assert_eq!(kind("Service"), Some("AWS::ECS::Service"), "{after:?}");
    // What stays keeps its logical id (and, not replaced, its physical one).
    for id in [
        "Cluster",
        "LoadBalancerBE9EEC3A",
        "TaskLogGroup667E06F7",
        "Registration",
    ] {
        assert!(after.contains_key(id), "{id}: {after:?}");
        assert_eq!(after.get(id), before.get(id), "{id}");
    }
    let held_after = held(&d, &stack_name).await;
    let types: BTreeMap<&str, &str> = held_after["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .map(|(id, r)| (id.as_str(), r["Type"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        types.get("ScalingServiceTargetCFC79157"),
        Some(&"AWS::ApplicationAutoScaling::ScalableTarget"),
        "{types:?}"
    );
    assert!(
        !types
            .values()
            .any(|t| *t == "AWS::AutoScaling::ScalingPolicy"),
        "the group's policy is gone: {types:?}"
    );
    let service = &held_after["Resources"]["Service"]["Properties"];
    assert_eq!(service["SchedulingStrategy"], "REPLICA", "{service}");
    assert_eq!(
        service["DeploymentConfiguration"]["Strategy"], "BLUE_GREEN",
        "{service}"
    );

    // Then as any model: stop, start, delete.
    d.deployer
        .update(MODEL_ID, &update(json!({"enabled": false})))
        .await
        .expect("stop");
    let record = settle(&d, MODEL_ID).await;
    assert_eq!(record.status, ModelStatus::Stopped, "{record:?}");
    d.deployer
        .update(MODEL_ID, &update(json!({"enabled": true})))
        .await
        .expect("start");
    let record = settle(&d, MODEL_ID).await;
    assert_eq!(record.status, ModelStatus::InService, "{record:?}");
    d.deployer.delete(MODEL_ID).await.expect("delete");
    assert!(outcome(&d, MODEL_ID).await.is_none(), "deleted");
    assert_eq!(stack_status(&d, MODEL_ID).await, None);
    assert!(d.deployer.list().await.expect("list").is_empty());
}
