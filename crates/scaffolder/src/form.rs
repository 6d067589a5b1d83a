//! The form a template's pages make, and the values a submitted form gives.
//!
//! Each property of a page's JSON Schema becomes one [`Field`]: what input it is
//! ([`Widget`], from `type`, `enum`, `items` and Backstage's `ui:field`/`ui:widget`), its
//! label and help, and the constraints the browser can check itself (`required`,
//! `pattern`, lengths, bounds), taken from the same schema the server validates with.
//! Properties of nested objects are fields too (`parent[child]`); those only some
//! answers ask for (`dependencies`, `oneOf`, `allOf`, `if`/`then`) come after the others,
//! marked conditional and never required by the browser.
//!
//! A submitted form is a list of `(key, text)` pairs — the key is the field's
//! [`Field::key`], a part of it for the repository picker (`repoUrl[owner]`), repeated for
//! checkboxes — and [`values_from_form`] turns it into the JSON values the template
//! expects, typed as the schema says. Empty inputs give no value, so `required` is
//! checked by the schema as Backstage's form does; text that is not what the schema wants
//! (`abc` for an integer) is kept as text, so the schema's validator names the problem.
//!
//! Property order: the catalog keeps entities as JSON objects whose keys are sorted, so
//! the order a template was written in is gone. Fields come in `ui:order` when the page
//! gives one, then in the order of its `required` list, then by name.

use crate::template::Page;
use serde_json::{Map, Number, Value};

/// What input a field is.
#[derive(Clone, Debug, PartialEq)]
pub enum Widget {
    /// One line of text; `input_type` is the HTML type (`text`, `email`, `url`, `date`).
    Text { input_type: &'static str },
    /// A secret (`ui:field: Secret`, `ui:widget: password`): never shown again.
    Password,
    /// Several lines of text (`ui:widget: textarea`).
    TextArea,
    /// Not shown; its default is sent (`ui:widget: hidden`).
    Hidden,
    /// One of the `enum` values, labelled with `enumNames`.
    Select(Vec<Choice>),
    /// A boolean.
    Checkbox,
    /// An `integer` or a `number`.
    Number { integer: bool },
    /// A list of strings, one per line; of numbers when `numbers` says whether they are
    /// integers.
    Lines { numbers: Option<bool> },
    /// A list whose items are `enum` values: one checkbox each.
    Checkboxes(Vec<Choice>),
    /// An entity ref from the catalog (`OwnerPicker`, `EntityPicker`, `MyGroupsPicker`):
    /// the kinds to offer, lowercased; empty for any kind.
    EntityRef { kinds: Vec<String> },
    /// Backstage's `RepoUrlPicker`: a host, an owner and a repository name, sent as
    /// `host?owner=…&repo=…`.
    RepoUrl {
        hosts: Vec<String>,
        owners: Vec<String>,
    },
    /// Anything else with a value (an object without properties, a list of objects):
    /// JSON text.
    Json,
    /// A property a form cannot carry, and why.
    Unsupported(String),
}

/// One value of a select or of checkboxes.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The value as JSON (an `enum` may hold numbers or booleans).
    pub value: Value,
    /// The value as the form sends it.
    pub text: String,
    /// What the person reads (`enumNames`, else the value).
    pub label: String,
}

/// The parts a [`Widget::RepoUrl`] field is sent in (`repoUrl[host]`, …).
pub const REPO_URL_PARTS: [&str; 3] = ["host", "owner", "repo"];

/// One input of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The key it is submitted under: the property name, `parent[child]` inside objects.
    pub key: String,
    /// Where its value goes, as a JSON pointer (`/parent/child`): validation errors name it.
    pub pointer: String,
    pub label: String,
    /// `ui:help`, else `description`.
    pub help: Option<String>,
    /// Listed in `required` (of its page, and of each object it is inside).
    pub required: bool,
    /// Only some answers ask for it (`dependencies`, `oneOf`, `allOf`, `if`/`then`).
    pub conditional: bool,
    pub widget: Widget,
    pub default: Option<Value>,
    pub autofocus: bool,
    pub readonly: bool,
    pub placeholder: Option<String>,
    /// The schema's `pattern`, written so a browser's `pattern` attribute checks the same
    /// (`None` when the browser could not read it the same way).
    pub html_pattern: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    /// Bounds and step of a number, as the form writes them.
    pub minimum: Option<String>,
    pub maximum: Option<String>,
    pub step: Option<String>,
    path: Vec<String>,
}

/// One page of the form.
#[derive(Clone, Debug, PartialEq)]
pub struct FormPage {
    pub title: Option<String>,
    pub description: Option<String>,
    pub fields: Vec<Field>,
}

/// The form of a template: its pages with their fields. A property already asked for on
/// an earlier page is not asked again.
pub fn form(pages: &[Page]) -> Vec<FormPage> {
    let mut seen = Vec::new();
    pages
        .iter()
        .map(|page| {
            let mut fields = Vec::new();
            object_fields(&page.schema, &[], true, false, &mut fields);
            fields.retain(|field| {
                let new = !seen.contains(&field.key);
                if new {
                    seen.push(field.key.clone());
                }
                new
            });
            FormPage {
                title: page.title.clone(),
                description: page.description.clone(),
                fields,
            }
        })
        .collect()
}

