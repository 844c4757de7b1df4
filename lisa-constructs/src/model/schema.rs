//! JSON Schemas of the payloads, so editors and CI can check model files as they are written.
//!
//! The structure comes from the typed payloads; every bound, length and pattern is then set from
//! [`bounds`](super::bounds), the same constants the reader enforces, so the schema and the
//! validator cannot disagree on them. Rules that relate two fields or need the catalog's figures
//! (minCapacity ≤ maxCapacity, timeout < interval, sharedMemorySize within the instance's memory,
//! image references, weights prefixes, credential-like variable names) are the validator's alone:
//! the schema never refuses what the validator accepts, and says so in its description.

use super::bounds::{self, IntBound};
use super::catalog::CATALOG;
use super::definition::ModelDefinition;
use super::enums::{InferenceContainer, ModelType, ServerMetricName};
use super::error::ValidationError;
use super::parse::HOSTING_FIELDS as HOSTING_FIELD_NAMES;
use super::update::{CONTAINER_UPDATE_FIELDS, INSTANCE_CONFIG_FIELDS, ModelUpdate, UPDATE_FIELDS};
use serde_json::{Map, Value, json};

/// Which whole-number property of which schema definition takes which bound.
const INTEGERS: &[(&str, &str, IntBound)] = &[
    (
        "ContainerConfig",
        "sharedMemorySize",
        bounds::SHARED_MEMORY_SIZE,
    ),
    (
        "ContainerConfigUpdate",
        "sharedMemorySize",
        bounds::SHARED_MEMORY_SIZE,
    ),
    (
        "ContainerHealthCheck",
        "interval",
        bounds::CONTAINER_HEALTH_INTERVAL,
    ),
    (
        "ContainerHealthCheck",
        "startPeriod",
        bounds::CONTAINER_HEALTH_START_PERIOD,
    ),
    (
        "ContainerHealthCheck",
        "timeout",
        bounds::CONTAINER_HEALTH_TIMEOUT,
    ),
    (
        "ContainerHealthCheck",
        "retries",
        bounds::CONTAINER_HEALTH_RETRIES,
    ),
    ("AutoScalingConfig", "minCapacity", bounds::CAPACITY),
    ("AutoScalingConfig", "maxCapacity", bounds::CAPACITY),
    ("AutoScalingConfig", "desiredCapacity", bounds::CAPACITY),
    ("AutoScalingConfig", "cooldown", bounds::COOLDOWN),
    (
        "AutoScalingConfig",
        "defaultInstanceWarmup",
        bounds::INSTANCE_WARMUP,
    ),
    (
        "AutoScalingConfig",
        "blockDeviceVolumeSize",
        bounds::BLOCK_DEVICE_VOLUME_SIZE,
    ),
    ("AutoScalingInstanceConfig", "minCapacity", bounds::CAPACITY),
    ("AutoScalingInstanceConfig", "maxCapacity", bounds::CAPACITY),
    (
        "AutoScalingInstanceConfig",
        "desiredCapacity",
        bounds::CAPACITY,
    ),
    ("AutoScalingInstanceConfig", "cooldown", bounds::COOLDOWN),
    (
        "AutoScalingInstanceConfig",
        "defaultInstanceWarmup",
        bounds::INSTANCE_WARMUP,
    ),
    ("MetricConfig", "duration", bounds::METRIC_DURATION),
    (
        "MetricConfig",
        "estimatedInstanceWarmup",
        bounds::INSTANCE_WARMUP,
    ),
    (
        "TargetHealthCheck",
        "interval",
        bounds::TARGET_HEALTH_INTERVAL,
    ),
    (
        "TargetHealthCheck",
        "timeout",
        bounds::TARGET_HEALTH_TIMEOUT,
    ),
    (
        "TargetHealthCheck",
        "healthyThresholdCount",
        bounds::TARGET_HEALTH_THRESHOLD,
    ),
    (
        "TargetHealthCheck",
        "unhealthyThresholdCount",
        bounds::TARGET_HEALTH_THRESHOLD,
    ),
];

/// Which string property takes which length limit (in bytes; the schema counts characters, so
/// the limit is only exact for ASCII, which every bounded field must be anyway except names).
const STRINGS: &[(&str, &str, usize)] = &[
    ("", "modelName", bounds::MODEL_NAME_MAX_BYTES),
    ("", "modelUrl", bounds::MODEL_URL_MAX_BYTES),
    ("ImageConfig", "baseImage", bounds::BASE_IMAGE_MAX_BYTES),
    (
        "TargetHealthCheck",
        "path",
        bounds::HEALTH_CHECK_PATH_MAX_BYTES,
    ),
];

