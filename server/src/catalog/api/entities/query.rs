//! Backstage's entity query language, parsed once at the edge into the store's types:
//! `filter` strings, predicate objects (`$all`, `$any`, `$not`, `$in`, `$exists`),
//! `fields` projections, `order`/`orderField` directives and opaque cursors.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use store::{EntityFilter, OrderField, TextFilter};

/// The parameters of a query string, in order, repeated keys kept.
pub type Params = Vec<(String, String)>;

pub fn all<'a>(params: &'a Params, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    params
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub fn first<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `filter=kind=component,spec.type=service&filter=kind=api`: conditions inside one
/// parameter must all hold (several values for one key: any of them); any parameter may
/// match. A key without `=` only has to exist. `None` when there is no condition at all.
pub fn parse_filter_params<'a>(
    filters: impl Iterator<Item = &'a str>,
) -> Result<Option<EntityFilter>, ApiError> {
    let mut any = Vec::new();
    for filter in filters {
        if let Some(parsed) = parse_filter_string(filter)? {
            any.push(parsed);
        }
    }
    Ok(match any.len() {
        0 => None,
        1 => any.pop(),
        _ => Some(EntityFilter::AnyOf(any)),
    })
}

fn parse_filter_string(filter: &str) -> Result<Option<EntityFilter>, ApiError> {
    // Keys in order of first appearance; a key seen alone wins over values, as in Backstage.
    let mut conditions: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for statement in filter.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match statement.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim().to_string())),
            None => (statement, None),
        };
        if key.is_empty() {
            return Err(ApiError::input(format!(
                "Invalid filter, '{statement}' is not a valid statement (expected a string on the form a=b or a= or a)"
            )));
        }
        let key = key.to_lowercase();
        let slot = match conditions.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut conditions[i].1,
            None => {
                conditions.push((key, Some(Vec::new())));
                &mut conditions.last_mut().expect("just pushed").1
            }
        };
        match (slot.as_mut(), value) {
            (Some(values), Some(value)) => values.push(value),
            (_, None) => *slot = None,
            (None, Some(_)) => {}
        }
    }
    let mut all: Vec<EntityFilter> = conditions
        .into_iter()
        .map(|(key, values)| match values {
            Some(values) => EntityFilter::Equals { key, values },
            None => EntityFilter::Exists { key },
        })
        .collect();
    Ok(match all.len() {
        0 => None,
        1 => all.pop(),
        _ => Some(EntityFilter::AllOf(all)),
    })
}

/// A predicate of `POST /entities/by-query` and `POST /entity-facets`:
/// `{"kind": "component", "spec.type": {"$in": ["service"]}, "spec.owner": {"$exists": true},
///   "$all": […], "$any": […], "$not": {…}}`. Several keys in one object must all hold.
pub fn parse_predicate(value: &Value) -> Result<EntityFilter, ApiError> {
    let Value::Object(map) = value else {
        return Err(ApiError::input(format!(
            "Invalid query: expected an object, found {value}"
        )));
    };
    let mut all = Vec::new();
    for (key, value) in map {
        all.push(match key.as_str() {
            "$all" | "$any" => {
                let Value::Array(items) = value else {
                    return Err(ApiError::input(format!(
                        "Invalid query: {key} takes an array of predicates"
                    )));
                };
                let items = items
                    .iter()
                    .map(parse_predicate)
                    .collect::<Result<Vec<_>, _>>()?;
                if key == "$all" {
                    EntityFilter::AllOf(items)
                } else {
                    EntityFilter::AnyOf(items)
                }
            }
            "$not" => EntityFilter::Not(Box::new(parse_predicate(value)?)),
            k if k.starts_with('$') => {
                return Err(ApiError::input(format!(
                    "Invalid query: unknown operator {k}"
                )));
            }
            _ => parse_field_predicate(key, value)?,
        });
    }
    Ok(if all.len() == 1 {
        all.pop().expect("one")
    } else {
        EntityFilter::AllOf(all)
    })
}

