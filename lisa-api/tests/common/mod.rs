//! What the HTTP tests share: an in-memory lifecycle and a real server on 127.0.0.1.

#![allow(dead_code)]

use lisa_api::{
    AdminTokens, Changed, ListEntry, ModelSchedule, ModelService, ModelView, Operations,
    ServeOptions, ServiceError,
};
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::status::{self, Request};
use lisa_constructs::model::{
    ModelDefinition, ModelId, ModelRecord, ModelStatus, ModelUpdate, ValidDefinition,
};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub const TOKEN: &str = "test-admin-token-0123456789";

/// Runs schemathesis (`LISA_SCHEMATHESIS`, which the test command sets) against the OpenAPI
/// document at `openapi_url` with every check (but the exemptions of `schemathesis.toml`), as
/// an admin holding `token`, and fails with its report unless every response is documented and
/// none is a server error.
///
/// `deletes_settle_later`: the server answers a DELETE when the stack's deletion has begun, so
/// a GET right after it still finds the model (status `Deleting`, as the API documents) and
/// schemathesis' use-after-free check cannot apply. A server whose deletes end before it
/// answers keeps that check.
pub fn schemathesis(openapi_url: &str, token: &str, max_examples: u32, deletes_settle_later: bool) {
    let executable = std::env::var("LISA_SCHEMATHESIS").expect(
        "LISA_SCHEMATHESIS must name the schemathesis executable (scripts/test.sh sets it)",
    );
    // Every check runs (schemathesis' default), but for the one operation the settings file
    // exempts; `--checks all` would override that exemption. Both crates that run this sit
    // beside lisa-api.
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../lisa-api/tests/schemathesis.toml"
    );
    let output = std::process::Command::new(executable)
        .args(["--config-file", config])
        // One worker: Python 3.11's parser, which Hypothesis calls while it draws, can fail
        // spuriously ("AST constructor recursion depth mismatch", CPython gh-106905) when
        // schemathesis draws from several threads at once.
        .args(["run", openapi_url, "--workers", "1"])
        .args(["--max-examples", &max_examples.to_string()])
        // A payload can match the schema and still break a rule that JSON Schema cannot state
        // (min <= desired <= max, a GPU instance for vllm, shared memory within the instance):
        // it gets a 400 with every path, which is right, so "schema-valid requests are
        // accepted" is not checked.
        .args([
            "--exclude-checks",
            if deletes_settle_later {
                "positive_data_acceptance,use_after_free"
            } else {
                "positive_data_acceptance"
            },
        ])
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

/// A model as the lifecycle records it, in `status`.
pub fn record(definition: ModelDefinition, status: ModelStatus) -> ModelRecord {
    ModelRecord {
        stack_name: format!("lisa-{}", definition.model_id.as_str()),
        definition,
        previous_definition: None,
        enabled: true,
        status,
        stack_id: None,
        litellm_model_id: None,
        model_url: None,
        auto_scaling_group_name: None,
        failure_reason: None,
        operation_token: None,
        stopped_by_hand: false,
        last_scheduled_run: None,
        version: 1,
        last_modified: "2026-03-30T00:00:00Z".into(),
    }
}

/// An in-memory lifecycle: operations record their working status and stay there (nothing
/// settles unless a test says so with [`Memory::edit`]), or, [`Memory::settling`], end at once
/// in the status they lead to. Views are built as the deployer's are, through
/// [`ModelRecord::view`]. Clones share the models.
#[derive(Default, Clone)]
pub struct Memory {
    models: Arc<Mutex<BTreeMap<String, ModelRecord>>>,
    settling: bool,
}

impl Memory {
    /// A lifecycle whose operations finish as they start, so that every route can answer 200.
    pub fn settling() -> Memory {
        Memory {
            settling: true,
            ..Memory::default()
        }
    }

    /// `working` while an operation runs, or where it ends when operations settle at once.
    fn working(&self, working: ModelStatus, settled: ModelStatus) -> ModelStatus {
        if self.settling { settled } else { working }
    }

    /// Changes a stored model as a finished operation or a scheduled run would.
    pub fn edit(&self, id: &str, change: impl FnOnce(&mut ModelRecord)) {
        let mut models = self.models.lock().expect("lock");
        change(models.get_mut(id).expect("the model exists"));
    }
}

fn not_found(id: &ModelId) -> ServiceError {
    ServiceError::NotFound(id.as_str().into())
}

impl ModelService for Memory {
    type Model = ModelView;

