//! `containerConfig.serverArgs`: appended to the server's command one word each, and never a
//! flag the product sets itself (the reserved list is checked against the rendered commands).

mod common;

use lisa_constructs::ecs_model::{StackOptions, synthesize};
use lisa_constructs::model::{InferenceContainer, ModelDefinition};
use serde_json::{Value, json};

fn fixture() -> Value {
    let path = common::workspace().join("lisa-constructs/tests/fixtures/mistral-vllm-queue.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

fn server_command(definition: &ModelDefinition) -> String {
    let template = synthesize(definition, &StackOptions::default())
        .expect("synthesizes")
        .template
        .to_json()
        .expect("renders");
    let (_, task) = template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::ECS::TaskDefinition")
        .expect("a task definition");
    task["Properties"]["ContainerDefinitions"]
        .as_array()
        .expect("containers")
        .iter()
        .find(|c| c["Name"] == "model-server")
        .expect("the server")["Command"][0]
        .as_str()
        .expect("a command string")
        .to_owned()
}

/// The flags a server command line sets: every word that starts with `-` on the lines that
/// continue the `exec` line (the `exec` line itself names the program).
fn flags_of(command: &str) -> Vec<String> {
    let exec = command.find("exec ").expect("an exec line");
    let arguments = exec + command[exec..].find('\n').expect("continued");
    command[arguments..]
        .split_whitespace()
        .filter(|word| word.starts_with('-') && *word != "\\")
        .map(|word| word.split('=').next().unwrap_or(word).to_owned())
        .collect()
}

#[test]
fn every_flag_the_product_sets_is_reserved() {
    for (file, container) in [
        ("mistral-vllm.json", InferenceContainer::Vllm),
        ("llama3-70b-vllm.json", InferenceContainer::Vllm),
        ("falcon-7b-tgi.json", InferenceContainer::Tgi),
        ("bge-large-tei.json", InferenceContainer::Tei),
    ] {
        let mut value = serde_json::to_value(common::definition(file)).expect("JSON");
        // An embedding vLLM model also sets --task.
        if container == InferenceContainer::Vllm {
            value["modelType"] = json!("embedding");
            value["streaming"] = json!(false);
        }
        let definition = ModelDefinition::from_json_value(&value).expect("valid");
        let reserved: Vec<&str> = container.reserved_flags().iter().map(|r| r.flag).collect();
        for flag in flags_of(&server_command(&definition)) {
            assert!(
                reserved.contains(&flag.as_str()),
                "{file}: {flag} is set but not reserved"
            );
        }
    }
}

#[test]
fn server_arguments_end_the_command_one_quoted_word_each() {
    let definition = ModelDefinition::from_json_value(&fixture()).expect("valid");
    let command = server_command(&definition);
    assert!(
        command.ends_with(
            "  --max-num-seqs 128 \\\n  --enable-auto-tool-choice \\\n  --tool-call-parser \\\n  hermes \\\n  --chat-template \\\n  '{% for m in messages %}{{ m['\\''content'\\''] }}{% endfor %}'\n"
        ),
        "{command}"
    );
    // What sh makes of the command: the words the server gets, the template one of them.
    let words = std::process::Command::new("sh")
        .args([
            "-c",
            &format!(
                "set -- {}; printf '%s\\n' \"$@\"",
                command[command.find("--enable").expect("args")..]
                    .trim_end()
                    .replace("\\\n", " ")
            ),
        ])
        .output()
        .expect("sh runs");
    assert_eq!(
        String::from_utf8_lossy(&words.stdout),
        "--enable-auto-tool-choice\n--tool-call-parser\nhermes\n--chat-template\n{% for m in messages %}{{ m['content'] }}{% endfor %}\n"
    );
}
