//! `/entities…`, `/entity-facets`, `/validate-entity`: reading (and deleting) entities the
//! way `@backstage/catalog-client` asks for them. Each handler receives its request as a
//! typed struct (`requests.rs`, in the query language's types from `query.rs`), calls the
//! store, and shapes the answer as Backstage does.

mod query;
mod requests;

use super::input::{JsonBody, Object, QueryParams};
use crate::error::{ApiError, KeepErrorBody};
use crate::identity::act::{CatalogRead, EntityUnregister};
use crate::identity::{Authorized, targets};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
pub(super) use query::{Count, Predicate, decode_cursor, encode_cursor, whole_number};
use query::{Cursor, CursorText};
use requests::{
    ByRefs, FacetParams, FacetsBody, FilterParams, ListParams, PageParams, PredicatePage,
    ValidateBody,
};
use serde_json::{Value, json};
use store::{EntityFilter, EntityJson, EntityQuery, Store};

/// The page size of `by-query` when the client names none (Backstage's default).
const DEFAULT_PAGE_SIZE: i64 = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/entities", get(list_entities))
        .route(
            "/entities/by-query",
            get(query_entities).post(query_entities_by_predicate),
        )
        .route("/entities/by-refs", post(entities_by_refs))
        .route(
            "/entities/by-uid/{uid}",
            get(entity_by_uid).delete(delete_entity_by_uid),
        )
        .route(
            "/entities/by-name/{kind}/{namespace}/{name}",
            get(entity_by_name),
        )
        .route(
            "/entities/by-name/{kind}/{namespace}/{name}/ancestry",
            get(entity_ancestry),
        )
        .route(
            "/entity-facets",
            get(entity_facets).post(entity_facets_by_predicate),
        )
        .route("/validate-entity", post(validate_entity))
        .route("/openapi.json", get(openapi))
}

/// One entity's stored API JSON, keeping only `fields` when some are named. An entity
/// that has none of them is `{}` (as in Backstage; the document says so).
fn entity_text(json: String, fields: &[String]) -> Result<String, ApiError> {
    if fields.is_empty() {
        return Ok(json);
    }
    let entity: Value = serde_json::from_str(&json).map_err(ApiError::internal)?;
    Ok(query::project(entity, fields).to_string())
}

/// `GET /entities?filter=…&fields=…&order=asc:metadata.name&offset=…&limit=…&after=…`:
/// a JSON array; with a `limit` and more to come, a `Link: <…?after=…>; rel="next"`.
async fn list_entities(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    QueryParams(params): QueryParams<ListParams>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let mut limit = params.limit.map(|Count(n)| n);
    let mut offset = params.offset.map_or(0, |Count(n)| n);
    if let Some(CursorText(cursor)) = params.after {
        offset = cursor.offset;
        limit = limit.or(Some(cursor.limit));
    }
    let mut query = EntityQuery {
        filter: params.filter.0,
        text: None,
        order: params.order.0,
        offset,
        limit: limit.map(|l| l + 1),
    };
    let mut entities = store.query_entity_json(&query).await?;
    let mut headers = HeaderMap::new();
    if let Some(limit) = limit
        && entities.len() as i64 > limit
    {
        entities.truncate(limit as usize);
        query.offset += limit;
        let after = Cursor {
            offset: query.offset,
            limit,
            ..Cursor::default()
        }
        .encode();
        let next = format!(
            "<?{}>; rel=\"next\"",
            next_link_query(raw.as_deref().unwrap_or(""), &after)
        );
        if let Ok(value) = HeaderValue::from_str(&next) {
            headers.insert(header::LINK, value);
        }
    }
    let body = format!("[{}]", items_json(entities, &params.fields.0)?);
    Ok((headers, json_text(body)).into_response())
}

