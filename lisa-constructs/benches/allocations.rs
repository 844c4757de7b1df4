//! Heap allocations of one in-process synthesis of the seed examples, counted by a global
//! allocator that tallies every call (criterion measures time; this measures what malloc and
//! free see). Run with `cargo bench -p lisa-constructs --bench allocations`.
//!
//! Each figure is the allocation count of one call, after a first call that warms lazily built
//! state (compiled script templates); the seed's figure is what the issue tracks.

use lisa_constructs::ecs_model::{StackOptions, synthesize_valid};
use lisa_constructs::model::ValidDefinition;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;
use std::path::Path;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn example(file: &str) -> ValidDefinition {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    ValidDefinition::from_json_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a valid definition: {e:?}", path.display()))
}

/// Allocations and allocated bytes of one call of `work`.
fn count(work: impl Fn()) -> (usize, usize) {
    work();
    let region = Region::new(GLOBAL);
    work();
    let stats = region.change();
    (
        stats.allocations + stats.reallocations,
        stats.bytes_allocated,
    )
}

fn main() {
    let options = StackOptions::default();
    println!("heap allocations per synthesis (allocations + reallocations, bytes allocated)");
    for (name, file) in [
        ("seed-mistral-vllm", "mistral-vllm.json"),
        ("litellm-only-titan", "titan-express-v1.json"),
    ] {
        let valid = example(file);
        let synthesize = || {
            black_box(synthesize_valid(black_box(&valid), &options).expect("synthesizes"));
        };
        let to_json = || {
            let stack = synthesize_valid(black_box(&valid), &options).expect("synthesizes");
            black_box(stack.template.to_json_string().expect("serializes"));
        };
        let (n, bytes) = count(synthesize);
        println!("{name}/synthesize_only: {n} allocations, {bytes} bytes");
        let (n, bytes) = count(to_json);
        println!("{name}/to_json_string: {n} allocations, {bytes} bytes");
    }
}
