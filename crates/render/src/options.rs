//! Knobs of a render that belong to the platform, not to the developer's
//! spec: where images live, which GitHub org, where Prometheus answers, which
//! base images, GitOps repository, clusters and policies. A platform team sets
//! them once in the `render:` block of `portico.yaml` ([`RenderOptions::from_config`]).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::spec::Language;

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
    /// Build and runtime images per language, replacing the built-in pinned ones.
    pub base_images: BTreeMap<Language, BaseImages>,
    /// The Git repository Argo CD syncs from: a URL where `{org}` and `{name}` stand for
    /// the GitHub organisation and the service.
    pub gitops_repository: String,
    /// The Argo CD cluster name per environment; an environment not listed deploys to
    /// the cluster registered under its own name.
    pub clusters: BTreeMap<String, String>,
    /// The shipped policies (see [`crate::policy::POLICIES`], without `.rego`) that are
    /// enforced and written into the repository; all of them by default.
    pub policies: Vec<String>,
}

/// A language's build and runtime images (`python:3.12.8-slim-bookworm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImages {
    pub builder: String,
    pub runtime: String,
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
            base_images: BTreeMap::new(),
            gitops_repository: "https://github.com/{org}/{name}.git".into(),
            clusters: BTreeMap::new(),
            policies: crate::policy::POLICIES
                .iter()
                .map(|(file, _)| file.trim_end_matches(".rego").to_string())
                .collect(),
        }
    }
}

/// A value of the `render:` configuration block that cannot be used: where it is
/// (`render.base_images.python.builder`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct OptionError {
    pub path: String,
    pub message: String,
}

impl RenderOptions {
    /// The options a `render:` configuration block sets over the defaults. Every key is
    /// checked: an unknown key, a value of the wrong type or an unusable value is an
    /// error naming the key and saying what would do.
    pub fn from_config(block: &Value) -> Result<RenderOptions, OptionError> {
        let mut options = RenderOptions::default();
        for (key, value) in object(block, "render")? {
            let path = format!("render.{key}");
            match key.as_str() {
                "image_registry" => options.image_registry = host(value, &path)?,
                "github_org" => options.github_org = name(value, &path)?,
                "image_tag" => options.image_tag = image_tag(value, &path)?,
                "prometheus_url" => options.prometheus_url = url(value, &path)?,
                "grafana_url" => options.grafana_url = url(value, &path)?,
                "app_domain" => options.app_domain = host(value, &path)?,
                "base_images" => options.base_images = base_images(value, &path)?,
                "gitops" => options.gitops_repository = gitops(value, &path)?,
                "clusters" => options.clusters = clusters(value, &path)?,
                "policies" => options.policies = policies(value, &path)?,
                _ => {
                    return Err(error(
                        &path,
                        "is not a render option; use image_registry, github_org, image_tag, \
                         prometheus_url, grafana_url, app_domain, base_images, gitops, \
                         clusters or policies",
                    ));
                }
            }
        }
        Ok(options)
    }

    /// The repository URL Argo CD syncs `service` from.
    pub fn gitops_repository_for(&self, service: &str) -> String {
        self.gitops_repository
            .replace("{org}", &self.github_org)
            .replace("{name}", service)
    }

    /// The Argo CD cluster `environment` deploys to.
    pub fn cluster_for<'a>(&'a self, environment: &'a str) -> &'a str {
        self.clusters
            .get(environment)
            .map_or(environment, String::as_str)
    }
}

fn error(path: &str, message: &str) -> OptionError {
    OptionError {
        path: path.to_string(),
        message: message.to_string(),
    }
}

fn object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, OptionError> {
    value
        .as_object()
        .ok_or_else(|| error(path, "must be a map of keys to values"))
}

fn text<'a>(value: &'a Value, path: &str) -> Result<&'a str, OptionError> {
    match value.as_str().map(str::trim) {
        Some(text) if !text.is_empty() && text.len() <= 512 => Ok(text),
        Some(text) if !text.is_empty() => Err(error(path, "is longer than 512 characters")),
        _ => Err(error(path, "must be a non-empty string")),
    }
}

/// Text that templates can carry unquoted: letters, digits and `-_.:/@`.
fn plain<'a>(value: &'a Value, path: &str, example: &str) -> Result<&'a str, OptionError> {
    let text = text(value, path)?;
    if text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@".contains(&b))
    {
        Ok(text)
    } else {
        Err(error(
            path,
            &format!("may hold only letters, digits and - _ . : / @ (e.g. {example})"),
        ))
    }
}

fn host(value: &Value, path: &str) -> Result<String, OptionError> {
    let text = plain(value, path, "registry.company.com")?;
    if text.contains("//") || text.starts_with(['.', '-', '/']) {
        return Err(error(
            path,
            "must be a host name without a scheme, e.g. registry.company.com",
        ));
    }
    Ok(text.to_string())
}

fn name(value: &Value, path: &str) -> Result<String, OptionError> {
    let text = plain(value, path, "company")?;
    if text.contains(['/', ':', '@']) {
        return Err(error(path, "must be a single name, e.g. company"));
    }
    Ok(text.to_string())
}

