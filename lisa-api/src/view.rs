//! A model as the API shows it, and that view's JSON Schema: the model definition's fields plus
//! `status`, `modelUrl` and `failureReason`, with the hosting fields `null` for a LiteLLM-only
//! model (the seed's list example), and for a scheduled model its next transition
//! (`nextScheduledAction`) and what the schedule last did (`lastScheduledAction`).

use crate::schedule::ScheduledActionSchema;
use crate::schema_defs::take_defs;
use lisa_constructs::model::{
    HOSTING_FIELDS, ModelRecord, ModelStatus, ScheduledRun, definition_schema,
};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// A model as `GET /models` shows it (a JSON object built by the registry's record).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ModelView(pub Value);

impl ModelView {
    /// The model `record` holds, as the API shows it at `now` (its `nextScheduledAction` is the
    /// first transition after `now`).
    pub fn of_record_at(record: &ModelRecord, now: jiff::Timestamp) -> ModelView {
        ModelView(record.to_api_json_at(now))
    }

    /// [`of_record_at`](ModelView::of_record_at) the present instant.
    pub fn of_record(record: &ModelRecord) -> ModelView {
        Self::of_record_at(record, jiff::Timestamp::now())
    }
}

impl JsonSchema for ModelView {
    fn schema_name() -> Cow<'static, str> {
        "Model".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = definition_schema();
        take_defs(&mut schema, generator);
        let status = generator.subschema_for::<ModelStatus>().to_value();
        let mut next = generator
            .subschema_for::<ScheduledActionSchema>()
            .to_value();
        next["description"] =
            "The schedule's next start or stop (a model with a schedule only).".into();
        let mut last = generator.subschema_for::<ScheduledRun>().to_value();
        last["description"] =
            "The last transition the schedule ran or skipped, and why (once it has run).".into();
        if let Some(object) = schema.as_object_mut() {
            object.insert("title".into(), "Model".into());
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                // A LiteLLM-only model shows its hosting fields as `null` (or leaves them out).
                for field in HOSTING_FIELDS {
                    if let Some(field_schema) = properties.remove(field) {
                        properties.insert(
                            field.into(),
                            json!({"anyOf": [field_schema, {"type": "null"}]}),
                        );
                    }
                }
                properties.insert("status".into(), status);
                properties.insert(
                    "modelUrl".into(),
                    json!({"type": ["string", "null"], "description": "The model's OpenAI-compatible base URL, once known."}),
                );
                properties.insert(
                    "failureReason".into(),
                    json!({"type": "string", "description": "Why the last operation failed."}),
                );
                properties.insert("nextScheduledAction".into(), next);
                properties.insert("lastScheduledAction".into(), last);
            }
            let required = object
                .entry("required")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(required) = required {
                required.push("status".into());
            }
        }
        Schema::try_from(schema).unwrap_or_else(|_| Schema::from(Map::new()))
    }
}

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

impl UnreadableModelView {
    /// The entry as a list item.
    pub fn to_view(&self) -> ModelView {
        ModelView(serde_json::to_value(self).unwrap_or(Value::Null))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_schema_adds_status_and_makes_hosting_nullable() {
        let schema = schemars::schema_for!(ModelView).to_value();
        let properties = &schema["properties"];
        assert_eq!(properties["status"]["$ref"], "#/$defs/ModelStatus");
        assert_eq!(properties["instanceType"]["anyOf"][1]["type"], "null");
        assert!(
            schema["required"]
                .as_array()
                .expect("required")
                .contains(&"status".into())
        );
        assert!(schema["$defs"]["ModelStatus"].is_object(), "{schema}");
        assert!(
            schema["$defs"]["ModelType"].is_object(),
            "the definition's own definitions come along"
        );
    }

    #[test]
    fn a_scheduled_model_shows_its_next_and_last_transition_as_its_schema_says() {
        use crate::schedule::tests::{check, record};
        use lisa_constructs::model::schedule::Transition;
        use lisa_constructs::model::{RunOutcome, ScheduledRun};
        let schedule = json!({"timeZone": "America/New_York", "daily": {"startTime": "22:00", "stopTime": "06:00"}});
        let run = ScheduledRun {
            action: Transition::Stop,
            scheduled_time: None,
            ran_at: "2026-03-30T10:00:04Z".into(),
            outcome: RunOutcome::Done,
            reason: None,
        };
        let now: jiff::Timestamp = "2026-03-30T12:00:00Z".parse().expect("instant");
        let view = ModelView::of_record_at(&record(Some(schedule.clone()), Some(run)), now).0;
        assert_eq!(view["schedule"], schedule);
        assert_eq!(
            view["nextScheduledAction"],
            json!({"action": "start", "at": "2026-03-31T02:00:00Z", "localTime": "2026-03-30T22:00:00-04:00", "timeZone": "America/New_York"})
        );
        assert_eq!(view["lastScheduledAction"]["outcome"], "done");
        check::<ModelView>(&view);

        let unscheduled = ModelView::of_record(&record(None, None)).0;
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
    }

    #[test]
    fn an_unreadable_model_is_listed_with_its_id_status_and_reason() {
        let entry = UnreadableModelView {
            model_id: "old".into(),
            status: Some(ModelStatus::InService),
            unreadable: "definition: unknown field".into(),
        };
        assert_eq!(
            entry.to_view().0,
            json!({"modelId": "old", "status": "InService", "unreadable": "definition: unknown field"})
        );
        let schema = schemars::schema_for!(UnreadableModelView).to_value();
        let required = schema["required"].as_array().expect("required");
        for field in ["modelId", "unreadable"] {
            assert!(required.contains(&field.into()), "{schema}");
        }
    }
}
