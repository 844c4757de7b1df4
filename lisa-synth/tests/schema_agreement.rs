//! For arbitrary mutations of the example definitions, `lisa-synth validate`, `lisa-synth synth`
//! and the JSON Schema that `lisa-synth schema` prints give the same verdict.
//!
//! The schema cannot express rules that relate two fields or need the catalog's figures (it
//! lists them in its description); when every problem `validate` reports is one of those
//! ([`beyond_schema`]), the schema may accept. Otherwise the verdicts must be equal.

mod support;

use lisa_constructs::model::{ValidationError, beyond_schema};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::OnceLock;
use support::*;

/// Every example definition.
fn examples() -> &'static [Value] {
    static EXAMPLES: OnceLock<Vec<Value>> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let mut paths: Vec<_> = std::fs::read_dir(models())
            .expect("examples/models")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| json(&std::fs::read_to_string(p).expect("reads")))
            .collect()
    })
}

/// The schema printed by `lisa-synth schema`, compiled.
fn schema() -> &'static jsonschema::Validator {
    static SCHEMA: OnceLock<jsonschema::Validator> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let output = run(["schema"]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        jsonschema::validator_for(&json(&stdout(&output))).expect("the schema compiles")
    })
}

/// JSON pointers of every value in `value`, the root excluded.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let pointer = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let pointer = format!("{at}/{i}");
                out.push(pointer.clone());
                pointers(child, &pointer, out);
            }
        }
        _ => {}
    }
}

/// Values that sit on or just past the rules' edges, of every JSON type.
fn palette() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.0),
        json!(2.5),
        json!(2),
        json!(4),
        json!(5),
        json!(10),
        json!(11),
        json!(30),
        json!(120),
        json!(121),
        json!(300),
        json!(301),
        json!(3600),
        json!(3601),
        json!(16_384),
        json!(4_294_967_295_u64),
        json!(4_294_967_296_u64),
        json!(""),
        json!(" "),
        json!("x"),
        json!("a b"),
        json!("Upper"),
        json!("/health"),
        json!("health"),
        json!("textgen"),
        json!("embedding"),
        json!("vllm"),
        json!("tei"),
        json!("g5.xlarge"),
        json!("m5.large"),
        json!("CMD-SHELL"),
        json!("x".repeat(1100)),
        json!(["CMD"]),
        json!(["CMD-SHELL", "exit 0"]),
        json!(["CMD", " "]),
        json!([1, 2]),
        json!([]),
        json!({}),
        json!({"A": "1"}),
    ]
}

/// One change to a payload.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value at a pointer (chosen by index) with a palette value (by index).
    Set(usize, usize),
    /// Set the value at a pointer to null (which the reader takes for an absent field).
    Null(usize),
    /// Remove the key at a pointer.
    Remove(usize),
    /// Add an unknown key to the object at a pointer (or the root).
    Unknown(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), any::<usize>()).prop_map(|(p, v)| Mutation::Set(p, v)),
        1 => any::<usize>().prop_map(Mutation::Null),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Unknown),
    ]
}

fn apply(payload: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(payload, "", &mut all);
    if all.is_empty() {
        return;
    }
    let pick = |i: usize| all[i % all.len()].clone();
    match mutation {
        Mutation::Set(p, v) => {
            let values = palette();
            if let Some(slot) = payload.pointer_mut(&pick(*p)) {
                *slot = values[v % values.len()].clone();
            }
        }
        Mutation::Null(p) => {
            if let Some(slot) = payload.pointer_mut(&pick(*p)) {
                *slot = Value::Null;
            }
        }
        Mutation::Remove(p) => {
            let pointer = pick(*p);
            let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
            match payload.pointer_mut(parent) {
                Some(Value::Object(map)) => {
                    map.shift_remove(&key.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = key.parse::<usize>() {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
        Mutation::Unknown(p) => {
            let pointer = pick(*p);
            let target = match payload.pointer_mut(&pointer) {
                Some(Value::Object(_)) => pointer,
                _ => String::new(),
            };
            if let Some(Value::Object(map)) = payload.pointer_mut(&target) {
                map.insert("unknownField".into(), json!(1));
            }
        }
    }
}

/// The problems `validate` reports, as validation errors.
fn problems(stderr: &str) -> Vec<ValidationError> {
    let problems = json(stderr);
    problems
        .as_array()
        .expect("an array of problems")
        .iter()
        .map(|p| ValidationError {
            path: p["path"].as_str().unwrap_or_default().to_owned(),
            message: p["message"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn validate_synth_and_the_schema_agree(
        example in 0..examples().len(),
        mutations in prop::collection::vec(mutation(), 1..=3),
    ) {
        let mut payload = examples()[example].clone();
        for m in &mutations {
            apply(&mut payload, m);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write(dir.path(), "mutated.json", payload.to_string());
        let file = file.to_str().expect("UTF-8");

        let validated = run(["validate", "-q", "--error-format", "json", file]);
        let synthesized = run(["synth", "-q", file]);
        assert_no_panic(&validated);
        assert_no_panic(&synthesized);
        let validate_accepts = code(&validated) == 0;
        prop_assert!(code(&validated) <= 1, "{}", stderr(&validated));
        prop_assert_eq!(
            validate_accepts,
            code(&synthesized) == 0,
            "validate and synth disagree on {}:\n{}\n{}",
            payload,
            stderr(&validated),
            stderr(&synthesized)
        );
        prop_assert_eq!(validate_accepts, !stdout(&synthesized).is_empty());

        let schema_errors: Vec<String> =
            schema().iter_errors(&payload).map(|e| format!("{}: {e}", e.instance_path())).collect();
        if validate_accepts {
            prop_assert!(
                schema_errors.is_empty(),
                "the CLI accepts {} but the schema refuses it: {:#?}",
                payload,
                schema_errors
            );
        } else {
            let problems = problems(&stderr(&validated));
            if problems.iter().any(|p| !beyond_schema(p)) {
                prop_assert!(
                    !schema_errors.is_empty(),
                    "the CLI refuses {} ({:?}) but the schema accepts it",
                    payload,
                    problems
                );
            }
        }
    }
}
