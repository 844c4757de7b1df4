//! The seed payloads and JSON-pointer edits shared by the model-layer tests: every rule test
//! starts from a valid seed and changes exactly what it is about.
#![allow(dead_code)]

use lisa_constructs::model::{ModelDefinition, ValidationErrors};
use serde_json::Value;
use std::path::PathBuf;

/// Every model definition under `examples/models/`, by file stem.
pub const MODEL_SEEDS: &[&str] = &[
    "mistral-vllm",
    "mistral-vllm-autoscaling",
    "llama3-70b-vllm",
    "falcon-7b-tgi",
    "bge-large-tei",
    "titan-express-v1",
];

/// Every valid update under `examples/updates/`, by file stem.
pub const UPDATE_SEEDS: &[&str] = &["autoscaling", "metadata", "start", "stop"];

fn read(kind: &str, stem: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(kind)
        .join(format!("{stem}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A seed model payload as JSON.
pub fn model(stem: &str) -> Value {
    read("models", stem)
}

/// A seed update payload as JSON.
pub fn update(stem: &str) -> Value {
    read("updates", stem)
}

/// A seed model, parsed.
pub fn definition(stem: &str) -> ModelDefinition {
    ModelDefinition::from_json_value(&model(stem)).unwrap_or_else(|e| panic!("{stem}: {e}"))
}

/// One change to a payload, addressed by a JSON pointer (RFC 6901).
#[derive(Debug, Clone)]
pub enum Edit {
    /// Sets the value at the pointer, adding the key to its parent object when absent.
    Set(String, Value),
    /// Removes the key at the pointer.
    Remove(String),
}

/// Sets `pointer` to `value`.
pub fn set(pointer: &str, value: Value) -> Edit {
    Edit::Set(pointer.to_owned(), value)
}

/// Removes `pointer`.
pub fn remove(pointer: &str) -> Edit {
    Edit::Remove(pointer.to_owned())
}

fn split(pointer: &str) -> (&str, String) {
    let (parent, last) = pointer
        .rsplit_once('/')
        .unwrap_or_else(|| panic!("{pointer:?} is not a JSON pointer"));
    (parent, last.replace("~1", "/").replace("~0", "~"))
}

fn parent_object<'v>(
    value: &'v mut Value,
    parent: &str,
    pointer: &str,
) -> &'v mut serde_json::Map<String, Value> {
    value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("the parent of {pointer:?} is not an object in the payload"))
}

/// Applies one edit in place; a pointer whose parent does not exist is a bug in the test.
pub fn apply(value: &mut Value, edit: &Edit) {
    match edit {
        Edit::Set(pointer, new) => {
            if let Some(slot) = value.pointer_mut(pointer) {
                *slot = new.clone();
            } else {
                let (parent, key) = split(pointer);
                parent_object(value, parent, pointer).insert(key, new.clone());
            }
        }
        Edit::Remove(pointer) => {
            let (parent, key) = split(pointer);
            let removed = parent_object(value, parent, pointer).shift_remove(&key);
            assert!(removed.is_some(), "{pointer:?} is not in the payload");
        }
    }
}

/// A copy of `base` with `edits` applied in order.
pub fn edited(base: &Value, edits: &[Edit]) -> Value {
    let mut value = base.clone();
    for edit in edits {
        apply(&mut value, edit);
    }
    value
}

/// The errors of a result as `(path, message)` pairs; empty when it succeeded.
pub fn errors_of<T>(result: &Result<T, ValidationErrors>) -> Vec<(String, String)> {
    match result {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .errors()
            .iter()
            .map(|e| (e.path.clone(), e.message.clone()))
            .collect(),
    }
}

/// Compares errors against the expected `(path, message fragment)` pairs: the same paths, in the
/// same order, each message containing its fragment. `None` when they match, else why not.
pub fn mismatch(actual: &[(String, String)], expected: &[(&str, &str)]) -> Option<String> {
    let paths_match = actual.len() == expected.len()
        && actual
            .iter()
            .zip(expected)
            .all(|((path, message), (want_path, fragment))| {
                path == want_path && message.contains(fragment)
            });
    (!paths_match).then(|| format!("expected {expected:#?}\nfound {actual:#?}"))
}

/// Which payload a schema describes.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// The create payload.
    Definition,
    /// The update payload.
    Update,
    /// A schedule (`PUT /models/{modelId}/schedule`, a definition's `schedule`).
    Schedule,
}

fn schema_validator(kind: Kind) -> &'static jsonschema::Validator {
    use std::sync::OnceLock;
    static DEFINITION: OnceLock<jsonschema::Validator> = OnceLock::new();
    static UPDATE: OnceLock<jsonschema::Validator> = OnceLock::new();
    static SCHEDULE: OnceLock<jsonschema::Validator> = OnceLock::new();
    let (cell, schema) = match kind {
        Kind::Definition => (
            &DEFINITION,
            lisa_constructs::model::definition_schema as fn() -> Value,
        ),
        Kind::Update => (
            &UPDATE,
            lisa_constructs::model::update_schema as fn() -> Value,
        ),
        Kind::Schedule => (
            &SCHEDULE,
            lisa_constructs::model::schedule::schedule_schema as fn() -> Value,
        ),
    };
    cell.get_or_init(|| jsonschema::validator_for(&schema()).expect("the schema compiles"))
}

/// Whether the JSON Schema's verdict on `payload` agrees with the validator's `errors`: the
/// schema refuses what the validator refuses, except for the rules it cannot express
/// ([`beyond_schema`](lisa_constructs::model::beyond_schema)), and never refuses what the
/// validator accepts. `None` when they agree, else why not.
pub fn schema_disagreement(
    kind: Kind,
    payload: &Value,
    errors: &[(String, String)],
) -> Option<String> {
    use lisa_constructs::model::{ValidationError, beyond_schema};
    let validator = schema_validator(kind);
    let schema_errors: Vec<String> = validator
        .iter_errors(payload)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    let expressible = errors.iter().any(|(path, message)| {
        !beyond_schema(&ValidationError {
            path: path.clone(),
            message: message.clone(),
        })
    });
    if errors.is_empty() && !schema_errors.is_empty() {
        Some(format!(
            "the validator accepts {payload} but the schema refuses it: {schema_errors:#?}"
        ))
    } else if expressible && schema_errors.is_empty() {
        Some(format!(
            "the validator refuses {payload} ({errors:?}) but the schema accepts it"
        ))
    } else {
        None
    }
}