/// Every field of every page, in order.
pub fn fields(pages: &[Page]) -> Vec<Field> {
    form(pages)
        .into_iter()
        .flat_map(|page| page.fields)
        .collect()
}

/// The fields of an object schema at `path`: its properties (in form order), then those
/// of its conditional parts.
fn object_fields(
    schema: &Value,
    path: &[String],
    required_here: bool,
    conditional: bool,
    fields: &mut Vec<Field>,
) {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for name in ordered(properties, &required, schema.get("ui:order")) {
            let property = &properties[name];
            let mut child = path.to_vec();
            child.push(name.clone());
            let required = required_here && !conditional && required.contains(&name.as_str());
            property_fields(property, child, required, conditional, fields);
        }
    }
    let mut branches: Vec<&Value> = Vec::new();
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(list) = schema.get(key).and_then(Value::as_array) {
            branches.extend(list);
        }
    }
    for key in ["then", "else"] {
        branches.extend(schema.get(key));
    }
    if let Some(dependencies) = schema.get("dependencies").and_then(Value::as_object) {
        branches.extend(dependencies.values().filter(|v| v.is_object()));
    }
    for branch in branches {
        let before = fields.len();
        object_fields(branch, path, false, true, fields);
        // A branch often repeats a property of the object (to narrow its enum): the
        // first field for a key is the one shown.
        let mut added: Vec<Field> = fields.drain(before..).collect();
        added.retain(|field| !fields.iter().any(|f| f.key == field.key));
        let mut unique: Vec<Field> = Vec::new();
        for field in added {
            if !unique.iter().any(|f| f.key == field.key) {
                unique.push(field);
            }
        }
        fields.extend(unique);
    }
}

/// Property names in form order: `ui:order` (with `*` for the rest), else the `required`
/// list's order, then the others by name.
fn ordered<'a>(
    properties: &'a Map<String, Value>,
    required: &[&str],
    order: Option<&Value>,
) -> Vec<&'a String> {
    let mut rest: Vec<&String> = properties.keys().collect();
    let mut take = |name: &str, into: &mut Vec<&'a String>| {
        if let Some(index) = rest.iter().position(|k| k.as_str() == name) {
            into.push(rest.remove(index));
        }
    };
    let mut head = Vec::new();
    let mut tail = Vec::new();
    let order: Vec<&str> = order
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let star = order.iter().position(|name| *name == "*");
    for (index, name) in order.iter().enumerate() {
        if *name == "*" {
            continue;
        }
        if star.is_some_and(|star| index > star) {
            take(name, &mut tail);
        } else {
            take(name, &mut head);
        }
    }
    for name in required {
        take(name, &mut head);
    }
    let mut names = head;
    names.append(&mut rest);
    names.append(&mut tail);
    names
}

