//! Error answers: one JSON shape for every refusal, with the status code that says who must act.
//!
//! `{"error": "NotFound", "message": "...", "errors": [{"path": "...", "message": "..."}]}`;
//! `errors` is present only for validation failures.

use crate::service::ServiceError;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lisa_constructs::model::{ValidationError, ValidationErrors};
use schemars::JsonSchema;
use serde::Serialize;

/// An error answer.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code (`NotFound`, `Invalid`, `Unauthorized`, ...).
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
    /// Every validation problem with its JSON path (validation failures only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<FieldError>")]
    pub errors: Vec<ValidationError>,
}

/// One validation problem (the schema of [`ValidationError`]).
#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldError {
    /// The JSON path of the problem; empty for the payload itself.
    pub path: String,
    /// What was found and what is allowed.
    pub message: String,
}

/// An error answer with its status code.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body.
    pub body: ErrorBody,
}

impl ApiError {
    /// An error with no field details.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error: code.to_owned(),
                message: message.into(),
                errors: Vec::new(),
            },
        }
    }

    /// 400 with every validation problem.
    pub fn invalid(errors: ValidationErrors) -> ApiError {
        let count = errors.errors().len();
        let mut error = ApiError::new(
            StatusCode::BAD_REQUEST,
            "Invalid",
            format!(
                "the payload has {count} problem{}",
                if count == 1 { "" } else { "s" }
            ),
        );
        error.body.errors = errors.0;
        error
    }

    /// 401, saying nothing about what was asked for.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "an admin token is required: Authorization: Bearer <token>",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> ApiError {
        let (status, code) = match &error {
            ServiceError::NotFound(_) => (StatusCode::NOT_FOUND, "NotFound"),
            ServiceError::AlreadyExists(_) => (StatusCode::CONFLICT, "AlreadyExists"),
            ServiceError::Conflict(_) => (StatusCode::CONFLICT, "Conflict"),
            ServiceError::Invalid(errors) => return ApiError::invalid(errors.clone()),
            ServiceError::Refused(_) => (StatusCode::BAD_REQUEST, "Refused"),
            ServiceError::Misconfigured(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Misconfigured"),
            ServiceError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "Unavailable"),
            ServiceError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "Internal"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}
