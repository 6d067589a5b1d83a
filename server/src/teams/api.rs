//! `GET /api/teams` (the directory: `?q=` words, `?type=` group type),
//! `GET /api/teams/{namespace}/{name}` (a team; `?scope=all` with its child teams),
//! `GET /api/people/{namespace}/{name}` (a person and their teams) and
//! `GET /api/teams/openapi.json`. The same data as the pages, read the same way; anyone
//! who may read the catalog may read them. Errors in Backstage's shape.

use crate::error::{ApiError, backstage_errors};
use crate::identity::Authorized;
use crate::identity::act::CatalogRead;
use crate::state::AppState;
use app::{PersonPageData, TeamDirectory, TeamPageData, teams_api};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router, middleware};
use serde::Deserialize;
use store::Store;

pub fn router() -> Router<AppState> {
    let teams = Router::new()
        .route("/", get(directory))
        .route("/openapi.json", get(openapi))
        .route("/{namespace}/{name}", get(team))
        .fallback(not_found);
    let people = Router::new()
        .route("/{namespace}/{name}", get(person))
        .fallback(not_found);
    Router::new()
        .nest("/api/teams", teams)
        .nest("/api/people", people)
        .layer(middleware::from_fn(
            crate::catalog::api::input::refuse_nul_in_url,
        ))
        .layer(middleware::from_fn(backstage_errors))
}

/// Any other address under `/api/teams` or `/api/people`: a 404 in Backstage's shape,
/// not the portal's HTML page.
async fn not_found() -> ApiError {
    ApiError::not_found(
        "There is no such address in the teams API; /api/teams/openapi.json lists them.",
    )
}

/// Unknown query parameters are ignored, as the catalog API ignores them.
#[derive(Deserialize)]
struct DirectoryQuery {
    q: Option<String>,
    #[serde(rename = "type")]
    team_type: Option<String>,
}

async fn directory(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Query(query): Query<DirectoryQuery>,
) -> Result<Json<TeamDirectory>, ApiError> {
    let search = teams_api::search(query.q.as_deref(), query.team_type.as_deref());
    Ok(Json(teams_api::directory(&store, &search).await?))
}

#[derive(Deserialize)]
struct TeamQuery {
    scope: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    offset: Option<String>,
}

async fn team(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Path((namespace, name)): Path<(String, String)>,
    Query(query): Query<TeamQuery>,
) -> Result<Json<TeamPageData>, ApiError> {
    let scope = teams_api::parse_scope(query.scope.as_deref())?;
    let listing = teams_api::parse_listing(
        query.kind.as_deref(),
        query.sort.as_deref(),
        query.offset.as_deref(),
    )?;
    Ok(Json(
        teams_api::team(&store, &namespace, &name, scope, &listing).await?,
    ))
}

async fn person(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Path((namespace, name)): Path<(String, String)>,
) -> Result<Json<PersonPageData>, ApiError> {
    Ok(Json(teams_api::person(&store, &namespace, &name).await?))
}

/// The OpenAPI 3 description of these routes.
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}
