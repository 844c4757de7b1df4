//! The deployment gate against a stand-in model server on 127.0.0.1 playing vLLM, TGI and TEI:
//!
//! - Each server with each model type it serves passes, after exactly its health, model-list and
//!   inference calls.
//! - A server warming up (503, a refused connection, no answer) is `IN_PROGRESS` with a callback
//!   delay and the state ECS hands back; it passes once it answers, and fails with the last reason
//!   once the bound from the first check has passed.
//! - A wrong server (the model missing from its list, inference refused, a malformed answer) fails
//!   at once with the reason.
//! - A malformed event fails with the reason, quoting none of it unbounded.
//!
//! No AWS and no moto: the gate needs neither.

#[allow(dead_code)]
#[path = "support/model_server.rs"]
mod model_server;
#[allow(dead_code)]
#[path = "support/server.rs"]
mod server;

use std::time::{Duration, Instant};

use lisa_registrar::{
    ATTEMPT_KEY, EXECUTION_KEY, FIRST_SEEN_KEY, Gate, GateSettings, HookStatus, Verdict,
    is_gate_event,
};
use model_server::{Behaviour, Flavor, ModelServer};
use serde_json::{Value, json};

const SERVED: &str = "org/model-7b";
const EXECUTION: &str = "exec-1";

/// Fast timings: short calls, a bound a test can outwait.
fn settings(give_up_after: Duration) -> GateSettings {
    GateSettings {
        call_timeout: Duration::from_millis(500),
        give_up_after,
        callback_delay: Duration::from_secs(30),
        deadline_margin: Duration::from_millis(200),
    }
}

fn details(endpoint: &str, model_type: &str, container: &str) -> Value {
    json!({
        "testEndpoint": endpoint,
        "healthPath": "/health",
        "servedModelName": SERVED,
        "modelType": model_type,
        "inferenceContainer": container,
    })
}

/// The event ECS sends at the gate's stage.
fn event(hook_details: Value) -> Value {
    json!({
        "executionDetails": {
            "testTrafficWeights": {"arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/2": 100},
            "productionTrafficWeights": {"arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/1": 100},
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s",
            "targetServiceRevisionArn": "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/2",
        },
        "executionId": EXECUTION,
        "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
        "resourceArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/abc",
        "hookDetails": hook_details,
    })
}

fn wire(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Vllm => "vllm",
        Flavor::Tgi => "tgi",
        Flavor::Tei => "tei",
    }
}

async fn run(gate: &Gate, event: Value) -> Verdict {
    gate.run(event, Instant::now() + Duration::from_secs(30))
        .await
}

async fn gate_on(server: &ModelServer, model_type: &str) -> Verdict {
    let gate = Gate::new(settings(Duration::from_secs(600)));
    run(
        &gate,
        event(details(&server.url(), model_type, wire(server.flavor))),
    )
    .await
}

fn assert_verdict(verdict: &Verdict, status: HookStatus, words: &[&str]) {
    assert_eq!(verdict.status, status, "{verdict:?}");
    for w in words {
        assert!(
            verdict.reason.contains(w),
            "{:?} lacks {w:?}",
            verdict.reason
        );
    }
}

/// What ECS passes to the next invocation: the returned details (over the configured ones).
fn next_event(verdict: &Verdict, configured: &Value) -> Value {
    let mut merged = configured.clone();
    let returned = verdict.hook_details.as_ref().expect("state returned");
    for (k, v) in returned {
        merged[k] = v.clone();
    }
    event(merged)
}