/// The field(s) of one property at `path`.
fn property_fields(
    property: &Value,
    path: Vec<String>,
    required: bool,
    conditional: bool,
    fields: &mut Vec<Field>,
) {
    let text = |key: &str| {
        property
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let options = property.get("ui:options");
    let ui_field = text("ui:field");
    let ui_widget = text("ui:widget");
    let kind = schema_type(property);
    let label = text("title").unwrap_or_else(|| path.last().cloned().unwrap_or_default());
    // A nested object with properties is asked for field by field.
    if kind.as_deref() == Some("object")
        && ui_field.is_none()
        && property.get("properties").is_some_and(Value::is_object)
    {
        let before = fields.len();
        object_fields(property, &path, required, conditional, fields);
        for field in &mut fields[before..] {
            field.label = format!("{label} › {}", field.label);
        }
        return;
    }
    let widget = if let Some(bad) = path.iter().find(|p| p.contains(['[', ']']) || p.is_empty()) {
        Widget::Unsupported(format!(
            "the property name {bad:?} cannot be a form field (it is empty or has brackets); \
             run this template through the API (POST /api/scaffolder/v2/tasks)"
        ))
    } else {
        widget(
            property,
            kind.as_deref(),
            ui_field.as_deref(),
            ui_widget.as_deref(),
            options,
        )
    };
    let number = matches!(widget, Widget::Number { .. });
    let integer = matches!(widget, Widget::Number { integer: true });
    let stringy = matches!(
        widget,
        Widget::Text { .. } | Widget::Password | Widget::TextArea | Widget::EntityRef { .. }
    );
    let bound = |key: &str, exclusive: &str| -> Option<String> {
        let plain = property.get(key).and_then(Value::as_f64);
        // An exclusive bound of an integer is the next integer; of a number, the browser
        // cannot say it (the server still checks).
        let exclusive = property
            .get(exclusive)
            .and_then(Value::as_f64)
            .filter(|_| integer)
            .map(|b| {
                if key == "minimum" {
                    b.floor() + 1.0
                } else {
                    b.ceil() - 1.0
                }
            });
        let value = match (plain, exclusive) {
            (Some(a), Some(b)) if key == "minimum" => Some(a.max(b)),
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }?;
        Some(number_text(value))
    };
    let (minimum, maximum, step) = if number {
        let step = match property.get("multipleOf").and_then(Value::as_f64) {
            Some(multiple) if multiple > 0.0 => Some(number_text(multiple)),
            _ if integer => Some("1".into()),
            _ => Some("any".into()),
        };
        (
            bound("minimum", "exclusiveMinimum"),
            bound("maximum", "exclusiveMaximum"),
            step,
        )
    } else {
        (None, None, None)
    };
    let length = |key: &str| {
        property
            .get(key)
            .and_then(Value::as_u64)
            .filter(|_| stringy)
    };
    let pointer: String = path
        .iter()
        .map(|p| format!("/{}", pointer_escape(p)))
        .collect();
    let key = match path.split_first() {
        Some((head, tail)) => {
            let mut key = head.clone();
            for part in tail {
                key.push_str(&format!("[{part}]"));
            }
            key
        }
        None => String::new(),
    };
    let flag = |key: &str| property.get(key).and_then(Value::as_bool).unwrap_or(false);
    fields.push(Field {
        key,
        pointer,
        label,
        help: text("ui:help").or_else(|| text("description")),
        // A checkbox's `required` only asks for the key, which an unticked box gives too.
        required: required && !matches!(widget, Widget::Checkbox | Widget::Hidden),
        conditional,
        default: property.get("default").cloned(),
        autofocus: flag("ui:autofocus"),
        readonly: flag("ui:readonly") || flag("ui:disabled") || flag("readOnly"),
        placeholder: text("ui:placeholder"),
        html_pattern: text("pattern")
            .filter(|_| stringy && !matches!(widget, Widget::Password))
            .and_then(|p| html_pattern(&p)),
        min_length: length("minLength"),
        max_length: length("maxLength"),
        minimum,
        maximum,
        step,
        widget,
        path,
    });
}

/// The widget for a property that is not a nested object.
fn widget(
    property: &Value,
    kind: Option<&str>,
    ui_field: Option<&str>,
    ui_widget: Option<&str>,
    options: Option<&Value>,
) -> Widget {
    match ui_field {
        Some("Secret") => return Widget::Password,
        Some("OwnerPicker") => {
            return Widget::EntityRef {
                kinds: picker_kinds(options).unwrap_or_else(|| vec!["group".into(), "user".into()]),
            };
        }
        Some("EntityPicker") => {
            return Widget::EntityRef {
                kinds: picker_kinds(options).unwrap_or_default(),
            };
        }
        Some("MyGroupsPicker") => {
            return Widget::EntityRef {
                kinds: vec!["group".into()],
            };
        }
        Some("OwnedEntityPicker") => {
            return Widget::EntityRef {
                kinds: picker_kinds(options).unwrap_or_default(),
            };
        }
        Some("RepoUrlPicker") => {
            let list = |key: &str| -> Vec<String> {
                options
                    .and_then(|o| o.get(key))
                    .and_then(Value::as_array)
                    .map(|l| {
                        l.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let mut hosts = list("allowedHosts");
            if hosts.is_empty() {
                hosts.push("github.com".into());
            }
            return Widget::RepoUrl {
                hosts,
                owners: list("allowedOwners"),
            };
        }
        Some("EntityTagsPicker") => return Widget::Lines { numbers: None },
        _ => {}
    }
    match ui_widget {
        Some("password") => return Widget::Password,
        Some("hidden") => return Widget::Hidden,
        _ => {}
    }
    if let Some(values) = property.get("enum").and_then(Value::as_array) {
        return Widget::Select(choices(values, property.get("enumNames")));
    }
    match kind {
        Some("boolean") => Widget::Checkbox,
        Some("integer") => Widget::Number { integer: true },
        Some("number") => Widget::Number { integer: false },
        Some("array") => {
            let items = property.get("items").unwrap_or(&Value::Null);
            if let Some(values) = items.get("enum").and_then(Value::as_array) {
                return Widget::Checkboxes(choices(values, items.get("enumNames")));
            }
            match schema_type(items).as_deref() {
                None | Some("string") => Widget::Lines { numbers: None },
                Some("integer") => Widget::Lines {
                    numbers: Some(true),
                },
                Some("number") => Widget::Lines {
                    numbers: Some(false),
                },
                _ => Widget::Json,
            }
        }
        Some("string") | None if ui_widget == Some("textarea") => Widget::TextArea,
        Some("string") => Widget::Text {
            input_type: match property.get("format").and_then(Value::as_str) {
                Some("email") => "email",
                Some("uri" | "url") => "url",
                Some("date") => "date",
                _ => "text",
            },
        },
        None if !["properties", "items", "oneOf", "anyOf", "allOf", "const"]
            .iter()
            .any(|key| property.get(key).is_some()) =>
        {
            Widget::Text { input_type: "text" }
        }
        _ => Widget::Json,
    }
}

/// The kinds a picker's `ui:options` offers (`catalogFilter.kind`, a string or a list,
/// in one filter or a list of them; or `allowedKinds`), lowercased.
fn picker_kinds(options: Option<&Value>) -> Option<Vec<String>> {
    let options = options?;
    let mut kinds = Vec::new();
    let mut add = |value: &Value| match value {
        Value::String(kind) => kinds.push(kind.to_lowercase()),
        Value::Array(list) => {
            kinds.extend(list.iter().filter_map(Value::as_str).map(str::to_lowercase))
        }
        _ => {}
    };
    match options.get("catalogFilter") {
        Some(Value::Array(filters)) => filters
            .iter()
            .filter_map(|f| f.get("kind"))
            .for_each(&mut add),
        Some(filter) => filter.get("kind").into_iter().for_each(&mut add),
        None => options.get("allowedKinds").into_iter().for_each(&mut add),
    }
    kinds.dedup();
    (!kinds.is_empty()).then_some(kinds)
}

fn choices(values: &[Value], names: Option<&Value>) -> Vec<Choice> {
    let names: Vec<Option<&str>> = names
        .and_then(Value::as_array)
        .map(|list| list.iter().map(Value::as_str).collect())
        .unwrap_or_default();
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let text = value_text(value);
            Choice {
                label: names
                    .get(index)
                    .copied()
                    .flatten()
                    .map(str::to_string)
                    .unwrap_or_else(|| text.clone()),
                value: value.clone(),
                text,
            }
        })
        .collect()
}

/// The `type` of a schema; for a list of types, the first that is not `null`.
fn schema_type(schema: &Value) -> Option<String> {
    match schema.get("type")? {
        Value::String(kind) => Some(kind.clone()),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .find(|k| *k != "null")
            .map(str::to_string),
        _ => None,
    }
}

/// A JSON value as a form writes it: strings as they are, others as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        value.to_string()
    }
}

