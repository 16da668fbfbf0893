//! One error type for every handler: clear 4xx answers for what the caller
//! can fix, a generic 500 (with the cause chain logged) for everything else.

use crate::store::StoreError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("template error: {0}")]
    Template(#[from] tera::Error),
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::Store(e) => match e {
                StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::IdempotencyConflict { .. }
                | StoreError::AlreadyReversed { .. }
                | StoreError::Duplicate(_) => StatusCode::CONFLICT,
                StoreError::InvalidReversal(_)
                | StoreError::Invalid(_)
                | StoreError::Overflow
                | StoreError::Entry(_)
                | StoreError::Allocation(_)
                | StoreError::Schedule(_) => StatusCode::UNPROCESSABLE_ENTITY,
                StoreError::LoanState(_) | StoreError::InsufficientBalance { .. } => {
                    StatusCode::CONFLICT
                }
                StoreError::Corrupt(_) | StoreError::Database(_) | StoreError::Migrate(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
            AppError::Template(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            let mut chain = self.to_string();
            let mut source = std::error::Error::source(&self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(error = %chain, "request failed");
            "something went wrong on our side; the error has been logged".to_string()
        } else {
            self.to_string()
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
