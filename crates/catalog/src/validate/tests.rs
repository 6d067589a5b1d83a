use super::*;
use serde_json::json;

fn component() -> Value {
    json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "petstore"},
        "spec": {"type": "service", "lifecycle": "production", "owner": "team-a"}
    })
}

fn with(mut base: Value, pointer: &str, value: Value) -> Value {
    *base.pointer_mut(pointer).expect("pointer exists") = value;
    base
}

fn without(mut base: Value, parent: &str, key: &str) -> Value {
    base.pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent is an object")
        .remove(key);
    base
}

fn paths(value: &Value) -> Vec<String> {
    validate_value(value).into_iter().map(|e| e.path).collect()
}

fn single_error(value: &Value) -> FieldError {
    let errors = validate_value(value);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn valid_component_has_no_errors() {
    assert_eq!(validate_value(&component()), vec![]);
}

// --- format rules ----------------------------------------------------------

#[test]
fn object_names() {
    for good in ["a", "A9", "foo-bar", "foo_bar.baz", "a--b", &"x".repeat(63)] {
        assert!(is_valid_object_name(good), "{good:?}");
    }
    for bad in [
        "",
        "foo bar",
        "-foo",
        "foo-",
        "foo.",
        "_a",
        "é",
        "a/b",
        &"x".repeat(64),
    ] {
        assert!(!is_valid_object_name(bad), "{bad:?}");
    }
}

#[test]
fn dns_labels_and_subdomains() {
    for good in ["default", "a", "team-1", &"a".repeat(63)] {
        assert!(is_valid_dns_label(good), "{good:?}");
    }
    for bad in [
        "",
        "Default",
        "a_b",
        "-a",
        "a-",
        "a--b",
        "a.b",
        &"a".repeat(64),
    ] {
        assert!(!is_valid_dns_label(bad), "{bad:?}");
    }
    assert!(is_valid_dns_subdomain("backstage.io"));
    assert!(is_valid_dns_subdomain("a.b-c.d"));
    assert!(!is_valid_dns_subdomain("a..b"));
    assert!(!is_valid_dns_subdomain("Backstage.io"));
    let long = vec!["a".repeat(63); 4].join("."); // 255 characters
    assert!(!is_valid_dns_subdomain(&long));
    let fits = vec!["a".repeat(62); 4].join("."); // 251 characters
    assert!(is_valid_dns_subdomain(&fits));
}

#[test]
fn label_and_annotation_keys() {
    for good in [
        "app",
        "backstage.io/techdocs-ref",
        "github.com/project-slug",
        "a.b/C_d",
    ] {
        assert!(is_valid_label_key(good), "{good:?}");
    }
    for bad in [
        "",
        "/x",
        "a/",
        "a/b/c",
        "Backstage.io/x",
        "bad key",
        "io/-x",
    ] {
        assert!(!is_valid_label_key(bad), "{bad:?}");
    }
    assert!(is_valid_label_value(""));
    assert!(is_valid_label_value("v1.2"));
    assert!(!is_valid_label_value("two words"));
}

#[test]
fn api_versions_and_kinds() {
    for good in ["v1", "backstage.io/v1alpha1", "platform.company.com/v1"] {
        assert!(is_valid_api_version(good), "{good:?}");
    }
    for bad in [
        "",
        "backstage.io/",
        "backstage.io/v1-alpha",
        "a/b/c",
        "Backstage.io/v1",
    ] {
        assert!(!is_valid_api_version(bad), "{bad:?}");
    }
    assert!(is_valid_kind("Component"));
    assert!(is_valid_kind("x9"));
    assert!(!is_valid_kind("9x"));
    assert!(!is_valid_kind("My-Kind"));
    assert!(!is_valid_kind(""));
}

#[test]
fn tags() {
    for good in ["java", "c++", "c#", "a:b", "data-pipeline", &"a".repeat(63)] {
        assert!(is_valid_tag(good), "{good:?}");
    }
    for bad in [
        "",
        "Java",
        "two words",
        "-a",
        "a-",
        "a--b",
        "a_b",
        &"a".repeat(64),
    ] {
        assert!(!is_valid_tag(bad), "{bad:?}");
    }
}

#[test]
fn urls() {
    for good in [
        "https://example.com",
        "http://localhost:3000/x",
        "mailto:a@b.c",
        "file:///tmp/x",
    ] {
        assert!(is_valid_url(good), "{good:?}");
    }
    for bad in [
        "",
        "example.com",
        "https://",
        "https:// x",
        "://x",
        "1http://x",
        "https:///x",
    ] {
        assert!(!is_valid_url(bad), "{bad:?}");
    }
}

// --- envelope --------------------------------------------------------------

#[test]
fn root_must_be_a_mapping() {
    let error = single_error(&json!(["a"]));
    assert_eq!(error.path, "");
    assert!(error.message.contains("found a list"), "{error}");
}

#[test]
fn unknown_root_fields_are_rejected() {
    let value = with(component(), "", json!(null));
    assert_eq!(paths(&value), vec![""]);
    let mut value = component();
    value["owner"] = json!("x");
    value["specs"] = json!({});
    let errors = validate_value(&value);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].message.contains("move it under metadata or spec"));
    // relations and status are allowed.
    let mut value = component();
    value["relations"] = json!([{"type": "ownedBy", "targetRef": "group:default/a"}]);
    value["status"] = json!({"items": []});
    assert_eq!(validate_value(&value), vec![]);
}

