//! Model schedules against moto's server: the schedules a model's stack gets (read back through
//! the EventBridge Scheduler API moto's launcher backs them with), scheduled transitions through
//! the lifecycle, a busy model's skip, the manual-stop rule, and schedules deleted with the model.

mod common;

use common::*;
use lisa_constructs::ecs_model::schedule::LifecycleEvent;
use lisa_constructs::model::schedule::{Schedule, Transition};
use lisa_constructs::model::{ModelDefinition, ModelRecord, ModelStatus, RunOutcome};
use lisa_deploy::lifecycle::ScheduleRetry;
use serde_json::{Value, json};
use std::time::Duration;

/// A daily window across midnight in New York.
fn nightly() -> Value {
    json!({"timeZone": "America/New_York", "daily": {"startTime": "22:00", "stopTime": "06:00"}})
}

fn scheduled(model_id: &str, schedule: Value) -> ModelDefinition {
    let mut value = serde_json::to_value(litellm_only(model_id)).expect("json");
    value["schedule"] = schedule;
    ModelDefinition::from_json_value(&value).expect("valid")
}

fn event(model_id: &str, action: Transition) -> LifecycleEvent {
    LifecycleEvent {
        model_id: model_id.to_owned(),
        action,
        scheduled_time: Some("2026-12-05T11:00:00Z".to_owned()),
    }
}

/// One call to moto's EventBridge Scheduler API (REST-JSON; moto reads the service from the
/// credential scope and checks no signature).
async fn scheduler(path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", endpoint()))
        .header(
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=testing/20261205/{REGION}/scheduler/aws4_request, SignedHeaders=host, Signature=0"
            ),
        )
        .send()
        .await
        .expect("scheduler call");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// The schedules of a model's stack, by logical id: (expression, zone, target input).
