//! Values as JavaScript sees them. Backstage templates run in a JavaScript engine, so an
//! empty list is truthy, `1.0` prints as `1`, a list prints as `a,b` and `dump` is
//! `JSON.stringify`. The context is handed to minijinja as these objects, and every value
//! that leaves it is printed or serialised by these rules.

use std::fmt::Write as _;
use std::sync::Arc;

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::methods;

/// A JSON array: truthy even when empty, like every JavaScript array.
#[derive(Debug)]
pub(super) struct JsArray(pub Vec<Value>);

impl Object for JsArray {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &mut State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        methods::array_method(&self.0, method, args)
    }
}

/// A JSON object: truthy even when empty; keys keep the order they were given in.
#[derive(Debug)]
pub(super) struct JsObject(pub IndexMap<String, Value>);

impl Object for JsObject {
    /// JavaScript turns every key into a string: `labels[1]` reads the key `"1"`.
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match key.as_str() {
            Some(name) => self.0.get(name).cloned(),
            None => self.0.get(&js_string(key)).cloned(),
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.0.keys().map(|k| Value::from(k.as_str())).collect())
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }
}

pub(super) fn array(items: Vec<Value>) -> Value {
    Value::from_object(JsArray(items))
}

pub(super) fn object(entries: IndexMap<String, Value>) -> Value {
    Value::from_object(JsObject(entries))
}

/// Brings JSON data into a template.
pub(super) fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::from(()),
        serde_json::Value::Bool(b) => Value::from(*b),
        serde_json::Value::Number(n) => number_from_json(n),
        serde_json::Value::String(s) => Value::from(s.as_str()),
        serde_json::Value::Array(items) => array(items.iter().map(from_json).collect()),
        serde_json::Value::Object(map) => {
            object(map.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

fn number_from_json(n: &serde_json::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        Value::from(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// Takes a template value out as JSON, as `JSON.parse(JSON.stringify(value))` would;
/// `None` is JavaScript's `undefined` (also what functions become).
pub(super) fn to_json(value: &Value) -> Option<serde_json::Value> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::Invalid => None,
        ValueKind::None => Some(serde_json::Value::Null),
        ValueKind::Bool => Some(serde_json::Value::Bool(value.is_true())),
        ValueKind::Number => Some(number_to_json(value)),
        ValueKind::String | ValueKind::Bytes => Some(serde_json::Value::String(
            value.as_str().unwrap_or_default().to_owned(),
        )),
        ValueKind::Seq | ValueKind::Iterable => Some(serde_json::Value::Array(
            iterate(value)
                .map(|item| to_json(&item).unwrap_or(serde_json::Value::Null))
                .collect(),
        )),
        ValueKind::Map => Some(serde_json::Value::Object(
            entries(value)
                .filter_map(|(k, v)| Some((js_string(&k), to_json(&v)?)))
                .collect(),
        )),
        _ => None,
    }
}

fn number_to_json(value: &Value) -> serde_json::Value {
    if let Ok(i) = i64::try_from(value.clone()) {
        return i.into();
    }
    if let Ok(u) = u64::try_from(value.clone()) {
        return u.into();
    }
    let float = f64::try_from(value.clone()).unwrap_or(f64::NAN);
    serde_json::Number::from_f64(float).map_or(serde_json::Value::Null, Into::into)
}

pub(super) fn iterate(value: &Value) -> impl Iterator<Item = Value> {
    value.try_iter().into_iter().flatten()
}

pub(super) fn entries(value: &Value) -> impl Iterator<Item = (Value, Value)> + '_ {
    iterate(value).map(move |key| {
        let item = value.get_item(&key).unwrap_or_default();
        (key, item)
    })
}

/// `String(value)` in JavaScript: what `${{ value }}` prints.
pub(super) fn js_string(value: &Value) -> String {
    let mut out = String::new();
    write_js_string(&mut out, value, 0);
    out
}

fn write_js_string(out: &mut String, value: &Value, depth: usize) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None | ValueKind::Invalid => {}
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => out.push_str(&js_number(value)),
        ValueKind::String => out.push_str(value.as_str().unwrap_or_default()),
        // Array.prototype.join prints nested arrays flat and null items as nothing;
        // a cyclic structure cannot come from JSON, the depth cap only keeps this bounded.
        ValueKind::Seq | ValueKind::Iterable if depth < 64 => {
            for (i, item) in iterate(value).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_js_string(out, &item, depth + 1);
            }
        }
        ValueKind::Map => out.push_str("[object Object]"),
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

/// `Number.prototype.toString()`: integers without `.0`, exponents past 1e21.
pub(super) fn js_number(value: &Value) -> String {
    if let Ok(i) = i64::try_from(value.clone()) {
        return i.to_string();
    }
    if let Ok(u) = u64::try_from(value.clone()) {
        return u.to_string();
    }
    format_float(f64::try_from(value.clone()).unwrap_or(f64::NAN))
}

fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // `{:e}` gives the shortest digits that round-trip, as JavaScript does.
    let scientific = format!("{:e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let point = exponent.parse::<i32>().unwrap_or(0) + 1;
    format!("{sign}{}", place_point(&digits, point))
}

/// ECMA-262 Number::toString for `digits` × 10^(point − len).
fn place_point(digits: &str, point: i32) -> String {
    let len = digits.len() as i32;
    if len <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - len) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exponent = point - 1;
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{first}{fraction}e{sign}{}", exponent.abs())
    }
}

/// `JSON.stringify(value, null, indent)`; `None` where JavaScript returns `undefined`.
pub(super) fn stringify(value: &Value, indent: &str) -> Option<String> {
    let json = to_json(value)?;
    let mut out = String::new();
    write_json(&mut out, &json, indent, 0);
    Some(out)
}

fn write_json(out: &mut String, json: &serde_json::Value, indent: &str, level: usize) {
    match json {
        serde_json::Value::Number(n) => out.push_str(&json_number(n)),
        serde_json::Value::Array(items) if !items.is_empty() => {
            write_container(
                out,
                ('[', ']'),
                items.iter().map(|v| (None, v)),
                indent,
                level,
            );
        }
        serde_json::Value::Object(map) if !map.is_empty() => {
            let entries = map.iter().map(|(k, v)| (Some(k.as_str()), v));
            write_container(out, ('{', '}'), entries, indent, level);
        }
        other => out.push_str(&other.to_string()),
    }
}

fn write_container<'a>(
    out: &mut String,
    (open, close): (char, char),
    items: impl Iterator<Item = (Option<&'a str>, &'a serde_json::Value)>,
    indent: &str,
    level: usize,
) {
    out.push(open);
    for (i, (key, value)) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        new_line(out, indent, level + 1);
        if let Some(key) = key {
            out.push_str(&serde_json::Value::from(key).to_string());
            out.push(':');
            if !indent.is_empty() {
                out.push(' ');
            }
        }
        write_json(out, value, indent, level + 1);
    }
    new_line(out, indent, level);
    out.push(close);
}

fn new_line(out: &mut String, indent: &str, level: usize) {
    if !indent.is_empty() {
        out.push('\n');
        out.push_str(&indent.repeat(level));
    }
}

fn json_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if !n.is_i64() && !n.is_u64() => format_float(f),
        _ => n.to_string(),
    }
}

/// The `indent` argument of `JSON.stringify`: a count of spaces (at most 10) or a string
/// (its first 10 characters).
pub(super) fn indent_of(arg: Option<&Value>) -> String {
    match arg {
        Some(v) if v.kind() == ValueKind::Number => {
            let count = f64::try_from(v.clone()).unwrap_or(0.0).clamp(0.0, 10.0);
            " ".repeat(count as usize)
        }
        Some(v) if v.kind() == ValueKind::String => {
            v.as_str().unwrap_or_default().chars().take(10).collect()
        }
        _ => String::new(),
    }
}

/// JavaScript's `!!value`, except that an empty array is false: Backstage's `isTruthy`
/// for a rendered step `if`.
pub fn is_truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => false,
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        serde_json::Value::String(s) => !s.is_empty(),
        serde_json::Value::Array(items) => !items.is_empty(),
        serde_json::Value::Object(_) => true,
    }
}

/// Length in UTF-16 code units, as JavaScript counts a string.
pub(super) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(super) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_print_as_in_javascript() {
        let cases = [
            (1.0, "1"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e21, "1e+21"),
            (123456789012.0, "123456789012"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (x, expected) in cases {
            assert_eq!(js_number(&Value::from(x)), expected, "{x}");
        }
    }

    #[test]
    fn values_print_as_string_does() {
        let value = from_json(&json!([1, null, [2, "a"], {"k": 1}]));
        assert_eq!(js_string(&value), "1,,2,a,[object Object]");
        assert_eq!(js_string(&Value::from(())), "");
    }

    #[test]
    fn stringify_matches_json_stringify() {
        let value = from_json(&json!({"a": [1, 2.5, null], "b": {}, "c": "x\"<"}));
        assert_eq!(
            stringify(&value, "").unwrap(),
            r#"{"a":[1,2.5,null],"b":{},"c":"x\"<"}"#
        );
        assert_eq!(
            stringify(&value, "  ").unwrap(),
            "{\n  \"a\": [\n    1,\n    2.5,\n    null\n  ],\n  \"b\": {},\n  \"c\": \"x\\\"<\"\n}"
        );
        assert_eq!(stringify(&Value::UNDEFINED, ""), None);
    }

    #[test]
    fn truthiness_follows_backstage() {
        for falsy in [json!(false), json!(0), json!(""), json!(null), json!([])] {
            assert!(!is_truthy(&falsy), "{falsy}");
        }
        for truthy in [json!("false"), json!({}), json!([0]), json!(-1)] {
            assert!(is_truthy(&truthy), "{truthy}");
        }
    }
}
