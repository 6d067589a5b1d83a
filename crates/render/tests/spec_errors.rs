//! Spec errors: every kind, all reported at once, each with its path.

use render::{SpecError, parse_spec};

fn errors(yaml: &str) -> Vec<String> {
    parse_spec(yaml)
        .unwrap_err()
        .iter()
        .map(SpecError::to_string)
        .collect()
}

const HEAD: &str =
    "apiVersion: platform.company.com/v1\nkind: Application\nmetadata:\n  name: shop\n";

#[test]
fn every_problem_is_reported_at_once_with_its_path() {
    let yaml = format!(
        "{HEAD}spec:
  language: nodejs
  framework: fastapi
  colour: blue
  scaling:
    min_replicas: 12
    max_replicas: 10
    target_cpu: \"high\"
  security:
    network_policies: maybe
  environments:
    - name: staging
      strategy: rolling
    - name: staging
  resources:
    environment_factor:
      staging: 0
"
    );
    let found = errors(&yaml);
    let expected = [
        "spec.colour: unknown field; expected one of:",
        "spec.scaling.min_replicas: must be ≤ max_replicas (10)",
        "spec.environments[1].name: duplicate environment name \"staging\"",
        "spec.framework: \"fastapi\" is a python framework, not a nodejs one; for nodejs use one of: nextjs, express",
        "spec.scaling.target_cpu: expected an integer, found a string",
        "spec.security.network_policies: unknown value \"maybe\"; expected one of: enabled, disabled",
        "spec.environments[0].strategy: unknown strategy \"rolling\"; expected one of: immediate, blue_green, canary",
    ];
    for want in expected {
        assert!(
            found.iter().any(|f| f.starts_with(want)),
            "missing {want:?} in {found:#?}"
        );
    }
}

#[test]
fn min_replicas_above_max_names_the_max() {
    let found = errors(&format!(
        "{HEAD}spec:\n  language: go\n  scaling:\n    min_replicas: 12\n    max_replicas: 10\n"
    ));
    assert_eq!(
        found,
        ["spec.scaling.min_replicas: must be ≤ max_replicas (10)"]
    );
}

#[test]
fn duplicate_environments_and_bad_factors() {
    let found = errors(&format!(
        "{HEAD}spec:\n  language: go\n  environments:\n    - name: prod\n    - name: prod\n"
    ));
    assert_eq!(
        found,
        ["spec.environments[1].name: duplicate environment name \"prod\""]
    );
    let found = errors(&format!(
        "{HEAD}spec:\n  language: go\n  resources:\n    environment_factor:\n      staging: -1\n      qa: 1\n"
    ));
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found.contains(
            &"spec.resources.environment_factor.staging: must be > 0 and ≤ 4".to_string()
        )
    );
    assert!(
        found[0].starts_with("spec.resources.environment_factor.qa: unknown field"),
        "{found:?}"
    );
}

#[test]
fn unknown_language_and_missing_fields() {
    let found = errors("apiVersion: v2\nkind: Pod\nmetadata: {}\nspec:\n  language: cobol\n");
    assert!(found.contains(
        &"apiVersion: \"v2\" is not supported; expected platform.company.com/v1".to_string()
    ));
    assert!(found.contains(&"kind: \"Pod\" is not supported; expected Application".to_string()));
    assert!(found.contains(&"metadata.name: required".to_string()));
    assert!(
        found
            .iter()
            .any(|f| f.starts_with("spec.language: unknown language \"cobol\""))
    );
}

#[test]
fn wrong_types_and_bad_values() {
    let found = errors(&format!(
        "{HEAD}spec:
  language: rust
  build: [1]
  monitoring:
    enabled: yes please
    slo:
      availability: 100
  environments:
    - name: Prod!
    - name: canary-env
      strategy: immediate
      canary_steps: [10, 100]
  env:
    lower: x
"
    ));
    for want in [
        "spec.build: expected a mapping, found a list",
        "spec.monitoring.enabled: expected true or false, found a string",
        "spec.monitoring.slo.availability: must be a percentage strictly between 0 and 100",
        "spec.environments[0].name: \"Prod!\" must be a DNS label",
        "spec.environments[1].canary_steps: only allowed with strategy canary, not immediate",
        "spec.env.lower: variable names must match [A-Z_][A-Z0-9_]*",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(want)),
            "missing {want:?} in {found:#?}"
        );
    }
}

#[test]
fn invalid_yaml_is_one_error() {
    let found = errors("spec: [unclosed");
    assert_eq!(found.len(), 1);
    assert!(found[0].starts_with("<document>: not valid YAML"));
}

#[test]
fn defaults_follow_the_issue() {
    let spec = parse_spec(&format!(
        "{HEAD}spec:\n  language: nodejs\n  framework: nextjs\n"
    ))
    .unwrap();
    let app = &spec.spec;
    assert_eq!(
        (
            app.scaling.min_replicas,
            app.scaling.max_replicas,
            app.scaling.target_cpu
        ),
        (2, 10, 70)
    );
    assert_eq!(
        (
            app.monitoring.slo.availability,
            app.monitoring.slo.latency_p95_ms,
            app.monitoring.slo.error_rate
        ),
        (99.9, 500, 0.1)
    );
    let strategies: Vec<_> = app
        .environments
        .iter()
        .map(|e| (e.name.as_str(), e.strategy.as_str(), e.approval_required))
        .collect();
    assert_eq!(
        strategies,
        [
            ("development", "immediate", false),
            ("staging", "blue_green", false),
            ("production", "canary", true)
        ]
    );
    assert_eq!(app.environments[2].canary_steps, [10, 50, 100]);
    assert_eq!(app.resources.factor("development"), 0.5);
    assert_eq!(app.resources.factor("staging"), 0.8);
    assert_eq!(app.resources.factor("production"), 1.0);
    assert_eq!(spec.metadata.namespace, "shop");
    // The normalised spec parses back to itself.
    assert_eq!(parse_spec(&spec.to_yaml()).unwrap(), spec);
}
