use super::*;
use serde_json::{Value, json};

fn entity(api_version: &str, kind: &str, namespace: &str, spec: Value) -> Entity {
    Entity::from_value(json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "me", "namespace": namespace},
        "spec": spec
    }))
    .unwrap()
}

/// Relations as `source type target` strings, sorted, for easy comparison.
fn lines(entity: &Entity) -> Vec<String> {
    let mut out: Vec<String> = relations(entity)
        .iter()
        .map(|r| format!("{} {} {}", r.source, r.type_, r.target))
        .collect();
    out.sort();
    out
}

const V1: &str = "backstage.io/v1alpha1";

#[test]
fn component_emits_every_pair_both_ways() {
    let e = entity(
        V1,
        "Component",
        "shop",
        json!({
            "type": "service", "lifecycle": "production",
            "owner": "team-a",
            "system": "pets",
            "subcomponentOf": "platform",
            "providesApis": ["petstore-api"],
            "consumesApis": ["other/payments-api"],
            "dependsOn": ["resource:db"],
            "dependencyOf": ["component:web"]
        }),
    );
    let me = "component:shop/me";
    let mut expected = vec![
        format!("{me} ownedBy group:shop/team-a"),
        format!("group:shop/team-a ownerOf {me}"),
        format!("{me} partOf system:shop/pets"),
        format!("system:shop/pets hasPart {me}"),
        format!("{me} partOf component:shop/platform"),
        format!("component:shop/platform hasPart {me}"),
        format!("{me} providesApi api:shop/petstore-api"),
        format!("api:shop/petstore-api apiProvidedBy {me}"),
        format!("{me} consumesApi api:other/payments-api"),
        format!("api:other/payments-api apiConsumedBy {me}"),
        format!("{me} dependsOn resource:shop/db"),
        format!("resource:shop/db dependencyOf {me}"),
        format!("{me} dependencyOf component:shop/web"),
        format!("component:shop/web dependsOn {me}"),
    ];
    expected.sort();
    assert_eq!(lines(&e), expected);
}

#[test]
fn api_resource_system_domain() {
    let api = entity(
        V1,
        "API",
        "default",
        json!({"type": "openapi", "lifecycle": "x", "owner": "user:jdoe", "definition": "d", "system": "pets"}),
    );
    assert_eq!(
        lines(&api),
        [
            "api:default/me ownedBy user:default/jdoe",
            "api:default/me partOf system:default/pets",
            "system:default/pets hasPart api:default/me",
            "user:default/jdoe ownerOf api:default/me",
        ]
    );
    let resource = entity(
        V1,
        "Resource",
        "default",
        json!({"type": "db", "owner": "a", "dependsOn": ["resource:disk"], "system": "pets"}),
    );
    assert_eq!(relations(&resource).len(), 6);
    assert!(
        lines(&resource)
            .contains(&"resource:default/disk dependencyOf resource:default/me".to_string())
    );
    let system = entity(
        V1,
        "System",
        "default",
        json!({"owner": "a", "domain": "commerce"}),
    );
    assert!(
        lines(&system).contains(&"domain:default/commerce hasPart system:default/me".to_string())
    );
    let domain = entity(
        V1,
        "Domain",
        "default",
        json!({"owner": "a", "subdomainOf": "business"}),
    );
    assert!(
        lines(&domain).contains(&"domain:default/me partOf domain:default/business".to_string())
    );
    assert_eq!(relations(&domain).len(), 4);
}

#[test]
fn users_and_groups() {
    let user = entity(
        V1,
        "User",
        "org",
        json!({"memberOf": ["team-a", "group:other/guild"]}),
    );
    assert_eq!(
        lines(&user),
        [
            "group:org/team-a hasMember user:org/me",
            "group:other/guild hasMember user:org/me",
            "user:org/me memberOf group:org/team-a",
            "user:org/me memberOf group:other/guild",
        ]
    );
    let group = entity(
        V1,
        "Group",
        "org",
        json!({"type": "team", "parent": "eng", "children": ["team-b"], "members": ["jdoe"]}),
    );
    assert_eq!(
        lines(&group),
        [
            "group:org/eng parentOf group:org/me",
            "group:org/me childOf group:org/eng",
            "group:org/me hasMember user:org/jdoe",
            "group:org/me parentOf group:org/team-b",
            "group:org/team-b childOf group:org/me",
            "user:org/jdoe memberOf group:org/me",
        ]
    );
}

#[test]
fn template_owner_and_location_nothing() {
    let template = entity(
        "scaffolder.backstage.io/v1beta3",
        "Template",
        "default",
        json!({"type": "service", "steps": [], "owner": "team-a"}),
    );
    assert_eq!(
        lines(&template),
        [
            "group:default/team-a ownerOf template:default/me",
            "template:default/me ownedBy group:default/team-a",
        ]
    );
    let location = entity(V1, "Location", "default", json!({"targets": ["./a.yaml"]}));
    assert_eq!(relations(&location), vec![]);
}

#[test]
fn application_generates_its_component() {
    let app = entity(
        "platform.company.com/v1",
        "Application",
        "shop",
        json!({"language": "rust", "owner": "team-a", "system": "pets"}),
    );
    assert_eq!(
        lines(&app),
        [
            "application:shop/me generates component:shop/me",
            "application:shop/me ownedBy group:shop/team-a",
            "application:shop/me partOf system:shop/pets",
            "component:shop/me generatedFrom application:shop/me",
            "group:shop/team-a ownerOf application:shop/me",
            "system:shop/pets hasPart application:shop/me",
        ]
    );
}

#[test]
fn targets_keep_their_written_kind_and_compare_case_insensitively() {
    let e = entity(
        V1,
        "Component",
        "default",
        json!({"type": "s", "lifecycle": "l", "owner": "Group:Default/Team-A"}),
    );
    let owned_by = &relations(&e)[0];
    assert_eq!(owned_by.type_, OWNED_BY);
    assert_eq!(owned_by.target.kind, "Group");
    assert_eq!(
        owned_by.target,
        EntityRef::new("group", "default", "team-a")
    );
    assert_eq!(
        owned_by.to_entity_relation().target_ref,
        "group:default/Team-A"
    );
}

#[test]
fn unparsable_refs_are_skipped_not_fatal() {
    // Built by hand, so not validated: relations() must still not panic.
    let mut e = entity(
        V1,
        "Component",
        "default",
        json!({"type": "s", "lifecycle": "l", "owner": "a"}),
    );
    e.spec["dependsOn"] = json!(["no-kind", "resource:db"]);
    e.spec["owner"] = json!("group:");
    assert_eq!(
        lines(&e),
        [
            "component:default/me dependsOn resource:default/db",
            "resource:default/db dependencyOf component:default/me"
        ]
    );
}

#[test]
fn unknown_kinds_have_no_relations() {
    let mut e = entity(V1, "System", "default", json!({"owner": "a"}));
    e.kind = "Widget".into();
    assert_eq!(relations(&e), vec![]);
}

#[test]
fn relation_serializes_type_field() {
    let r = Relation {
        type_: OWNED_BY.into(),
        source: EntityRef::new("component", "default", "a"),
        target: EntityRef::new("group", "default", "b"),
    };
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["type"], "ownedBy");
    assert_eq!(v["target"]["name"], "b");
}
