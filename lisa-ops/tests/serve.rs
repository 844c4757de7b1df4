//! `lisa-ops serve` as a process on 127.0.0.1, against moto's server through the real
//! deployer: the seed's curl examples in order (list, create both kinds, the four update
//! payloads, delete), two servers racing on one registry, and a restart that loses nothing.
//! Needs `LISA_MOTO_ENDPOINT` (scripts/test.sh starts moto's server).

#[path = "../../lisa-api/tests/common/mod.rs"]
mod api;
mod support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use support::{Server, TOKEN, deploy};

const MISTRAL: &str = include_str!("../../examples/models/mistral-vllm.json");
const TITAN: &str = include_str!("../../examples/models/titan-express-v1.json");
const METADATA: &str = include_str!("../../examples/updates/metadata.json");
const AUTOSCALING: &str = include_str!("../../examples/updates/autoscaling.json");
const STOP: &str = include_str!("../../examples/updates/stop.json");
const START: &str = include_str!("../../examples/updates/start.json");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_curl_examples_run_against_a_real_deployment() {
    let deployment = deploy::deployment("serve").await;
    let server = Server::start(&deployment.name);

    let (status, body) = server.call("GET", "/models", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"models": []})));

    let (status, body) = server.call("POST", "/models", Some(MISTRAL)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["model"]["status"], "Creating");
    assert_eq!(body["model"]["modelId"], "mistral-vllm");
    // moto has no EC2 quotas: the check that could not run reaches the administrator, as the
    // CLI prints it.
    assert!(
        body["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("could not read the vCPU quota")),
        "{body}"
    );
    let (status, body) = server.call("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.get("warnings"), None, "nothing to check: {body}");
    let (status, body) = server.call("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::CONFLICT, "a duplicate: {body}");

    let mistral = server.settle("mistral-vllm", Some("InService")).await;
    let titan = server.settle("titan-express-v1", Some("InService")).await;
    assert_eq!(mistral["instanceType"], "g5.xlarge");
    assert!(
        mistral["modelUrl"]
            .as_str()
            .is_some_and(|url| url.ends_with("/v1")),
        "{mistral}"
    );
    for field in [
        "autoScalingConfig",
        "containerConfig",
        "loadBalancerConfig",
        "instanceType",
    ] {
        assert_eq!(titan[field], Value::Null, "{field} of a LiteLLM-only model");
    }
    let (_, body) = server.call("GET", "/models", None).await;
    let ids: Vec<&str> = body["models"]
        .as_array()
        .expect("models")
        .iter()
        .map(|m| m["modelId"].as_str().expect("id"))
        .collect();
    assert_eq!(ids.len(), 2, "{body}");

    let (status, body) = server
        .call("PUT", "/models/mistral-vllm", Some(METADATA))
        .await;
    assert_eq!(status, StatusCode::OK, "metadata: {body}");
    server.settle("mistral-vllm", Some("InService")).await;

    let (status, body) = server
        .call("PUT", "/models/mistral-vllm", Some(AUTOSCALING))
        .await;
    assert_eq!(status, StatusCode::OK, "autoscaling: {body}");
    assert!(
        body["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("could not read the vCPU quota")),
        "a resize is checked too: {body}"
    );
    let mistral = server.settle("mistral-vllm", Some("InService")).await;
    assert_eq!(mistral["autoScalingConfig"]["maxCapacity"], 4, "{mistral}");

    let (status, body) = server
        .call("PUT", "/models/mistral-vllm", Some(START))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "start of a running model: {body}"
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("InService"),
        "{body}"
    );

    let (status, body) = server.call("PUT", "/models/mistral-vllm", Some(STOP)).await;
    assert_eq!(status, StatusCode::OK, "stop: {body}");
    assert_eq!(body["model"]["status"], "Stopping");
    server.settle("mistral-vllm", Some("Stopped")).await;
    let (status, body) = server
        .call("PUT", "/models/mistral-vllm", Some(START))
        .await;
    assert_eq!(status, StatusCode::OK, "start: {body}");
    server.settle("mistral-vllm", Some("InService")).await;

    for model_id in ["mistral-vllm", "titan-express-v1"] {
        let (status, body) = server
            .call("DELETE", &format!("/models/{model_id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            body,
            json!({"status": "success", "message": format!("Model {model_id} has been deleted successfully.")})
        );
        server.settle(model_id, None).await;
    }
    let (status, body) = server.call("GET", "/models/mistral-vllm", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_racing_on_one_registry_never_both_win() {
    let deployment = deploy::deployment("race").await;
    let first = Server::start(&deployment.name);
    let second = Server::start(&deployment.name);
    let (status, body) = first.call("POST", "/models", Some(TITAN)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    second.settle("titan-express-v1", Some("InService")).await;

    let update = r#"{"streaming": false}"#;
    let (a, b) = tokio::join!(
        first.call("PUT", "/models/titan-express-v1", Some(update)),
        second.call("PUT", "/models/titan-express-v1", Some(update)),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "one wins, the other is told the model is busy: {} / {}",
        a.1,
        b.1
    );
    let loser = if a.0 == StatusCode::CONFLICT {
        a.1
    } else {
        b.1
    };
    assert_eq!(loser["error"], "Conflict", "{loser}");

    // A server that stops mid-operation loses nothing: a new one reads the same truth.
    first.settle("titan-express-v1", Some("InService")).await;
    let (status, body) = first
        .call("PUT", "/models/titan-express-v1", Some(STOP))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    drop(first);
    drop(second);
    let restarted = Server::start(&deployment.name);
    let model = restarted.settle("titan-express-v1", Some("Stopped")).await;
    assert_eq!(model["streaming"], false, "{model}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_every_answer_of_the_real_server_documented() {
    let deployment = deploy::deployment("fuzz").await;
    // schemathesis sends far more than an admin would, from one address.
    let server = Server::start_with(&deployment.name, &["--rate-limit", "0"]);
    let url = format!("{}/openapi.json", server.base);
    tokio::task::spawn_blocking(move || api::schemathesis(&url, TOKEN, 15, true))
        .await
        .expect("schemathesis passes");
    drop(server);
}
