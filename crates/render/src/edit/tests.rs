use super::*;
use crate::parse_spec;

const SPEC: &str = include_str!("../../tests/specs/fastapi.yaml");

#[test]
fn a_field_sets_its_path_and_keeps_the_rest() {
    let yaml = set_field(SPEC, Field::Name, " billing ").unwrap();
    let spec = parse_spec(&yaml).unwrap();
    assert_eq!(spec.metadata.name, "billing");
    assert_eq!(spec.spec.scaling.max_replicas, 12);
    let yaml = set_field(&yaml, Field::TargetCpu, "80").unwrap();
    assert!(yaml.contains("target_cpu: 80\n"), "{yaml}");
}

#[test]
fn missing_parents_are_created_and_empty_text_removes_the_key() {
    let yaml = set_field("kind: Application\n", Field::MinReplicas, "2").unwrap();
    assert_eq!(
        yaml,
        "kind: Application\nspec:\n  scaling:\n    min_replicas: 2\n"
    );
    let yaml = set_field(SPEC, Field::ServiceMesh, "istio").unwrap();
    assert!(yaml.contains("service_mesh: istio"));
    let yaml = set_field(&yaml, Field::ServiceMesh, "").unwrap();
    assert!(!yaml.contains("service_mesh"));
}

#[test]
fn monitoring_is_on_unless_off() {
    let yaml = set_field(SPEC, Field::Monitoring, "off").unwrap();
    assert!(!parse_spec(&yaml).unwrap().spec.monitoring.enabled);
    let yaml = set_field(&yaml, Field::Monitoring, "").unwrap();
    assert!(parse_spec(&yaml).unwrap().spec.monitoring.enabled);
}

#[test]
fn a_bad_number_is_kept_and_reported_with_its_path() {
    let yaml = set_field(SPEC, Field::MinReplicas, "many").unwrap();
    let errors = parse_spec(&yaml).unwrap_err();
    assert!(
        errors.iter().any(|e| e.path == "spec.scaling.min_replicas"),
        "{errors:?}"
    );
    let fields = written_fields(&yaml);
    assert!(fields.contains(&(Field::MinReplicas, "many".to_string())));
}

#[test]
fn text_that_is_not_a_mapping_is_refused_with_a_way_on() {
    let error = set_field("a: [", Field::Name, "x").unwrap_err();
    assert!(matches!(error, EditError::Unparsable(_)));
    assert!(error.to_string().ends_with("fix it before using the form."));
    assert_eq!(
        set_field("- a\n", Field::Name, "x"),
        Err(EditError::NotAMapping)
    );
    assert_eq!(
        set_field("spec: [1]\n", Field::Language, "go"),
        Err(EditError::ParentNotAMapping("spec.language"))
    );
}

#[test]
fn several_fields_are_set_in_one_edit() {
    let yaml = set_fields(
        SPEC,
        [(Field::Name, "billing"), (Field::Namespace, "team-billing")],
    )
    .unwrap();
    let spec = parse_spec(&yaml).unwrap();
    assert_eq!(
        (
            spec.metadata.name.as_str(),
            spec.metadata.namespace.as_str()
        ),
        ("billing", "team-billing")
    );
}

#[test]
fn fields_read_back_as_written_and_as_effective() {
    let written = written_fields(
        "metadata: {name: x}\nspec: {monitoring: {enabled: false}, scaling: {max_replicas: 4}}\n",
    );
    let get = |field| {
        written
            .iter()
            .find(|(f, _)| *f == field)
            .unwrap()
            .1
            .as_str()
    };
    assert_eq!(get(Field::Name), "x");
    assert_eq!(get(Field::MaxReplicas), "4");
    assert_eq!(get(Field::Monitoring), "off");
    assert_eq!(get(Field::Language), "");
    assert_eq!(written_fields("a: [").len(), Field::ALL.len());

    let effective = effective_fields(&parse_spec(SPEC).unwrap());
    let get = |field| {
        effective
            .iter()
            .find(|(f, _)| *f == field)
            .unwrap()
            .1
            .as_str()
    };
    assert_eq!(get(Field::Namespace), "team-commerce");
    assert_eq!(get(Field::TargetCpu), "65");
    assert_eq!(get(Field::Monitoring), "on");
    assert_eq!(get(Field::ServiceMesh), "");
}

