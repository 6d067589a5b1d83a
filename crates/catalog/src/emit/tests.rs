use super::*;
use crate::{Limits, parse_documents};
use serde_json::json;

fn api() -> Entity {
    Entity::from_value(json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "API",
        "metadata": {
            "name": "petstore",
            "title": "Pet Store API",
            "description": "Sells pets: cats, dogs # and more",
            "tags": ["rest", "c++"],
            "labels": {"tier": ""},
            "annotations": {"backstage.io/techdocs-ref": "dir:."},
            "links": [{"url": "https://example.com", "title": "Home"}],
            "generation": 2,
            "custom": {"empty": {}, "none": [], "nested": [[1, 2], {"a": null}]}
        },
        "spec": {
            "type": "openapi",
            "lifecycle": "production",
            "owner": "team-a",
            "system": "pets",
            "definition": "openapi: 3.0.0\ninfo:\n  title: Pet Store\n  version: 1.0.0\n"
        }
    }))
    .unwrap()
}

fn read_back(yaml: &str) -> Entity {
    let parsed = parse_documents("out.yaml", yaml, &Limits::default());
    assert_eq!(parsed.errors, vec![], "{yaml}");
    assert_eq!(parsed.entities.len(), 1);
    parsed.entities.into_iter().next().unwrap().entity
}

#[test]
fn yaml_reads_back_as_the_same_entity() {
    let entity = api();
    let yaml = to_yaml(&entity);
    assert_eq!(read_back(&yaml), entity);
}

#[test]
fn yaml_is_readable() {
    let yaml = to_yaml(&api());
    assert!(
        yaml.starts_with(
            "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: petstore\n"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("  definition: |\n    openapi: 3.0.0\n    info:\n      title: Pet Store\n"),
        "{yaml}"
    );
    assert!(yaml.contains("  tags:\n    - rest\n    - c++\n"), "{yaml}");
    assert!(
        yaml.contains("  links:\n    - url: https://example.com\n      title: Home\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("description: \"Sells pets: cats, dogs # and more\""),
        "{yaml}"
    );
    assert!(yaml.contains("tier: \"\""), "{yaml}");
}

/// Strings that YAML would misread if written plain, and multi-line strings
/// a literal block cannot hold exactly.
#[test]
fn tricky_strings_round_trip() {
    let tricky = [
        "",
        " ",
        "true",
        "False",
        "null",
        "~",
        "42",
        "-1",
        "0x1f",
        "1e3",
        ".5",
        ".inf",
        "- item",
        "a: b",
        "a #b",
        "#c",
        "key:",
        "*alias",
        "&anchor",
        "!tag",
        "|",
        ">",
        "'q'",
        "\"q\"",
        "@x",
        "`x`",
        "%x",
        "---",
        "...",
        "[a]",
        "{a}",
        "a, b",
        "tab\there",
        "trailing ",
        " leading",
        "line\nbreak",
        "ends\n",
        "two\n\n",
        "no end\n\nx",
        "\nstarts",
        "\n  indented second",
        "  indented first\nx",
        "blank \n  \nline",
        "cr\r\nlf",
        "é ☕ 𝄞",
        "\u{feff}bom",
        "\u{7}bell",
        "- a\n- b",
        "key: |\n  x",
    ];
    for text in tricky {
        let mut entity = api();
        entity.metadata.description = Some(text.to_string());
        entity.spec["definition"] = json!(format!("x{text}"));
        entity
            .metadata
            .extra
            .insert(text.to_string(), json!([text]));
        let yaml = to_yaml(&entity);
        assert_eq!(read_back(&yaml), entity, "{text:?} in\n{yaml}");
    }
}

#[test]
fn literal_block_chomping() {
    let block = |s: &str| literal_block(&json!(s)).map(|lines| lines[0].clone());
    assert_eq!(block("a\nb"), Some("|-".into()));
    assert_eq!(block("a\nb\n"), Some("|".into()));
    assert_eq!(block("a\nb\n\n"), Some("|+".into()));
    assert_eq!(block("single line"), None);
    assert_eq!(block(" lead\nx"), None);
    assert_eq!(block("x\n \ny"), None);
}

#[test]
fn etag_is_stable_and_tracks_content() {
    let entity = api();
    let tag = etag(&entity);
    assert_eq!(tag.len(), 40);
    assert!(tag.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(etag(&entity.clone()), tag);
    // Reading the YAML back gives the same etag: it hashes content, not text.
    assert_eq!(etag(&read_back(&to_yaml(&entity))), tag);
    // Setting the etag itself does not change it.
    let mut stored = entity.clone();
    stored.metadata.etag = Some(tag.clone());
    assert_eq!(etag(&stored), tag);
    // Any content change does.
    let mut changed = entity.clone();
    changed.spec["lifecycle"] = json!("deprecated");
    assert_ne!(etag(&changed), tag);
    let mut relabelled = entity;
    relabelled
        .metadata
        .labels
        .insert("tier".into(), "gold".into());
    assert_ne!(etag(&relabelled), tag);
}

#[test]
fn canonical_json_sorts_keys_and_has_no_spaces() {
    let mut out = String::new();
    write_canonical(
        &json!({"b": [1, {"d": "x y", "c": null}], "a": true}),
        &mut out,
    );
    assert_eq!(out, r#"{"a":true,"b":[1,{"c":null,"d":"x y"}]}"#);
}

#[test]
fn search_document_collects_the_indexed_fields() {
    let doc = search_document(&api());
    assert_eq!(doc.entity_ref, "api:default/petstore");
    assert_eq!(doc.type_.as_deref(), Some("openapi"));
    assert_eq!(doc.owner.as_deref(), Some("group:default/team-a"));
    assert_eq!(doc.system.as_deref(), Some("system:default/pets"));
    assert_eq!(
        doc.text(),
        "API\npetstore\nPet Store API\nSells pets: cats, dogs # and more\nrest\nc++\nopenapi\ngroup:default/team-a\nsystem:default/pets"
    );
}

#[test]
fn search_document_skips_missing_fields() {
    let user = Entity::from_value(json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "User",
        "metadata": {"name": "jdoe"},
        "spec": {"memberOf": []}
    }))
    .unwrap();
    let doc = search_document(&user);
    assert_eq!(doc.text(), "User\njdoe");
    assert_eq!((doc.owner, doc.system, doc.type_), (None, None, None));
}