fn parse_field_predicate(key: &str, value: &Value) -> Result<EntityFilter, ApiError> {
    let key = key.to_lowercase();
    let message = format!(
        "Invalid query: the value of {key:?} must be a string, number, boolean, {{\"$in\": [...]}} or {{\"$exists\": true|false}}"
    );
    let bad = move || ApiError::input(message.clone());
    match value {
        Value::Object(op) if op.len() == 1 => match op.iter().next().expect("one") {
            (name, Value::Array(items)) if name == "$in" => {
                let values = items.iter().map(scalar).collect::<Option<Vec<_>>>();
                Ok(EntityFilter::Equals {
                    key,
                    values: values.ok_or_else(bad)?,
                })
            }
            (name, Value::Bool(exists)) if name == "$exists" => {
                let filter = EntityFilter::Exists { key };
                Ok(if *exists {
                    filter
                } else {
                    EntityFilter::Not(Box::new(filter))
                })
            }
            _ => Err(bad()),
        },
        value => Ok(EntityFilter::Equals {
            key,
            values: vec![scalar(value).ok_or_else(bad)?],
        }),
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `fields=kind,metadata.name&fields=spec.owner`: the dotted paths to keep.
pub fn parse_fields<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

/// `GET /entities` ordering: `order=asc:metadata.name` (repeatable).
pub fn parse_order<'a>(values: impl Iterator<Item = &'a str>) -> Result<Vec<OrderField>, ApiError> {
    values
        .flat_map(|v| v.split(','))
        .filter(|v| !v.trim().is_empty())
        .map(|directive| {
            let (direction, field) = directive.split_once(':').unwrap_or(("asc", directive));
            order_field(field, direction, directive)
        })
        .collect()
}

/// `GET /entities/by-query` ordering: `orderField=metadata.name,desc` (repeatable).
pub fn parse_order_fields<'a>(
    values: impl Iterator<Item = &'a str>,
) -> Result<Vec<OrderField>, ApiError> {
    values
        .filter(|v| !v.trim().is_empty())
        .map(|directive| {
            let (field, direction) = directive.split_once(',').unwrap_or((directive, "asc"));
            order_field(field, direction, directive)
        })
        .collect()
}

fn order_field(field: &str, direction: &str, directive: &str) -> Result<OrderField, ApiError> {
    let descending = match direction.trim().to_lowercase().as_str() {
        "asc" => false,
        "desc" => true,
        _ => {
            return Err(ApiError::input(format!(
                "Invalid order directive {directive:?}: the order must be asc or desc"
            )));
        }
    };
    let field = field.trim();
    if field.is_empty() {
        return Err(ApiError::input(format!(
            "Invalid order directive {directive:?}: missing the field"
        )));
    }
    Ok(OrderField {
        key: field.to_string(),
        descending,
    })
}

/// A non-negative integer parameter.
pub fn parse_count(name: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(ApiError::input(format!(
                "Invalid {name} {text:?}: expected a non-negative integer"
            ))),
        },
    }
}

/// Keeps only `fields` of `entity` (all of it when `fields` is empty).
pub fn project(entity: Value, fields: &[String]) -> Value {
    if fields.is_empty() {
        return entity;
    }
    let mut out = Map::new();
    for field in fields {
        let path: Vec<&str> = field.split('.').collect();
        if let Some(value) = get_path(&entity, &path) {
            set_path(&mut out, &path, value.clone());
        }
    }
    Value::Object(out)
}

fn get_path<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn set_path(out: &mut Map<String, Value>, path: &[&str], value: Value) {
    match path {
        [] => {}
        [last] => {
            out.insert((*last).to_string(), value);
        }
        [head, rest @ ..] => {
            let child = out
                .entry((*head).to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(child) = child {
                set_path(child, rest, value);
            }
        }
    }
}

/// The state of a by-query listing between pages, handed to the client as an opaque
/// base64 string. A cursor of the predicate form carries `query` (the client looks for
/// that key to choose `POST`); the query-string form carries `filter`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<EntityFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<EntityFilter>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextFilter>,
    #[serde(default)]
    pub order: Vec<OrderField>,
    pub offset: i64,
    pub limit: i64,
    /// Counted on the first page and carried along, so later pages do not count again.
    pub total_items: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        encode_cursor(self)
    }

    pub fn decode(text: &str) -> Result<Cursor, ApiError> {
        let invalid = || {
            ApiError::input(format!(
                "Malformed cursor {text:?}: pass a cursor exactly as a previous response returned it"
            ))
        };
        let cursor: Cursor = decode_cursor(text).ok_or_else(invalid)?;
        if cursor.offset < 0 || cursor.limit < 0 {
            return Err(invalid());
        }
        Ok(cursor)
    }

    pub fn filter(&self) -> Option<&EntityFilter> {
        self.query.as_ref().or(self.filter.as_ref())
    }
}

