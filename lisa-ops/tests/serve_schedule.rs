//! A model's schedule through `lisa-ops serve` and the real deployer, against moto's server:
//! set (the stack gains its EventBridge Scheduler schedules), read with its next transition,
//! shown in the model, and removed (the schedules with it). Needs `LISA_MOTO_ENDPOINT`
//! (scripts/test.sh starts moto's server).

mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, deploy};

const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");
const OFFICE_HOURS: &str = include_str!("../../examples/schedules/office-hours.json");
const PATH: &str = "/models/titan-express-v1/schedule";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_is_set_read_and_removed_through_the_deployer() {
    let deployment = deploy::deployment("sched").await;
    let server = Server::start(&deployment.name);
    let (status, body) = server.call("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.settle("titan-express-v1", Some("InService")).await;

    let (status, body) = server.call("GET", PATH, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"schedule": null})));
    let (status, body) = server
        .call("GET", "/models/absent-model/schedule", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let (status, body) = server.call("PUT", PATH, Some(OFFICE_HOURS)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating", "{body}");
    let schedule: Value = serde_json::from_str(OFFICE_HOURS).expect("JSON");
    assert_eq!(body["model"]["schedule"], schedule);
    let model = server.settle("titan-express-v1", Some("InService")).await;
    let (status, body) = server.call("GET", PATH, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["schedule"], schedule, "{body}");
    assert_eq!(body["nextScheduledAction"]["timeZone"], "Europe/Berlin");
    assert_eq!(
        model["nextScheduledAction"], body["nextScheduledAction"],
        "the model shows its next transition: {model}"
    );
    let (_, list) = server.call("GET", "/models", None).await;
    assert_eq!(
        list["models"][0]["nextScheduledAction"],
        body["nextScheduledAction"]
    );
    let schedules = || async {
        let stack = deployment
            .clients
            .cloudformation
            .describe_stack_resources()
            .stack_name(format!("{}-titan-express-v1", deployment.name))
            .send()
            .await
            .expect("the model's stack");
        stack
            .stack_resources()
            .iter()
            .filter(|r| r.resource_type() == Some("AWS::Scheduler::Schedule"))
            .count()
    };
    assert!(schedules().await > 0, "the stack has its schedules");

    let (status, body) = server.call("DELETE", PATH, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Updating", "{body}");
    assert!(body["model"]["schedule"].is_null(), "{body}");
    server.settle("titan-express-v1", Some("InService")).await;
    assert_eq!(schedules().await, 0, "the schedules went with it");
    let (status, body) = server.call("GET", PATH, None).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"schedule": null})),
        "the schedule is gone"
    );
}
