//! A model's schedule as `GET /models/{modelId}/schedule` shows it, and the JSON Schemas of the
//! schedule types the model view carries (`schedule`, `nextScheduledAction`,
//! `lastScheduledAction`).
//!
//! The schedule's own schema is the library's
//! [`schedule_schema`](lisa_constructs::model::schedule::schedule_schema), the one its validator
//! matches. What the schedule last did (`ScheduledRun`) and its next transition
//! (`ScheduledAction`) carry their own schemas, derived from the types they serialize through.

use lisa_constructs::model::schedule::{Schedule, ScheduledAction};
use lisa_constructs::model::{ModelRecord, ScheduledRun};
use schemars::JsonSchema;
use serde::Serialize;

/// `GET /models/{modelId}/schedule`: the model's schedule (`null` when it has none), its next
/// transition and what the schedule last did to it (each absent when there is none).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "ModelSchedule")]
pub struct ModelSchedule {
    /// The schedule, or `null` when the model runs until stopped.
    #[schemars(schema_with = "nullable::<Schedule>", required)]
    pub schedule: Option<Schedule>,
    /// The schedule's next start or stop, in UTC and in the schedule's zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ScheduledAction")]
    pub next_scheduled_action: Option<ScheduledAction>,
    /// The last transition the schedule ran or skipped, and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ScheduledRun")]
    pub last_scheduled_action: Option<ScheduledRun>,
}

/// `T`'s schema or `null`: a field that is always written, `null` when absent (`required`
/// alone would give `T`'s schema without the `null`).
fn nullable<T: JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    generator.subschema_for::<Option<T>>()
}

impl ModelSchedule {
    /// The schedule of the model `record` holds, its next transition counted from `now`.
    pub fn of_record_at(record: &ModelRecord, now: jiff::Timestamp) -> ModelSchedule {
        let schedule = record.definition.schedule.clone();
        ModelSchedule {
            next_scheduled_action: schedule.as_ref().and_then(|s| s.next_action(now)),
            schedule,
            last_scheduled_action: record.last_scheduled_run.clone(),
        }
    }

    /// [`of_record_at`](ModelSchedule::of_record_at) the present instant.
    pub fn of_record(record: &ModelRecord) -> ModelSchedule {
        Self::of_record_at(record, jiff::Timestamp::now())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lisa_constructs::model::schedule::Transition;
    use lisa_constructs::model::{ModelDefinition, ModelStatus, RunOutcome};
    use serde_json::{Value, json};

    /// Validates `value` against the schema of `T`.
    pub(crate) fn check<T: JsonSchema>(value: &Value) {
        let schema = schemars::schema_for!(T).to_value();
        let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
        let problems: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            problems.is_empty(),
            "{value} against {schema}: {problems:?}"
        );
    }

    /// An `InService` LiteLLM-only model with `schedule` and `run`.
    pub(crate) fn record(schedule: Option<Value>, run: Option<ScheduledRun>) -> ModelRecord {
        let mut definition = json!({
            "modelId": "titan",
            "modelName": "bedrock/amazon.titan-text-express-v1",
            "modelType": "textgen",
        });
        if let Some(schedule) = schedule {
            definition["schedule"] = schedule;
        }
        ModelRecord {
            definition: ModelDefinition::from_json_str(&definition.to_string()).expect("valid"),
            previous_definition: None,
            enabled: true,
            status: ModelStatus::InService,
            stack_name: "lisa-titan".into(),
            stack_id: None,
            litellm_model_id: None,
            model_url: None,
            auto_scaling_group_name: None,
            failure_reason: None,
            operation_token: None,
            stopped_by_hand: false,
            last_scheduled_run: run,
            version: 1,
            last_modified: "2026-03-30T00:00:00Z".into(),
        }
    }

    #[test]
    fn the_schedule_view_gives_the_next_transition_in_utc_and_in_the_zone() {
        let schedule = json!({"timeZone": "Europe/Berlin", "daily": {"startTime": "08:00", "stopTime": "20:00"}, "resumeAfterManualStop": true});
        let run = ScheduledRun {
            action: Transition::Start,
            scheduled_time: Some("2026-03-30T06:00:00Z".into()),
            ran_at: "2026-03-30T06:00:03Z".into(),
            outcome: RunOutcome::Skipped,
            reason: Some("the model was stopped by hand".into()),
        };
        let now: jiff::Timestamp = "2026-03-30T07:00:00Z".parse().expect("instant");
        let view = ModelSchedule::of_record_at(&record(Some(schedule.clone()), Some(run)), now);
        let value = serde_json::to_value(&view).expect("serializes");
        assert_eq!(value["schedule"], schedule);
        assert_eq!(
            value["nextScheduledAction"],
            json!({"action": "stop", "at": "2026-03-30T18:00:00Z", "localTime": "2026-03-30T20:00:00+02:00", "timeZone": "Europe/Berlin"})
        );
        assert_eq!(value["lastScheduledAction"]["outcome"], "skipped");
        check::<ModelSchedule>(&value);
        check::<ScheduledAction>(&value["nextScheduledAction"]);
        check::<ScheduledRun>(&value["lastScheduledAction"]);
    }

    #[test]
    fn a_model_without_a_schedule_shows_null_and_nothing_else() {
        let view = ModelSchedule::of_record(&record(None, None));
        let value = serde_json::to_value(&view).expect("serializes");
        assert_eq!(value, json!({"schedule": null}));
        check::<ModelSchedule>(&value);
        let schema = schemars::schema_for!(ModelSchedule).to_value();
        assert_eq!(schema["required"], json!(["schedule"]), "{schema}");
    }

    #[test]
    fn the_output_schemas_refuse_what_the_types_never_write() {
        let schema = schemars::schema_for!(ScheduledRun).to_value();
        let validator = jsonschema::validator_for(&schema).expect("compiles");
        for outcome in ["started", "done", "failed", "skipped", "held", "refused"] {
            let run =
                json!({"action": "stop", "ranAt": "2026-03-30T18:00:01Z", "outcome": outcome});
            assert!(validator.is_valid(&run), "{run}");
        }
        for wrong in [
            json!({"action": "pause", "ranAt": "x", "outcome": "done"}),
            json!({"action": "stop", "ranAt": "x", "outcome": "ran"}),
            json!({"action": "stop", "ranAt": "x", "outcome": "done", "extra": 1}),
            json!({"action": "stop", "outcome": "done"}),
        ] {
            assert!(!validator.is_valid(&wrong), "{wrong}");
        }
    }
}
