//! The lifecycle under faults moto never produces on its own, injected through moto's launcher
//! (`scripts/moto-server.py`): AWS calls held back, an operation whose process died before its
//! stack moved, stacks stuck in UPDATE_ROLLBACK_FAILED or DELETE_FAILED, a stored record that
//! today's rules refuse. Each test checks that the registry and the stacks agree afterwards.

mod common;

use common::*;
use lisa_constructs::model::ModelStatus;
use lisa_deploy::{Deployer, DeployerOptions, Listed};
use serde_json::json;
use std::time::Duration;

/// A deployer that takes an operation for dead when its record is older than `stale_after`.
async fn impatient(d: &Deployment, stale_after: Duration) -> Deployer {
    Deployer::connect(
        d.clients.clone(),
        DeployerOptions {
            stale_after,
            ..options(&d.name)
        },
    )
    .await
    .expect("connect")
}

async fn in_service(d: &Deployment, model_id: &str) -> lisa_constructs::model::ModelRecord {
    d.deployer
        .create(litellm_only(model_id))
        .await
        .expect("create");
    let record = outcome(d, model_id).await.expect("created");
    assert_eq!(record.status, ModelStatus::InService);
    record
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_before_the_change_set_runs_does_not_take_the_old_stack_as_the_outcome() {
    let d = deployment("window").await;
    let before = in_service(&d, "titan").await;
    assert_eq!(before.definition.streaming, Some(true));

    // The update's ExecuteChangeSet reaches CloudFormation 3 s late: meanwhile the registry says
    // Updating and the stack is still settled from the create.
    fault(
        "delay",
        &format!("action=ExecuteChangeSet&seconds=3&match={}-titan", d.name),
        "",
    )
    .await;
    let deployer = d.deployer.clone();
    let updating = tokio::spawn(async move {
        deployer
            .update("titan", &update(json!({"streaming": false})))
            .await
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let seen = d.deployer.get("titan").await.expect("get");
    assert_eq!(
        seen.status,
        ModelStatus::Updating,
        "the update has not reached its stack yet: {seen:?}"
    );

    updating.await.expect("joined").expect("update starts");
    let after = outcome(&d, "titan").await.expect("settled");
    assert_eq!(after.status, ModelStatus::InService, "{after:?}");
    assert_eq!(after.definition.streaming, Some(false), "{after:?}");
    assert!(
        d.registrar.received("titan", "Update", None).await,
        "the stack really was updated"
    );
}

/// ExecuteChangeSet fails with an answer that cannot be read (a 500 without a body, through
/// every attempt of the SDK) after CloudFormation took the call: the update reads the change
/// set back, finds it running, and goes on; it is not reported as an outage while the stack
/// changes. Failing before the call took effect, the change set is still available and is
/// executed once more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_execute_change_set_is_read_back_not_taken_for_a_failure() {
    let d = deployment("garble").await;
    in_service(&d, "titan").await;
    fault(
        "garble",
        &format!("action=ExecuteChangeSet&count=5&match={}-titan", d.name),
        "",
    )
    .await;
    d.deployer
        .update("titan", &update(json!({"streaming": false})))
        .await
        .expect("the update goes on");
    let after = outcome(&d, "titan").await.expect("settled");
    assert_eq!(after.status, ModelStatus::InService, "{after:?}");
    assert_eq!(after.definition.streaming, Some(false), "{after:?}");

    // Lost before it took effect: the change set is still available and runs at the second try.
    fault(
        "drop",
        &format!("action=ExecuteChangeSet&count=5&match={}-titan", d.name),
        "",
    )
    .await;
    d.deployer
        .update("titan", &update(json!({"streaming": true})))
        .await
        .expect("executed once more");
    let after = outcome(&d, "titan").await.expect("settled");
    assert_eq!(after.definition.streaming, Some(true), "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_whose_process_died_before_its_change_set_leaves_the_model_serving() {
    let d = deployment("stale").await;
    let before = in_service(&d, "titan").await;
    let deployer = impatient(&d, Duration::from_secs(1)).await;

    // The process dies between the registry write (Stopping) and ExecuteChangeSet: its
    // CreateChangeSet is held back and the task is dropped while it waits.
    fault(
        "delay",
        &format!("action=CreateChangeSet&seconds=2&match={}-titan", d.name),
        "",
    )
    .await;
    let stopping = {
        let deployer = deployer.clone();
        tokio::spawn(async move {
            deployer
                .update("titan", &update(json!({"enabled": false})))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(700)).await;
    stopping.abort();
    // The impatient reader watches the record stand unchanged for longer than its
    // `stale_after`, by its own clock.
    let first = deployer.get("titan").await.expect("get");
    assert_eq!(first.status, ModelStatus::Stopping, "{first:?}");
    tokio::time::sleep(Duration::from_millis(3000)).await;

    let record = deployer.get("titan").await.expect("get");
    assert_eq!(
        record.status,
        ModelStatus::InService,
        "the stop never reached the stack, whose instances still serve: {record:?}"
    );
    assert!(record.enabled, "{record:?}");
    assert_eq!(record.definition, before.definition);
    assert!(record.previous_definition.is_none(), "{record:?}");
    assert_eq!(
        stack_status(&d, "titan").await.as_deref(),
        Some("CREATE_COMPLETE")
    );
    assert!(
        !d.registrar
            .requests("titan")
            .iter()
            .any(|(kind, _)| kind == "Update"),
        "nothing was deployed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operation_given_up_while_alive_never_executes_its_change_set() {
    let d = deployment("fence").await;
    let before = in_service(&d, "titan").await;
    assert_eq!(before.definition.streaming, Some(true));
    let impatient = impatient(&d, Duration::from_secs(1)).await;

    // The update's change set takes 3 s to be made (throttling, a slow upload): longer than the
    // impatient reader waits before it takes the operation for dead. The operation is alive
    // and goes on once its change set exists.
    fault(
        "delay",
        &format!("action=CreateChangeSet&seconds=3&match={}-titan", d.name),
        "",
    )
    .await;
    let updating = {
        let deployer = d.deployer.clone();
        tokio::spawn(async move {
            deployer
                .update("titan", &update(json!({"streaming": false})))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = impatient.get("titan").await.expect("get");
    assert_eq!(seen.status, ModelStatus::Updating, "{seen:?}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let given_back = impatient.get("titan").await.expect("get");
    assert_eq!(given_back.status, ModelStatus::InService, "{given_back:?}");
    assert_eq!(given_back.definition.streaming, Some(true));

    let answer = updating.await.expect("joined");
    assert!(
        matches!(answer, Err(lisa_deploy::DeployError::Conflict { .. })),
        "the operation learns it lost the model: {answer:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The registry and the stack agree: the stack never ran the update the registry gave up.
    let record = d.deployer.get("titan").await.expect("get");
    assert_eq!(record.status, ModelStatus::InService, "{record:?}");
    assert_eq!(record.definition.streaming, Some(true), "{record:?}");
    assert_eq!(
        stack_status(&d, "titan").await.as_deref(),
        Some("CREATE_COMPLETE"),
        "the stack was updated although the registry gave the update up"
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !d.registrar
            .requests("titan")
            .iter()
            .any(|(kind, _)| kind == "Update"),
        "the registration was updated although the registry gave the update up"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_during_creating_leaves_no_stack_without_a_record() {
    let d = deployment("delcreate").await;
    // The create's first call that makes a stack (its change set) arrives 3 s late: a delete
    // meanwhile finds no stack by the model's name.
    fault(
        "delay",
        &format!("action=CreateChangeSet&seconds=3&match={}-titan", d.name),
        "",
    )
    .await;
    let creating = {
        let deployer = d.deployer.clone();
        tokio::spawn(async move { deployer.create(litellm_only("titan")).await })
    };
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let deleted = d.deployer.delete("titan").await;
    let created = creating.await.expect("joined");
    eprintln!("delete during the create: {deleted:?}; create: {created:?}");

    // Whatever each request answered, the registry and the stacks agree once things settle.
    let record = match d.deployer.get("titan").await {
        Ok(_) => outcome(&d, "titan").await,
        Err(_) => None,
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stack = stack_status(&d, "titan").await;
    match (&record, stack.as_deref()) {
        (None, None | Some("DELETE_COMPLETE")) => {}
        (Some(record), Some("CREATE_COMPLETE")) => {
            assert_eq!(record.status, ModelStatus::InService, "{record:?}");
        }
        (record, stack) => panic!("registry {record:?} and stack {stack:?} disagree"),
    }
    if let Err(error) = &deleted {
        assert!(error.to_string().contains("try again"), "{error}");
    }

    // And the model can be deleted once its create has settled.
    if record.is_some() {
        d.deployer.delete("titan").await.expect("delete");
        assert!(outcome(&d, "titan").await.is_none());
        assert_eq!(stack_status(&d, "titan").await, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_that_rolls_back_cleanly_leaves_the_model_serving() {
    let d = deployment("stoprb").await;
    let before = in_service(&d, "titan").await;
    d.deployer
        .update("titan", &update(json!({"enabled": false})))
        .await
        .expect("stop starts");
    fault(
        "update-rollback",
        &format!("stack={}-titan", d.name),
        "Registration: LiteLLM refused the change",
    )
    .await;
    let after = outcome(&d, "titan").await.expect("settled");
    assert_eq!(after.status, ModelStatus::InService, "{after:?}");
    assert!(after.enabled);
    assert_eq!(after.definition, before.definition);
    assert!(
        after
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("LiteLLM refused the change"),
        "{after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_whose_rollback_failed_is_rolled_back_to_the_model_it_was() {
    let d = deployment("rbfailed").await;
    let before = in_service(&d, "titan").await;
    d.deployer
        .update("titan", &update(json!({"streaming": false})))
        .await
        .expect("update starts");
    fault(
        "update-rollback-failed",
        &format!("stack={}-titan&resource=Registration", d.name),
        "LiteLLM did not answer the rollback",
    )
    .await;
    let after = outcome(&d, "titan").await.expect("settled");
    assert_eq!(after.status, ModelStatus::InService, "{after:?}");
    assert_eq!(after.definition, before.definition, "{after:?}");
    assert!(
        after
            .failure_reason
            .as_deref()
            .unwrap_or("")
            .contains("LiteLLM did not answer the rollback"),
        "{after:?}"
    );
    assert_eq!(
        stack_status(&d, "titan").await.as_deref(),
        Some("UPDATE_ROLLBACK_COMPLETE")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_whose_delete_failed_is_deleted_keeping_the_resource_that_failed() {
    let d = deployment("delfailed").await;
    let stack_id = in_service(&d, "titan").await.stack_id.expect("stack id");
    // A delete that failed on the registration: every plain delete fails on it again.
    fault(
        "delete-failed",
        &format!("stack={}-titan&resource=Registration", d.name),
        "LiteLLM refused to remove the model",
    )
    .await;
    d.deployer.delete("titan").await.expect("delete starts");
    let first = outcome(&d, "titan").await;
    if let Some(record) = &first {
        assert_eq!(record.status, ModelStatus::Failed);
        // A Failed model can only be deleted: that must be a way out.
        d.deployer.delete("titan").await.expect("delete again");
        let second = outcome(&d, "titan").await;
        assert!(second.is_none(), "the delete failed again: {second:?}");
    }
    assert!(d.deployer.get("titan").await.is_err(), "record removed");
    assert_eq!(stack_status(&d, "titan").await, None, "stack gone");
    // The resource that could not be deleted is kept, and the stack's events say so.
    let events = d
        .deployer
        .stacks()
        .events(&stack_id, 100)
        .await
        .expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.logical_id == "Registration" && e.status == "DELETE_SKIPPED"),
        "{events:?}"
    );
}

/// Rewrites the stored definition of a model as a newer version with tighter rules would find
/// it: a field today's reader refuses.
async fn tighten_the_rules_under(d: &Deployment, model_id: &str) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let table = lisa_deploy::read_bootstrap(&d.clients, &d.name)
        .await
        .expect("outputs")
        .registry_table_name;
    let key = lisa_constructs::bootstrap::REGISTRY_KEY;
    let item = d
        .clients
        .dynamodb
        .get_item()
        .table_name(&table)
        .key(key, AttributeValue::S(model_id.to_owned()))
        .consistent_read(true)
        .send()
        .await
        .expect("get item")
        .item
        .expect("stored");
    let mut definition: serde_json::Value =
        serde_json::from_str(item["definition"].as_s().expect("text")).expect("json");
    definition["retiredField"] = json!("written by an older version");
    let mut item = item;
    item.insert(
        "definition".to_owned(),
        AttributeValue::S(definition.to_string()),
    );
    d.clients
        .dynamodb
        .put_item()
        .table_name(&table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put item");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_record_is_listed_flagged_and_can_be_deleted() {
    let d = deployment("unreadable").await;
    in_service(&d, "good").await;
    in_service(&d, "bad").await;
    tighten_the_rules_under(&d, "bad").await;

    let listed = d
        .deployer
        .list()
        .await
        .expect("one unreadable record does not fail the list");
    assert_eq!(listed.len(), 2, "{listed:?}");
    let Listed::Unreadable(flagged) = &listed[0] else {
        panic!("bad is flagged: {listed:?}");
    };
    assert_eq!(flagged.model_id, "bad");
    assert_eq!(flagged.status, Some(ModelStatus::InService));
    assert!(flagged.reason.contains("retiredField"), "{flagged:?}");
    assert_eq!(
        listed[1].record().map(|r| r.status),
        Some(ModelStatus::InService),
        "the readable model is listed as ever"
    );
    let error = d.deployer.get("bad").await.expect_err("unreadable");
    assert!(error.to_string().contains("retiredField"), "{error}");

    d.deployer
        .delete("bad")
        .await
        .expect("an unreadable record can be deleted");
    assert!(outcome(&d, "bad").await.is_none(), "deleted");
    let listed = d.deployer.list().await.expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].model_id(), "good");
    assert_eq!(stack_status(&d, "bad").await, None, "its stack is gone too");
    assert!(d.registrar.received("bad", "Delete", None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_that_overtakes_a_starting_stop_is_the_one_that_happens() {
    let d = deployment("overtake").await;
    in_service(&d, "titan").await;

    // The stop's change set exists but reaches ExecuteChangeSet 3 s late; a delete (allowed
    // while Stopping) removes the stack meanwhile, and the change set with it.
    fault(
        "delay",
        &format!("action=ExecuteChangeSet&seconds=3&match={}-titan", d.name),
        "",
    )
    .await;
    let stopping = {
        let deployer = d.deployer.clone();
        tokio::spawn(async move {
            deployer
                .update("titan", &update(json!({"enabled": false})))
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(1500)).await;
    d.deployer.delete("titan").await.expect("delete starts");

    let stopped = stopping.await.expect("joined");
    assert!(
        matches!(stopped, Err(lisa_deploy::DeployError::Conflict { .. })),
        "the stop lost its model to the delete, a conflict rather than an AWS failure: {stopped:?}"
    );
    assert!(outcome(&d, "titan").await.is_none(), "the delete settles");
    assert_eq!(stack_status(&d, "titan").await, None);
}
