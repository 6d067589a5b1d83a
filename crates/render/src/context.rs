//! Everything the templates need, computed once per render so templates
//! stay declarative: sizing and SLO arithmetic happen here. Values stay
//! raw; each template escapes them for its format with the filters of
//! `artifacts` (see `escape`).

use crate::escape;
use crate::options::{RenderOptions, SecurityContext};
use crate::sizing::{self, ContainerResources};
use crate::spec::{Alert, Framework, Language, Spec, Strategy, Toggle};
use crate::stack;

pub struct Context {
    pub header: String,
    /// Recommended Kubernetes labels on every resource.
    pub labels: Vec<(&'static str, String)>,
    pub name: String,
    pub namespace: String,
    /// The spec's description, or the name when it has none.
    pub description: String,
    pub owner: String,
    pub system: Option<String>,
    pub lifecycle: &'static str,
    pub component_type: &'static str,
    pub language: Language,
    pub framework: Framework,
    pub org: String,
    pub source_template: Option<String>,
    pub repo_url: String,
    pub image: String,
    pub registry: String,
    pub image_tag: String,
    pub port: u16,
    pub liveness_path: String,
    pub readiness_path: String,
    pub build_command: String,
    pub test_command: String,
    pub lang: stack::LanguageDefaults,
    /// The language's images, or the platform's replacements for them.
    pub builder_image: String,
    pub runtime_image: String,
    /// The shipped policies enforced and written into the repository.
    pub policies: Vec<String>,
    pub start_command: String,
    pub extra_ports: Vec<(String, u16)>,
    /// (NAME, value)
    pub env: Vec<(String, String)>,
    /// (volume name, mount path) besides /tmp.
    pub writable_paths: Vec<(String, String)>,
    pub min_replicas: u32,
    pub max_replicas: u32,
    pub target_cpu: u32,
    pub pod_security_standard: &'static str,
    pub network_policies: bool,
    pub istio: bool,
    /// A pod-failure experiment on the canary (`spec.chaos: enabled`).
    pub chaos: bool,
    pub image_scanning: bool,
    pub monitoring: bool,
    pub alert_error_rate: bool,
    pub alert_latency: bool,
    pub alert_availability: bool,
    pub slo: SloContext,
    pub base_resources: ContainerResources,
    /// Environments whose overlay, Argo CD app and tfvars are rendered.
    pub environments: Vec<EnvironmentContext>,
    /// Every environment of the spec (the pipeline always covers them all).
    pub all_environments: Vec<EnvironmentContext>,
    pub sc: SecurityContext,
    pub run_as_group: u32,
    pub prometheus_url: String,
    pub grafana_url: String,
    pub app_domain: String,
    pub terraform: Option<TerraformContext>,
    /// The normalised Application spec, as YAML.
    pub spec_yaml: String,
}

pub struct SloContext {
    /// e.g. "99.9"
    pub availability_percent: String,
    /// 1 - availability, e.g. "0.001"
    pub error_budget: String,
    /// Tolerated error ratio for canary analysis, e.g. "0.001".
    pub error_rate_ratio: String,
    pub latency_seconds: String,
    pub latency_ms: u32,
    pub window_days: u32,
    pub burn_alerts: Vec<BurnAlert>,
}

/// One multi-window multi-burn-rate alert (Google SRE workbook, ch. 5).
pub struct BurnAlert {
    pub long_window: &'static str,
    pub short_window: &'static str,
    pub burn_rate: &'static str,
    /// burn rate × error budget
    pub threshold: String,
    pub severity: &'static str,
    pub for_duration: &'static str,
}

pub struct EnvironmentContext {
    pub name: String,
    /// The Argo CD cluster the environment deploys to.
    pub cluster: String,
    pub strategy: Strategy,
    pub auto_deploy: bool,
    pub approval_required: bool,
    pub branch: String,
    pub tests: Vec<&'static str>,
    pub factor: String,
    pub resources: ContainerResources,
    pub canary_steps: Vec<CanaryStep>,
    /// Lowercase snake name usable as a workflow job id.
    pub job_id: String,
    /// The workflow job this environment's deploy waits for.
    pub needs: String,
    /// The deploy job's `if:` expression: a push to the branch.
    pub deploy_condition: String,
}

pub struct CanaryStep {
    pub weight: u32,
    /// Pause after the weight is set, e.g. "10m".
    pub pause: String,
}

pub struct TerraformContext {
    pub module: String,
    pub region: String,
    pub log_retention_days: u32,
}

impl Context {
    pub fn new(spec: &Spec, opts: &RenderOptions) -> Context {
        let app = &spec.spec;
        let framework = stack::framework(app.framework);
        let all_environments: Vec<EnvironmentContext> = app
            .environments
            .iter()
            .map(|e| environment(spec, e, framework.base, opts))
            .collect();
        let environments = app
            .environments
            .iter()
            .filter(|e| opts.environment.as_ref().is_none_or(|only| *only == e.name))
            .map(|e| environment(spec, e, framework.base, opts))
            .collect();
        Context {
            header: format!(
                "# Generated by Portico from the Application spec \"{}\" — do not edit; change the spec and render again.",
                spec.name()
            ),
            labels: vec![
                ("app.kubernetes.io/name", spec.name().to_string()),
                (
                    "app.kubernetes.io/part-of",
                    app.system
                        .clone()
                        .unwrap_or_else(|| spec.name().to_string()),
                ),
                ("app.kubernetes.io/managed-by", "portico".to_string()),
            ],
            name: spec.name().to_string(),
            namespace: spec.namespace().to_string(),
            description: spec
                .metadata
                .description
                .clone()
                .unwrap_or_else(|| spec.name().to_string()),
            owner: app.owner.clone(),
            system: app.system.clone(),
            lifecycle: app.lifecycle.as_str(),
            component_type: framework.component_type,
            language: app.language,
            framework: app.framework,
            org: opts.github_org.clone(),
            source_template: opts.source_template.clone(),
            repo_url: opts.gitops_repository_for(spec.name()),
            image: format!(
                "{}/{}/{}",
                opts.image_registry,
                opts.github_org,
                spec.name()
            ),
            registry: opts.image_registry.clone(),
            image_tag: opts.image_tag.clone(),
            port: app.build.port,
            liveness_path: app.build.liveness_path.clone(),
            readiness_path: app.build.readiness_path.clone(),
            build_command: app.build.build_command.clone(),
            test_command: app.build.test_command.clone(),
            lang: stack::language(app.language),
            policies: opts.policies.clone(),
            builder_image: opts.base_images.get(&app.language).map_or_else(
                || stack::language(app.language).builder_image.to_string(),
                |images| images.builder.clone(),
            ),
            runtime_image: opts.base_images.get(&app.language).map_or_else(
                || stack::language(app.language).runtime_image.to_string(),
                |images| images.runtime.clone(),
            ),
            start_command: stack::start_command(app.framework, spec.name()),
            extra_ports: app.ports.iter().map(|p| (p.name.clone(), p.port)).collect(),
            env: app
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            writable_paths: stack::writable_paths(app.framework)
                .iter()
                .enumerate()
                .map(|(i, path)| (format!("writable-{i}"), path.to_string()))
                .collect(),
            min_replicas: app.scaling.min_replicas,
            max_replicas: app.scaling.max_replicas,
            target_cpu: app.scaling.target_cpu,
            pod_security_standard: app.security.pod_security_standards.as_str(),
            network_policies: app.security.network_policies == Toggle::Enabled,
            istio: app.service_mesh.is_some(),
            chaos: app.chaos == Toggle::Enabled,
            image_scanning: app.security.image_scanning == Toggle::Enabled,
            monitoring: app.monitoring.enabled,
            alert_error_rate: app.monitoring.alerts.contains(&Alert::HighErrorRate),
            alert_latency: app.monitoring.alerts.contains(&Alert::HighLatency),
            alert_availability: app.monitoring.alerts.contains(&Alert::LowAvailability),
            slo: slo(spec),
            base_resources: sizing::size(framework.base, 1.0),
            environments,
            all_environments,
            sc: opts.security_context.clone(),
            run_as_group: opts.security_context.run_as_user,
            prometheus_url: opts.prometheus_url.clone(),
            grafana_url: opts.grafana_url.clone(),
            app_domain: opts.app_domain.clone(),
            terraform: app
                .infrastructure
                .as_ref()
                .and_then(|i| i.terraform.as_ref())
                .map(|tf| TerraformContext {
                    module: tf.module.clone().unwrap_or_else(|| {
                        format!("git::https://github.com/{}/terraform-modules.git//application?ref=v1.0.0", opts.github_org)
                    }),
                    region: tf.region.clone(),
                    log_retention_days: tf.log_retention_days,
                }),
            spec_yaml: spec.to_yaml(),
        }
    }

