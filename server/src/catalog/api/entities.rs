//! `/entities…`, `/entity-facets`, `/validate-entity`: reading (and deleting) entities the
//! way `@backstage/catalog-client` asks for them. Handlers parse the request into the
//! store's query types (`query.rs`), call the store, and shape the answer as Backstage does.

mod query;

use crate::error::{ApiError, KeepErrorBody};
use crate::identity::Authorized;
use crate::identity::act::{CatalogRead, EntityUnregister};
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use query::{Cursor, Params, all, first};
pub(super) use query::{decode_cursor, encode_cursor, parse_predicate};
use serde_json::{Value, json};
use store::{EntityFilter, EntityJson, EntityQuery, OrderField, Store, TextFilter};

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

/// One entity's stored API JSON, keeping only `fields` when some are named.
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
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let filter = query::parse_filter_params(all(&params, "filter"))?;
    let fields = query::parse_fields(all(&params, "fields"));
    let order = query::parse_order(all(&params, "order"))?;
    let mut limit = query::parse_count("limit", first(&params, "limit"))?;
    let mut offset = query::parse_count("offset", first(&params, "offset"))?.unwrap_or(0);
    if let Some(after) = first(&params, "after").filter(|a| !a.is_empty()) {
        let cursor = Cursor::decode(after)?;
        offset = cursor.offset;
        limit = limit.or(Some(cursor.limit));
    }
    let mut query = EntityQuery {
        filter,
        text: None,
        order,
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
        let next = format!("<?{}>; rel=\"next\"", next_link_query(&params, &after));
        if let Ok(value) = HeaderValue::from_str(&next) {
            headers.insert(header::LINK, value);
        }
    }
    let body = format!("[{}]", items_json(entities, &fields)?);
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

/// The query string of the next page: the same parameters, with `after` replaced.
fn next_link_query(params: &Params, after: &str) -> String {
    let mut out: Vec<String> = params
        .iter()
        .filter(|(k, _)| k != "after" && k != "offset")
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
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
    fn continuing(cursor: &str, limit: Option<i64>, fields: Vec<String>) -> Result<Self, ApiError> {
        let mut cursor = Cursor::decode(cursor)?;
        cursor.limit = limit.unwrap_or(cursor.limit);
        Ok(PageRequest {
            cursor,
            fields,
            count_total: false,
            first_page: false,
        })
    }
}

/// `GET /entities/by-query`: `{items, totalItems, pageInfo: {nextCursor?, prevCursor?}}`.
async fn query_entities(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Query(params): Query<Params>,
) -> Result<Response, ApiError> {
    let fields = query::parse_fields(all(&params, "fields"));
    let limit = query::parse_count("limit", first(&params, "limit"))?;
    let request = match first(&params, "cursor").filter(|c| !c.is_empty()) {
        Some(cursor) => PageRequest::continuing(cursor, limit, fields)?,
        None => {
            let text = first(&params, "fullTextFilterTerm")
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|term| TextFilter {
                    term: term.to_string(),
                    keys: query::parse_fields(all(&params, "fullTextFilterFields")),
                });
            PageRequest {
                cursor: Cursor {
                    filter: query::parse_filter_params(all(&params, "filter"))?,
                    query: None,
                    order: query::parse_order_fields(all(&params, "orderField"))?,
                    text,
                    offset: query::parse_count("offset", first(&params, "offset"))?.unwrap_or(0),
                    limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
                    total_items: 0,
                },
                fields,
                count_total: parse_total_items(first(&params, "totalItems"))?,
                first_page: true,
            }
        }
    };
    page(&store, request).await
}

fn parse_total_items(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("include") => Ok(true),
        Some("exclude") => Ok(false),
        Some(other) => Err(ApiError::input(format!(
            "Invalid totalItems {other:?}: expected include or exclude"
        ))),
    }
}

