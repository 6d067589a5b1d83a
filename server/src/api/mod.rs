//! The REST API. `/api/catalog` speaks Backstage's catalog API, so that
//! `@backstage/catalog-client` and the Backstage CLI work against Portico unchanged.

pub mod auth;
pub mod catalog;
pub mod error;
pub mod render;

use crate::state::AppState;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .nest("/api/catalog", catalog::router())
        .merge(render::router())
}
