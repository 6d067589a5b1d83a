//! Portico's kustomize build (`render::kustomize`) against the real kustomize: every overlay
//! of every golden tree, and of the hand-written `tests/kustomize_features/` tree, built by
//! Portico equals what `kubectl kustomize` built (committed in `tests/kustomize/`, written by
//! `scripts/refresh-kustomize-golden.sh`): the same objects, in the same order, compared as
//! parsed YAML. And what is built passes the CRD schemas; a broken overlay is reported.

use std::fs;
use std::path::{Path, PathBuf};

use render::kustomize::{self, BuildError};
use render::{File, RenderOptions, Rendered, parse_spec, render};
use serde::Deserialize;
use serde_json::Value;

/// The specs of `tests/golden.rs`, rendered here.
const RENDERED_CASES: &[&str] = &["nextjs", "fastapi", "axum", "gin-istio"];
/// Trees on disk: the scaffolder's golden paths (rendered by the portal with its own
/// options) and the features tree.
const TREES_ON_DISK: &[(&str, &str)] = &[
    (
        "service-axum-canary",
        "../../server/tests/golden_paths/service-axum-canary",
    ),
    (
        "service-fastapi-blue-green",
        "../../server/tests/golden_paths/service-fastapi-blue-green",
    ),
    ("features", "tests/kustomize_features"),
];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rendered_case(case: &str) -> Rendered {
    let yaml = fs::read_to_string(crate_dir().join(format!("tests/specs/{case}.yaml"))).unwrap();
    let spec = parse_spec(&yaml).unwrap_or_else(|e| panic!("{case}: {e:?}"));
    render(&spec, &RenderOptions::default()).unwrap_or_else(|e| panic!("{case}: {e}"))
}

/// The `deploy/` files of a tree on disk, with paths as the renderer writes them.
fn tree_on_disk(root: &Path) -> Rendered {
    let mut files = Vec::new();
    let mut stack = vec![root.join("deploy")];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(File {
                    path: path
                        .strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .replace('\\', "/"),
                    contents: fs::read_to_string(&path).unwrap(),
                });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Rendered { files }
}

fn all_cases() -> Vec<(String, Rendered)> {
    RENDERED_CASES
        .iter()
        .map(|case| (case.to_string(), rendered_case(case)))
        .chain(
            TREES_ON_DISK
                .iter()
                .map(|(case, dir)| (case.to_string(), tree_on_disk(&crate_dir().join(dir)))),
        )
        .collect()
}