    /// Branches that trigger the pipeline, sorted and unique.
    pub fn branches(&self) -> Vec<&str> {
        let set: std::collections::BTreeSet<&str> = self
            .all_environments
            .iter()
            .map(|e| e.branch.as_str())
            .collect();
        set.into_iter().collect()
    }

    /// The name of the CI step that builds the image and pushes it from
    /// the deploy branches.
    pub fn build_step_name(&self) -> String {
        format!("Build (and push on {})", self.branches().join(", "))
    }

    /// A GitHub Actions expression, `${{ expr }}` (askama would read the
    /// braces as its own).
    pub fn gh(&self, expr: &str) -> String {
        format!("${{{{ {expr} }}}}")
    }

    pub fn is_java(&self) -> bool {
        self.language == Language::Java
    }

    /// The command running one named test suite after a deploy.
    pub fn suite_command(&self, suite: &str) -> String {
        match self.language {
            Language::Nodejs => format!("npm run test:{suite}"),
            Language::Python => format!("pytest tests/{suite}"),
            Language::Go => format!("go test -tags={suite} ./tests/{suite}/..."),
            Language::Rust => format!("cargo test --locked --test {suite}"),
            Language::Java => format!("./mvnw -B verify -P{suite}"),
        }
    }
}

fn environment(
    spec: &Spec,
    env: &crate::spec::Environment,
    base: stack::BaseResources,
    opts: &RenderOptions,
) -> EnvironmentContext {
    let factor = spec.spec.resources.factor(&env.name);
    // The seed's canary: 10 % for 10 minutes, 50 % for 20 minutes; longer
    // pauses at higher weights expose more traffic before full promotion.
    let canary_steps = env
        .canary_steps
        .iter()
        .filter(|w| **w < 100)
        .enumerate()
        .map(|(i, w)| CanaryStep {
            weight: *w,
            pause: format!("{}m", 10 * (i + 1)),
        })
        .collect();
    EnvironmentContext {
        name: env.name.clone(),
        cluster: opts.cluster_for(&env.name).to_string(),
        strategy: env.strategy,
        auto_deploy: env.auto_deploy,
        approval_required: env.approval_required,
        branch: env.branch.clone(),
        tests: env.tests.iter().map(|t| t.as_str()).collect(),
        factor: decimal(factor),
        resources: sizing::size(base, factor),
        canary_steps,
        job_id: env.name.replace('-', "_"),
        needs: previous_on_branch(spec, env),
        deploy_condition: format!(
            "github.event_name == 'push' && github.ref == {}",
            escape::expression_string(&format!("refs/heads/{}", env.branch))
        ),
    }
}

/// Promotion order: an environment deployed from the same branch as an
/// earlier one waits for it (staging → production); otherwise it waits
/// for the integration tests.
fn previous_on_branch(spec: &Spec, env: &crate::spec::Environment) -> String {
    spec.spec
        .environments
        .iter()
        .take_while(|e| e.name != env.name)
        .filter(|e| e.branch == env.branch)
        .last()
        .map(|e| format!("deploy_{}", e.name.replace('-', "_")))
        .unwrap_or_else(|| "integration".into())
}

impl EnvironmentContext {
    pub fn is_canary(&self) -> bool {
        self.strategy == Strategy::Canary
    }

