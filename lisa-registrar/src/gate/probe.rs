//! The gate's checks of one model server through the test listener, in order: the health route
//! answers 2xx; the server serves the model; the model answers one minimal inference. Each is one
//! HTTP call with its own timeout, and each outcome is logged on one line (never a body).
//!
//! The servers' documented routes:
//!
//! | server | model | model list | inference | minimal answer |
//! |---|---|---|---|---|
//! | vLLM | textgen | `GET /v1/models`: `data[].id` | `POST /v1/completions` | a choice |
//! | vLLM | embedding | `GET /v1/models`: `data[].id` | `POST /v1/embeddings` | `data[0].embedding`, non-empty |
//! | TGI | textgen | `GET /info`: `model_id` | `POST /generate` | `generated_text` |
//! | TEI | embedding | `GET /info`: `model_id` | `POST /embed` | a non-empty vector |
//!
//! TGI and TEI report as `model_id` what they were started with: the model stack starts them from
//! the weights directory ([`CONTAINER_WEIGHTS_DIR`]), so that path counts as the model too.

use std::time::{Duration, Instant};

use lisa_constructs::ecs_model::scripts::CONTAINER_WEIGHTS_DIR;
use lisa_constructs::model::{InferenceContainer, ModelType};
use reqwest::Method;
use serde_json::{Value, json};

use super::text::{bounded, quote};

/// The largest answer read (an embedding of some thousand numbers takes a few dozen KiB).
pub const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// The prompt of the minimal inference.
pub const PROMPT: &str = "ping";
/// How many of the listed model names a reason quotes.
const LISTED_NAMES_QUOTED: usize = 5;

/// What is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The test listener's base URL, without a trailing `/`.
    pub base: String,
    /// The server's health route.
    pub health_path: String,
    /// The name the server serves the model under.
    pub served_model_name: String,
    /// The server.
    pub server: InferenceContainer,
    /// `textgen` or `embedding`.
    pub model_type: ModelType,
}

/// How the checks went.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeResult {
    /// Every check passed.
    Pass,
    /// No answer yet (connection refused, timeout, 502 to 504, 429): the tasks may still be
    /// warming up.
    NotYet(String),
    /// A definite wrong answer.
    Wrong(String),
}

/// Judges a 2xx answer's JSON body: `Err` says what is wrong with it.
type Judge = fn(&Target, &Value) -> Result<(), String>;

/// One check: one call and what its answer must be.
struct Step {
    name: &'static str,
    method: Method,
    route: String,
    body: Option<Value>,
    /// `None`: any 2xx passes (a health route's body is not read).
    judge: Option<Judge>,
}

/// Runs the checks in order, each call within `call_timeout`, all ending by `check_by`; stops at
/// the first that does not pass.
pub async fn check(
    http: &reqwest::Client,
    target: &Target,
    call_timeout: Duration,
    check_by: Instant,
) -> ProbeResult {
    for step in steps(target) {
        let url = format!("{}{}", target.base, step.route);
        let what = format!("{} {}", step.method, quote(&url));
        let outcome = match call(http, &step, &url, call_timeout, check_by).await {
            Ok(body) => judged(target, &step, &body),
            Err(outcome) => outcome,
        };
        let outcome = with_context(outcome, &what);
        log(step.name, &what, &outcome);
        if outcome != ProbeResult::Pass {
            return outcome;
        }
    }
    ProbeResult::Pass
}

/// The three checks for the target's server and model type.
fn steps(target: &Target) -> [Step; 3] {
    let health = Step {
        name: "health",
        method: Method::GET,
        route: target.health_path.clone(),
        body: None,
        judge: None,
    };
    [health, model_list(target), inference(target)]
}

fn model_list(target: &Target) -> Step {
    let (route, judge): (&str, Judge) = match target.server {
        InferenceContainer::Vllm => ("/v1/models", lists_the_model),
        InferenceContainer::Tgi | InferenceContainer::Tei => ("/info", loaded_the_model),
    };
    Step {
        name: "model list",
        method: Method::GET,
        route: route.to_owned(),
        body: None,
        judge: Some(judge),
    }
}