fn documents(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

fn describe(object: &Value) -> String {
    format!(
        "{} {}/{}",
        object["apiVersion"].as_str().unwrap_or("?"),
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// Where two objects first differ, as a JSON pointer with both values.
fn first_difference(path: &str, ours: &Value, theirs: &Value) -> String {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let (x, y) = (a.get(key), b.get(key));
                if x != y {
                    let null = Value::Null;
                    return first_difference(
                        &format!("{path}/{key}"),
                        x.unwrap_or(&null),
                        y.unwrap_or(&null),
                    );
                }
            }
            String::new()
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find(|(_, (x, y))| x != y)
            .map(|(i, (x, y))| first_difference(&format!("{path}/{i}"), x, y))
            .unwrap_or_default(),
        _ => format!("{path}: Portico built {ours}, kustomize {theirs}"),
    }
}

/// Each difference between Portico's build of `overlay` and kubectl's.
fn compare(case: &str, overlay: &str, ours: &[Value], theirs: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let names = |objects: &[Value]| objects.iter().map(describe).collect::<Vec<_>>();
    if names(ours) != names(theirs) {
        problems.push(format!(
            "{case} {overlay}: other objects or another order\n  Portico:   {:?}\n  kustomize: {:?}",
            names(ours),
            names(theirs)
        ));
        return problems;
    }
    for (a, b) in ours.iter().zip(theirs) {
        if a != b {
            problems.push(format!(
                "{case} {overlay}: {}: {}",
                describe(a),
                first_difference("", a, b)
            ));
        }
    }
    problems
}

#[test]
fn every_overlay_builds_as_kubectl_kustomize_builds_it() {
    let expected_dir = crate_dir().join("tests/kustomize");
    let mut problems = Vec::new();
    let mut compared = 0;
    let mut expected_files = 0;
    for (case, rendered) in all_cases() {
        let overlays = kustomize::overlays(&rendered);
        assert!(!overlays.is_empty(), "{case}: no overlay found");
        for overlay in overlays {
            let environment = overlay.rsplit('/').next().unwrap();
            let file = expected_dir.join(&case).join(format!("{environment}.yaml"));
            let Ok(text) = fs::read_to_string(&file) else {
                problems.push(format!(
                    "{case} {overlay}: no kubectl output at {}; run scripts/refresh-kustomize-golden.sh",
                    file.display()
                ));
                continue;
            };
            match kustomize::build(&rendered, &overlay) {
                Ok(ours) => problems.extend(compare(&case, &overlay, &ours, &documents(&text))),
                Err(error) => problems.push(format!("{case}: {error}")),
            }
            compared += 1;
        }
        expected_files += fs::read_dir(expected_dir.join(&case))
            .map(|entries| entries.count())
            .unwrap_or(0);
    }
    assert!(
        problems.is_empty(),
        "{}\n\nIf the golden trees changed on purpose: scripts/refresh-kustomize-golden.sh (needs kubectl), then review git diff.",
        problems.join("\n")
    );
    assert_eq!(
        compared, expected_files,
        "tests/kustomize/ holds outputs of overlays that no longer exist"
    );
    // 4 rendered cases (3 + 2 + 3 + 3 overlays), 2 golden paths (3 each), the features (3).
    assert_eq!(compared, 20);
}

/// What a cluster receives, custom resources included, passes the CRD schemas.
#[test]
fn every_built_overlay_passes_the_crd_schemas() {
    for (case, rendered) in all_cases() {
        let check = kustomize::check(&rendered);
        assert!(check.problems.is_empty(), "{case}: {:?}", check.problems);
        assert!(
            check.crd_problems.is_empty(),
            "{case}: {:#?}",
            check.crd_problems
        );
        assert_eq!(check.built, kustomize::overlays(&rendered).len(), "{case}");
    }
}

/// `gin-istio` with its production overlay's kustomization changed by `change`.
fn broken_production(change: impl Fn(&str) -> String) -> Rendered {
    let mut rendered = rendered_case("gin-istio");
    let file = rendered
        .files
        .iter_mut()
        .find(|f| f.path == "deploy/k8s/overlays/production/kustomization.yaml")
        .unwrap();
    let changed = change(&file.contents);
    assert_ne!(changed, file.contents, "the change did not apply");
    file.contents = changed;
    rendered
}

#[test]
fn a_patch_path_that_does_not_exist_is_reported_with_the_overlay_and_the_object() {
    let rendered = broken_production(|text| {
        text.replace(
            "path: /spec/template/spec/containers/0/resources",
            "path: /spec/template/spec/containerz/0/resources",
        )
    });
    let check = kustomize::check(&rendered);
    assert_eq!(check.built, 2, "development and staging still build");
    assert_eq!(
        check.problems,
        [BuildError {
            overlay: "deploy/k8s/overlays/production".into(),
            file: "deploy/k8s/overlays/production/kustomization.yaml".into(),
            message: "patches[0] on Deployment/inventory (from deploy/k8s/base/deployment.yaml): operation '/0' failed at path '/spec/template/spec/containerz/0/resources': path is invalid".into(),
        }]
    );
    assert_eq!(
        check.problems[0].to_string(),
        "deploy/k8s/overlays/production (kustomize build): deploy/k8s/overlays/production/kustomization.yaml: patches[0] on Deployment/inventory (from deploy/k8s/base/deployment.yaml): operation '/0' failed at path '/spec/template/spec/containerz/0/resources': path is invalid"
    );
}

#[test]
fn a_patch_that_breaks_a_rollout_is_caught_in_the_built_overlay() {
    // The Rollout file is valid on its own; only the build makes replicas a string.
    let rendered = broken_production(|text| {
        assert!(text.trim_end().ends_with("name: inventory"), "{text}");
        format!(
            "{text}  - target:\n      group: argoproj.io\n      kind: Rollout\n    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: two\n"
        )
    });
    assert!(render::crd::check(&rendered).is_empty());
    let check = kustomize::check(&rendered);
    assert!(check.problems.is_empty(), "{:?}", check.problems);
    let lines: Vec<String> = check.crd_problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(
        lines,
        [
            "deploy/k8s/overlays/production (kustomize build): Rollout/inventory: /spec/replicas: \"two\" is not of type \"integer\""
        ]
    );
}

#[test]
fn an_unsupported_kustomization_field_is_an_error_naming_the_file_and_the_field() {
    let rendered = broken_production(|text| {
        format!("{text}configMapGenerator:\n  - name: settings\n    literals: [LOG_LEVEL=debug]\n")
    });
    let check = kustomize::check(&rendered);
    assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
    let problem = &check.problems[0];
    assert_eq!(
        problem.file,
        "deploy/k8s/overlays/production/kustomization.yaml"
    );
    assert!(
        problem.message.starts_with(
            "field \"configMapGenerator\" is not supported by Portico's kustomize build"
        ),
        "{problem}"
    );
}

/// `portico render --check` builds the overlays too.
#[test]
fn the_check_report_builds_every_overlay() {
    let yaml = fs::read_to_string(crate_dir().join("tests/specs/gin-istio.yaml")).unwrap();
    let report = render::check(&yaml, &RenderOptions::default());
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.overlays_built, 3);
    assert!(report.overlay_problems.is_empty());
}
