//! Nunjucks' built-in filters and tests where minijinja's namesakes disagree with them,
//! plus the two filters the syntax rewrites rely on (`__length`, `__entries`).
//! minijinja's other built-ins (`first`, `last`, `trim`, `capitalize`, `sort`, …) already
//! behave the same on the values templates see.

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use indexmap::IndexMap;

use super::js::{self, array, js_string};
use super::methods;

pub(super) fn register(env: &mut Environment<'static>) {
    env.add_filter("dump", dump);
    env.add_filter("default", default);
    env.add_filter("d", default);
    env.add_filter("join", join);
    env.add_filter("length", length);
    env.add_filter("count", length);
    env.add_filter("title", title);
    env.add_filter("lower", |v: Value| text_of(&v).to_lowercase());
    env.add_filter("upper", |v: Value| text_of(&v).to_uppercase());
    env.add_filter("string", |v: Value| js_string(&v));
    env.add_filter("replace", replace);
    env.add_filter("center", center);
    env.add_filter("truncate", truncate);
    env.add_filter("wordcount", wordcount);
    env.add_filter("urlencode", urlencode);
    env.add_filter("nl2br", nl2br);
    env.add_filter("groupby", groupby);
    env.add_filter("__length", property_length);
    env.add_filter("__entries", entries);
    env.add_test("null", |v: Value| v.is_none());
    env.add_test("truthy", |v: Value| v.is_true());
    env.add_test("falsy", |v: Value| !v.is_true());
}

/// `dump(indent)`: `JSON.stringify`; `undefined` prints nothing.
pub(super) fn dump(value: Value, indent: Option<Value>) -> Value {
    js::stringify(&value, &js::indent_of(indent.as_ref())).map_or(Value::UNDEFINED, Value::from)
}

/// Nunjucks' `default`: only `undefined` is replaced (`null` stays), unless the third
/// argument asks for any falsy value to be.
fn default(value: Value, fallback: Option<Value>, falsy: Option<bool>) -> Value {
    let replace = if falsy.unwrap_or(false) {
        !value.is_true()
    } else {
        value.is_undefined()
    };
    if replace {
        fallback.unwrap_or(Value::UNDEFINED)
    } else {
        value
    }
}

/// `join(separator, attribute)`, printing items as JavaScript does.
fn join(value: Value, separator: Option<Value>, attribute: Option<String>) -> String {
    let separator = separator
        .filter(|s| s.is_true())
        .map(|s| js_string(&s))
        .unwrap_or_default();
    let items: Vec<Value> = js::iterate(&value)
        .map(|item| match &attribute {
            Some(attr) => item.get_attr(attr).unwrap_or_default(),
            None => item,
        })
        .collect();
    methods::join(&items, &separator)
}

/// Nunjucks' `length`: UTF-16 length of strings, key count of objects, 0 for nothing.
fn length(value: Value) -> Value {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Value::from(0),
        ValueKind::String => Value::from(js::utf16_len(value.as_str().unwrap_or_default())),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
            Value::from(js::iterate(&value).count())
        }
        _ => Value::UNDEFINED,
    }
}

/// The JavaScript property `x.length`: defined on strings and arrays only; an object
/// answers with its own `length` key, if any.
fn property_length(value: Value) -> Value {
    match value.kind() {
        ValueKind::String => Value::from(js::utf16_len(value.as_str().unwrap_or_default())),
        ValueKind::Seq => Value::from(js::iterate(&value).count()),
        _ => value.get_attr("length").unwrap_or_default(),
    }
}

/// What `{% for key, value in object %}` walks in Nunjucks: the object's entries. Lists
/// (of pairs) are walked as they are.
fn entries(value: Value) -> Value {
    match value.kind() {
        ValueKind::Map => array(
            js::entries(&value)
                .map(|(k, v)| array(vec![k, v]))
                .collect(),
        ),
        _ => value,
    }
}

/// Nunjucks' `title`: every space-separated word capitalised (`foo-bar` stays `Foo-bar`).
fn title(value: Value) -> String {
    text_of(&value)
        .split(' ')
        .map(capitalize)
        .collect::<Vec<_>>()
        .join(" ")
}

fn capitalize(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Nunjucks' `normalize(value, '')` before a string operation.
fn text_of(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::Bool if !value.is_true() => String::new(),
        _ => js_string(value),
    }
}

