//! The shipped policies are evaluated on every render: a weakened security
//! context or a floating image tag makes the render fail with the list.

use render::{RenderError, RenderOptions, SecurityContext, check, parse_spec, render};

const SPEC: &str = include_str!("specs/nextjs.yaml");

fn violations(opts: &RenderOptions) -> Vec<render::Violation> {
    let spec = parse_spec(SPEC).unwrap();
    match render(&spec, opts) {
        Err(RenderError::PolicyViolations(v)) => v,
        other => panic!("expected policy violations, got {other:?}"),
    }
}

#[test]
fn hardened_defaults_pass_every_policy() {
    let report = check(SPEC, &RenderOptions::default());
    assert!(report.passed(), "{report:?}");
    assert!(report.manifests_checked >= 10, "{report:?}");
}

#[test]
fn a_weakened_security_context_is_refused_with_every_violation_listed() {
    let opts = RenderOptions {
        security_context: SecurityContext {
            run_as_user: 0,
            run_as_non_root: false,
            read_only_root_filesystem: false,
            allow_privilege_escalation: true,
            drop_all_capabilities: false,
        },
        ..RenderOptions::default()
    };
    let found = violations(&opts);
    let policies: std::collections::BTreeSet<&str> =
        found.iter().map(|v| v.policy.as_str()).collect();
    assert_eq!(
        policies.into_iter().collect::<Vec<_>>(),
        [
            "drop-all-capabilities",
            "no-privilege-escalation",
            "no-root-user",
            "read-only-root-filesystem",
            "run-as-non-root"
        ]
    );
    let first = &found[0];
    assert_eq!(first.file, "deploy/k8s/base/deployment.yaml");
    assert_eq!(first.resource, "Deployment/my-web-app");
    let message = RenderError::PolicyViolations(found.clone()).to_string();
    assert!(
        message.contains("[no-root-user] pods must not run as the root user"),
        "{message}"
    );
}

#[test]
fn a_latest_tag_is_refused() {
    let opts = RenderOptions {
        image_tag: "latest".into(),
        ..RenderOptions::default()
    };
    let found = violations(&opts);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].policy, "image-tag-pinned");
    assert!(
        found[0]
            .message
            .contains("ghcr.io/company/my-web-app:latest")
    );
}

#[test]
fn check_reports_violations_without_failing() {
    let opts = RenderOptions {
        image_tag: "latest".into(),
        ..RenderOptions::default()
    };
    let report = check(SPEC, &opts);
    assert!(!report.passed());
    assert_eq!(report.violations.len(), 1);
    assert!(report.spec_errors.is_empty());
}

#[test]
fn the_policies_are_shipped_in_the_output() {
    let spec = parse_spec(SPEC).unwrap();
    let rendered = render(&spec, &RenderOptions::default()).unwrap();
    for (name, source) in render::policy::POLICIES {
        assert_eq!(
            rendered.get(&format!("policy/{name}")).unwrap().contents,
            *source
        );
    }
}