    async fn list(&self) -> Result<Vec<ListEntry<ModelView>>, ServiceError> {
        let models = self.models.lock().expect("lock");
        Ok(models
            .values()
            .map(|model| ListEntry::Model(model.view()))
            .collect())
    }

    async fn get(&self, id: &ModelId) -> Result<ModelView, ServiceError> {
        let models = self.models.lock().expect("lock");
        models
            .get(id.as_str())
            .map(ModelRecord::view)
            .ok_or_else(|| not_found(id))
    }

    async fn create(
        &self,
        definition: ValidDefinition,
    ) -> Result<Changed<ModelView>, ServiceError> {
        let id = definition.model_id.as_str().to_owned();
        let mut models = self.models.lock().expect("lock");
        if models.contains_key(&id) {
            return Err(ServiceError::AlreadyExists(id));
        }
        let status = self.working(ModelStatus::Creating, ModelStatus::InService);
        let model = record(definition.into_inner(), status);
        let view = model.view();
        models.insert(id, model);
        Ok(Changed::new(view))
    }

    async fn update(
        &self,
        id: &ModelId,
        update: ModelUpdate,
    ) -> Result<Changed<ModelView>, ServiceError> {
        let mut models = self.models.lock().expect("lock");
        let model = models.get_mut(id.as_str()).ok_or_else(|| not_found(id))?;
        if update.enabled == Some(false) {
            // The status machine's rule, as the deployer follows it for an administrator: a
            // stop of a running model deploys, of a stopped one holds it, otherwise refused.
            return match status::begin_as(
                Some(model.status),
                Request::Stop,
                status::Requester::Administrator,
            ) {
                Err(refusal) => Err(ServiceError::Refused(format!(
                    "model {}: {refusal}",
                    id.as_str()
                ))),
                Ok(status::Step::Save) => Ok(Changed::new(model.view())),
                Ok(status::Step::Deploy { working }) => {
                    model.status = self.working(working, ModelStatus::Stopped);
                    Ok(Changed::new(model.view()))
                }
            };
        }
        model.status = self.working(ModelStatus::Updating, model.status);
        Ok(Changed::new(model.view()))
    }

    async fn schedule(&self, id: &ModelId) -> Result<ModelSchedule, ServiceError> {
        let models = self.models.lock().expect("lock");
        models
            .get(id.as_str())
            .map(ModelSchedule::of_record)
            .ok_or_else(|| not_found(id))
    }

    /// By the status machine's rules for an update, as the deployer does: a model another
    /// operation holds is a conflict, a `Failed` one is refused.
    async fn set_schedule(
        &self,
        id: &ModelId,
        schedule: Option<Schedule>,
    ) -> Result<ModelView, ServiceError> {
        let mut models = self.models.lock().expect("lock");
        let model = models.get_mut(id.as_str()).ok_or_else(|| not_found(id))?;
        if let Err(refusal) = status::begin(Some(model.status), Request::Update) {
            let message = format!("model {}: {refusal}", id.as_str());
            return Err(if status::is_working(model.status) {
                ServiceError::Conflict(message)
            } else {
                ServiceError::Refused(message)
            });
        }
        if model.definition.schedule != schedule {
            model.definition.schedule = schedule;
            model.status = self.working(ModelStatus::Updating, model.status);
        }
        Ok(model.view())
    }

    async fn delete(&self, id: &ModelId) -> Result<(), ServiceError> {
        let mut models = self.models.lock().expect("lock");
        models
            .remove(id.as_str())
            .map(drop)
            .ok_or_else(|| not_found(id))
    }
}

pub struct Server {
    pub base: String,
    /// The lifecycle behind the server, to settle models as their operations would.
    pub memory: Memory,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<lisa_api::Stopped>>,
}

impl Server {
    /// A server without a rate limit (the tests and the load bench send many requests from one
    /// address); the other limits at their defaults.
    pub async fn start() -> Server {
        Self::start_over(Memory::default()).await
    }

    /// [`Server::start`] over `memory`.
    pub async fn start_over(memory: Memory) -> Server {
        Self::start_with_over(
            ServeOptions {
                rate_limit: None,
                ..ServeOptions::default()
            },
            memory,
        )
        .await
    }

    pub async fn start_with(options: ServeOptions) -> Server {
        Self::start_with_over(options, Memory::default()).await
    }

    async fn start_with_over(options: ServeOptions, memory: Memory) -> Server {
        let tokens = AdminTokens::parse_list(TOKEN).expect("token");
        let operations = Operations::default();
        let router = lisa_api::router(memory.clone(), tokens, &operations);
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
            memory,
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
