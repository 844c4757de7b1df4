//! Whatever a client sends, the model layer answers with a value or with errors, never a panic;
//! and whatever it accepts serializes back to JSON that it accepts again as the same definition.
//!
//! Inputs: arbitrary JSON, the seed payloads with random fields replaced, deleted or added,
//! arbitrary text and broken seed text, and update payloads applied to every seed definition.

mod model_payloads;

use lisa_constructs::model::{ModelDefinition, ModelUpdate};
use model_payloads::{MODEL_SEEDS, UPDATE_SEEDS, definition, model, update};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value};
use std::sync::LazyLock;

static SEED_MODELS: LazyLock<Vec<Value>> =
    LazyLock::new(|| MODEL_SEEDS.iter().map(|seed| model(seed)).collect());
static SEED_UPDATES: LazyLock<Vec<Value>> =
    LazyLock::new(|| UPDATE_SEEDS.iter().map(|seed| update(seed)).collect());
static SEED_DEFINITIONS: LazyLock<Vec<ModelDefinition>> =
    LazyLock::new(|| MODEL_SEEDS.iter().map(|seed| definition(seed)).collect());

/// Strings the validators treat specially, so that mutations often land near a rule's edge.
const PLAUSIBLE_STRINGS: &[&str] = &[
    "",
    " ",
    "textgen",
    "embedding",
    "imagegen",
    "vllm",
    "tgi",
    "tei",
    "asset",
    "ecr",
    "external",
    "RequestCountPerTarget",
    "TargetResponseTime",
    "g5.xlarge",
    "m5.large",
    "p5.48xlarge",
    "CMD",
    "CMD-SHELL",
    "exit 0",
    "/health",
    "health",
    "vllm/vllm-openai:v0.5.0",
    "ghcr.io/a/b:1",
    "localhost:5000/x@sha256:0123456789abcdef0123456789abcdef",
    "s3://bucket/key",
    "/leading",
    "a/../b",
    "bedrock/amazon.titan-text-express-v1",
    "mistral-vllm",
    "Mistral",
    "é",
    "🦀",
    "\u{0}",
    "a-",
    "HF_TOKEN",
    "minCapcity",
    "path",
];

/// Field names of the payloads, so that added keys are sometimes known ones.
const FIELD_NAMES: &[&str] = &[
    "modelId",
    "modelName",
    "modelType",
    "streaming",
    "modelUrl",
    "inferenceContainer",
    "instanceType",
    "containerConfig",
    "autoScalingConfig",
    "loadBalancerConfig",
    "image",
    "baseImage",
    "type",
    "path",
    "sharedMemorySize",
    "environment",
    "healthCheckConfig",
    "command",
    "interval",
    "timeout",
    "retries",
    "startPeriod",
    "minCapacity",
    "maxCapacity",
    "desiredCapacity",
    "cooldown",
    "defaultInstanceWarmup",
    "blockDeviceVolumeSize",
    "metricConfig",
    "albMetricName",
    "targetValue",
    "duration",
    "estimatedInstanceWarmup",
    "healthyThresholdCount",
    "unhealthyThresholdCount",
    "enabled",
    "autoScalingInstanceConfig",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(FIELD_NAMES).prop_map(str::to_owned),
        any::<String>(),
        "[A-Za-z_][A-Za-z0-9_]{0,8}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-3_i64..5000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // NaN and infinities become null, as serde_json does.
        any::<f64>().prop_map(Value::from),
        select(&[0.5, -0.0, 1e-320, 2.5, 1e15, 1e300, 4_294_967_296.0][..]).prop_map(Value::from),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        number(),
        select(PLAUSIBLE_STRINGS).prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ]
}

