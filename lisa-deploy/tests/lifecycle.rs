//! The whole lifecycle of both model kinds against moto's server, through the real SDK clients.

mod common;

use common::*;
use lisa_constructs::model::ModelStatus;
use lisa_deploy::Waited;
use serde_json::json;

async fn settle(deployment: &Deployment, model_id: &str) -> lisa_constructs::model::ModelRecord {
    match deployment
        .deployer
        .wait(model_id, &mut |_| {})
        .await
        .expect("wait")
    {
        Waited::Settled(record) => *record,
        Waited::Deleted => panic!("{model_id} was deleted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_model_lives_its_whole_life() {
    let d = deployment("hosted").await;
    let deployer = &d.deployer;

    let created = deployer.create(hosted("mistral")).await.expect("create");
    assert_eq!(created.status, ModelStatus::Creating);
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::InService, "{record:?}");
    assert_eq!(record.litellm_model_id.as_deref(), Some("litellm-mistral"));
    assert!(
        record
            .model_url
            .as_deref()
            .is_some_and(|u| u.starts_with("http://"))
    );
    assert!(record.auto_scaling_group_name.is_some());

    let listed = deployer.list().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        listed[0]
            .record()
            .map(|r| serde_json::to_value(r.view()).expect("view")["status"].clone()),
        Some(json!("InService"))
    );
    assert_eq!(
        deployer.get("mistral").await.expect("get").status,
        ModelStatus::InService
    );

    // Metadata update.
    let updating = deployer
        .update("mistral", &update(json!({"streaming": false})))
        .await
        .expect("metadata update");
    assert!(matches!(
        updating.status,
        ModelStatus::Updating | ModelStatus::InService
    ));
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::InService);
    assert_eq!(record.definition.streaming, Some(false));

    // Autoscaling update.
    deployer
        .update(
            "mistral",
            &update(json!({"autoScalingInstanceConfig": {"maxCapacity": 3}})),
        )
        .await
        .expect("autoscaling update");
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::InService);
    let scaling = &record
        .definition
        .hosting
        .as_ref()
        .expect("hosted")
        .auto_scaling_config;
    assert_eq!(scaling.max_capacity, 3);

    // Container update: a new task definition, which the service deploys blue/green behind the
    // deployment's gate. The registration's properties do not change, so LiteLLM is not
    // called again.
    let registrations = d.registrar.requests("mistral").len();
    deployer
        .update(
            "mistral",
            &update(json!({"containerConfig": {"sharedMemorySize": 4096}})),
        )
        .await
        .expect("container update");
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::InService);
    let stack_id = record.stack_id.clone().expect("stack id");
    let template = held(&d, &stack_id).await;
    let resources = template["Resources"].as_object().expect("resources");
    let of_type = |wanted: &str| {
        resources
            .values()
            .filter(|r| r["Type"] == wanted)
            .collect::<Vec<_>>()
    };
    let task = of_type("AWS::ECS::TaskDefinition")[0];
    let shared_memory: Vec<&serde_json::Value> = task["Properties"]["ContainerDefinitions"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| &c["LinuxParameters"]["SharedMemorySize"])
        .filter(|size| !size.is_null())
        .collect();
    assert_eq!(
        shared_memory,
        [&json!(4096)],
        "the model server's container"
    );
    let service = &of_type("AWS::ECS::Service")[0]["Properties"];
    assert_eq!(service["DeploymentConfiguration"]["Strategy"], "BLUE_GREEN");
    let hook = &service["DeploymentConfiguration"]["LifecycleHooks"]["Fn::If"][1][0];
    assert_eq!(hook["LifecycleStages"], json!(["POST_TEST_TRAFFIC_SHIFT"]));
    let gate = d.deployer.bootstrap_outputs().gate_function_arn.clone();
    let described = d
        .clients
        .cloudformation
        .describe_stacks()
        .stack_name(&stack_id)
        .send()
        .await
        .expect("describe");
    assert!(
        described.stacks()[0]
            .parameters()
            .iter()
            .any(|p| p.parameter_key() == Some("GateFunctionArn")
                && p.parameter_value() == gate.as_deref()),
        "the stack is given the deployment's gate"
    );
    assert_eq!(
        d.registrar.requests("mistral").len(),
        registrations,
        "no registration during a deployment"
    );

    // Stop.
    let stopping = deployer
        .update("mistral", &update(json!({"enabled": false})))
        .await
        .expect("stop");
    assert!(matches!(
        stopping.status,
        ModelStatus::Stopping | ModelStatus::Stopped
    ));
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::Stopped);
    assert!(!record.enabled);
    assert!(
        d.registrar
            .received("mistral", "Update", Some("false"))
            .await
    );

    // Autoscaling while stopped: saved, nothing deployed.
    let saved = deployer
        .update(
            "mistral",
            &update(json!({"autoScalingInstanceConfig": {"minCapacity": 2}})),
        )
        .await
        .expect("autoscaling while stopped");
    assert_eq!(saved.status, ModelStatus::Stopped);
    let scaling = &saved
        .definition
        .hosting
        .as_ref()
        .expect("hosted")
        .auto_scaling_config;
    assert_eq!((scaling.min_capacity, scaling.max_capacity), (2, 3));

    // Start: the saved configuration applies.
    deployer
        .update("mistral", &update(json!({"enabled": true})))
        .await
        .expect("start");
    let record = settle(&d, "mistral").await;
    assert_eq!(record.status, ModelStatus::InService);
    assert!(record.enabled);
    let stack = d
        .deployer
        .stacks()
        .describe(record.stack_id.as_deref().expect("stack id"))
        .await
        .expect("describe")
        .expect("stack");
    assert_eq!(stack.status.as_str(), "UPDATE_COMPLETE");
    assert!(
        d.registrar
            .received("mistral", "Update", Some("true"))
            .await
    );

    // Delete.
    let deleting = deployer.delete("mistral").await.expect("delete");
    if deleting.is_some() {
        assert!(matches!(
            deployer.wait("mistral", &mut |_| {}).await.expect("wait"),
            Waited::Deleted
        ));
    }
    assert!(deployer.list().await.expect("list").is_empty());
    assert!(d.registrar.received("mistral", "Delete", None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_litellm_only_model_lives_its_whole_life() {
    let d = deployment("litellm").await;
    let deployer = &d.deployer;
    deployer
        .create(litellm_only("titan"))
        .await
        .expect("create");
    let record = settle(&d, "titan").await;
    assert_eq!(record.status, ModelStatus::InService);
    assert_eq!(record.model_url, None);
    let view =
        serde_json::to_value(deployer.get("titan").await.expect("get").view()).expect("view");
    assert_eq!(view["containerConfig"], serde_json::Value::Null);
    assert_eq!(view["status"], "InService");

    deployer
        .update("titan", &update(json!({"modelType": "embedding"})))
        .await
        .expect("metadata update");
    let record = settle(&d, "titan").await;
    assert_eq!(record.definition.model_type.as_str(), "embedding");
    assert_eq!(record.definition.streaming, Some(false));

    deployer
        .update("titan", &update(json!({"enabled": false})))
        .await
        .expect("stop");
    assert_eq!(settle(&d, "titan").await.status, ModelStatus::Stopped);
    deployer
        .update("titan", &update(json!({"enabled": true})))
        .await
        .expect("start");
    assert_eq!(settle(&d, "titan").await.status, ModelStatus::InService);

    deployer.delete("titan").await.expect("delete");
    assert!(matches!(
        deployer.wait("titan", &mut |_| {}).await.expect("wait"),
        Waited::Deleted
    ));
    assert!(d.registrar.received("titan", "Delete", None).await);
    let requests: Vec<String> = d
        .registrar
        .requests("titan")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(requests.first().map(String::as_str), Some("Create"));
    assert_eq!(requests.last().map(String::as_str), Some("Delete"));
}
