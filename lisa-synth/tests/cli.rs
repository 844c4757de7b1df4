//! Drives the real `lisa-synth` binary: exit codes, what goes to standard output and error, and
//! the files `synth --out` writes.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_path_buf()
}

fn models() -> PathBuf {
    workspace().join("examples/models")
}

fn model(file: &str) -> PathBuf {
    models().join(file)
}

fn updates() -> PathBuf {
    workspace().join("examples/updates")
}

fn lisa_synth<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_lisa-synth"))
        .args(args)
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 on stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 on stderr")
}

/// The problem lines on standard error (without notes and the summary).
fn problems(output: &Output) -> String {
    stderr(output)
        .lines()
        .filter(|l| !l.contains(" problem(s) in ") && !l.starts_with("lisa-synth: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited, not killed")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// Writes `text` to `name` in `dir`; returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("writes the test file");
    path
}

/// The seed example with another modelId.
fn seed_with_id(id: &str) -> String {
    let text = std::fs::read_to_string(model("mistral-vllm.json")).expect("seed example");
    let mut value = json(&text);
    value["modelId"] = Value::String(id.to_owned());
    value.to_string()
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("lists the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn example_model_ids() -> Vec<String> {
    let mut ids: Vec<String> = std::fs::read_dir(models())
        .expect("examples/models")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("reads the example");
            json(&text)["modelId"]
                .as_str()
                .expect("every example has a modelId")
                .to_owned()
        })
        .collect();
    ids.sort();
    ids
}

const TYPO: &str = r#"{"modelId": "titan", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen", "streamng": true}"#;
const MALFORMED: &str = "{\n  \"modelId\": \"x\",\n  \"modelName\" \"a\"\n}\n";

// validate

#[test]
fn validate_accepts_every_example_model() {
    let output = lisa_synth([Path::new("validate"), &models()]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "no problems printed");
    let n = example_model_ids().len();
    assert!(
        stderr(&output).contains(&format!("{n} definition(s) valid")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn validate_prints_file_path_and_message_with_a_did_you_mean() {
    let dir = tempfile::tempdir().expect("temp dir");
    let typo = write(dir.path(), "typo.json", TYPO);
    let output = lisa_synth([Path::new("validate"), &typo]);
    assert_eq!(code(&output), 1);
    let expected = format!(
        "{}: streamng: unknown field \"streamng\"; did you mean \"streaming\"?",
        typo.display()
    );
    assert_eq!(stdout(&output), "");
    assert_eq!(problems(&output).lines().collect::<Vec<_>>(), [expected]);
}

#[test]
fn validate_reports_every_error_of_a_file_each_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write(
        dir.path(),
        "bad.json",
        r#"{"modelId": "Not Valid", "modelType": "chat", "streamng": true}"#,
    );
    let output = lisa_synth([Path::new("validate"), &bad]);
    assert_eq!(code(&output), 1);
    let text = problems(&output);
    let prefix = format!("{}: ", bad.display());
    assert!(text.lines().count() >= 3, "one line per error:\n{text}");
    for line in text.lines() {
        let rest = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("`{line}` does not start with the file"));
        let (path, message) = rest
            .split_once(": ")
            .unwrap_or_else(|| panic!("`{line}` is not FILE: PATH: message"));
        assert!(!path.is_empty() && !message.is_empty(), "{line}");
    }
    for path in ["modelId", "modelType", "streamng"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{prefix}{path}: "))),
            "no error at {path}:\n{text}"
        );
    }
}

#[test]
fn validate_gives_line_and_column_of_malformed_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write(dir.path(), "malformed.json", MALFORMED);
    let output = lisa_synth([Path::new("validate"), &bad]);
    assert_eq!(code(&output), 1);
    let text = problems(&output);
    assert!(
        text.starts_with(&format!(
            "{}: line 3, column 15: malformed JSON",
            bad.display()
        )),
        "{text}"
    );
}

#[test]
fn validate_json_format_is_a_parseable_array_of_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    let typo = write(dir.path(), "typo.json", TYPO);
    let malformed = write(dir.path(), "malformed.json", MALFORMED);
    let output = lisa_synth([
        Path::new("validate"),
        Path::new("--error-format"),
        Path::new("json"),
        &typo,
        &malformed,
    ]);
    assert_eq!(code(&output), 1);
    let problems = json(&problems(&output));
    let problems = problems.as_array().expect("an array");
    assert_eq!(problems.len(), 2, "{problems:?}");
    for problem in problems {
        for field in ["file", "path", "message"] {
            assert!(problem[field].is_string(), "{field} missing in {problem}");
        }
    }
    assert_eq!(problems[0]["file"], typo.display().to_string());
    assert_eq!(problems[0]["path"], "streamng");
    assert_eq!(problems[1]["file"], malformed.display().to_string());
    assert_eq!(problems[1]["line"], 3);
    assert_eq!(problems[1]["column"], 15);
}

#[test]
fn validate_json_format_of_valid_files_prints_nothing_on_standard_output() {
    let output = lisa_synth([
        Path::new("validate"),
        Path::new("--error-format=json"),
        &models(),
    ]);
    assert_eq!(code(&output), 0);
    assert_eq!(stdout(&output), "");
}