/// Nunjucks' `replace(old, new, maxCount)`: plain text (Python's rule for an empty
/// `old`); non-string inputs come back untouched.
fn replace(value: Value, old: Value, new: Value, max: Option<i64>) -> Result<Value, Error> {
    let old = match old.kind() {
        ValueKind::String => old.as_str().unwrap_or_default().to_owned(),
        ValueKind::Number => js::js_number(&old),
        _ => return Ok(value),
    };
    let text = match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::Number => js::js_number(&value),
        _ => return Ok(value),
    };
    let new = if new.is_undefined() {
        "undefined".into()
    } else {
        js_string(&new)
    };
    if old.is_empty() {
        let spaced: Vec<String> = text.chars().map(String::from).collect();
        return Ok(Value::from(format!("{new}{}{new}", spaced.join(&new))));
    }
    let count = max.filter(|m| *m >= 0).map_or(usize::MAX, |m| m as usize);
    Ok(Value::from(text.replacen(&old, &new, count)))
}

/// Nunjucks' `center(width = 80)`: the odd space goes after the text.
fn center(value: Value, width: Option<usize>) -> String {
    let text = text_of(&value);
    let width = width.filter(|w| *w > 0).unwrap_or(80);
    let spaces = width.saturating_sub(js::utf16_len(&text));
    if spaces == 0 {
        return text;
    }
    let (before, after) = (spaces / 2, spaces.div_ceil(2));
    format!("{}{text}{}", " ".repeat(before), " ".repeat(after))
}

/// Nunjucks' `truncate(length = 255, killwords = false, end = "...")`: cuts at the last
/// space before `length` unless told to cut words.
fn truncate(
    value: Value,
    length: Option<usize>,
    killwords: Option<bool>,
    end: Option<Value>,
) -> String {
    let units: Vec<u16> = text_of(&value).encode_utf16().collect();
    let length = length.filter(|l| *l > 0).unwrap_or(255);
    if units.len() <= length {
        return String::from_utf16_lossy(&units);
    }
    let cut = if killwords.unwrap_or(false) {
        length
    } else {
        units[..=length]
            .iter()
            .rposition(|u| *u == u16::from(b' '))
            .unwrap_or(length)
    };
    let end = end
        .filter(|e| !e.is_none() && !e.is_undefined())
        .map_or("...".into(), |e| js_string(&e));
    String::from_utf16_lossy(&units[..cut]) + &end
}

/// Nunjucks' `wordcount`: runs of `\w` characters; nothing for an empty text.
fn wordcount(value: Value) -> Value {
    let text = text_of(&value);
    let words = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .count();
    if words == 0 {
        Value::from(())
    } else {
        Value::from(words)
    }
}

/// Nunjucks' `urlencode`: `encodeURIComponent` of a string, or `k=v&…` of an object or a
/// list of pairs.
fn urlencode(value: Value) -> String {
    if let Some(text) = value.as_str() {
        return encode_uri_component(text);
    }
    let pairs: Vec<(Value, Value)> = match value.kind() {
        ValueKind::Map => js::entries(&value).collect(),
        _ => js::iterate(&value)
            .map(|pair| {
                (
                    pair.get_item_by_index(0).unwrap_or_default(),
                    pair.get_item_by_index(1).unwrap_or_default(),
                )
            })
            .collect(),
    };
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                encode_uri_component(&js_uri_text(k)),
                encode_uri_component(&js_uri_text(v))
            )
        })
        .collect();
    encoded.join("&")
}

/// `encodeURIComponent` writes `undefined` for a missing value.
fn js_uri_text(value: &Value) -> String {
    if value.is_undefined() {
        "undefined".into()
    } else {
        js_string(value)
    }
}

fn encode_uri_component(text: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
    text.bytes()
        .map(|b| {
            if keep(b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Nunjucks' `nl2br`: a `<br />` before every line break.
fn nl2br(value: Value) -> String {
    text_of(&value)
        .replace("\r\n", "\n")
        .replace('\n', "<br />\n")
}

/// Nunjucks' `groupby(attribute)`: an object from each value of the attribute (dotted
/// paths allowed) to the items that have it, in order of appearance.
fn groupby(value: Value, attribute: String) -> Value {
    let mut groups: IndexMap<String, Vec<Value>> = IndexMap::new();
    for item in js::iterate(&value) {
        let key = attribute
            .split('.')
            .try_fold(item.clone(), |v, part| v.get_attr(part).ok())
            .unwrap_or_default();
        let key = if key.is_undefined() {
            "undefined".into()
        } else {
            js_string(&key)
        };
        groups.entry(key).or_default().push(item);
    }
    js::object(
        groups
            .into_iter()
            .map(|(k, items)| (k, array(items)))
            .collect(),
    )
}
