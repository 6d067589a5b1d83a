//! What the platform knows about each language and framework: ports,
//! commands, health paths, pinned base images and base resource sizes.
//! `build.auto_detect` fills a spec from here.

use crate::actions::{self, PinnedAction};
use crate::spec::{Framework, Language};

/// Build and runtime defaults for one framework.
#[derive(Debug, Clone, Copy)]
pub struct FrameworkDefaults {
    pub port: u16,
    pub build_command: &'static str,
    pub test_command: &'static str,
    pub liveness_path: &'static str,
    pub readiness_path: &'static str,
    /// Backstage component type.
    pub component_type: &'static str,
    /// Requests for one replica at environment factor 1.0.
    pub base: BaseResources,
}

/// Requests at factor 1.0; limits are derived (see [`crate::sizing`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaseResources {
    pub cpu_millis: u32,
    pub memory_mib: u32,
}

/// Pinned images and tool commands per language.
#[derive(Debug, Clone, Copy)]
pub struct LanguageDefaults {
    pub builder_image: &'static str,
    pub runtime_image: &'static str,
    pub lint_command: &'static str,
    pub format_check_command: &'static str,
    /// Coverage gate, percent (seed: 80).
    pub coverage_threshold: u32,
    /// GitHub Actions setup step: the pinned action, its `with` key and the version.
    pub setup_action: PinnedAction,
    pub setup_key: &'static str,
    pub setup_version: &'static str,
    /// Paths never sent to the Docker build context.
    pub dockerignore: &'static [&'static str],
}

/// The fixed non-root uid/gid every image and pod runs as (≥ 10000 so it
/// never collides with a host user).
pub const RUN_AS_USER: u32 = 10001;

pub fn framework(framework: Framework) -> FrameworkDefaults {
    // Base sizes reflect each runtime's idle footprint plus headroom:
    // JVM and Next.js SSR are heavier, Go/Rust binaries are lean.
    let (port, build, test, live, ready, kind, cpu, mem) = match framework {
        Framework::Nextjs => (
            "3000",
            "npm run build",
            "npm test -- --coverage",
            "/api/health",
            "/api/ready",
            "website",
            250,
            512,
        ),
        Framework::Express => (
            "3000",
            "npm run build --if-present",
            "npm test -- --coverage",
            "/healthz",
            "/readyz",
            "service",
            200,
            256,
        ),
        Framework::Fastapi => (
            "8000",
            "pip install --no-cache-dir -r requirements.txt",
            "pytest --cov --cov-fail-under=80",
            "/healthz",
            "/readyz",
            "service",
            200,
            256,
        ),
        Framework::Django => (
            "8000",
            "pip install --no-cache-dir -r requirements.txt",
            "pytest --cov --cov-fail-under=80",
            "/healthz/",
            "/readyz/",
            "service",
            250,
            384,
        ),
        Framework::Flask => (
            "8000",
            "pip install --no-cache-dir -r requirements.txt",
            "pytest --cov --cov-fail-under=80",
            "/healthz",
            "/readyz",
            "service",
            150,
            256,
        ),
        Framework::Gin | Framework::Echo => (
            "8080",
            "go build -trimpath -ldflags=-s -o /out/app .",
            "go test -race -coverprofile=coverage.out ./...",
            "/healthz",
            "/readyz",
            "service",
            100,
            128,
        ),
        Framework::Axum | Framework::Actix => (
            "8080",
            "cargo build --release --locked",
            "cargo test --locked",
            "/healthz",
            "/readyz",
            "service",
            100,
            128,
        ),
        Framework::Spring => (
            "8080",
            "./mvnw -B package -DskipTests",
            "./mvnw -B verify",
            "/actuator/health/liveness",
            "/actuator/health/readiness",
            "service",
            500,
            768,
        ),
    };
    FrameworkDefaults {
        port: port.parse().expect("static port"),
        build_command: build,
        test_command: test,
        liveness_path: live,
        readiness_path: ready,
        component_type: kind,
        base: BaseResources {
            cpu_millis: cpu,
            memory_mib: mem,
        },
    }
}

