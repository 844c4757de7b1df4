//! The packaged function as Lambda runs it. `LISA_REGISTRAR_ZIP` names the zip that
//! `scripts/package-functions` wrote (scripts/test.sh builds it once per run and sets it); without
//! it these tests fail rather than skip.
//!
//! - The zip holds one executable, `bootstrap`, whose newest glibc symbol version is at most
//!   2.34 (the `provided.al2023` runtime's glibc).
//! - Run against a stand-in of the Lambda Runtime API on 127.0.0.1, it takes a Create event from
//!   `GET .../invocation/next`, registers the model with the LiteLLM stand-in (secret in moto),
//!   PUTs the answer to the ResponseURL and reports the invocation's result to the Runtime API.
//! - Given a crafted event naming another host as the LiteLLM endpoint, it answers FAILED and
//!   never calls that host.
//! - Run against moto's CloudFormation, it registers a hosted model whose stack is being created
//!   (the Create event moto queued for it), refuses the same event pointing the model at another
//!   host, and removes nothing for a Delete naming another model's registration.
//! - Configured with none of the registrar's variables, it answers a deployment gate event with
//!   the gate's JSON object after checking a stand-in model server.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lisa_constructs::ecs_model::registration::{function, registration_id};
use lisa_registrar::Pinned;
use serde_json::{Value, json};
use support::litellm::{LiteLlm, Mode};
use support::model_server::{Behaviour, Flavor, ModelServer};
use support::moto_stack::{self, Model, MotoStack};
use support::server::{self, Handler, Seen};
use support::*;

/// The newest glibc the binary may need: Amazon Linux 2023's.
const MAX_GLIBC: (u32, u32) = (2, 34);

fn zip_path() -> PathBuf {
    let path = std::env::var("LISA_REGISTRAR_ZIP").expect(
        "LISA_REGISTRAR_ZIP is not set: build the package with `scripts/package-functions DIR` and set it to DIR/lisa-registrar.zip (scripts/test.sh does both)",
    );
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

/// Unzips the package; returns the directory and the `bootstrap` path.
fn unpack() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let listing = Command::new("unzip")
        .arg("-Z1")
        .arg(zip_path())
        .output()
        .expect("unzip runs");
    assert!(listing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        "bootstrap",
        "only the executable"
    );
    let status = Command::new("unzip")
        .arg("-q")
        .arg(zip_path())
        .arg("-d")
        .arg(dir.path())
        .status()
        .expect("unzip runs");
    assert!(status.success());
    let bootstrap = dir.path().join("bootstrap");
    (dir, bootstrap)
}

fn glibc_versions(binary: &Path) -> Vec<(u32, u32)> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .expect("objdump runs");
    assert!(out.status.success(), "objdump reads the binary");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut versions: Vec<(u32, u32)> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .collect();
    versions.sort_unstable();
    versions.dedup();
    versions
}

#[test]
fn the_package_needs_at_most_glibc_2_34() {
    let (_dir, bootstrap) = unpack();
    #[allow(unused_imports)]
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&bootstrap)
        .expect("unpacked")
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "bootstrap is executable");
    let versions = glibc_versions(&bootstrap);
    let newest = *versions.last().expect("a dynamically linked glibc binary");
    assert!(
        newest <= MAX_GLIBC,
        "needs GLIBC_{}.{}, the runtime has 2.34",
        newest.0,
        newest.1
    );
    eprintln!("newest glibc symbol: GLIBC_{}.{}", newest.0, newest.1);
}

#[test]
fn glibc_versions_are_read_from_objdump() {
    // The host's own test binary links against the host glibc, which is newer than 2.34 here:
    // the check above is not vacuous.
    let me = std::env::current_exe().expect("the test binary");
    assert!(glibc_versions(&me).iter().any(|v| *v >= (2, 2)));
}

/// The Runtime API: one Create event, then nothing; records what the function reports.
struct RuntimeApi {
    server: server::Server,
    reports: Arc<Mutex<Vec<Seen>>>,
}

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

