//! The OpenAPI 3.1 document of the API, built from the JSON Schemas of the very types the
//! handlers read and write, so the document cannot drift from the code.

use crate::errors::ErrorBody;
use crate::routes::{Deleted, Health};
use crate::schedule::ModelSchedule;
use crate::view::UnreadableModelView;
use lisa_constructs::bootstrap::lifecycle::busy_model_rule;
use lisa_constructs::model::schedule::{ScheduledAction, schedule_schema};
use lisa_constructs::model::{definition_schema, update_schema};
use schemars::JsonSchema;
use serde_json::{Map, Value, json};

const COMPONENTS: &str = "#/components/schemas/";

/// The seed's payloads, shown as request examples (and sent by API fuzzers as they are).
const CREATE_EXAMPLES: [(&str, &str); 2] = [
    (
        "hosted",
        include_str!("../../examples/models/mistral-vllm.json"),
    ),
    (
        "litellmOnly",
        include_str!("../../examples/models/titan-express-v1.json"),
    ),
];
const UPDATE_EXAMPLES: [(&str, &str); 4] = [
    (
        "metadata",
        include_str!("../../examples/updates/metadata.json"),
    ),
    (
        "autoscaling",
        include_str!("../../examples/updates/autoscaling.json"),
    ),
    ("stop", include_str!("../../examples/updates/stop.json")),
    ("start", include_str!("../../examples/updates/start.json")),
];
const SCHEDULE_EXAMPLES: [(&str, &str); 2] = [
    (
        "officeHours",
        include_str!("../../examples/schedules/office-hours.json"),
    ),
    (
        "nightlyBatch",
        include_str!("../../examples/schedules/nightly-batch.json"),
    ),
];

fn examples(payloads: &[(&str, &str)]) -> Value {
    let mut examples = Map::new();
    for (name, text) in payloads {
        if let Ok(value) = serde_json::from_str::<Value>(text) {
            examples.insert((*name).into(), json!({"value": value}));
        }
    }
    Value::Object(examples)
}

