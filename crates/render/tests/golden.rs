//! Golden tests: each spec under `tests/specs/` renders to the tree committed
//! under `tests/golden/<case>/`. After an intended change, regenerate with
//! `UPDATE_GOLDEN=1 cargo test -p render --test golden` and review the diff.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use render::{RenderOptions, parse_spec, render};

const CASES: &[&str] = &["nextjs", "fastapi", "axum", "gin-istio"];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative);
            }
        }
    }
    out
}

fn check_case(case: &str, update: bool) -> Vec<String> {
    let yaml = fs::read_to_string(crate_dir().join(format!("tests/specs/{case}.yaml"))).unwrap();
    let spec = parse_spec(&yaml).unwrap_or_else(|e| panic!("{case}: {e:?}"));
    let rendered =
        render(&spec, &RenderOptions::default()).unwrap_or_else(|e| panic!("{case}: {e}"));
    let dir = crate_dir().join("tests/golden").join(case);
    if update {
        let _ = fs::remove_dir_all(&dir);
        for file in &rendered.files {
            let path = dir.join(&file.path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, &file.contents).unwrap();
        }
        return vec![];
    }
    let mut problems = vec![];
    let expected = files_under(&dir);
    let actual: BTreeSet<String> = rendered.files.iter().map(|f| f.path.clone()).collect();
    for missing in expected.difference(&actual) {
        problems.push(format!("{case}: {missing} is no longer rendered"));
    }
    for file in &rendered.files {
        match fs::read_to_string(dir.join(&file.path)) {
            Ok(golden) if golden == file.contents => {}
            Ok(_) => problems.push(format!(
                "{case}: {} differs from the golden file",
                file.path
            )),
            Err(_) => problems.push(format!("{case}: {} is new", file.path)),
        }
    }
    problems
}

#[test]
fn rendered_trees_match_the_golden_files() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let problems: Vec<String> = CASES
        .iter()
        .flat_map(|case| check_case(case, update))
        .collect();
    assert!(
        problems.is_empty(),
        "{}\n\nIf the change is intended: UPDATE_GOLDEN=1 cargo test -p render --test golden, then review git diff.",
        problems.join("\n")
    );
}

/// Every `uses:` of every generated workflow, for every framework, is an action of
/// `render::actions` at its pinned commit with its tag as the comment (or a workflow of
/// the same repository): nothing runs from a tag that can be moved.
#[test]
fn every_action_a_workflow_uses_is_pinned_to_a_commit() {
    let frameworks = [
        ("nodejs", "nextjs"),
        ("nodejs", "express"),
        ("python", "fastapi"),
        ("python", "django"),
        ("python", "flask"),
        ("go", "gin"),
        ("go", "echo"),
        ("rust", "axum"),
        ("rust", "actix"),
        ("java", "spring"),
    ];
    let mut seen = BTreeSet::new();
    for (language, framework) in frameworks {
        let yaml = format!(
            "apiVersion: platform.company.com/v1\nkind: Application\nmetadata:\n  name: svc\n  namespace: team-a\nspec:\n  language: {language}\n  framework: {framework}\n"
        );
        let spec = parse_spec(&yaml).unwrap_or_else(|e| panic!("{framework}: {e:?}"));
        let rendered = render(&spec, &RenderOptions::default()).unwrap();
        let workflows = rendered
            .files
            .iter()
            .filter(|f| f.path.starts_with(".github/workflows/"));
        for file in workflows {
            for line in file.contents.lines() {
                let Some((_, uses)) = line.split_once("uses: ") else {
                    continue;
                };
                assert!(
                    render::actions::is_pinned(uses),
                    "{framework}: {}: `{uses}` is not an action of render::actions at its pinned commit",
                    file.path
                );
                seen.insert(uses.split('@').next().unwrap().to_string());
            }
        }
    }
    let table: BTreeSet<String> = render::actions::ALL
        .iter()
        .map(|a| a.name.to_string())
        .collect();
    let unused: Vec<_> = table.difference(&seen).collect();
    assert!(unused.is_empty(), "pinned but never used: {unused:?}");
}

/// Every custom resource of every golden case (Rollout, AnalysisTemplate, Argo CD
/// Application, VirtualService, DestinationRule, PrometheusRule, ServiceMonitor, PodChaos)
/// passes its CRD's published schema, unknown fields refused; the Grafana dashboard passes
/// Grafana's.
#[test]
fn every_custom_resource_passes_its_crd_schema() {
    let mut problems = Vec::new();
    let mut kinds = BTreeSet::new();
    for case in CASES {
        let yaml =
            fs::read_to_string(crate_dir().join(format!("tests/specs/{case}.yaml"))).unwrap();
        let spec = parse_spec(&yaml).unwrap();
        let rendered = render(&spec, &RenderOptions::default()).unwrap();
        problems.extend(
            render::crd::check(&rendered)
                .iter()
                .chain(&render::dashboard::check(&rendered))
                .map(|p| format!("{case}: {p}")),
        );
        if rendered
            .files
            .iter()
            .any(|f| f.path == render::dashboard::PATH)
        {
            kinds.insert("Grafana dashboard".to_string());
        }
        for file in &rendered.files {
            for line in file.contents.lines() {
                if let Some(kind) = line.strip_prefix("kind: ") {
                    kinds.insert(kind.to_string());
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    for kind in [
        "Rollout",
        "AnalysisTemplate",
        "VirtualService",
        "DestinationRule",
        "PrometheusRule",
        "ServiceMonitor",
        "Application",
        "PodChaos",
        "Grafana dashboard",
    ] {
        assert!(
            kinds.contains(kind),
            "no golden case renders a {kind}: {kinds:?}"
        );
    }
}

/// A misplaced field in each kind of custom resource is caught, named by its path.
#[test]
fn a_broken_field_in_each_custom_resource_is_caught() {
    use serde::Deserialize;
    let mut caught = BTreeSet::new();
    for case in CASES {
        let yaml =
            fs::read_to_string(crate_dir().join(format!("tests/specs/{case}.yaml"))).unwrap();
        let rendered = render(&parse_spec(&yaml).unwrap(), &RenderOptions::default()).unwrap();
        for file in rendered.files.iter().filter(|f| f.path.ends_with(".yaml")) {
            for document in yaml_serde::Deserializer::from_str(&file.contents) {
                let mut resource = serde_json::Value::deserialize(document).unwrap();
                if render::crd::check_resource(&file.path, &resource).is_empty()
                    && resource["spec"].is_object()
                    && resource["apiVersion"].as_str().is_some_and(|v| {
                        [
                            "argoproj.io/",
                            "networking.istio.io/",
                            "monitoring.coreos.com/",
                            "chaos-mesh.org/",
                        ]
                        .iter()
                        .any(|group| v.starts_with(group))
                    })
                {
                    resource["spec"]["replica"] = serde_json::json!(3);
                    let problems = render::crd::check_resource(&file.path, &resource);
                    let kind = resource["kind"].as_str().unwrap().to_string();
                    assert!(
                        problems
                            .iter()
                            .any(|p| p.path == "/spec"
                                && p.message.contains("'replica' was unexpected")),
                        "{case}: {}: {kind}: {problems:?}",
                        file.path
                    );
                    caught.insert(kind);
                }
            }
        }
    }
    assert_eq!(caught.len(), 8, "{caught:?}");
}
