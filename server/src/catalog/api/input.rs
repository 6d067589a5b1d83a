//! The edge of the catalog API: request bodies and query strings deserialised into typed
//! requests, so a handler receives input that is already parsed or never runs.
//!
//! Everything a client can get wrong here is Backstage's 400 `InputError` in the one error
//! envelope, with a message that names the field. axum's own `Json` would answer 415 for a
//! body without a JSON content type and 422 for JSON that does not fit the type; Backstage
//! answers 400 for both, and so does Portico (the OpenAPI document says so).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Query, Request};
use axum::http::{HeaderMap, header, request::Parts};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use std::fmt::Display;
use std::str::FromStr;

/// A JSON object request body deserialised into `T`. As `Option<JsonBody<T>>`, a request
/// without a body (no content type, nothing sent) is `None`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ApiError::input(
                "The request body must be JSON, sent with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                ApiError::with_status(rejection.status(), rejection.body_text())
            })?;
        parse_json(&bytes).map(JsonBody)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> OptionalFromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Option<Self>, ApiError> {
        if request.headers().get(header::CONTENT_TYPE).is_none() {
            let bytes = Bytes::from_request(request, state)
                .await
                .map_err(|rejection| {
                    ApiError::with_status(rejection.status(), rejection.body_text())
                })?;
            if bytes.is_empty() {
                return Ok(None);
            }
            return Err(ApiError::input(
                "The request body must be JSON, sent with Content-Type: application/json",
            ));
        }
        <Self as FromRequest<S>>::from_request(request, state)
            .await
            .map(Some)
    }
}

/// `application/json`, or a `+json` type, with any parameters.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::input(format!("The request body is not valid JSON: {e}")))?;
    if let Some(path) = nul_at(&value, "") {
        return Err(ApiError::input(format!(
            "Invalid request body: {}: {NUL}",
            if path.is_empty() {
                "(root)"
            } else {
                path.as_str()
            }
        )));
    }
    let Value::Object(map) = value else {
        return Err(ApiError::input(format!(
            "The request body must be a JSON object, found {}",
            kind_of(&value)
        )));
    };
    from_object(map).map_err(|message| ApiError::input(format!("Invalid request body: {message}")))
}

/// Why a NUL character is refused wherever it appears.
const NUL: &str = "contains a NUL character (\\u0000, %00), which no catalog value can hold \
                   (PostgreSQL text cannot store it); remove it";

/// Where in `value` a string (or key) holds a NUL character, as a dotted path.
fn nul_at(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::String(text) => text.contains('\0').then(|| path.to_string()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            if key.contains('\0') {
                Some(here)
            } else {
                nul_at(item, &here)
            }
        }),
        _ => None,
    }
}

/// Refuses a request whose path or query holds an encoded NUL character (`%00`), before
/// it reaches a handler: no catalog value can hold one, and PostgreSQL refuses it.
pub async fn refuse_nul_in_url(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let uri = request.uri();
    let raw = format!("{}?{}", uri.path(), uri.query().unwrap_or_default());
    if raw.to_ascii_lowercase().contains("%00") {
        return ApiError::input(format!("Invalid request address: it {NUL}")).into_response();
    }
    next.run(request).await
}

/// `T` from a JSON object, or why not (`field: problem`). Only from an object: serde's
/// derived structs would also take an array of their fields in order.
pub fn from_object<T: DeserializeOwned>(map: Map<String, Value>) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(map))
        .map_err(|error| at(&error.path().to_string(), error.inner()))
}

/// A nested JSON object deserialised into `T` (see [`from_object`]).
#[derive(Clone, Debug)]
pub struct Object<T>(pub T);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(deserializer)?;
        from_object(map).map(Object).map_err(D::Error::custom)
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `field: message`, or the message alone for the whole value.
fn at(path: &str, message: &impl Display) -> String {
    if path.is_empty() || path == "." {
        message.to_string()
    } else {
        format!("{path}: {message}")
    }
}

/// A query string deserialised into `T`. Every parameter reaches `T` as the list of its
/// values in order, so a repeatable parameter is a `Vec<String>` (or a type made from
/// one, `#[serde(try_from = "Vec<String>")]`) and a single one reads the first value
/// (`#[serde(default, deserialize_with = "first")]`). Unknown parameters are ignored.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map_err(|rejection| ApiError::input(rejection.body_text()))?;
        let mut params = Map::new();
        for (key, value) in pairs {
            if let Value::Array(values) = params
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                values.push(Value::String(value));
            }
        }
        serde_path_to_error::deserialize(Value::Object(params))
            .map(QueryParams)
            .map_err(|error| {
                ApiError::input(format!(
                    "Invalid query parameter {}",
                    at(&error.path().to_string(), error.inner())
                ))
            })
    }
}

/// The first value of a single query parameter, parsed.
pub fn first<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let values = Vec::<String>::deserialize(deserializer)?;
    values
        .first()
        .map(|value| value.parse().map_err(D::Error::custom))
        .transpose()
}

/// An entity reference (`[kind:][namespace/]name`, the kind required), as its lowercased
/// key `kind:namespace/name`.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct EntityRefKey(pub String);

impl TryFrom<String> for EntityRefKey {
    type Error = String;
    fn try_from(text: String) -> Result<EntityRefKey, String> {
        catalog::EntityRef::parse(&text, None, catalog::DEFAULT_NAMESPACE)
            .map(|parsed| EntityRefKey(parsed.key()))
            .map_err(|e| format!("Invalid entity ref: {e}"))
    }
}