/// The document for a service whose models have the schema of `M`.
pub fn document<M: JsonSchema>() -> Value {
    let mut schemas = Map::new();
    let definition = absorb(&mut schemas, "ModelDefinition", definition_schema());
    let update = absorb(&mut schemas, "ModelUpdate", update_schema());
    let schedule = absorb(&mut schemas, "Schedule", schedule_schema());
    absorb(
        &mut schemas,
        "ScheduledAction",
        schema_of::<ScheduledAction>(),
    );
    absorb(
        &mut schemas,
        "ScheduledRun",
        schema_of::<lisa_constructs::model::ScheduledRun>(),
    );
    let model_schedule = absorb(&mut schemas, "ModelSchedule", schema_of::<ModelSchedule>());
    let model = absorb(&mut schemas, "Model", schema_of::<M>());
    let error = absorb(&mut schemas, "Error", schema_of::<ErrorBody>());
    let deleted = absorb(&mut schemas, "Deleted", schema_of::<Deleted>());
    let health = absorb(&mut schemas, "Health", schema_of::<Health>());
    let unreadable = absorb(
        &mut schemas,
        "UnreadableModel",
        schema_of::<UnreadableModelView>(),
    );
    let list = json!({"type": "object", "required": ["models"], "properties": {"models": {"type": "array", "items": {"anyOf": [model, unreadable]}}}});
    let one = json!({"type": "object", "required": ["model"], "properties": {"model": model}});
    let changed = json!({"type": "object", "required": ["model"], "properties": {
        "model": model,
        "warnings": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Checks before the change that could not run (an unreadable vCPU quota); the change went ahead. Absent when every check ran."
        }
    }});

    let answer = |description: &str, schema: &Value| json!({"description": description, "content": {"application/json": {"schema": schema}}});
    let refusals = |codes: &[(&str, &str)]| {
        let mut responses = Map::new();
        responses.insert("401".into(), answer("No valid admin token", &error));
        for (code, description) in codes {
            responses.insert((*code).into(), answer(description, &error));
        }
        responses.insert(
            "408".into(),
            answer(
                "The request took longer than the server's request timeout",
                &error,
            ),
        );
        responses.insert(
            "429".into(),
            answer(
                "Too many requests from this address; see Retry-After",
                &error,
            ),
        );
        responses.insert(
            "503".into(),
            answer("A service behind the API cannot be reached", &error),
        );
        responses
    };
    let with = |mut responses: Map<String, Value>, ok: Value| {
        responses.insert("200".into(), ok);
        Value::Object(responses)
    };
    let body = |schema: &Value, payloads: &[(&str, &str)]| json!({"required": true, "content": {"application/json": {"schema": schema, "examples": examples(payloads)}}});
    let id_parameter =
        json!({"name": "modelId", "in": "path", "required": true, "schema": {"type": "string"}});

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "LISA Admin Model Management API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "List, create, update (metadata, autoscaling, container settings, stop, start) and delete models, and set or remove a model's schedule. Operations that change infrastructure return at once with the new status."
        },
        "security": [{"adminToken": []}],
        "paths": {
            "/models": {
                "get": {
                    "operationId": "listModels",
                    "summary": "Every model with its status",
                    "responses": with(refusals(&[]), answer("The models", &list))
                },
                "post": {
                    "operationId": "createModel",
                    "summary": "Create a model: its stack is created in the background",
                    "requestBody": body(&definition, &CREATE_EXAMPLES),
                    "responses": with(refusals(&[
                        ("400", "The payload is malformed or breaks the rules"),
                        ("409", "A model with this id exists"),
                        ("413", "The payload is too large"),
                    ]), answer("The model, Creating", &changed))
                }
            },
            "/models/{modelId}": {
                "parameters": [id_parameter],
                "get": {
                    "operationId": "getModel",
                    "summary": "One model",
                    "responses": with(refusals(&[("404", "No such model")]), answer("The model", &one))
                },
                "put": {
                    "operationId": "updateModel",
                    "summary": "Update metadata, autoscaling or container settings, or stop or start the model",
                    "requestBody": body(&update, &UPDATE_EXAMPLES),
                    "responses": with(refusals(&[
                        ("400", "The payload is malformed, breaks the rules, or the model's status does not allow it"),
                        ("404", "No such model"),
                        ("409", "Another request changed the model first"),
                        ("413", "The payload is too large"),
                    ]), answer("The model with its new status", &changed))
                },
                "delete": {
                    "operationId": "deleteModel",
                    "summary": "Delete a model: its stack is deleted in the background",
                    "responses": with(refusals(&[
                        ("400", "The model's status does not allow it"),
                        ("404", "No such model"),
                        ("409", "Another request changed the model first"),
                    ]), answer("Deletion started", &deleted))
                }
            },
            "/models/{modelId}/schedule": {
                "parameters": [id_parameter],
                "get": {
                    "operationId": "getModelSchedule",
                    "summary": "The model's schedule (null when it has none), its next transition and the schedule's last run",
                    "responses": with(refusals(&[("404", "No such model")]), answer("The schedule", &model_schedule))
                },
                "put": {
                    "operationId": "setModelSchedule",
                    "summary": "Give the model a schedule or replace it: its stack is updated in the background (InService or Stopped models only; a stopped model stays stopped)",
                    "description": format!("A stop by hand holds against scheduled starts (each skip recorded as lastScheduledAction) until the model is started by hand, unless the schedule says resumeAfterManualStop. {}", busy_model_rule()),
                    "requestBody": body(&schedule, &SCHEDULE_EXAMPLES),
                    "responses": with(refusals(&[
                        ("400", "The schedule is malformed, breaks the rules, or the model's status does not allow it"),
                        ("404", "No such model"),
                        ("409", "Another request changed the model first"),
                        ("413", "The payload is too large"),
                    ]), answer("The model, Updating (or unchanged when the schedule is the same)", &one))
                },
                "delete": {
                    "operationId": "deleteModelSchedule",
                    "summary": "Remove the model's schedule: its stack is updated in the background; the model stays as it is (running or stopped)",
                    "responses": with(refusals(&[
                        ("400", "The model's status does not allow it"),
                        ("404", "No such model"),
                        ("409", "Another request changed the model first"),
                    ]), answer("The model, Updating (or unchanged when it had no schedule)", &one))
                }
            },
            "/health": {
                "get": {
                    "operationId": "health",
                    "summary": "Whether the server answers",
                    "security": [],
                    "responses": {"200": answer("The server is up", &health)}
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "security": [],
                    "responses": {
                        "200": answer("The OpenAPI document", &json!({"type": "object"})),
                        "429": answer("Too many requests from this address; see Retry-After", &error)
                    }
                }
            }
        },
        "components": {
            "securitySchemes": {"adminToken": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas
        }
    })
}

fn schema_of<T: JsonSchema>() -> Value {
    schemars::schema_for!(T).to_value()
}