fn pointer_escape(part: &str) -> String {
    part.replace('~', "~0").replace('/', "~1")
}

fn pointer_unescape(part: &str) -> String {
    part.replace("~1", "/").replace("~0", "~")
}

/// A JSON Schema `pattern` as an HTML `pattern` attribute that accepts the same values,
/// or `None` when the browser would read it differently.
///
/// The schema's pattern matches anywhere in the value; the browser's must match the whole
/// value (it wraps it in `^(?:…)$`), so an unanchored pattern is wrapped in `.*(?:…).*`.
/// Browsers compile it with the `v` flag, which wants some characters escaped inside
/// `[…]` that the schema's dialect takes literally (`[a-z-]`): those are escaped here.
pub fn html_pattern(pattern: &str) -> Option<String> {
    if pattern.is_empty() || pattern.contains(['\n', '\r']) {
        return None;
    }
    // Characters the `v` flag reserves inside a class; each may be escaped.
    const RESERVED: &[char] = &[
        '(', ')', '{', '}', '/', '|', '-', '[', '&', '!', '#', '%', ',', ':', ';', '<', '=', '>',
        '@', '`', '~', '*', '+', '.', '?', '$', '^',
    ];
    // What may follow a backslash in the `v` flag's dialect besides letters and digits;
    // `\_` or `\-` (outside a class) are literal characters the schema's dialect lets one
    // escape, and the browser refuses: the backslash is dropped.
    const SYNTAX: &[char] = &[
        '^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/',
    ];
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    // Inside a class: whether the last thing written was a single character a `-` may
    // start a range from.
    let mut atom = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        if !in_class {
            match c {
                '\\' => {
                    let escaped = chars.next()?;
                    if escaped.is_ascii_alphanumeric() || SYNTAX.contains(&escaped) {
                        out.push('\\');
                    }
                    out.push(escaped);
                }
                '[' => {
                    in_class = true;
                    class_start = true;
                    atom = false;
                    out.push(c);
                    if chars.peek() == Some(&'^') {
                        out.push(chars.next()?);
                    }
                }
                _ => out.push(c),
            }
            continue;
        }
        let first = std::mem::take(&mut class_start);
        match c {
            '\\' => {
                let escaped = chars.next()?;
                if escaped.is_ascii_alphanumeric()
                    || SYNTAX.contains(&escaped)
                    || RESERVED.contains(&escaped)
                {
                    out.push('\\');
                }
                out.push(escaped);
                // Multi-character escapes in a class are rare enough to leave to the
                // server.
                if matches!(escaped, 'x' | 'u' | 'c' | 'p' | 'P' | 'k' | 'q') {
                    return None;
                }
                // `\d`, `\w`… are sets, not characters a range can start from.
                atom = !escaped.is_ascii_alphabetic()
                    || matches!(escaped, 'n' | 't' | 'r' | 'f' | 'v');
            }
            ']' if !first => {
                in_class = false;
                out.push(c);
            }
            '-' if atom && chars.peek().is_some_and(|next| *next != ']') => {
                // A range `a-z`: the next character is its end.
                out.push('-');
                let end = chars.next()?;
                if end == '\\' {
                    out.push('\\');
                    out.push(chars.next()?);
                } else if end == '[' {
                    return None;
                } else {
                    if RESERVED.contains(&end) {
                        out.push('\\');
                    }
                    out.push(end);
                }
                atom = false;
            }
            c if RESERVED.contains(&c) => {
                out.push('\\');
                out.push(c);
                atom = true;
            }
            c => {
                out.push(c);
                atom = true;
            }
        }
    }
    if in_class {
        return None;
    }
    let anchored = out.starts_with('^') && out.ends_with('$') && !out.ends_with("\\$");
    Some(if anchored {
        out
    } else {
        format!(".*(?:{out}).*")
    })
}