/// The rules only the validator checks, as the schemas' descriptions state them.
const RELATIONAL_RULES: &str = "Rules this schema cannot express, checked by `lisa-synth validate`: \
    minCapacity ≤ desiredCapacity ≤ maxCapacity; a target health check's timeout below its \
    interval; sharedMemorySize within the instance's memory; a GPU instance for vllm and tgi; \
    image references; a hosted model's weights prefix; no credential-like variable names; at most \
    32 KiB of environment names and values; a task definition (health-check command and \
    environment included) within ECS's 64 KiB; a serverMetric the inferenceContainer publishes \
    (kvCacheUse: vllm only); serverArgs that set no flag the product's server command sets and \
    no credential, at most 8 KiB together.";

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
            json!({"type": ["string", "null"], "deprecated": true, "description": "Legacy field, accepted and ignored."}),
        );
    }
    apply_bounds(&mut schema);
    nullable_optionals(&mut schema);
    if let Some(id) = schema.pointer_mut("/$defs/ModelId") {
        id["pattern"] = json!(bounds::MODEL_ID_PATTERN);
        id["maxLength"] = json!(bounds::MODEL_ID_MAX_CHARS);
    }
    if let Some(name) = schema.pointer_mut("/properties/modelName") {
        name["pattern"] = json!(bounds::MODEL_NAME_PATTERN);
    }
    if let Some(instance) = schema.pointer_mut("/properties/instanceType") {
        let names: Vec<&str> = CATALOG.iter().map(|spec| spec.name).collect();
        instance["enum"] = json!(names);
    }
    let mut rules = hosting_rules();
    rules.extend(model_type_rules());
    schema["allOf"] = Value::Array(rules);
    join_schedule(&mut schema);
    append_description(&mut schema);
    schema
}

/// The optional `schedule` property, its definitions taken from the schedule module as they are.
fn join_schedule(schema: &mut Value) {
    if let Some(properties) = schema
        .pointer_mut("/properties")
        .and_then(Value::as_object_mut)
    {
        properties.insert(
            "schedule".into(),
            json!({
                "description": "When the model runs and when it sleeps; absent, it runs until stopped.",
                "anyOf": [{"$ref": "#/$defs/Schedule"}, {"type": "null"}],
            }),
        );
    }
    if let Some(defs) = schema.pointer_mut("/$defs").and_then(Value::as_object_mut) {
        defs.extend(super::schedule::schedule_defs());
    }
}

/// The JSON Schema of the update payload.
pub fn update_schema() -> Value {
    let mut schema = schemars::schema_for!(ModelUpdate).to_value();
    apply_bounds(&mut schema);
    nullable_optionals(&mut schema);
    // At least one field that is not null, in the payload and in each of its objects.
    let non_null = |fields: &[&str]| -> Value {
        fields
            .iter()
            .map(|f| json!({"required": [f], "properties": {*f: {"not": {"type": "null"}}}}))
            .collect()
    };
    schema["anyOf"] = non_null(UPDATE_FIELDS);
    for (def, fields) in [
        ("AutoScalingInstanceConfig", INSTANCE_CONFIG_FIELDS),
        ("ContainerConfigUpdate", CONTAINER_UPDATE_FIELDS),
    ] {
        if let Some(object) = schema.pointer_mut(&format!("/$defs/{def}")) {
            object["anyOf"] = non_null(fields);
        }
    }
    schema["not"] = json!({"required": ["enabled", "autoScalingInstanceConfig"]});
    schema["allOf"] = Value::Array(model_type_rules());
    append_description(&mut schema);
    schema
}

fn append_description(schema: &mut Value) {
    let description = schema["description"].as_str().unwrap_or_default();
    schema["description"] = json!(format!("{description}\n\n{RELATIONAL_RULES}"));
}

/// The property `name` of definition `def` ("" for the root).
fn property<'s>(schema: &'s mut Value, def: &str, name: &str) -> Option<&'s mut Value> {
    let pointer = if def.is_empty() {
        format!("/properties/{name}")
    } else {
        format!("/$defs/{def}/properties/{name}")
    };
    schema.pointer_mut(&pointer)
}

/// Sets every bound of [`INTEGERS`] and [`STRINGS`], the health check command and the
/// environment, wherever the schema has them.
fn apply_bounds(schema: &mut Value) {
    for (def, name, bound) in INTEGERS {
        if let Some(p) = property(schema, def, name) {
            p["minimum"] = json!(bound.min);
            p["maximum"] = json!(bound.max);
            if let Some(object) = p.as_object_mut() {
                object.remove("format");
            }
        }
    }
    for (def, name, max) in STRINGS {
        if let Some(p) = property(schema, def, name) {
            p["maxLength"] = json!(max);
        }
    }
    for def in ["MetricConfig", "ServerMetric"] {
        if let Some(p) = property(schema, def, "targetValue") {
            p["exclusiveMinimum"] = json!(0);
            if let Some(object) = p.as_object_mut() {
                object.remove("format");
            }
        }
    }
    if let Some(server_metric) = schema.pointer_mut("/$defs/ServerMetric") {
        server_metric["if"] = json!({
            "properties": {"name": {"const": ServerMetricName::KvCacheUse.as_str()}},
            "required": ["name"],
        });
        server_metric["then"] =
            json!({"properties": {"targetValue": {"maximum": bounds::KV_CACHE_TARGET_MAX}}});
    }
    if let Some(args) = property(schema, "ContainerConfig", "serverArgs") {
        args["maxItems"] = json!(bounds::SERVER_ARGS_MAX_COUNT);
        args["items"] = json!({
            "type": "string",
            "minLength": 1,
            "maxLength": bounds::SERVER_ARG_MAX_BYTES,
            "pattern": bounds::SERVER_ARG_PATTERN,
        });
    }
    if let Some(p) = property(schema, "TargetHealthCheck", "path") {
        p["pattern"] = json!(bounds::HEALTH_CHECK_PATH_PATTERN);
    }
    if let Some(command) = property(schema, "ContainerHealthCheck", "command") {
        let description = command["description"].clone();
        *command = json!({
            "description": description,
            "oneOf": [
                {"type": "string", "pattern": r"\S"},
                {
                    "type": "array",
                    "minItems": 2,
                    "prefixItems": [{"enum": ["CMD", "CMD-SHELL"]}],
                    "items": {"type": "string"},
                    "contains": {"type": "string", "pattern": r"\S"},
                    "minContains": 2
                }
            ]
        });
    }
    for def in ["ContainerConfig", "ContainerConfigUpdate"] {
        if let Some(environment) = property(schema, def, "environment") {
            environment["maxProperties"] = json!(bounds::ENVIRONMENT_MAX_VARIABLES);
            environment["propertyNames"] = json!({"pattern": bounds::ENVIRONMENT_NAME_PATTERN});
        }
    }
}

