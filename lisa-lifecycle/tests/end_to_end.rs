//! The packaged function against moto's server (`LISA_MOTO_ENDPOINT`, started by
//! scripts/test.sh; the package from `LISA_LIFECYCLE_ZIP`): a deployment bootstrapped with the
//! lifecycle function's code, a LiteLLM-only model with a schedule whose stop fell due a minute
//! ago, and the function, run as Lambda runs it (on its own clock), given the stop the schedule
//! sends. Pinned to another deployment, it cannot reach the model (a skip, the model untouched);
//! given yesterday's stop, it refuses it and records the refusal; pinned to the model's and on
//! time, it stops the model through the lifecycle, and the outcome it reports is the one
//! recorded on the model.

mod support;

use lisa_constructs::bootstrap::lifecycle::ENV_RETRY_SECONDS;
use lisa_constructs::ecs_model::registration::function::ENV_DEPLOYMENT_NAME;
use lisa_constructs::model::schedule::Timestamp;
use lisa_constructs::model::{ModelDefinition, ModelStatus, RunOutcome};
use lisa_deploy::Registry;
use lisa_deploy::{Deployer, Waited};
use serde_json::{Value, json};
use support::moto::{self, Registrar};
use support::*;

/// The example model with a schedule, under another id, its window moved so that its stop fell
/// due at `stop` (UTC, a whole minute) and its start three hours before.
fn scheduled_model(model_id: &str, stop: Timestamp) -> ModelDefinition {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models/titan-office-hours.json");
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the example")).expect("JSON");
    value["modelId"] = json!(model_id);
    let start = Timestamp::from_second(stop.as_second() - 3 * 3600).expect("an instant");
    value["schedule"] = json!({
        "timeZone": "UTC",
        "daily": {
            "startTime": start.strftime("%H:%M").to_string(),
            "stopTime": stop.strftime("%H:%M").to_string(),
        },
    });
    ModelDefinition::from_json_value(&value).expect("a valid definition")
}

/// The whole minute before the last one: a stop due then is a minute or two old now.
fn a_minute_ago() -> Timestamp {
    let second = Timestamp::now().as_second() - 60;
    Timestamp::from_second(second - second.rem_euclid(60)).expect("an instant")
}

async fn settled(deployer: &Deployer, model_id: &str) -> lisa_constructs::model::ModelRecord {
    match deployer.wait(model_id, &mut |_| {}).await.expect("wait") {
        Waited::Settled(record) => *record,
        Waited::Deleted => panic!("{model_id} was deleted"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_function_stops_a_scheduled_model_of_its_own_deployment_only() {
    let (_dir, bootstrap) = unpack();
    let zip = std::fs::read(zip_path()).expect("the package");
    let name = moto::unique("stop");
    let other = moto::unique("other");
    let deployer = moto::deployment(&name, &zip).await;
    moto::deployment(&other, &zip).await;
    let registrar = Registrar::start(&name);

    let model_id = "office-hours";
    let due = a_minute_ago();
    deployer
        .create(scheduled_model(model_id, due))
        .await
        .expect("create");
    let created = settled(&deployer, model_id).await;
    assert_eq!(created.status, ModelStatus::InService);

    let due_time = due.to_string();
    let stop = json!({
        "modelId": model_id,
        "action": "stop",
        "scheduledTime": due_time,
    });

    // Pinned to another deployment, the function cannot name this one's model.
    let foreign = invoke_packaged(
        &bootstrap,
        &stop,
        &moto::endpoint(),
        &[(ENV_DEPLOYMENT_NAME, &other), (ENV_RETRY_SECONDS, "30")],
    )
    .await;
    assert_eq!(
        foreign.kind, "response",
        "{}\n{}",
        foreign.body, foreign.log
    );
    assert_eq!(foreign.body["outcome"], "skipped", "{}", foreign.body);
    assert_eq!(
        deployer.get(model_id).await.expect("get").status,
        ModelStatus::InService
    );

    // Yesterday's stop: what the schedule wants now, but far too late to obey.
    let yesterday = Timestamp::from_second(due.as_second() - 24 * 3600).expect("an instant");
    let stale = json!({
        "modelId": model_id,
        "action": "stop",
        "scheduledTime": yesterday.to_string(),
    });
    let refused = invoke_packaged(
        &bootstrap,
        &stale,
        &moto::endpoint(),
        &[(ENV_DEPLOYMENT_NAME, &name), (ENV_RETRY_SECONDS, "30")],
    )
    .await;
    assert_eq!(
        refused.kind, "response",
        "{}\n{}",
        refused.body, refused.log
    );
    assert_eq!(refused.body["outcome"], "refused", "{}", refused.body);
    assert!(
        refused.body["reason"]
            .as_str()
            .is_some_and(|r| r.contains("is not obeyed")),
        "{}",
        refused.body
    );
    let record = deployer.get(model_id).await.expect("get");
    assert_eq!(record.status, ModelStatus::InService, "not stopped");
    let run = record.last_scheduled_run.expect("the refusal is recorded");
    assert_eq!(serde_json::to_value(&run).expect("JSON"), refused.body);

    let reported = invoke_packaged(
        &bootstrap,
        &stop,
        &moto::endpoint(),
        &[(ENV_DEPLOYMENT_NAME, &name), (ENV_RETRY_SECONDS, "30")],
    )
    .await;
    assert_eq!(
        reported.kind, "response",
        "{}\n{}",
        reported.body, reported.log
    );
    assert_eq!(reported.body["outcome"], "done", "{}", reported.body);
    assert_eq!(reported.body["action"], "stop");
    assert_eq!(reported.body["scheduledTime"], due_time.as_str());
    assert!(
        reported.log.contains(&format!(
            "scheduled stop of model {model_id} in deployment {name} due {due_time}: done"
        )),
        "{}",
        reported.log
    );

    settled(&deployer, model_id).await;
    let table = lisa_deploy::read_bootstrap(&moto::clients().await, &name)
        .await
        .expect("the bootstrap stack")
        .registry_table_name;
    let registry = Registry::new(moto::clients().await.dynamodb, table);
    let record = registry
        .get(model_id)
        .await
        .expect("the registry")
        .expect("the model's record");
    assert_eq!(record.status, ModelStatus::Stopped);
    assert!(!record.enabled);
    assert!(!record.stopped_by_hand, "a scheduled stop, not one by hand");
    let run = record.last_scheduled_run.expect("the run is recorded");
    assert_eq!(run.outcome, RunOutcome::Done);
    assert_eq!(serde_json::to_value(&run).expect("JSON"), reported.body);
    let disabled = registrar
        .seen
        .lock()
        .expect("not poisoned")
        .iter()
        .any(|e| e["RequestType"] == "Update" && e["ResourceProperties"]["Enabled"] == "false");
    assert!(disabled, "the registration was told the model is stopped");
}