/// The text of the first pair for `key`.
fn first<'a>(submitted: &'a [(String, String)], key: &str) -> Option<&'a str> {
    submitted
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn all<'a>(submitted: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    submitted
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The key a part of a field is sent under: `repoUrl[host]`.
pub fn part_key(key: &str, part: &str) -> String {
    format!("{key}[{part}]")
}

impl Field {
    /// The value the submitted pairs give this field; `None` when it was left empty.
    pub fn value(&self, submitted: &[(String, String)]) -> Option<Value> {
        let text = first(submitted, &self.key);
        let non_empty = || text.filter(|t| !t.is_empty());
        match &self.widget {
            Widget::Text { .. } | Widget::Password | Widget::Hidden => {
                non_empty().map(|t| Value::String(t.to_string()))
            }
            Widget::TextArea => non_empty().map(|t| Value::String(t.replace("\r\n", "\n"))),
            Widget::EntityRef { .. } => text
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| Value::String(t.to_string())),
            Widget::Select(choices) => non_empty().map(|t| choose(choices, t)),
            Widget::Checkbox => Some(Value::Bool(matches!(text, Some("true" | "on" | "1")))),
            Widget::Number { integer } => {
                let t = text.map(str::trim).filter(|t| !t.is_empty())?;
                Some(number(t, *integer).unwrap_or_else(|| Value::String(t.to_string())))
            }
            Widget::Lines { numbers } => {
                let t = text?.replace("\r\n", "\n");
                let items: Vec<Value> = t
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(|line| match *numbers {
                        Some(integer) => {
                            number(line, integer).unwrap_or_else(|| Value::String(line.into()))
                        }
                        None => Value::String(line.to_string()),
                    })
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Widget::Checkboxes(choices) => {
                let items: Vec<Value> = all(submitted, &self.key)
                    .filter(|t| !t.is_empty())
                    .map(|t| choose(choices, t))
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Widget::RepoUrl { hosts, .. } => {
                let part = |name: &str| {
                    first(submitted, &part_key(&self.key, name))
                        .map(str::trim)
                        .unwrap_or_default()
                        .to_string()
                };
                let (host, owner, repo) = (part("host"), part("owner"), part("repo"));
                if owner.is_empty() && repo.is_empty() {
                    return None;
                }
                let host = if host.is_empty() {
                    hosts
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "github.com".into())
                } else {
                    host
                };
                Some(Value::String(repo_url(&host, &owner, &repo)))
            }
            Widget::Json => {
                let t = text.map(str::trim).filter(|t| !t.is_empty())?;
                Some(serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())))
            }
            Widget::Unsupported(_) => None,
        }
    }

    /// The pairs a form shows for `value` (a default, or a value given before): what its
    /// inputs hold, keyed as they are submitted. Secrets are never shown again.
    pub fn pairs(&self, value: &Value) -> Vec<(String, String)> {
        let one = |text: String| vec![(self.key.clone(), text)];
        match (&self.widget, value) {
            (Widget::Password | Widget::Unsupported(_), _) | (_, Value::Null) => Vec::new(),
            (Widget::Checkbox, Value::Bool(true)) => one("true".into()),
            (Widget::Checkbox, _) => Vec::new(),
            (Widget::Lines { .. }, Value::Array(items)) => {
                one(items.iter().map(value_text).collect::<Vec<_>>().join("\n"))
            }
            (Widget::Checkboxes(_), Value::Array(items)) => items
                .iter()
                .map(|item| (self.key.clone(), value_text(item)))
                .collect(),
            (Widget::RepoUrl { .. }, Value::String(text)) => {
                let (host, owner, repo) = parse_repo_url(text);
                [("host", host), ("owner", owner), ("repo", repo)]
                    .into_iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(part, v)| (part_key(&self.key, part), v))
                    .collect()
            }
            (Widget::Json, value) => one(serde_json::to_string_pretty(value).unwrap_or_default()),
            (_, value) => one(value_text(value)),
        }
    }

    /// Whether a submitted key belongs to this field (its own or one of its parts).
    pub fn owns(&self, key: &str) -> bool {
        key == self.key
            || matches!(self.widget, Widget::RepoUrl { .. })
                && REPO_URL_PARTS
                    .iter()
                    .any(|part| key == part_key(&self.key, part))
    }
}

/// The enum value a form's text stands for (the text itself when none does).
fn choose(choices: &[Choice], text: &str) -> Value {
    choices
        .iter()
        .find(|c| c.text == text)
        .map(|c| c.value.clone())
        .unwrap_or_else(|| Value::String(text.to_string()))
}

