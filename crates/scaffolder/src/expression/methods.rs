//! Methods templates call on values: the JavaScript string and array methods Backstage's
//! engine allows (`parameters.name.toUpperCase()`, `repoUrl.split('?')`), and in
//! cookiecutter mode Python's dict methods (`cookiecutter.items()`). Anything else is an
//! unknown-method error, as it is in Backstage.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, State};

use super::js::{self, array};

/// The environment's fallback for methods the value itself does not have.
pub(super) fn call(
    _state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => string_method(value.as_str().unwrap_or_default(), method, args),
        ValueKind::Seq => array_method(&js::iterate(value).collect::<Vec<_>>(), method, args),
        ValueKind::Number if method == "toString" => Ok(Value::from(js::js_number(value))),
        _ => Err(unknown(method)),
    }
}

/// Cookiecutter templates also get Python's dict methods.
pub(super) fn call_cookiecutter(
    state: &mut State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::Map => map_method(value, method, args),
        _ => call(state, value, method, args),
    }
}

fn unknown(method: &str) -> Error {
    Error::new(ErrorKind::UnknownMethod, format!("no method {method}"))
}

fn arg_str(args: &[Value], i: usize) -> String {
    args.get(i).map(js::js_string).unwrap_or_default()
}

fn arg_index(args: &[Value], i: usize) -> Option<i64> {
    args.get(i)
        .filter(|v| !v.is_undefined())
        .map(|v| f64::try_from(v.clone()).map_or(0, |f| f.trunc() as i64))
}

fn string_method(s: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    let text = |t: String| Ok(Value::from(t));
    match method {
        "toUpperCase" => text(s.to_uppercase()),
        "toLowerCase" => text(s.to_lowercase()),
        "trim" => text(s.trim().to_owned()),
        "trimStart" => text(s.trim_start().to_owned()),
        "trimEnd" => text(s.trim_end().to_owned()),
        "startsWith" => Ok(Value::from(s.starts_with(&arg_str(args, 0)))),
        "endsWith" => Ok(Value::from(s.ends_with(&arg_str(args, 0)))),
        "includes" => Ok(Value::from(s.contains(&arg_str(args, 0)))),
        "indexOf" => Ok(Value::from(index_of(s, s.find(&arg_str(args, 0))))),
        "lastIndexOf" => Ok(Value::from(index_of(s, s.rfind(&arg_str(args, 0))))),
        "replace" => text(s.replacen(&arg_str(args, 0), &arg_str(args, 1), 1)),
        "split" => Ok(split(s, args)),
        "slice" => text(utf16_slice(
            s,
            arg_index(args, 0),
            arg_index(args, 1),
            false,
        )),
        "substring" => text(utf16_slice(s, arg_index(args, 0), arg_index(args, 1), true)),
        "charAt" => text(utf16_slice(
            s,
            arg_index(args, 0),
            arg_index(args, 0).map(|i| i + 1),
            true,
        )),
        "concat" => text(
            args.iter()
                .fold(s.to_owned(), |acc, a| acc + &js::js_string(a)),
        ),
        "toString" => text(s.to_owned()),
        _ => Err(unknown(method)),
    }
}

/// `indexOf` counts UTF-16 code units, like everything else on JavaScript strings.
fn index_of(s: &str, found: Option<usize>) -> i64 {
    found.map_or(-1, |at| js::utf16_len(&s[..at]) as i64)
}

fn split(s: &str, args: &[Value]) -> Value {
    let parts: Vec<Value> = match args.first() {
        None => vec![Value::from(s)],
        Some(sep) if sep.is_undefined() => vec![Value::from(s)],
        Some(sep) => {
            let sep = js::js_string(sep);
            if sep.is_empty() {
                s.chars().map(|c| Value::from(c.to_string())).collect()
            } else {
                s.split(sep.as_str()).map(Value::from).collect()
            }
        }
    };
    let limit = arg_index(args, 1).map_or(usize::MAX, |n| n.max(0) as usize);
    array(parts.into_iter().take(limit).collect())
}

