//! The deployment gate: ECS calls the function at [`GATE_STAGE`] of a blue/green deployment, once
//! the test listener sends its traffic to the new (green) tasks and before production traffic
//! does. Through the test listener the gate checks that the server is healthy, that it serves the
//! model, and that the model answers one minimal inference ([`probe`]); it answers ECS with the
//! lifecycle hook's `hookStatus`.
//!
//! - All checks pass: `SUCCEEDED`, the deployment continues.
//! - A definite wrong answer (the model missing from the server's list, an inference refused
//!   with a 4xx, an answer of the wrong shape) or a malformed event: `FAILED`, ECS rolls back.
//! - No answer yet (a refused connection, a timeout, a 5xx while the tasks warm up): `IN_PROGRESS`
//!   with a `callBackDelay`; ECS calls again with the `hookDetails` returned, which hold the
//!   configured details and the time the gate first saw this deployment ([`FIRST_SEEN_KEY`]).
//!   After [`GateSettings::give_up_after`] from then, `FAILED` with the last reason.
//!
//! The event's `hookDetails` is [`GateDetails`], the contract the model stack renders. The gate
//! needs nothing from the registrar's environment, no secret and no AWS client.

pub mod probe;
mod text;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lisa_constructs::ecs_model::deployment::{GATE_STAGE, GateDetails};
use lisa_constructs::model::{InferenceContainer, ModelType};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use probe::{ProbeResult, Target};
use text::{MAX_QUOTE_CHARS, bounded, quote};

/// The event field that makes an event the gate's (CloudFormation's requests have none).
pub const STAGE_KEY: &str = "lifecycleStage";
/// The `hookDetails` field the gate adds: when it first saw the deployment (ms since the epoch).
pub const FIRST_SEEN_KEY: &str = "gateFirstSeenMs";
/// The `hookDetails` field the gate adds: how many times it found the tasks not ready yet.
pub const ATTEMPT_KEY: &str = "gateAttempt";
/// The `hookDetails` field the gate adds: the deployment execution its state belongs to.
pub const EXECUTION_KEY: &str = "gateExecutionId";
/// The environment variable that overrides [`GateSettings::give_up_after`] (seconds).
pub const ENV_GIVE_UP_SECONDS: &str = "LISA_GATE_GIVE_UP_SECONDS";
/// The most characters of a reason.
pub const MAX_REASON_CHARS: usize = 1000;

/// Timings.
#[derive(Debug, Clone, PartialEq)]
pub struct GateSettings {
    /// One HTTP call to the model server, connecting included.
    pub call_timeout: Duration,
    /// How long after the first invocation of a deployment's gate the tasks may still be
    /// warming up; past it, the gate fails with the last reason.
    pub give_up_after: Duration,
    /// What ECS waits before calling again after `IN_PROGRESS` (whole seconds).
    pub callback_delay: Duration,
    /// The checks end at least this long before the invocation's deadline.
    pub deadline_margin: Duration,
}

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            call_timeout: Duration::from_secs(5),
            give_up_after: Duration::from_secs(600),
            callback_delay: Duration::from_secs(30),
            deadline_margin: Duration::from_secs(5),
        }
    }
}

impl GateSettings {
    /// The defaults, with [`ENV_GIVE_UP_SECONDS`] when it holds a number of seconds.
    pub fn from_env() -> GateSettings {
        let defaults = GateSettings::default();
        let give_up_after = std::env::var(ENV_GIVE_UP_SECONDS)
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(defaults.give_up_after, Duration::from_secs);
        GateSettings {
            give_up_after,
            ..defaults
        }
    }
}

/// The lifecycle hook's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookStatus {
    /// The deployment continues.
    Succeeded,
    /// ECS rolls the deployment back.
    Failed,
    /// ECS calls the gate again after the callback delay.
    InProgress,
}

impl HookStatus {
    /// The wire value ECS reads.
    pub fn as_str(self) -> &'static str {
        match self {
            HookStatus::Succeeded => "SUCCEEDED",
            HookStatus::Failed => "FAILED",
            HookStatus::InProgress => "IN_PROGRESS",
        }
    }
}

/// What the gate concluded.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The answer to ECS.
    pub status: HookStatus,
    /// Why, in one bounded line (logged; ECS takes no reason).
    pub reason: String,
    /// With `IN_PROGRESS`: the seconds ECS waits before calling again.
    pub callback_delay_seconds: Option<u64>,
    /// With `IN_PROGRESS`: the details ECS passes to the next invocation.
    pub hook_details: Option<Map<String, Value>>,
}

impl Verdict {
    fn done(status: HookStatus, reason: impl Into<String>) -> Verdict {
        Verdict {
            status,
            reason: bounded(&reason.into(), MAX_REASON_CHARS),
            callback_delay_seconds: None,
            hook_details: None,
        }
    }

