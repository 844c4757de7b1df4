//! A model's schedule over HTTP (`GET`, `PUT` and `DELETE /models/{modelId}/schedule`) on a real
//! server on 127.0.0.1 over the in-memory lifecycle: the answers and their shapes, checked
//! against the server's own OpenAPI document; every problem of a bad schedule at once; 404, 401
//! and 409 as for the other model routes; and the model views showing the next transition.

mod common;

use common::{Server, TOKEN};
use lisa_constructs::model::schedule::Transition;
use lisa_constructs::model::{ModelStatus, RunOutcome, ScheduledRun};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");
const OFFICE_HOURS: &str = include_str!("../../examples/schedules/office-hours.json");
const NIGHTLY: &str = include_str!("../../examples/schedules/nightly-batch.json");
const PATH: &str = "/models/titan-express-v1/schedule";

/// A server holding the LiteLLM-only example model, `InService`.
async fn serving_titan() -> Server {
    let server = Server::start().await;
    let (status, body) = server.admin("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.memory.edit("titan-express-v1", |model| {
        model.status = ModelStatus::InService;
    });
    server
}

/// Checks `value` against the component `name` of the server's OpenAPI document.
async fn check_documented(server: &Server, name: &str, value: &Value) {
    let (_, document) = server.call("GET", "/openapi.json", None, None).await;
    let schema = json!({
        "$ref": format!("#/components/schemas/{name}"),
        "components": document["components"],
    });
    let validator = jsonschema::validator_for(&schema).expect("the document's schemas compile");
    let problems: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{value} does not match {name}: {problems:?}"
    );
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[tokio::test]
async fn a_schedule_is_set_shown_with_its_next_transition_and_removed() {
    let server = serving_titan().await;
    let (status, body) = server.admin("GET", PATH, None).await;
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"schedule": null})),
        "no schedule yet"
    );
    check_documented(&server, "ModelSchedule", &body).await;

    let (status, body) = server.admin("PUT", PATH, Some(OFFICE_HOURS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating", "{body}");
    assert_eq!(body["model"]["schedule"], json_of(OFFICE_HOURS));
    check_documented(&server, "Model", &body["model"]).await;

    let (status, body) = server.admin("GET", PATH, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["schedule"], json_of(OFFICE_HOURS));
    let next = &body["nextScheduledAction"];
    assert_eq!(next["timeZone"], "Europe/Berlin", "{body}");
    assert!(
        ["start", "stop"].contains(&next["action"].as_str().expect("action")),
        "{next}"
    );
    let at: jiff::Timestamp = next["at"].as_str().expect("at").parse().expect("RFC 3339");
    assert!(
        at > jiff::Timestamp::now(),
        "the next action is ahead: {next}"
    );
    let local: jiff::Timestamp = next["localTime"]
        .as_str()
        .expect("localTime")
        .parse()
        .expect("RFC 3339 with an offset");
    assert_eq!(local, at, "the same instant in the zone: {next}");
    assert!(body.get("lastScheduledAction").is_none(), "{body}");
    check_documented(&server, "ModelSchedule", &body).await;

    // The model views show the schedule and its next transition too.
    let (_, one) = server.admin("GET", "/models/titan-express-v1", None).await;
    assert_eq!(one["model"]["schedule"], json_of(OFFICE_HOURS));
    assert_eq!(
        one["model"]["nextScheduledAction"]["at"], next["at"],
        "{one}"
    );
    check_documented(&server, "Model", &one["model"]).await;
    let (_, list) = server.admin("GET", "/models", None).await;
    assert_eq!(list["models"][0]["nextScheduledAction"]["at"], next["at"]);

    // The schedule's runs show as lastScheduledAction, in both answers.
    server.memory.edit("titan-express-v1", |model| {
        model.status = ModelStatus::Stopped;
        model.enabled = false;
        model.stopped_by_hand = true;
        model.last_scheduled_run = Some(ScheduledRun {
            action: Transition::Start,
            scheduled_time: Some("2026-03-30T05:30:00Z".into()),
            ran_at: "2026-03-30T05:30:02Z".into(),
            outcome: RunOutcome::Skipped,
            reason: Some("the model was stopped by hand".into()),
        });
    });
    let (_, body) = server.admin("GET", PATH, None).await;
    assert_eq!(body["lastScheduledAction"]["outcome"], "skipped", "{body}");
    assert_eq!(
        body["lastScheduledAction"]["reason"],
        "the model was stopped by hand"
    );
    check_documented(&server, "ModelSchedule", &body).await;
    let (_, one) = server.admin("GET", "/models/titan-express-v1", None).await;
    assert_eq!(
        one["model"]["lastScheduledAction"],
        body["lastScheduledAction"]
    );
    check_documented(&server, "Model", &one["model"]).await;

    // The same schedule again changes nothing; another one replaces it, a stopped model too.
    let (status, body) = server.admin("PUT", PATH, Some(OFFICE_HOURS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Stopped", "unchanged: {body}");
    let (status, body) = server.admin("PUT", PATH, Some(NIGHTLY)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating");
    assert_eq!(body["model"]["schedule"], json_of(NIGHTLY));
    server.memory.edit("titan-express-v1", |model| {
        model.status = ModelStatus::Stopped;
    });

    let (status, body) = server.admin("DELETE", PATH, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating");
    assert!(
        body["model"]["schedule"].is_null(),
        "the schedule is gone: {body}"
    );
    assert!(body["model"].get("nextScheduledAction").is_none(), "{body}");
    check_documented(&server, "Model", &body["model"]).await;
    let (status, body) = server.admin("GET", PATH, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["schedule"].is_null(), "{body}");
    assert!(body.get("nextScheduledAction").is_none(), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn a_bad_schedule_gets_every_problem_at_its_path_and_changes_nothing() {
    let server = serving_titan().await;
    let (status, body) = server
        .admin(
            "PUT",
            PATH,
            Some(
                r#"{"timeZone": "Mars/Olympus_Mons", "daily": {"startTime": "08:00", "stopTime": "08:00"}}"#,
            ),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "Invalid");
    let problems: Vec<(&str, &str)> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().expect("path"),
                e["message"].as_str().expect("message"),
            )
        })
        .collect();
    assert_eq!(problems.len(), 2, "{body}");
    assert_eq!(problems[0].0, "timeZone");
    assert!(problems[0].1.contains("Mars/Olympus_Mons"), "{body}");
    assert_eq!(problems[1].0, "daily.stopTime");
    assert!(
        problems[1].1.contains("must differ from startTime"),
        "{body}"
    );
    check_documented(&server, "Error", &body).await;

    let huge = format!(
        r#"{{"timeZone": "{}", "daily": {{"startTime": "08:00", "stopTime": "20:00"}}}}"#,
        "x".repeat(lisa_api::BODY_LIMIT)
    );
    for (body, expected, code) in [
        (
            r#"{"timeZone": "Europe/Berlin", "daily": "#,
            StatusCode::BAD_REQUEST,
            "Malformed",
        ),
        ("", StatusCode::BAD_REQUEST, "Malformed"),
        (
            r#"{"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}, "weekdays": {"monday": {"startTime": "08:00", "stopTime": "20:00"}}, "resume": true}"#,
            StatusCode::BAD_REQUEST,
            "Invalid",
        ),
        ("null", StatusCode::BAD_REQUEST, "Invalid"),
        (&huge, StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge"),
    ] {
        let (status, answer) = server.admin("PUT", PATH, Some(body)).await;
        assert_eq!(status, expected, "{answer}");
        assert_eq!(answer["error"], code, "{answer}");
    }
    let (_, body) = server.admin("GET", "/models/titan-express-v1", None).await;
    assert_eq!(
        body["model"]["status"], "InService",
        "nothing changed: {body}"
    );
    assert!(body["model"]["schedule"].is_null(), "{body}");
    server.stop().await;
}

#[tokio::test]
async fn an_absent_model_is_404_and_a_busy_or_failed_one_is_refused() {
    let server = serving_titan().await;
    for (method, path, body) in [
        ("GET", "/models/absent/schedule", None),
        ("PUT", "/models/absent/schedule", Some(OFFICE_HOURS)),
        ("DELETE", "/models/absent/schedule", None),
        ("GET", "/models/Not_An_Id/schedule", None),
        ("PUT", "/models/Not_An_Id/schedule", Some(OFFICE_HOURS)),
    ] {
        let (status, answer) = server.admin(method, path, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert_eq!(answer["error"], "NotFound", "{answer}");
    }
    // A bad schedule is a bad request whether or not the model exists, as for PUT /models/{id}.
    let (status, _) = server
        .admin("PUT", "/models/absent/schedule", Some("{}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Another operation holds the model: 409, as for the other changes.
    server.memory.edit("titan-express-v1", |model| {
        model.status = ModelStatus::Updating;
    });
    for (method, body) in [("PUT", Some(OFFICE_HOURS)), ("DELETE", None)] {
        let (status, answer) = server.admin(method, PATH, body).await;
        assert_eq!(status, StatusCode::CONFLICT, "{method}: {answer}");
        assert_eq!(answer["error"], "Conflict");
    }
    server.memory.edit("titan-express-v1", |model| {
        model.status = ModelStatus::Failed;
    });
    let (status, answer) = server.admin("DELETE", PATH, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"], "Refused");
    let (status, _) = server.admin("GET", PATH, None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a failed model's schedule can be read"
    );
    let (status, answer) = server.admin("POST", PATH, Some(OFFICE_HOURS)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{answer}");
    server.stop().await;
}

#[tokio::test]
async fn without_a_valid_token_no_schedule_is_read_or_changed() {
    let server = serving_titan().await;
    let (_, before) = server.admin("GET", "/models/titan-express-v1", None).await;
    let mut answers = Vec::new();
    for token in [None, Some("wrong-token-0123456789abc"), Some(&TOKEN[1..])] {
        for (method, path, body) in [
            ("GET", PATH, None),
            ("PUT", PATH, Some(OFFICE_HOURS)),
            ("PUT", PATH, Some("{}")),
            ("DELETE", PATH, None),
            ("GET", "/models/absent/schedule", None),
        ] {
            let (status, answer) = server.call(method, path, token, body).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token:?}"
            );
            answers.push(answer);
        }
    }
    assert!(answers.windows(2).all(|pair| pair[0] == pair[1]));
    let (_, after) = server.admin("GET", "/models/titan-express-v1", None).await;
    assert_eq!(before, after, "nothing changed");
    server.stop().await;
}

#[tokio::test]
async fn the_document_lists_the_schedule_routes() {
    let server = Server::start().await;
    let (status, document) = server.call("GET", "/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let path = &document["paths"]["/models/{modelId}/schedule"];
    for method in ["get", "put", "delete"] {
        assert!(path[method]["operationId"].is_string(), "{method}: {path}");
    }
    let schemas = &document["components"]["schemas"];
    for name in [
        "Schedule",
        "ScheduledAction",
        "ScheduledRun",
        "ModelSchedule",
    ] {
        assert!(schemas[name].is_object(), "{name}");
    }
    for field in ["schedule", "nextScheduledAction", "lastScheduledAction"] {
        assert!(
            schemas["Model"]["properties"][field].is_object(),
            "{field} in Model"
        );
    }
    server.stop().await;
}