/// `slice` (negative indexes count from the end) and `substring` (negative is 0, and the
/// bounds swap when reversed), both in UTF-16 code units.
fn utf16_slice(s: &str, start: Option<i64>, end: Option<i64>, substring: bool) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let len = units.len() as i64;
    let clamp = |i: i64| {
        if substring || i >= 0 {
            i.clamp(0, len)
        } else {
            (len + i).max(0)
        }
    };
    let mut from = clamp(start.unwrap_or(0));
    let mut to = clamp(end.unwrap_or(len));
    if substring && from > to {
        std::mem::swap(&mut from, &mut to);
    }
    if from >= to {
        return String::new();
    }
    String::from_utf16_lossy(&units[from as usize..to as usize])
}

/// JavaScript array methods, on JSON arrays and template lists alike.
pub(super) fn array_method(items: &[Value], method: &str, args: &[Value]) -> Result<Value, Error> {
    match method {
        "join" => {
            let sep = args
                .first()
                .filter(|a| !a.is_undefined())
                .map_or(",".into(), js::js_string);
            Ok(Value::from(join(items, &sep)))
        }
        "includes" => Ok(Value::from(items.iter().any(|i| Some(i) == args.first()))),
        "indexOf" => Ok(position(items.iter().position(|i| Some(i) == args.first()))),
        "lastIndexOf" => Ok(position(
            items.iter().rposition(|i| Some(i) == args.first()),
        )),
        "slice" => Ok(array(slice_items(
            items,
            arg_index(args, 0),
            arg_index(args, 1),
        ))),
        "concat" => Ok(array(
            items
                .iter()
                .cloned()
                .chain(args.iter().flat_map(spread))
                .collect(),
        )),
        _ => Err(unknown(method)),
    }
}

fn position(found: Option<usize>) -> Value {
    Value::from(found.map_or(-1, |p| p as i64))
}

fn spread(arg: &Value) -> Vec<Value> {
    match arg.kind() {
        ValueKind::Seq => js::iterate(arg).collect(),
        _ => vec![arg.clone()],
    }
}

fn slice_items(items: &[Value], start: Option<i64>, end: Option<i64>) -> Vec<Value> {
    let len = items.len() as i64;
    let clamp = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) };
    let from = clamp(start.unwrap_or(0)) as usize;
    let to = clamp(end.unwrap_or(len)) as usize;
    items.get(from..to.max(from)).unwrap_or_default().to_vec()
}

/// `Array.prototype.join`: null and undefined items print as nothing.
pub(super) fn join(items: &[Value], separator: &str) -> String {
    items
        .iter()
        .map(js::js_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Python's dict methods, for cookiecutter templates (`cookiecutter.items()`).
fn map_method(value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let pairs = || js::entries(value);
    match method {
        "items" => Ok(array(pairs().map(|(k, v)| array(vec![k, v])).collect())),
        "keys" => Ok(array(pairs().map(|(k, _)| k).collect())),
        "values" => Ok(array(pairs().map(|(_, v)| v).collect())),
        "get" => {
            let found = args.first().and_then(|k| value.get_item(k).ok());
            Ok(found
                .filter(|v| !v.is_undefined())
                .or_else(|| args.get(1).cloned())
                .unwrap_or(Value::from(())))
        }
        _ => Err(unknown(method)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_str(s: &str, method: &str, args: &[Value]) -> String {
        js::js_string(&string_method(s, method, args).unwrap())
    }

    #[test]
    fn string_methods_follow_javascript() {
        assert_eq!(
            call_str("a-b-c", "replace", &["-".into(), "+".into()]),
            "a+b-c"
        );
        assert_eq!(call_str("a-b-c", "split", &["-".into()]), "a,b,c");
        assert_eq!(call_str("abcdef", "slice", &[Value::from(-2)]), "ef");
        assert_eq!(
            call_str("abcdef", "substring", &[Value::from(4), Value::from(1)]),
            "bcd"
        );
        assert_eq!(call_str("héllo", "indexOf", &["l".into()]), "2");
    }
}
