//! Reading the event a schedule sends: `{"modelId": ..., "action": "start" | "stop",
//! "scheduledTime": ...}` ([`lisa_constructs::ecs_model::schedule::event`] writes it). Anything
//! else is refused with what is wrong; an event has no way to name another deployment.

use lisa_constructs::ecs_model::schedule::LifecycleEvent;
use lisa_constructs::model::ModelId;
use serde::Deserialize;
use serde_json::Value;

/// What a lifecycle event looks like, for messages.
pub const EXPECTED: &str =
    r#"{"modelId": "<model id>", "action": "start" | "stop", "scheduledTime": "<RFC 3339>"}"#;

/// A malformed event: what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed lifecycle event: {problem}; expected {EXPECTED}")]
pub struct EventError {
    /// What is wrong.
    pub problem: String,
}

/// Reads `payload` as a lifecycle event whose `modelId` is a valid model id.
pub fn parse(payload: &Value) -> Result<LifecycleEvent, EventError> {
    let event = LifecycleEvent::deserialize(payload).map_err(|error| EventError {
        problem: error.to_string(),
    })?;
    ModelId::parse(&event.model_id).map_err(|why| EventError {
        problem: format!("modelId {why}"),
    })?;
    Ok(event)
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
            LifecycleEvent {
                model_id: "titan-office-hours".into(),
                action: Transition::Stop,
                scheduled_time: Some("2026-12-05T21:00:00Z".into()),
            }
        );
        let started = parse(&json!({"modelId": "m1", "action": "start"})).expect("no time");
        assert_eq!(started.action, Transition::Start);
        assert_eq!(started.scheduled_time, None);
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
            let sent: Value = serde_json::from_str(&lisa_constructs::ecs_model::schedule::event(
                &model_id, &cron,
            ))
            .expect("JSON");
            let event = parse(&sent).expect("the stack's own event");
            assert_eq!(event.model_id, "m1");
            assert_eq!(event.action, cron.transition);
        }
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