/// An opaque cursor: the listing's state as base64 JSON.
pub fn encode_cursor(state: &impl Serialize) -> String {
    base64_encode(&serde_json::to_vec(state).unwrap_or_default())
}

/// The state [`encode_cursor`] encoded, or `None` for text it did not make.
pub fn decode_cursor<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_slice(&base64_decode(text)?).ok()
}

// Standard base64 with padding, as the client's `atob` reads it. Hand-written (a dozen
// lines) rather than a dependency, for two opaque strings.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|a| *a == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eq(key: &str, values: &[&str]) -> EntityFilter {
        EntityFilter::Equals {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn filter_strings_follow_backstage() {
        let parsed = parse_filter_params(
            ["Kind=Component,spec.type=service,kind=API", "spec.owner"].into_iter(),
        )
        .unwrap();
        assert_eq!(
            parsed,
            Some(EntityFilter::AnyOf(vec![
                EntityFilter::AllOf(vec![
                    eq("kind", &["Component", "API"]),
                    eq("spec.type", &["service"])
                ]),
                EntityFilter::Exists {
                    key: "spec.owner".into()
                },
            ]))
        );
        assert_eq!(parse_filter_params(["", " , "].into_iter()).unwrap(), None);
        assert!(parse_filter_params(["=x"].into_iter()).is_err());
    }

    #[test]
    fn predicates_become_filters() {
        let parsed = parse_predicate(&json!({
            "kind": "component",
            "$not": {"spec.lifecycle": {"$in": ["experimental"]}},
            "spec.owner": {"$exists": false},
        }))
        .unwrap();
        assert_eq!(
            parsed,
            EntityFilter::AllOf(vec![
                EntityFilter::Not(Box::new(eq("spec.lifecycle", &["experimental"]))),
                eq("kind", &["component"]),
                EntityFilter::Not(Box::new(EntityFilter::Exists {
                    key: "spec.owner".into()
                })),
            ])
        );
        assert!(parse_predicate(&json!({"kind": {"$like": "x"}})).is_err());
        assert!(parse_predicate(&json!({"$bogus": []})).is_err());
        assert!(parse_predicate(&json!(["kind"])).is_err());
    }

    #[test]
    fn projection_keeps_only_the_fields() {
        let entity = json!({"kind": "Component", "metadata": {"name": "a", "uid": "u"}, "spec": {"type": "x"}});
        assert_eq!(
            project(
                entity,
                &["kind".into(), "metadata.name".into(), "spec.none".into()]
            ),
            json!({"kind": "Component", "metadata": {"name": "a"}})
        );
    }

    #[test]
    fn order_directives() {
        let order = parse_order(["desc:metadata.name", "kind"].into_iter()).unwrap();
        assert_eq!(
            order[0],
            OrderField {
                key: "metadata.name".into(),
                descending: true
            }
        );
        assert!(!order[1].descending);
        assert!(parse_order(["sideways:kind"].into_iter()).is_err());
        let order = parse_order_fields(["metadata.name,desc"].into_iter()).unwrap();
        assert!(order[0].descending);
        assert!(parse_order_fields([",asc"].into_iter()).is_err());
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        for len in 0..7 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 77 + 3) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&bytes)).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"ab"), "YWI=");
        let cursor = Cursor {
            filter: Some(eq("kind", &["component"])),
            offset: 20,
            limit: 10,
            total_items: 99,
            ..Cursor::default()
        };
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(
            Cursor::decode(&base64_encode(
                b"{\"offset\":-1,\"limit\":1,\"totalItems\":0}"
            ))
            .is_err()
        );
    }
}