fn number(text: &str, integer: bool) -> Option<Value> {
    if let Ok(value) = text.parse::<i64>() {
        return Some(Value::Number(value.into()));
    }
    if integer {
        return None;
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map(Value::Number)
}

/// The values a submitted form gives, typed as the template's schema says; fields left
/// empty give none.
pub fn values_from_form(pages: &[Page], submitted: &[(String, String)]) -> Map<String, Value> {
    let mut values = Map::new();
    for field in fields(pages) {
        if let Some(value) = field.value(submitted) {
            insert(&mut values, &field.path, value);
        }
    }
    values
}

/// The pairs a form starts with: each field's `default`.
pub fn default_pairs(pages: &[Page]) -> Vec<(String, String)> {
    fields(pages)
        .iter()
        .filter_map(|field| field.default.as_ref().map(|value| field.pairs(value)))
        .flatten()
        .collect()
}

fn insert(values: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = values;
    for parent in parents {
        let entry = map
            .entry(parent.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        map = entry.as_object_mut().expect("an object was just put there");
    }
    map.insert(last.clone(), value);
}

/// Backstage's RepoUrlPicker value: `host?owner=…&repo=…`, the parameters written as a
/// browser's `URLSearchParams` writes them; parts left empty are left out.
pub fn repo_url(host: &str, owner: &str, repo: &str) -> String {
    let params: Vec<String> = [("owner", owner), ("repo", repo)]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    format!("{host}?{}", params.join("&"))
}

/// The host, owner and repository of a RepoUrlPicker value (empty when missing).
pub fn parse_repo_url(value: &str) -> (String, String, String) {
    let (host, query) = value.split_once('?').unwrap_or((value, ""));
    let mut owner = String::new();
    let mut repo = String::new();
    for pair in query.split('&') {
        let (key, text) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "owner" | "organization" => owner = form_decode(text),
            "repo" => repo = form_decode(text),
            _ => {}
        }
    }
    (host.to_string(), owner, repo)
}

/// `application/x-www-form-urlencoded` as `URLSearchParams` writes it.
fn form_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push((high * 16 + low) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The field a validation problem is about: its path (a JSON pointer) names the field or
/// a place inside it (`/tags/0`); a missing required property is reported on the object
/// that lacks it (`"name" is a required property`), so the name is taken from the message.
pub fn field_for<'a>(fields: &'a [Field], path: &str, message: &str) -> Option<&'a Field> {
    let mut pointer = path.to_string();
    if let Some(name) = required_property(message) {
        pointer.push('/');
        pointer.push_str(&pointer_escape(&name));
    }
    let parts: Vec<String> = pointer.split('/').skip(1).map(pointer_unescape).collect();
    fields
        .iter()
        .filter(|field| !field.path.is_empty() && parts.starts_with(&field.path))
        .max_by_key(|field| field.path.len())
}

