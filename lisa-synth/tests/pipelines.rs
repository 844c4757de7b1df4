//! `lisa-synth` in shell pipelines and CI, driven as a process: one test (or more) per defect of
//! the issue "lisa-synth in real pipelines", each of which failed on the binary before the fix.

mod support;

use serde_json::{Value, json};
use std::process::Stdio;
use support::*;

const TYPO: &str = r#"{"modelId": "titan", "modelName": "bedrock/amazon.titan-text-express-v1", "modelType": "textgen", "streamng": true}"#;

// 1. Errors land in the template.

#[test]
fn problems_go_to_standard_error_and_never_into_the_product() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = write(dir.path(), "bad.json", TYPO);
    for command in ["synth", "validate", "ls"] {
        let output = run([command, bad.to_str().expect("UTF-8 path")]);
        assert_eq!(code(&output), 1, "{command}: {}", stderr(&output));
        assert_eq!(
            stdout(&output),
            "",
            "{command}: standard output holds only the product"
        );
        assert!(
            stderr(&output).contains("streamng: unknown field"),
            "{command}: {}",
            stderr(&output)
        );
    }
    let output = run([
        "synth",
        "--error-format",
        "json",
        bad.to_str().expect("UTF-8"),
    ]);
    assert_eq!(stdout(&output), "");
    let problems = stderr(&output);
    let array_end = problems.find("\n]").expect("a JSON array on stderr") + 2;
    assert_eq!(json(&problems[..array_end])[0]["path"], "streamng");
}

// 2. `validate` passes what `synth` refuses.

#[test]
fn validate_refuses_duplicate_model_ids_as_synth_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.json", seed_with_id("same"));
    write(dir.path(), "b.json", seed_with_id("same"));
    // Synthesized while the others are read, and dropped with them.
    for id in ["c", "d", "e"] {
        write(dir.path(), &format!("{id}.json"), seed_with_id(id));
    }
    let out = dir.path().join("out");
    for args in [
        vec!["validate".to_owned()],
        vec![
            "synth".to_owned(),
            "--out".to_owned(),
            out.display().to_string(),
        ],
    ] {
        let output = run(args
            .iter()
            .map(String::as_str)
            .chain([dir.path().to_str().expect("UTF-8")]));
        assert_eq!(code(&output), 1, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("modelId: \"same\" is already defined in"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(!out.exists(), "nothing written");
    assert_eq!(
        file_names(dir.path()),
        ["a.json", "b.json", "c.json", "d.json", "e.json"],
        "no temporary folder left behind"
    );
}

#[test]
fn a_directory_without_definitions_is_an_error_for_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    for command in ["validate", "synth", "ls"] {
        let output = run([command, dir.path().to_str().expect("UTF-8")]);
        assert_eq!(code(&output), 2, "{command}: {}", stderr(&output));
        assert!(
            stderr(&output).contains("no model definition"),
            "{command}: {}",
            stderr(&output)
        );
    }
}

// 4. Broken pipes and full disks panic.

#[test]
fn a_reader_that_goes_away_ends_the_command_quietly() {
    for args in [
        vec![
            "synth".to_owned(),
            model("mistral-vllm.json").display().to_string(),
        ],
        vec!["ls".to_owned(), models().display().to_string()],
        vec!["schema".to_owned()],
    ] {
        // Close the only reader before the command starts: closing it after the spawn raced
        // with the command, which could write its whole product into the pipe's buffer first.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let output = command(&args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("runs");
        assert_no_panic(&output);
        assert_eq!(code(&output), 141, "{args:?}: {}", stderr(&output));
        assert_eq!(
            stderr(&output),
            "",
            "{args:?}: a closed pipe is not an error"
        );
    }
}

#[test]
fn a_full_disk_is_a_one_line_error_with_exit_2() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = command(["synth", model("mistral-vllm.json").to_str().expect("UTF-8")])
        .stdout(full)
        .output()
        .expect("runs");
    assert_no_panic(&output);
    assert_eq!(code(&output), 2);
    assert_eq!(
        stderr(&output),
        "lisa-synth: cannot write to standard output: No space left on device (os error 28)\n"
    );
}