/// Entities as the database wrote their JSON (see `Store::query_entity_json`), joined
/// for an array; decoded only to keep just the requested `fields`.
fn items_json(entities: Vec<String>, fields: &[String]) -> Result<String, ApiError> {
    let items: Result<Vec<String>, ApiError> = entities
        .into_iter()
        .map(|json| entity_text(json, fields))
        .collect();
    Ok(items?.join(","))
}

/// A response whose body is JSON text already.
fn json_text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The query string of the next page: the same parameters as they were sent, with
/// `after` (and `offset`, which it replaces) taken out and the new `after` added.
fn next_link_query(raw: &str, after: &str) -> String {
    let mut out: Vec<String> = raw
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let key = pair.split('=').next().unwrap_or_default();
            key != "after" && key != "offset"
        })
        .map(str::to_string)
        .collect();
    out.push(format!("after={}", encode_component(after)));
    out.join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode_component(text: &str) -> String {
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// A by-query page request, from either the query string or the predicate body.
struct PageRequest {
    cursor: Cursor,
    fields: Vec<String>,
    count_total: bool,
    first_page: bool,
}

impl PageRequest {
    /// A later page: the query travels in the cursor; only the page size may change.
    fn continuing(cursor: Cursor, limit: Option<Count>, fields: Vec<String>) -> Self {
        PageRequest {
            cursor: Cursor {
                limit: limit.map_or(cursor.limit, |Count(n)| n),
                ..cursor
            },
            fields,
            count_total: false,
            first_page: false,
        }
    }
}

/// `GET /entities/by-query`: `{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}`.
async fn query_entities(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    QueryParams(params): QueryParams<PageParams>,
) -> Result<Response, ApiError> {
    let fields = params.fields.0;
    let request = match params.cursor {
        Some(CursorText(cursor)) => PageRequest::continuing(cursor, params.limit, fields),
        None => PageRequest {
            cursor: Cursor {
                filter: params.filter.0,
                query: None,
                order: params.order_field.0,
                text: query::text_filter(
                    params.full_text_filter_term.as_deref(),
                    params.full_text_filter_fields.0,
                ),
                offset: params.offset.map_or(0, |Count(n)| n),
                limit: params.limit.map_or(DEFAULT_PAGE_SIZE, |Count(n)| n),
                total_items: 0,
            },
            fields,
            count_total: params.total_items.unwrap_or_default() == query::TotalItems::Include,
            first_page: true,
        },
    };
    page(&store, request).await
}

/// `POST /entities/by-query` with `{query, limit, offset, orderBy, fullTextFilter, fields,
/// totalItems}` or `{cursor, limit, fields}`.
async fn query_entities_by_predicate(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    JsonBody(body): JsonBody<PredicatePage>,
) -> Result<Response, ApiError> {
    let fields = body.fields.map(|f| f.0).unwrap_or_default();
    let request = match body.cursor {
        Some(CursorText(cursor)) => PageRequest::continuing(cursor, body.limit, fields),
        None => {
            let text = body.full_text_filter.and_then(|Object(text)| {
                query::text_filter(text.term.as_deref(), text.fields.unwrap_or_default())
            });
            PageRequest {
                cursor: Cursor {
                    filter: None,
                    query: Some(body.query.map_or(EntityFilter::AllOf(Vec::new()), |p| p.0)),
                    text,
                    order: body.order_by.map(|o| o.0).unwrap_or_default(),
                    offset: body.offset.map_or(0, |Count(n)| n),
                    limit: body.limit.map_or(DEFAULT_PAGE_SIZE, |Count(n)| n),
                    total_items: 0,
                },
                fields,
                count_total: body.total_items.unwrap_or_default() == query::TotalItems::Include,
                first_page: true,
            }
        }
    };
    page(&store, request).await
}

async fn page(store: &Store, request: PageRequest) -> Result<Response, ApiError> {
    let mut cursor = request.cursor;
    let query = EntityQuery {
        filter: cursor.filter().cloned(),
        text: cursor.text.clone(),
        order: cursor.order.clone(),
        offset: cursor.offset,
        limit: Some(cursor.limit + 1),
    };
    let mut entities = store.query_entity_json(&query).await?;
    if request.first_page && request.count_total {
        cursor.total_items = store
            .count_entities(query.filter.as_ref(), query.text.as_ref())
            .await?;
    }
    let more = entities.len() as i64 > cursor.limit;
    entities.truncate(cursor.limit as usize);
    let mut page_info = serde_json::Map::new();
    if more && cursor.limit > 0 {
        let next = Cursor {
            offset: cursor.offset + cursor.limit,
            ..cursor.clone()
        };
        page_info.insert("nextCursor".into(), next.encode().into());
    }
    if cursor.offset > 0 {
        let prev = Cursor {
            offset: (cursor.offset - cursor.limit).max(0),
            ..cursor.clone()
        };
        page_info.insert("prevCursor".into(), prev.encode().into());
    }
    Ok(json_text(format!(
        "{{\"items\":[{}],\"totalItems\":{},\"pageInfo\":{}}}",
        items_json(entities, &request.fields)?,
        cursor.total_items,
        Value::Object(page_info),
    )))
}

/// `POST /entities/by-refs` with `{entityRefs, fields?, query?}` (and `?filter=`): the
/// entities in the order asked for, `null` for those that do not exist or do not match.
async fn entities_by_refs(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    QueryParams(params): QueryParams<FilterParams>,
    JsonBody(body): JsonBody<ByRefs>,
) -> Result<Response, ApiError> {
    let keys: Vec<String> = body.entity_refs.into_iter().map(|r| r.0).collect();
    let fields = body.fields.map(|f| f.0).unwrap_or_default();
    let filter = match body.query {
        Some(predicate) => Some(predicate.0),
        None => params.filter.0,
    };
    let mut found = store.entity_json_by_refs(&keys).await?;
    if let Some(filter) = filter {
        // Only the requested entities that also match: ask for their uids under the filter.
        let uids: Vec<String> = found.iter().flatten().map(|e| e.uid.clone()).collect();
        let matching: std::collections::HashSet<String> = if uids.is_empty() {
            Default::default()
        } else {
            let query = EntityQuery {
                filter: Some(EntityFilter::AllOf(vec![
                    filter,
                    EntityFilter::Equals {
                        key: "metadata.uid".into(),
                        values: uids,
                    },
                ])),
                ..EntityQuery::default()
            };
            store
                .query_entities(&query)
                .await?
                .into_iter()
                .map(|e| e.uid)
                .collect()
        };
        for slot in &mut found {
            if slot.as_ref().is_some_and(|e| !matching.contains(&e.uid)) {
                *slot = None;
            }
        }
    }
    let items: Result<Vec<String>, ApiError> = found
        .into_iter()
        .map(|e| e.map_or(Ok("null".to_string()), |e| entity_text(e.json, &fields)))
        .collect();
    Ok(json_text(format!("{{\"items\":[{}]}}", items?.join(","))))
}

async fn entity_by_uid(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Path(uid): Path<String>,
) -> Result<Response, ApiError> {
    match store.entity_json_by_uid(&uid).await? {
        Some(entity) => Ok(json_text(entity.json)),
        None => Err(ApiError::not_found(format!("No entity with uid {uid}"))),
    }
}

/// `DELETE /entities/by-uid/{uid}`: 204. The entity comes back when its location is
/// read again, as in Backstage; to remove it for good, remove it from its source.
async fn delete_entity_by_uid(
    auth: Authorized<EntityUnregister>,
    State(store): State<Store>,
    Path(uid): Path<String>,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found(format!("No entity with uid {uid}"));
    let entity = store
        .entity_json_by_uid(&uid)
        .await?
        .ok_or_else(not_found)?;
    let target = targets::entity(&store, &entity.entity_ref)
        .await?
        .ok_or_else(not_found)?;
    let write = auth.on(&target).await?;
    write
        .run(async {
            if store.delete_entity_by_uid(&uid).await? {
                tracing::info!(%uid, "entity deleted through the API");
                Ok(StatusCode::NO_CONTENT)
            } else {
                Err(not_found())
            }
        })
        .await
}

async fn find_by_name(
    store: &Store,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<EntityJson, ApiError> {
    let key = catalog::EntityRef::new(kind, namespace, name).key();
    let found = store.entity_json_by_refs(&[key]).await?.pop().flatten();
    found.ok_or_else(|| {
        ApiError::not_found(format!(
            "No entity named '{name}' found, with kind '{kind}' in namespace '{namespace}'"
        ))
    })
}

async fn entity_by_name(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    Ok(json_text(
        find_by_name(&store, &kind, &namespace, &name).await?.json,
    ))
}

/// `GET …/ancestry`: `{rootEntityRef, items: [{entity, parentEntityRefs}]}`. Backstage's
/// ancestry is the chain of entities that emitted this one; Portico reads entities from
/// locations directly, so the chain is the entity alone.
async fn entity_ancestry(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Path((kind, namespace, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let entity = find_by_name(&store, &kind, &namespace, &name).await?;
    let root = Value::String(entity.entity_ref).to_string();
    Ok(json_text(format!(
        "{{\"rootEntityRef\":{root},\"items\":[{{\"entity\":{},\"parentEntityRefs\":[]}}]}}",
        entity.json
    )))
}

/// `GET /entity-facets?facet=spec.lifecycle&facet=spec.owner&filter=kind=component`:
/// `{facets: {"spec.lifecycle": [{value, count}, …], …}}`.
async fn entity_facets(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    QueryParams(params): QueryParams<FacetParams>,
) -> Result<Json<Value>, ApiError> {
    let facets = params.facet.into_iter().map(|f| f.0).collect();
    facets_response(&store, facets, params.filter.0).await
}

/// `POST /entity-facets` with `{facets, query?}`.
async fn entity_facets_by_predicate(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    JsonBody(body): JsonBody<FacetsBody>,
) -> Result<Json<Value>, ApiError> {
    let facets = body.facets.into_iter().map(|f| f.0).collect();
    facets_response(&store, facets, body.query.map(|p| p.0)).await
}

async fn facets_response(
    store: &Store,
    facets: Vec<String>,
    filter: Option<EntityFilter>,
) -> Result<Json<Value>, ApiError> {
    if facets.is_empty() {
        return Err(ApiError::input(
            "Missing facet: name at least one, e.g. ?facet=spec.type",
        ));
    }
    let counts = store.entity_facets(&facets, filter.as_ref()).await?;
    Ok(Json(json!({ "facets": counts })))
}

/// `POST /validate-entity` with `{entity, location}`: 200 when valid; 400 with
/// `{errors: [{name, message}]}` (Backstage's shape, read by the client) when not.
async fn validate_entity(
    _auth: Authorized<CatalogRead>,
    JsonBody(body): JsonBody<ValidateBody>,
) -> Result<Response, ApiError> {
    let errors = catalog::validate_value(&Value::Object(body.entity));
    if errors.is_empty() {
        return Ok(Json(json!({})).into_response());
    }
    let errors: Vec<Value> = errors
        .iter()
        .map(|e| json!({ "name": "InputError", "message": e.to_string() }))
        .collect();
    let mut response = (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response();
    response.extensions_mut().insert(KeepErrorBody);
    Ok(response)
}

/// The OpenAPI 3 description of this API.
async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("entities/openapi.json"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn link_components_keep_only_unreserved_characters() {
        assert_eq!(
            super::encode_component("kind=component,a b/é-_.~"),
            "kind%3Dcomponent%2Ca%20b%2F%C3%A9-_.~"
        );
    }
}
