//! What each entity endpoint accepts, as typed structs deserialised at the edge
//! (`input::QueryParams`, `input::JsonBody`): a handler receives them parsed, in the query
//! language's types (`query.rs`). Unknown body keys and query parameters are ignored, as
//! the OpenAPI document says; every known one must have its documented type.

use super::query::{
    Count, CursorText, Fields, Filters, FullTextFilter, Order, OrderBy, OrderFields, Predicate,
    TotalItems,
};
use crate::catalog::api::input::{EntityRefKey, Object, first};
use serde::Deserialize;
use serde_json::{Map, Value};

/// `GET /entities?filter=…&fields=…&order=…&offset=…&limit=…&after=…`.
#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    pub filter: Filters,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub order: Order,
    #[serde(default, deserialize_with = "first")]
    pub offset: Option<Count>,
    #[serde(default, deserialize_with = "first")]
    pub limit: Option<Count>,
    #[serde(default, deserialize_with = "first")]
    pub after: Option<CursorText>,
}

/// `GET /entities/by-query`: a first page (`filter`, `orderField`, full text, `offset`,
/// `totalItems`) or a later one (`cursor`; then only `limit` and `fields` count).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageParams {
    #[serde(default)]
    pub filter: Filters,
    #[serde(default)]
    pub fields: Fields,
    #[serde(default)]
    pub order_field: OrderFields,
    #[serde(default, deserialize_with = "first")]
    pub cursor: Option<CursorText>,
    #[serde(default, deserialize_with = "first")]
    pub offset: Option<Count>,
    #[serde(default, deserialize_with = "first")]
    pub limit: Option<Count>,
    #[serde(default, deserialize_with = "first")]
    pub total_items: Option<TotalItems>,
    #[serde(default, deserialize_with = "first")]
    pub full_text_filter_term: Option<String>,
    #[serde(default)]
    pub full_text_filter_fields: Fields,
}

/// `POST /entities/by-query`: `{query, limit, offset, orderBy, fullTextFilter, fields,
/// totalItems}` or `{cursor, limit, fields}`. `null` is the same as leaving a key out.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PredicatePage {
    pub query: Option<Predicate>,
    pub cursor: Option<CursorText>,
    pub limit: Option<Count>,
    pub offset: Option<Count>,
    pub order_by: Option<OrderBy>,
    pub full_text_filter: Option<Object<FullTextFilter>>,
    pub fields: Option<Fields>,
    pub total_items: Option<TotalItems>,
}

/// `?filter=…` of `POST /entities/by-refs`.
#[derive(Deserialize)]
pub struct FilterParams {
    #[serde(default)]
    pub filter: Filters,
}

/// `POST /entities/by-refs` `{entityRefs, fields?, query?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ByRefs {
    pub entity_refs: Vec<EntityRefKey>,
    pub fields: Option<Fields>,
    pub query: Option<Predicate>,
}

/// A key to count values of (`facet`, `facets`): any non-empty text.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct FacetKey(pub String);

impl TryFrom<String> for FacetKey {
    type Error = String;
    fn try_from(key: String) -> Result<FacetKey, String> {
        if key.is_empty() {
            Err("a facet names a key, e.g. spec.type; it cannot be empty".into())
        } else {
            Ok(FacetKey(key))
        }
    }
}

/// `GET /entity-facets?facet=…&filter=…`.
#[derive(Deserialize)]
pub struct FacetParams {
    #[serde(default)]
    pub facet: Vec<FacetKey>,
    #[serde(default)]
    pub filter: Filters,
}

/// `POST /entity-facets` `{facets, query?}`.
#[derive(Deserialize)]
pub struct FacetsBody {
    pub facets: Vec<FacetKey>,
    pub query: Option<Predicate>,
}

/// `POST /validate-entity` `{entity, location}`: the entity is checked by the handler,
/// which answers Backstage's `{errors}` for an invalid one.
#[derive(Deserialize)]
pub struct ValidateBody {
    pub entity: Map<String, Value>,
    #[allow(
        dead_code,
        reason = "required by Backstage's API; Portico does not read it"
    )]
    pub location: String,
}