#[test]
fn validate_update_checks_update_payloads() {
    for file in [
        "autoscaling.json",
        "metadata.json",
        "start.json",
        "stop.json",
    ] {
        let output = lisa_synth([
            Path::new("validate"),
            Path::new("--update"),
            &updates().join(file),
        ]);
        assert_eq!(code(&output), 0, "{file}: {}", stderr(&output));
    }
    let invalid = updates().join("invalid-enabled-with-autoscaling.json");
    let output = lisa_synth([Path::new("validate"), Path::new("--update"), &invalid]);
    assert_eq!(code(&output), 1);
    assert!(
        problems(&output).starts_with(&format!(
            "{}: autoScalingInstanceConfig: ",
            invalid.display()
        )),
        "{}",
        stderr(&output)
    );
    // The whole directory: one invalid payload fails the run.
    let output = lisa_synth([Path::new("validate"), Path::new("--update"), &updates()]);
    assert_eq!(code(&output), 1);
    assert_eq!(problems(&output).lines().count(), 1, "{}", stderr(&output));
}

#[test]
fn an_update_payload_is_not_a_model_definition() {
    let output = lisa_synth([Path::new("validate"), &updates().join("stop.json")]);
    assert_eq!(code(&output), 1);
}

#[test]
fn validate_of_a_missing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nope.json");
    let output = lisa_synth([Path::new("validate"), &missing]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains(&format!("{}: no such file or directory", missing.display())),
        "{}",
        stderr(&output)
    );
}

// schema

#[test]
fn schema_is_the_model_definition_schema() {
    let output = lisa_synth(["schema"]);
    assert_eq!(code(&output), 0);
    let schema = json(&stdout(&output));
    assert!(schema["properties"]["modelId"].is_object(), "{schema}");
    assert!(schema["properties"]["modelName"].is_object(), "{schema}");
}

#[test]
fn schema_update_is_the_update_payload_schema() {
    let output = lisa_synth(["schema", "--update"]);
    assert_eq!(code(&output), 0);
    let schema = json(&stdout(&output));
    assert!(schema["properties"]["enabled"].is_object(), "{schema}");
    assert!(
        schema["properties"]["autoScalingInstanceConfig"].is_object(),
        "{schema}"
    );
    assert!(schema["properties"].get("modelId").is_none(), "{schema}");
}

// synth

#[test]
fn synth_of_one_file_prints_the_template() {
    let output = lisa_synth([Path::new("synth"), &model("mistral-vllm.json")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let template = json(&stdout(&output));
    let resources = template["Resources"].as_object().expect("Resources");
    assert!(!resources.is_empty());
    assert_eq!(template["AWSTemplateFormatVersion"], "2010-09-09");
}

#[test]
fn synth_yaml_prints_yaml() {
    let output = lisa_synth([
        Path::new("synth"),
        Path::new("--format"),
        Path::new("yaml"),
        &model("mistral-vllm.json"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "YAML, not JSON"
    );
    let from_yaml: Value = serde_saphyr::from_str(&text).expect("YAML");
    let json_output = lisa_synth([Path::new("synth"), &model("mistral-vllm.json")]);
    assert_eq!(
        from_yaml,
        json(&stdout(&json_output)),
        "the same template in both formats"
    );
}

#[test]
fn synth_out_writes_one_template_per_model_identical_to_stdout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = lisa_synth([Path::new("synth"), &models(), Path::new("--out"), &out]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let ids = example_model_ids();
    let mut expected: Vec<String> = ids
        .iter()
        .map(|id| format!("lisa-{id}.template.json"))
        .collect();
    expected.sort();
    assert_eq!(file_names(&out), expected);

    for entry in std::fs::read_dir(models()).expect("examples/models") {
        let path = entry.expect("entry").path();
        let id = json(&std::fs::read_to_string(&path).expect("reads"))["modelId"]
            .as_str()
            .expect("modelId")
            .to_owned();
        let single = lisa_synth([Path::new("synth"), &path]);
        assert_eq!(code(&single), 0, "{}", stderr(&single));
        let written = std::fs::read(out.join(format!("lisa-{id}.template.json"))).expect("written");
        assert!(
            written == single.stdout,
            "{id}: --out file differs from stdout"
        );
    }
}

#[test]
fn synth_of_several_files_without_out_is_a_usage_error() {
    let output = lisa_synth([Path::new("synth"), &models()]);
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("--out"), "{}", stderr(&output));
}

#[test]
fn an_invalid_file_among_valid_ones_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).expect("mkdir");
    write(&inputs, "a.json", &seed_with_id("model-a"));
    let typo = write(&inputs, "b.json", TYPO);
    write(&inputs, "c.json", &seed_with_id("model-c"));
    let out = dir.path().join("out");
    let output = lisa_synth([Path::new("synth"), &inputs, Path::new("--out"), &out]);
    assert_eq!(code(&output), 1);
    assert!(
        problems(&output).starts_with(&format!("{}: streamng: ", typo.display())),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("nothing written"),
        "{}",
        stderr(&output)
    );
    assert!(
        !out.exists() || file_names(&out).is_empty(),
        "wrote {:?}",
        file_names(&out)
    );
}

#[test]
fn duplicate_model_ids_across_files_fail() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = write(dir.path(), "first.json", &seed_with_id("same"));
    let second = write(dir.path(), "second.json", &seed_with_id("same"));
    let out = dir.path().join("out");
    let output = lisa_synth([
        Path::new("synth"),
        &first,
        &second,
        Path::new("--out"),
        &out,
    ]);
    assert_eq!(code(&output), 1);
    let text = problems(&output);
    assert!(
        text.starts_with(&format!("{}: modelId: ", second.display()))
            && text.contains(&first.display().to_string()),
        "{text}"
    );
    assert!(!out.exists() || file_names(&out).is_empty());
}

