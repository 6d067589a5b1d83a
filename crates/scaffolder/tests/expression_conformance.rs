//! Every case of tests/conformance/expressions.json, whose expected values Backstage's own
//! code produced (tests/conformance/generate.js), rendered by Portico's engine.
//!
//! Where Backstage failed to render a string (`error`), its runner kept the raw text;
//! Portico must report an error instead. Cases with a `known_difference` are skipped.

use scaffolder::expression::Templater;
use serde_json::Value;

const TABLE: &str = include_str!("conformance/expressions.json");

struct Engines {
    backstage: Templater,
    cookiecutter: Templater,
}

#[test]
fn portico_renders_like_backstage() {
    let table: Value = serde_json::from_str(TABLE).expect("the table is JSON");
    let engines = Engines {
        backstage: Templater::new(),
        cookiecutter: Templater::cookiecutter(),
    };
    let cases = table["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60, "the table has {} cases", cases.len());
    let failures: Vec<String> = cases
        .iter()
        .filter(|case| case.get("known_difference").is_none())
        .filter_map(|case| check(&engines, &table["contexts"], case).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn known_differences_still_differ() {
    let table: Value = serde_json::from_str(TABLE).expect("the table is JSON");
    let engines = Engines {
        backstage: Templater::new(),
        cookiecutter: Templater::cookiecutter(),
    };
    let now_passing: Vec<&str> = table["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|case| case.get("known_difference").is_some())
        .filter(|case| check(&engines, &table["contexts"], case).is_ok())
        .map(|case| case["name"].as_str().unwrap_or_default())
        .collect();
    assert!(
        now_passing.is_empty(),
        "no longer different, drop the note: {now_passing:?}"
    );
}

fn check(engines: &Engines, contexts: &Value, case: &Value) -> Result<(), String> {
    let name = case["name"].as_str().unwrap_or_default();
    let context = &contexts[case["context"].as_str().unwrap_or("standard")];
    let template = &case["template"];
    let actual = render(engines, case, template, context);
    let expects_error = case.get("error").is_some();
    match actual {
        Err(e) if expects_error => Ok(()).map(|()| drop(e)),
        Ok(value) if expects_error => Err(format!(
            "{name}: Backstage failed ({}), Portico rendered {value}",
            case["error"]
        )),
        Err(e) => Err(format!("{name}: {e}")),
        Ok(value) if value == case["expected"] => Ok(()),
        Ok(value) => Err(format!(
            "{name}: expected {}, got {value}",
            case["expected"]
        )),
    }
}

fn render(
    engines: &Engines,
    case: &Value,
    template: &Value,
    context: &Value,
) -> Result<Value, String> {
    let text = || template.as_str().unwrap_or_default();
    let result = match case["mode"].as_str().unwrap_or_default() {
        "value" => engines.backstage.render_value(template, context, "input"),
        "text" if case.get("trim_blocks").is_some() || case.get("lstrip_blocks").is_some() => {
            let flag = |name: &str| case[name].as_bool().unwrap_or(false);
            Templater::new()
                .with_block_whitespace(flag("trim_blocks"), flag("lstrip_blocks"))
                .render_text(text(), context)
                .map(Value::from)
        }
        "text" => engines
            .backstage
            .render_text(text(), context)
            .map(Value::from),
        "cookiecutter" => engines
            .cookiecutter
            .render_text(text(), context)
            .map(Value::from),
        "condition" => {
            let failed = case["failed"].as_bool().unwrap_or(false);
            engines
                .backstage
                .condition(template, context, failed)
                .map(Value::from)
        }
        other => panic!("unknown mode {other}"),
    };
    result.map_err(|e| e.to_string())
}
