//! Model schedules against moto's server: the schedules a model's stack gets (read back through
//! the EventBridge Scheduler API moto's launcher backs them with), scheduled transitions through
//! the lifecycle, a busy model's skip, the manual-stop rule, and schedules deleted with the model.

mod common;

use common::*;
use lisa_constructs::model::schedule::{
    DueTransition, Schedule, ScheduledTime, Timestamp, Transition,
};
use lisa_constructs::model::{ModelDefinition, ModelId, ModelRecord, ModelStatus, RunOutcome};
use lisa_deploy::ScheduleRetry;
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

/// When the nightly schedule's transitions fell due: its stop at 06:00 and its start at 22:00
/// in New York (UTC-5 in December).
fn due_time(action: Transition) -> &'static str {
    match action {
        Transition::Stop => "2026-12-05T11:00:00Z",
        Transition::Start => "2026-12-06T03:00:00Z",
    }
}

fn event(model_id: &str, action: Transition) -> DueTransition {
    DueTransition {
        model_id: ModelId::parse(model_id).expect("valid"),
        action,
        scheduled_time: ScheduledTime::parse(due_time(action)).expect("a time"),
    }
}

/// A few seconds after the transition fell due: when the scheduler's invocation arrives.
fn on_time(action: Transition) -> Timestamp {
    at(due_time(action)) + Duration::from_secs(5)
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("an instant")
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
            on_time(Transition::Stop),
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
    let view = serde_json::to_value(stopped.view()).expect("view");
    assert_eq!(view["lastScheduledAction"]["action"], "stop");
    assert_eq!(view["lastScheduledAction"]["outcome"], "done");
    assert_eq!(
        view["lastScheduledAction"]["scheduledTime"],
        "2026-12-05T11:00:00Z"
    );

    // The same event delivered again (a retried delivery) is the run already recorded: it is
    // not decided again, and what the record says of it stays.
    let duplicate = d
        .deployer
        .run_scheduled(
            &event("night", Transition::Stop),
            on_time(Transition::Stop) + Duration::from_secs(60),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect("the stop again");
    assert_eq!(duplicate, run);
    assert_eq!(settled(&d, "night").await.last_scheduled_run, Some(run));

    // The next day's stop of a stopped model does nothing, and says so.
    let next_day = DueTransition {
        scheduled_time: ScheduledTime::parse("2026-12-06T11:00:00Z").expect("a time"),
        ..event("night", Transition::Stop)
    };
    let again = d
        .deployer
        .run_scheduled(
            &next_day,
            at("2026-12-06T11:00:05Z"),
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
            on_time(Transition::Start),
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
    // It agrees with the nightly one at the start's time (22:00 in New York, 04:00 in Berlin):
    // the event is obeyed, and only the model's status holds it back.
    let office: Schedule = Schedule::from_json_value(&json!({
        "timeZone": "Europe/Berlin", "daily": {"startTime": "04:00", "stopTime": "18:00"}
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
            on_time(Transition::Start),
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
        serde_json::to_value(record.view()).expect("view")["lastScheduledAction"]["outcome"],
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
        ["cron(0 4 * * ? *)", "cron(0 18 * * ? *)"],
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
        .run_scheduled(
            &event("holds", Transition::Start),
            on_time(Transition::Start),
            &retry,
        )
        .await
        .expect("scheduled start");
    assert_eq!(held.outcome, RunOutcome::Held);
    assert!(
        held.reason
            .as_deref()
            .is_some_and(|r| r.contains("stopped the model by hand")),
        "{held:?}"
    );
    assert_eq!(settled(&d, "holds").await.status, ModelStatus::Stopped);

    let resumed = d
        .deployer
        .run_scheduled(
            &event("resumes", Transition::Start),
            on_time(Transition::Start),
            &retry,
        )
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
        .run_scheduled(
            &event("holds", Transition::Stop),
            on_time(Transition::Stop),
            &retry,
        )
        .await
        .expect("scheduled stop");
    assert_eq!(stop.outcome, RunOutcome::Done);
    settled(&d, "holds").await;
    let start = d
        .deployer
        .run_scheduled(
            &event("holds", Transition::Start),
            on_time(Transition::Start),
            &retry,
        )
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
            on_time(Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(1)),
        )
        .await
        .expect("run");
    assert_eq!(run.outcome, RunOutcome::Skipped);
    assert_eq!(run.reason.as_deref(), Some("no such model"));
    assert!(d.deployer.list().await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_holds_a_model_its_schedule_stopped_against_the_next_start() {
    let d = deployment("hold").await;
    d.deployer
        .create(scheduled("held", nightly()))
        .await
        .expect("create");
    settled(&d, "held").await;
    let retry = ScheduleRetry::within(Duration::from_secs(2));
    let stop = d
        .deployer
        .run_scheduled(
            &event("held", Transition::Stop),
            on_time(Transition::Stop),
            &retry,
        )
        .await
        .expect("scheduled stop");
    assert_eq!(stop.outcome, RunOutcome::Done, "{stop:?}");
    let stopped = settled(&d, "held").await;
    assert_eq!(stopped.status, ModelStatus::Stopped);
    assert!(!stopped.stopped_by_hand);

    // During an incident: keep tomorrow's start from running.
    let held = d
        .deployer
        .update("held", &update(json!({"enabled": false})))
        .await
        .expect("a stopped model is held");
    assert_eq!(held.status, ModelStatus::Stopped);
    assert!(held.stopped_by_hand, "{held:?}");
    assert!(!held.enabled);
    assert_eq!(held.stack_id, stopped.stack_id, "nothing was deployed");

    let start = d
        .deployer
        .run_scheduled(
            &event("held", Transition::Start),
            on_time(Transition::Start),
            &retry,
        )
        .await
        .expect("scheduled start");
    assert_eq!(start.outcome, RunOutcome::Held, "{start:?}");
    let record = settled(&d, "held").await;
    assert_eq!(record.status, ModelStatus::Stopped);
    assert_eq!(record.last_scheduled_run.as_ref(), Some(&start));
    assert_eq!(
        serde_json::to_value(record.view()).expect("view")["lastScheduledAction"]["outcome"],
        "held"
    );

    // Started by hand, the model is the schedule's again.
    d.deployer
        .update("held", &update(json!({"enabled": true})))
        .await
        .expect("start by hand");
    assert!(!settled(&d, "held").await.stopped_by_hand);
}

/// The registration requests of kind Update seen for the model.
fn updates(d: &Deployment, model_id: &str) -> usize {
    d.registrar
        .requests(model_id)
        .iter()
        .filter(|(kind, _)| kind == "Update")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_older_than_the_bound_is_refused_and_recorded_not_carried_out() {
    let d = deployment("late").await;
    d.deployer
        .create(scheduled("late", nightly()))
        .await
        .expect("create");
    let created = settled(&d, "late").await;

    // The 06:00 stop, still what the schedule wants, but 20 minutes late.
    let late = at("2026-12-05T11:20:00Z");
    let run = d
        .deployer
        .run_scheduled(
            &event("late", Transition::Stop),
            late,
            &ScheduleRetry::within(Duration::from_secs(2)),
        )
        .await
        .expect("decided");
    assert_eq!(run.outcome, RunOutcome::Refused, "{run:?}");
    let reason = run.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("was 20 min 0 s before it arrived") && reason.contains("not obeyed"),
        "{reason}"
    );
    assert_eq!(run.ran_at, "2026-12-05T11:20:00Z");
    let record = settled(&d, "late").await;
    assert_eq!(record.status, ModelStatus::InService, "not stopped");
    assert!(record.enabled);
    assert_eq!(record.stack_id, created.stack_id);
    assert_eq!(record.last_scheduled_run.as_ref(), Some(&run), "recorded");
    assert_eq!(
        serde_json::to_value(record.view()).expect("view")["lastScheduledAction"]["outcome"],
        "refused"
    );
    assert_eq!(updates(&d, "late"), 0, "the stack was not touched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_arriving_after_the_schedule_s_next_start_is_refused_and_recorded() {
    let d = deployment("contrary").await;
    // Runs 13:00 to 12:00 the next day (UTC): stopped for the lunch hour only.
    let lunch = json!({"timeZone": "UTC", "daily": {"startTime": "13:00", "stopTime": "12:00"}});
    d.deployer
        .create(scheduled("lunch", lunch))
        .await
        .expect("create");
    settled(&d, "lunch").await;

    // The 12:00 stop, retried by Lambda at 13:05, after the 13:00 start.
    let stop = DueTransition {
        model_id: ModelId::parse("lunch").expect("valid"),
        action: Transition::Stop,
        scheduled_time: ScheduledTime::parse("2026-12-05T12:00:00Z").expect("a time"),
    };
    let run = d
        .deployer
        .run_scheduled(
            &stop,
            at("2026-12-05T13:05:00Z"),
            &ScheduleRetry::within(Duration::from_secs(2)),
        )
        .await
        .expect("decided");
    assert_eq!(run.outcome, RunOutcome::Refused, "{run:?}");
    assert_eq!(
        run.reason.as_deref(),
        Some(
            "the schedule wants the model running at 2026-12-05T13:05:00Z since its start at \
             2026-12-05T13:00:00Z (2026-12-05T13:00:00+00:00)"
        )
    );
    let record = settled(&d, "lunch").await;
    assert_eq!(
        record.status,
        ModelStatus::InService,
        "serving all afternoon"
    );
    assert_eq!(record.last_scheduled_run.as_ref(), Some(&run));
    assert_eq!(updates(&d, "lunch"), 0);

    // On time, the same stop is carried out.
    let run = d
        .deployer
        .run_scheduled(
            &stop,
            at("2026-12-05T12:00:03Z"),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect("scheduled stop");
    assert_eq!(run.outcome, RunOutcome::Done, "{run:?}");
}

fn scheduled_hosted(model_id: &str) -> ModelDefinition {
    let mut value = serde_json::to_value(hosted(model_id)).expect("json");
    value["schedule"] = nightly();
    ModelDefinition::from_json_value(&value).expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hosted_model_s_scheduled_stop_is_recorded_when_its_stack_settles_done_or_failed() {
    let d = deployment("settle").await;
    d.deployer
        .create(scheduled_hosted("gpu"))
        .await
        .expect("create");
    assert_eq!(settled(&d, "gpu").await.status, ModelStatus::InService);
    let stop = event("gpu", Transition::Stop);

    // Followed, a stop is recorded done once its stack has settled, and only then.
    let done = d
        .deployer
        .run_scheduled(
            &stop,
            on_time(Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(30)),
        )
        .await
        .expect("scheduled stop");
    assert_eq!(done.outcome, RunOutcome::Done, "{done:?}");
    assert_eq!(
        stack_status(&d, "gpu").await.as_deref(),
        Some("UPDATE_COMPLETE")
    );
    let record = d.deployer.get("gpu").await.expect("get");
    assert_eq!(record.status, ModelStatus::Stopped);
    assert!(!record.enabled && !record.stopped_by_hand);
    assert_eq!(record.last_scheduled_run.as_ref(), Some(&done));
    let start = d
        .deployer
        .run_scheduled(
            &event("gpu", Transition::Start),
            on_time(Transition::Start),
            &ScheduleRetry::within(Duration::from_secs(30)),
        )
        .await
        .expect("scheduled start");
    assert_eq!(start.outcome, RunOutcome::Done, "{start:?}");
    assert_eq!(
        d.deployer.get("gpu").await.expect("get").status,
        ModelStatus::InService
    );

    // Not followed: the stop's stack update has started, and that is all the record says.
    let run = d
        .deployer
        .run_scheduled(
            &stop,
            on_time(Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(5)).settling_within(Duration::ZERO),
        )
        .await
        .expect("scheduled stop");
    assert_eq!(run.outcome, RunOutcome::Started, "{run:?}");
    assert_eq!(run.reason, None);

    // The update fails and rolls back. The stop's event, delivered again, follows the stop
    // already under way (it does not stop the model a second time) to its end.
    fault(
        "update-rollback",
        &format!("stack={}-gpu", d.name),
        "Registration: LiteLLM refused the change",
    )
    .await;
    let failed = d
        .deployer
        .run_scheduled(
            &stop,
            on_time(Transition::Stop) + Duration::from_secs(30),
            &ScheduleRetry::within(Duration::from_secs(30)),
        )
        .await
        .expect("the stop again");
    assert_eq!(failed.outcome, RunOutcome::Failed, "{failed:?}");
    assert_eq!(
        d.deployer
            .settle_scheduled("gpu", Duration::ZERO)
            .await
            .expect("read"),
        Some(failed.clone()),
        "settled once"
    );
    assert_eq!((&failed.ran_at, failed.action), (&run.ran_at, run.action));
    let reason = failed.reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with("the stop ended with the model InService: ")
            && reason.contains("LiteLLM refused the change"),
        "{reason}"
    );
    let record = settled(&d, "gpu").await;
    assert_eq!(record.status, ModelStatus::InService, "rolled back");
    assert_eq!(record.last_scheduled_run.as_ref(), Some(&failed));
    let view = serde_json::to_value(record.view()).expect("view");
    assert_eq!(view["lastScheduledAction"]["outcome"], "failed");
    assert!(
        view["lastScheduledAction"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("LiteLLM refused the change")),
        "{view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_stop_that_cannot_start_is_recorded_failed_with_its_reason() {
    let d = deployment("nostart").await;
    d.deployer
        .create(scheduled("refusing", nightly()))
        .await
        .expect("create");
    settled(&d, "refusing").await;
    fault(
        "fail",
        &format!(
            "action=ExecuteChangeSet&code=InsufficientCapabilitiesException&message=Requires+capabilities+CAPABILITY_IAM&match={}-refusing",
            d.name
        ),
        "",
    )
    .await;
    let error = d
        .deployer
        .run_scheduled(
            &event("refusing", Transition::Stop),
            on_time(Transition::Stop),
            &ScheduleRetry::within(Duration::from_secs(5)),
        )
        .await
        .expect_err("the stop cannot start");
    assert!(error.to_string().contains("CAPABILITY_IAM"), "{error}");
    let record = settled(&d, "refusing").await;
    assert_eq!(record.status, ModelStatus::InService, "taken back");
    let run = record.last_scheduled_run.expect("the failure is recorded");
    assert_eq!(run.outcome, RunOutcome::Failed, "{run:?}");
    assert_eq!(run.action, Transition::Stop);
    assert!(
        run.reason
            .as_deref()
            .is_some_and(|r| r.contains("CAPABILITY_IAM")),
        "{run:?}"
    );
}
