//! Reading and validating model definitions in bulk: 10,000 payloads per iteration, a mix of
//! the two seed examples (hosted mistral-vllm, LiteLLM-only titan) and variations of them.
//!
//! Run with `cargo bench -p lisa-constructs --bench validate`; criterion's time per iteration is
//! the time for all 10,000 definitions.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lisa_constructs::model::ModelDefinition;
use serde_json::{Value, json};
use std::hint::black_box;
use std::path::Path;

const COUNT: usize = 10_000;

fn seed(file: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// 10,000 valid payloads: three hosted variations for every LiteLLM-only one, each with its
/// own id and different numbers, instance types and environment.
fn payloads() -> Vec<Value> {
    let hosted = seed("mistral-vllm.json");
    let litellm = seed("titan-express-v1.json");
    let instances = ["g5.xlarge", "g5.2xlarge", "g6e.xlarge", "p4d.24xlarge"];
    (0..COUNT)
        .map(|i| {
            if i % 4 == 3 {
                let mut value = litellm.clone();
                value["modelId"] = json!(format!("titan-{i}"));
                value["streaming"] = json!(i % 8 == 3);
                return value;
            }
            let mut value = hosted.clone();
            value["modelId"] = json!(format!("mistral-{i}"));
            value["instanceType"] = json!(instances[i % instances.len()]);
            let max = 1 + (i % 5) as u64;
            value["autoScalingConfig"]["maxCapacity"] = json!(max);
            if max > 1 {
                value["autoScalingConfig"]["desiredCapacity"] = json!(max - 1);
            }
            value["containerConfig"]["sharedMemorySize"] = json!(1024 * (1 + i % 8));
            value["containerConfig"]["environment"]["MAX_TOTAL_TOKENS"] =
                json!((2048 + i).to_string());
            value["autoScalingConfig"]["metricConfig"]["targetValue"] = json!(10 + i % 50);
            value
        })
        .collect()
}

fn bench_validation(c: &mut Criterion) {
    let values = payloads();
    let texts: Vec<String> = values.iter().map(Value::to_string).collect();
    let definitions: Vec<ModelDefinition> = values
        .iter()
        .map(|v| ModelDefinition::from_json_value(v).unwrap_or_else(|e| panic!("{v}: {e}")))
        .collect();

    let mut group = c.benchmark_group("validate_10000");
    group.throughput(Throughput::Elements(COUNT as u64));
    group.sample_size(10);
    group.bench_function("from_json_value", |b| {
        b.iter(|| {
            for value in &values {
                black_box(ModelDefinition::from_json_value(black_box(value)).is_ok());
            }
        });
    });
    group.bench_function("from_json_str", |b| {
        b.iter(|| {
            for text in &texts {
                black_box(ModelDefinition::from_json_str(black_box(text)).is_ok());
            }
        });
    });
    // validate() re-serializes and re-reads: what a library user pays for a definition built in code.
    group.bench_function("validate_parsed", |b| {
        b.iter(|| {
            for definition in &definitions {
                black_box(black_box(definition).validate().is_ok());
            }
        });
    });
    // Every other payload rejected with several errors: reporting them costs string formatting.
    let mut invalid = values.clone();
    for value in invalid.iter_mut().step_by(2) {
        value["modelId"] = json!("Bad_Id");
        value["autoScalingConfig"] = json!({"minCapcity": 0});
    }
    group.bench_function("from_json_value_half_invalid", |b| {
        b.iter(|| {
            for value in &invalid {
                black_box(ModelDefinition::from_json_value(black_box(value)).is_ok());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench_validation);
criterion_main!(benches);
