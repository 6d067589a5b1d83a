//! The `Application` spec: what a developer writes, normalised with every
//! default filled in. Parsing lives in [`parse`]; the language/framework
//! knowledge used for defaults lives in [`crate::stack`].

mod parse;
mod text;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

pub use parse::parse_spec;

/// The only `apiVersion` this crate understands.
pub const API_VERSION: &str = "platform.company.com/v1";
/// The only `kind` this crate understands.
pub const KIND: &str = "Application";

/// A problem in a spec, located by a dotted path such as
/// `spec.scaling.min_replicas` or `spec.environments[1].name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for SpecError {}

/// A validated Application spec with all defaults resolved. Serialising it
/// gives the normalised document (it parses back to the same value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spec {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub metadata: Metadata,
    pub spec: ApplicationSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metadata {
    /// DNS-1123 label; names every generated resource.
    pub name: String,
    /// The team's namespace; defaults to the name.
    pub namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApplicationSpec {
    pub language: Language,
    pub framework: Framework,
    pub build: Build,
    pub scaling: Scaling,
    pub monitoring: Monitoring,
    pub security: Security,
    pub environments: Vec<Environment>,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_mesh: Option<ServiceMesh>,
    /// A pod-failure experiment (Chaos Mesh) on the canary of each canary environment,
    /// judged by the same SLO analysis as the canary; off unless the team opts in.
    #[serde(skip_serializing_if = "Toggle::is_disabled")]
    pub chaos: Toggle,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infrastructure: Option<Infrastructure>,
    /// Extra container ports besides `http` (which is `build.port`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Port>,
    /// Plain (non-secret) environment variables for the container.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    pub lifecycle: Lifecycle,
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in specs and generated files.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn from_name(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            fn expected() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(Language {
    Nodejs => "nodejs",
    Python => "python",
    Go => "go",
    Rust => "rust",
    Java => "java",
});

named_enum!(Framework {
    Nextjs => "nextjs",
    Express => "express",
    Fastapi => "fastapi",
    Django => "django",
    Flask => "flask",
    Gin => "gin",
    Echo => "echo",
    Axum => "axum",
    Actix => "actix",
    Spring => "spring",
});

named_enum!(
    /// Alerts a team can ask for; each maps to SLO burn-rate rules.
    Alert {
        HighErrorRate => "high_error_rate",
        HighLatency => "high_latency",
        LowAvailability => "low_availability",
    }
);

named_enum!(Toggle {
    Enabled => "enabled",
    Disabled => "disabled",
});

impl Toggle {
    fn is_disabled(&self) -> bool {
        *self == Toggle::Disabled
    }
}

named_enum!(PodSecurityStandard {
    Restricted => "restricted",
    Baseline => "baseline",
});

named_enum!(
    /// How a new version reaches an environment.
    Strategy {
        Immediate => "immediate",
        BlueGreen => "blue_green",
        Canary => "canary",
    }
);

named_enum!(Lifecycle {
    Experimental => "experimental",
    Production => "production",
    Deprecated => "deprecated",
});

named_enum!(ServiceMesh { Istio => "istio" });

named_enum!(
    /// Test suites a pipeline can run before promoting to an environment.
    TestSuite {
        Smoke => "smoke",
        Integration => "integration",
        Performance => "performance",
        Contract => "contract",
        Security => "security",
    }
);

impl Framework {
    /// The language a framework is written in.
    pub fn language(self) -> Language {
        match self {
            Framework::Nextjs | Framework::Express => Language::Nodejs,
            Framework::Fastapi | Framework::Django | Framework::Flask => Language::Python,
            Framework::Gin | Framework::Echo => Language::Go,
            Framework::Axum | Framework::Actix => Language::Rust,
            Framework::Spring => Language::Java,
        }
    }
}

impl Language {
    /// The framework assumed when a spec names only the language.
    pub fn default_framework(self) -> Framework {
        match self {
            Language::Nodejs => Framework::Express,
            Language::Python => Framework::Fastapi,
            Language::Go => Framework::Gin,
            Language::Rust => Framework::Axum,
            Language::Java => Framework::Spring,
        }
    }
}

/// How the service is built and probed; `auto_detect` fills every field
/// from the language/framework defaults, explicit fields win.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Build {
    pub auto_detect: bool,
    pub port: u16,
    pub build_command: String,
    pub test_command: String,
    pub liveness_path: String,
    pub readiness_path: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scaling {
    pub min_replicas: u32,
    pub max_replicas: u32,
    /// Target average CPU utilisation, percent.
    pub target_cpu: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Monitoring {
    pub enabled: bool,
    pub alerts: Vec<Alert>,
    pub slo: Slo,
}

/// Service level objectives (seed defaults: 99.9 % over 30 days, p95 500 ms,
/// error rate 0.1 %).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    /// Percent of successful requests, 0 < x < 100.
    pub availability: f64,
    pub latency_p95_ms: u32,
    /// Percent of failed requests tolerated by canary analysis, 0 < x < 100.
    pub error_rate: f64,
    /// SLO window in days.
    pub window_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Security {
    pub network_policies: Toggle,
    pub pod_security_standards: PodSecurityStandard,
    pub image_scanning: Toggle,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Environment {
    pub name: String,
    pub auto_deploy: bool,
    pub branch: String,
    pub tests: Vec<TestSuite>,
    pub approval_required: bool,
    pub strategy: Strategy,
    /// Canary traffic weights in percent, increasing, ending at 100.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub canary_steps: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resources {
    pub auto_size: bool,
    /// Multiplier of the framework's base requests/limits per environment.
    pub environment_factor: BTreeMap<String, f64>,
}

impl Resources {
    /// The factor applied to an environment (1.0 when sizing is manual).
    pub fn factor(&self, environment: &str) -> f64 {
        if !self.auto_size {
            return 1.0;
        }
        self.environment_factor
            .get(environment)
            .copied()
            .unwrap_or(1.0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Infrastructure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terraform: Option<Terraform>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Terraform {
    /// Module source, pinned to a ref; `None` means the platform's
    /// application module in the organisation's terraform-modules repo.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub region: String,
    pub log_retention_days: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Port {
    pub name: String,
    pub port: u16,
}

impl Spec {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn namespace(&self) -> &str {
        &self.metadata.namespace
    }

    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.spec.environments.iter().find(|e| e.name == name)
    }

    /// The normalised spec as YAML (defaults filled in).
    pub fn to_yaml(&self) -> String {
        yaml_serde::to_string(self).expect("a spec always serialises")
    }
}

/// One free-text value of a spec: its path, the value, and a benign value
/// of the same kind (used to find which value broke a generated file).
pub(crate) struct FreeText<'a> {
    pub path: String,
    pub value: &'a mut String,
    pub benign: &'static str,
}

impl Spec {
    /// Every value a developer writes as text (not chosen from a list and
    /// not a number) that reaches a generated file. Names (`metadata.name`,
    /// environment and port names) are DNS labels and not listed.
    pub(crate) fn free_text_mut(&mut self) -> Vec<FreeText<'_>> {
        let field = |path: &str, value, benign| FreeText {
            path: path.to_string(),
            value,
            benign,
        };
        let app = &mut self.spec;
        let mut out = vec![
            field("spec.owner", &mut app.owner, "team"),
            field(
                "spec.build.build_command",
                &mut app.build.build_command,
                "true",
            ),
            field(
                "spec.build.test_command",
                &mut app.build.test_command,
                "true",
            ),
            field(
                "spec.build.liveness_path",
                &mut app.build.liveness_path,
                "/healthz",
            ),
            field(
                "spec.build.readiness_path",
                &mut app.build.readiness_path,
                "/readyz",
            ),
        ];
        if let Some(description) = &mut self.metadata.description {
            out.push(field("metadata.description", description, "description"));
        }
        if let Some(system) = &mut app.system {
            out.push(field("spec.system", system, "system"));
        }
        for (name, value) in &mut app.env {
            out.push(field(&format!("spec.env.{name}"), value, "value"));
        }
        for (i, environment) in app.environments.iter_mut().enumerate() {
            let path = format!("spec.environments[{i}].branch");
            out.push(field(&path, &mut environment.branch, "main"));
        }
        if let Some(terraform) = app
            .infrastructure
            .as_mut()
            .and_then(|i| i.terraform.as_mut())
        {
            if let Some(module) = &mut terraform.module {
                out.push(field(
                    "spec.infrastructure.terraform.module",
                    module,
                    "./modules/application",
                ));
            }
            out.push(field(
                "spec.infrastructure.terraform.region",
                &mut terraform.region,
                "eu-west-1",
            ));
        }
        out
    }
}

/// JSON Schema (draft 2020-12) of the Application spec, for editors. The
/// parser stays the authority for cross-field rules.
pub fn json_schema() -> &'static str {
    include_str!("../schema/application.schema.json")
}
