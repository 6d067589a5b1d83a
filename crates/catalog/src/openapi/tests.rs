use super::*;

#[test]
fn yaml_definitions_list_their_operations_in_order() {
    let summary = summarize_openapi(
        "openapi: 3.0.0\n\
         info: {title: Baskets, version: '1.2'}\n\
         paths:\n  \
           /baskets/{id}:\n    \
             post: {operationId: addItem}\n    \
             get: {summary: Read a basket, operationId: getBasket}\n  \
           /orders:\n    \
             delete: {description: Cancel every order}\n    \
             parameters: []\n",
    )
    .unwrap();
    assert_eq!(summary.title.as_deref(), Some("Baskets"));
    assert_eq!(summary.version.as_deref(), Some("1.2"));
    let listed: Vec<(&str, &str, &str)> = summary
        .operations
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str(), o.summary.as_str()))
        .collect();
    assert_eq!(
        listed,
        [
            ("GET", "/baskets/{id}", "Read a basket"),
            ("POST", "/baskets/{id}", "addItem"),
            ("DELETE", "/orders", "Cancel every order"),
        ]
    );
}

#[test]
fn json_definitions_are_read_too() {
    let summary = summarize_openapi(
        r#"{"info": {"title": "T"}, "paths": {"/b": {"delete": {"summary": "Remove"}}}}"#,
    )
    .unwrap();
    assert_eq!(summary.title.as_deref(), Some("T"));
    assert_eq!(summary.version, None);
    assert_eq!(summary.operations.len(), 1);
    assert_eq!(summary.operations[0].path, "/b");
    assert_eq!(summary.operations[0].method, "DELETE");
}

#[test]
fn operations_without_a_summary_have_an_empty_one() {
    let summary = summarize_openapi("paths:\n  /a:\n    get: {responses: {200: {}}}\n").unwrap();
    assert_eq!(summary.operations[0].summary, "");
}

#[test]
fn documents_that_are_not_openapi_summarise_to_nothing() {
    for text in ["", "just text", "[1, 2]", "paths: [1]", "info: 3"] {
        assert_eq!(
            summarize_openapi(text),
            Ok(OpenApiSummary::default()),
            "{text:?}"
        );
    }
}

#[test]
fn unreadable_definitions_say_where() {
    let error = summarize_openapi("paths:\n  - [unclosed\nnext: 1\n").unwrap_err();
    assert!(error.to_string().starts_with("line 3, column "), "{error}");
    let error = summarize_openapi("a: 1\n---\nb: 2\n").unwrap_err();
    assert!(error.to_string().contains("2 YAML documents"), "{error}");
}

#[test]
fn long_definitions_are_cut_at_the_limit() {
    let mut text = String::from("paths:\n");
    for i in 0..=MAX_OPERATIONS / 2 {
        text.push_str(&format!("  /p{i}:\n    get: {{}}\n    put: {{}}\n"));
    }
    let summary = summarize_openapi(&text).unwrap();
    assert_eq!(summary.operations.len(), MAX_OPERATIONS);
}