/// The reader takes `null` for an absent field, so every optional property also allows null.
fn nullable_optionals(schema: &mut Value) {
    fn walk(node: &mut Value) {
        let Some(object) = node.as_object_mut() else {
            return;
        };
        let required: Vec<String> = object
            .get("required")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                if !required.contains(name) {
                    allow_null(property);
                }
            }
        }
        if let Some(Value::Object(defs)) = object.get_mut("$defs") {
            defs.values_mut().for_each(walk);
        }
    }
    walk(schema);
}

fn allow_null(property: &mut Value) {
    match property.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = t.clone();
            property["type"] = json!([t, "null"]);
        }
        Some(Value::Array(types)) => {
            if !types.iter().any(|t| t == "null") {
                types.push(json!("null"));
            }
        }
        Some(_) => {}
        None => {
            let description = property.get("description").cloned();
            let mut inner = property.take();
            if let Some(object) = inner.as_object_mut() {
                object.remove("description");
            }
            *property = json!({"anyOf": [inner, {"type": "null"}]});
            if let Some(description) = description {
                property["description"] = description;
            }
        }
    }
}

/// The hosting block is all or none: a present (non-null) hosting field requires the others.
fn hosting_rules() -> Vec<Value> {
    let present = |field: &str| json!({"required": [field], "properties": {field: {"not": {"type": "null"}}}});
    let all_present: Map<String, Value> = HOSTING_FIELD_NAMES
        .iter()
        .map(|f| ((*f).to_owned(), json!({"not": {"type": "null"}})))
        .collect();
    HOSTING_FIELD_NAMES
        .iter()
        .map(|field| {
            json!({
                "if": present(field),
                "then": {"required": HOSTING_FIELD_NAMES, "properties": all_present},
            })
        })
        .collect()
}

/// An embedding model cannot stream; a container serves only its model types.
fn model_type_rules() -> Vec<Value> {
    let mut rules = vec![json!({
        "if": {"required": ["modelType"], "properties": {"modelType": {"const": ModelType::Embedding.as_str()}}},
        "then": {"properties": {"streaming": {"not": {"const": true}}}},
    })];
    for container in InferenceContainer::ALL {
        let serves: Vec<&str> = ModelType::ALL
            .iter()
            .filter(|t| container.serves(**t))
            .map(|t| t.as_str())
            .collect();
        rules.push(json!({
            "if": {
                "required": ["inferenceContainer", "modelType"],
                "properties": {"inferenceContainer": {"const": container.to_string()}},
            },
            "then": {"properties": {"modelType": {"enum": serves}}},
        }));
    }
    rules
}

/// Message fragments of the rules in [`RELATIONAL_RULES`]: the validator's alone.
const BEYOND_SCHEMA_MESSAGES: &[&str] = &[
    "must be at least minCapacity",
    "must be at most maxCapacity",
    "must be less than interval",
    "must be at most the memory of",
    "has no GPU",
    "looks like a credential",
    "names and values must total",
    "a weights prefix may contain only",
    "key prefix in the models bucket",
    "must not contain '..' segments",
    "over ECS's limit",
    super::parse::SIGNAL_NOT_PUBLISHED,
    super::server::SETS_A_RESERVED_FLAG,
    "arguments must total",
];

/// Whether an error comes from a rule the JSON Schema cannot express (listed in its
/// description): an image reference's grammar, or a rule that relates two fields or needs the
/// catalog's figures. For any other error the schema refuses the payload too.
pub fn beyond_schema(error: &ValidationError) -> bool {
    let image_grammar = error.path.ends_with("image.baseImage")
        && !error.message.starts_with("must be a string")
        && !error.message.starts_with("must be at most");
    image_grammar
        || BEYOND_SCHEMA_MESSAGES
            .iter()
            .chain(super::schedule::BEYOND_SCHEMA_MESSAGES)
            .any(|fragment| error.message.contains(fragment))
}