/// The property a `required` error names: `"name" is a required property` → `name`.
fn required_property(message: &str) -> Option<String> {
    let rest = message.strip_suffix(" is a required property")?;
    serde_json::from_str::<String>(rest).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page(schema: Value) -> Page {
        Page {
            title: schema
                .get("title")
                .and_then(Value::as_str)
                .map(str::to_string),
            description: None,
            schema,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn kitchen_sink() -> Vec<Page> {
        vec![
            page(json!({
                "title": "About",
                "required": ["name", "owner", "language"],
                "properties": {
                    "name": {"type": "string", "title": "Name", "pattern": "^[a-z][a-z0-9-]*$",
                             "minLength": 2, "maxLength": 40, "ui:autofocus": true,
                             "description": "Lowercase"},
                    "description": {"type": "string", "ui:widget": "textarea", "ui:help": "One paragraph"},
                    "owner": {"type": "string", "ui:field": "OwnerPicker",
                              "ui:options": {"catalogFilter": {"kind": "Group"}}},
                    "language": {"type": "string", "enum": ["rust", "go"], "enumNames": ["Rust", "Go"], "default": "rust"},
                    "public": {"type": "boolean", "default": true},
                    "replicas": {"type": "integer", "minimum": 1, "exclusiveMaximum": 10},
                    "ratio": {"type": "number", "maximum": 1.5},
                    "tags": {"type": "array", "items": {"type": "string"}, "default": ["a", "b"]},
                    "ports": {"type": "array", "items": {"type": "integer"}},
                    "envs": {"type": "array", "items": {"type": "string", "enum": ["dev", "prod"]}},
                    "token": {"type": "string", "ui:field": "Secret"},
                    "system": {"type": "string", "ui:field": "EntityPicker",
                               "ui:options": {"catalogFilter": [{"kind": ["System", "Domain"]}]}},
                    "extra": {"type": "object"},
                    "db": {"type": "object", "title": "Database", "required": ["engine"],
                           "properties": {"engine": {"type": "string", "title": "Engine"},
                                          "size": {"type": "integer"}}}
                }
            })),
            page(json!({
                "title": "Repository",
                "required": ["repoUrl"],
                "properties": {
                    "repoUrl": {"type": "string", "ui:field": "RepoUrlPicker",
                                "ui:options": {"allowedHosts": ["github.com", "ghe.acme.dev"]}},
                    "name": {"type": "string", "title": "asked again"}
                },
                "dependencies": {"repoUrl": {"properties": {"branch": {"type": "string"}}, "required": ["branch"]}}
            })),
        ]
    }

    fn field<'a>(fields: &'a [Field], key: &str) -> &'a Field {
        fields
            .iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("no field {key}"))
    }

    #[test]
    fn every_property_becomes_the_input_its_schema_asks_for() {
        let form = form(&kitchen_sink());
        assert_eq!(form.len(), 2);
        assert_eq!(form[0].title.as_deref(), Some("About"));
        let keys: Vec<&str> = form[0].fields.iter().map(|f| f.key.as_str()).collect();
        // Required first, in the required list's order; then by name; nested objects
        // field by field.
        assert_eq!(
            keys,
            [
                "name",
                "owner",
                "language",
                "db[engine]",
                "db[size]",
                "description",
                "envs",
                "extra",
                "ports",
                "public",
                "ratio",
                "replicas",
                "system",
                "tags",
                "token"
            ]
        );
        let fields = fields(&kitchen_sink());
        let name = field(&fields, "name");
        assert_eq!(name.widget, Widget::Text { input_type: "text" });
        assert!(name.required && name.autofocus);
        assert_eq!(name.html_pattern.as_deref(), Some("^[a-z][a-z0-9\\-]*$"));
        assert_eq!((name.min_length, name.max_length), (Some(2), Some(40)));
        assert_eq!(name.help.as_deref(), Some("Lowercase"));
        assert_eq!(name.pointer, "/name");
        assert_eq!(field(&fields, "description").widget, Widget::TextArea);
        assert_eq!(
            field(&fields, "description").help.as_deref(),
            Some("One paragraph")
        );
        assert_eq!(
            field(&fields, "owner").widget,
            Widget::EntityRef {
                kinds: vec!["group".into()]
            }
        );
        assert_eq!(
            field(&fields, "system").widget,
            Widget::EntityRef {
                kinds: vec!["system".into(), "domain".into()]
            }
        );
        let Widget::Select(choices) = &field(&fields, "language").widget else {
            panic!("language is a select")
        };
        assert_eq!(
            choices
                .iter()
                .map(|c| (c.text.as_str(), c.label.as_str()))
                .collect::<Vec<_>>(),
            [("rust", "Rust"), ("go", "Go")]
        );
        let public = field(&fields, "public");
        assert_eq!(public.widget, Widget::Checkbox);
        assert!(!public.required);
        let replicas = field(&fields, "replicas");
        assert_eq!(replicas.widget, Widget::Number { integer: true });
        assert_eq!(
            (
                replicas.minimum.as_deref(),
                replicas.maximum.as_deref(),
                replicas.step.as_deref()
            ),
            (Some("1"), Some("9"), Some("1"))
        );
        let ratio = field(&fields, "ratio");
        assert_eq!(
            (ratio.maximum.as_deref(), ratio.step.as_deref()),
            (Some("1.5"), Some("any"))
        );
        assert_eq!(
            field(&fields, "tags").widget,
            Widget::Lines { numbers: None }
        );
        assert_eq!(
            field(&fields, "ports").widget,
            Widget::Lines {
                numbers: Some(true)
            }
        );
        assert!(matches!(field(&fields, "envs").widget, Widget::Checkboxes(ref c) if c.len() == 2));
        assert_eq!(field(&fields, "token").widget, Widget::Password);
        assert_eq!(field(&fields, "extra").widget, Widget::Json);
        let engine = field(&fields, "db[engine]");
        assert_eq!(
            (
                engine.label.as_str(),
                engine.pointer.as_str(),
                engine.required
            ),
            ("Database › Engine", "/db/engine", false)
        );
        let repo = field(&fields, "repoUrl");
        assert_eq!(
            repo.widget,
            Widget::RepoUrl {
                hosts: vec!["github.com".into(), "ghe.acme.dev".into()],
                owners: vec![]
            }
        );
        assert!(repo.required);
        // Asked on the first page only; a dependency's field is conditional.
        assert_eq!(fields.iter().filter(|f| f.key == "name").count(), 1);
        let branch = field(&fields, "branch");
        assert!(branch.conditional && !branch.required);
    }

    #[test]
    fn a_submitted_form_gives_typed_values() {
        let submitted = pairs(&[
            ("name", "payments"),
            ("description", "line one\r\nline two"),
            ("owner", " group:default/team-a "),
            ("language", "go"),
            ("public", "true"),
            ("replicas", "3"),
            ("ratio", "0.5"),
            ("tags", "x\r\n\r\n y \n"),
            ("ports", "80\n443"),
            ("envs", "dev"),
            ("envs", "prod"),
            ("token", "s3cret"),
            ("system", ""),
            ("extra", "{\"a\": 1}"),
            ("db[engine]", "postgres"),
            ("db[size]", ""),
            ("repoUrl[host]", "ghe.acme.dev"),
            ("repoUrl[owner]", "acme corp"),
            ("repoUrl[repo]", "payments"),
        ]);
        let values = values_from_form(&kitchen_sink(), &submitted);
        assert_eq!(
            Value::Object(values),
            json!({
                "name": "payments",
                "description": "line one\nline two",
                "owner": "group:default/team-a",
                "language": "go",
                "public": true,
                "replicas": 3,
                "ratio": 0.5,
                "tags": ["x", "y"],
                "ports": [80, 443],
                "envs": ["dev", "prod"],
                "token": "s3cret",
                "extra": {"a": 1},
                "db": {"engine": "postgres"},
                "repoUrl": "ghe.acme.dev?owner=acme+corp&repo=payments"
            })
        );
    }

    #[test]
    fn empty_inputs_give_no_value_and_wrong_text_is_kept_for_the_validator() {
        let pages = kitchen_sink();
        let values = values_from_form(
            &pages,
            &pairs(&[("name", ""), ("replicas", "three"), ("extra", "{oops")]),
        );
        // The unticked checkbox is false; nothing else was given.
        assert_eq!(
            Value::Object(values.clone()),
            json!({"public": false, "replicas": "three", "extra": "{oops"})
        );
        let errors = crate::parameters::validate(&pages, &Value::Object(values));
        let fields = fields(&pages);
        let named: Vec<&str> = errors
            .iter()
            .filter_map(|e| field_for(&fields, &e.path, &e.message))
            .map(|f| f.key.as_str())
            .collect();
        for key in ["name", "owner", "language", "replicas", "extra", "repoUrl"] {
            assert!(
                named.contains(&key),
                "{key} not among {named:?} ({errors:?})"
            );
        }
    }

    #[test]
    fn problems_find_their_field() {
        let fields = fields(&kitchen_sink());
        let key =
            |path: &str, message: &str| field_for(&fields, path, message).map(|f| f.key.clone());
        assert_eq!(
            key("", "\"owner\" is a required property").as_deref(),
            Some("owner")
        );
        assert_eq!(
            key("/db", "\"engine\" is a required property").as_deref(),
            Some("db[engine]")
        );
        assert_eq!(
            key("/tags/1", "1 is not of type \"string\"").as_deref(),
            Some("tags")
        );
        assert_eq!(
            key("/name", "\"A\" does not match").as_deref(),
            Some("name")
        );
        assert_eq!(key("", "something else"), None);
    }

    #[test]
    fn defaults_and_earlier_values_fill_the_inputs_again() {
        let pages = kitchen_sink();
        assert_eq!(
            default_pairs(&pages),
            pairs(&[("language", "rust"), ("public", "true"), ("tags", "a\nb")])
        );
        let fields = fields(&pages);
        let repo = field(&fields, "repoUrl");
        let shown = repo.pairs(&json!("github.com?owner=acme&repo=a%20b"));
        assert_eq!(
            shown,
            pairs(&[
                ("repoUrl[host]", "github.com"),
                ("repoUrl[owner]", "acme"),
                ("repoUrl[repo]", "a b")
            ])
        );
        assert!(repo.owns("repoUrl[owner]") && repo.owns("repoUrl") && !repo.owns("repoUrl[x]"));
        assert!(!field(&fields, "name").owns("name[x]"));
        // What is shown again submits the same value.
        assert_eq!(
            repo.value(&shown),
            Some(json!("github.com?owner=acme&repo=a+b"))
        );
        assert!(field(&fields, "token").pairs(&json!("s3cret")).is_empty());
        let envs = field(&fields, "envs");
        assert_eq!(
            envs.pairs(&json!(["dev", "prod"])),
            pairs(&[("envs", "dev"), ("envs", "prod")])
        );
    }

    #[test]
    fn patterns_are_written_for_the_browser() {
        assert_eq!(
            html_pattern("^[a-z][a-z0-9-]{1,38}[a-z0-9]$").as_deref(),
            Some("^[a-z][a-z0-9\\-]{1,38}[a-z0-9]$")
        );
        assert_eq!(html_pattern("[a-z]+").as_deref(), Some(".*(?:[a-z]+).*"));
        assert_eq!(
            html_pattern("^[-_.a-z]+$").as_deref(),
            Some("^[\\-_\\.a-z]+$")
        );
        assert_eq!(
            html_pattern("^[^/(|)]*$").as_deref(),
            Some("^[^\\/\\(\\|\\)]*$")
        );
        assert_eq!(html_pattern("^\\d+-\\w+$").as_deref(), Some("^\\d+-\\w+$"));
        assert_eq!(html_pattern("^[\\w-]+$").as_deref(), Some("^[\\w\\-]+$"));
        assert_eq!(
            html_pattern("^a\\-b\\.c[\\_x]$").as_deref(),
            Some("^a-b\\.c[_x]$")
        );
        assert_eq!(html_pattern("^[a-z"), None);
        assert_eq!(html_pattern(""), None);
    }

    #[test]
    fn repo_urls_are_written_as_backstage_writes_them() {
        assert_eq!(
            repo_url("github.com", "acme", "my-repo"),
            "github.com?owner=acme&repo=my-repo"
        );
        assert_eq!(
            repo_url("github.com", "a&b", "c d"),
            "github.com?owner=a%26b&repo=c+d"
        );
        assert_eq!(repo_url("github.com", "acme", ""), "github.com?owner=acme");
        assert_eq!(
            parse_repo_url("github.com?owner=a%26b&repo=c+d"),
            ("github.com".into(), "a&b".into(), "c d".into())
        );
        assert_eq!(
            parse_repo_url("github.com"),
            ("github.com".into(), String::new(), String::new())
        );
    }

    #[test]
    fn property_names_a_form_cannot_carry_are_said_so() {
        let pages = [page(
            json!({"properties": {"a[b]": {"type": "string"}, "ok": {"type": "string"}}}),
        )];
        let fields = fields(&pages);
        assert!(
            matches!(field(&fields, "a[b]").widget, Widget::Unsupported(ref why) if why.contains("brackets"))
        );
        assert_eq!(
            Value::Object(values_from_form(
                &pages,
                &pairs(&[("a[b]", "x"), ("ok", "y")])
            )),
            json!({"ok": "y"})
        );
    }
}
