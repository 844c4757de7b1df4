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
}
