//! The deploy tests' harness: real SDK clients against moto's server (started by
//! `scripts/test.sh` or `source scripts/start-moto.sh`, which export `LISA_MOTO_ENDPOINT`), a
//! network of its own per test, a bootstrapped deployment per test (unique deployment names:
//! tests share one server and run in parallel), and the registration function played by the
//! test: it takes the custom-resource requests moto's launcher queued for the deployment's
//! stacks and answers them by PUT to their ResponseURL, as the function would.
#![allow(dead_code)]

use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::config::Credentials;
use lisa_constructs::environment::{Environment, Ingress};
use lisa_constructs::model::ModelDefinition;
use lisa_deploy::{BootstrapChange, Clients, Deployer, DeployerOptions, Polling, bootstrap};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const REGION: &str = "us-east-1";

/// moto's server.
pub fn endpoint() -> String {
    std::env::var("LISA_MOTO_ENDPOINT").unwrap_or_else(|_| {
        panic!("LISA_MOTO_ENDPOINT is not set: run ./scripts/test.sh, or `source scripts/start-moto.sh` first")
    })
}

/// An SDK configuration against `endpoint` with static credentials and an explicit region.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "static"))
        .load()
        .await
}

pub async fn clients() -> Clients {
    Clients::from_config(&sdk_config(&endpoint()).await)
}

