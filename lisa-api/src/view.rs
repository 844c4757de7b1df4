//! A model as the API shows it, and that view's JSON Schema: the model definition's fields plus
//! `status`, `modelUrl` and `failureReason`, with the hosting fields `null` for a LiteLLM-only
//! model (the seed's list example).

use lisa_constructs::model::{ModelStatus, definition_schema};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// The hosting fields, which a LiteLLM-only model shows as `null`.
const HOSTING_FIELDS: [&str; 5] = [
    "inferenceContainer",
    "instanceType",
    "containerConfig",
    "autoScalingConfig",
    "loadBalancerConfig",
];

/// A model as `GET /models` shows it (a JSON object built by the registry's record).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ModelView(pub Value);

impl JsonSchema for ModelView {
    fn schema_name() -> Cow<'static, str> {
        "Model".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let mut schema = definition_schema();
        if let Some(Value::Object(defs)) = schema.as_object_mut().and_then(|s| s.remove("$defs")) {
            let known = generator.definitions_mut();
            for (name, def) in defs {
                known.entry(name).or_insert(def);
            }
        }
        let status = generator.subschema_for::<ModelStatus>().to_value();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$schema");
            object.insert("title".into(), "Model".into());
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
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