async fn schedules_of(d: &Deployment, model_id: &str) -> Vec<(String, String, String, Value)> {
    let stack = format!("{}-{model_id}", d.name);
    let resources = d
        .clients
        .cloudformation
        .describe_stack_resources()
        .stack_name(&stack)
        .send()
        .await;
    let Ok(resources) = resources else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for resource in resources.stack_resources() {
        if resource.resource_type() != Some("AWS::Scheduler::Schedule") {
            continue;
        }
        let name = resource.physical_resource_id().unwrap_or_default();
        let schedule = scheduler(&format!("/schedules/{name}")).await;
        let input: Value =
            serde_json::from_str(schedule["Target"]["Input"].as_str().unwrap_or("null"))
                .expect("input is JSON");
        found.push((
            resource
                .logical_resource_id()
                .unwrap_or_default()
                .to_owned(),
            schedule["ScheduleExpression"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            schedule["ScheduleExpressionTimezone"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            input,
        ));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Names of every schedule moto holds.
async fn all_schedule_names() -> Vec<String> {
    let listed = scheduler("/schedules?MaxResults=100").await;
    listed["Schedules"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|s| s["Name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn settled(d: &Deployment, model_id: &str) -> ModelRecord {
    outcome(d, model_id).await.expect("not deleted")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_across_midnight_gets_its_schedules_and_loses_them_with_the_model() {
    let d = deployment("nightly").await;
    d.deployer
        .create(scheduled("nightly", nightly()))
        .await
        .expect("create");
    assert_eq!(settled(&d, "nightly").await.status, ModelStatus::InService);

    let schedules = schedules_of(&d, "nightly").await;
    assert_eq!(schedules.len(), 2, "{schedules:?}");
    let (start, stop) = (&schedules[0], &schedules[1]);
    assert!(start.0.starts_with("Schedulestart2200daily"), "{start:?}");
    assert_eq!(start.1, "cron(0 22 * * ? *)");
    assert_eq!(start.2, "America/New_York");
    assert_eq!(start.3["modelId"], "nightly");
    assert_eq!(start.3["action"], "start");
    assert!(stop.0.starts_with("Schedulestop0600daily"), "{stop:?}");
    assert_eq!(stop.1, "cron(0 6 * * ? *)");
    assert_eq!(stop.3["action"], "stop");

    let names: Vec<String> = {
        let stack = format!("{}-nightly", d.name);
        let resources = d
            .clients
            .cloudformation
            .describe_stack_resources()
            .stack_name(&stack)
            .send()
            .await
            .expect("resources");
        resources
            .stack_resources()
            .iter()
            .filter(|r| r.resource_type() == Some("AWS::Scheduler::Schedule"))
            .filter_map(|r| r.physical_resource_id().map(str::to_owned))
            .collect()
    };
    assert_eq!(names.len(), 2);
    let before = all_schedule_names().await;
    assert!(
        names.iter().all(|n| before.contains(n)),
        "{names:?} in {before:?}"
    );

    d.deployer.delete("nightly").await.expect("delete");
    assert!(outcome(&d, "nightly").await.is_none(), "deleted");
    let after = all_schedule_names().await;
    assert!(
        names.iter().all(|n| !after.contains(n)),
        "{names:?} outlived the model: {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_stop_is_the_lifecycle_s_stop_and_a_scheduled_start_its_start() {
    let d = deployment("transitions").await;
    d.deployer
        .create(scheduled("night", nightly()))
        .await
        .expect("create");
    assert_eq!(settled(&d, "night").await.status, ModelStatus::InService);

    let run = d
        .deployer
        .run_scheduled(
            &event("night", Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect("scheduled stop");
    assert_eq!(run.outcome, RunOutcome::Done, "{run:?}");
    let stopped = settled(&d, "night").await;
    assert_eq!(stopped.status, ModelStatus::Stopped);
    assert!(!stopped.enabled);
    assert!(!stopped.stopped_by_hand, "stopped by the schedule");
    assert!(
        d.registrar.received("night", "Update", Some("false")).await,
        "the registration was disabled: {:?}",
        d.registrar.requests("night")
    );
    let view = stopped.to_api_json();
    assert_eq!(view["lastScheduledAction"]["action"], "stop");
    assert_eq!(view["lastScheduledAction"]["outcome"], "done");
    assert_eq!(
        view["lastScheduledAction"]["scheduledTime"],
        "2026-12-05T11:00:00Z"
    );

    // Stopping a stopped model does nothing, and says so.
    let again = d
        .deployer
        .run_scheduled(
            &event("night", Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect("second stop");
    assert_eq!(again.outcome, RunOutcome::Skipped);
    assert!(
        again
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("Stopped already")),
        "{again:?}"
    );

    let run = d
        .deployer
        .run_scheduled(
            &event("night", Transition::Start),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect("scheduled start");
    assert_eq!(run.outcome, RunOutcome::Done, "{run:?}");
    let started = settled(&d, "night").await;
    assert_eq!(started.status, ModelStatus::InService);
    assert!(started.enabled);
    assert!(d.registrar.received("night", "Update", Some("true")).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_start_of_an_updating_model_retries_then_records_the_skip() {
    let d = deployment("busy").await;
    d.deployer
        .create(scheduled("busy", nightly()))
        .await
        .expect("create");
    settled(&d, "busy").await;
    d.deployer
        .update("busy", &update(json!({"enabled": false})))
        .await
        .expect("stop");
    assert_eq!(settled(&d, "busy").await.status, ModelStatus::Stopped);

    // A schedule change of the stopped model holds it in Updating while the stack works.
    let stack = format!("{}-busy", d.name);
    fault(
        "delay",
        &format!("action=ExecuteChangeSet&seconds=6&match={stack}"),
        "",
    )
    .await;
    let office: Schedule = Schedule::from_json_value(&json!({
        "timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "18:00"}
    }))
    .expect("valid");
    let changing = tokio::spawn({
        let deployer = d.deployer.clone();
        async move { deployer.set_schedule("busy", Some(office)).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        d.deployer.get("busy").await.expect("get").status,
        ModelStatus::Updating,
        "the schedule change is under way"
    );

    let run = d
        .deployer
        .run_scheduled(
            &event("busy", Transition::Start),
            &ScheduleRetry::within(Duration::from_secs(2)),
        )
        .await
        .expect("scheduled start");
    assert_eq!(run.outcome, RunOutcome::Skipped, "{run:?}");
    let reason = run.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("Updating") && reason.contains("gave up after"),
        "{reason}"
    );
    let tries: u32 = reason
        .split("gave up after ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(tries >= 2, "retried: {reason}");

    changing.await.expect("joined").expect("schedule change");
    let record = settled(&d, "busy").await;
    assert_eq!(
        record.status,
        ModelStatus::Stopped,
        "a stopped model stays stopped"
    );
    assert_eq!(
        record.last_scheduled_run.as_ref(),
        Some(&run),
        "the skip is recorded"
    );
    assert_eq!(
        record.to_api_json()["lastScheduledAction"]["outcome"],
        "skipped"
    );
    assert_eq!(
        record
            .definition
            .schedule
            .as_ref()
            .map(|s| s.time_zone().as_str()),
        Some("Europe/Berlin")
    );
    let schedules = schedules_of(&d, "busy").await;
    assert_eq!(
        schedules.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        ["cron(0 8 * * ? *)", "cron(0 18 * * ? *)"],
        "{schedules:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_by_hand_holds_against_scheduled_starts_unless_the_schedule_says_otherwise() {
    let d = deployment("manual").await;
    let mut resuming = nightly();
    resuming["resumeAfterManualStop"] = json!(true);
    for (model_id, schedule) in [("holds", nightly()), ("resumes", resuming)] {
        d.deployer
            .create(scheduled(model_id, schedule))
            .await
            .expect("create");
        settled(&d, model_id).await;
        d.deployer
            .update(model_id, &update(json!({"enabled": false})))
            .await
            .expect("stop by hand");
        let record = settled(&d, model_id).await;
        assert!(record.stopped_by_hand);
    }
    let retry = ScheduleRetry::within(Duration::from_secs(2));

    let held = d
        .deployer
        .run_scheduled(&event("holds", Transition::Start), &retry)
        .await
        .expect("scheduled start");
    assert_eq!(held.outcome, RunOutcome::Skipped);
    assert!(
        held.reason
            .as_deref()
            .is_some_and(|r| r.contains("stopped by hand")),
        "{held:?}"
    );
    assert_eq!(settled(&d, "holds").await.status, ModelStatus::Stopped);

    let resumed = d
        .deployer
        .run_scheduled(&event("resumes", Transition::Start), &retry)
        .await
        .expect("scheduled start");
    assert_eq!(resumed.outcome, RunOutcome::Done, "{resumed:?}");
    assert_eq!(settled(&d, "resumes").await.status, ModelStatus::InService);

    // Started by hand, the model is the schedule's again.
    d.deployer
        .update("holds", &update(json!({"enabled": true})))
        .await
        .expect("start by hand");
    let record = settled(&d, "holds").await;
    assert!(!record.stopped_by_hand);
    let stop = d
        .deployer
        .run_scheduled(&event("holds", Transition::Stop), &retry)
        .await
        .expect("scheduled stop");
    assert_eq!(stop.outcome, RunOutcome::Done);
    settled(&d, "holds").await;
    let start = d
        .deployer
        .run_scheduled(&event("holds", Transition::Start), &retry)
        .await
        .expect("scheduled start");
    assert_eq!(start.outcome, RunOutcome::Done, "{start:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_for_a_model_that_is_gone_changes_nothing() {
    let d = deployment("gone").await;
    let run = d
        .deployer
        .run_scheduled(
            &event("nobody", Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(1)),
        )
        .await
        .expect("run");
    assert_eq!(run.outcome, RunOutcome::Skipped);
    assert_eq!(run.reason.as_deref(), Some("no such model"));
    assert!(d.deployer.list().await.expect("list").is_empty());
}