/// The Runtime API stand-in, giving the invocation `time` before its deadline.
async fn runtime_api_within(event: String, time: Duration) -> RuntimeApi {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&reports);
    let served = Arc::new(Mutex::new(false));
    let handler: Handler = Arc::new(move |seen: Seen| {
        let shared = Arc::clone(&shared);
        let served = Arc::clone(&served);
        let event = event.clone();
        Box::pin(async move {
            if seen.method == "GET" && seen.path == "/2018-06-01/runtime/invocation/next" {
                let first = !std::mem::replace(&mut *served.lock().expect("not poisoned"), true);
                if !first {
                    // Lambda freezes an idle function; here the next event never comes.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                let deadline_ms = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("after 1970")
                    .as_millis()
                    + time.as_millis();
                let headers = vec![
                    (
                        "lambda-runtime-aws-request-id".to_owned(),
                        REQUEST_ID.to_owned(),
                    ),
                    (
                        "lambda-runtime-deadline-ms".to_owned(),
                        deadline_ms.to_string(),
                    ),
                    (
                        "lambda-runtime-invoked-function-arn".to_owned(),
                        FUNCTION_ARN.to_owned(),
                    ),
                    (
                        "lambda-runtime-trace-id".to_owned(),
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700".to_owned(),
                    ),
                ];
                return (200, headers, event);
            }
            shared.lock().expect("not poisoned").push(seen);
            (202, Vec::new(), r#"{"status":"OK"}"#.to_owned())
        })
    });
    RuntimeApi {
        server: server::serve(handler).await,
        reports,
    }
}

/// Runs the packaged `bootstrap` as Lambda would, with `pinned` as the function's configuration
/// (the bootstrap stack's variables), until it reports its one invocation to the Runtime API;
/// returns the reports.
async fn invoke_packaged(bootstrap: &Path, event: &Value, pinned: &Pinned) -> Vec<Seen> {
    let configuration = [
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_ENDPOINT_URL", moto_endpoint()),
        (
            function::ENV_DEPLOYMENT_NAME,
            pinned.deployment_name.clone(),
        ),
        (
            function::ENV_LITELLM_ENDPOINT,
            pinned.litellm_endpoint.clone(),
        ),
        (
            function::ENV_MASTER_KEY_SECRET_ARN,
            pinned.master_key_secret_arn.clone(),
        ),
    ];
    invoke_packaged_with(bootstrap, event, &configuration).await
}

/// [`invoke_packaged`] with only the Lambda runtime's own variables and `configuration`.
async fn invoke_packaged_with(
    bootstrap: &Path,
    event: &Value,
    configuration: &[(&str, String)],
) -> Vec<Seen> {
    invoke_packaged_within(bootstrap, event, configuration, Duration::from_secs(60)).await
}

/// [`invoke_packaged_with`], the invocation's deadline `time` away.
async fn invoke_packaged_within(
    bootstrap: &Path,
    event: &Value,
    configuration: &[(&str, String)],
    time: Duration,
) -> Vec<Seen> {
    let api = runtime_api_within(event.to_string(), time).await;
    let mut child = Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.server.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "lisa-registrar")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/11/27/[$LATEST]0123456789abcdef",
        )
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/lisa-registrar")
        .envs(configuration.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .spawn()
        .expect("bootstrap starts");

    let started = Instant::now();
    while api.reports.lock().expect("not poisoned").is_empty()
        && started.elapsed() < Duration::from_secs(60)
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("bootstrap exited early: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let reports = api.reports.lock().expect("not poisoned").clone();
    assert_eq!(
        reports.len(),
        1,
        "one report to the Runtime API: {reports:?}"
    );
    assert_eq!(reports[0].method, "POST");
    assert_eq!(
        reports[0].path,
        format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/response")
    );
    reports
}

/// A LiteLLM-only model's Create event from stack `stack`.
fn create_event(answers: &Answers, stack: &str, endpoint: &str, secret_arn: &str) -> Value {
    let mut event = fixture(
        "create",
        &[
            ("RESPONSE_URL", &answers.url()),
            ("STACK", stack),
            ("ENDPOINT", endpoint),
            ("SECRET", secret_arn),
            ("TARGET_GROUP", "unused"),
            ("BUDGET", "60"),
        ],
    );
    for key in ["TargetGroupArn", "LoadBudgetSeconds", "ApiBase"] {
        set_property(&mut event, key, None);
    }
    event
}

/// A hosted model's stack being created in moto, with a healthy target: its Create event as
/// moto queued it, answered to `answers`.
async fn hosted_stack(
    answers: &Answers,
    litellm: &LiteLlm,
    secret_arn: &str,
) -> (Model, MotoStack) {
    let model = Model {
        model_id: unique("pkg"),
        endpoint: litellm.server.url(),
        secret_arn: secret_arn.to_owned(),
        hosted: true,
    };
    let mut stack = moto_stack::create(&model, None).await;
    add_healthy_target(&moto_stack::physical_id(&stack.stack_id, moto_stack::TARGET_GROUP).await)
        .await;
    stack.event["ResponseURL"] = json!(answers.url());
    (model, stack)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_bootstrap_answers_a_create_event_from_the_runtime_api() {
    let (_dir, bootstrap) = unpack();
    let key = "sk-package-test";
    let litellm = LiteLlm::start(key, Mode::Normal).await;
    let answers = Answers::start().await;
    let secret_arn = secret(key).await;
    let (model, stack) = hosted_stack(&answers, &litellm, &secret_arn).await;
    invoke_packaged(
        &bootstrap,
        &stack.event,
        &pinned(&litellm.server.url(), &secret_arn),
    )
    .await;

    let answer = answers.only();
    assert_eq!(answer["Status"], "SUCCESS", "{answer}");
    assert_eq!(
        answer["Data"]["LiteLlmModelId"],
        answer["PhysicalResourceId"]
    );
    let entries = litellm.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["model_name"], model.model_id);
    assert_eq!(
        entries[0]["litellm_params"]["api_base"],
        stack.event["ResourceProperties"]["ApiBase"]
    );
    assert!(
        litellm.violations().is_empty(),
        "{:?}",
        litellm.violations()
    );
}

/// Whoever may invoke the function writes the event: the Create of a stack really being created,
/// with ApiBase pointing at a host of their own, is refused and registers nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_create_pointing_a_model_at_another_host_registers_nothing() {
    let (_dir, bootstrap) = unpack();
    let key = "sk-package-api-base";
    let litellm = LiteLlm::start(key, Mode::Normal).await;
    let answers = Answers::start().await;
    let secret_arn = secret(key).await;
    let (_model, mut stack) = hosted_stack(&answers, &litellm, &secret_arn).await;
    stack.event["ResourceProperties"]["ApiBase"] = json!("http://prompts.evil.example/v1");
    invoke_packaged(
        &bootstrap,
        &stack.event,
        &pinned(&litellm.server.url(), &secret_arn),
    )
    .await;

    let answer = answers.only();
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().expect("a reason");
    for words in ["refused", "ApiBase", "prompts.evil.example"] {
        assert!(reason.contains(words), "{reason:?} lacks {words:?}");
    }
    assert!(litellm.calls().is_empty(), "{:?}", litellm.calls());
}