#[tokio::test]
async fn each_server_passes_with_each_model_type_it_serves() {
    let cases = [
        (
            Flavor::Vllm,
            "textgen",
            ["GET /v1/models", "POST /v1/completions"],
        ),
        (
            Flavor::Vllm,
            "embedding",
            ["GET /v1/models", "POST /v1/embeddings"],
        ),
        (Flavor::Tgi, "textgen", ["GET /info", "POST /generate"]),
        (Flavor::Tei, "embedding", ["GET /info", "POST /embed"]),
    ];
    for (flavor, model_type, [list, infer]) in cases {
        let server = ModelServer::start(flavor, SERVED, Behaviour::Healthy).await;
        let verdict = gate_on(&server, model_type).await;
        assert_verdict(&verdict, HookStatus::Succeeded, &[SERVED]);
        assert_eq!(verdict.to_response(), json!({"hookStatus": "SUCCEEDED"}));
        assert_eq!(server.calls(), ["GET /health", list, infer], "{flavor:?}");
    }
}

#[tokio::test]
async fn a_trailing_slash_on_the_endpoint_changes_nothing() {
    let server = ModelServer::start(Flavor::Vllm, SERVED, Behaviour::Healthy).await;
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let url = format!("{}/", server.url());
    let verdict = run(&gate, event(details(&url, "textgen", "vllm"))).await;
    assert_verdict(&verdict, HookStatus::Succeeded, &[]);
    assert_eq!(server.calls()[0], "GET /health");
}

#[tokio::test]
async fn a_warming_server_is_in_progress_then_passes_once_it_answers() {
    let server = ModelServer::start(Flavor::Tgi, SERVED, Behaviour::Warming).await;
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let configured = details(&server.url(), "textgen", "tgi");

    let first = run(&gate, event(configured.clone())).await;
    assert_verdict(
        &first,
        HookStatus::InProgress,
        &["/health", "503", "attempt 1"],
    );
    let response = first.to_response();
    assert_eq!(response["hookStatus"], "IN_PROGRESS");
    assert_eq!(response["callBackDelay"], 30);
    let state = &response["hookDetails"];
    assert_eq!(state[ATTEMPT_KEY], 1);
    assert_eq!(state[EXECUTION_KEY], EXECUTION);
    assert!(state[FIRST_SEEN_KEY].is_u64(), "{state}");
    // The configured details travel along, whether ECS merges or replaces them.
    for key in [
        "testEndpoint",
        "healthPath",
        "servedModelName",
        "modelType",
        "inferenceContainer",
    ] {
        assert_eq!(state[key], configured[key], "{key}");
    }
    assert_eq!(
        server.calls(),
        ["GET /health"],
        "no further check after a 503"
    );

    let second = run(&gate, next_event(&first, &configured)).await;
    assert_verdict(&second, HookStatus::InProgress, &["attempt 2"]);
    assert_eq!(
        second.hook_details.as_ref().expect("state")[FIRST_SEEN_KEY],
        state[FIRST_SEEN_KEY],
        "the first check's time is kept"
    );

    server.set(Behaviour::Healthy);
    let third = run(&gate, next_event(&second, &configured)).await;
    assert_verdict(&third, HookStatus::Succeeded, &[]);
}