#[test]
fn required_envelope_fields() {
    let errors = validate_value(&json!({}));
    let got: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(got, ["kind", "apiVersion", "metadata"]);
    assert!(errors.iter().all(|e| e.message == "is required"));
}

#[test]
fn wrong_types_say_what_was_found() {
    let value = with(component(), "/kind", json!(5));
    let error = single_error(&value);
    assert_eq!(
        error.to_string(),
        "kind must be a string, found a number (5)"
    );
    let value = with(component(), "/metadata", json!("petstore"));
    assert!(
        single_error(&value)
            .message
            .contains("found a string (\"petstore\")")
    );
}

#[test]
fn unknown_kind_lists_the_supported_ones() {
    let error = single_error(&with(component(), "/kind", json!("Widget")));
    assert_eq!(error.path, "kind");
    assert!(
        error.message.contains("Component, API, Resource"),
        "{error}"
    );
}

#[test]
fn kind_is_case_sensitive_with_a_hint() {
    let error = single_error(&with(component(), "/kind", json!("component")));
    assert!(
        error.message.contains("write it as \"Component\""),
        "{error}"
    );
}

#[test]
fn malformed_kind() {
    let error = single_error(&with(component(), "/kind", json!("My Kind")));
    assert!(error.message.contains("starting with a letter"), "{error}");
}

#[test]
fn api_version_must_match_the_kind() {
    let error = single_error(&with(component(), "/apiVersion", json!("backstage.io/v2")));
    assert_eq!(
        error.to_string(),
        "apiVersion \"backstage.io/v2\" is not a version of kind Component; use backstage.io/v1alpha1 or backstage.io/v1beta1"
    );
    let beta = with(component(), "/apiVersion", json!("backstage.io/v1beta1"));
    assert_eq!(validate_value(&beta), vec![]);
    let malformed = single_error(&with(component(), "/apiVersion", json!("not a version")));
    assert!(malformed.message.contains("e.g. \"backstage.io/v1alpha1\""));
}

// --- metadata --------------------------------------------------------------

#[test]
fn bad_name_message_says_how_to_fix() {
    let error = single_error(&with(component(), "/metadata/name", json!("foo bar")));
    assert_eq!(
        error.to_string(),
        "metadata.name \"foo bar\" must be 1-63 characters of [a-zA-Z0-9] separated by [-_.]"
    );
}

#[test]
fn name_is_required() {
    let value = without(component(), "/metadata", "name");
    assert_eq!(
        single_error(&value).to_string(),
        "metadata.name is required"
    );
}

#[test]
fn namespace_must_be_a_dns_label() {
    let ok = with(
        component(),
        "/metadata",
        json!({"name": "a", "namespace": "team-1"}),
    );
    assert_eq!(validate_value(&ok), vec![]);
    let bad = with(
        component(),
        "/metadata",
        json!({"name": "a", "namespace": "Team_1"}),
    );
    let error = single_error(&bad);
    assert_eq!(error.path, "metadata.namespace");
    assert!(error.message.contains("[a-z0-9] separated by [-]"));
}

#[test]
fn labels() {
    let meta = json!({"name": "a", "labels": {"app": "web", "example.com/tier": "", "bad key": "x", "ok": "two words", "n": 5}});
    let errors = validate_value(&with(component(), "/metadata", meta));
    let got: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        [
            "metadata.labels.bad key",
            "metadata.labels.n",
            "metadata.labels.ok"
        ]
    );
    assert!(errors[0].message.starts_with("key \"bad key\" must be"));
    assert!(errors[1].message.contains("quote it"));
    assert!(errors[2].message.contains("annotation instead"));
    let not_a_map = with(
        component(),
        "/metadata",
        json!({"name": "a", "labels": ["x"]}),
    );
    assert_eq!(paths(&not_a_map), ["metadata.labels"]);
}

