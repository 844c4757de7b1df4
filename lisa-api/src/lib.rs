//! The Admin Model Management API over HTTP.
//!
//! `GET /models`, `GET /models/{modelId}`, `POST /models`, `PUT /models/{modelId}` and
//! `DELETE /models/{modelId}`, with the request and response bodies of the Admin API, for admins
//! only (`Authorization: Bearer <token>`); `GET /health` and `GET /openapi.json` are open.
//!
//! The lifecycle behind the routes is a [`ModelService`]; the HTTP layer holds no AWS code.
//! Every request is logged on standard error (method, path, status, latency; never a header).

#![warn(missing_docs)]

mod access_log;
mod auth;
mod errors;
mod openapi;
mod routes;
mod service;
mod view;

pub use auth::{AdminTokens, MIN_TOKEN_LENGTH, TokenError};
pub use errors::{ApiError, ErrorBody};
pub use openapi::document as openapi_document;
pub use routes::{Deleted, Health, ModelList, OneModel};
pub use service::{ModelService, ServiceError};
pub use view::{ModelView, UnreadableModelView};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::sync::Arc;

/// The largest request body accepted, in bytes. A model definition is a few KiB; the limit
/// leaves room for large environment maps and still refuses a flood early.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The API's routes over `service`, admitting only the holders of `tokens`.
pub fn router<S: ModelService>(service: S, tokens: AdminTokens) -> Router {
    let service = Arc::new(service);
    let document = Arc::new(openapi::document::<S::Model>());
    let models = Router::new()
        .route("/models", get(routes::list::<S>).post(routes::create::<S>))
        .route(
            "/models/{id}",
            get(routes::get_one::<S>)
                .put(routes::update::<S>)
                .delete(routes::delete::<S>),
        )
        .route_layer(from_fn_with_state(Arc::new(tokens), require_admin))
        .with_state(service);
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
        .layer(from_fn(access_log::log))
}

/// Serves `router` on `listener` until `shutdown` completes; requests under way are finished.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
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