#[test]
fn every_field_has_a_key_that_names_it() {
    for field in Field::ALL {
        assert_eq!(Field::from_key(field.key()), Some(field));
    }
    assert_eq!(Field::from_key("image"), None);
}

#[test]
fn comments_and_key_order_are_kept() {
    let yaml = "# The ledger service: owned by payments.\nkind: Application\napiVersion: portico.dev/v1\nmetadata:\n  name: ledger # renamed in 2025\n  namespace: payments\nspec:\n  # Scale on CPU; see the runbook.\n  scaling:\n    max_replicas: 6 # the database allows 6 pools\n    min_replicas: 2\n";
    let edited = set_fields(
        yaml,
        [
            (Field::MinReplicas, "3"),
            (Field::Name, "general-ledger"),
            (Field::ServiceMesh, "istio"),
            (Field::Namespace, ""),
        ],
    )
    .unwrap();
    for kept in [
        "# The ledger service: owned by payments.\nkind: Application\napiVersion: portico.dev/v1\n",
        "# renamed in 2025",
        "  # Scale on CPU; see the runbook.\n  scaling:\n    max_replicas: 6 # the database allows 6 pools\n    min_replicas: 3\n",
        "service_mesh: istio",
        "name: general-ledger",
    ] {
        assert!(edited.contains(kept), "{kept:?} not in\n{edited}");
    }
    assert!(!edited.contains("namespace"), "{edited}");
}

#[test]
fn text_that_reads_as_another_type_stays_text() {
    // A name like `123` or `on` must stay a string, and a colon must not open a mapping.
    for name in ["123", "on", "null", "a: b", "#x", "'quoted'", "multi\nline"] {
        let yaml = set_field(SPEC, Field::Name, name).unwrap();
        let value: Value = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(
            value["metadata"]["name"],
            Value::String(name.trim().to_string()),
            "{name:?}:\n{yaml}"
        );
        assert!(
            yaml.starts_with(&SPEC[..SPEC.find('\n').unwrap()]),
            "{yaml}"
        );
    }
}

#[test]
fn a_new_key_goes_after_the_mapping_and_leaves_comments_in_place() {
    let yaml = "kind: Application\nspec:\n  language: python\n  system: checkout\n  # Scaling bounds.\n  scaling:\n    min_replicas: 2\n  monitoring:\n    alerts: [high_error_rate, high_latency]\n";
    let edited = set_field(yaml, Field::ServiceMesh, "istio").unwrap();
    assert!(
        edited.starts_with("kind: Application\nspec:\n  language: python\n  system: checkout\n  # Scaling bounds.\n  scaling:\n    min_replicas: 2\n  monitoring:\n    alerts: [high_error_rate, high_latency]\n"),
        "{edited}"
    );
    assert!(edited.contains("  service_mesh: istio"), "{edited}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// A spec mangled at random (characters inserted, lines cut) that still parses as a
    /// mapping takes every edit, and each edit lands whatever the text looks like.
    #[test]
    fn an_edit_lands_on_any_mapping(
        cut in 0usize..SPEC.len(),
        insert in "[ a-z0-9:#'\"\\[\\]{},\n-]{0,6}",
        value in "[a-z0-9 :#'\"-]{0,12}",
    ) {
        let cut = (0..=cut).rev().find(|i| SPEC.is_char_boundary(*i)).unwrap_or(0);
        let yaml = format!("{}{insert}{}", &SPEC[..cut], &SPEC[cut..]);
        for field in [Field::Name, Field::MinReplicas, Field::ServiceMesh] {
            if let Ok(edited) = set_field(&yaml, field, &value) {
                let document: Value = yaml_serde::from_str(&edited).unwrap();
                let written = written(&document, field.path());
                let expected = match (field, value.trim().parse::<i64>()) {
                    (Field::MinReplicas, Ok(n)) => n.to_string(),
                    _ => value.trim().to_string(),
                };
                proptest::prop_assert_eq!(&written, &expected, "{}\n---\n{}", yaml, edited);
            }
        }
    }
}