#[test]
fn annotations() {
    let meta = json!({"name": "a", "annotations": {
        "backstage.io/techdocs-ref": "dir:.",
        "free text is fine": "x",
        "github.com/project-slug": "acme/petstore with spaces",
        "count": 3
    }});
    let errors = validate_value(&with(component(), "/metadata", meta));
    let got: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        [
            "metadata.annotations.count",
            "metadata.annotations.free text is fine"
        ]
    );
}

#[test]
fn tags_in_metadata() {
    let meta = json!({"name": "a", "tags": ["java", "Spring Boot", 3]});
    let errors = validate_value(&with(component(), "/metadata", meta));
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(
        errors[0].to_string(),
        "metadata.tags[1] \"Spring Boot\" must be 1-63 characters of [a-z0-9:+#] separated by [-], e.g. \"spring-boot\""
    );
    assert_eq!(errors[1].path, "metadata.tags[2]");
}

#[test]
fn links() {
    let meta = json!({"name": "a", "links": [
        {"url": "https://grafana.example.com", "title": "Dashboard", "icon": "dashboard", "type": "admin"},
        {"url": "grafana"},
        {"title": "no url"},
        {"url": "https://x.example.com", "title": ""},
        "https://bare.example.com"
    ]});
    let errors = validate_value(&with(component(), "/metadata", meta));
    let got: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        [
            "metadata.links[1].url",
            "metadata.links[2].url",
            "metadata.links[3].title",
            "metadata.links[4]"
        ]
    );
    assert!(errors[0].message.contains("absolute URL"));
}

#[test]
fn other_metadata_types() {
    let meta = json!({"name": "a", "title": "", "description": 5, "uid": 1, "etag": "e", "custom": {"x": 1}});
    let got = paths(&with(component(), "/metadata", meta));
    assert_eq!(
        got,
        ["metadata.title", "metadata.uid", "metadata.description"]
    );
}

// --- spec per kind -----------------------------------------------------------

