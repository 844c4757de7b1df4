//! The client against a real LiteLLM proxy (litellm[proxy] 1.108.7 from scripts/setup-tools.sh,
//! config-file mode, no database): it parses the proxy's `/model/info` and `/v1/models`, finds a
//! model by its `model_info.id`, and reads an unknown id as absent. Writes need a database the
//! proxy cannot have here; the stand-in covers them against LiteLLM's OpenAPI description.
//!
//! `LISA_LITELLM` names the `litellm` executable (default: `.venv-litellm/bin/litellm` in the
//! workspace); a missing proxy fails the test rather than skipping it.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lisa_registrar::LiteLlmClient;

const KEY: &str = "sk-real-proxy-test";

struct Proxy(Child);

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn litellm_executable() -> String {
    std::env::var("LISA_LITELLM").unwrap_or_else(|_| {
        format!(
            "{}/../.venv-litellm/bin/litellm",
            env!("CARGO_MANIFEST_DIR")
        )
    })
}

#[tokio::test]
async fn the_client_reads_a_real_proxys_model_lists() {
    let executable = litellm_executable();
    assert!(
        std::path::Path::new(&executable).is_file(),
        "{executable} is missing: run scripts/setup-tools.sh (or set LISA_LITELLM)"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: demo-chat\n    litellm_params:\n      model: hosted_vllm/demo\n      api_base: http://127.0.0.1:{}/v1\n    model_info:\n      id: demo-chat-0123456789ab\n      mode: chat\n  - model_name: demo-embed\n    litellm_params:\n      model: openai/bge\n      api_base: http://127.0.0.1:9/v1\n      api_key: unused\n    model_info:\n      id: demo-embed-1\n      mode: embedding\ngeneral_settings:\n  master_key: {KEY}\n",
            support::server::closed_port()
        ),
    )
    .expect("config written");
    let port = support::server::closed_port();
    let log = std::fs::File::create(dir.path().join("proxy.log")).expect("log file");
    let _proxy = Proxy(
        Command::new(&executable)
            .args(["--config"])
            .arg(&config)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
            .env("LITELLM_TELEMETRY", "False")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the proxy starts"),
    );
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let live = http
            .get(format!("{endpoint}/health/liveliness"))
            .send()
            .await;
        if live.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the proxy did not start; its log: {}",
            std::fs::read_to_string(dir.path().join("proxy.log")).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("real LiteLLM proxy ready after {:?}", started.elapsed());

    let client = LiteLlmClient::new(http, &endpoint, KEY.to_owned(), Duration::from_secs(10));
    let all = client.models().await.expect("/model/info parses");
    let mut ids: Vec<&str> = all.iter().filter_map(|d| d.id()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["demo-chat-0123456789ab", "demo-embed-1"]);

    let one = client
        .model("demo-chat-0123456789ab")
        .await
        .expect("/model/info?litellm_model_id parses")
        .expect("found by id");
    assert_eq!(one.model_name, "demo-chat");
    assert_eq!(one.litellm_params["model"], "hosted_vllm/demo");
    assert_eq!(one.model_info["mode"], "chat");

    assert_eq!(
        client
            .model("no-such-id")
            .await
            .expect("an unknown id is no error"),
        None
    );

    let mut names = client.model_names().await.expect("/v1/models parses");
    names.sort_unstable();
    assert_eq!(names, ["demo-chat", "demo-embed"]);

    let wrong = LiteLlmClient::new(
        reqwest::Client::new(),
        &endpoint,
        "sk-wrong".into(),
        Duration::from_secs(10),
    );
    assert!(wrong.models().await.is_err(), "a wrong key is refused");
}
