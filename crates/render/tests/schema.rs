//! The committed JSON Schema stays true: it accepts every example spec and
//! every normalised spec (the full field set), rejects unknown fields, and
//! refuses the same free-text values as the parser.
//! A small validator covers the keywords the schema uses; the lint script
//! also checks it with Python's `jsonschema` (draft 2020-12).

mod common;

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
    if let (Some(pattern), Some(text)) = (
        schema.get("pattern").and_then(Value::as_str),
        value.as_str(),
    ) && !regex::Regex::new(pattern).unwrap().is_match(text)
    {
        problems.push(format!("{path}: {value} does not match {pattern}"));
    }
    if let Some(not) = schema.get("not") {
        let mut inner = vec![];
        validate(value, not, path, &mut inner);
        if inner.is_empty() {
            problems.push(format!("{path}: {value} matches a schema it must not"));
        }
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
fn the_schema_and_the_parser_agree_on_free_text() {
    let base = include_str!("specs/gin-istio.yaml");
    let module = &["spec", "infrastructure", "terraform", "module"][..];
    let cases: &[(&[&str], &str, bool)] = &[
        (&["spec", "owner"], "team-a", true),
        (&["spec", "owner"], "group:default/team-a", true),
        (&["spec", "owner"], "user:jane.doe", true),
        (&["spec", "owner"], "team a", false),
        (&["spec", "owner"], "team\"", false),
        (&["spec", "owner"], "team\nevil: 1", false),
        (&["spec", "owner"], "a/b/c", false),
        (&["spec", "system"], "supply-chain", true),
        (&["spec", "system"], "system:default/x", false),
        (&["spec", "system"], "x\n", false),
        (&["metadata", "description"], "two\nlines\tand a tab", true),
        (&["metadata", "description"], "bell\u{7}", false),
        (&["metadata", "description"], "next line\u{85}", false),
        (&["spec", "build", "build_command"], "make \\\n  all", true),
        (&["spec", "build", "build_command"], "make\r", false),
        (
            &["spec", "build", "test_command"],
            "echo ${HOME} $(date)",
            true,
        ),
        (
            &["spec", "build", "test_command"],
            "echo ${{ secrets.X }}",
            false,
        ),
        (
            &["spec", "build", "liveness_path"],
            "/actuator/health",
            true,
        ),
        (&["spec", "build", "liveness_path"], "/a'b", false),
        (&["spec", "build", "readiness_path"], "/ready z", false),
        (&["spec", "env", "GREETING"], "multi\nline", true),
        (&["spec", "env", "GREETING"], "\u{1b}[2J", false),
        (module, "./modules/app", true),
        (
            module,
            "git::https://github.com/org/m.git//app?ref=v1.2.0",
            true,
        ),
        (module, "./m\" x = \"y", false),
        (module, "registry/x", false),
    ];
    for (path, value, valid) in cases {
        let yaml = common::with(base, path, value);
        let parsed = render::parse_spec(&yaml).is_ok();
        let schema_ok = problems(&yaml).is_empty();
        assert_eq!(
            (parsed, schema_ok),
            (*valid, *valid),
            "{path:?} = {value:?}: parser accepts: {parsed}, schema accepts: {schema_ok}"
        );
    }
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