/// Moves a root schema and its `$defs` into the components, pointing every reference at its new
/// place, and returns a reference to the root.
fn absorb(schemas: &mut Map<String, Value>, name: &str, mut root: Value) -> Value {
    if let Some(object) = root.as_object_mut() {
        object.remove("$schema");
        if let Some(Value::Object(defs)) = object.remove("$defs") {
            for (def_name, mut def) in defs {
                point_refs_at_components(&mut def);
                schemas.entry(def_name).or_insert(def);
            }
        }
    }
    point_refs_at_components(&mut root);
    schemas.insert(name.to_owned(), root);
    json!({"$ref": format!("{COMPONENTS}{name}")})
}

fn point_refs_at_components(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(rest) = target.strip_prefix("#/$defs/") {
                            *target = format!("{COMPONENTS}{rest}");
                        }
                    }
                    _ => point_refs_at_components(child),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(point_refs_at_components),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Sample {
        status: String,
    }

    fn refs(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(object) => {
                if let Some(Value::String(target)) = object.get("$ref") {
                    found.push(target.clone());
                }
                object.values().for_each(|v| refs(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_inside_the_document() {
        let document = document::<Sample>();
        let mut found = Vec::new();
        refs(&document, &mut found);
        assert!(found.len() > 10, "{found:?}");
        for target in found {
            let pointer = target.strip_prefix('#').expect("local reference");
            assert!(
                document.pointer(pointer).is_some(),
                "{target} does not resolve"
            );
        }
        assert!(
            document
                .pointer("/components/schemas/Model/properties/status")
                .is_some()
        );
    }

    #[test]
    fn request_bodies_are_the_payload_schemas() {
        let document = document::<Sample>();
        let definition = &document["components"]["schemas"]["ModelDefinition"];
        assert_eq!(
            definition["properties"]["modelId"]["$ref"],
            "#/components/schemas/ModelId"
        );
        assert_eq!(definition["additionalProperties"], false);
        let update = &document["components"]["schemas"]["ModelUpdate"];
        assert!(
            update["properties"]["autoScalingInstanceConfig"].is_object(),
            "{update}"
        );
    }

    #[test]
    fn the_schedule_routes_and_schemas_are_documented() {
        let document = document::<crate::ModelView>();
        let path = &document["paths"]["/models/{modelId}/schedule"];
        for (method, operation_id) in [
            ("get", "getModelSchedule"),
            ("put", "setModelSchedule"),
            ("delete", "deleteModelSchedule"),
        ] {
            assert_eq!(path[method]["operationId"], operation_id, "{path}");
            for code in ["200", "401", "404"] {
                assert!(
                    path[method]["responses"][code].is_object(),
                    "{method} {code}"
                );
            }
        }
        assert_eq!(
            path["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Schedule"
        );
        assert!(path["put"]["responses"]["409"].is_object());
        let schemas = &document["components"]["schemas"];
        let schedule = &schemas["Schedule"];
        assert_eq!(schedule["required"], json!(["timeZone"]), "{schedule}");
        assert!(schedule.get("$defs").is_none(), "its $defs moved out");
        assert_eq!(
            schedule["properties"]["daily"]["anyOf"][0]["$ref"],
            "#/components/schemas/ScheduleWindow"
        );
        for name in [
            "ScheduleWindow",
            "ScheduleWeekdays",
            "ScheduledAction",
            "ScheduledRun",
        ] {
            assert!(schemas[name].is_object(), "{name} in the components");
        }
        let model = &schemas["Model"]["properties"];
        assert_eq!(
            model["nextScheduledAction"]["$ref"],
            "#/components/schemas/ScheduledAction"
        );
        assert_eq!(
            model["lastScheduledAction"]["$ref"],
            "#/components/schemas/ScheduledRun"
        );
        assert!(model["schedule"].is_object(), "{model}");
        let answer = &schemas["ModelSchedule"];
        assert_eq!(answer["required"], json!(["schedule"]), "{answer}");
        assert_eq!(
            answer["properties"]["schedule"]["anyOf"][0]["$ref"],
            "#/components/schemas/Schedule"
        );
        let examples = &path["put"]["requestBody"]["content"]["application/json"]["examples"];
        for name in ["officeHours", "nightlyBatch"] {
            let example = &examples[name]["value"];
            assert!(
                lisa_constructs::model::schedule::Schedule::from_json_value(example).is_ok(),
                "{name}: {example}"
            );
        }
    }
}
