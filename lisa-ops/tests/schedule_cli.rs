//! `lisa-ops models schedule set` with a bad schedule file: every problem printed as
//! FILE: PATH: message and exit code 1, before any AWS call. The AWS endpoint is a listener of
//! the test's own, which must see no connection, so no emulator is needed.

use std::io::Write;
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `lisa-ops ARGS` (with `stdin` on its standard input) against an endpoint that closes
/// every connection at once, so that a command that does call AWS fails fast rather than
/// waiting; returns the output and whether anything connected.
fn lisa_without_aws(args: &[&str], stdin: &str) -> (Output, bool) {
    let endpoint = TcpListener::bind("127.0.0.1:0").expect("binds");
    let url = format!("http://{}", endpoint.local_addr().expect("address"));
    let contacts = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&contacts);
    // Left blocked in accept when the test ends; the test process ends with it.
    std::thread::spawn(move || {
        for connection in endpoint.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(connection);
        }
    });
    let mut child = Command::new(env!("CARGO_BIN_EXE_lisa-ops"))
        .args(args)
        .args(["--region", "us-east-1", "--endpoint-url", &url])
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env_remove("AWS_PROFILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs lisa-ops");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("writes stdin");
    let output = child.wait_with_output().expect("ends");
    (output, contacts.load(Ordering::SeqCst) > 0)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const BAD: &str =
    r#"{"timeZone": "Europe/Berln", "daily": {"startTime": "08:00", "stopTime": "08:00"}}"#;

#[test]
fn a_bad_schedule_file_is_refused_with_every_problem_before_aws_is_reached() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("office.json");
    std::fs::write(&file, BAD).expect("writes");
    let path = file.to_str().expect("UTF-8 path");
    let (output, contacted) =
        lisa_without_aws(&["models", "schedule", "set", "some-model", path], "");
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!contacted, "no AWS call before the file is checked: {text}");
    assert!(output.stdout.is_empty(), "nothing on standard output");
    assert!(
        text.contains(&format!(
            "{path}: timeZone: unknown time zone \"Europe/Berln\"; did you mean \"Europe/Berlin\"?"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{path}: daily.stopTime: must differ from startTime"
        )),
        "{text}"
    );
}

#[test]
fn a_schedule_on_standard_input_is_checked_alike_and_unreadable_files_are_usage_errors() {
    let (output, contacted) =
        lisa_without_aws(&["models", "schedule", "set", "some-model", "-"], BAD);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!contacted, "{text}");
    assert!(text.contains("<stdin>: timeZone: "), "{text}");
    assert!(text.contains("<stdin>: daily.stopTime: "), "{text}");

    let (output, contacted) = lisa_without_aws(
        &["models", "schedule", "set", "some-model", "-"],
        r#"{"timeZone": "#,
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "malformed JSON: {text}");
    assert!(!contacted, "{text}");
    assert!(text.contains("<stdin>: line 1, column"), "{text}");

    let (output, contacted) = lisa_without_aws(
        &[
            "models",
            "schedule",
            "set",
            "some-model",
            "/nonexistent/schedule.json",
        ],
        "",
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!contacted, "{text}");
    assert!(
        text.contains("/nonexistent/schedule.json: cannot read"),
        "{text}"
    );
}

#[test]
fn the_help_explains_the_stop_by_hand_rule() {
    let output = Command::new(env!("CARGO_BIN_EXE_lisa-ops"))
        .args(["models", "schedule", "set", "--help"])
        .output()
        .expect("runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0));
    for phrase in [
        "A stop by hand holds",
        "resumeAfterManualStop",
        "10 minutes",
        "lastScheduledAction",
        "or - for",
    ] {
        assert!(help.contains(phrase), "{phrase}: {help}");
    }
}

#[test]
fn a_whole_model_definition_given_as_a_schedule_gets_one_hint() {
    let definition = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/models/mistral-vllm-nightly.json"
    );
    let (output, contacted) = lisa_without_aws(
        &[
            "models",
            "schedule",
            "set",
            "mistral-vllm-nightly",
            definition,
        ],
        "",
    );
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(!contacted, "{text}");
    let problems: Vec<&str> = text.lines().filter(|l| l.starts_with(definition)).collect();
    assert_eq!(
        problems,
        [format!(
            "{definition}: (payload): is a model definition, not a schedule: give its \
             `schedule` object alone"
        )],
        "{text}"
    );
}
