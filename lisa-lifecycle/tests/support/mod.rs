//! Test support: the package from `LISA_LIFECYCLE_ZIP`, a stand-in of the Lambda Runtime API
//! that hands the packaged function one event and records what it reports, and moto for the
//! end-to-end test (its server started by scripts/start-moto.sh, with the registration function
//! played by the test).
#![allow(dead_code)]

pub mod moto;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use server::{Handler, Seen};

pub const REGION: &str = "us-east-1";

/// The path of the lifecycle function's package.
pub fn zip_path() -> PathBuf {
    let path = std::env::var("LISA_LIFECYCLE_ZIP").expect(
        "LISA_LIFECYCLE_ZIP is not set: build the package with `scripts/package-functions DIR` and set it to DIR/lisa-lifecycle.zip (scripts/test.sh does both)",
    );
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} does not exist", path.display());
    path
}

/// Unzips the package, checking it holds only `bootstrap`; returns the directory and its path.
pub fn unpack() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let listing = Command::new("unzip")
        .arg("-Z1")
        .arg(zip_path())
        .output()
        .expect("unzip runs");
    assert!(listing.status.success());
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).trim(),
        "bootstrap",
        "only the executable"
    );
    let status = Command::new("unzip")
        .arg("-q")
        .arg(zip_path())
        .arg("-d")
        .arg(dir.path())
        .status()
        .expect("unzip runs");
    assert!(status.success());
    let bootstrap = dir.path().join("bootstrap");
    (dir, bootstrap)
}

pub const REQUEST_ID: &str = "2c1b6e1a-5f3d-4c8e-9a57-0d6f1e2b3c4d";
pub const FUNCTION_NAME: &str = "lisa-lifecycle";
pub const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:lisa-lifecycle";
/// The invocation's time, as the function's timeout gives it.
pub const INVOCATION_SECONDS: u64 = 900;

/// The Runtime API: one event, then nothing; records what the function reports.
pub struct RuntimeApi {
    pub server: server::Server,
    pub reports: Arc<Mutex<Vec<Seen>>>,
}

pub async fn runtime_api(event: String) -> RuntimeApi {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::clone(&reports);
    let served = Arc::new(Mutex::new(false));
    let handler: Handler = Arc::new(move |seen: Seen| {
        let shared = Arc::clone(&shared);
        let served = Arc::clone(&served);
        let event = event.clone();
        Box::pin(async move {
            if seen.method == "GET" && seen.path == "/2018-06-01/runtime/invocation/next" {
                let first = !std::mem::replace(&mut *served.lock().expect("not poisoned"), true);
                if !first {
                    // Lambda freezes an idle function; here the next event never comes.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                let deadline_ms = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .expect("after 1970")
                    .as_millis()
                    + u128::from(INVOCATION_SECONDS) * 1000;
                let headers = vec![
                    (
                        "lambda-runtime-aws-request-id".to_owned(),
                        REQUEST_ID.to_owned(),
                    ),
                    (
                        "lambda-runtime-deadline-ms".to_owned(),
                        deadline_ms.to_string(),
                    ),
                    (
                        "lambda-runtime-invoked-function-arn".to_owned(),
                        FUNCTION_ARN.to_owned(),
                    ),
                    (
                        "lambda-runtime-trace-id".to_owned(),
                        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700".to_owned(),
                    ),
                ];
                return (200, headers, event);
            }
            shared.lock().expect("not poisoned").push(seen);
            (202, Vec::new(), r#"{"status":"OK"}"#.to_owned())
        })
    });
    RuntimeApi {
        server: server::serve(handler).await,
        reports,
    }
}

/// What the function reported for its one invocation.
#[derive(Debug)]
pub struct Reported {
    /// `response` or `error`: the last part of the path it POSTed to.
    pub kind: String,
    /// The body: the invocation's result, or the error's `errorType` and `errorMessage`.
    pub body: serde_json::Value,
    /// What the function wrote to standard error (its log).
    pub log: String,
}

/// Runs the packaged `bootstrap` as Lambda would, with only Lambda's variables, AWS
/// credentials and region, `AWS_ENDPOINT_URL` set to `aws_endpoint`, and `variables` (the
/// function's configuration), until it reports its one invocation to the Runtime API.
pub async fn invoke_packaged(
    bootstrap: &Path,
    event: &serde_json::Value,
    aws_endpoint: &str,
    variables: &[(&str, &str)],
) -> Reported {
    let api = runtime_api(event.to_string()).await;
    let log_dir = tempfile::tempdir().expect("a temporary directory");
    let log_path = log_dir.path().join("stderr");
    let log_file = std::fs::File::create(&log_path).expect("a log file");
    let mut child = Command::new(bootstrap)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api.server.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", FUNCTION_NAME)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/12/05/[$LATEST]0123456789abcdef",
        )
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/lisa-lifecycle")
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_ENDPOINT_URL", aws_endpoint)
        .envs(variables.iter().copied())
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .expect("bootstrap starts");

    let started = Instant::now();
    while api.reports.lock().expect("not poisoned").is_empty()
        && started.elapsed() < Duration::from_secs(120)
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "bootstrap exited early: {status}; its log:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let reports = api.reports.lock().expect("not poisoned").clone();
    assert_eq!(
        reports.len(),
        1,
        "one report to the Runtime API: {reports:?}; the function's log:\n{log}"
    );
    let report = &reports[0];
    assert_eq!(report.method, "POST");
    let kind = report
        .path
        .strip_prefix(&format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/"))
        .unwrap_or_else(|| panic!("a report of this invocation: {}", report.path))
        .to_owned();
    let body = serde_json::from_slice(&report.body).unwrap_or_else(|e| {
        panic!(
            "a JSON report ({e}): {}",
            String::from_utf8_lossy(&report.body)
        )
    });
    Reported { kind, body, log }
}
