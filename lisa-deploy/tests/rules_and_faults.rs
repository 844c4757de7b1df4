//! Bootstrap idempotency, every refusal (with nothing changed), and the faults: a stack that
//! fails to create, the endpoint going away mid-operation, concurrent writes, stacks deleted
//! behind the registry's back. Against moto's server, through the real SDK clients.

mod common;

use common::*;
use lisa_constructs::model::status::Refusal;
use lisa_constructs::model::{ModelStatus, ModelUpdate};
use lisa_deploy::{BootstrapChange, Registry, WriteError, bootstrap, read_bootstrap};
use lisa_deploy::{Clients, DeployError, Deployer, Waited};
use serde_json::json;

async fn settle(d: &Deployment, model_id: &str) -> lisa_constructs::model::ModelRecord {
    match d.deployer.wait(model_id, &mut |_| {}).await.expect("wait") {
        Waited::Settled(record) => *record,
        Waited::Deleted => panic!("{model_id} was deleted"),
    }
}

fn refusal(error: DeployError) -> Refusal {
    match error {
        DeployError::Refused { refusal, .. } => refusal,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bootstrap_changes_nothing_and_a_new_zip_updates_the_function() {
    let d = deployment("boot").await;
    let environment = read_bootstrap(&d.clients, &d.name)
        .await
        .expect("read")
        .environment;
    let environment = lisa_constructs::environment::Environment {
        registration_subnet_ids: None,
        ..environment
    };
    let polling = options(&d.name).polling;
    let (change, first) = bootstrap(
        &d.clients,
        &environment,
        Some(REGISTRAR_ZIP),
        Some(LIFECYCLE_ZIP),
        polling,
        &mut |_| {},
    )
    .await
    .expect("second run");
    assert_eq!(change, BootstrapChange::Unchanged);
    // A new registrar zip and no lifecycle zip: the lifecycle function keeps its code.
    let (change, second) = bootstrap(
        &d.clients,
        &environment,
        Some(b"PK another zip"),
        None,
        polling,
        &mut |_| {},
    )
    .await
    .expect("new zip");
    assert_eq!(change, BootstrapChange::Updated);
    assert_eq!(first.registry_table_name, second.registry_table_name);
    assert!(second.registration_function_arn.is_some());
    assert!(first.lifecycle_function_arn.is_some());
    assert_eq!(second.lifecycle_function_arn, first.lifecycle_function_arn);

    let error = Deployer::connect(d.clients.clone(), options("nosuchdeployment"))
        .await
        .expect_err("not bootstrapped");
    assert!(
        matches!(error, DeployError::NotBootstrapped { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("bootstrap"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_that_break_a_rule_are_refused_and_change_nothing() {
    let d = deployment("rules").await;
    let deployer = &d.deployer;

    // Unknown model.
    for error in [
        deployer.get("ghost").await.expect_err("get"),
        deployer
            .update("ghost", &update(json!({"streaming": true})))
            .await
            .expect_err("update"),
        deployer.delete("ghost").await.expect_err("delete"),
    ] {
        assert_eq!(refusal(error), Refusal::NotFound);
    }

    // Update while Creating (the registration has not answered yet).
    d.registrar.pause(true);
    deployer
        .create(litellm_only("titan"))
        .await
        .expect("create");
    let error = deployer
        .update("titan", &update(json!({"streaming": false})))
        .await
        .expect_err("update while creating");
    assert!(error.to_string().contains("Creating"), "{error}");
    assert!(matches!(
        refusal(error),
        Refusal::NotAllowed {
            current: ModelStatus::Creating,
            ..
        }
    ));
    d.registrar.pause(false);
    let record = settle(&d, "titan").await;
    assert_eq!(record.status, ModelStatus::InService);

    // Duplicate create.
    let error = deployer
        .create(litellm_only("titan"))
        .await
        .expect_err("duplicate");
    assert_eq!(
        refusal(error),
        Refusal::Exists {
            current: ModelStatus::InService
        }
    );
    assert_eq!(
        deployer.get("titan").await.expect("get").version,
        record.version
    );

    // Start of a running model.
    let error = deployer
        .update("titan", &update(json!({"enabled": true})))
        .await
        .expect_err("start");
    assert!(
        error
            .to_string()
            .contains("only a Stopped model can be started"),
        "{error}"
    );

    // Autoscaling on a LiteLLM-only model.
    let error = deployer
        .update(
            "titan",
            &update(json!({"autoScalingInstanceConfig": {"maxCapacity": 2}})),
        )
        .await
        .expect_err("autoscaling");
    assert!(matches!(error, DeployError::Invalid { .. }), "{error}");
    assert!(error.to_string().contains("LiteLLM-only"), "{error}");

    // Stop of a stopped model.
    deployer
        .update("titan", &update(json!({"enabled": false})))
        .await
        .expect("stop");
    let stopped = settle(&d, "titan").await;
    assert_eq!(stopped.status, ModelStatus::Stopped);
    // A stop of a stopped model holds it stopped (against scheduled starts); it deploys
    // nothing.
    let held = deployer
        .update("titan", &update(json!({"enabled": false})))
        .await
        .expect("a stop of a stopped model holds it");
    assert_eq!(held.status, ModelStatus::Stopped, "{held:?}");
    assert!(held.stopped_by_hand, "{held:?}");
    assert_eq!(held.stack_id, stopped.stack_id);

    // `enabled` with autoscaling never reaches the deployer: the payload is refused.
    let error = ModelUpdate::from_json_value(
        &json!({"enabled": false, "autoScalingInstanceConfig": {"minCapacity": 1}}),
    )
    .expect_err("mutually exclusive");
    assert!(error.to_string().contains("enabled"), "{error}");

    // A bootstrap config with a typo.
    let error = lisa_constructs::environment::Environment::from_json_str(
        r#"{"deploymentName": "x", "vpcID": "vpc-0123456789abcdef0"}"#,
    )
    .expect_err("typo");
    assert!(
        error.to_string().contains("did you mean \"vpcId\""),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_that_fails_to_create_leaves_a_failed_model_that_can_be_deleted() {
    let d = deployment("fail").await;
    d.registrar
        .fail("broken", "LiteLLM answered 500 Internal Server Error");
    d.deployer
        .create(litellm_only("broken"))
        .await
        .expect("create starts");
    let record = settle(&d, "broken").await;
    assert_eq!(record.status, ModelStatus::Failed);
    let reason = record.failure_reason.as_deref().unwrap_or("");
    assert!(reason.contains("LiteLLM answered 500"), "{reason}");
    assert_eq!(
        serde_json::to_value(record.view()).expect("view")["failureReason"],
        reason
    );

    // A hosted model's reason: the stack's, plus ECS's for its last stopped task when there is one
    // (moto runs no tasks, so here only the stack's).
    d.registrar
        .fail("broken-hosted", "target group never became healthy");
    d.deployer
        .create(hosted("broken-hosted"))
        .await
        .expect("create starts");
    let hosted_record = settle(&d, "broken-hosted").await;
    assert_eq!(hosted_record.status, ModelStatus::Failed);
    assert!(
        hosted_record
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("never became healthy"),
        "{hosted_record:?}"
    );

    // A failed model can only be deleted.
    let error = d
        .deployer
        .update("broken", &update(json!({"streaming": false})))
        .await
        .expect_err("update");
    assert!(error.to_string().contains("Failed"), "{error}");
    d.deployer.delete("broken").await.expect("delete");
    let waited = d.deployer.wait("broken", &mut |_| {}).await.expect("wait");
    assert!(matches!(waited, Waited::Deleted), "{waited:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_endpoint_going_away_mid_operation_is_a_clear_error_and_the_next_read_reconciles() {
    let d = deployment("gone").await;
    d.registrar.pause(true);
    d.deployer
        .create(hosted("mistral"))
        .await
        .expect("create starts");

    // The same deployment through an endpoint that no longer answers.
    let dead = Clients::from_config(&sdk_config("http://127.0.0.1:9").await);
    let bootstrap = read_bootstrap(&d.clients, &d.name)
        .await
        .expect("bootstrap outputs");
    let cut_off = Deployer::new(dead, options(&d.name), bootstrap);
    let error = cut_off
        .wait("mistral", &mut |_| {})
        .await
        .expect_err("unreachable");
    assert!(matches!(error, DeployError::Aws { .. }), "{error:?}");
    assert!(error.to_string().contains("failed"), "{error}");

    // The registry still says Creating; once the stack settles, the next read knows.
    assert_eq!(
        d.deployer.get("mistral").await.expect("get").status,
        ModelStatus::Creating
    );
    d.registrar.pause(false);
    assert_eq!(settle(&d, "mistral").await.status, ModelStatus::InService);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_writes_over_one_version_exactly_one_wins() {
    let d = deployment("race").await;
    d.deployer
        .create(litellm_only("titan"))
        .await
        .expect("create");
    let record = settle(&d, "titan").await;
    let table = read_bootstrap(&d.clients, &d.name)
        .await
        .expect("outputs")
        .registry_table_name;
    let registry = Registry::new(d.clients.dynamodb.clone(), table);
    let attempts = (0..8).map(|i| {
        let mut next = record.clone();
        next.failure_reason = Some(format!("writer {i}"));
        let registry = registry.clone();
        tokio::spawn(async move { registry.replace(next).await })
    });
    let mut wins = 0;
    for attempt in attempts {
        match attempt.await.expect("joined") {
            Ok(_) => wins += 1,
            Err(WriteError::Conflict) => {}
            Err(WriteError::Failed(error)) => panic!("{error}"),
        }
    }
    assert_eq!(wins, 1);

    // Two updates through the deployer: never both from the same version.
    let now = d.deployer.get("titan").await.expect("get");
    let (first, second) = (
        update(json!({"streaming": false})),
        update(json!({"modelType": "embedding"})),
    );
    let (a, b) = tokio::join!(
        d.deployer.update("titan", &first),
        d.deployer.update("titan", &second),
    );
    for result in [&a, &b] {
        if let Err(error) = result {
            assert!(
                matches!(
                    error,
                    DeployError::Conflict { .. } | DeployError::Refused { .. }
                ),
                "{error:?}"
            );
        }
    }
    let after = settle(&d, "titan").await;
    let winners = [&a, &b].iter().filter(|r| r.is_ok()).count() as u64;
    assert!(winners >= 1);
    assert!(after.version > now.version);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stacks_deleted_behind_the_registry_s_back() {
    let d = deployment("behind").await;
    for id in ["alpha", "beta"] {
        d.deployer.create(litellm_only(id)).await.expect("create");
        assert_eq!(settle(&d, id).await.status, ModelStatus::InService);
        d.clients
            .cloudformation
            .delete_stack()
            .stack_name(format!("{}-{id}", d.name))
            .send()
            .await
            .expect("delete behind the back");
        until_gone(&d, id).await;
    }
    // A read finds out.
    let record = d.deployer.get("alpha").await.expect("get");
    assert_eq!(record.status, ModelStatus::Failed);
    assert!(
        record
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("no longer exists")
    );
    // Deleting a model whose stack is gone removes the record.
    assert!(d.deployer.delete("beta").await.expect("delete").is_none());
    assert!(d.deployer.delete("alpha").await.expect("delete").is_none());
    assert!(d.deployer.list().await.expect("list").is_empty());
}

async fn subnets_in(clients: &Clients, zones: &[&str]) -> Vec<String> {
    common::network_in(clients, zones).await.1
}

fn on_instance(instance_type: &str) -> lisa_constructs::model::ModelDefinition {
    let mut value = serde_json::to_value(hosted("sized")).expect("json");
    value["instanceType"] = json!(instance_type);
    lisa_constructs::model::ModelDefinition::from_json_value(&value).expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflight_refuses_what_cannot_run_and_warns_on_an_unreadable_quota() {
    use lisa_deploy::preflight_model;
    let clients = clients().await;

    // Offered in two zones of the subnets; moto has no EC2 quotas: a warning, not a refusal.
    let good = subnets_in(&clients, &["us-east-1a", "us-east-1b"]).await;
    let warnings = preflight_model(&clients, &on_instance("g5.xlarge"), &good)
        .await
        .expect("passes");
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("could not read the vCPU quota"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("L-DB2E81BA"), "{warnings:?}");

    // g6e.12xlarge is offered in us-east-1a..d only (moto's offerings, like AWS's).
    let far = subnets_in(&clients, &["us-east-1e", "us-east-1f"]).await;
    let error = preflight_model(&clients, &on_instance("g6e.12xlarge"), &far)
        .await
        .expect_err("not offered in the subnets' zones");
    assert!(matches!(error, DeployError::Preflight(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains("at least two Availability Zones"),
        "{error}"
    );
    let mixed = subnets_in(&clients, &["us-east-1a", "us-east-1e"]).await;
    assert!(
        preflight_model(&clients, &on_instance("g6e.12xlarge"), &mixed)
            .await
            .is_err()
    );

    // A region that does not offer the type: refused before any call.
    let elsewhere = Clients {
        region: "eu-west-1".to_owned(),
        ..clients.clone()
    };
    let error = preflight_model(&elsewhere, &on_instance("g6.xlarge"), &good)
        .await
        .expect_err("not in the region");
    assert!(
        error.to_string().contains("not offered in eu-west-1"),
        "{error}"
    );

    // LiteLLM-only models have nothing to check.
    assert!(
        preflight_model(&clients, &litellm_only("t"), &[])
            .await
            .expect("nothing")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_over_the_inline_limit_goes_through_the_bootstrap_bucket() {
    let d = deployment("large").await;
    let options = lisa_deploy::DeployerOptions {
        inline_limit: 512,
        ..options(&d.name)
    };
    let deployer = Deployer::connect(d.clients.clone(), options)
        .await
        .expect("connect");
    deployer.create(hosted("big")).await.expect("create");
    let record = match deployer.wait("big", &mut |_| {}).await.expect("wait") {
        Waited::Settled(record) => *record,
        Waited::Deleted => panic!("deleted"),
    };
    assert_eq!(record.status, ModelStatus::InService);
    let bucket = read_bootstrap(&d.clients, &d.name)
        .await
        .expect("outputs")
        .artifacts_bucket_name;
    let listed = d
        .clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(format!("templates/{}-big/", d.name))
        .send()
        .await
        .expect("list");
    assert_eq!(listed.contents().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_that_rolls_back_cleanly_leaves_the_model_in_service_as_it_was() {
    let d = deployment("rollback").await;
    d.deployer
        .create(litellm_only("titan"))
        .await
        .expect("create");
    let before = settle(&d, "titan").await;
    assert_eq!(before.definition.streaming, Some(true));

    let updating = d
        .deployer
        .update("titan", &update(json!({"streaming": false})))
        .await
        .expect("update starts");
    assert_eq!(updating.status, ModelStatus::Updating);
    // moto updates at once and never rolls back: make the stack look like a clean rollback.
    let url = format!(
        "{}/moto-api/fault/update-rollback?stack={}-titan",
        endpoint(),
        d.name
    );
    let response = reqwest::Client::new()
        .post(url)
        .body("Registration: LiteLLM refused the change")
        .send()
        .await
        .expect("inject");
    assert!(response.status().is_success());

    let after = settle(&d, "titan").await;
    assert_eq!(after.status, ModelStatus::InService, "{after:?}");
    assert_eq!(
        after.definition, before.definition,
        "the deployed definition is kept"
    );
    assert!(after.previous_definition.is_none());
    assert!(
        after
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("LiteLLM refused the change"),
        "the reason is kept: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_never_adopts_a_stack_it_did_not_make() {
    let d = deployment("adopt").await;
    let foreign = serde_json::json!({
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}
    });
    d.clients
        .cloudformation
        .create_stack()
        .stack_name(format!("{}-titan", d.name))
        .template_body(foreign.to_string())
        .send()
        .await
        .expect("someone else's stack");
    let error = d
        .deployer
        .create(litellm_only("titan"))
        .await
        .expect_err("refused");
    assert!(
        error
            .to_string()
            .contains("no model in the registry has it"),
        "{error}"
    );
    assert_eq!(
        refusal(d.deployer.get("titan").await.expect_err("no record")),
        Refusal::NotFound
    );
}

/// The bootstrap stack runs the deployment gate from the registration code, and every hosted
/// model's stack is given it, so its blue/green deployments are gated and its test listener
/// admits the gate alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_model_s_deployments_are_gated_by_its_deployment_s_gate() {
    let d = deployment("gated").await;
    let outputs = d.deployer.bootstrap_outputs();
    let gate = outputs
        .gate_function_arn
        .clone()
        .expect("the bootstrap stack reports its gate");
    let group = outputs
        .gate_security_group_id
        .clone()
        .expect("and the gate's security group");
    assert!(
        gate.ends_with(&format!(":function:{}-gate", d.name)),
        "{gate}"
    );
    d.deployer.create(hosted("gpu")).await.expect("create");
    assert_eq!(settle(&d, "gpu").await.status, ModelStatus::InService);
    let described = d
        .clients
        .cloudformation
        .describe_stacks()
        .stack_name(format!("{}-gpu", d.name))
        .send()
        .await
        .expect("describe");
    let parameter = |name: &str| {
        described.stacks()[0]
            .parameters()
            .iter()
            .find(|p| p.parameter_key() == Some(name))
            .and_then(|p| p.parameter_value())
            .map(str::to_owned)
    };
    assert_eq!(parameter("GateFunctionArn"), Some(gate));
    assert_eq!(parameter("GateSecurityGroupId"), Some(group));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_model_stack_carries_the_deployment_mark_and_acts_with_its_stack_role() {
    let d = deployment("role").await;
    let role = d
        .deployer
        .bootstrap_outputs()
        .model_stack_role_arn
        .clone()
        .expect("the bootstrap stack gives the role model stacks act with");
    d.deployer
        .create(litellm_only("titan"))
        .await
        .expect("create");
    outcome(&d, "titan").await.expect("created");
    let described = d
        .clients
        .cloudformation
        .describe_stacks()
        .stack_name(format!("{}-titan", d.name))
        .send()
        .await
        .expect("describe");
    let stack = &described.stacks()[0];
    assert_eq!(stack.role_arn(), Some(role.as_str()), "{stack:?}");
    assert!(
        stack
            .tags()
            .iter()
            .any(|t| t.key() == Some(lisa_deploy::DEPLOYMENT_TAG)
                && t.value() == Some(d.name.as_str())),
        "{stack:?}"
    );
}
