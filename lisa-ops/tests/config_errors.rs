//! Configuration problems an operator must fix (credentials, region, endpoint) are one line
//! naming the fix and exit 2, within seconds, before any AWS call is tried.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// `lisa-ops models list` in an environment with no AWS settings but `env`.
fn list(env: &[(&str, &str)], args: &[&str]) -> (Output, Duration) {
    let empty = tempfile::tempdir().expect("tempdir");
    let nowhere = empty.path().join("none");
    let mut command = Command::new(env!("CARGO_BIN_EXE_lisa-ops"));
    command.args(["models", "list"]).args(args).env_clear();
    command
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", empty.path())
        .env("AWS_CONFIG_FILE", &nowhere)
        .env("AWS_SHARED_CREDENTIALS_FILE", &nowhere)
        // No instance to ask: the probe would only add its own timeouts.
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (key, value) in env {
        command.env(key, value);
    }
    let started = Instant::now();
    let output = command.output().expect("lisa-ops runs");
    (output, started.elapsed())
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_one_line_exit_2(output: &Output, wanted: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains(wanted), "{text}");
    assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
    assert!(output.stdout.is_empty());
}

const KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
];

#[test]
fn no_region_is_one_line_naming_the_fix() {
    let (output, _) = list(&KEYS, &[]);
    assert_one_line_exit_2(&output, "AWS_REGION");
}

#[test]
fn an_endpoint_nobody_listens_on_fails_within_seconds() {
    // A port that was free a moment ago, and is closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let (output, took) = list(
        &[KEYS[0], KEYS[1], ("AWS_REGION", "us-east-1")],
        &["--endpoint-url", &endpoint],
    );
    assert_one_line_exit_2(&output, "cannot reach");
    assert!(stderr(&output).contains(&endpoint));
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn no_credentials_is_one_line_naming_the_fix() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    let (output, _) = list(
        &[("AWS_REGION", "us-east-1")],
        &["--endpoint-url", &endpoint],
    );
    assert_one_line_exit_2(&output, "AWS_PROFILE");
}
