//! `/locations…`, `/refresh`, `/analyze-location`, in the shapes
//! `@backstage/catalog-client` expects, plus Portico's per-location status
//! (`status` on `GET /locations/{id}`, and `GET /locations/{id}/status`).

use crate::catalog::ingest::{IngestError, Target};
use crate::config::OrphanStrategy;
use crate::error::ApiError;
use crate::identity::Authorized;
use crate::identity::act::{
    CatalogRead, EntityRefresh, LocationAnalyze, LocationChange, LocationCreate,
};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use catalog::EntityRef;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{EntityFilter, LocationRow, LocationStatus, LocationUpdate};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/locations", get(list).post(create))
        .route("/locations/by-query", post(query_locations))
        .route("/locations/{id}", get(show).put(update).delete(remove))
        .route("/locations/{id}/status", get(status))
        .route(
            "/locations/by-entity/{kind}/{namespace}/{name}",
            get(by_entity),
        )
        .route("/refresh", post(refresh))
        .route("/analyze-location", post(analyze))
}

#[derive(Deserialize)]
struct LocationInput {
    #[serde(rename = "type", default = "default_type")]
    location_type: String,
    target: String,
}

fn default_type() -> String {
    "url".into()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateQuery {
    #[serde(default)]
    dry_run: Option<String>,
    #[serde(default)]
    on_conflict: Option<String>,
}

/// `{id, type, target}`: Backstage's `Location`.
fn location_json(row: &LocationRow) -> Value {
    json!({ "id": row.id, "type": row.location_type, "target": row.target })
}

/// Portico's status of a location (an extension; Backstage clients ignore it).
fn status_json(status: &LocationStatus) -> Value {
    let row = &status.location;
    json!({
        "lastReadAt": row.last_read_at,
        "nextReadAt": row.next_read_at,
        "lastError": row.last_error,
        "entityCount": status.entity_count,
        "conflicts": status.conflicts,
    })
}

fn ingest_error(error: IngestError) -> ApiError {
    if error.is_user_error() {
        ApiError::input(error.to_string())
    } else {
        ApiError::internal(error)
    }
}

/// `POST /locations[?dryRun=true][&onConflict=refresh]`: registers a location and reads
/// it at once, so its entities are in the catalog when this answers.
async fn create(
    _auth: Authorized<LocationCreate>,
    State(state): State<AppState>,
    Query(query): Query<CreateQuery>,
    Json(input): Json<LocationInput>,
) -> Result<Response, ApiError> {
    let target = Target::parse(&input.location_type, &input.target).map_err(ingest_error)?;
    let (kind, target_text) = (target.location_type(), target.target());
    if query.dry_run.as_deref() == Some("true") {
        let existing = state.store.location_by_target(kind, &target_text).await?;
        let entities = state
            .ingester
            .preview(&target)
            .await
            .map_err(ingest_error)?;
        let id = existing
            .as_ref()
            .map(|row| row.id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = json!({
            "location": { "id": id, "type": kind, "target": target_text },
            "entities": entities.iter().map(|e| e.to_value()).collect::<Vec<_>>(),
            "exists": existing.is_some(),
        });
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }

    let (row, created) = state
        .store
        .add_location(kind, &target_text, Utc::now())
        .await?;
    if !created && query.on_conflict.as_deref() != Some("refresh") {
        return Err(ApiError::conflict(format!(
            "Location {kind}:{target_text} already exists"
        )));
    }
    let entities = match state
        .ingester
        .process_now(&state.store, &row.id, &state.worker)
        .await?
    {
        Some(Ok(applied)) => applied.entities.iter().map(|e| e.to_value()).collect(),
        // The error is recorded on the location and shown in `status`; the location
        // stays registered, as in Backstage, and is read again on the next pass.
        Some(Err(IngestError::Store(error))) => return Err(ApiError::internal(error)),
        Some(Err(_)) | None => Vec::new(),
    };
    let status = state.store.location_status(&row.id).await?;
    let mut body = json!({ "location": location_json(&row), "entities": entities });
    if !created {
        body["exists"] = json!(true);
    }
    if let Some(status) = status {
        body["status"] = status_json(&status);
    }
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// `GET /locations`: `[{data: {id, type, target}}]`.
async fn list(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
) -> Result<Json<Value>, ApiError> {
    let rows = state.store.locations().await?;
    Ok(Json(Value::Array(
        rows.iter()
            .map(|row| json!({ "data": location_json(row) }))
            .collect(),
    )))
}

/// `PUT /locations/{id}` `{type, target}`: points a location elsewhere and reads it at
/// once; answers the updated `Location`.
async fn update(
    _auth: Authorized<LocationChange>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(input): Json<LocationInput>,
) -> Result<Json<Value>, ApiError> {
    let target = Target::parse(&input.location_type, &input.target).map_err(ingest_error)?;
    let (kind, target_text) = (target.location_type(), target.target());
    let row = match state.store.update_location(&id, kind, &target_text).await? {
        LocationUpdate::Updated(row) => row,
        LocationUpdate::NotFound => return Err(found(None::<()>, &id).unwrap_err()),
        LocationUpdate::Taken { by } => {
            return Err(ApiError::conflict(format!(
                "Location {kind}:{target_text} already exists (ID {by}); delete one of them first"
            )));
        }
    };
    read_now(&state, &row.id).await?;
    Ok(Json(location_json(&row)))
}

/// Page size of `POST /locations/by-query` when the request names none, and the largest.
const LOCATION_PAGE: usize = 100;
const MAX_LOCATION_PAGE: usize = 1000;

/// The state of a `locations/by-query` listing, carried from page to page.
#[derive(serde::Serialize, Deserialize)]
struct LocationCursor {
    query: Option<EntityFilter>,
    offset: usize,
    limit: usize,
}

/// `POST /locations/by-query` `{query?, limit?}` or `{cursor}`: `{items, totalItems,
/// pageInfo: {nextCursor?}}`, oldest first. `query` is a filter predicate over `id`,
/// `type` and `target` (values match ignoring case, as for entities).
async fn query_locations(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    body: Option<Json<Value>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map(|Json(body)| body).unwrap_or(Value::Null);
    let limit = match body.get("limit") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .filter(|n| *n as usize <= MAX_LOCATION_PAGE)
                .ok_or_else(|| {
                    ApiError::input(format!(
                        "Invalid limit {value}: use a whole number from 0 to {MAX_LOCATION_PAGE}"
                    ))
                })? as usize,
        ),
    };
    let cursor = match body.get("cursor").and_then(Value::as_str) {
        Some(text) => {
            let mut cursor: LocationCursor =
                super::entities::decode_cursor(text).ok_or_else(|| {
                    ApiError::input(format!(
                        "Malformed cursor {text:?}: pass a cursor exactly as a previous response returned it"
                    ))
                })?;
            cursor.limit = limit.unwrap_or(cursor.limit);
            cursor
        }
        None => LocationCursor {
            query: match body.get("query") {
                None | Some(Value::Null) => None,
                Some(predicate) => Some(super::entities::parse_predicate(predicate)?),
            },
            offset: 0,
            limit: limit.unwrap_or(LOCATION_PAGE),
        },
    };
    let matching: Vec<LocationRow> = state
        .store
        .locations()
        .await?
        .into_iter()
        .filter(|row| {
            cursor
                .query
                .as_ref()
                .is_none_or(|q| location_matches(row, q))
        })
        .collect();
    let items: Vec<Value> = matching
        .iter()
        .skip(cursor.offset)
        .take(cursor.limit)
        .map(location_json)
        .collect();
    let mut page_info = json!({});
    let next = cursor.offset + items.len();
    if next < matching.len() && !items.is_empty() {
        let next = LocationCursor {
            offset: next,
            ..cursor
        };
        page_info["nextCursor"] = json!(super::entities::encode_cursor(&next));
    }
    Ok(Json(json!({
        "items": items,
        "totalItems": matching.len(),
        "pageInfo": page_info,
    })))
}

/// Whether a location matches a filter predicate over its `id`, `type` and `target`.
fn location_matches(row: &LocationRow, filter: &EntityFilter) -> bool {
    let field = |key: &str| match key.to_lowercase().as_str() {
        "id" => Some(&row.id),
        "type" => Some(&row.location_type),
        "target" => Some(&row.target),
        _ => None,
    };
    match filter {
        EntityFilter::AnyOf(filters) => filters.iter().any(|f| location_matches(row, f)),
        EntityFilter::AllOf(filters) => filters.iter().all(|f| location_matches(row, f)),
        EntityFilter::Not(filter) => !location_matches(row, filter),
        EntityFilter::Equals { key, values } => {
            field(key).is_some_and(|value| values.iter().any(|v| v.eq_ignore_ascii_case(value)))
        }
        EntityFilter::Exists { key } => field(key).is_some(),
    }
}

async fn show(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let status = found(state.store.location_status(&id).await?, &id)?;
    let mut body = location_json(&status.location);
    body["status"] = status_json(&status);
    Ok(Json(body))
}

async fn status(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let status = found(state.store.location_status(&id).await?, &id)?;
    Ok(Json(status_json(&status)))
}

fn found<T>(value: Option<T>, id: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::not_found(format!("Found no location with ID {id}")))
}

