//! JSON Schemas of the payloads, so editors can check model files as they are written.

use super::definition::ModelDefinition;
use super::update::ModelUpdate;
use serde_json::{Value, json};

/// The JSON Schema of the create payload (a model definition).
pub fn definition_schema() -> Value {
    let mut schema = schemars::schema_for!(ModelDefinition).to_value();
    // The legacy image path is accepted and ignored; the schema says so instead of rejecting it.
    if let Some(properties) = schema
        .pointer_mut("/$defs/ImageConfig/properties")
        .and_then(Value::as_object_mut)
    {
        properties.insert(
            "path".into(),
            json!({"type": "string", "deprecated": true, "description": "Legacy field, accepted and ignored."}),
        );
    }
    schema
}

/// The JSON Schema of the update payload.
pub fn update_schema() -> Value {
    schemars::schema_for!(ModelUpdate).to_value()
}