    /// The JSON object the function returns to ECS.
    pub fn to_response(&self) -> Value {
        let mut response = json!({ "hookStatus": self.status.as_str() });
        if let Some(delay) = self.callback_delay_seconds {
            response["callBackDelay"] = json!(delay);
        }
        if let Some(details) = &self.hook_details {
            response["hookDetails"] = Value::Object(details.clone());
        }
        response
    }
}

/// Whether `event` is a lifecycle hook's (it names a lifecycle stage).
pub fn is_gate_event(event: &Value) -> bool {
    event.get(STAGE_KEY).is_some()
}

/// The event ECS sends, as far as the gate reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HookEvent {
    lifecycle_stage: String,
    #[serde(default)]
    execution_id: Option<String>,
    hook_details: Value,
}

/// What the gate carries from one invocation to the next.
#[derive(Debug, Clone, Copy, PartialEq)]
struct State {
    first_seen_ms: u64,
    attempt: u64,
}

/// The gate: an HTTP client for the model servers and the timings.
#[derive(Debug, Clone)]
pub struct Gate {
    http: Result<reqwest::Client, String>,
    settings: GateSettings,
}

impl Gate {
    /// A gate with its own HTTP client (redirects are not followed: the test listener answers
    /// itself).
    pub fn new(settings: GateSettings) -> Gate {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("the HTTP client could not be set up: {e}"));
        Gate { http, settings }
    }

    /// Checks the deployment `event` names and says what to answer ECS; ends at least
    /// [`GateSettings::deadline_margin`] before `deadline`. Logs one line with the verdict.
    pub async fn run(&self, event: Value, deadline: Instant) -> Verdict {
        let verdict = self.decide(event, deadline).await;
        eprintln!(
            "lisa-registrar gate: answering {}: {}",
            verdict.status.as_str(),
            verdict.reason
        );
        verdict
    }

    async fn decide(&self, event: Value, deadline: Instant) -> Verdict {
        let hook = match read(event) {
            Ok(hook) => hook,
            Err(verdict) => return verdict,
        };
        let http = match &self.http {
            Ok(http) => http,
            Err(reason) => return Verdict::done(HookStatus::Failed, reason.as_str()),
        };
        let now = now_ms();
        let execution_id = hook.execution_id.as_deref();
        let state = state_of(&hook.configured, execution_id, now);
        let check_by = deadline
            .checked_sub(self.settings.deadline_margin)
            .unwrap_or_else(Instant::now);
        let outcome = probe::check(http, &hook.target, self.settings.call_timeout, check_by).await;
        self.conclude(outcome, &hook.details, execution_id, state, now)
    }

    /// The verdict for one round of checks.
    fn conclude(
        &self,
        outcome: ProbeResult,
        details: &GateDetails<String>,
        execution_id: Option<&str>,
        state: State,
        now: u64,
    ) -> Verdict {
        match outcome {
            ProbeResult::Pass => Verdict::done(
                HookStatus::Succeeded,
                format!(
                    "the new tasks serve {} through {}",
                    quote(&details.served_model_name),
                    quote(&details.test_endpoint)
                ),
            ),
            ProbeResult::Wrong(reason) => Verdict::done(HookStatus::Failed, reason),
            ProbeResult::NotYet(reason) => {
                let waited = Duration::from_millis(now.saturating_sub(state.first_seen_ms));
                if waited >= self.settings.give_up_after {
                    return Verdict::done(
                        HookStatus::Failed,
                        format!(
                            "the new tasks did not pass within {} s of the gate's first check: {reason}",
                            self.settings.give_up_after.as_secs()
                        ),
                    );
                }
                let next = State {
                    attempt: state.attempt + 1,
                    ..state
                };
                Verdict {
                    status: HookStatus::InProgress,
                    reason: bounded(
                        &format!(
                            "not ready yet (attempt {}, {} s since the first check): {reason}",
                            next.attempt,
                            waited.as_secs()
                        ),
                        MAX_REASON_CHARS,
                    ),
                    callback_delay_seconds: Some(self.settings.callback_delay.as_secs().max(1)),
                    hook_details: Some(carried(details, execution_id, next)),
                }
            }
        }
    }
}

/// A gate event at the gate's stage, read.
struct Hook {
    execution_id: Option<String>,
    /// The `hookDetails` as ECS passed them (the gate's state included).
    configured: Map<String, Value>,
    details: GateDetails<String>,
    target: Target,
}

