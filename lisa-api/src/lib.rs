//! The Admin Model Management API over HTTP.
//!
//! `GET /models`, `GET /models/{modelId}`, `POST /models`, `PUT /models/{modelId}` and
//! `DELETE /models/{modelId}`, with the request and response bodies of the Admin API, and a
//! model's schedule at `GET`, `PUT` and `DELETE /models/{modelId}/schedule`, for admins only
//! (`Authorization: Bearer <token>`); `GET /health` and `GET /openapi.json` are open.
//!
//! The lifecycle behind the routes is a [`ModelService`]; the HTTP layer holds no AWS code.
//! Operations that change a model run detached from their requests ([`Operations`]), so a client
//! that hangs up cancels nothing. [`serve`] holds clients to [`ServeOptions`] (header and request
//! time limits, a connection cap, a rate limit) and, at shutdown, waits for the operations under
//! way. Every request is logged on standard error (method, path, status, latency; never a
//! header).

#![warn(missing_docs)]

mod access_log;
mod auth;
mod errors;
mod limits;
mod openapi;
mod operations;
mod routes;
mod schedule;
mod server;
mod service;
mod slots;
mod view;

pub use auth::{AdminTokens, MIN_TOKEN_LENGTH, TokenError};
pub use errors::{ApiError, ErrorBody};
pub use limits::{
    DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT, RateLimit, ServeOptions,
};
pub use lisa_constructs::model::ModelView;
pub use openapi::document as openapi_document;
pub use operations::Operations;
pub use routes::{ChangedModel, Deleted, Health, ModelList, OneModel};
pub use schedule::ModelSchedule;
pub use server::{Stopped, serve};
pub use service::{Changed, ModelService, ServiceError};
pub use view::{ListEntry, UnreadableModelView};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// The largest request body accepted, in bytes. A model definition is a few KiB; the limit
/// leaves room for large environment maps and still refuses a flood early.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The API's routes over `service`, admitting only the holders of `tokens`; the operations that
/// change models run under `operations` (give the same to [`serve`], which waits for them).
pub fn router<S: ModelService>(service: S, tokens: AdminTokens, operations: &Operations) -> Router {
    let app = routes::App {
        service: Arc::new(service),
        operations: operations.clone(),
    };
    let document = Arc::new(openapi::document::<S::Model>());
    let models = Router::new()
        .route("/models", get(routes::list::<S>).post(routes::create::<S>))
        .route(
            "/models/{id}",
            get(routes::get_one::<S>)
                .put(routes::update::<S>)
                .delete(routes::delete::<S>),
        )
        .route(
            "/models/{id}/schedule",
            get(routes::get_schedule::<S>)
                .put(routes::put_schedule::<S>)
                .delete(routes::delete_schedule::<S>),
        )
        .route_layer(from_fn_with_state(Arc::new(tokens), require_admin))
        .with_state(app);
    Router::new()
        .route("/health", get(routes::health))
        .route(
            "/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { axum::Json(document.as_ref().clone()) }
            }),
        )
        .merge(models)
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

async fn require_admin(
    State(tokens): State<Arc<AdminTokens>>,
    request: Request,
    next: Next,
) -> Response {
    let header = request.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    if tokens.allows(header) {
        next.run(request).await
    } else {
        ApiError::unauthorized().into_response()
    }
}