/// A Delete naming another model's registration (from the caller's own stack, or from the
/// victim's stack while CloudFormation is not deleting it) removes nothing, and is answered
/// SUCCESS so a stack delete is never held up by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_delete_naming_another_models_registration_removes_nothing() {
    let (_dir, bootstrap) = unpack();
    let key = "sk-package-delete";
    let answers = Answers::start().await;
    let secret_arn = secret(key).await;
    let victim = Model {
        model_id: unique("victim"),
        endpoint: String::new(),
        secret_arn: secret_arn.clone(),
        hosted: false,
    };
    // The victim's stack is being created (not deleted) in moto; its entry is in LiteLLM.
    let victim_stack = moto_stack::create(&victim, None).await;
    let victim_id = registration_id(&victim_stack.stack_id, &victim.model_id);
    let entry = json!({
        "model_name": victim.model_id,
        "litellm_params": {"model": "bedrock/amazon.titan-text-express-v1"},
        "model_info": {"id": victim_id, "mode": "chat"},
    });
    let litellm = LiteLlm::start_with(key, Mode::Normal, vec![entry.clone()]).await;
    let trusted = pinned(&litellm.server.url(), &secret_arn);
    let delete = |stack: &str, stack_id: Option<&str>, model_id: &str| {
        let mut event = fixture(
            "delete",
            &[
                ("RESPONSE_URL", &answers.url()),
                ("STACK", stack),
                ("ENDPOINT", &litellm.server.url()),
                ("SECRET", &secret_arn),
                ("TARGET_GROUP", "unused"),
                ("BUDGET", "60"),
                ("PHYSICAL_ID", &victim_id),
            ],
        );
        for key in ["TargetGroupArn", "LoadBudgetSeconds", "ApiBase"] {
            set_property(&mut event, key, None);
        }
        set_property(&mut event, "ModelId", Some(model_id));
        if let Some(stack_id) = stack_id {
            event["StackId"] = json!(stack_id);
        }
        event
    };
    let own = unique("own");
    for (event, why) in [
        (
            delete(&stack_name(&own), None, &own),
            "not the registration id",
        ),
        (
            delete(
                &victim.stack_name(),
                Some(&victim_stack.stack_id),
                &victim.model_id,
            ),
            "CREATE_IN_PROGRESS",
        ),
    ] {
        answers.seen.lock().expect("not poisoned").clear();
        invoke_packaged(&bootstrap, &event, &trusted).await;
        let answer = answers.only();
        assert_eq!(answer["Status"], "SUCCESS", "{answer}");
        assert_eq!(answer["PhysicalResourceId"], victim_id.as_str());
        assert!(answer["Reason"].is_string(), "a reason: {answer}");
        let reason = answer["Reason"].as_str().unwrap_or_default();
        for words in ["refused", why, "nothing was removed"] {
            assert!(reason.contains(words), "{reason:?} lacks {words:?}");
        }
    }
    assert!(
        !litellm.calls().iter().any(|c| c == "POST /model/delete"),
        "{:?}",
        litellm.calls()
    );
    assert_eq!(litellm.entries(), vec![entry]);
}