/// Arbitrary JSON: nested objects and arrays of strings, numbers, booleans and nulls.
fn json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every node's JSON pointer, the root's included.
fn pointers(value: &Value) -> Vec<String> {
    fn walk(value: &Value, at: String, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    walk(child, format!("{at}/{escaped}"), out);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), out);
                }
            }
            _ => {}
        }
        out.push(at);
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// One random change at one random node of a payload.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(Index, Value),
    Delete(Index),
    AddKey(Index, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), json()).prop_map(|(at, value)| Mutation::Replace(at, value)),
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), key(), json())
            .prop_map(|(at, key, value)| Mutation::AddKey(at, key, value)),
    ]
}

fn mutate(value: &mut Value, mutation: &Mutation) {
    let all = pointers(value);
    match mutation {
        Mutation::Replace(at, new) => {
            if let Some(node) = value.pointer_mut(at.get(&all).as_str()) {
                *node = new.clone();
            }
        }
        Mutation::Delete(at) => {
            let pointer = at.get(&all).as_str();
            let Some((parent, last)) = pointer.rsplit_once('/') else {
                return;
            };
            let last = last.replace("~1", "/").replace("~0", "~");
            match value.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&last);
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>() {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::AddKey(at, key, new) => {
            if let Some(Value::Object(map)) = value.pointer_mut(at.get(&all).as_str()) {
                map.insert(key.clone(), new.clone());
            }
        }
    }
}

fn mutated(seeds: &'static [Value]) -> impl Strategy<Value = Value> {
    (select(seeds), prop::collection::vec(mutation(), 1..4)).prop_map(|(seed, mutations)| {
        let mut value = seed;
        for m in &mutations {
            mutate(&mut value, m);
        }
        value
    })
}

/// Seed text cut short, or with a random string spliced in.
fn broken_seed_text() -> impl Strategy<Value = String> {
    (
        select(MODEL_SEEDS),
        any::<Index>(),
        any::<Index>(),
        any::<String>(),
    )
        .prop_map(|(seed, from, to, insert)| {
            let text = serde_json::to_string_pretty(&model(seed)).expect("serializes");
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let (a, b) = (*from.get(&boundaries), *to.get(&boundaries));
            let (start, end) = (a.min(b), a.max(b));
            format!("{}{insert}{}", &text[..start], &text[end..])
        })
}

/// Update payloads shaped like real ones, with values around and beyond every bound.
fn update_payload() -> impl Strategy<Value = Value> {
    let small = || prop_oneof![(0_i64..12).prop_map(Value::from), number()];
    let maybe = |value: BoxedStrategy<Value>| prop::option::weighted(0.5, value);
    let instance_config = (
        maybe(small().boxed()),
        maybe(small().boxed()),
        maybe(small().boxed()),
        maybe(small().boxed()),
        maybe(prop_oneof![(0_i64..4000).prop_map(Value::from), number()].boxed()),
    )
        .prop_map(|(min, max, desired, cooldown, warmup)| {
            object(&[
                ("minCapacity", min),
                ("maxCapacity", max),
                ("desiredCapacity", desired),
                ("cooldown", cooldown),
                ("defaultInstanceWarmup", warmup),
            ])
        });
    let environment = prop::collection::btree_map(key(), leaf(), 0..3)
        .prop_map(|map| Value::Object(map.into_iter().collect()));
    let health = (
        prop_oneof![
            select(PLAUSIBLE_STRINGS).prop_map(Value::from),
            prop::collection::vec(select(PLAUSIBLE_STRINGS).prop_map(Value::from), 0..3)
                .prop_map(Value::Array),
        ],
        maybe((0_i64..400).prop_map(Value::from).boxed()),
        maybe((0_i64..400).prop_map(Value::from).boxed()),
    )
        .prop_map(|(command, interval, timeout)| {
            object(&[
                ("command", Some(command)),
                ("interval", interval),
                ("timeout", timeout),
            ])
        });
    let container = (
        maybe(environment.boxed()),
        maybe(prop_oneof![(0_i64..40_000).prop_map(Value::from), number()].boxed()),
        maybe(health.boxed()),
    )
        .prop_map(|(environment, shm, health)| {
            object(&[
                ("environment", environment),
                ("sharedMemorySize", shm),
                ("healthCheckConfig", health),
            ])
        });
    let model_type = prop_oneof![
        select(&["textgen", "embedding", "imagegen", "videogen"][..]).prop_map(Value::from),
        leaf(),
    ];
    (
        maybe(any::<bool>().prop_map(Value::from).boxed()),
        maybe(instance_config.boxed()),
        maybe(model_type.boxed()),
        maybe(any::<bool>().prop_map(Value::from).boxed()),
        maybe(container.boxed()),
    )
        .prop_map(|(enabled, scaling, model_type, streaming, container)| {
            object(&[
                ("enabled", enabled),
                ("autoScalingInstanceConfig", scaling),
                ("modelType", model_type),
                ("streaming", streaming),
                ("containerConfig", container),
            ])
        })
}

fn object(fields: &[(&str, Option<Value>)]) -> Value {
    Value::Object(
        fields
            .iter()
            .filter_map(|(key, value)| Some(((*key).to_owned(), value.clone()?)))
            .collect(),
    )
}

/// An accepted definition validates, and serializes to a payload that reads back as the same
/// definition.
fn check_accepted(definition: &ModelDefinition) -> Result<(), TestCaseError> {
    prop_assert_eq!(definition.validate(), Ok(()));
    let value = serde_json::to_value(definition).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let again = ModelDefinition::from_json_value(&value);
    prop_assert_eq!(again.as_ref(), Ok(definition), "from {}", value);
    Ok(())
}

/// As [`check_accepted`], through JSON text as the registry stores it. Only for definitions
/// whose numbers were typed by people: see `typed_target_values_round_trip_through_text`.
fn check_accepted_through_text(definition: &ModelDefinition) -> Result<(), TestCaseError> {
    check_accepted(definition)?;
    let text = serde_json::to_string(definition).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let again =
        ModelDefinition::from_json_str(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&again, definition, "from {}", text);
    Ok(())
}

/// A definition read from `value`, when it is one; checked as accepted.
fn read_definition(value: &Value) -> Result<(), TestCaseError> {
    if let Ok(definition) = ModelDefinition::from_json_value(value) {
        check_accepted(&definition)?;
    }
    Ok(())
}

/// An update read from `value`, when it is one: it serializes back to an equal update, and
/// applies to every seed definition either with errors or giving a valid definition.
fn read_and_apply_update(value: &Value, current: Option<u32>) -> Result<(), TestCaseError> {
    let Ok(update) = ModelUpdate::from_json_value(value) else {
        return Ok(());
    };
    let again = serde_json::to_value(&update).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(ModelUpdate::from_json_value(&again), Ok(update.clone()));
    for stored in SEED_DEFINITIONS.iter() {
        if let Ok(next) = stored.apply_update(&update, current) {
            prop_assert_eq!(next.model_id.as_str(), stored.model_id.as_str());
            check_accepted(&next)?;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_json_as_a_definition(value in json()) {
        read_definition(&value)?;
    }

    #[test]
    fn mutated_seed_definitions(value in mutated(&SEED_MODELS)) {
        read_definition(&value)?;
    }

    // Values as people type them: up to 15 significant digits. A double that needs 17 digits
    // (120476020923.24785) is read back one ulp off by serde_json unless its `float_roundtrip`
    // feature is on, so such a targetValue does not survive a text round trip exactly.
    #[test]
    fn typed_target_values_round_trip_through_text(
        mantissa in 1_u64..1_000_000_000_000_000,
        scale in 0_i32..12,
    ) {
        let target = mantissa as f64 / 10_f64.powi(scale);
        let mut value = SEED_MODELS[0].clone();
        value["autoScalingConfig"]["metricConfig"]["targetValue"] = Value::from(target);
        let definition = ModelDefinition::from_json_value(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_accepted_through_text(&definition)?;
    }

    #[test]
    fn arbitrary_text_as_a_definition(text in any::<String>()) {
        let _ = ModelDefinition::from_json_str(&text);
        let _ = ModelUpdate::from_json_str(&text);
    }

    // A byte-order mark changes nothing; a key written twice anywhere is refused, never
    // silently replaced by its second value.
    #[test]
    fn a_byte_order_mark_is_ignored_and_a_repeated_key_refused(
        seed in 0..MODEL_SEEDS.len(),
        pick in any::<Index>(),
    ) {
        let value = &SEED_MODELS[seed];
        let text = value.to_string();
        let with_bom = format!("\u{feff}{text}");
        prop_assert!(ModelDefinition::from_json_str(&with_bom).is_ok());
        let objects: Vec<String> = pointers(value)
            .into_iter()
            .filter(|p| value.pointer(p).is_some_and(|v| v.as_object().is_some_and(|o| !o.is_empty())))
            .chain([String::new()])
            .collect();
        let pointer = pick.get(&objects);
        let object = value.pointer(pointer).and_then(Value::as_object).expect("an object");
        // The object's text with its first key written again at the end.
        let (key, first) = object.iter().next().expect("not empty");
        let mut body: Vec<String> = object
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(k.as_str())))
            .collect();
        body.push(format!("{}:{first}", Value::from(key.as_str())));
        let placeholder = "\"__placeholder__\"";
        let object_text = format!("{{{}}}", body.join(","));
        let text = if pointer.is_empty() {
            object_text
        } else {
            let mut holder = value.clone();
            *holder.pointer_mut(pointer).expect("exists") = Value::from("__placeholder__");
            holder.to_string().replacen(placeholder, &object_text, 1)
        };
        match ModelDefinition::from_json_str(&text) {
            Err(lisa_constructs::model::DefinitionError::Syntax { message, .. }) => {
                prop_assert!(message.contains("duplicate key"), "{}", message);
            }
            other => prop_assert!(false, "{} accepted or misreported: {:?}", text, other),
        }
    }

    #[test]
    fn broken_seed_text_as_a_definition(text in broken_seed_text()) {
        if let Ok(definition) = ModelDefinition::from_json_str(&text) {
            check_accepted(&definition)?;
        }
    }

    #[test]
    fn arbitrary_json_as_an_update(value in json(), current in prop::option::of(0_u32..10)) {
        read_and_apply_update(&value, current)?;
    }

    #[test]
    fn mutated_seed_updates(value in mutated(&SEED_UPDATES), current in prop::option::of(0_u32..10)) {
        read_and_apply_update(&value, current)?;
    }

    #[test]
    fn structured_updates_applied_to_every_seed(
        value in update_payload(),
        current in prop::option::of(0_u32..10),
    ) {
        read_and_apply_update(&value, current)?;
    }
}

/// The generators are only worth something if they reach both outcomes.
#[test]
fn the_generators_reach_accepted_and_rejected_payloads() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let (mut definitions_ok, mut definitions_err) = (0, 0);
    let strategy = mutated(&SEED_MODELS);
    for _ in 0..500 {
        let value = strategy.new_tree(&mut runner).expect("generates").current();
        match ModelDefinition::from_json_value(&value) {
            Ok(_) => definitions_ok += 1,
            Err(_) => definitions_err += 1,
        }
    }
    let (mut applied, mut refused) = (0, 0);
    let strategy = update_payload();
    for _ in 0..500 {
        let value = strategy.new_tree(&mut runner).expect("generates").current();
        if let Ok(update) = ModelUpdate::from_json_value(&value) {
            match SEED_DEFINITIONS[0].apply_update(&update, None) {
                Ok(_) => applied += 1,
                Err(_) => refused += 1,
            }
        }
    }
    assert!(
        definitions_ok > 10 && definitions_err > 10,
        "mutated seeds: {definitions_ok} accepted, {definitions_err} rejected"
    );
    assert!(
        applied > 10 && refused > 10,
        "updates: {applied} applied, {refused} refused"
    );
}