#[tokio::test]
async fn a_warming_server_fails_with_the_last_reason_after_the_bound() {
    let server = ModelServer::start(Flavor::Vllm, SERVED, Behaviour::Warming).await;
    let gate = Gate::new(settings(Duration::from_millis(300)));
    let configured = details(&server.url(), "textgen", "vllm");

    let first = run(&gate, event(configured.clone())).await;
    assert_verdict(&first, HookStatus::InProgress, &["503"]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let last = run(&gate, next_event(&first, &configured)).await;
    assert_verdict(
        &last,
        HookStatus::Failed,
        &[
            "did not pass within",
            "first check",
            "/health",
            "answered 503",
        ],
    );
    assert_eq!(last.to_response(), json!({"hookStatus": "FAILED"}));

    // State from another execution is not this one's: it starts afresh.
    let mut other = next_event(&first, &configured);
    other["executionId"] = json!("exec-2");
    let fresh = run(&gate, other).await;
    assert_verdict(&fresh, HookStatus::InProgress, &["attempt 1"]);
}

#[tokio::test]
async fn no_listener_and_no_answer_are_in_progress() {
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let closed = format!("http://127.0.0.1:{}", server::closed_port());
    let refused = run(&gate, event(details(&closed, "embedding", "tei"))).await;
    assert_verdict(
        &refused,
        HookStatus::InProgress,
        &["could not connect", "/health"],
    );

    let hanging = ModelServer::start(Flavor::Tei, SERVED, Behaviour::Hanging).await;
    let started = Instant::now();
    let slow = run(&gate, event(details(&hanging.url(), "embedding", "tei"))).await;
    assert_verdict(&slow, HookStatus::InProgress, &["no answer within 500 ms"]);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_checks_end_before_the_invocations_deadline() {
    let hanging = ModelServer::start(Flavor::Vllm, SERVED, Behaviour::Hanging).await;
    let gate = Gate::new(GateSettings {
        call_timeout: Duration::from_secs(5),
        ..settings(Duration::from_secs(600))
    });
    let deadline = Instant::now() + Duration::from_millis(500);
    let verdict = gate
        .run(event(details(&hanging.url(), "textgen", "vllm")), deadline)
        .await;
    assert!(Instant::now() < deadline, "answered after the deadline");
    assert_verdict(&verdict, HookStatus::InProgress, &["no answer within"]);

    // No time left at all: no call, and still an answer.
    let calls = hanging.calls().len();
    let verdict = gate
        .run(
            event(details(&hanging.url(), "textgen", "vllm")),
            Instant::now(),
        )
        .await;
    assert_verdict(&verdict, HookStatus::InProgress, &["no time left"]);
    assert_eq!(hanging.calls().len(), calls);
}

#[tokio::test]
async fn a_model_missing_from_the_list_fails_at_once() {
    for (flavor, model_type, words) in [
        (
            Flavor::Vllm,
            "textgen",
            ["/v1/models", "someone/else", "but not"],
        ),
        (
            Flavor::Tgi,
            "textgen",
            ["/info", "someone/else", "weights directory"],
        ),
        (
            Flavor::Tei,
            "embedding",
            ["/info", "someone/else", "weights directory"],
        ),
    ] {
        let server = ModelServer::start(flavor, SERVED, Behaviour::MissingModel).await;
        let verdict = gate_on(&server, model_type).await;
        assert_verdict(&verdict, HookStatus::Failed, &words);
        assert!(verdict.reason.contains(SERVED), "{}", verdict.reason);
        assert_eq!(
            server.calls().len(),
            2,
            "no inference: {:?}",
            server.calls()
        );
    }
}

#[tokio::test]
async fn a_refused_inference_fails_at_once() {
    for (flavor, model_type, route) in [
        (Flavor::Vllm, "textgen", "/v1/completions"),
        (Flavor::Vllm, "embedding", "/v1/embeddings"),
        (Flavor::Tgi, "textgen", "/generate"),
        (Flavor::Tei, "embedding", "/embed"),
    ] {
        let server = ModelServer::start(flavor, SERVED, Behaviour::InferenceRejected).await;
        let verdict = gate_on(&server, model_type).await;
        assert_verdict(
            &verdict,
            HookStatus::Failed,
            &["POST", route, "answered 400"],
        );
    }
}

/// A server that is up but fails the inference (a 500: out of memory, a CUDA error) cannot
/// serve; only 502 to 504 (no healthy target behind the load balancer yet) mean "not yet".
#[tokio::test]
async fn an_inference_that_fails_with_a_500_fails_at_once() {
    for (flavor, model_type, route) in [
        (Flavor::Vllm, "textgen", "/v1/completions"),
        (Flavor::Tgi, "textgen", "/generate"),
        (Flavor::Tei, "embedding", "/embed"),
    ] {
        let server = ModelServer::start(flavor, SERVED, Behaviour::InferenceError).await;
        let verdict = gate_on(&server, model_type).await;
        assert_verdict(
            &verdict,
            HookStatus::Failed,
            &["POST", route, "answered 500"],
        );
    }
}

#[tokio::test]
async fn a_malformed_inference_answer_fails_at_once() {
    for (flavor, model_type, words) in [
        (Flavor::Vllm, "textgen", "no choices"),
        (Flavor::Vllm, "embedding", "no non-empty data[0].embedding"),
        (Flavor::Tgi, "textgen", "no generated_text"),
        (Flavor::Tei, "embedding", "no non-empty vector"),
    ] {
        let server = ModelServer::start(flavor, SERVED, Behaviour::MalformedInference).await;
        let verdict = gate_on(&server, model_type).await;
        assert_verdict(&verdict, HookStatus::Failed, &["POST", words]);
    }
}

#[tokio::test]
async fn malformed_events_fail_with_the_reason() {
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let good = details("http://127.0.0.1:9", "textgen", "vllm");
    let with = |key: &str, value: Value| {
        let mut d = good.clone();
        d[key] = value;
        event(d)
    };
    let mut no_details = event(good.clone());
    no_details
        .as_object_mut()
        .expect("object")
        .remove("hookDetails");
    let mut stage_not_text = event(good.clone());
    stage_not_text["lifecycleStage"] = json!(7);
    let mut missing = good.clone();
    missing
        .as_object_mut()
        .expect("object")
        .remove("servedModelName");
    let cases = [
        (no_details, "missing field `hookDetails`"),
        (stage_not_text, "not a lifecycle hook's"),
        (
            event(json!("not an object")),
            "hookDetails is not an object",
        ),
        (event(missing), "servedModelName"),
        (
            with("inferenceContainer", json!("triton")),
            "none of vllm, tgi, tei",
        ),
        (
            with("modelType", json!("imagegen")),
            "neither textgen nor embedding",
        ),
        (
            with("inferenceContainer", json!("tei")),
            "tei does not serve textgen",
        ),
        (with("testEndpoint", json!("ftp://x")), "not an http(s) URL"),
        (with("healthPath", json!("health")), "does not start with /"),
        (
            with("servedModelName", json!(" ")),
            "servedModelName is empty",
        ),
    ];
    for (event, words) in cases {
        let verdict = run(&gate, event).await;
        assert_verdict(
            &verdict,
            HookStatus::Failed,
            &["malformed gate event", words],
        );
        assert_eq!(verdict.to_response(), json!({"hookStatus": "FAILED"}));
    }
}

#[tokio::test]
async fn outside_text_is_quoted_bounded_and_on_one_line() {
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let mut d = details("http://127.0.0.1:9", "textgen", "vllm");
    d["inferenceContainer"] = json!(format!("x\ny{}", "z".repeat(100_000)));
    let verdict = run(&gate, event(d)).await;
    assert_verdict(
        &verdict,
        HookStatus::Failed,
        &["inferenceContainer", "x\\ny"],
    );
    assert!(!verdict.reason.contains('\n'));
    assert!(verdict.reason.len() < 400, "{} bytes", verdict.reason.len());
}

#[tokio::test]
async fn another_stage_succeeds_without_a_call() {
    let server = ModelServer::start(Flavor::Vllm, SERVED, Behaviour::Warming).await;
    let gate = Gate::new(settings(Duration::from_secs(600)));
    let mut e = event(details(&server.url(), "textgen", "vllm"));
    e["lifecycleStage"] = json!("PRE_SCALE_UP");
    let verdict = run(&gate, e).await;
    assert_verdict(&verdict, HookStatus::Succeeded, &["PRE_SCALE_UP"]);
    assert!(server.calls().is_empty());
}

#[test]
fn only_events_naming_a_lifecycle_stage_are_the_gates() {
    assert!(is_gate_event(&event(json!({}))));
    let create = json!({
        "RequestType": "Create",
        "ResponseURL": "https://example.com",
        "ResourceProperties": {"lifecycleStage": "POST_TEST_TRAFFIC_SHIFT"},
    });
    assert!(!is_gate_event(&create));
}