fn inference(target: &Target) -> Step {
    let served = target.served_model_name.as_str();
    let (route, body, judge): (&str, Value, Judge) = match (target.server, target.model_type) {
        (InferenceContainer::Tgi, _) => (
            "/generate",
            json!({"inputs": PROMPT, "parameters": {"max_new_tokens": 1}}),
            generated_text,
        ),
        (InferenceContainer::Tei, _) => ("/embed", json!({"inputs": PROMPT}), tei_vector),
        (InferenceContainer::Vllm, ModelType::Embedding) => (
            "/v1/embeddings",
            json!({"model": served, "input": PROMPT}),
            openai_vector,
        ),
        (InferenceContainer::Vllm, _) => (
            "/v1/completions",
            json!({"model": served, "prompt": PROMPT, "max_tokens": 1}),
            a_choice,
        ),
    };
    Step {
        name: "inference",
        method: Method::POST,
        route: route.to_owned(),
        body: Some(body),
        judge: Some(judge),
    }
}

/// Makes the step's call; the body of a 2xx answer, or the outcome of any other.
async fn call(
    http: &reqwest::Client,
    step: &Step,
    url: &str,
    call_timeout: Duration,
    check_by: Instant,
) -> Result<Vec<u8>, ProbeResult> {
    let timeout = call_timeout.min(check_by.saturating_duration_since(Instant::now()));
    if timeout.is_zero() {
        return Err(ProbeResult::NotYet(
            "no time left in this invocation for the call".into(),
        ));
    }
    let mut request = http.request(step.method.clone(), url).timeout(timeout);
    if let Some(body) = &step.body {
        request = request.json(body);
    }
    let exchange = async {
        let response = request.send().await.map_err(|e| transport(&e, timeout))?;
        let status = response.status().as_u16();
        let body = read_bounded(response, timeout).await?;
        Ok::<_, ProbeResult>((status, body))
    };
    let (status, body) = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| no_answer_within(timeout))??;
    match status {
        200..=299 => Ok(body),
        // Not serving yet: the load balancer has no healthy target (502, 503, 504) or the
        // server sheds load while it warms up.
        408 | 425 | 429 | 502..=504 => Err(ProbeResult::NotYet(format!("answered {status}"))),
        _ => Err(ProbeResult::Wrong(format!("answered {status}"))),
    }
}

