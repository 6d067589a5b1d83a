//! Backstage's catalog API: one file per resource.

mod entities;
mod locations;

use crate::api::error::backstage_errors;
use crate::state::AppState;
use axum::{Router, middleware};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(entities::router())
        .merge(locations::router())
        .layer(middleware::from_fn(backstage_errors))
}
