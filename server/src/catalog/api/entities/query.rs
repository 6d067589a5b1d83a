//! Backstage's entity query language, parsed once at the edge into the store's types:
//! `filter` strings, predicate objects (`$all`, `$any`, `$not`, `$in`, `$exists`),
//! `fields` projections, `order`/`orderField` directives, counts and opaque cursors. Each
//! has a type that deserialises from what the client sends (the query string's list of
//! values, or the JSON body's value), so a request struct made of them is parsed whole.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::str::FromStr;
use store::{EntityFilter, OrderField, TextFilter};

/// `filter` parameters (repeatable): `None` when there is no condition at all.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Filters(pub Option<EntityFilter>);

impl TryFrom<Vec<String>> for Filters {
    type Error = String;
    fn try_from(values: Vec<String>) -> Result<Filters, String> {
        parse_filter_params(values.iter().map(String::as_str)).map(Filters)
    }
}

/// `fields` (repeatable, each comma-separated; a JSON array in bodies): dotted paths.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(from = "Vec<String>")]
pub struct Fields(pub Vec<String>);

impl From<Vec<String>> for Fields {
    fn from(values: Vec<String>) -> Fields {
        Fields(parse_fields(values.iter().map(String::as_str)))
    }
}

/// `GET /entities` `order=asc:metadata.name` (repeatable).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct Order(pub Vec<OrderField>);

impl TryFrom<Vec<String>> for Order {
    type Error = String;
    fn try_from(values: Vec<String>) -> Result<Order, String> {
        parse_order(values.iter().map(String::as_str)).map(Order)
    }
}

/// `GET /entities/by-query` `orderField=metadata.name,desc` (repeatable).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct OrderFields(pub Vec<OrderField>);

impl TryFrom<Vec<String>> for OrderFields {
    type Error = String;
    fn try_from(values: Vec<String>) -> Result<OrderFields, String> {
        parse_order_fields(values.iter().map(String::as_str)).map(OrderFields)
    }
}

/// The largest `limit` and `offset` the API takes.
pub const MAX_COUNT: i64 = i32::MAX as i64;

/// A `limit` or `offset`: a whole number from 0 to [`MAX_COUNT`], in a query string
/// (`FromStr`) or a JSON body (where `5.0` is a whole number too, as JSON Schema says).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "serde_json::Number")]
pub struct Count(pub i64);

impl TryFrom<serde_json::Number> for Count {
    type Error = String;
    fn try_from(n: serde_json::Number) -> Result<Count, String> {
        whole_number(&n)
            .ok_or_else(|| format!("expected a whole number from 0 to {MAX_COUNT}, found {n}"))
            .and_then(Count::try_from)
    }
}

/// The value of a JSON number that is whole (`5` or `5.0`) and fits an `i64`.
pub fn whole_number(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
            .map(|f| f as i64)
    })
}

impl TryFrom<i64> for Count {
    type Error = String;
    fn try_from(n: i64) -> Result<Count, String> {
        if (0..=MAX_COUNT).contains(&n) {
            Ok(Count(n))
        } else {
            Err(format!(
                "expected a whole number from 0 to {MAX_COUNT}, found {n}"
            ))
        }
    }
}

impl FromStr for Count {
    type Err = String;
    fn from_str(text: &str) -> Result<Count, String> {
        text.parse::<i64>()
            .map_err(|_| format!("expected a whole number from 0 to {MAX_COUNT}, found {text:?}"))
            .and_then(Count::try_from)
    }
}

/// `totalItems`: count every match on the first page (the default) or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TotalItems {
    #[default]
    Include,
    Exclude,
}

impl FromStr for TotalItems {
    type Err = String;
    fn from_str(text: &str) -> Result<TotalItems, String> {
        match text {
            "include" => Ok(TotalItems::Include),
            "exclude" => Ok(TotalItems::Exclude),
            other => Err(format!("expected include or exclude, found {other:?}")),
        }
    }
}

/// A predicate object (`query` of the POST endpoints).
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "Value")]
pub struct Predicate(pub EntityFilter);

impl TryFrom<Value> for Predicate {
    type Error = String;
    fn try_from(value: Value) -> Result<Predicate, String> {
        parse_predicate(&value).map(Predicate)
    }
}