#[test]
fn a_closed_standard_output_is_an_error_not_a_silent_success() {
    let output = std::process::Command::new("sh")
        .args(["-c", r#"exec "$0" synth "$1" >&-"#])
        .arg(binary())
        .arg(model("mistral-vllm.json"))
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .output()
        .expect("sh runs");
    assert_no_panic(&output);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("standard output"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn standard_output_sent_to_dev_null_is_not_an_error() {
    let output = command(["synth", model("mistral-vllm.json").to_str().expect("UTF-8")])
        .stdout(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

// 5. Duplicate JSON keys.

#[test]
fn a_key_given_twice_is_refused_with_its_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = seed_with_id("a").replacen('{', r#"{"modelId": "b", "#, 1);
    let twice = write(dir.path(), "twice.json", text);
    let nested = write(
        dir.path(),
        "nested.json",
        seed().to_string().replacen(
            r#""sharedMemorySize":2048"#,
            r#""sharedMemorySize":2048,"sharedMemorySize":4096"#,
            1,
        ),
    );
    for (file, path) in [
        (&twice, "modelId"),
        (&nested, "containerConfig.sharedMemorySize"),
    ] {
        for command in ["validate", "synth"] {
            let output = run([command, file.to_str().expect("UTF-8")]);
            assert_eq!(code(&output), 1, "{command} {path}: {}", stderr(&output));
            assert!(
                stderr(&output).contains(&format!("at {path}")),
                "{command}: {}",
                stderr(&output)
            );
            assert_eq!(stdout(&output), "");
        }
    }
}

// 6. Size limits.

#[test]
fn strings_and_collections_are_bounded_where_aws_bounds_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut long_name = litellm_only("long-name");
    long_name["modelName"] = json!(format!("bedrock/{}", "a".repeat(5000)));
    let long_name = write(dir.path(), "long-name.json", long_name.to_string());
    let mut many = seed();
    let environment: serde_json::Map<String, Value> = (0..1100)
        .map(|i| (format!("VAR_{i}"), json!("1")))
        .collect();
    many["containerConfig"]["environment"] = Value::Object(environment);
    let many = write(dir.path(), "many.json", many.to_string());
    for (file, expected) in [
        (
            &long_name,
            "modelName: must be at most 1024 bytes long, found 5008 bytes",
        ),
        (
            &many,
            "containerConfig.environment: must have at most 500 variables, found 1100",
        ),
    ] {
        let output = run(["synth", file.to_str().expect("UTF-8")]);
        assert_eq!(code(&output), 1, "{}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{}", stderr(&output));
        assert_eq!(stdout(&output), "");
    }
}

#[test]
fn an_input_larger_than_any_payload_is_refused_without_reading_it_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut big = seed();
    big["modelUrl"] = json!("x".repeat(7 * 1024 * 1024));
    let big = write(dir.path(), "big.json", big.to_string());
    let output = run(["validate", big.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("is larger than 6291456 bytes"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_template_over_the_inline_limit_is_noted_on_standard_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut large = seed();
    let environment: serde_json::Map<String, Value> = (0..100)
        .map(|i| (format!("SETTING_{i}"), json!("v".repeat(300))))
        .collect();
    large["containerConfig"]["environment"] = Value::Object(environment);
    let large = write(dir.path(), "large.json", large.to_string());
    let output = run(["synth", large.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let template = stdout(&output);
    assert!(template.len() > 51_200, "{} bytes", template.len());
    json(&template);
    assert!(
        stderr(&output)
            .contains("over CloudFormation's 51200-byte limit for a template sent inline"),
        "{}",
        stderr(&output)
    );
    let quiet = run(["synth", "-q", large.to_str().expect("UTF-8")]);
    assert_eq!(stderr(&quiet), "", "-q silences notes");
}

#[test]
fn a_task_definition_over_ecs_limit_is_refused() {
    // 64 KB of health-check command: a template well under 1 MB, but a task definition that
    // ECS would refuse at deploy time.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut large = seed();
    large["containerConfig"]["healthCheckConfig"]["command"] =
        json!(["CMD-SHELL", "x".repeat(64_000)]);
    let large = write(dir.path(), "large.json", large.to_string());
    let out = dir.path().join("out");
    for args in [
        vec!["validate"],
        vec!["synth"],
        vec!["synth", "--out", out.to_str().expect("UTF-8")],
    ] {
        let output = run(args.iter().copied().chain([large.to_str().expect("UTF-8")]));
        assert_eq!(code(&output), 1, "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(
            stderr(&output).contains("over ECS's limit of 65536 bytes"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(!out.exists(), "nothing written");
}

// 7. A UTF-8 byte-order mark.

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bom = write(
        dir.path(),
        "bom.json",
        [b"\xEF\xBB\xBF".as_slice(), seed_with_id("bom").as_bytes()].concat(),
    );
    let output = run(["validate", bom.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let output = run(["synth", bom.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    json(&stdout(&output));
}

// 8. Directory scanning.

#[test]
fn directory_scanning_follows_its_documented_rule_and_says_what_it_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.json", seed_with_id("a"));
    write(dir.path(), "UPPER.JSON", seed_with_id("upper"));
    write(
        dir.path(),
        "._a.json",
        b"\x00\x05\x16\x07 macOS resource fork".as_slice(),
    );
    write(dir.path(), "notes.txt", "not a definition");
    std::fs::create_dir(dir.path().join("nested")).expect("mkdir");
    write(&dir.path().join("nested"), "c.json", seed_with_id("c"));
    std::os::unix::fs::symlink(dir.path().join("gone.json"), dir.path().join("broken.json"))
        .expect("symlink");
    let output = run(["ls", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    // Sorted by name: uppercase before lowercase.
    assert_eq!(stdout(&output), "lisa-upper\nlisa-a\n");
    let notes = stderr(&output);
    for (name, reason) in [
        ("._a.json", "hidden"),
        ("notes.txt", "not named *.json"),
        ("nested", "a directory"),
        ("broken.json", "a broken link"),
    ] {
        let line = format!("{}: skipped: {reason}", dir.path().join(name).display());
        assert!(notes.contains(&line), "no `{line}` in:\n{notes}");
    }
    let help = stdout(&run(["validate", "--help"]));
    assert!(help.contains("hidden files"), "{help}");
}

#[test]
fn a_dash_reads_standard_input() {
    let output = run_with_stdin(["synth", "-"], seed_with_id("piped").as_bytes());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let template = json(&stdout(&output));
    assert!(
        template["Description"]
            .as_str()
            .is_some_and(|d| d.contains("piped")),
        "{template}"
    );
    let output = run_with_stdin(["validate", "-"], TYPO.as_bytes());
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).starts_with("<stdin>: streamng: "),
        "{}",
        stderr(&output)
    );
}

// 9. Partial output.

#[test]
fn out_writes_every_template_or_none() {
    let dir = tempfile::tempdir().expect("temp dir");
    let inputs = dir.path().join("in");
    std::fs::create_dir(&inputs).expect("mkdir");
    write(&inputs, "a.json", seed_with_id("a"));
    write(&inputs, "b.json", seed_with_id("b"));
    let out = dir.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    // b's template cannot be written: a directory is in its place.
    std::fs::create_dir(out.join("lisa-b.template.json")).expect("mkdir");
    let output = run([
        "synth",
        inputs.to_str().expect("UTF-8"),
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("lisa-b.template.json"),
        "names the file: {}",
        stderr(&output)
    );
    assert_eq!(
        file_names(&out),
        ["lisa-b.template.json"],
        "a's template not written"
    );
    assert_eq!(
        file_names(dir.path()),
        ["in", "out"],
        "no temporary folder left behind"
    );

    let fresh = dir.path().join("fresh");
    let output = run([
        "synth",
        inputs.to_str().expect("UTF-8"),
        "--out",
        fresh.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        file_names(&fresh),
        ["lisa-a.template.json", "lisa-b.template.json"]
    );

    // A destination whose parents do not exist yet: made only once every template is written.
    let nested = dir.path().join("new").join("deeper").join("out");
    let mut bad = inputs.clone().into_os_string();
    bad.push("-bad");
    std::fs::create_dir(&bad).expect("mkdir");
    write(std::path::Path::new(&bad), "c.json", r#"{"modelId": 3}"#);
    let synth_to_nested = |input: &std::ffi::OsStr| {
        command(["synth"])
            .arg(input)
            .arg("--out")
            .arg(&nested)
            .output()
            .expect("runs")
    };
    let output = synth_to_nested(&bad);
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        !dir.path().join("new").exists(),
        "nothing made for a bad input"
    );
    let output = synth_to_nested(inputs.as_os_str());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(
        file_names(&nested),
        ["lisa-a.template.json", "lisa-b.template.json"]
    );
    assert_eq!(
        file_names(&dir.path().join("new")),
        ["deeper"],
        "no temporary folder left"
    );
    assert_eq!(
        file_names(dir.path()),
        ["fresh", "in", "in-bad", "new", "out"]
    );
}

// 10. Usage errors reported as invalid input; regions.

#[test]
fn a_bad_region_is_one_usage_error() {
    let output = command(["validate", "--region", "mars-north-1"])
        .arg(model("mistral-vllm.json"))
        .arg(model("falcon-7b-tgi.json"))
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert!(stderr(&output).contains("\"mars-north-1\" is not supported"));
}

#[test]
fn aws_region_variables_are_honoured_without_region_and_several_regions_can_be_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut g6 = seed();
    g6["instanceType"] = json!("g6.xlarge");
    let g6 = write(dir.path(), "g6.json", g6.to_string());
    let g6 = g6.to_str().expect("UTF-8");
    // g6 is offered in us-east-1 but not in eu-west-1.
    let output = command(["validate", g6])
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stderr(&output).contains("not offered in eu-west-1"));
    let output = command(["validate", g6])
        .env("AWS_DEFAULT_REGION", "eu-west-1")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let output = command(["validate", g6, "--region", "us-east-1"])
        .env("AWS_REGION", "eu-west-1")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 0, "--region wins: {}", stderr(&output));
    for regions in [
        vec!["--region", "us-east-1,eu-west-1"],
        vec!["--region", "us-east-1", "--region", "eu-west-1"],
    ] {
        let output = run(["validate", g6].into_iter().chain(regions.iter().copied()));
        assert_eq!(code(&output), 1, "{regions:?}: {}", stderr(&output));
        assert!(stderr(&output).contains("not offered in eu-west-1"));
    }
    let output = command(["validate", g6])
        .env("AWS_REGION", "nowhere-1")
        .output()
        .expect("runs");
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("AWS_REGION"),
        "{}",
        stderr(&output)
    );
}

// 11. Messages that mislead.

#[test]
fn numbers_get_messages_that_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut huge = seed();
    huge["containerConfig"]["sharedMemorySize"] = json!(4_294_967_296_u64);
    let huge = write(dir.path(), "huge.json", huge.to_string());
    let output = run(["validate", huge.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains(
            "containerConfig.sharedMemorySize: must be at most 4294967295 MiB, found 4294967296"
        ),
        "{}",
        stderr(&output)
    );
    let whole = write(
        dir.path(),
        "whole.json",
        seed()
            .to_string()
            .replace(r#""interval":10"#, r#""interval":10.0"#),
    );
    assert!(
        std::fs::read_to_string(&whole)
            .expect("reads")
            .contains("10.0")
    );
    let output = run(["validate", whole.to_str().expect("UTF-8")]);
    assert_eq!(
        code(&output),
        0,
        "10.0 is a whole number: {}",
        stderr(&output)
    );
}

#[test]
fn the_same_file_twice_is_read_once() {
    let seed = model("mistral-vllm.json");
    let output = run([
        "validate",
        seed.to_str().expect("UTF-8"),
        seed.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stderr(&output).contains("given more than once"));
}

#[test]
fn a_file_reached_by_a_link_or_another_path_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("seed.json");
    std::fs::copy(model("mistral-vllm.json"), &file).expect("copies");
    std::os::unix::fs::symlink(&file, dir.path().join("link.json")).expect("links");
    // The folder (the file and its link), then the file again by a path with `..` in it.
    let again = dir
        .path()
        .join("..")
        .join(dir.path().file_name().expect("a name"))
        .join("seed.json");
    let output = run([
        "validate",
        dir.path().to_str().expect("UTF-8"),
        again.to_str().expect("UTF-8"),
    ]);
    let text = stderr(&output);
    assert_eq!(code(&output), 0, "{text}");
    assert_eq!(
        text.matches("given more than once; read once").count(),
        2,
        "{text}"
    );
    assert!(text.contains("1 definition(s) valid"), "{text}");
}

#[test]
fn an_update_payload_given_as_a_definition_gets_a_hint() {
    let output = run([
        "validate",
        updates().join("autoscaling.json").to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 1);
    let problems = stderr(&output);
    assert_eq!(
        problems
            .lines()
            .filter(|l| l.contains("autoscaling.json"))
            .count(),
        1,
        "{problems}"
    );
    assert!(problems.contains("validate --update"), "{problems}");
}

#[test]
fn an_unreadable_file_is_an_io_error() {
    // Reading /proc/self/mem from its start fails (EIO) even for root.
    let output = run(["validate", "/proc/self/mem"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn format_means_the_template_format_and_error_format_the_problems_format() {
    let seed = model("mistral-vllm.json");
    let seed = seed.to_str().expect("UTF-8");
    let output = run(["validate", "--format", "json", seed]);
    assert_eq!(code(&output), 2, "validate has no product to format");
    for command in ["validate", "synth", "ls"] {
        let output = run([command, "--error-format", "json", seed]);
        assert_eq!(code(&output), 0, "{command}: {}", stderr(&output));
    }
    let output = run(["synth", "--format", "yaml", seed]);
    assert!(stdout(&output).starts_with("AWSTemplateFormatVersion:"));
}

#[test]
fn help_documents_the_exit_codes() {
    for args in [
        vec!["--help"],
        vec!["synth", "--help"],
        vec!["validate", "--help"],
    ] {
        let help = stdout(&run(&args));
        assert!(
            help.contains("Exit codes: 0 success; 1 invalid input") && help.contains("141"),
            "{args:?}:\n{help}"
        );
    }
}

// 13. What a `cdk` user reaches for.

#[test]
fn ls_prints_the_stack_names_in_order() {
    let output = run([
        "ls",
        "--deployment-name",
        "prod",
        models().to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let mut files: Vec<String> = std::fs::read_dir(models())
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    let expected: String = files
        .iter()
        .map(|f| {
            let id = json(&std::fs::read_to_string(f).expect("reads"))["modelId"]
                .as_str()
                .expect("id")
                .to_owned();
            format!("prod-{id}\n")
        })
        .collect();
    assert_eq!(stdout(&output), expected);
}

#[test]
fn quiet_prints_nothing_but_errors() {
    let output = run(["validate", "-q", models().to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0);
    assert_eq!(stderr(&output), "");
    let output = run([
        "validate",
        "-q",
        model("mistral-vllm.json").to_str().expect("UTF-8"),
        "/nonexistent.json",
    ]);
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("no such file"));
}

// 12. The examples must work as given.

/// GPU memory per GPU, in GB, of each instance family in the examples' catalog.
const GPU_MEMORY_GB: &[(&str, u64)] = &[
    ("g4dn", 16),
    ("g5", 24),
    ("g6", 24),
    ("g6e", 48),
    ("p4d", 40),
    ("p4de", 80),
    ("p5", 80),
    ("p5e", 141),
    ("p5en", 141),
];

/// Billions of parameters named in a model name, such as `Meta-Llama-3-70B-Instruct` → 70.
fn billions_of_parameters(name: &str) -> Option<u64> {
    name.split(['-', '/', '_'])
        .find_map(|part| part.strip_suffix(['B', 'b'])?.parse().ok())
}

#[test]
fn every_hosted_example_fits_its_instances_gpu_memory_with_headroom() {
    for entry in std::fs::read_dir(models()).expect("examples") {
        let path = entry.expect("entry").path();
        let definition = json(&std::fs::read_to_string(&path).expect("reads"));
        let (Some(instance), Some(name)) = (
            definition["instanceType"].as_str(),
            definition["modelName"].as_str(),
        ) else {
            continue;
        };
        let Some(billions) = billions_of_parameters(name) else {
            continue;
        };
        let output = run(["synth", path.to_str().expect("UTF-8")]);
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        let template = json(&stdout(&output));
        let gpus: u64 = template["Resources"]
            .as_object()
            .expect("resources")
            .values()
            .filter(|r| r["Type"] == "AWS::ECS::TaskDefinition")
            .flat_map(|r| {
                r["Properties"]["ContainerDefinitions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .flat_map(|c| {
                c["ResourceRequirements"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .filter(|r| r["Type"] == "GPU")
            .filter_map(|r| r["Value"].as_str()?.parse::<u64>().ok())
            .sum();
        let family = instance.split('.').next().expect("family");
        let per_gpu = GPU_MEMORY_GB
            .iter()
            .find(|(f, _)| *f == family)
            .map(|(_, gb)| *gb)
            .unwrap_or_else(|| panic!("{}: no GPU memory figure for {family}", path.display()));
        // 16-bit weights (2 bytes a parameter) plus a fifth for the KV cache and activations.
        let needed = billions * 2 * 6 / 5;
        assert!(
            gpus * per_gpu >= needed,
            "{}: {name} needs about {needed} GB of GPU memory; {instance} has {gpus} x {per_gpu} GB",
            path.display()
        );
    }
}

#[test]
fn hidden_files_named_explicitly_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let hidden = write(dir.path(), ".hidden.json", seed_with_id("hidden"));
    let output = run(["ls", hidden.to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(stdout(&output), "lisa-hidden\n");
}

// 3. The JSON Schema disagrees with the validator.

#[test]
fn the_schema_accepts_every_example_and_states_the_rules_of_the_validator() {
    let output = run(["schema"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let schema = json(&stdout(&output));
    let validator = jsonschema::validator_for(&schema).expect("compiles");
    for entry in std::fs::read_dir(models()).expect("examples") {
        let path = entry.expect("entry").path();
        let example = json(&std::fs::read_to_string(&path).expect("reads"));
        let errors: Vec<String> = validator
            .iter_errors(&example)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
    assert_eq!(
        schema["$defs"]["ModelId"]["pattern"],
        lisa_constructs::model::bounds::MODEL_ID_PATTERN
    );
    assert_eq!(schema["$defs"]["ModelId"]["maxLength"], 63);
    // A whole number written 10.0: the schema (JSON Schema's `integer`) and the CLI both accept.
    let mut whole = seed();
    whole["containerConfig"]["healthCheckConfig"]["interval"] = json!(10.0);
    assert!(validator.is_valid(&whole));
    let output = run_with_stdin(["validate", "-"], whole.to_string().as_bytes());
    assert_eq!(code(&output), 0, "{}", stderr(&output));
}

// 1. (continued) `--error-format json` is for tools: standard error holds the array alone.

#[test]
fn json_problems_are_all_that_standard_error_holds() {
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "good.json", seed_with_id("good"));
    write(dir.path(), "bad.json", TYPO);
    // Each of these would print a note: a hidden file skipped, a file given twice.
    write(dir.path(), "._good.json", b"\x00\x05\x16\x07".as_slice());
    let good = dir.path().join("good.json");
    for command in ["validate", "synth", "ls"] {
        let output = run([
            command,
            "--error-format",
            "json",
            dir.path().to_str().expect("UTF-8"),
            good.to_str().expect("UTF-8"),
        ]);
        assert_eq!(code(&output), 1, "{command}: {}", stderr(&output));
        let problems = json(&stderr(&output));
        assert_eq!(problems.as_array().map(Vec::len), Some(1), "{problems}");
        assert_eq!(problems[0]["path"], "streamng");
    }
    // An unreadable input: exit 2, and still nothing but the array.
    let output = run(["validate", "--error-format", "json", "/proc/self/mem"]);
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let problems = json(&stderr(&output));
    assert!(
        problems[0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("cannot read")),
        "{problems}"
    );
}

// 9. (continued) `--out` into a directory on another file system than its parent's.

fn device(path: &std::path::Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("metadata").dev()
}

#[test]
fn out_may_be_an_existing_directory_on_another_file_system() {
    // A container volume (`-v $PWD/build:/build`), a tmpfs or a link to another disk: the
    // templates must be moved within DIR's own file system. /dev/shm is a tmpfs on Linux.
    let here = tempfile::tempdir().expect("temp dir");
    let Ok(elsewhere) = tempfile::tempdir_in("/dev/shm") else {
        eprintln!("skipped: no /dev/shm");
        return;
    };
    if device(here.path()) == device(elsewhere.path()) {
        eprintln!("skipped: /dev/shm and the temporary folder share a file system");
        return;
    }
    let out = here.path().join("build");
    std::os::unix::fs::symlink(elsewhere.path(), &out).expect("symlink");
    let output = run([
        "synth",
        models().to_str().expect("UTF-8"),
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let written = file_names(elsewhere.path());
    let examples = file_names(&models())
        .into_iter()
        .filter(|n| n.ends_with(".json"))
        .count();
    assert_eq!(written.len(), examples, "{written:?}");
    assert!(written.iter().all(|n| n.ends_with(".template.json")));
    // Again, into the now populated directory; no staging folder is left in it.
    let output = run([
        "synth",
        models().to_str().expect("UTF-8"),
        "--out",
        out.to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(file_names(elsewhere.path()), written);
}

// 11. (continued) The hint works both ways.

#[test]
fn a_definition_given_with_update_gets_a_hint() {
    let output = run([
        "validate",
        "--update",
        model("mistral-vllm.json").to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 1);
    let problems = stderr(&output);
    assert_eq!(
        problems
            .lines()
            .filter(|l| l.contains("mistral-vllm.json"))
            .count(),
        1,
        "{problems}"
    );
    assert!(problems.contains("without --update"), "{problems}");
}

// 11. (continued) Inputs that are no payload at all are named as what they are.

#[test]
fn an_empty_input_is_named_empty() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = write(dir.path(), "empty.json", " \n");
    for args in [
        vec!["validate"],
        vec!["validate", "--update"],
        vec!["synth"],
    ] {
        let output = run(args.iter().copied().chain([empty.to_str().expect("UTF-8")]));
        assert_eq!(code(&output), 1, "{args:?}: {}", stderr(&output));
        assert!(
            stderr(&output).starts_with(&format!("{}: is empty", empty.display())),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_template_among_the_definitions_is_named_a_template() {
    // `synth DIR --out DIR` puts templates where the next run reads definitions.
    let dir = tempfile::tempdir().expect("temp dir");
    write(dir.path(), "a.json", seed_with_id("a"));
    let output = run([
        "synth",
        dir.path().to_str().expect("UTF-8"),
        "--out",
        dir.path().to_str().expect("UTF-8"),
    ]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let output = run(["validate", dir.path().to_str().expect("UTF-8")]);
    assert_eq!(code(&output), 1);
    let problems = stderr(&output);
    let template = dir.path().join("lisa-a.template.json");
    let lines: Vec<&str> = problems
        .lines()
        .filter(|l| l.starts_with(&template.display().to_string()))
        .collect();
    assert_eq!(lines.len(), 1, "{problems}");
    assert!(
        lines[0].contains("is a CloudFormation template"),
        "{problems}"
    );
}