    pub fn is_blue_green(&self) -> bool {
        self.strategy == Strategy::BlueGreen
    }

    pub fn is_progressive(&self) -> bool {
        self.strategy != Strategy::Immediate
    }
}

fn slo(spec: &Spec) -> SloContext {
    let slo = &spec.spec.monitoring.slo;
    let budget = (100.0 - slo.availability) / 100.0;
    // Page on 2 % of the budget burnt in 1 h or 5 % in 6 h; ticket on 10 %
    // in 3 days (the SRE workbook's recommended pairs, each with a short
    // window of 1/12 to reset quickly once the burn stops).
    let pairs: [(&str, &str, f64, &str, &str); 4] = [
        ("1h", "5m", 14.4, "critical", "2m"),
        ("6h", "30m", 6.0, "critical", "15m"),
        ("1d", "2h", 3.0, "warning", "1h"),
        ("3d", "6h", 1.0, "warning", "3h"),
    ];
    SloContext {
        availability_percent: decimal(slo.availability),
        error_budget: decimal(budget),
        error_rate_ratio: decimal(slo.error_rate / 100.0),
        latency_seconds: decimal(slo.latency_p95_ms as f64 / 1000.0),
        latency_ms: slo.latency_p95_ms,
        window_days: slo.window_days,
        burn_alerts: pairs
            .iter()
            .map(|(long, short, rate, severity, for_duration)| BurnAlert {
                long_window: long,
                short_window: short,
                burn_rate: match *rate {
                    14.4 => "14.4",
                    6.0 => "6",
                    3.0 => "3",
                    _ => "1",
                },
                threshold: decimal(rate * budget),
                severity,
                for_duration,
            })
            .collect(),
    }
}

/// A number with at most 6 decimals and no trailing zeros ("0.001", "1").
pub fn decimal(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.to_string()
    }
}
