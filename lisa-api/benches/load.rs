//! Load on `GET /models` over loopback: a real server holding 100 models, 50 clients with
//! keep-alive connections, bounded in time and in requests. Prints requests per second and the
//! latency percentiles. `cargo bench -p lisa-api --bench load` (`-- --seconds N --clients N`).
//! Each client connects from a loopback address of its own (127.0.0.10, 127.0.0.11, ...), as
//! distinct clients do: the server gives one address only a share of its connections.
//!
//! The lifecycle behind the server here is the in-memory one of the HTTP tests, so the figures
//! are the HTTP layer's own: routing, authentication, serialization of 100 models.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Server, TOKEN};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

const MODELS: usize = 100;
const MISTRAL: &str = include_str!("../../examples/models/mistral-vllm.json");
/// No run sends more than this, whatever the time budget.
const MAX_REQUESTS: usize = 500_000;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo test --all-targets` runs benches once with `--bench` absent: keep that short.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let seconds = if smoke { 1 } else { arg("--seconds", 10) };
    let clients = arg("--clients", 50) as usize;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(Duration::from_secs(seconds), clients));
}

async fn run(budget: Duration, clients: usize) {
    let server = Server::start().await;
    let template: serde_json::Value = serde_json::from_str(MISTRAL).expect("example");
    for i in 0..MODELS {
        let mut model = template.clone();
        model["modelId"] = format!("model-{i:03}").into();
        let (status, body) = server
            .admin("POST", "/models", Some(&model.to_string()))
            .await;
        assert!(status.is_success(), "{body}");
    }
    let url = format!("{}/models", server.base);
    let first = u32::from(Ipv4Addr::new(127, 0, 0, 10));
    let http: Vec<reqwest::Client> = (0..clients)
        .map(|index| {
            let from = Ipv4Addr::from(first + u32::try_from(index).expect("a loopback address"));
            reqwest::Client::builder()
                .local_address(IpAddr::V4(from))
                .build()
                .expect("client")
        })
        .collect();
    let started = Instant::now();
    let per_client = MAX_REQUESTS / clients.max(1);
    let mut tasks = Vec::new();
    for client in http {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < budget && latencies.len() < per_client {
                let sent = Instant::now();
                let response = client
                    .get(&url)
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .expect("answers");
                assert!(response.status().is_success());
                let body = response.bytes().await.expect("body");
                assert!(body.len() > MODELS * 100);
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    println!(
        "GET /models, {MODELS} models, {clients} clients, {:.1} s: {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        elapsed.as_secs_f64(),
        latencies.len(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        at(0.50).as_secs_f64() * 1000.0,
        at(0.99).as_secs_f64() * 1000.0,
        latencies[latencies.len() - 1].as_secs_f64() * 1000.0,
    );
    server.stop().await;
}