#[test]
fn deployment_name_prefixes_the_file_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = lisa_synth([
        Path::new("synth"),
        &model("titan-express-v1.json"),
        &model("mistral-vllm.json"),
        Path::new("--deployment-name"),
        Path::new("prod"),
        Path::new("--out"),
        &out,
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        file_names(&out),
        [
            "prod-mistral-vllm.template.json",
            "prod-titan-express-v1.template.json"
        ]
    );
}

#[test]
fn a_bad_deployment_name_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = lisa_synth([
        Path::new("synth"),
        &model("titan-express-v1.json"),
        Path::new("--deployment-name"),
        Path::new("9-starts-with-a-digit"),
        Path::new("--out"),
        &out,
    ]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("deployment name"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists());
}

fn group_sizes(template: &Value) -> (Value, Value) {
    let groups: Vec<&Value> = template["Resources"]
        .as_object()
        .expect("Resources")
        .values()
        .filter(|r| r["Type"] == "AWS::AutoScaling::AutoScalingGroup")
        .collect();
    assert_eq!(groups.len(), 1, "one Auto Scaling group");
    let properties = &groups[0]["Properties"];
    (properties["MinSize"].clone(), properties["MaxSize"].clone())
}

#[test]
fn stopped_synthesizes_an_empty_group() {
    let running = lisa_synth([Path::new("synth"), &model("mistral-vllm.json")]);
    assert_eq!(code(&running), 0, "{}", stderr(&running));
    assert_eq!(group_sizes(&json(&stdout(&running))).0, "1");

    let stopped = lisa_synth([
        Path::new("synth"),
        Path::new("--stopped"),
        &model("mistral-vllm.json"),
    ]);
    assert_eq!(code(&stopped), 0, "{}", stderr(&stopped));
    let (min, max) = group_sizes(&json(&stdout(&stopped)));
    assert_eq!(min, "0");
    assert_eq!(max, "0");
}

#[test]
fn help_mentions_every_subcommand() {
    let output = lisa_synth(["--help"]);
    assert_eq!(code(&output), 0);
    let text = stdout(&output);
    for subcommand in ["validate", "synth", "schema"] {
        assert!(text.contains(subcommand), "{subcommand} missing:\n{text}");
    }
    assert!(
        text.contains("lisa-ops --help"),
        "the help says where the operator commands are:\n{text}"
    );
}

/// The operator commands live in `lisa-ops`; given to `lisa-synth` (flags and all), each is a
/// usage error that names the command to run instead, and nothing is read or written.
#[test]
fn an_operator_command_points_to_lisa_ops() {
    for args in [
        &["bootstrap", "--config", "environment.json"][..],
        &["models", "list", "--deployment-name", "prod"],
        &["diff", "models/"],
        &["deploy", "models/", "--prune"],
        &["serve", "--help"],
    ] {
        let output = lisa_synth(args);
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{args:?}");
        let expected = format!("run `lisa-ops {} ...`", args[0]);
        assert!(
            stderr(&output).contains(&expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn region_checks_that_the_instance_type_is_offered_there() {
    let output = lisa_synth([
        "validate".as_ref(),
        "--region".as_ref(),
        "eu-west-1".as_ref(),
        models().as_os_str(),
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let out = problems(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("falcon-7b-tgi.json: instanceType: g6.2xlarge is not offered in eu-west-1"),
        "{out}"
    );
    let elsewhere = lisa_synth([
        "validate".as_ref(),
        "--region".as_ref(),
        "us-east-1".as_ref(),
        models().as_os_str(),
    ]);
    assert_eq!(code(&elsewhere), 0, "{}", stderr(&elsewhere));
}

#[test]
fn synth_in_a_region_that_lacks_an_instance_type_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let output = lisa_synth([
        "synth".as_ref(),
        "--region".as_ref(),
        "eu-west-1".as_ref(),
        models().as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(!out.exists(), "nothing may be written");
}

#[test]
fn an_unsupported_region_is_reported() {
    let output = lisa_synth([
        "validate".as_ref(),
        "--region".as_ref(),
        "mars-north-1".as_ref(),
        model("titan-express-v1.json").as_os_str(),
    ]);
    assert_eq!(code(&output), 2, "a usage error");
    assert!(
        stderr(&output).contains("region \"mars-north-1\" is not supported"),
        "{}",
        stderr(&output)
    );
}