/// Whoever may create a stack with the function's ServiceToken writes the event: one naming a
/// host of their own as the LiteLLM endpoint gets a FAILED answer, and the host never hears
/// from the function (so never sees the master key).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crafted_event_naming_another_host_never_sends_it_the_master_key() {
    let (_dir, bootstrap) = unpack();
    let key = "sk-package-crafted";
    let litellm = LiteLlm::start(key, Mode::Normal).await;
    let answers = Answers::start().await;
    let secret_arn = secret(key).await;
    let heard = Arc::new(Mutex::new(Vec::<Seen>::new()));
    let shared = Arc::clone(&heard);
    let handler: Handler = Arc::new(move |seen: Seen| {
        shared.lock().expect("not poisoned").push(seen);
        Box::pin(async { (200, Vec::new(), r#"{"data": []}"#.to_owned()) })
    });
    let attacker = server::serve(handler).await;
    let event = create_event(
        &answers,
        &stack_name(&unique("pkg")),
        &attacker.url(),
        &secret_arn,
    );
    invoke_packaged(
        &bootstrap,
        &event,
        &pinned(&litellm.server.url(), &secret_arn),
    )
    .await;

    let heard = heard.lock().expect("not poisoned");
    let keys: Vec<&str> = heard
        .iter()
        .filter_map(|s| s.headers.get("authorization").map(String::as_str))
        .collect();
    assert!(
        heard.is_empty(),
        "the crafted endpoint was called {} time(s), with authorization {keys:?}",
        heard.len()
    );
    let answer = answers.only();
    assert_eq!(answer["Status"], "FAILED", "{answer}");
    let reason = answer["Reason"].as_str().expect("a reason");
    for words in ["refused", "LiteLlmEndpoint", attacker.url().as_str()] {
        assert!(reason.contains(words), "{reason:?} lacks {words:?}");
    }
    assert!(litellm.calls().is_empty(), "{:?}", litellm.calls());
}

/// ECS invokes the same function as the deployment gate: with none of the registrar's variables
/// (no endpoint, secret, region or credentials) it checks the model server and returns the
/// lifecycle hook's answer as the invocation's result.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_packaged_bootstrap_answers_a_gate_event_without_the_registrars_configuration() {
    let (_dir, bootstrap) = unpack();
    let served = "org/model-7b";
    let model = ModelServer::start(Flavor::Vllm, served, Behaviour::Healthy).await;
    let event = json!({
        "executionDetails": {
            "serviceArn": "arn:aws:ecs:us-east-1:123456789012:service/c/s",
            "targetServiceRevisionArn": "arn:aws:ecs:us-east-1:123456789012:service-revision/c/s/2",
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
        },
        "executionId": "exec-package",
        "lifecycleStage": "POST_TEST_TRAFFIC_SHIFT",
        "resourceArn": "arn:aws:ecs:us-east-1:123456789012:service-deployment/c/s/abc",
        "hookDetails": {
            "testEndpoint": model.url(),
            "healthPath": "/health",
            "servedModelName": served,
            "modelType": "textgen",
            "inferenceContainer": "vllm",
        },
    });
    let reports = invoke_packaged_with(&bootstrap, &event, &[]).await;
    let result: Value = serde_json::from_slice(&reports[0].body).expect("a JSON result");
    assert_eq!(result, json!({"hookStatus": "SUCCEEDED"}));
    assert_eq!(
        model.calls(),
        ["GET /health", "GET /v1/models", "POST /v1/completions"]
    );

    // A model that is not served fails the gate (the result is the hook's answer, not an error).
    model.set(Behaviour::MissingModel);
    let reports = invoke_packaged_with(&bootstrap, &event, &[]).await;
    let result: Value = serde_json::from_slice(&reports[0].body).expect("a JSON result");
    assert_eq!(result, json!({"hookStatus": "FAILED"}));

    // A server that answers inference with a 500 cannot serve: failed at once.
    model.set(Behaviour::InferenceError);
    let reports = invoke_packaged_with(&bootstrap, &event, &[]).await;
    let result: Value = serde_json::from_slice(&reports[0].body).expect("a JSON result");
    assert_eq!(result, json!({"hookStatus": "FAILED"}));

    // A server that does not answer: the gate answers before the invocation's deadline (8 s
    // away, less than one call's own timeout plus the gate's margin) and asks to be called again.
    model.set(Behaviour::Hanging);
    let started = Instant::now();
    let reports = invoke_packaged_within(&bootstrap, &event, &[], Duration::from_secs(8)).await;
    let took = started.elapsed();
    let result: Value = serde_json::from_slice(&reports[0].body).expect("a JSON result");
    assert_eq!(result["hookStatus"], "IN_PROGRESS", "{result}");
    assert_eq!(result["callBackDelay"], 30, "{result}");
    assert!(took < Duration::from_secs(8), "answered after {took:?}");

    // Still no answer 700 s after the gate's first check of this deployment: past its budget.
    let first_seen = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        - 700_000;
    let mut late = event.clone();
    late["hookDetails"] = result["hookDetails"].clone();
    late["hookDetails"]["gateFirstSeenMs"] = json!(u64::try_from(first_seen).expect("fits"));
    let started = Instant::now();
    let reports = invoke_packaged_within(&bootstrap, &late, &[], Duration::from_secs(8)).await;
    let took = started.elapsed();
    let result: Value = serde_json::from_slice(&reports[0].body).expect("a JSON result");
    assert_eq!(result, json!({"hookStatus": "FAILED"}));
    assert!(took < Duration::from_secs(8), "answered after {took:?}");
}