/// `orderBy` of `POST /entities/by-query`: one `{field, order?}` or a list of them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(try_from = "Value")]
pub struct OrderBy(pub Vec<OrderField>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderByItem {
    field: String,
    #[serde(default)]
    order: Direction,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Direction {
    #[default]
    Asc,
    Desc,
}

impl TryFrom<Value> for OrderBy {
    type Error = String;
    fn try_from(value: Value) -> Result<OrderBy, String> {
        let items = match value {
            Value::Array(items) => items,
            item => vec![item],
        };
        items
            .into_iter()
            .map(|item| {
                let Value::Object(item) = item else {
                    return Err(format!(
                        "an orderBy item is an object {{field, order}}, found {item}"
                    ));
                };
                let item: OrderByItem = crate::catalog::api::input::from_object(item)?;
                if item.field.is_empty() {
                    return Err("an orderBy item needs a field".to_string());
                }
                Ok(OrderField {
                    key: item.field,
                    descending: matches!(item.order, Direction::Desc),
                })
            })
            .collect::<Result<_, _>>()
            .map(OrderBy)
    }
}

/// `fullTextFilter` of `POST /entities/by-query`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FullTextFilter {
    pub term: Option<String>,
    pub fields: Option<Vec<String>>,
}

/// A full-text filter from its term and keys; `None` for a blank term.
pub fn text_filter(term: Option<&str>, keys: Vec<String>) -> Option<TextFilter> {
    let term = term.map(str::trim).filter(|t| !t.is_empty())?;
    Some(TextFilter {
        term: term.to_string(),
        keys,
    })
}

/// A cursor as a client sends it back (`cursor`, `after`): text a previous response gave.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "String")]
pub struct CursorText(pub Cursor);

impl TryFrom<String> for CursorText {
    type Error = String;
    fn try_from(text: String) -> Result<CursorText, String> {
        Cursor::decode(&text).map(CursorText)
    }
}

impl FromStr for CursorText {
    type Err = String;
    fn from_str(text: &str) -> Result<CursorText, String> {
        Cursor::decode(text).map(CursorText)
    }
}

/// `filter=kind=component,spec.type=service&filter=kind=api`: conditions inside one
/// parameter must all hold (several values for one key: any of them); any parameter may
/// match. A key without `=` only has to exist. `None` when there is no condition at all.
pub fn parse_filter_params<'a>(
    filters: impl Iterator<Item = &'a str>,
) -> Result<Option<EntityFilter>, String> {
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

fn parse_filter_string(filter: &str) -> Result<Option<EntityFilter>, String> {
    // Keys in order of first appearance; a key seen alone wins over values, as in Backstage.
    let mut conditions: Vec<(String, Option<Vec<String>>)> = Vec::new();
    for statement in filter.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, value) = match statement.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim().to_string())),
            None => (statement, None),
        };
        if key.is_empty() {
            return Err(format!(
                "Invalid filter, '{statement}' is not a valid statement (expected a string on the form a=b or a= or a)"
            ));
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
pub fn parse_predicate(value: &Value) -> Result<EntityFilter, String> {
    let Value::Object(map) = value else {
        return Err(format!("Invalid query: expected an object, found {value}"));
    };
    let mut all = Vec::new();
    for (key, value) in map {
        all.push(match key.as_str() {
            "$all" | "$any" => {
                let Value::Array(items) = value else {
                    return Err(format!("Invalid query: {key} takes an array of predicates"));
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
                return Err(format!("Invalid query: unknown operator {k}"));
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

fn parse_field_predicate(key: &str, value: &Value) -> Result<EntityFilter, String> {
    let key = key.to_lowercase();
    let message = format!(
        "Invalid query: the value of {key:?} must be a string, number, boolean, {{\"$in\": [...]}} or {{\"$exists\": true|false}}"
    );
    let bad = move || message.clone();
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

/// `GET /entities` ordering: `order=asc:metadata.name` (repeatable, each comma-separated;
/// empty directives are skipped). A directive is `asc:<field>`, `desc:<field>` or a field
/// without `:` (ascending).
pub fn parse_order<'a>(values: impl Iterator<Item = &'a str>) -> Result<Vec<OrderField>, String> {
    values
        .flat_map(|v| v.split(','))
        .filter(|v| !v.is_empty())
        .map(|directive| match directive.split_once(':') {
            Some((direction, field)) => order_field(field, direction, directive),
            None => order_field(directive, "asc", directive),
        })
        .collect()
}

/// `GET /entities/by-query` ordering: `orderField=metadata.name,desc` (repeatable): a
/// field, then optionally `,asc` or `,desc`, as Backstage reads it.
pub fn parse_order_fields<'a>(
    values: impl Iterator<Item = &'a str>,
) -> Result<Vec<OrderField>, String> {
    values
        .map(|directive| {
            let (field, direction) = directive.split_once(',').unwrap_or((directive, "asc"));
            order_field(field, direction, directive)
        })
        .collect()
}

fn order_field(field: &str, direction: &str, directive: &str) -> Result<OrderField, String> {
    let descending = match direction {
        "asc" => false,
        "desc" => true,
        _ => {
            return Err(format!(
                "Invalid order directive {directive:?}: the order must be asc or desc"
            ));
        }
    };
    if field.is_empty() {
        return Err(format!(
            "Invalid order directive {directive:?}: missing the field"
        ));
    }
    Ok(OrderField {
        key: field.to_string(),
        descending,
    })
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

    pub fn decode(text: &str) -> Result<Cursor, String> {
        let invalid = || {
            format!(
                "Malformed cursor {text:?}: pass a cursor exactly as a previous response returned it"
            )
        };
        let cursor: Cursor = decode_cursor(text).ok_or_else(invalid)?;
        // Bounded so that no page arithmetic on a forged cursor can overflow.
        if !(0..=i64::MAX / 4).contains(&cursor.offset) || !(0..=MAX_COUNT).contains(&cursor.limit)
        {
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