/// A deployment name no other test uses.
pub fn unique(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Separators keep two names from running together (pid 12, test 34 vs. pid 123, test 4);
    // deployment names hold no '-' (it ends the deployment's part of a stack name).
    format!(
        "t{}x{}x{label}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A VPC with two subnets in two Availability Zones, as the models need.
pub async fn network(clients: &Clients) -> (String, Vec<String>) {
    network_in(clients, &["us-east-1a", "us-east-1b"]).await
}

/// A VPC with one subnet in each of `zones`.
pub async fn network_in(clients: &Clients, zones: &[&str]) -> (String, Vec<String>) {
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
    for (i, zone) in zones.iter().enumerate() {
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

pub async fn environment(clients: &Clients, deployment_name: &str) -> Environment {
    let (vpc_id, subnet_ids) = network(clients).await;
    Environment {
        deployment_name: deployment_name.to_owned(),
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
    }
}

/// Any zip: moto never runs the function.
pub const REGISTRAR_ZIP: &[u8] = b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Any zip for the lifecycle function (so models may have a schedule): moto never runs it.
pub const LIFECYCLE_ZIP: &[u8] = b"PK\x05\x06 lifecycle\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

pub fn options(deployment_name: &str) -> DeployerOptions {
    DeployerOptions {
        deployment_name: deployment_name.to_owned(),
        polling: Polling {
            interval: Duration::from_millis(100),
        },
        ..DeployerOptions::default()
    }
}

/// A bootstrapped deployment with a deployer, and the registration function played.
pub struct Deployment {
    pub name: String,
    pub clients: Clients,
    pub deployer: Deployer,
    pub registrar: Registrar,
}

pub async fn deployment(label: &str) -> Deployment {
    let clients = clients().await;
    let name = unique(label);
    let environment = environment(&clients, &name).await;
    let (change, _) = bootstrap(
        &clients,
        &environment,
        Some(REGISTRAR_ZIP),
        Some(LIFECYCLE_ZIP),
        options(&name).polling,
        &mut |_| {},
    )
    .await
    .expect("bootstrap");
    assert_eq!(change, BootstrapChange::Created);
    let deployer = Deployer::connect(clients.clone(), options(&name))
        .await
        .expect("connect");
    let registrar = Registrar::start(&name);
    Deployment {
        name,
        clients,
        deployer,
        registrar,
    }
}

/// The registration function, played: answers every Create of the deployment's stacks with
/// SUCCESS and `Data.LiteLlmModelId` (or FAILED for the model ids told to fail), acknowledges
/// Updates and Deletes, and keeps every request it saw.
#[derive(Clone)]
pub struct Registrar {
    pub seen: Arc<Mutex<Vec<Value>>>,
    failing: Arc<Mutex<HashMap<String, String>>>,
    paused: Arc<Mutex<bool>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for Registrar {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl Registrar {
    pub fn start(deployment_name: &str) -> Registrar {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let failing: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let paused = Arc::new(Mutex::new(false));
        let url = format!(
            "{}/moto-api/custom-resources?stack={deployment_name}-",
            endpoint()
        );
        let task = {
            let (seen, failing, paused) = (seen.clone(), failing.clone(), paused.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                loop {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    if *paused.lock().expect("lock") {
                        continue;
                    }
                    let Ok(response) = http.get(&url).send().await else {
                        continue;
                    };
                    let Ok(events) = response.json::<Vec<Value>>().await else {
                        continue;
                    };
                    for event in events {
                        answer(&http, &event, &failing).await;
                        seen.lock().expect("lock").push(event);
                    }
                }
            })
        };
        Registrar {
            seen,
            failing,
            paused,
            task: Arc::new(task),
        }
    }

    /// Answer FAILED with `reason` for this model's creates and updates (its deletes succeed).
    pub fn fail(&self, model_id: &str, reason: &str) {
        self.failing
            .lock()
            .expect("lock")
            .insert(model_id.to_owned(), reason.to_owned());
    }

    /// Stop (or resume) answering.
    pub fn pause(&self, paused: bool) {
        *self.paused.lock().expect("lock") = paused;
    }

    /// Whether a request of `kind` (with `Enabled` = `enabled`, when given) reaches the
    /// registrar for the model within a few seconds (the queue is polled).
    pub async fn received(&self, model_id: &str, kind: &str, enabled: Option<&str>) -> bool {
        for _ in 0..200 {
            let found = self
                .requests(model_id)
                .iter()
                .any(|(k, e)| k == kind && enabled.is_none_or(|wanted| e == wanted));
            if found {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// The requests seen for one model: (RequestType, Enabled property).
    pub fn requests(&self, model_id: &str) -> Vec<(String, String)> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|e| e["ResourceProperties"]["ModelId"] == model_id)
            .map(|e| {
                (
                    e["RequestType"].as_str().unwrap_or("").to_owned(),
                    e["ResourceProperties"]["Enabled"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                )
            })
            .collect()
    }
}

async fn answer(http: &reqwest::Client, event: &Value, failing: &Mutex<HashMap<String, String>>) {
    let model_id = event["ResourceProperties"]["ModelId"]
        .as_str()
        .unwrap_or("");
    // As the function: a Delete of a registration that never was has nothing to remove.
    let failure = match event["RequestType"].as_str() {
        Some("Delete") => None,
        _ => failing.lock().expect("lock").get(model_id).cloned(),
    };
    let physical = event["PhysicalResourceId"]
        .as_str()
        .map_or_else(|| format!("litellm-{model_id}"), str::to_owned);
    let mut body = json!({
        "Status": "SUCCESS",
        "PhysicalResourceId": physical,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"LiteLlmModelId": physical},
    });
    if let Some(reason) = failure {
        body["Status"] = json!("FAILED");
        body["Reason"] = json!(reason);
    }
    let url = event["ResponseURL"].as_str().unwrap_or("");
    let _ = http
        .put(url)
        .header("content-type", "")
        .body(body.to_string())
        .send()
        .await;
}

/// A definition from `examples/models/` with another model id.
pub fn example(file: &str, model_id: &str) -> ModelDefinition {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/models")
        .join(file);
    let mut value: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("example")).expect("json");
    value["modelId"] = json!(model_id);
    ModelDefinition::from_json_value(&value).expect("valid example")
}

pub fn hosted(model_id: &str) -> ModelDefinition {
    example("mistral-vllm.json", model_id)
}

pub fn litellm_only(model_id: &str) -> ModelDefinition {
    example("titan-express-v1.json", model_id)
}

pub fn update(json: Value) -> lisa_constructs::model::ModelUpdate {
    lisa_constructs::model::ModelUpdate::from_json_value(&json).expect("valid update")
}

/// Asks moto's launcher for a fault (`scripts/moto-server.py` documents each route), e.g.
/// `fault("delay", "action=ExecuteChangeSet&seconds=3&match=...", "")`.
pub async fn fault(route: &str, query: &str, body: &str) {
    let url = format!("{}/moto-api/fault/{route}?{query}", endpoint());
    let response = reqwest::Client::new()
        .post(&url)
        .body(body.to_owned())
        .send()
        .await
        .expect("fault route");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
}

/// Follows the model's operation to its end: its settled record, or `None` once deleted.
pub async fn outcome(
    d: &Deployment,
    model_id: &str,
) -> Option<lisa_constructs::model::ModelRecord> {
    match d.deployer.wait(model_id, &mut |_| {}).await.expect("wait") {
        lisa_deploy::Waited::Settled(record) => Some(*record),
        lisa_deploy::Waited::Deleted => None,
    }
}

/// The model's stack as CloudFormation has it now (`None`: no stack of that name).
pub async fn stack_status(d: &Deployment, model_id: &str) -> Option<String> {
    let info = d
        .deployer
        .stacks()
        .describe(&format!("{}-{model_id}", d.name))
        .await
        .expect("describe");
    info.map(|i| i.status.as_str().to_owned())
}

/// Waits until the model's stack is gone (deleted, or no stack of that name): a delete through
/// moto's launcher ends only once the registration function has answered.
pub async fn until_gone(d: &Deployment, model_id: &str) {
    for _ in 0..300 {
        match stack_status(d, model_id).await.as_deref() {
            None | Some("DELETE_COMPLETE") => return,
            Some(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    panic!("the stack of {model_id} is still there after 30 s");
}

/// The template CloudFormation holds for the stack.
pub async fn held(d: &Deployment, stack: &str) -> Value {
    let template = d
        .clients
        .cloudformation
        .get_template()
        .stack_name(stack)
        .send()
        .await
        .expect("get template");
    serde_json::from_str(template.template_body().expect("a body")).expect("JSON")
}
