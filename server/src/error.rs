//! API errors in Backstage's shape:
//! `{"error":{"name","message"},"request":{"method","url"},"response":{"statusCode"}}`.
//!
//! Handlers return [`ApiError`]; the [`backstage_errors`] layer adds the request part, and
//! also wraps errors axum produced itself (bad JSON, unknown route, wrong method), so every
//! error a client sees has the same shape.

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error to show to an API client. Internal causes are logged, never sent.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Backstage's error class name, e.g. `NotFoundError`, `InputError`, `ConflictError`.
    pub name: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::NOT_FOUND,
            name: "NotFoundError",
            message: message.into(),
        }
    }

    pub fn input(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            name: "InputError",
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::CONFLICT,
            name: "ConflictError",
            message: message.into(),
        }
    }

    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            name: "AuthenticationError",
            message: message.into(),
        }
    }

    pub fn not_allowed(message: impl Into<String>) -> ApiError {
        ApiError {
            status: StatusCode::FORBIDDEN,
            name: "NotAllowedError",
            message: message.into(),
        }
    }

    /// An error with `status`, named as Backstage names errors of that status.
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            name: default_name(status),
            message: message.into(),
        }
    }

    /// Logs `cause` once and returns a 500 that does not reveal it.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(%cause, "internal error in the API");
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            name: "Error",
            message: "internal error: the portal logged the details".into(),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(error: store::StoreError) -> ApiError {
        ApiError::internal(error)
    }
}

/// An error of the app's loaders (shared with the pages) on the API: same status, same
/// message (an internal one was logged and says nothing more).
impl From<app::error::AppError> for ApiError {
    fn from(error: app::error::AppError) -> ApiError {
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::with_status(status, error.message())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Marks an error response whose body is already in the shape its endpoint documents
/// (`POST /validate-entity` answers 400 with `{"errors": [...]}`); the layer keeps it.
#[derive(Clone, Copy, Debug)]
pub struct KeepErrorBody;

/// Writes every error response of the API in Backstage's shape.
pub async fn backstage_errors(request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    // Inside `nest` the URI lost its prefix; clients expect the path they called.
    let url = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(
            || request.uri().to_string(),
            |original| original.0.to_string(),
        );
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.extensions().get::<KeepErrorBody>().is_some()
    {
        return response;
    }
    let error = match response.extensions().get::<ApiError>() {
        Some(error) => error.clone(),
        None => ApiError {
            status,
            name: default_name(status),
            message: body_text(response).await,
        },
    };
    error.envelope(&method, &url)
}

impl ApiError {
    /// The error as Backstage writes it, for a request with this method and URL.
    pub fn envelope(&self, method: &str, url: &str) -> Response {
        let body = json!({
            "error": { "name": self.name, "message": self.message },
            "request": { "method": method, "url": url },
            "response": { "statusCode": self.status.as_u16() },
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/json")],
            Json(body),
        )
            .into_response()
    }
}

fn default_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "NotFoundError",
        StatusCode::CONFLICT => "ConflictError",
        StatusCode::UNAUTHORIZED => "AuthenticationError",
        StatusCode::FORBIDDEN => "NotAllowedError",
        s if s.is_client_error() => "InputError",
        _ => "Error",
    }
}

/// The text axum put in its own error responses (e.g. why a JSON body was rejected).
async fn body_text(response: Response) -> String {
    let status = response.status();
    let bytes = axum::body::to_bytes(Body::new(response.into_body()), 64 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes).trim().to_string();
    if text.is_empty() || status.is_server_error() {
        status.canonical_reason().unwrap_or("error").to_string()
    } else {
        text
    }
}
