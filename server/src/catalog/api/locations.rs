//! `/locations…`, `/refresh`, `/analyze-location`, in the shapes
//! `@backstage/catalog-client` expects, plus Portico's per-location status
//! (`status` on `GET /locations/{id}`, and `GET /locations/{id}/status`).

use super::entities::{Predicate, decode_cursor, encode_cursor, whole_number};
use super::generate::{self, Analysis, AnalyzeError};
use super::input::{EntityRefKey, JsonBody, Object, QueryParams, first};
use crate::catalog::ingest::{IngestError, Target, refuse_people};
use crate::config::OrphanStrategy;
use crate::error::ApiError;
use crate::identity::act::{
    CatalogRead, EntityRefresh, LocationAnalyze, LocationChange, LocationCreate,
};
use crate::identity::{Authorized, targets};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use catalog::EntityRef;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::str::FromStr;
use store::{EntityFilter, LocationQuery, LocationRow, LocationStatus, LocationUpdate};

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

/// `{type?, target}`: a location as a client names it (`type` defaults to `url`),
/// parsed into a [`Target`] as it is deserialised.
#[derive(Deserialize)]
#[serde(try_from = "LocationSpec")]
struct LocationInput(Target);

#[derive(Deserialize)]
struct LocationSpec {
    #[serde(rename = "type", default = "default_type")]
    location_type: String,
    target: String,
}

fn default_type() -> String {
    "url".into()
}

impl TryFrom<LocationSpec> for LocationInput {
    type Error = String;
    fn try_from(spec: LocationSpec) -> Result<LocationInput, String> {
        Target::parse(&spec.location_type, &spec.target)
            .map(LocationInput)
            .map_err(|e| e.to_string())
    }
}

/// `POST /locations?dryRun=true|false&onConflict=reject|refresh`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateParams {
    #[serde(default, deserialize_with = "first")]
    dry_run: Option<Flag>,
    #[serde(default, deserialize_with = "first")]
    on_conflict: Option<OnConflict>,
}

/// `true` or `false`.
struct Flag(bool);

impl FromStr for Flag {
    type Err = String;
    fn from_str(text: &str) -> Result<Flag, String> {
        match text {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            other => Err(format!("expected true or false, found {other:?}")),
        }
    }
}

/// What registering a location that exists does: a 409 (`reject`, the default) or a
/// read of the existing one (`refresh`), as in Backstage.
#[derive(PartialEq, Eq)]
enum OnConflict {
    Reject,
    Refresh,
}

