//! `/locations…`, `/refresh`, `/analyze-location`.

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
}