pub fn language(language: Language) -> LanguageDefaults {
    match language {
        Language::Nodejs => LanguageDefaults {
            builder_image: "node:22.12.0-alpine3.21",
            runtime_image: "node:22.12.0-alpine3.21",
            lint_command: "npm run lint",
            format_check_command: "npx --no-install prettier --check .",
            coverage_threshold: 80,
            setup_action: actions::SETUP_NODE,
            setup_key: "node-version",
            setup_version: "22",
            dockerignore: &["node_modules", ".next", "coverage", "npm-debug.log"],
        },
        Language::Python => LanguageDefaults {
            builder_image: "python:3.12.8-slim-bookworm",
            runtime_image: "python:3.12.8-slim-bookworm",
            lint_command: "ruff check .",
            format_check_command: "ruff format --check .",
            coverage_threshold: 80,
            setup_action: actions::SETUP_PYTHON,
            setup_key: "python-version",
            setup_version: "3.12",
            dockerignore: &[
                "__pycache__",
                "*.pyc",
                ".venv",
                ".pytest_cache",
                ".coverage",
            ],
        },
        Language::Go => LanguageDefaults {
            builder_image: "golang:1.23.4-alpine3.21",
            runtime_image: "gcr.io/distroless/static-debian12:nonroot",
            lint_command: "go vet ./...",
            format_check_command: "test -z \"$(gofmt -l .)\"",
            coverage_threshold: 80,
            setup_action: actions::SETUP_GO,
            setup_key: "go-version",
            setup_version: "1.23",
            dockerignore: &["bin", "coverage.out", "vendor"],
        },
        Language::Rust => LanguageDefaults {
            builder_image: "rust:1.83.0-slim-bookworm",
            runtime_image: "gcr.io/distroless/cc-debian12:nonroot",
            lint_command: "cargo clippy --all-targets -- -D warnings",
            format_check_command: "cargo fmt --all -- --check",
            coverage_threshold: 80,
            setup_action: actions::SETUP_RUST,
            setup_key: "toolchain",
            setup_version: "1.83.0",
            dockerignore: &["target"],
        },
        Language::Java => LanguageDefaults {
            builder_image: "eclipse-temurin:21.0.5_11-jdk-jammy",
            runtime_image: "eclipse-temurin:21.0.5_11-jre-jammy",
            lint_command: "./mvnw -B checkstyle:check",
            format_check_command: "./mvnw -B spotless:check",
            coverage_threshold: 80,
            setup_action: actions::SETUP_JAVA,
            setup_key: "java-version",
            setup_version: "21",
            dockerignore: &["target", ".mvn/wrapper/maven-wrapper.jar"],
        },
    }
}

/// The container's start command in Dockerfile exec form. Nothing here may
/// write outside `/tmp`: the root filesystem is read-only.
pub fn start_command(framework: Framework, name: &str) -> String {
    let parts: Vec<String> = match framework {
        Framework::Nextjs => vec!["node_modules/.bin/next".into(), "start".into()],
        Framework::Express => vec!["node".into(), "index.js".into()],
        Framework::Fastapi => [
            "uvicorn",
            "app.main:app",
            "--host",
            "0.0.0.0",
            "--port",
            "8000",
        ]
        .map(String::from)
        .to_vec(),
        Framework::Django => [
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            "0.0.0.0:8000",
        ]
        .map(String::from)
        .to_vec(),
        Framework::Flask => ["gunicorn", "app:app", "--bind", "0.0.0.0:8000"]
            .map(String::from)
            .to_vec(),
        Framework::Gin | Framework::Echo | Framework::Axum | Framework::Actix => {
            vec![format!("/usr/local/bin/{name}")]
        }
        Framework::Spring => ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/app.jar"]
            .map(String::from)
            .to_vec(),
    };
    let quoted: Vec<String> = parts.iter().map(|p| format!("\"{p}\"")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Directories the framework writes at run time, mounted as `emptyDir`
/// besides `/tmp`.
pub fn writable_paths(framework: Framework) -> &'static [&'static str] {
    match framework {
        Framework::Nextjs => &["/app/.next/cache"],
        _ => &[],
    }
}