fn url(value: &Value, path: &str) -> Result<String, OptionError> {
    let text = plain(value, path, "https://grafana.company.com")?;
    if !(text.starts_with("https://") || text.starts_with("http://")) {
        return Err(error(
            path,
            "must be an http(s) URL, e.g. https://grafana.company.com",
        ));
    }
    Ok(text.trim_end_matches('/').to_string())
}

fn image_tag(value: &Value, path: &str) -> Result<String, OptionError> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        _ => plain(value, path, "0.1.0")?.to_string(),
    };
    if text == "latest" || text.contains(['/', ':', '@']) {
        return Err(error(
            path,
            "must be a fixed tag such as 0.1.0 (never latest)",
        ));
    }
    Ok(text)
}

/// An image reference pinned by tag or digest (`python:3.12.8-slim`, `…@sha256:…`).
fn image(value: &Value, path: &str) -> Result<String, OptionError> {
    let text = plain(value, path, "python:3.12.8-slim-bookworm")?;
    let last = text.rsplit('/').next().unwrap_or(text);
    let pinned = match last.split_once('@') {
        Some((_, digest)) => digest.starts_with("sha256:") && digest.len() == 71,
        None => last
            .split_once(':')
            .is_some_and(|(_, tag)| !tag.is_empty() && tag != "latest"),
    };
    if !pinned {
        return Err(error(
            path,
            "must name a fixed version: image:tag (not latest) or image@sha256:<64 hex digits>",
        ));
    }
    Ok(text.to_string())
}

fn base_images(value: &Value, path: &str) -> Result<BTreeMap<Language, BaseImages>, OptionError> {
    let mut images = BTreeMap::new();
    for (key, entry) in object(value, path)? {
        let path = format!("{path}.{key}");
        let language = Language::from_name(key).ok_or_else(|| {
            let known: Vec<&str> = Language::ALL.iter().map(|l| l.as_str()).collect();
            error(
                &path,
                &format!("is not a language; use {}", known.join(", ")),
            )
        })?;
        let entry = object(entry, &path)?;
        let pick = |key: &str| -> Result<String, OptionError> {
            let path = format!("{path}.{key}");
            image(
                entry.get(key).ok_or_else(|| error(&path, "is missing"))?,
                &path,
            )
        };
        let pair = BaseImages {
            builder: pick("builder")?,
            runtime: pick("runtime")?,
        };
        if let Some(other) = entry
            .keys()
            .find(|k| !["builder", "runtime"].contains(&k.as_str()))
        {
            return Err(error(
                &format!("{path}.{other}"),
                "is not a key; use builder and runtime",
            ));
        }
        images.insert(language, pair);
    }
    Ok(images)
}

fn gitops(value: &Value, path: &str) -> Result<String, OptionError> {
    let mut repository = None;
    for (key, entry) in object(value, path)? {
        let path = format!("{path}.{key}");
        if key != "repository" {
            return Err(error(&path, "is not a key; use repository"));
        }
        let url = text(entry, &path)?;
        let filled = url.replace("{org}", "o").replace("{name}", "n");
        let ok = (filled.starts_with("https://")
            || filled.starts_with("ssh://")
            || filled.starts_with("git@"))
            && filled
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@".contains(&b));
        if !ok {
            return Err(error(
                &path,
                "must be a Git URL (https://, ssh:// or git@) where {org} and {name} may stand \
                 for the organisation and the service, e.g. https://github.com/{org}/{name}.git",
            ));
        }
        repository = Some(url.to_string());
    }
    Ok(repository.unwrap_or_else(|| RenderOptions::default().gitops_repository))
}

fn clusters(value: &Value, path: &str) -> Result<BTreeMap<String, String>, OptionError> {
    let mut clusters = BTreeMap::new();
    for (environment, cluster) in object(value, path)? {
        let path = format!("{path}.{environment}");
        let cluster = name(cluster, &path)?;
        if cluster.len() > 253 || cluster.contains('_') {
            return Err(error(
                &path,
                "must be an Argo CD cluster name, e.g. prod-eu-west-1",
            ));
        }
        clusters.insert(environment.clone(), cluster);
    }
    Ok(clusters)
}

fn policies(value: &Value, path: &str) -> Result<Vec<String>, OptionError> {
    let known: Vec<&str> = crate::policy::POLICIES
        .iter()
        .map(|(file, _)| file.trim_end_matches(".rego"))
        .collect();
    let list = value.as_array().ok_or_else(|| {
        error(
            path,
            &format!("must be a list of policies from: {}", known.join(", ")),
        )
    })?;
    let mut policies = Vec::new();
    for (index, entry) in list.iter().enumerate() {
        let path = format!("{path}[{index}]");
        let policy = text(entry, &path)?;
        if !known.contains(&policy) {
            return Err(error(
                &path,
                &format!("is not a shipped policy; use {}", known.join(", ")),
            ));
        }
        if !policies.iter().any(|p| p == policy) {
            policies.push(policy.to_string());
        }
    }
    Ok(policies)
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

#[cfg(test)]
mod tests;
