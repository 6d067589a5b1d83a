//! The public API of the expression engine: errors that say where, the step rules, and
//! the limits that keep a hostile template from taking the server down.

use scaffolder::expression::{
    ExpressionError, Position, ScmIntegration, ScmKind, Templater, is_single_expression,
    mentions_status_function,
};
use serde_json::json;

fn context() -> serde_json::Value {
    json!({ "parameters": { "name": "svc", "repoUrl": "git.acme.io?owner=o&repo=r" } })
}

#[test]
fn a_syntax_error_names_the_field_and_position() {
    let input = json!({ "repoUrl": "${{ parameters.name | }}" });
    let error = Templater::new()
        .render_value(&input, &context(), "input")
        .unwrap_err();
    assert_eq!(error.field, "input.repoUrl");
    // The `|` that has no filter after it.
    assert_eq!(
        error.position,
        Some(Position {
            line: 1,
            column: 21
        })
    );
    assert!(error.message.contains("syntax error"), "{}", error.message);
    assert!(
        error.to_string().starts_with("input.repoUrl: syntax error"),
        "{error}"
    );
    assert!(
        error.to_string().ends_with("(line 1, column 21)"),
        "{error}"
    );
}

#[test]
fn error_positions_count_lines_and_characters_of_the_original_text() {
    let input = json!({ "body": "é line one\n  ${{ {k: 1} + nope() }}" });
    let error = Templater::new()
        .render_value(&input, &context(), "input")
        .unwrap_err();
    assert_eq!(error.field, "input.body");
    assert_eq!(error.position.map(|p| p.line), Some(2), "{error}");
    let text = Templater::new()
        .render_text("a\nb ${{ x | }}", &json!({}))
        .unwrap_err();
    assert_eq!(text.field, "template");
    assert_eq!(
        text.position,
        Some(Position {
            line: 2,
            column: 11
        }),
        "{text}"
    );
}

#[test]
fn array_items_are_named_by_index() {
    let input = json!({ "list": ["ok", "${{ 'x' | parseEntityRef }}"] });
    let error = Templater::new()
        .render_value(&input, &context(), "input")
        .unwrap_err();
    assert_eq!(error.field, "input.list[1]");
    assert!(
        error.message.contains("missing or empty kind"),
        "{}",
        error.message
    );
}

#[test]
fn errors_are_comparable_values() {
    let error = ExpressionError {
        field: "if".into(),
        message: "boom".into(),
        position: None,
    };
    assert_eq!(error.to_string(), "if: boom");
    assert_eq!(error.clone(), error);
}

#[test]
fn single_expressions_are_the_whole_string() {
    assert!(is_single_expression("${{ parameters.x }}"));
    assert!(is_single_expression("${{- parameters.x -}}"));
    assert!(!is_single_expression("a-${{ parameters.x }}"));
    assert!(!is_single_expression(" ${{ x }}"));
    assert!(!is_single_expression("${{ x }}\n"));
    assert!(!is_single_expression("{{ x }}"));
}

#[test]
fn status_functions_are_found_in_conditions() {
    assert!(mentions_status_function(&json!("${{ failure() }}")));
    assert!(mentions_status_function(&json!(
        "${{ always() and parameters.x }}"
    )));
    assert!(!mentions_status_function(&json!(
        "${{ parameters.failure }}"
    )));
    assert!(!mentions_status_function(&json!(true)));
}

#[test]
fn conditions_follow_the_failure_rule() {
    let templater = Templater::new();
    let ctx = context();
    assert!(
        templater
            .condition(&json!("${{ failure() }}"), &ctx, true)
            .unwrap()
    );
    assert!(
        !templater
            .condition(&json!("${{ failure() }}"), &ctx, false)
            .unwrap()
    );
    assert!(
        templater
            .condition(&json!("${{ always() }}"), &ctx, false)
            .unwrap()
    );
    assert!(
        !templater
            .condition(&json!("${{ parameters.name }}"), &ctx, true)
            .unwrap()
    );
    assert!(templater.condition(&json!(null), &ctx, false).unwrap());
    assert!(!templater.condition(&json!(null), &ctx, true).unwrap());
    let broken = templater
        .condition(&json!("${{ ( }}"), &ctx, false)
        .unwrap_err();
    assert_eq!(broken.field, "if");
}

#[test]
fn integrations_decide_which_hosts_parse() {
    let input = json!("${{ parameters.repoUrl | projectSlug }}");
    assert!(
        Templater::new()
            .render_value(&input, &context(), "input")
            .is_err()
    );
    let templater = Templater::new()
        .with_integrations(vec![ScmIntegration::new("git.acme.io", ScmKind::Github)]);
    let slug = templater.render_value(&input, &context(), "input").unwrap();
    assert_eq!(slug, json!("o/r"));
}

#[test]
fn cookiecutter_uses_double_braces() {
    let ctx = json!({ "cookiecutter": { "name": "lib" } });
    let out = Templater::cookiecutter().render_text("{{ cookiecutter.name | jsonify }}\n", &ctx);
    assert_eq!(out.unwrap(), "\"lib\"\n");
}

#[test]
fn templater_is_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Templater>();
}

#[test]
fn huge_output_is_refused() {
    let ctx = json!({ "x": "y".repeat(1000) });
    let error = Templater::new()
        .render_text("${{ x * 20000 }}", &ctx)
        .unwrap_err();
    assert!(
        error.message.contains("larger than 10 MB"),
        "{}",
        error.message
    );
    let input = json!({ "big": "${{ [x * 20000] }}" });
    let error = Templater::new()
        .render_value(&input, &ctx, "input")
        .unwrap_err();
    assert_eq!(error.field, "input.big");
    assert!(
        error.message.contains("larger than 10 MB"),
        "{}",
        error.message
    );
}

#[test]
fn endless_work_runs_out_of_fuel() {
    let template = "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}.{% endfor %}{% endfor %}{% endfor %}";
    let error = Templater::new()
        .render_text(template, &json!({}))
        .unwrap_err();
    assert!(error.message.contains("fuel"), "{}", error.message);
}

#[test]
fn deep_recursion_is_stopped() {
    let template = "{% macro f(n) %}${{ f(n + 1) }}{% endmacro %}${{ f(0) }}";
    assert!(Templater::new().render_text(template, &json!({})).is_err());
}

#[test]
fn other_templates_cannot_be_loaded() {
    for template in [
        "{% include 'x' %}",
        "{% import 'x' as y %}",
        "{% extends 'x' %}",
    ] {
        assert!(
            Templater::new().render_text(template, &json!({})).is_err(),
            "{template}"
        );
    }
}