/// `DELETE /locations/{id}`: with orphan strategy `delete` its entities go too.
async fn remove(
    _auth: Authorized<LocationChange>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let remove_entities = state.config.ingest.orphan_strategy == OrphanStrategy::Delete;
    if state.store.delete_location(&id, remove_entities).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(found(None::<()>, &id).unwrap_err())
    }
}

async fn by_entity(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let entity_ref = EntityRef::new(kind, namespace, name).key();
    match state.store.location_of_entity(&entity_ref).await? {
        Some(row) => Ok(Json(location_json(&row))),
        None => Err(ApiError::not_found(format!(
            "Found no location for entity {entity_ref}"
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshInput {
    entity_ref: String,
}

/// `POST /refresh {entityRef}`: reads the location that provides the entity again, now.
async fn refresh(
    _auth: Authorized<EntityRefresh>,
    State(state): State<AppState>,
    Json(input): Json<RefreshInput>,
) -> Result<StatusCode, ApiError> {
    let entity_ref = EntityRef::parse(&input.entity_ref, None, "")
        .map_err(|e| ApiError::input(e.to_string()))?
        .key();
    let Some(location) = state.store.location_of_entity(&entity_ref).await? else {
        return Err(ApiError::not_found(format!(
            "No location provides entity {entity_ref}"
        )));
    };
    read_now(&state, &location.id).await?;
    Ok(StatusCode::OK)
}

/// Reads the location `id` now (or hands it to the worker reading it). A read error is
/// recorded on the location and shown in its status; only the portal's own failures are
/// errors here.
async fn read_now(state: &AppState, id: &str) -> Result<(), ApiError> {
    match state
        .ingester
        .process_now(&state.store, id, &state.worker)
        .await?
    {
        Some(Err(IngestError::Store(error))) => Err(ApiError::internal(error)),
        _ => Ok(()),
    }
}

#[derive(Deserialize)]
struct AnalyzeInput {
    location: LocationInput,
}

/// `POST /analyze-location`: what a location holds and whether it is registered. Portico
/// does not generate entities for repositories without catalog files.
async fn analyze(
    _auth: Authorized<LocationAnalyze>,
    State(state): State<AppState>,
    Json(input): Json<AnalyzeInput>,
) -> Result<Json<Value>, ApiError> {
    let target = Target::parse(&input.location.location_type, &input.location.target)
        .map_err(ingest_error)?;
    let registered = state
        .store
        .location_by_target(target.location_type(), &target.target())
        .await?
        .is_some();
    let entities = state
        .ingester
        .preview(&target)
        .await
        .map_err(ingest_error)?;
    let files: Vec<Value> = entities
        .iter()
        .map(|entity| {
            json!({
                "entity": entity.to_value(),
                "isRegistered": registered,
                "location": { "type": target.location_type(), "target": target.target() },
            })
        })
        .collect();
    Ok(Json(
        json!({ "existingEntityFiles": files, "generateEntities": [] }),
    ))
}
