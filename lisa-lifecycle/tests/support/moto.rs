//! A deployment in moto's server (`LISA_MOTO_ENDPOINT`, exported by scripts/start-moto.sh):
//! a network, the bootstrap stack with both functions' code, and the registration function
//! played by the test, answering the custom-resource requests moto's launcher queues for the
//! deployment's stacks (see scripts/moto-server.py).

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use lisa_constructs::environment::{Environment, Ingress};
use lisa_deploy::{Clients, Deployer, DeployerOptions, Polling, bootstrap};
use serde_json::{Value, json};

use super::REGION;

/// moto's server.
pub fn endpoint() -> String {
    std::env::var("LISA_MOTO_ENDPOINT").expect(
        "LISA_MOTO_ENDPOINT is not set: run ./scripts/test.sh, or `source scripts/start-moto.sh` first",
    )
}

pub async fn clients() -> Clients {
    Clients::with_static_credentials(&endpoint(), REGION, "testing", "testing").await
}

/// A deployment name no other test (or run) uses, and no other's prefix.
pub fn unique(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "l{}x{}x{label}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A VPC with a subnet in each of two Availability Zones.
async fn network(clients: &Clients) -> (String, Vec<String>) {
    let ec2 = &clients.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .send()
        .await
        .expect("create vpc");
    let vpc_id = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_owned();
    let mut subnets = Vec::new();
    for (i, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc_id)
            .cidr_block(format!("10.0.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("create subnet");
        subnets.push(
            subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .expect("subnet id")
                .to_owned(),
        );
    }
    (vpc_id, subnets)
}

pub fn options(deployment_name: &str) -> DeployerOptions {
    DeployerOptions {
        deployment_name: deployment_name.to_owned(),
        polling: Polling {
            interval: Duration::from_millis(100),
        },
        ..DeployerOptions::default()
    }
}

/// Any zip for the registration function: moto never runs it.
const REGISTRAR_ZIP: &[u8] = b"PK\x05\x06 registrar";

/// A bootstrapped deployment (the lifecycle function's code is `lifecycle_zip`) and a deployer
/// of it.
pub async fn deployment(name: &str, lifecycle_zip: &[u8]) -> Deployer {
    let clients = clients().await;
    let (vpc_id, subnet_ids) = network(&clients).await;
    let environment = Environment {
        deployment_name: name.to_owned(),
        vpc_id,
        subnet_ids,
        models_bucket_name: "example-lisa-model-weights".into(),
        ingress: Ingress {
            cidr: Some("10.0.0.0/16".into()),
            security_group_id: None,
        },
        litellm_endpoint: "https://litellm.internal.example.com".into(),
        litellm_master_key_secret_arn:
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:litellm-master-key-AbCdEf".into(),
        certificate_arn: None,
        registration_subnet_ids: None,
        registration_security_group_ids: None,
    };
    let (_, outputs) = bootstrap(
        &clients,
        &environment,
        Some(REGISTRAR_ZIP),
        Some(lifecycle_zip),
        options(name).polling,
        &mut |_| {},
    )
    .await
    .expect("bootstrap");
    assert!(
        outputs.lifecycle_function_arn.is_some(),
        "the bootstrap stack has the lifecycle function"
    );
    Deployer::connect(clients, options(name))
        .await
        .expect("connect")
}

/// The registration function, played for one deployment's stacks: every request is answered
/// SUCCESS; the answered requests are kept. Stops when dropped.
pub struct Registrar {
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Registrar {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Registrar {
    pub fn start(deployment_name: &str) -> Registrar {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let url = format!(
            "{}/moto-api/custom-resources?stack={deployment_name}-",
            endpoint()
        );
        let shared = seen.clone();
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client");
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let Ok(response) = http.get(&url).send().await else {
                    continue;
                };
                let Ok(events) = response.json::<Vec<Value>>().await else {
                    continue;
                };
                for event in events {
                    answer(&http, &event).await;
                    shared.lock().expect("not poisoned").push(event);
                }
            }
        });
        Registrar { seen, task }
    }
}

async fn answer(http: &reqwest::Client, event: &Value) {
    let model_id = event["ResourceProperties"]["ModelId"]
        .as_str()
        .unwrap_or("");
    let physical = event["PhysicalResourceId"]
        .as_str()
        .map_or_else(|| format!("litellm-{model_id}"), str::to_owned);
    let body = json!({
        "Status": "SUCCESS",
        "PhysicalResourceId": physical,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"LiteLlmModelId": physical},
    });
    let url = event["ResponseURL"].as_str().unwrap_or("");
    let _ = http
        .put(url)
        .header("content-type", "")
        .body(body.to_string())
        .send()
        .await;
}
