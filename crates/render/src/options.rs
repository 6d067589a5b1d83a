//! Knobs of a render that belong to the platform, not to the developer's
//! spec: where images live, which GitHub org, where Prometheus answers.

/// Options for [`crate::render`]. `Default` gives the company-wide values.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOptions {
    /// Render only this environment's overlay, Argo CD application and
    /// tfvars (the base and shared files are always rendered).
    pub environment: Option<String>,
    /// Container registry host, e.g. `ghcr.io`.
    pub image_registry: String,
    /// GitHub organisation owning the repository (and the image path).
    pub github_org: String,
    /// Image tag the manifests start from; CI pins each overlay to the
    /// commit's immutable tag on deploy. Never `latest`.
    pub image_tag: String,
    /// In-cluster Prometheus queried by Argo Rollouts analysis.
    pub prometheus_url: String,
    /// Each environment is served at `https://<name>.<environment>.<app_domain>`.
    pub app_domain: String,
    /// Grafana base URL for catalog links.
    pub grafana_url: String,
    /// The pod/container security context. The hardened default is the
    /// only one the policies accept; it is an option (not a spec field) so
    /// that platform tests can show a weakened context being refused.
    pub security_context: SecurityContext,
    /// The template the service was created from (`template:default/service`): its
    /// catalog entry says so (`backstage.io/source-template`), as Backstage's does.
    pub source_template: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            environment: None,
            image_registry: "ghcr.io".into(),
            github_org: "company".into(),
            image_tag: "0.1.0".into(),
            prometheus_url: "http://prometheus-operated.monitoring.svc:9090".into(),
            app_domain: "apps.company.com".into(),
            grafana_url: "https://company.grafana.net".into(),
            security_context: SecurityContext::default(),
            source_template: None,
        }
    }
}

/// The seed's hardened security context (see `policy/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityContext {
    pub run_as_user: u32,
    pub run_as_non_root: bool,
    pub read_only_root_filesystem: bool,
    pub allow_privilege_escalation: bool,
    pub drop_all_capabilities: bool,
}

impl Default for SecurityContext {
    fn default() -> Self {
        SecurityContext {
            run_as_user: crate::stack::RUN_AS_USER,
            run_as_non_root: true,
            read_only_root_filesystem: true,
            allow_privilege_escalation: false,
            drop_all_capabilities: true,
        }
    }
}