/// The answer's body, up to [`MAX_ANSWER_BYTES`].
async fn read_bounded(
    mut response: reqwest::Response,
    timeout: Duration,
) -> Result<Vec<u8>, ProbeResult> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| transport(&e, timeout))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(ProbeResult::Wrong(format!(
                "the answer is larger than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A failed exchange: nothing a server said, so the tasks may not be up yet.
fn transport(error: &reqwest::Error, timeout: Duration) -> ProbeResult {
    if error.is_timeout() {
        return no_answer_within(timeout);
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let cause = causes.last().cloned().unwrap_or_else(|| error.to_string());
    let kind = if error.is_connect() {
        "could not connect"
    } else {
        "the exchange failed"
    };
    ProbeResult::NotYet(format!("{kind} ({})", bounded(&cause, 200)))
}

fn no_answer_within(timeout: Duration) -> ProbeResult {
    ProbeResult::NotYet(format!("no answer within {} ms", timeout.as_millis()))
}

/// The outcome of a 2xx answer's body.
fn judged(target: &Target, step: &Step, body: &[u8]) -> ProbeResult {
    let Some(judge) = step.judge else {
        return ProbeResult::Pass;
    };
    let verdict = serde_json::from_slice::<Value>(body)
        .map_err(|_| "the answer is not JSON".to_owned())
        .and_then(|value| judge(target, &value));
    match verdict {
        Ok(()) => ProbeResult::Pass,
        Err(reason) => ProbeResult::Wrong(reason),
    }
}

fn with_context(outcome: ProbeResult, what: &str) -> ProbeResult {
    match outcome {
        ProbeResult::Pass => ProbeResult::Pass,
        ProbeResult::NotYet(reason) => ProbeResult::NotYet(format!("{what}: {reason}")),
        ProbeResult::Wrong(reason) => ProbeResult::Wrong(format!("{what}: {reason}")),
    }
}

fn log(name: &str, what: &str, outcome: &ProbeResult) {
    let said = match outcome {
        ProbeResult::Pass => format!("passed ({what})"),
        ProbeResult::NotYet(reason) => format!("not yet: {reason}"),
        ProbeResult::Wrong(reason) => format!("wrong: {reason}"),
    };
    eprintln!("lisa-registrar gate: {name} check {said}");
}

/// vLLM's model list (`{"data": [{"id": ...}]}`) shows the served model name.
fn lists_the_model(target: &Target, body: &Value) -> Result<(), String> {
    let ids: Option<Vec<&str>> = body.get("data").and_then(Value::as_array).map(|models| {
        models
            .iter()
            .filter_map(|m| m.get("id")?.as_str())
            .collect()
    });
    let Some(ids) = ids else {
        return Err("the answer is not a model list (no data array)".into());
    };
    if ids.contains(&target.served_model_name.as_str()) {
        return Ok(());
    }
    let shown: Vec<String> = ids
        .iter()
        .take(LISTED_NAMES_QUOTED)
        .map(|id| quote(id))
        .collect();
    Err(format!(
        "the server lists {} model(s) [{}] but not {}",
        ids.len(),
        shown.join(", "),
        quote(&target.served_model_name)
    ))
}

/// TGI's and TEI's info (`{"model_id": ...}`) names the served model or the weights directory.
fn loaded_the_model(target: &Target, body: &Value) -> Result<(), String> {
    let Some(model_id) = body.get("model_id").and_then(Value::as_str) else {
        return Err("the answer has no model_id".into());
    };
    let is_weights_dir = model_id.trim_end_matches('/') == CONTAINER_WEIGHTS_DIR;
    if model_id == target.served_model_name || is_weights_dir {
        return Ok(());
    }
    Err(format!(
        "the server loaded {}, neither {} nor the weights directory {CONTAINER_WEIGHTS_DIR}",
        quote(model_id),
        quote(&target.served_model_name)
    ))
}

/// An OpenAI completion has at least one choice.
fn a_choice(_: &Target, body: &Value) -> Result<(), String> {
    match body.get("choices").and_then(Value::as_array) {
        Some(choices) if !choices.is_empty() => Ok(()),
        _ => Err("the completion has no choices".into()),
    }
}

/// TGI's generation has a `generated_text`.
fn generated_text(_: &Target, body: &Value) -> Result<(), String> {
    match body.get("generated_text") {
        Some(Value::String(_)) => Ok(()),
        _ => Err("the answer has no generated_text".into()),
    }
}

/// TEI's `/embed` answers one vector per input.
fn tei_vector(_: &Target, body: &Value) -> Result<(), String> {
    let first = body.as_array().and_then(|vectors| vectors.first());
    non_empty_vector(first).ok_or_else(|| "the answer holds no non-empty vector".into())
}

/// OpenAI's embeddings: `data[0].embedding`.
fn openai_vector(_: &Target, body: &Value) -> Result<(), String> {
    let first = body
        .get("data")
        .and_then(Value::as_array)
        .and_then(|data| data.first())
        .and_then(|item| item.get("embedding"));
    non_empty_vector(first).ok_or_else(|| "the answer holds no non-empty data[0].embedding".into())
}

fn non_empty_vector(value: Option<&Value>) -> Option<()> {
    let numbers = value?.as_array()?;
    (!numbers.is_empty() && numbers.iter().all(Value::is_number)).then_some(())
}
