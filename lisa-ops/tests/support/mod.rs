//! What the `serve` tests share: `lisa-ops serve` as a process on 127.0.0.1 against moto's
//! server, and the calls they make to it.
#![allow(dead_code)]

#[path = "../../../lisa-deploy/tests/common/mod.rs"]
pub mod deploy;

use reqwest::StatusCode;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "serve-test-admin-token-0123";

/// A running `lisa-ops serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub address: String,
    http: reqwest::Client,
    /// What the server wrote on standard error after its address.
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    pub fn start(deployment_name: &str) -> Server {
        Self::start_with(deployment_name, &[])
    }

    /// A server with more `serve` flags.
    pub fn start_with(deployment_name: &str, flags: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lisa-ops"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--deployment-name",
                deployment_name,
            ])
            .args([
                "--region",
                deploy::REGION,
                "--endpoint-url",
                &deploy::endpoint(),
            ])
            .args(flags)
            .env("LISA_ADMIN_TOKENS", TOKEN)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("lisa-ops serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let address = loop {
            let line = lines
                .next()
                .expect("the server says where it listens")
                .expect("stderr is text");
            if let Some(rest) = line.split(" on http://").nth(1) {
                break rest.split_whitespace().next().expect("address").to_owned();
            }
        };
        // Keep draining the request log so the server never blocks on a full pipe.
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("not poisoned").push(line);
            }
        });
        Server {
            child,
            base: format!("http://{address}"),
            address,
            http: reqwest::Client::new(),
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as an orchestrator stopping the server does.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// The exit status, once the process has ended (`None` while it runs).
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the child can be waited for")
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<&str>) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let body = response.json().await.expect("a JSON body");
        (status, body)
    }

    /// Polls `GET /models/{id}` until its status is `wanted` (or it is gone, for `None`).
    pub async fn settle(&self, model_id: &str, wanted: Option<&str>) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, body) = self.call("GET", &format!("/models/{model_id}"), None).await;
            match wanted {
                None if status == StatusCode::NOT_FOUND => return body,
                Some(wanted) if status == StatusCode::OK && body["model"]["status"] == wanted => {
                    return body["model"].clone();
                }
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "{model_id} never reached {wanted:?}; last answer {status}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
