//! What the HTTP tests share: an in-memory lifecycle and a real server on 127.0.0.1.

#![allow(dead_code)]

use lisa_api::{AdminTokens, ModelService, ModelView, Operations, ServeOptions, ServiceError};
use lisa_constructs::model::{ModelId, ModelUpdate, ValidDefinition};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

pub const TOKEN: &str = "test-admin-token-0123456789";

/// Runs schemathesis (`LISA_SCHEMATHESIS`, which the test command sets) against the OpenAPI
/// document at `openapi_url` with every check, as an admin holding `token`, and fails with its
/// report unless every response is documented and none is a server error.
pub fn schemathesis(openapi_url: &str, token: &str, max_examples: u32) {
    let executable = std::env::var("LISA_SCHEMATHESIS").expect(
        "LISA_SCHEMATHESIS must name the schemathesis executable (scripts/test.sh sets it)",
    );
    let output = std::process::Command::new(executable)
        .args(["run", openapi_url, "--checks", "all", "--workers", "2"])
        .args(["--max-examples", &max_examples.to_string()])
        // A payload can match the schema and still break a rule that JSON Schema cannot state
        // (min <= desired <= max, a GPU instance for vllm, shared memory within the instance):
        // it gets a 400 with every path, which is right, so "schema-valid requests are
        // accepted" is not checked.
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--seed", "1", "--no-color"])
        // An update answers once its change set is executing; moto executes it before
        // answering, which on a loaded machine can take longer than schemathesis' default 10 s.
        .args(["--request-timeout", "60"])
        .output()
        .expect("schemathesis runs");
    assert!(
        output.status.success(),
        "schemathesis failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn view(definition: &ValidDefinition, status: &str) -> ModelView {
    let mut value = serde_json::to_value(definition).expect("serializes");
    value["status"] = status.into();
    value["modelUrl"] = Value::Null;
    ModelView(value)
}

fn status(model: &ModelView) -> &str {
    model.0["status"].as_str().unwrap_or_default()
}

fn set_status(model: &mut ModelView, status: &str) {
    model.0["status"] = status.into();
}

#[derive(Default)]
pub struct Memory {
    models: Mutex<BTreeMap<String, ModelView>>,
}

impl ModelService for Memory {
    type Model = ModelView;

    async fn list(&self) -> Result<Vec<ModelView>, ServiceError> {
        Ok(self
            .models
            .lock()
            .expect("lock")
            .values()
            .cloned()
            .collect())
    }

    async fn get(&self, id: &ModelId) -> Result<ModelView, ServiceError> {
        let models = self.models.lock().expect("lock");
        models
            .get(id.as_str())
            .cloned()
            .ok_or_else(|| ServiceError::NotFound(id.as_str().into()))
    }

    async fn create(&self, definition: ValidDefinition) -> Result<ModelView, ServiceError> {
        let id = definition.model_id.as_str().to_owned();
        let mut models = self.models.lock().expect("lock");
        if models.contains_key(&id) {
            return Err(ServiceError::AlreadyExists(id));
        }
        let model = view(&definition, "Creating");
        models.insert(id, model.clone());
        Ok(model)
    }

    async fn update(&self, id: &ModelId, update: ModelUpdate) -> Result<ModelView, ServiceError> {
        let mut models = self.models.lock().expect("lock");
        let model = models
            .get_mut(id.as_str())
            .ok_or_else(|| ServiceError::NotFound(id.as_str().into()))?;
        match update.enabled {
            Some(false) if status(model) != "InService" => Err(ServiceError::Refused(format!(
                "model {} is {}; only an InService model can be stopped",
                id.as_str(),
                status(model)
            ))),
            Some(false) => {
                set_status(model, "Stopping");
                Ok(model.clone())
            }
            _ => {
                set_status(model, "Updating");
                Ok(model.clone())
            }
        }
    }

    async fn delete(&self, id: &ModelId) -> Result<(), ServiceError> {
        let mut models = self.models.lock().expect("lock");
        models
            .remove(id.as_str())
            .map(drop)
            .ok_or_else(|| ServiceError::NotFound(id.as_str().into()))
    }
}

pub struct Server {
    pub base: String,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<lisa_api::Stopped>>,
}

impl Server {
    /// A server without a rate limit (the tests and the load bench send many requests from one
    /// address); the other limits at their defaults.
    pub async fn start() -> Server {
        Self::start_with(ServeOptions {
            rate_limit: None,
            ..ServeOptions::default()
        })
        .await
    }

    pub async fn start_with(options: ServeOptions) -> Server {
        let tokens = AdminTokens::parse_list(TOKEN).expect("token");
        let operations = Operations::default();
        let router = lisa_api::router(Memory::default(), tokens, &operations);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            lisa_api::serve(listener, router, &options, &operations, async move {
                let _ = stopped.await;
            })
            .await
        });
        Server {
            base,
            client: reqwest::Client::new(),
            stop: Some(stop),
            task,
        }
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.body(body.to_owned());
        }
        let response = request.send().await.expect("answers");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        (status, body)
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<&str>) -> (StatusCode, Value) {
        self.call(method, path, Some(TOKEN), body).await
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.expect("joins").expect("served");
    }
}