/// `POST /entities/by-query` with `{query, limit, offset, orderBy, fullTextFilter, fields,
/// totalItems}` or `{cursor, limit, fields}`.
async fn query_entities_by_predicate(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let Value::Object(body) = body else {
        return Err(ApiError::input("The request body must be a JSON object"));
    };
    let fields = match body.get("fields") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => query::parse_fields(items.iter().filter_map(Value::as_str)),
        Some(_) => return Err(ApiError::input("fields must be an array of strings")),
    };
    let limit = optional_count(&body, "limit")?;
    let request = match body.get("cursor").and_then(Value::as_str) {
        Some(cursor) => PageRequest::continuing(cursor, limit, fields)?,
        None => {
            let filter = match body.get("query") {
                None | Some(Value::Null) => EntityFilter::AllOf(Vec::new()),
                Some(predicate) => query::parse_predicate(predicate)?,
            };
            let order = match body.get("orderBy") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(order_by_item)
                    .collect::<Result<Vec<_>, _>>()?,
                Some(item) => vec![order_by_item(item)?],
            };
            let text = match body.get("fullTextFilter") {
                Some(Value::Object(text)) => text
                    .get("term")
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|term| TextFilter {
                        term: term.to_string(),
                        keys: text
                            .get("fields")
                            .and_then(Value::as_array)
                            .map(|f| {
                                f.iter()
                                    .filter_map(Value::as_str)
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default(),
                    }),
                _ => None,
            };
            PageRequest {
                cursor: Cursor {
                    filter: None,
                    query: Some(filter),
                    text,
                    order,
                    offset: optional_count(&body, "offset")?.unwrap_or(0),
                    limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
                    total_items: 0,
                },
                fields,
                count_total: parse_total_items(body.get("totalItems").and_then(Value::as_str))?,
                first_page: true,
            }
        }
    };
    page(&store, request).await
}

fn optional_count(
    body: &serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<i64>, ApiError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => match value.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::input(format!(
                "Invalid {name} {value}: expected a non-negative integer"
            ))),
        },
    }
}

fn order_by_item(item: &Value) -> Result<OrderField, ApiError> {
    let field = item
        .get("field")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let order = item.get("order").and_then(Value::as_str).unwrap_or("asc");
    query::parse_order_fields(std::iter::once(format!("{field},{order}").as_str()))?
        .pop()
        .ok_or_else(|| ApiError::input("orderBy items need a field"))
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

/// `POST /entities/by-refs` with `{entityRefs, fields?}` (and `?filter=`): the entities
/// in the order asked for, `null` for those that do not exist or do not match.
async fn entities_by_refs(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Query(params): Query<Params>,
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let Some(refs) = body.get("entityRefs").and_then(Value::as_array) else {
        return Err(ApiError::input(
            "The request body must be {\"entityRefs\": [\"kind:namespace/name\", …]}",
        ));
    };
    let mut keys = Vec::with_capacity(refs.len());
    for entity_ref in refs {
        let Some(text) = entity_ref.as_str() else {
            return Err(ApiError::input(format!(
                "entityRefs must be strings, found {entity_ref}"
            )));
        };
        let parsed = catalog::EntityRef::parse(text, None, catalog::DEFAULT_NAMESPACE)
            .map_err(|e| ApiError::input(format!("Invalid entity ref: {e}")))?;
        keys.push(parsed.key());
    }
    let fields = match body.get("fields") {
        Some(Value::Array(items)) => query::parse_fields(items.iter().filter_map(Value::as_str)),
        _ => Vec::new(),
    };
    let filter = match body.get("query") {
        Some(predicate) if !predicate.is_null() => Some(query::parse_predicate(predicate)?),
        _ => query::parse_filter_params(all(&params, "filter"))?,
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
    _auth: Authorized<EntityUnregister>,
    State(store): State<Store>,
    Path(uid): Path<String>,
) -> Result<StatusCode, ApiError> {
    if store.delete_entity_by_uid(&uid).await? {
        tracing::info!(%uid, "entity deleted through the API");
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found(format!("No entity with uid {uid}")))
    }
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
    Query(params): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    let facets: Vec<String> = all(&params, "facet")
        .filter(|f| !f.trim().is_empty())
        .map(str::to_string)
        .collect();
    let filter = query::parse_filter_params(all(&params, "filter"))?;
    facets_response(&store, facets, filter).await
}

/// `POST /entity-facets` with `{facets, query?}`.
async fn entity_facets_by_predicate(
    _auth: Authorized<CatalogRead>,
    State(store): State<Store>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, ApiError> {
    let facets: Vec<String> = body
        .get("facets")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let filter = match body.get("query") {
        Some(predicate) if !predicate.is_null() => Some(query::parse_predicate(predicate)?),
        _ => None,
    };
    facets_response(&store, facets, filter).await
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
    Json(body): Json<Value>,
) -> Result<Response, ApiError> {
    let (Some(entity), Some(Value::String(_location))) = (body.get("entity"), body.get("location"))
    else {
        return Err(ApiError::input(
            "Malformed request: the body must be {\"entity\": {…}, \"location\": \"url:https://…\"}",
        ));
    };
    let errors = catalog::validate_value(entity);
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
