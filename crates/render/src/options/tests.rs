use serde_json::json;

use super::*;
use crate::{parse_spec, render};

const SPEC: &str = include_str!("../../tests/specs/fastapi.yaml");

fn file<'a>(rendered: &'a crate::Rendered, path: &str) -> &'a str {
    &rendered
        .files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} is not rendered"))
        .contents
}

#[test]
fn an_empty_block_gives_the_defaults() {
    assert_eq!(
        RenderOptions::from_config(&json!({})).unwrap(),
        RenderOptions::default()
    );
}

#[test]
fn the_platform_choices_reach_the_rendered_files() {
    let options = RenderOptions::from_config(&json!({
        "image_registry": "registry.company.com",
        "github_org": "acme",
        "base_images": {"python": {
            "builder": "registry.company.com/python:3.13.1-slim",
            "runtime": "registry.company.com/python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        }},
        "gitops": {"repository": "git@github.example.com:{org}/{name}.git"},
        "clusters": {"production": "prod-eu-west-1"},
        "policies": ["security"]
    }))
    .unwrap();
    let spec = parse_spec(SPEC).unwrap();
    let rendered = render(&spec, &options).unwrap();
    let dockerfile = file(&rendered, "Dockerfile");
    assert!(
        dockerfile.contains("FROM registry.company.com/python:3.13.1-slim AS build"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("FROM registry.company.com/python@sha256:0123"),
        "{dockerfile}"
    );
    let name = spec.name();
    let production = file(&rendered, "deploy/argocd/production.yaml");
    assert!(
        production.contains(&format!("repoURL: git@github.example.com:acme/{name}.git")),
        "{production}"
    );
    assert!(
        production.contains("    name: prod-eu-west-1\n"),
        "{production}"
    );
    let staging = file(&rendered, "deploy/argocd/staging.yaml");
    assert!(staging.contains("    name: staging\n"), "{staging}");
    assert!(
        rendered
            .files
            .iter()
            .any(|f| f.path == "policy/security.rego")
    );
    assert!(
        !rendered
            .files
            .iter()
            .any(|f| f.path == "policy/workload.rego")
    );
    let deployment = file(&rendered, "deploy/k8s/base/deployment.yaml");
    assert!(
        deployment.contains(&format!("image: registry.company.com/acme/{name}:")),
        "{deployment}"
    );
}

#[test]
fn only_the_chosen_policies_are_enforced() {
    // A weakened security context breaks the security policy only.
    let weakened = |policies: serde_json::Value| {
        let mut options = RenderOptions::from_config(&json!({ "policies": policies })).unwrap();
        options.security_context.run_as_non_root = false;
        render(&parse_spec(SPEC).unwrap(), &options)
    };
    assert!(matches!(
        weakened(json!(["security", "workload"])),
        Err(crate::RenderError::PolicyViolations(_))
    ));
    assert!(weakened(json!(["workload"])).is_ok());
}

#[test]
fn every_bad_value_is_refused_with_its_key() {
    for (block, path, words) in [
        (json!([]), "render", "map"),
        (
            json!({"registry": "x"}),
            "render.registry",
            "image_registry",
        ),
        (
            json!({"image_registry": "https://ghcr.io"}),
            "render.image_registry",
            "without a scheme",
        ),
        (
            json!({"image_registry": "ghcr.io; rm"}),
            "render.image_registry",
            "only letters",
        ),
        (json!({"github_org": ""}), "render.github_org", "non-empty"),
        (
            json!({"github_org": "a/b"}),
            "render.github_org",
            "single name",
        ),
        (
            json!({"image_tag": "latest"}),
            "render.image_tag",
            "never latest",
        ),
        (
            json!({"grafana_url": "grafana.company.com"}),
            "render.grafana_url",
            "http(s) URL",
        ),
        (
            json!({"base_images": {"cobol": {}}}),
            "render.base_images.cobol",
            "nodejs, python",
        ),
        (
            json!({"base_images": {"go": {"builder": "golang:1.23"}}}),
            "render.base_images.go.runtime",
            "missing",
        ),
        (
            json!({"base_images": {"go": {"builder": "golang", "runtime": "x:1"}}}),
            "render.base_images.go.builder",
            "fixed version",
        ),
        (
            json!({"base_images": {"go": {"builder": "golang:latest", "runtime": "x:1"}}}),
            "render.base_images.go.builder",
            "not latest",
        ),
        (
            json!({"base_images": {"go": {"builder": "g:1", "runtime": "x@sha256:12"}}}),
            "render.base_images.go.runtime",
            "64 hex",
        ),
        (
            json!({"base_images": {"go": {"builder": "g:1", "runtime": "x:1", "test": "y:1"}}}),
            "render.base_images.go.test",
            "builder and runtime",
        ),
        (
            json!({"gitops": {"repo": "x"}}),
            "render.gitops.repo",
            "repository",
        ),
        (
            json!({"gitops": {"repository": "ftp://x/{name}"}}),
            "render.gitops.repository",
            "Git URL",
        ),
        (
            json!({"gitops": {"repository": "https://x/{name}\nkind: Secret"}}),
            "render.gitops.repository",
            "Git URL",
        ),
        (
            json!({"clusters": {"production": 3}}),
            "render.clusters.production",
            "string",
        ),
        (
            json!({"clusters": {"production": "prod_1"}}),
            "render.clusters.production",
            "cluster name",
        ),
        (
            json!({"policies": "security"}),
            "render.policies",
            "security, workload",
        ),
        (
            json!({"policies": ["security", "cost"]}),
            "render.policies[1]",
            "security, workload",
        ),
    ] {
        let error = RenderOptions::from_config(&block).unwrap_err();
        assert_eq!(error.path, path, "{block}: {error}");
        assert!(error.message.contains(words), "{block}: {error}");
    }
}
