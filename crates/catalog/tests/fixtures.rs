//! The example catalog under tests/fixtures parses cleanly and yields the
//! relations counted by hand in the comments below.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use catalog::{Entity, Limits, Relation, parse_bytes, relations, to_yaml};

fn fixture_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"))
}

fn load(file: &str) -> Vec<Entity> {
    let bytes = std::fs::read(fixture_dir().join(file)).expect("fixture exists");
    let parsed = parse_bytes(file, &bytes, &Limits::default());
    let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors, Vec::<String>::new(), "{file}");
    parsed.entities.into_iter().map(|p| p.entity).collect()
}

fn relation_count(entities: &[Entity]) -> usize {
    entities.iter().map(|e| relations(e).len()).sum()
}

/// (file, entities, relations). Each ref gives two relations:
/// - org: children 2 + parent/children 2 + parent/members 2 + parent 1 +
///   memberOf 2 + memberOf 1 = 10 refs
/// - systems: owner 1 + owner/subdomainOf 2 + owner/domain 2 + 2 = 7 refs
/// - components: 4 + 4 + 4 + owner/subcomponentOf 2 = 14 refs
/// - apis: owner/system 2 + 2 + owner 1 = 5 refs
/// - resources: owner/system 2 + owner/dependsOn/dependencyOf 3 = 5 refs
/// - templates: Template owner 1 + Application owner/system/component 3 = 4
/// - all: a Location has no relations
const FILES: [(&str, usize, usize); 7] = [
    ("org.yaml", 7, 20),
    ("systems.yaml", 4, 14),
    ("components.yaml", 4, 28),
    ("apis.yaml", 3, 10),
    ("resources.yaml", 2, 10),
    ("templates.yaml", 2, 8),
    ("all.yaml", 1, 0),
];

fn all_entities() -> Vec<Entity> {
    FILES.iter().flat_map(|(file, _, _)| load(file)).collect()
}

#[test]
fn every_fixture_parses_cleanly_with_the_expected_relations() {
    for (file, entities, relation_total) in FILES {
        let loaded = load(file);
        assert_eq!(loaded.len(), entities, "{file} entities");
        assert_eq!(relation_count(&loaded), relation_total, "{file} relations");
    }
}

#[test]
fn relation_types_pair_up() {
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for relation in all_entities().iter().flat_map(relations) {
        *by_type.entry(relation.type_).or_default() += 1;
    }
    let count = |t: &str| by_type.get(t).copied().unwrap_or(0);
    // Every entity with spec.owner: 2 domains, 2 systems, 4 components,
    // 3 APIs, 2 resources, 1 template, 1 application.
    assert_eq!(count("ownedBy"), 15);
    for (out, back) in [
        ("ownedBy", "ownerOf"),
        ("partOf", "hasPart"),
        ("dependsOn", "dependencyOf"),
        ("providesApi", "apiProvidedBy"),
        ("consumesApi", "apiConsumedBy"),
        ("memberOf", "hasMember"),
        ("childOf", "parentOf"),
        ("generates", "generatedFrom"),
    ] {
        assert_eq!(count(out), count(back), "{out}/{back}");
    }
    assert_eq!(count("providesApi"), 2);
    assert_eq!(count("consumesApi"), 2);
    // dependsOn: artist-web, artist-lookup, playback-cache (x2 via its
    // dependencyOf), so 4 dependsOn and 4 dependencyOf.
    assert_eq!(count("dependsOn"), 4);
    // memberOf: 3 from users, 1 from the backstage group's members.
    assert_eq!(count("memberOf"), 4);
    assert_eq!(count("childOf"), 6);
    assert_eq!(count("generates"), 1);
}

#[test]
fn every_relation_has_its_inverse_and_resolves_inside_the_set() {
    let entities = all_entities();
    let known: HashSet<String> = entities.iter().map(|e| e.entity_ref().key()).collect();
    let all: Vec<Relation> = entities.iter().flat_map(relations).collect();
    let keys: HashSet<(String, String)> = all
        .iter()
        .map(|r| (r.source.key(), r.target.key()))
        .collect();
    for relation in &all {
        assert!(known.contains(&relation.target.key()), "{relation:?}");
        assert!(known.contains(&relation.source.key()), "{relation:?}");
        let inverse = (relation.target.key(), relation.source.key());
        assert!(keys.contains(&inverse), "no inverse for {relation:?}");
    }
}

#[test]
fn location_targets_name_the_fixture_files() {
    let location = load("all.yaml").remove(0);
    let mut targets: Vec<&str> = location.spec_str_list("targets");
    targets.sort();
    let mut expected: Vec<String> = FILES
        .iter()
        .filter(|(file, _, _)| *file != "all.yaml")
        .map(|(file, _, _)| format!("./{file}"))
        .collect();
    expected.sort();
    assert_eq!(targets, expected);
}

#[test]
fn every_entity_survives_a_yaml_round_trip() {
    for entity in all_entities() {
        let yaml = to_yaml(&entity);
        let parsed = catalog::parse_documents("round-trip", &yaml, &Limits::default());
        assert_eq!(parsed.errors, vec![], "{yaml}");
        assert_eq!(parsed.entities[0].entity, entity, "{yaml}");
    }
}

#[test]
fn api_definitions_keep_their_text() {
    let apis = load("apis.yaml");
    let definition = apis[0].spec_str("definition").unwrap();
    assert!(definition.starts_with("openapi: \"3.0.0\"\ninfo:\n  version: 1.0.0\n"));
    let grpc = apis[2].spec_str("definition").unwrap();
    assert!(
        grpc.contains("syntax = \"proto3\";\n\nservice Greeter {"),
        "{grpc}"
    );
}
