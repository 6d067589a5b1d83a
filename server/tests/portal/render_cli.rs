//! `portico render` as users run it: the built binary, no configuration, no database.

use crate::support::portico_bare;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary with an empty environment (no DATABASE_URL, no PORTICO_*), run in `cwd`.
fn portico(cwd: &Path) -> Command {
    let mut command = portico_bare();
    command.current_dir(cwd);
    command
}

fn spec_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../crates/render/tests/specs/{name}.yaml"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(cwd: &Path, args: &[&str]) -> Output {
    portico(cwd).args(args).output().unwrap()
}

const BAD_SPEC: &str = "apiVersion: platform.company.com/v1
kind: Application
metadata:
  name: shop
spec:
  language: cobol
  scaling:
    min_replicas: 12
    max_replicas: 10
";

#[test]
fn render_writes_the_whole_tree_and_touches_nothing_else() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let spec = spec_path("nextjs");
    let output = run(
        work.path(),
        &[
            "render",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("wrote"),
        "{}",
        text(&output.stdout)
    );

    // The same files, byte for byte, as the library renders.
    let expected = render::render(
        &render::parse_spec(&std::fs::read_to_string(&spec).unwrap()).unwrap(),
        &render::RenderOptions::default(),
    )
    .unwrap();
    for file in &expected.files {
        let written = std::fs::read_to_string(out.join(&file.path))
            .unwrap_or_else(|e| panic!("{}: {e}", file.path));
        assert_eq!(written, file.contents, "{}", file.path);
    }
    assert!(out.join("Dockerfile").is_file());
    assert!(out.join(".github/workflows/ci.yml").is_file());
    assert!(
        out.join("deploy/k8s/overlays/production/rollout.yaml")
            .is_file()
    );
    // No database, no ./data: the working directory holds only the output.
    let entries: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["out"]);
}

#[test]
fn env_renders_one_environment() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let output = run(
        work.path(),
        &[
            "render",
            spec_path("nextjs").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--env",
            "production",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(out.join("deploy/k8s/overlays/production").is_dir());
    assert!(!out.join("deploy/k8s/overlays/development").exists());

    let output = run(
        work.path(),
        &[
            "render",
            spec_path("nextjs").to_str().unwrap(),
            "--check",
            "--env",
            "moon",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("\"moon\""),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn check_passes_a_good_spec_without_writing() {
    let work = tempfile::tempdir().unwrap();
    for name in ["nextjs", "fastapi", "axum", "gin-istio"] {
        let output = run(
            work.path(),
            &["render", spec_path(name).to_str().unwrap(), "--check"],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "{name}: {}",
            text(&output.stderr)
        );
        assert!(
            text(&output.stdout).starts_with("ok: "),
            "{}",
            text(&output.stdout)
        );
        assert!(output.stderr.is_empty());
    }
    assert_eq!(std::fs::read_dir(work.path()).unwrap().count(), 0);
}

#[test]
fn a_bad_spec_fails_with_every_error_and_its_path() {
    let work = tempfile::tempdir().unwrap();
    let spec = work.path().join("app.yaml");
    std::fs::write(&spec, BAD_SPEC).unwrap();
    let out = work.path().join("out");
    for args in [
        vec!["render", "app.yaml", "--check"],
        vec!["render", "app.yaml", "--out", out.to_str().unwrap()],
    ] {
        let output = run(work.path(), &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("spec.language: "), "{stderr}");
        assert!(stderr.contains("spec.scaling.min_replicas: "), "{stderr}");
        assert!(stderr.lines().count() >= 2, "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert!(!out.exists(), "a refused render writes nothing");
}

#[test]
fn unreadable_and_invalid_yaml_fail_with_exit_1() {
    let work = tempfile::tempdir().unwrap();
    let output = run(work.path(), &["render", "missing.yaml", "--check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).starts_with("missing.yaml: cannot read"));

    std::fs::write(work.path().join("broken.yaml"), "spec: [unclosed").unwrap();
    let output = run(work.path(), &["render", "broken.yaml", "--check"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).starts_with("<document>: "),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_non_empty_directory_is_refused_unless_forced() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("README.md"), "mine").unwrap();
    let spec = spec_path("axum");
    let args = [
        "render",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];

    let output = run(work.path(), &args);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("not empty"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.join("Dockerfile").exists());

    let output = portico(work.path())
        .args(args)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(out.join("Dockerfile").is_file());
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        "mine"
    );
}

#[cfg(unix)]
#[test]
fn forced_writes_never_follow_a_link_out_of_the_directory() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let elsewhere = work.path().join("elsewhere");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("deploy")).unwrap();
    let spec = spec_path("axum");
    let output = run(
        work.path(),
        &[
            "render",
            spec.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--force",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("outside"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn usage_errors_exit_2() {
    let work = tempfile::tempdir().unwrap();
    // Neither --out nor --check.
    let output = run(work.path(), &["render", "app.yaml"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = run(
        work.path(),
        &["render", "app.yaml", "--check", "--out", "x"],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn render_uses_the_render_block_of_portico_yaml_in_the_working_directory() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let spec = spec_path("fastapi");
    std::fs::write(
        work.path().join("portico.yaml"),
        "render:\n  base_images:\n    python:\n      builder: registry.company.com/python:3.12.8-slim\n      runtime: registry.company.com/python:3.12.8-slim\n  clusters:\n    production: prod-eu-1\n",
    )
    .unwrap();
    let args = [
        "render",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(work.path(), &args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let dockerfile = std::fs::read_to_string(out.join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains("FROM registry.company.com/python:3.12.8-slim AS build"),
        "{dockerfile}"
    );
    let production = std::fs::read_to_string(out.join("deploy/argocd/production.yaml")).unwrap();
    assert!(production.contains("name: prod-eu-1"), "{production}");

    // A bad value stops the command, naming the key; nothing is written.
    std::fs::write(
        work.path().join("portico.yaml"),
        "render:\n  image_tag: latest\n",
    )
    .unwrap();
    let out = work.path().join("out-2");
    let args = [
        "render",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    let output = run(work.path(), &args);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output.stderr).contains("render.image_tag"),
        "{}",
        text(&output.stderr)
    );
    assert!(!out.exists());
}
