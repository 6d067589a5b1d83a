//! The insights API: `POST /api/webhooks/github` (GitHub's deliveries, signed),
//! `POST /api/insights/events` (every other tool's events) and
//! `GET /api/insights/openapi.json`. Errors in Backstage's shape.

use crate::error::{ApiError, backstage_errors};
use crate::insights::{events, webhooks};
use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Router, middleware};

pub fn router() -> Router<AppState> {
    let insights = Router::new()
        .route("/events", post(events::report))
        .route("/openapi.json", get(openapi))
        .fallback(not_found);
    Router::new()
        .route("/api/webhooks/github", post(webhooks::receive))
        .nest("/api/insights", insights)
        .layer(middleware::from_fn(backstage_errors))
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "There is no such address in the insights API; /api/insights/openapi.json lists them.",
    )
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
