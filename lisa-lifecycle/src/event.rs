//! Reading the event a schedule sends: `{"modelId": ..., "action": "start" | "stop",
//! "scheduledTime": ...}` ([`lisa_constructs::ecs_model::schedule::event`] writes it; the
//! scheduler fills in the time). Anything else is refused with what is wrong; an event has no
//! way to name another deployment. `scheduledTime` is required and must be a short RFC 3339
//! time ([`ScheduledTime::parse`]); what is wrong with it is said without repeating it.

use lisa_constructs::ecs_model::schedule::LifecycleEvent;
use lisa_constructs::model::ModelId;
use lisa_constructs::model::schedule::{DueTransition, ScheduledTime};
use serde::Deserialize;
use serde_json::Value;

use crate::line::one_line;

/// What a lifecycle event looks like, for messages.
pub const EXPECTED: &str =
    r#"{"modelId": "<model id>", "action": "start" | "stop", "scheduledTime": "<RFC 3339>"}"#;

/// The longest description of what is wrong, in bytes (serde quotes what it could not read).
const PROBLEM_MAX_BYTES: usize = 512;

/// A malformed event: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed lifecycle event: {problem}; expected {EXPECTED}")]
pub struct EventError {
    /// What is wrong, on one line.
    pub problem: String,
}

impl EventError {
    fn new(problem: &str) -> EventError {
        EventError {
            problem: one_line(problem, PROBLEM_MAX_BYTES),
        }
    }
}

/// Reads `payload` as a lifecycle event: a valid model id, the transition and when it was due.
pub fn parse(payload: &Value) -> Result<DueTransition, EventError> {
    let event = LifecycleEvent::deserialize(payload)
        .map_err(|error| EventError::new(&error.to_string()))?;
    let model_id = ModelId::parse(&event.model_id)
        .map_err(|why| EventError::new(&format!("modelId {why}")))?;
    let text = event.scheduled_time.ok_or_else(|| {
        EventError::new(
            "scheduledTime is missing: the schedule fills it in with the time it was due",
        )
    })?;
    let scheduled_time =
        ScheduledTime::parse(&text).map_err(|error| EventError::new(&error.to_string()))?;
    Ok(DueTransition {
        model_id,
        action: event.action,
        scheduled_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lisa_constructs::model::schedule::Transition;
    use serde_json::json;

    #[test]
    fn a_schedules_event_is_read() {
        let event = parse(&json!({
            "modelId": "titan-office-hours",
            "action": "stop",
            "scheduledTime": "2026-12-05T21:00:00Z",
        }))
        .expect("a valid event");
        assert_eq!(
            event,
            DueTransition {
                model_id: ModelId::parse("titan-office-hours").expect("valid"),
                action: Transition::Stop,
                scheduled_time: ScheduledTime::parse("2026-12-05T21:00:00Z").expect("a time"),
            }
        );
        let started = parse(&json!({
            "modelId": "m1", "action": "start", "scheduledTime": "2026-12-05T08:00:00+01:00",
        }))
        .expect("an offset");
        assert_eq!(started.action, Transition::Start);
        assert_eq!(started.scheduled_time.to_string(), "2026-12-05T07:00:00Z");
    }

    #[test]
    fn the_event_the_stack_sends_is_the_event_read() {
        use lisa_constructs::model::schedule::Schedule;
        let schedule = Schedule::from_json_value(&json!({
            "timeZone": "Europe/Berlin",
            "daily": {"startTime": "08:00", "stopTime": "20:00"},
        }))
        .expect("a valid schedule");
        let model_id = ModelId::parse("m1").expect("valid");
        for cron in schedule.cron_schedules() {
            // The scheduler replaces its context attribute with the time the invocation was due.
            let sent = lisa_constructs::ecs_model::schedule::event(&model_id, &cron).replace(
                lisa_constructs::ecs_model::schedule::SCHEDULED_TIME_ATTRIBUTE,
                "2026-12-05T07:00:00Z",
            );
            let sent: Value = serde_json::from_str(&sent).expect("JSON");
            let event = parse(&sent).expect("the stack's own event");
            assert_eq!(event.model_id, model_id);
            assert_eq!(event.action, cron.transition);
        }
    }

    #[test]
    fn a_scheduled_time_that_is_not_a_short_rfc_3339_time_is_refused_without_being_echoed() {
        let forged = "2026-12-05T21:00:00Z\nlisa-lifecycle: scheduled stop of model m1 in deployment lisa: done";
        let long = format!("2026-12-05T21:00:00Z{}", " ".repeat(300_000));
        for bad in [
            forged,
            long.as_str(),
            "2026-12-05T21:00:00Z\u{7}",
            "2026-12-06T21:00:00",
            "2026-12-06",
            "yesterday",
            "2026-12-05T21:00:00Z[Europe/Berlin]",
            "",
        ] {
            let payload = json!({"modelId": "m1", "action": "stop", "scheduledTime": bad});
            let error = parse(&payload)
                .expect_err(&bad[..bad.len().min(40)])
                .to_string();
            assert!(error.contains("scheduledTime"), "{error}");
            assert!(!error.contains('\n') && error.len() < 500, "{error}");
            assert!(bad.is_empty() || !error.contains(bad), "{error}");
            for echo in ["lisa-lifecycle", "yesterday", "Europe", "    "] {
                assert!(!error.contains(echo), "{error}");
            }
        }
        let missing = parse(&json!({"modelId": "m1", "action": "stop"})).expect_err("no time");
        assert!(missing.to_string().contains("scheduledTime"), "{missing}");
    }

    #[test]
    fn a_malformed_event_is_refused_naming_the_problem() {
        for (payload, problem) in [
            (json!({"action": "stop"}), "missing field `modelId`"),
            (json!({"modelId": "m1"}), "missing field `action`"),
            (
                json!({"modelId": "m1", "action": "pause"}),
                "unknown variant `pause`",
            ),
            (
                json!({"modelId": "m1", "action": "stop", "deploymentName": "prod"}),
                "unknown field `deploymentName`",
            ),
            (
                json!({"modelId": "../prod-m1", "action": "stop"}),
                "modelId may contain only",
            ),
            (json!({"modelId": "", "action": "stop"}), "modelId must be"),
            (json!({"modelId": 7, "action": "stop"}), "invalid type"),
            (json!("stop m1"), "invalid type"),
            (Value::Null, "invalid type"),
        ] {
            let error = parse(&payload).expect_err(&payload.to_string()).to_string();
            assert!(
                error.starts_with("malformed lifecycle event: ") && error.contains(problem),
                "{payload}: {error}"
            );
            assert!(error.contains(EXPECTED), "{error}");
        }
    }
}
