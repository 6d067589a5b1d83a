//! `POST /api/webhooks/github`: GitHub's webhook deliveries. The signature is the
//! sender's proof (the seam's sign-in does not apply: GitHub has no session or token
//! here), checked before anything is read or stored. A delivery is stored first and
//! processed by the delivery loop, so a burst or a restart loses nothing, and its
//! `X-GitHub-Delivery` id makes a redelivery change nothing.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::json;

/// The longest delivery id accepted; GitHub's are UUIDs (36 characters).
const MAX_DELIVERY_ID: usize = 100;

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let Some(secret) = &state.config.insights.webhook_secret else {
        return Err(ApiError::with_status(
            StatusCode::SERVICE_UNAVAILABLE,
            "GitHub webhooks are not set up here: set github_webhook_secret in portico.yaml \
             (or PORTICO_GITHUB_WEBHOOK_SECRET) to the webhook's secret in GitHub",
        ));
    };
    let signature = header(&headers, "x-hub-signature-256");
    insights::github::verify_signature(secret.expose().as_bytes(), &body, signature)
        .map_err(|e| ApiError::unauthenticated(e.to_string()))?;

    let event = header(&headers, "x-github-event")
        .ok_or_else(|| ApiError::input("The X-GitHub-Event header is missing."))?;
    let delivery = header(&headers, "x-github-delivery")
        .filter(|id| valid_delivery_id(id))
        .ok_or_else(|| {
            ApiError::input(
                "The X-GitHub-Delivery header is missing or not an id (letters, digits and \
                 dashes, at most 100).",
            )
        })?;
    let payload = std::str::from_utf8(&body)
        .map_err(|_| ApiError::input("The payload is not UTF-8 JSON."))?;
    // Read now so a malformed payload is refused while GitHub is listening; the loop
    // reads it again when it processes the delivery.
    insights::github::read(event, &body).map_err(ApiError::input)?;

    let new = state
        .store
        .save_delivery(delivery, event, payload, chrono::Utc::now())
        .await
        .map_err(ApiError::internal)?;
    if new {
        state.insights.wake();
        Ok((
            StatusCode::ACCEPTED,
            Json(json!({"delivery": delivery, "status": "accepted"})),
        ))
    } else {
        Ok((
            StatusCode::OK,
            Json(json!({"delivery": delivery, "status": "duplicate"})),
        ))
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn valid_delivery_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_DELIVERY_ID
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}
