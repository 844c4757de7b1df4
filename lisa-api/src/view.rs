//! What `GET /models` lists: each model as the service shows it (the library's
//! [`ModelView`](lisa_constructs::model::ModelView) for the deployer), or, for a stored model
//! whose record cannot be read, its id, status and why.

use lisa_constructs::model::ModelStatus;
use schemars::JsonSchema;
use serde::Serialize;

/// A stored model that cannot be read (its record breaks a rule tightened since it was
/// written), as `GET /models` lists it so that one bad record never hides the others: its id,
/// its status when that can be read, and why it cannot be read. It can still be deleted.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "UnreadableModel")]
pub struct UnreadableModelView {
    /// The model's id.
    pub model_id: String,
    /// The recorded status, or `null` when it cannot be read either.
    pub status: Option<ModelStatus>,
    /// Why the record cannot be read.
    pub unreadable: String,
}

/// One entry of `GET /models`: a model as [`ModelService::Model`](crate::ModelService::Model)
/// shows it, or a stored model that cannot be read.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ListEntry<M> {
    /// A model.
    Model(M),
    /// A stored model that cannot be read.
    Unreadable(UnreadableModelView),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_unreadable_model_is_listed_with_its_id_status_and_reason() {
        let entry: ListEntry<()> = ListEntry::Unreadable(UnreadableModelView {
            model_id: "old".into(),
            status: Some(ModelStatus::InService),
            unreadable: "definition: unknown field".into(),
        });
        assert_eq!(
            serde_json::to_value(&entry).expect("serializes"),
            json!({"modelId": "old", "status": "InService", "unreadable": "definition: unknown field"})
        );
        let schema = schemars::schema_for!(UnreadableModelView).to_value();
        let required = schema["required"].as_array().expect("required");
        for field in ["modelId", "unreadable"] {
            assert!(required.contains(&field.into()), "{schema}");
        }
    }

    #[test]
    fn a_scheduled_model_shows_its_next_and_last_transition_as_its_schema_says() {
        use crate::schedule::tests::{check, record};
        use lisa_constructs::model::schedule::Transition;
        use lisa_constructs::model::{ModelView, RunOutcome, ScheduledRun};
        let schedule = json!({"timeZone": "America/New_York", "daily": {"startTime": "22:00", "stopTime": "06:00"}});
        let run = ScheduledRun {
            action: Transition::Stop,
            scheduled_time: None,
            ran_at: "2026-03-30T10:00:04Z".into(),
            outcome: RunOutcome::Done,
            reason: None,
        };
        let now: jiff::Timestamp = "2026-03-30T12:00:00Z".parse().expect("instant");
        let view = record(Some(schedule.clone()), Some(run)).view_at(now);
        let view = serde_json::to_value(ListEntry::Model(view)).expect("serializes");
        assert_eq!(view["schedule"], schedule);
        assert_eq!(
            view["nextScheduledAction"],
            json!({"action": "start", "at": "2026-03-31T02:00:00Z", "localTime": "2026-03-30T22:00:00-04:00", "timeZone": "America/New_York"})
        );
        assert_eq!(view["lastScheduledAction"]["outcome"], "done");
        check::<ModelView>(&view);

        let unscheduled = serde_json::to_value(record(None, None).view()).expect("serializes");
        assert!(
            unscheduled.get("nextScheduledAction").is_none(),
            "{unscheduled}"
        );
        check::<ModelView>(&unscheduled);
        let schema = schemars::schema_for!(ModelView).to_value();
        assert_eq!(
            schema["properties"]["nextScheduledAction"]["$ref"],
            "#/$defs/ScheduledAction"
        );
        assert_eq!(
            schema["properties"]["lastScheduledAction"]["$ref"],
            "#/$defs/ScheduledRun"
        );
        assert!(schema["$defs"]["ScheduleWindow"].is_object(), "{schema}");
    }
}
