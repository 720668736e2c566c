//! The API's errors: every one answers JSON `{"error", "message"}` with its status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hirundo_analyze::gather::ReportError;
use hirundo_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A parameter was refused; the message names it and its value.
    #[error("{0}")]
    BadRequest(String),
    #[error("this API needs the header `Authorization: Bearer TOKEN` with the server's token")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 naming `parameter` and the `value` refused, and why.
    pub fn parameter(parameter: &str, value: &str, why: impl std::fmt::Display) -> ApiError {
        ApiError::BadRequest(format!("{parameter}={value:?}: {why}"))
    }

    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) | ApiError::Report(ReportError::Period(_)) => {
                (StatusCode::BAD_REQUEST, "bad_request")
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Store(_) | ApiError::Report(_) | ApiError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// The body of every error answer.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// `bad_request`, `unauthorized`, `not_found` or `internal`.
    pub error: String,
    /// What went wrong; for a 400, the parameter and the value refused.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorBody {
            error: error.into(),
            message: self.to_string(),
        };
        (status, Json(body)).into_response()
    }
}