impl FromStr for OnConflict {
    type Err = String;
    fn from_str(text: &str) -> Result<OnConflict, String> {
        match text {
            "reject" => Ok(OnConflict::Reject),
            "refresh" => Ok(OnConflict::Refresh),
            other => Err(format!("expected reject or refresh, found {other:?}")),
        }
    }
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
    auth: Authorized<LocationCreate>,
    State(state): State<AppState>,
    QueryParams(params): QueryParams<CreateParams>,
    JsonBody(LocationInput(target)): JsonBody<LocationInput>,
) -> Result<Response, ApiError> {
    let (kind, target_text) = (target.location_type(), target.target());
    let write = auth.on(&targets::new_location(kind, &target_text)).await?;
    if params.dry_run.is_some_and(|Flag(dry)| dry) {
        let existing = state.store.location_by_target(kind, &target_text).await?;
        let entities = state
            .ingester
            .preview(&target)
            .await
            .map_err(ingest_error)?;
        // What registering would refuse, a dry run refuses too.
        if let Some(registrant) = targets::registrant(&auth.caller) {
            refuse_people(&entities, &registrant).map_err(ingest_error)?;
        }
        let id = existing
            .as_ref()
            .map(|row| row.id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = json!({
            "location": { "id": id, "type": kind, "target": target_text },
            "entities": entities.iter().map(|e| e.to_value()).collect::<Vec<_>>(),
            "exists": existing.is_some(),
        });
        // A dry run stores nothing, so the audit log has nothing to record.
        drop(write);
        return Ok((StatusCode::CREATED, Json(body)).into_response());
    }
    write
        .run(register(
            &auth,
            &state,
            params.on_conflict,
            kind,
            &target_text,
        ))
        .await
}

/// Registers the location `kind:target_text` and reads it (a [`create`] that is not a
/// dry run).
async fn register(
    auth: &Authorized<LocationCreate>,
    state: &AppState,
    on_conflict: Option<OnConflict>,
    kind: &str,
    target_text: &str,
) -> Result<Response, ApiError> {
    let registrant = targets::registrant(&auth.caller);
    let (row, created) = state
        .store
        .add_location_by(kind, target_text, registrant.as_deref(), Utc::now())
        .await?;
    if !created && on_conflict != Some(OnConflict::Refresh) {
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
    auth: Authorized<LocationChange>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(LocationInput(target)): JsonBody<LocationInput>,
) -> Result<Json<Value>, ApiError> {
    let current = targets::location(&state.store, &id).await?;
    let write = auth.on(&found(current, &id)?).await?;
    write
        .run(async {
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
        })
        .await
}

/// Page size of `POST /locations/by-query` when the request names none, and the largest.
const LOCATION_PAGE: i64 = 100;
const MAX_LOCATION_PAGE: i64 = 1000;

/// `POST /locations/by-query` `{query?, limit?}` or `{cursor, limit?}`; all optional, and
/// so is the body.
#[derive(Default, Deserialize)]
struct LocationsQuery {
    cursor: Option<LocationCursorText>,
    limit: Option<LocationPageSize>,
    query: Option<Predicate>,
}

/// A page size from 0 to [`MAX_LOCATION_PAGE`].
#[derive(Clone, Copy, Deserialize)]
#[serde(try_from = "serde_json::Number")]
struct LocationPageSize(i64);

impl TryFrom<serde_json::Number> for LocationPageSize {
    type Error = String;
    fn try_from(n: serde_json::Number) -> Result<LocationPageSize, String> {
        match whole_number(&n) {
            Some(n) if (0..=MAX_LOCATION_PAGE).contains(&n) => Ok(LocationPageSize(n)),
            _ => Err(format!(
                "use a whole number from 0 to {MAX_LOCATION_PAGE}, found {n}"
            )),
        }
    }
}

/// The state of a `locations/by-query` listing, carried from page to page.
#[derive(Serialize, Deserialize)]
struct LocationCursor {
    query: Option<EntityFilter>,
    offset: i64,
    limit: i64,
}

/// A location cursor as a client sends it back.
#[derive(Deserialize)]
#[serde(try_from = "String")]
struct LocationCursorText(LocationCursor);

impl TryFrom<String> for LocationCursorText {
    type Error = String;
    fn try_from(text: String) -> Result<LocationCursorText, String> {
        decode_cursor::<LocationCursor>(&text)
            .filter(|c| {
                (0..=i64::MAX / 4).contains(&c.offset) && (0..=MAX_LOCATION_PAGE).contains(&c.limit)
            })
            .map(LocationCursorText)
            .ok_or_else(|| {
                format!(
                    "Malformed cursor {text:?}: pass a cursor exactly as a previous response returned it"
                )
            })
    }
}

/// `POST /locations/by-query`: `{items, totalItems, pageInfo: {nextCursor?}}`, oldest
/// first. `query` is a filter predicate over `id`, `type` and `target` (values match
/// ignoring case, as for entities), answered by the store in SQL.
async fn query_locations(
    _auth: Authorized<CatalogRead>,
    State(state): State<AppState>,
    body: Option<JsonBody<LocationsQuery>>,
) -> Result<Json<Value>, ApiError> {
    let body = body.map(|JsonBody(body)| body).unwrap_or_default();
    let limit = body.limit.map(|LocationPageSize(n)| n);
    let cursor = match body.cursor {
        Some(LocationCursorText(cursor)) => LocationCursor {
            limit: limit.unwrap_or(cursor.limit),
            ..cursor
        },
        None => LocationCursor {
            query: body.query.map(|Predicate(filter)| filter),
            offset: 0,
            limit: limit.unwrap_or(LOCATION_PAGE),
        },
    };
    let page = state
        .store
        .query_locations(&LocationQuery {
            filter: cursor.query.clone(),
            offset: cursor.offset,
            limit: cursor.limit,
        })
        .await?;
    let mut page_info = json!({});
    let next = cursor.offset + page.items.len() as i64;
    if next < page.total && !page.items.is_empty() {
        let next = LocationCursor {
            offset: next,
            ..cursor
        };
        page_info["nextCursor"] = json!(encode_cursor(&next));
    }
    Ok(Json(json!({
        "items": page.items.iter().map(location_json).collect::<Vec<_>>(),
        "totalItems": page.total,
        "pageInfo": page_info,
    })))
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
    auth: Authorized<LocationChange>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let current = targets::location(&state.store, &id).await?;
    let write = auth.on(&found(current, &id)?).await?;
    write
        .run(async {
            let remove_entities = state.config.ingest.orphan_strategy == OrphanStrategy::Delete;
            if state.store.delete_location(&id, remove_entities).await? {
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(found(None::<()>, &id).unwrap_err())
            }
        })
        .await
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

/// `{entityRef}` (Backstage's `authorizationToken` is accepted and ignored).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RefreshInput {
    entity_ref: EntityRefKey,
}

/// `POST /refresh {entityRef}`: reads the location that provides the entity again, now.
async fn refresh(
    auth: Authorized<EntityRefresh>,
    State(state): State<AppState>,
    JsonBody(input): JsonBody<RefreshInput>,
) -> Result<StatusCode, ApiError> {
    let EntityRefKey(entity_ref) = input.entity_ref;
    let target = targets::entity(&state.store, &entity_ref)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No location provides entity {entity_ref}")))?;
    let write = auth.on(&target).await?;
    write
        .run(async {
            let Some(location) = state.store.location_of_entity(&entity_ref).await? else {
                return Err(ApiError::not_found(format!(
                    "No location provides entity {entity_ref}"
                )));
            };
            read_now(&state, &location.id).await?;
            Ok(StatusCode::OK)
        })
        .await
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

/// `{location: {type, target}}` (Backstage's `catalogFileName` is accepted and ignored).
#[derive(Deserialize)]
struct AnalyzeInput {
    location: Object<LocationInput>,
}

/// `POST /analyze-location`: what a location holds and whether it is registered. A GitHub
/// repository without a catalog file (or a blob URL whose file does not exist) gets a
/// proposed Component in `generateEntities`, as Backstage's `RepoLocationAnalyzer`
/// answers (see `generate.rs`).
async fn analyze(
    _auth: Authorized<LocationAnalyze>,
    State(state): State<AppState>,
    JsonBody(input): JsonBody<AnalyzeInput>,
) -> Result<Json<Value>, ApiError> {
    let Object(LocationInput(target)) = input.location;
    let analysis = generate::analyze(&state.ingester, &state.config.github, &target)
        .await
        .map_err(|error| match error {
            AnalyzeError::NotFound(message) => ApiError::not_found(message),
            AnalyzeError::Ingest(error) => ingest_error(error),
        })?;
    let (location, entities) = match analysis {
        Analysis::Entities { location, entities } => (location, entities),
        Analysis::Proposal { proposal, .. } => {
            let proposal = serde_json::to_value(&proposal).map_err(ApiError::internal)?;
            return Ok(Json(json!({
                "existingEntityFiles": [],
                "generateEntities": [proposal],
            })));
        }
    };
    let registered = state
        .store
        .location_by_target(location.location_type(), &location.target())
        .await?
        .is_some();
    let files: Vec<Value> = entities
        .iter()
        .map(|entity| {
            json!({
                "entity": entity.to_value(),
                "isRegistered": registered,
                "location": { "type": location.location_type(), "target": location.target() },
            })
        })
        .collect();
    Ok(Json(
        json!({ "existingEntityFiles": files, "generateEntities": [] }),
    ))
}
