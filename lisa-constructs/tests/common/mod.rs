//! The synthesis cases every template test runs over: the snapshots, the linters and the
//! property tests all see the same templates.
#![allow(dead_code)]

use lisa_constructs::ecs_model::{ModelStack, RunState, StackOptions, synthesize};
use lisa_constructs::model::ModelDefinition;
use serde_json::Value;
use std::path::PathBuf;

/// One model definition synthesized with one set of options.
#[derive(Debug, Clone)]
pub struct Case {
    /// The snapshot name.
    pub name: &'static str,
    /// The definition file under `examples/models/` (or, as `fixtures/<name>`, under
    /// `lisa-constructs/tests/fixtures/`).
    pub file: &'static str,
    /// The synthesis options.
    pub options: StackOptions,
}

fn running() -> StackOptions {
    StackOptions::default()
}

/// Every case: the seed's two models, and one case per stack variant that must be covered.
pub fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "seed-mistral-vllm",
            file: "mistral-vllm.json",
            options: running(),
        },
        Case {
            name: "vllm-autoscaling",
            file: "mistral-vllm-autoscaling.json",
            options: running(),
        },
        Case {
            name: "vllm-multi-gpu",
            file: "llama3-70b-vllm.json",
            options: running(),
        },
        Case {
            name: "tgi-response-time-scaling",
            file: "falcon-7b-tgi.json",
            options: running(),
        },
        Case {
            name: "tei-embedding-cpu-ecr",
            file: "bge-large-tei.json",
            options: running(),
        },
        Case {
            name: "vllm-queue-scaling-server-args",
            file: "fixtures/mistral-vllm-queue.json",
            options: running(),
        },
        Case {
            name: "seed-titan-litellm-only",
            file: "titan-express-v1.json",
            options: running(),
        },
        Case {
            name: "seed-mistral-vllm-stopped",
            file: "mistral-vllm.json",
            options: StackOptions {
                run_state: RunState::Stopped,
                ..running()
            },
        },
        Case {
            name: "seed-mistral-vllm-https",
            file: "mistral-vllm.json",
            options: StackOptions {
                https: true,
                ..running()
            },
        },
        Case {
            name: "vllm-nightly-schedule",
            file: "mistral-vllm-nightly.json",
            options: running(),
        },
        Case {
            name: "titan-office-hours-schedule",
            file: "titan-office-hours.json",
            options: running(),
        },
        Case {
            name: "titan-stopped-custom-deployment",
            file: "titan-express-v1.json",
            options: StackOptions {
                run_state: RunState::Stopped,
                deployment_name: "prodeu".into(),
                ..running()
            },
        },
    ]
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Reads a definition from `examples/models/` (or `fixtures/<name>` from the tests' fixtures).
pub fn definition(file: &str) -> ModelDefinition {
    let path = match file.strip_prefix("fixtures/") {
        Some(fixture) => workspace()
            .join("lisa-constructs/tests/fixtures")
            .join(fixture),
        None => workspace().join("examples/models").join(file),
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ModelDefinition::from_json_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Synthesizes a case.
pub fn synth(case: &Case) -> ModelStack {
    synthesize(&definition(case.file), &case.options)
        .unwrap_or_else(|e| panic!("{}: {e}", case.name))
}

/// A case's template as the JSON text `lisa-synth synth` writes.
pub fn template_text(case: &Case) -> String {
    synth(case).template.to_json_string().expect("serializes")
}

/// A case's template as a JSON value.
pub fn template_json(case: &Case) -> Value {
    synth(case).template.to_json().expect("serializes")
}

/// The case named `name`.
pub fn case(name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

/// The one resource of a type in a template's JSON: (logical id, resource).
pub fn only<'a>(template: &'a Value, resource_type: &str) -> (&'a str, &'a Value) {
    let found: Vec<(&str, &Value)> = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == resource_type)
        .map(|(id, r)| (id.as_str(), r))
        .collect();
    assert_eq!(found.len(), 1, "expected one {resource_type}: {found:?}");
    found[0]
}
