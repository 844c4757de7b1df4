//! Every rule of the update payload (domain §4): first the payload on its own
//! (`ModelUpdate::from_json_value`), then against a stored seed definition (`apply_update`).

mod model_payloads;

use lisa_constructs::model::{ModelDefinition, ModelType, ModelUpdate};
use model_payloads::{
    Kind, UPDATE_SEEDS, definition, errors_of, mismatch, schema_disagreement, update,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn parse(payload: &Value) -> ModelUpdate {
    ModelUpdate::from_json_value(payload).unwrap_or_else(|e| panic!("{payload}: {e}"))
}

/// Applies a valid update payload to a seed definition.
fn apply(
    seed: &str,
    payload: Value,
    current_capacity: Option<u32>,
) -> Result<ModelDefinition, lisa_constructs::model::ValidationErrors> {
    definition(seed).apply_update(&parse(&payload), current_capacity)
}

/// Asserts that applying fails with exactly these `(path, message fragment)` errors.
fn assert_rejected(seed: &str, payload: Value, expected: &[(&str, &str)]) {
    let result = apply(seed, payload.clone(), None);
    if let Some(why) = mismatch(&errors_of(&result), expected) {
        panic!("{seed} + {payload}:\n{why}");
    }
}

/// The autoscaling settings after applying, as (min, max, desired).
fn capacities(result: &ModelDefinition) -> (u32, u32, Option<u32>) {
    let scaling = &result.hosting.as_ref().expect("hosted").auto_scaling_config;
    (
        scaling.min_capacity,
        scaling.max_capacity,
        scaling.desired_capacity,
    )
}

#[test]
fn the_seed_updates_are_valid() {
    for seed in UPDATE_SEEDS {
        parse(&update(seed));
    }
}

#[test]
fn payload_rules() {
    const AT_LEAST_ONE: &str = "must set at least one of enabled, autoScalingInstanceConfig, \
                                modelType, streaming, containerConfig";
    // (name, payload, expected (path, message fragment) errors)
    type Row = (&'static str, Value, Vec<(&'static str, &'static str)>);
    let rows: Vec<Row> = vec![
        ("empty update", json!({}), vec![("", AT_LEAST_ONE)]),
        (
            "only nulls",
            json!({"enabled": null}),
            vec![("", AT_LEAST_ONE)],
        ),
        (
            "not an object",
            json!([]),
            vec![("", "must be an object, found an array")],
        ),
        (
            "enabled with autoscaling (seed)",
            update("invalid-enabled-with-autoscaling"),
            vec![(
                "autoScalingInstanceConfig",
                "cannot be combined with enabled",
            )],
        ),
        (
            "empty autoscaling",
            json!({"autoScalingInstanceConfig": {}}),
            vec![(
                "autoScalingInstanceConfig",
                "must set at least one of minCapacity, maxCapacity, desiredCapacity, cooldown, defaultInstanceWarmup",
            )],
        ),
        (
            "minCapacity 0",
            json!({"autoScalingInstanceConfig": {"minCapacity": 0}}),
            vec![(
                "autoScalingInstanceConfig.minCapacity",
                "must be a whole number from 1 to 5000, found 0",
            )],
        ),
        (
            "maxCapacity 0",
            json!({"autoScalingInstanceConfig": {"maxCapacity": 0}}),
            vec![(
                "autoScalingInstanceConfig.maxCapacity",
                "must be a whole number from 1 to 5000, found 0",
            )],
        ),
        (
            "desiredCapacity 0",
            json!({"autoScalingInstanceConfig": {"desiredCapacity": 0}}),
            vec![(
                "autoScalingInstanceConfig.desiredCapacity",
                "must be a whole number from 1 to 5000, found 0",
            )],
        ),
        (
            "cooldown 0",
            json!({"autoScalingInstanceConfig": {"cooldown": 0}}),
            vec![(
                "autoScalingInstanceConfig.cooldown",
                "at least 1 s, found 0",
            )],
        ),
        (
            "defaultInstanceWarmup 0",
            json!({"autoScalingInstanceConfig": {"defaultInstanceWarmup": 0}}),
            vec![(
                "autoScalingInstanceConfig.defaultInstanceWarmup",
                "from 1 to 3600 s, found 0",
            )],
        ),
        (
            "defaultInstanceWarmup 3601",
            json!({"autoScalingInstanceConfig": {"defaultInstanceWarmup": 3601}}),
            vec![(
                "autoScalingInstanceConfig.defaultInstanceWarmup",
                "found 3601",
            )],
        ),
        (
            "negative capacity",
            json!({"autoScalingInstanceConfig": {"maxCapacity": -1}}),
            vec![("autoScalingInstanceConfig.maxCapacity", "found -1")],
        ),
        (
            "min above max in the request",
            json!({"autoScalingInstanceConfig": {"minCapacity": 3, "maxCapacity": 2}}),
            vec![(
                "autoScalingInstanceConfig.maxCapacity",
                "must be at least minCapacity (3), found 2",
            )],
        ),
        (
            "desired outside the request's bounds",
            json!({"autoScalingInstanceConfig": {"minCapacity": 3, "desiredCapacity": 2}}),
            vec![(
                "autoScalingInstanceConfig.desiredCapacity",
                "must be at least minCapacity (3), found 2",
            )],
        ),
        (
            "unknown top-level field",
            json!({"enable": false, "streaming": false}),
            vec![("enable", "did you mean \"enabled\"?")],
        ),
        (
            "unknown autoscaling field",
            json!({"autoScalingInstanceConfig": {"minCapcity": 2, "maxCapacity": 4}}),
            vec![(
                "autoScalingInstanceConfig.minCapcity",
                "did you mean \"minCapacity\"?",
            )],
        ),
        (
            "the typo was the only field",
            json!({"autoScalingInstanceConfig": {"minCapcity": 2}}),
            vec![(
                "autoScalingInstanceConfig.minCapcity",
                "did you mean \"minCapacity\"?",
            )],
        ),
        (
            "the image cannot be updated",
            json!({"containerConfig": {"image": {"baseImage": "x", "type": "asset"}, "sharedMemorySize": 1024}}),
            vec![(
                "containerConfig.image",
                "unknown field \"image\"; allowed fields: environment, sharedMemorySize, healthCheckConfig",
            )],
        ),
        (
            "create-only field",
            json!({"instanceType": "g5.2xlarge", "enabled": true}),
            vec![("instanceType", "unknown field \"instanceType\"")],
        ),
        (
            "empty container settings",
            json!({"containerConfig": {}}),
            vec![(
                "containerConfig",
                "must set at least one of environment, sharedMemorySize, healthCheckConfig",
            )],
        ),
        (
            "embedding that streams",
            json!({"modelType": "embedding", "streaming": true}),
            vec![("streaming", "embedding models cannot stream")],
        ),
        (
            "modelType not in the enum",
            json!({"modelType": "chat"}),
            vec![("modelType", "found \"chat\"")],
        ),
        (
            "enabled not a boolean",
            json!({"enabled": "false"}),
            vec![("enabled", "must be true or false, found \"false\"")],
        ),
        (
            "bad environment key",
            json!({"containerConfig": {"environment": {"A-B": "1"}}}),
            vec![("containerConfig.environment.A-B", "must match")],
        ),
        (
            "sharedMemorySize 0",
            json!({"containerConfig": {"sharedMemorySize": 0}}),
            vec![(
                "containerConfig.sharedMemorySize",
                "at least 1 MiB, found 0",
            )],
        ),
        (
            "health check out of bounds",
            json!({"containerConfig": {"healthCheckConfig": {"command": "exit 0", "interval": 1}}}),
            vec![(
                "containerConfig.healthCheckConfig.interval",
                "from 5 to 300 s, found 1",
            )],
        ),
        ("enabled alone", json!({"enabled": false}), vec![]),
        (
            "container settings together",
            json!({"containerConfig": {"sharedMemorySize": 4096, "environment": {}}}),
            vec![],
        ),
    ];
    let failures: Vec<String> = rows
        .iter()
        .filter_map(|(name, payload, expected)| {
            let errors = errors_of(&ModelUpdate::from_json_value(payload));
            mismatch(&errors, expected)
                .or_else(|| schema_disagreement(Kind::Update, payload, &errors))
                .map(|why| format!("row {name:?}:\n{why}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_effective_bounds_are_checked_against_the_stored_ones() {
    // mistral-vllm stores min 1, max 1; the autoscaling seed stores min 1, max 4, desired 2.
    assert_rejected(
        "mistral-vllm",
        json!({"autoScalingInstanceConfig": {"minCapacity": 2}}),
        &[(
            "autoScalingInstanceConfig.minCapacity",
            "must be at most the effective maxCapacity (1), found 2",
        )],
    );
    let raised = apply(
        "mistral-vllm-autoscaling",
        json!({"autoScalingInstanceConfig": {"minCapacity": 3}}),
        None,
    )
    .expect("3 ≤ 4");
    let result = raised.apply_update(
        &parse(&json!({"autoScalingInstanceConfig": {"maxCapacity": 2}})),
        None,
    );
    assert!(
        mismatch(
            &errors_of(&result),
            &[(
                "autoScalingInstanceConfig.maxCapacity",
                "must be at least the effective minCapacity (3), found 2"
            )]
        )
        .is_none(),
        "{result:?}"
    );
    assert_rejected(
        "mistral-vllm-autoscaling",
        json!({"autoScalingInstanceConfig": {"desiredCapacity": 5}}),
        &[(
            "autoScalingInstanceConfig.desiredCapacity",
            "must be between the effective minCapacity (1) and maxCapacity (4), found 5",
        )],
    );
    assert_rejected(
        "mistral-vllm",
        json!({"autoScalingInstanceConfig": {"desiredCapacity": 2}}),
        &[(
            "autoScalingInstanceConfig.desiredCapacity",
            "maxCapacity (1), found 2",
        )],
    );
}

#[test]
fn the_seed_autoscaling_update_applies() {
    let result = apply("mistral-vllm", update("autoscaling"), Some(1)).expect("valid");
    assert_eq!(capacities(&result), (2, 4, Some(3)));
    let scaling = &result.hosting.as_ref().expect("hosted").auto_scaling_config;
    assert_eq!(
        (scaling.cooldown, scaling.default_instance_warmup),
        (420, 180)
    );
    result.validate().expect("the result is a valid definition");
}

#[test]
fn desired_rises_to_a_new_minimum_above_the_current_count() {
    let payload = json!({"autoScalingInstanceConfig": {"minCapacity": 2, "maxCapacity": 4}});
    let below = apply("mistral-vllm", payload.clone(), Some(1)).expect("valid");
    assert_eq!(capacities(&below), (2, 4, Some(2)));
    // At or above the minimum, or unknown: no desired count is imposed.
    let at = apply("mistral-vllm", payload.clone(), Some(2)).expect("valid");
    assert_eq!(capacities(&at), (2, 4, None));
    let unknown = apply("mistral-vllm", payload, None).expect("valid");
    assert_eq!(capacities(&unknown), (2, 4, None));
    // An explicit desired count wins over the rise.
    let explicit = apply(
        "mistral-vllm",
        json!({"autoScalingInstanceConfig": {"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": 3}}),
        Some(1),
    )
    .expect("valid");
    assert_eq!(capacities(&explicit), (2, 4, Some(3)));
}

#[test]
fn a_stored_desired_count_is_clamped_to_the_new_bounds() {
    // The autoscaling seed stores desired 2 within 1..=4.
    let lowered = apply(
        "mistral-vllm-autoscaling",
        json!({"autoScalingInstanceConfig": {"maxCapacity": 1}}),
        None,
    )
    .expect("valid");
    assert_eq!(capacities(&lowered), (1, 1, Some(1)));
    let raised = apply(
        "mistral-vllm-autoscaling",
        json!({"autoScalingInstanceConfig": {"minCapacity": 3}}),
        None,
    )
    .expect("valid");
    assert_eq!(capacities(&raised), (3, 4, Some(3)));
    let untouched = apply(
        "mistral-vllm-autoscaling",
        json!({"autoScalingInstanceConfig": {"cooldown": 60, "defaultInstanceWarmup": 3600}}),
        None,
    )
    .expect("valid");
    assert_eq!(capacities(&untouched), (1, 4, Some(2)));
    let scaling = &untouched
        .hosting
        .as_ref()
        .expect("hosted")
        .auto_scaling_config;
    assert_eq!(
        (scaling.cooldown, scaling.default_instance_warmup),
        (60, 3600)
    );
}

#[test]
fn embedding_turns_streaming_off() {
    let result = apply("mistral-vllm", json!({"modelType": "embedding"}), None).expect("valid");
    assert_eq!(result.model_type, ModelType::Embedding);
    assert_eq!(result.streaming, Some(false));
    result.validate().expect("the result is a valid definition");
    // The LiteLLM-only model has no container to check.
    let titan = apply("titan-express-v1", json!({"modelType": "embedding"}), None).expect("valid");
    assert_eq!(
        (titan.model_type, titan.streaming),
        (ModelType::Embedding, Some(false))
    );
    // Streaming on a stored embedding model.
    assert_rejected(
        "bge-large-tei",
        json!({"streaming": true}),
        &[("streaming", "embedding models cannot stream")],
    );
    // Built in code, bypassing the payload check: apply_update still refuses.
    let update = ModelUpdate {
        model_type: Some(ModelType::Embedding),
        streaming: Some(true),
        ..ModelUpdate::default()
    };
    let result = definition("mistral-vllm").apply_update(&update, None);
    assert!(
        mismatch(
            &errors_of(&result),
            &[("streaming", "embedding models cannot stream")]
        )
        .is_none(),
        "{result:?}"
    );
}

#[test]
fn a_model_type_the_container_cannot_serve_is_rejected() {
    assert_rejected(
        "falcon-7b-tgi",
        json!({"modelType": "embedding"}),
        &[("modelType", r#""tgi" cannot serve modelType "embedding""#)],
    );
    assert_rejected(
        "bge-large-tei",
        json!({"modelType": "textgen"}),
        &[("modelType", r#""tei" cannot serve modelType "textgen""#)],
    );
    assert_rejected(
        "mistral-vllm",
        json!({"modelType": "imagegen"}),
        &[("modelType", r#""vllm" cannot serve modelType "imagegen""#)],
    );
    let metadata = apply("mistral-vllm", update("metadata"), None).expect("valid");
    assert_eq!(
        (metadata.model_type, metadata.streaming),
        (ModelType::TextGen, Some(true))
    );
}

#[test]
fn hosting_settings_on_a_litellm_only_model_are_rejected() {
    const CLEAR: &str =
        "applies only to LISA-hosted models; \"titan-express-v1\" is a LiteLLM-only model";
    assert_rejected(
        "titan-express-v1",
        json!({"autoScalingInstanceConfig": {"minCapacity": 2}}),
        &[("autoScalingInstanceConfig", CLEAR)],
    );
    assert_rejected(
        "titan-express-v1",
        json!({"containerConfig": {"sharedMemorySize": 1024}}),
        &[("containerConfig", CLEAR)],
    );
    assert_rejected(
        "titan-express-v1",
        json!({
            "autoScalingInstanceConfig": {"maxCapacity": 2},
            "containerConfig": {"environment": {"A": "1"}}
        }),
        &[
            ("autoScalingInstanceConfig", CLEAR),
            ("containerConfig", CLEAR),
        ],
    );
}

#[test]
fn enabled_on_a_litellm_only_model_is_accepted() {
    let stored = definition("titan-express-v1");
    for seed in ["stop", "start"] {
        let result = apply("titan-express-v1", update(seed), None).expect("accepted");
        assert_eq!(result, stored, "{seed} changes no definition field");
    }
}

#[test]
fn shared_memory_is_checked_against_the_stored_instance() {
    assert_rejected(
        "mistral-vllm",
        json!({"containerConfig": {"sharedMemorySize": 16385}}),
        &[(
            "containerConfig.sharedMemorySize",
            "must be at most the memory of g5.xlarge (16384 MiB), found 16385 MiB",
        )],
    );
    let result = apply(
        "mistral-vllm",
        json!({"containerConfig": {"sharedMemorySize": 16384}}),
        None,
    )
    .expect("valid");
    let container = &result.hosting.as_ref().expect("hosted").container_config;
    assert_eq!(container.shared_memory_size, 16384);
    // The rest of the container settings are kept.
    assert_eq!(container.environment.len(), 3);
}

#[test]
fn environment_and_health_check_are_replaced_whole() {
    let result = apply(
        "mistral-vllm",
        json!({"containerConfig": {
            "environment": {"VLLM_LOGGING_LEVEL": "DEBUG"},
            "healthCheckConfig": {"command": ["CMD", "true"], "retries": 5}
        }}),
        None,
    )
    .expect("valid");
    let container = &result.hosting.as_ref().expect("hosted").container_config;
    assert_eq!(
        container.environment,
        BTreeMap::from([("VLLM_LOGGING_LEVEL".to_owned(), "DEBUG".to_owned())])
    );
    let health = &container.health_check_config;
    assert_eq!(health.command, ["CMD", "true"]);
    // Replaced, not merged: the stored interval (10) is gone and the default applies.
    assert_eq!((health.interval, health.retries), (None, Some(5)));
    assert_eq!(container.shared_memory_size, 2048);
    result.validate().expect("the result is a valid definition");

    let cleared = apply(
        "mistral-vllm",
        json!({"containerConfig": {"environment": {}}}),
        None,
    )
    .expect("valid");
    assert!(
        cleared
            .hosting
            .expect("hosted")
            .container_config
            .environment
            .is_empty()
    );
}
