//! Backstage's catalog API: one file per resource.

mod entities;
pub mod generate;
pub(crate) mod input;
mod locations;

use crate::error::{ApiError, backstage_errors};
use crate::state::AppState;
use axum::{Router, middleware};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(entities::router())
        .merge(locations::router())
        .fallback(|| async { ApiError::not_found("no such catalog API endpoint") })
        .layer(middleware::from_fn(input::refuse_nul_in_url))
        .layer(middleware::from_fn(backstage_errors))
}
