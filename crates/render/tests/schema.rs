//! The committed JSON Schema stays true: it accepts every example spec and
//! every normalised spec (the full field set), and rejects unknown fields.
//! A small validator covers the keywords the schema uses; the lint script
//! also checks it with Python's `jsonschema` (draft 2020-12).

use serde_json::Value;

fn validate(value: &Value, schema: &Value, path: &str, problems: &mut Vec<String>) {
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{path}: {value} not in enum"));
    }
    if let Some(constant) = schema.get("const")
        && constant != value
    {
        problems.push(format!("{path}: {value} is not {constant}"));
    }
    if let Some(n) = value.as_f64() {
        let bound = |k: &str| schema.get(k).and_then(Value::as_f64);
        if bound("minimum").is_some_and(|m| n < m) || bound("maximum").is_some_and(|m| n > m) {
            problems.push(format!("{path}: {n} out of range"));
        }
    }
    match value {
        Value::Object(map) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            for required in schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if !map.contains_key(required.as_str().unwrap()) {
                    problems.push(format!("{path}: missing {required}"));
                }
            }
            for (key, child) in map {
                let child_path = format!("{path}.{key}");
                match (
                    properties.and_then(|p| p.get(key)),
                    schema.get("additionalProperties"),
                ) {
                    (Some(s), _) => validate(child, s, &child_path, problems),
                    (None, Some(Value::Bool(false))) => {
                        problems.push(format!("{child_path}: not allowed"))
                    }
                    (None, Some(s @ Value::Object(_))) => validate(child, s, &child_path, problems),
                    _ => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    validate(item, item_schema, &format!("{path}[{i}]"), problems);
                }
            }
        }
        _ => {}
    }
}

fn problems(yaml: &str) -> Vec<String> {
    let schema: Value = serde_json::from_str(render::json_schema()).unwrap();
    let value: Value = yaml_serde::from_str(yaml).unwrap();
    let mut found = vec![];
    validate(&value, &schema, "", &mut found);
    found
}

#[test]
fn the_schema_accepts_the_examples_and_their_normalised_form() {
    for yaml in [
        include_str!("specs/nextjs.yaml"),
        include_str!("specs/fastapi.yaml"),
        include_str!("specs/axum.yaml"),
        include_str!("specs/gin-istio.yaml"),
    ] {
        assert_eq!(problems(yaml), Vec::<String>::new());
        let normalised = render::parse_spec(yaml).unwrap().to_yaml();
        assert_eq!(problems(&normalised), Vec::<String>::new(), "{normalised}");
    }
}

#[test]
fn the_schema_rejects_what_the_parser_rejects() {
    let yaml = "apiVersion: platform.company.com/v1\nkind: Application\nmetadata:\n  name: a\nspec:\n  language: cobol\n  colour: red\n";
    let found = problems(yaml);
    assert!(
        found.iter().any(|p| p.starts_with(".spec.language")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p == ".spec.colour: not allowed"),
        "{found:?}"
    );
}

#[test]
fn the_committed_file_is_the_published_schema() {
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schema/application.schema.json"
    ))
    .unwrap();
    assert_eq!(on_disk, render::json_schema());
}
