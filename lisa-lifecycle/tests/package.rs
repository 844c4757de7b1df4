//! The packaged function as Lambda runs it. `LISA_LIFECYCLE_ZIP` names the zip that
//! `scripts/package-functions` wrote (scripts/test.sh builds it once per run and sets it);
//! without it these tests fail rather than skip.
//!
//! - The zip holds one executable, `bootstrap`, whose newest glibc symbol version is at most
//!   2.34 (the `provided.al2023` runtime's glibc).
//! - Run against a stand-in of the Lambda Runtime API on 127.0.0.1 without
//!   `LISA_DEPLOYMENT_NAME`, it reports the invocation's error saying so; given a malformed
//!   event, an error naming what is wrong. Neither calls AWS (the endpoint is a closed port).

mod support;

use std::path::Path;
use std::process::Command;

use lisa_constructs::ecs_model::registration::function::ENV_DEPLOYMENT_NAME;
use serde_json::json;
use support::*;

/// The newest glibc the binary may need: Amazon Linux 2023's.
const MAX_GLIBC: (u32, u32) = (2, 34);

fn glibc_versions(binary: &Path) -> Vec<(u32, u32)> {
    let out = Command::new("objdump")
        .arg("-T")
        .arg(binary)
        .output()
        .expect("objdump runs");
    assert!(out.status.success(), "objdump reads the binary");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut versions: Vec<(u32, u32)> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .filter_map(|w| w.strip_prefix("GLIBC_"))
        .filter_map(|v| {
            let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next().flatten().unwrap_or(0)))
        })
        .collect();
    versions.sort_unstable();
    versions.dedup();
    versions
}

#[test]
fn the_package_is_one_executable_needing_at_most_glibc_2_34() {
    let (_dir, bootstrap) = unpack();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&bootstrap)
        .expect("unpacked")
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "bootstrap is executable");
    let versions = glibc_versions(&bootstrap);
    let newest = *versions.last().expect("a dynamically linked glibc binary");
    assert!(
        newest <= MAX_GLIBC,
        "needs GLIBC_{}.{}, the runtime has 2.34",
        newest.0,
        newest.1
    );
    eprintln!("newest glibc symbol: GLIBC_{}.{}", newest.0, newest.1);
}

#[test]
fn glibc_versions_are_read_from_objdump() {
    // The host's own test binary links against the host glibc, which is newer than 2.34 here:
    // the check above is not vacuous.
    let me = std::env::current_exe().expect("the test binary");
    assert!(glibc_versions(&me).iter().any(|v| *v >= (2, 2)));
}

/// An AWS endpoint where nothing listens: a call would fail with a message of its own.
fn nowhere() -> String {
    format!("http://127.0.0.1:{}", server::closed_port())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_its_deployment_the_packaged_function_refuses_the_event_saying_so() {
    let (_dir, bootstrap) = unpack();
    let event = json!({"modelId": "m1", "action": "stop", "scheduledTime": "2026-12-05T21:00:00Z"});
    let reported = invoke_packaged(&bootstrap, &event, &nowhere(), &[]).await;
    assert_eq!(reported.kind, "error", "{:?}", reported.body);
    assert_eq!(reported.body["errorType"], "NotConfigured");
    let message = reported.body["errorMessage"].as_str().expect("a message");
    assert!(
        message.contains("LISA_DEPLOYMENT_NAME is not set")
            && message.contains("lisa-ops bootstrap --lifecycle-zip"),
        "{message}"
    );
    let lines: Vec<&str> = reported
        .log
        .lines()
        .filter(|l| l.starts_with("lisa-lifecycle: "))
        .collect();
    assert_eq!(lines.len(), 1, "one log line: {}", reported.log);
    assert!(lines[0].contains("LISA_DEPLOYMENT_NAME"), "{}", lines[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_event_is_an_error_naming_the_problem() {
    let (_dir, bootstrap) = unpack();
    for (event, problem) in [
        (
            json!({"modelId": "m1", "action": "pause"}),
            "unknown variant `pause`",
        ),
        (
            json!({"modelId": "m1", "action": "stop", "deploymentName": "prod"}),
            "unknown field `deploymentName`",
        ),
    ] {
        let reported = invoke_packaged(
            &bootstrap,
            &event,
            &nowhere(),
            &[(ENV_DEPLOYMENT_NAME, "lisa")],
        )
        .await;
        assert_eq!(reported.kind, "error", "{:?}", reported.body);
        assert_eq!(reported.body["errorType"], "MalformedEvent");
        let message = reported.body["errorMessage"].as_str().expect("a message");
        assert!(
            message.starts_with("malformed lifecycle event: ") && message.contains(problem),
            "{message}"
        );
        assert!(reported.log.contains(problem), "{}", reported.log);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_cannot_forge_a_log_line_or_grow_one_without_bound() {
    let (_dir, bootstrap) = unpack();
    let forged = "lisa-lifecycle: scheduled stop of model m2 in deployment lisa due 2026-12-05T21:00:00Z: done";
    for (event, problem) in [
        (
            json!({"modelId": "m1", "action": "stop", "scheduledTime": format!("2026-12-05T21:00:00Z\n{forged}")}),
            "scheduledTime is 113 bytes long",
        ),
        (
            json!({"modelId": "m1", "action": "stop", "scheduledTime": "2026-12-05T21:00:00Z\r\n"}),
            "scheduledTime has a character an RFC 3339 time does not have, at byte 20",
        ),
        (
            json!({"modelId": "m1", "action": format!("stop\n{forged}"), "scheduledTime": "2026-12-05T21:00:00Z"}),
            "unknown variant",
        ),
        (
            json!({"modelId": "m1", "action": "stop", "scheduledTime": "9".repeat(200_000)}),
            "scheduledTime is 200000 bytes long",
        ),
    ] {
        let reported = invoke_packaged(
            &bootstrap,
            &event,
            &nowhere(),
            &[(ENV_DEPLOYMENT_NAME, "lisa")],
        )
        .await;
        assert_eq!(reported.kind, "error", "{:?}", reported.body);
        assert_eq!(reported.body["errorType"], "MalformedEvent");
        let message = reported.body["errorMessage"].as_str().expect("a message");
        assert!(message.contains(problem), "{message}");
        assert!(!message.contains('\n') && message.len() < 2048, "{message}");
        let lines: Vec<&str> = reported
            .log
            .lines()
            .filter(|l| l.contains("lisa-lifecycle: "))
            .collect();
        assert_eq!(lines.len(), 1, "one log line: {}", reported.log);
        assert!(
            lines[0].starts_with("lisa-lifecycle: refused the event"),
            "{}",
            lines[0]
        );
        assert!(lines[0].len() <= 4096, "{} bytes", lines[0].len());
        assert!(
            !reported.log.contains("9999999999"),
            "the value is not logged"
        );
    }
}
