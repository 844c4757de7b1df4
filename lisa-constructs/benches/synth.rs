//! In-process synthesis of the example model definitions.
//!
//! Target: at most 100 µs per seed-model synthesis on a 2-core machine (`synthesize_only`, and
//! `validated/to_json_string`, which also renders the pretty JSON text as `lisa-synth` writes
//! it). Run with `cargo bench -p lisa-constructs --bench synth`; `--bench allocations` counts
//! the heap allocations of the same calls.

use criterion::{Criterion, criterion_group, criterion_main};
use lisa_constructs::ecs_model::{StackOptions, synthesize, synthesize_valid};
use lisa_constructs::model::{ModelDefinition, ValidDefinition};
use std::hint::black_box;
use std::path::Path;

fn example(file: &str) -> ModelDefinition {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    ModelDefinition::from_json_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a valid definition: {e:?}", path.display()))
}

fn bench_synthesis(c: &mut Criterion) {
    let options = StackOptions::default();
    let mut group = c.benchmark_group("synthesize");
    for (name, file) in [
        ("seed-mistral-vllm", "mistral-vllm.json"),
        ("litellm-only-titan", "titan-express-v1.json"),
    ] {
        let definition = example(file);
        group.bench_function(format!("{name}/to_json_string"), |b| {
            b.iter(|| {
                let stack = synthesize(black_box(&definition), &options).expect("synthesizes");
                stack.template.to_json_string().expect("serializes")
            });
        });
        group.bench_function(format!("{name}/synthesize_only"), |b| {
            b.iter(|| synthesize(black_box(&definition), &options).expect("synthesizes"));
        });
        // What lisa-synth does: the definition was validated when it was read.
        let valid = ValidDefinition::new(definition.clone()).expect("valid");
        group.bench_function(format!("{name}/validated/to_json_string"), |b| {
            b.iter(|| {
                let stack = synthesize_valid(black_box(&valid), &options).expect("synthesizes");
                stack.template.to_json_string().expect("serializes")
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench_synthesis);
criterion_main!(benches);
