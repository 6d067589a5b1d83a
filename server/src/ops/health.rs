//! Liveness and readiness probes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;
use store::{Store, StoreError};

/// `GET /healthz`: the process is up and serving.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers and is migrated; 503 otherwise, so a load balancer
/// stops sending traffic to a replica that cannot serve it.
pub async fn readyz(State(store): State<Store>) -> (StatusCode, Json<serde_json::Value>) {
    match store.check_ready().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            let reason = match error {
                StoreError::NotMigrated { .. } => "database migrations have not been applied",
                _ => "database is unreachable",
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": reason })),
            )
        }
    }
}
