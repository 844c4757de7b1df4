//! The seed's payloads parse, and serialize back to the same JSON value.

use lisa_constructs::model::{ModelDefinition, ModelUpdate};
use serde_json::Value;
use std::path::PathBuf;

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn read(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn seed_definitions_round_trip() {
    for name in ["mistral-vllm.json", "titan-express-v1.json"] {
        let value = read(examples_dir().join("models").join(name));
        let definition =
            ModelDefinition::from_json_value(&value).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            serde_json::to_value(&definition).expect("serializes"),
            value,
            "{name}"
        );
    }
}

#[test]
fn seed_updates_round_trip() {
    for name in [
        "autoscaling.json",
        "metadata.json",
        "start.json",
        "stop.json",
    ] {
        let value = read(examples_dir().join("updates").join(name));
        let update = ModelUpdate::from_json_value(&value).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            serde_json::to_value(&update).expect("serializes"),
            value,
            "{name}"
        );
    }
}

#[test]
fn seed_invalid_update_is_rejected() {
    let value = read(examples_dir().join("updates/invalid-enabled-with-autoscaling.json"));
    let errors = ModelUpdate::from_json_value(&value).expect_err("mutually exclusive");
    assert_eq!(errors.errors().len(), 1, "{errors}");
    assert_eq!(errors.errors()[0].path, "autoScalingInstanceConfig");
    assert!(
        errors.errors()[0]
            .message
            .contains("cannot be combined with enabled")
    );
}

/// The fields beyond the seed (`serverArgs`, `serverMetric`) keep what the payload said too: an
/// empty argument list stays an empty list, and an absent one stays absent.
#[test]
fn server_arguments_and_metric_round_trip() {
    let round_trip = |value: &Value| {
        let definition = ModelDefinition::from_json_value(value).expect("valid");
        assert_eq!(
            &serde_json::to_value(&definition).expect("serializes"),
            value
        );
        definition
    };
    let mut value = read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mistral-vllm-queue.json"),
    );
    round_trip(&value);
    value["containerConfig"]["serverArgs"] = serde_json::json!([]);
    let definition = round_trip(&value);
    let hosting = definition.hosting.as_ref().expect("hosted");
    assert_eq!(hosting.container_config.server_args, Some(Vec::new()));
    value["containerConfig"]
        .as_object_mut()
        .expect("an object")
        .remove("serverArgs");
    round_trip(&value);
}