fn entity(api_version: &str, kind: &str, spec: Value) -> Value {
    json!({"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}, "spec": spec})
}

const V1: &str = "backstage.io/v1alpha1";

/// Every kind: the minimal valid spec passes, and dropping each required
/// field gives exactly one error naming that field.
#[test]
fn every_kind_requires_its_fields() {
    let cases: Vec<(&str, &str, Value)> = vec![
        (
            V1,
            "Component",
            json!({"type": "service", "lifecycle": "production", "owner": "a"}),
        ),
        (
            V1,
            "API",
            json!({"type": "openapi", "lifecycle": "production", "owner": "a", "definition": "openapi: 3.0.0"}),
        ),
        (V1, "Resource", json!({"type": "database", "owner": "a"})),
        (V1, "System", json!({"owner": "a"})),
        (V1, "Domain", json!({"owner": "a"})),
        (V1, "Group", json!({"type": "team", "children": []})),
        (V1, "User", json!({"memberOf": []})),
        (V1, "Location", json!({})),
        (
            "scaffolder.backstage.io/v1beta3",
            "Template",
            json!({"type": "service", "steps": []}),
        ),
        (
            "platform.company.com/v1",
            "Application",
            json!({"language": "rust"}),
        ),
    ];
    for (api_version, kind, spec) in cases {
        let value = entity(api_version, kind, spec.clone());
        assert_eq!(validate_value(&value), vec![], "{kind} minimal spec");
        for field in spec.as_object().unwrap().keys() {
            let missing = without(value.clone(), "/spec", field);
            let error = single_error(&missing);
            assert_eq!(error.path, format!("spec.{field}"), "{kind}");
            assert!(
                error
                    .message
                    .starts_with(&format!("is required for kind {kind}")),
                "{error}"
            );
        }
        let no_spec = without(value.clone(), "", "spec");
        assert_eq!(single_error(&no_spec).path, "spec", "{kind}");
    }
}

#[test]
fn missing_spec_names_the_required_fields() {
    let error = single_error(&without(component(), "", "spec"));
    assert_eq!(
        error.to_string(),
        "spec is required for kind Component; add a spec with type, lifecycle, owner"
    );
}

#[test]
fn spec_field_shapes() {
    let spec = json!({
        "type": "", "lifecycle": 3, "owner": "a",
        "providesApis": "petstore", "consumesApis": ["a", 2, ""], "system": ["s"]
    });
    let errors = validate_value(&with(component(), "/spec", spec));
    let got: Vec<_> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        got,
        [
            "spec.type must not be empty",
            "spec.lifecycle must be a string, found a number (3)",
            "spec.system must be a string, found a list",
            "spec.providesApis must be a list of strings; write it as [item] or a \"- item\" list, found a string (\"petstore\")",
            "spec.consumesApis[1] must be a string, found a number (2)",
            "spec.consumesApis[2] must not be empty",
        ]
    );
}

#[test]
fn spec_must_be_a_mapping_even_for_unknown_kinds() {
    let value = entity(V1, "Component", json!("x"));
    assert_eq!(paths(&value), ["spec"]);
    let value = entity(V1, "Widget", json!(["x"]));
    assert_eq!(paths(&value), ["kind", "spec"]);
}

#[test]
fn group_shapes() {
    let value = entity(
        V1,
        "Group",
        json!({"type": "team", "children": "b", "profile": "x", "members": ["u"]}),
    );
    assert_eq!(paths(&value), ["spec.children", "spec.profile"]);
}

#[test]
fn template_steps_need_an_action() {
    let spec = json!({"type": "service", "steps": [{"id": "a", "action": "fetch:plain"}, {"id": "b"}, "c"], "parameters": "x"});
    let value = entity("scaffolder.backstage.io/v1beta3", "Template", spec);
    assert_eq!(
        paths(&value),
        ["spec.steps[1].action", "spec.steps[2]", "spec.parameters"]
    );
    let list_params = json!({"type": "service", "steps": [], "parameters": [{"title": "x"}]});
    let value = entity("scaffolder.backstage.io/v1beta3", "Template", list_params);
    assert_eq!(validate_value(&value), vec![]);
}

#[test]
fn template_needs_its_own_api_version() {
    let value = entity(V1, "Template", json!({"type": "service", "steps": []}));
    let error = single_error(&value);
    assert!(
        error
            .message
            .contains("use scaffolder.backstage.io/v1beta3"),
        "{error}"
    );
}

#[test]
fn application_needs_its_own_api_version() {
    let value = entity(V1, "Application", json!({"language": "rust"}));
    let error = single_error(&value);
    assert!(
        error.message.contains("use platform.company.com/v1"),
        "{error}"
    );
}

#[test]
fn location_target_types() {
    let value = entity(
        V1,
        "Location",
        json!({"type": "url", "target": "./a.yaml", "targets": ["./b.yaml"]}),
    );
    assert_eq!(validate_value(&value), vec![]);
    let value = entity(V1, "Location", json!({"targets": "./b.yaml"}));
    assert_eq!(paths(&value), ["spec.targets"]);
}

#[test]
fn spec_refs_must_parse() {
    let spec = json!({
        "type": "service", "lifecycle": "production", "owner": "group:",
        "dependsOn": ["resource:db", "cache", "/x"], "dependencyOf": ["component:default/web"]
    });
    let errors = validate_value(&with(component(), "/spec", spec));
    let got: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        ["spec.owner", "spec.dependsOn[1]", "spec.dependsOn[2]"]
    );
    assert!(errors[0].message.contains("is not an entity reference"));
    assert!(errors[1].message.contains("has no kind"), "{}", errors[1]);
}

#[test]
fn all_errors_are_returned_at_once() {
    let value = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": "foo bar", "namespace": "NS", "tags": ["Bad Tag"]},
        "spec": {"type": "service"},
        "extra": true
    });
    let got = paths(&value);
    assert_eq!(
        got,
        [
            "extra",
            "metadata.name",
            "metadata.namespace",
            "metadata.tags[0]",
            "spec.lifecycle",
            "spec.owner"
        ]
    );
}

#[test]
fn validate_checks_entities_built_in_code() {
    let mut entity = crate::Entity::from_value(component()).unwrap();
    assert_eq!(validate(&entity), vec![]);
    entity.metadata.name = "no spaces allowed".into();
    entity.metadata.tags.push("UPPER".into());
    let got: Vec<_> = validate(&entity).into_iter().map(|e| e.path).collect();
    assert_eq!(got, ["metadata.name", "metadata.tags[0]"]);
}