/// The event read, or the verdict when there is nothing to check (another stage, a malformed
/// event).
fn read(event: Value) -> Result<Hook, Verdict> {
    let event: HookEvent = serde_json::from_value(event).map_err(|e| {
        malformed(&format!(
            "the event is not a lifecycle hook's: {}",
            bounded(&e.to_string(), MAX_QUOTE_CHARS)
        ))
    })?;
    if event.lifecycle_stage != GATE_STAGE {
        return Err(Verdict::done(
            HookStatus::Succeeded,
            format!(
                "nothing to check at stage {}: the gate checks at {GATE_STAGE}",
                quote(&event.lifecycle_stage)
            ),
        ));
    }
    let Value::Object(configured) = event.hook_details else {
        return Err(malformed("hookDetails is not an object"));
    };
    let details: GateDetails<String> = serde_json::from_value(Value::Object(configured.clone()))
        .map_err(|e| {
            malformed(&format!(
                "hookDetails are not the gate's: {}",
                bounded(&e.to_string(), MAX_QUOTE_CHARS)
            ))
        })?;
    let target = target_of(&details).map_err(|reason| malformed(&reason))?;
    Ok(Hook {
        execution_id: event.execution_id,
        configured,
        details,
        target,
    })
}

fn malformed(reason: &str) -> Verdict {
    Verdict::done(
        HookStatus::Failed,
        format!("malformed gate event: {reason}"),
    )
}

/// The checks' target, when the details name a server and model type the gate can check.
fn target_of(details: &GateDetails<String>) -> Result<Target, String> {
    let endpoint = details.test_endpoint.trim();
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(format!(
            "testEndpoint {} is not an http(s) URL",
            quote(endpoint)
        ));
    }
    if !details.health_path.starts_with('/') {
        return Err(format!(
            "healthPath {} does not start with /",
            quote(&details.health_path)
        ));
    }
    if details.served_model_name.trim().is_empty() {
        return Err("servedModelName is empty".into());
    }
    let server = InferenceContainer::from_wire(&details.inference_container).ok_or_else(|| {
        format!(
            "inferenceContainer {} is none of vllm, tgi, tei",
            quote(&details.inference_container)
        )
    })?;
    let model_type = ModelType::from_wire(&details.model_type)
        .filter(|t| matches!(t, ModelType::TextGen | ModelType::Embedding))
        .ok_or_else(|| {
            format!(
                "modelType {} is neither textgen nor embedding",
                quote(&details.model_type)
            )
        })?;
    if !server.serves(model_type) {
        return Err(format!("{server} does not serve {model_type} models"));
    }
    Ok(Target {
        base: endpoint.trim_end_matches('/').to_owned(),
        health_path: details.health_path.clone(),
        served_model_name: details.served_model_name.clone(),
        server,
        model_type,
    })
}

/// The state the event carries for this execution, or a fresh one. State of another execution
/// is not trusted, nor a first-seen time in the future.
fn state_of(details: &Map<String, Value>, execution_id: Option<&str>, now: u64) -> State {
    let same_execution = details.get(EXECUTION_KEY).and_then(Value::as_str) == execution_id;
    let first_seen = details
        .get(FIRST_SEEN_KEY)
        .and_then(whole_number)
        .filter(|t| same_execution && *t <= now);
    match first_seen {
        Some(first_seen_ms) => State {
            first_seen_ms,
            attempt: details.get(ATTEMPT_KEY).and_then(whole_number).unwrap_or(0),
        },
        None => State {
            first_seen_ms: now,
            attempt: 0,
        },
    }
}

/// A whole number given as a JSON number or as a string of digits.
fn whole_number(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The details to return with `IN_PROGRESS`: the configured ones (whether ECS merges returned
/// details into the configured ones or passes them instead, the next invocation reads both) and
/// the gate's state.
fn carried(
    details: &GateDetails<String>,
    execution_id: Option<&str>,
    state: State,
) -> Map<String, Value> {
    let mut map = match serde_json::to_value(details) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.insert(FIRST_SEEN_KEY.into(), json!(state.first_seen_ms));
    map.insert(ATTEMPT_KEY.into(), json!(state.attempt));
    if let Some(id) = execution_id {
        map.insert(EXECUTION_KEY.into(), json!(bounded(id, MAX_QUOTE_CHARS)));
    }
    map
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_of_another_execution_or_from_the_future_starts_afresh() {
        let mut details = Map::new();
        details.insert(FIRST_SEEN_KEY.into(), json!(1000));
        details.insert(ATTEMPT_KEY.into(), json!("3"));
        details.insert(EXECUTION_KEY.into(), json!("e1"));
        assert_eq!(
            state_of(&details, Some("e1"), 5000),
            State {
                first_seen_ms: 1000,
                attempt: 3
            }
        );
        let fresh = State {
            first_seen_ms: 5000,
            attempt: 0,
        };
        assert_eq!(state_of(&details, Some("e2"), 5000), fresh);
        assert_eq!(state_of(&details, Some("e1"), 500).attempt, 0);
        assert_eq!(state_of(&Map::new(), None, 5000), fresh);
    }
}
