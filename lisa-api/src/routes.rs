//! The handlers: each reads its input through the same readers the CLI uses (every problem with
//! its JSON path), calls the service, and answers with the seed's shapes. Calls that change a
//! model run under the server's [`Operations`], detached from the request.

use crate::errors::ApiError;
use crate::operations::Operations;
use crate::schedule::ModelSchedule;
use crate::service::ModelService;
use crate::view::ListEntry;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use lisa_constructs::model::schedule::Schedule;
use lisa_constructs::model::{DefinitionError, ModelId, ModelUpdate, ValidDefinition};
use schemars::JsonSchema;
use serde::Serialize;
use std::sync::Arc;

/// `GET /models`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ModelList<M> {
    /// Every model.
    pub models: Vec<ListEntry<M>>,
}

/// `GET`, `POST` and `PUT` of one model.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OneModel<M> {
    /// The model.
    pub model: M,
}

/// `POST /models` and `PUT /models/{modelId}`: the model, and what the checks before the
/// change warned about (absent when nothing).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangedModel<M> {
    /// The model with its new status.
    pub model: M,
    /// Checks before the change that could not run (an unreadable vCPU quota); the change
    /// went ahead.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl<M> From<crate::service::Changed<M>> for ChangedModel<M> {
    fn from(changed: crate::service::Changed<M>) -> Self {
        ChangedModel {
            model: changed.model,
            warnings: changed.warnings,
        }
    }
}

/// `DELETE /models/{modelId}`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    /// Always `success`.
    pub status: String,
    /// `Model <id> has been deleted successfully.`
    pub message: String,
}

/// `GET /health`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Health {
    /// Always `ok` while the server answers.
    pub status: String,
}

/// What the handlers share: the lifecycle and the operations under way.
pub(crate) struct App<S> {
    pub(crate) service: Arc<S>,
    pub(crate) operations: Operations,
}

// By hand: a derive would ask `S: Clone`, and the service is shared, not cloned.
impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        App {
            service: Arc::clone(&self.service),
            operations: self.operations.clone(),
        }
    }
}

pub(crate) type Shared<S> = State<App<S>>;

pub(crate) async fn list<S: ModelService>(
    State(app): Shared<S>,
) -> Result<Json<ModelList<S::Model>>, ApiError> {
    let models = app.service.list().await?;
    Ok(Json(ModelList { models }))
}

pub(crate) async fn get_one<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
) -> Result<Json<OneModel<S::Model>>, ApiError> {
    let id = model_id(&id)?;
    let model = app.service.get(&id).await?;
    Ok(Json(OneModel { model }))
}

pub(crate) async fn create<S: ModelService>(
    State(app): Shared<S>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChangedModel<S::Model>>, ApiError> {
    let text = body_text(body)?;
    let definition = ValidDefinition::from_json_str(text.as_ref()).map_err(read_error)?;
    let id = definition.model_id.as_str().to_owned();
    let service = app.service;
    let changed = app
        .operations
        .run(&id, async move { service.create(definition).await })
        .await?;
    Ok(Json(changed.into()))
}

pub(crate) async fn update<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ChangedModel<S::Model>>, ApiError> {
    let id = model_id(&id)?;
    let text = body_text(body)?;
    let update = ModelUpdate::from_json_str(text.as_ref()).map_err(read_error)?;
    let service = app.service;
    let key = id.as_str().to_owned();
    let changed = app
        .operations
        .run(&key, async move { service.update(&id, update).await })
        .await?;
    Ok(Json(changed.into()))
}

pub(crate) async fn delete<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
) -> Result<Json<Deleted>, ApiError> {
    let id = model_id(&id)?;
    let service = app.service;
    let target = id.clone();
    app.operations
        .run(id.as_str(), async move { service.delete(&target).await })
        .await?;
    Ok(Json(Deleted {
        status: "success".into(),
        message: format!(
            "Model {id} has been deleted successfully.",
            id = id.as_str()
        ),
    }))
}

pub(crate) async fn get_schedule<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
) -> Result<Json<ModelSchedule>, ApiError> {
    let id = model_id(&id)?;
    Ok(Json(app.service.schedule(&id).await?))
}

/// The body is checked before the model is looked up, as for `PUT /models/{modelId}`: a bad
/// schedule is 400 with every problem whether or not the model exists.
pub(crate) async fn put_schedule<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<OneModel<S::Model>>, ApiError> {
    let id = model_id(&id)?;
    let text = body_text(body)?;
    let schedule = Schedule::from_json_str(text.as_ref()).map_err(read_error)?;
    change_schedule(app, id, Some(schedule)).await
}

pub(crate) async fn delete_schedule<S: ModelService>(
    State(app): Shared<S>,
    Path(id): Path<String>,
) -> Result<Json<OneModel<S::Model>>, ApiError> {
    let id = model_id(&id)?;
    change_schedule(app, id, None).await
}

/// A schedule change runs like every other change: detached, one operation per model.
async fn change_schedule<S: ModelService>(
    app: App<S>,
    id: ModelId,
    schedule: Option<Schedule>,
) -> Result<Json<OneModel<S::Model>>, ApiError> {
    let service = app.service;
    let key = id.as_str().to_owned();
    let model = app
        .operations
        .run(
            &key,
            async move { service.set_schedule(&id, schedule).await },
        )
        .await?;
    Ok(Json(OneModel { model }))
}

pub(crate) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
    })
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NotFound", "no such route")
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "this route does not take that method",
    )
}

/// An id that is not a valid model id names no model: 404, like any absent model.
fn model_id(raw: &str) -> Result<ModelId, ApiError> {
    ModelId::parse(raw).map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("model {raw} does not exist"),
        )
    })
}

fn body_text(body: Result<Bytes, BytesRejection>) -> Result<String, ApiError> {
    let bytes = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                status,
                "PayloadTooLarge",
                format!(
                    "the body is over the {} KiB a request may carry",
                    crate::BODY_LIMIT / 1024
                ),
            );
        }
        ApiError::new(status, "BadBody", rejection.body_text())
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed",
            format!(
                "the body is not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

fn read_error(error: DefinitionError) -> ApiError {
    match error {
        DefinitionError::Invalid(errors) => ApiError::invalid(errors),
        syntax => ApiError::new(
            StatusCode::BAD_REQUEST,
            "Malformed",
            format!("the body is not valid JSON: {syntax}"),
        ),
    }
}
