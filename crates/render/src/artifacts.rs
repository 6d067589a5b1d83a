//! The askama templates (compile-time checked, under `templates/`) and the
//! list of files each spec produces.

use askama::Template;

use crate::context::{Context, EnvironmentContext, TerraformContext};
use crate::render::RenderError;
use crate::spec::Language;

/// The escapers of [`crate::escape`] as askama filters. Every template
/// interpolation of spec text goes through one, named for the format it is
/// written in: `{{ c.owner|yaml }}`, `{{ tf.module|hcl }}`.
mod filters {
    use std::fmt::Display;

    use crate::escape;

    #[askama::filter_fn]
    pub fn yaml<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(escape::yaml(&value.to_string()))
    }

    #[askama::filter_fn]
    pub fn workflow<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(escape::workflow(&value.to_string()))
    }

    #[askama::filter_fn]
    pub fn hcl<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(escape::hcl(&value.to_string()))
    }

    #[askama::filter_fn]
    pub fn url_path<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(escape::url_path(&value.to_string()))
    }

    #[askama::filter_fn]
    pub fn shell_exec<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
        Ok(escape::shell_exec(&value.to_string()))
    }
}

/// Declares a template struct over the render context, optionally with one
/// extra field.
macro_rules! template {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $name<'a> {
            c: &'a Context,
        }
    };
    ($name:ident, $path:literal, $field:ident: $ty:ty) => {
        #[derive(Template)]
        #[template(path = $path, escape = "none")]
        struct $name<'a> {
            c: &'a Context,
            $field: $ty,
        }
    };
}

template!(Dockerignore, "docker/dockerignore.txt");
template!(NodeDockerfile, "docker/nodejs.txt");
template!(PythonDockerfile, "docker/python.txt");
template!(GoDockerfile, "docker/go.txt");
template!(RustDockerfile, "docker/rust.txt");
template!(JavaDockerfile, "docker/java.txt");
template!(Namespace, "k8s/namespace.yml");
template!(ServiceAccount, "k8s/serviceaccount.yml");
template!(Deployment, "k8s/deployment.yml");
template!(Service, "k8s/service.yml", suffix: &'a str);
template!(Hpa, "k8s/hpa.yml");
template!(Pdb, "k8s/pdb.yml");
template!(NetworkPolicy, "k8s/networkpolicy.yml");
template!(BaseKustomization, "k8s/kustomization-base.yml", resources: Vec<&'a str>);
template!(VirtualService, "mesh/virtualservice.yml");
template!(DestinationRule, "mesh/destinationrule.yml");
template!(ServiceMonitor, "observability/servicemonitor.yml");
template!(PrometheusRule, "observability/prometheusrule.yml", windows: &'a [&'a str]);
template!(AnalysisTemplate, "delivery/analysistemplate.yml");
template!(CatalogInfo, "catalog-info.yml");
template!(CiWorkflow, "github/ci.yml");
template!(DeployWorkflow, "github/deploy.yml");
template!(TerraformVersions, "terraform/versions.tf.txt", tf: &'a TerraformContext);
template!(TerraformMain, "terraform/main.tf.txt", tf: &'a TerraformContext);
template!(TerraformVariables, "terraform/variables.tf.txt", tf: &'a TerraformContext);
template!(TerraformOutputs, "terraform/outputs.tf.txt");

#[derive(Template)]
#[template(path = "terraform/tfvars.txt", escape = "none")]
struct TerraformVars<'a> {
    c: &'a Context,
    e: &'a EnvironmentContext,
    tf: &'a TerraformContext,
}

#[derive(Template)]
#[template(path = "k8s/kustomization-overlay.yml", escape = "none")]
struct OverlayKustomization<'a> {
    c: &'a Context,
    e: &'a EnvironmentContext,
    resources: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "delivery/rollout.yml", escape = "none")]
struct Rollout<'a> {
    c: &'a Context,
    e: &'a EnvironmentContext,
}

#[derive(Template)]
#[template(path = "delivery/podchaos.yml", escape = "none")]
struct PodChaos<'a> {
    c: &'a Context,
    e: &'a EnvironmentContext,
}

#[derive(Template)]
#[template(path = "gitops/application.yml", escape = "none")]
struct ArgoApplication<'a> {
    c: &'a Context,
    e: &'a EnvironmentContext,
}

/// Error-ratio windows recorded for the burn-rate alerts.
const SLO_WINDOWS: &[&str] = &["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

type Files = Vec<(String, String)>;

fn emit(
    files: &mut Files,
    path: impl Into<String>,
    template: &dyn askama::DynTemplate,
) -> Result<(), RenderError> {
    let path = path.into();
    let mut contents = template
        .dyn_render()
        .map_err(|e| RenderError::Internal(format!("template for {path}: {e}")))?;
    if !contents.ends_with('\n') {
        contents.push('\n');
    }
    files.push((path, contents));
    Ok(())
}

/// Every file for the context, in no particular order (the caller sorts).
pub fn render_all(c: &Context) -> Result<Files, RenderError> {
    let mut files = Files::new();
    emit(&mut files, ".github/workflows/ci.yml", &CiWorkflow { c })?;
    emit(
        &mut files,
        ".github/workflows/deploy.yml",
        &DeployWorkflow { c },
    )?;
    container(c, &mut files)?;
    if let Some(tf) = &c.terraform {
        terraform(c, tf, &mut files)?;
    }
    kubernetes_base(c, &mut files)?;
    for e in &c.environments {
        overlay(c, e, &mut files)?;
        emit(
            &mut files,
            format!("deploy/argocd/{}.yaml", e.name),
            &ArgoApplication { c, e },
        )?;
    }
    emit(&mut files, "catalog-info.yaml", &CatalogInfo { c })?;
    if c.monitoring {
        files.push((crate::dashboard::PATH.into(), crate::dashboard::grafana(c)));
    }
    for (name, source) in crate::policy::POLICIES {
        if c.policies
            .iter()
            .any(|p| name.strip_suffix(".rego") == Some(p))
        {
            files.push((format!("policy/{name}"), source.to_string()));
        }
    }
    Ok(files)
}

fn container(c: &Context, files: &mut Files) -> Result<(), RenderError> {
    emit(files, ".dockerignore", &Dockerignore { c })?;
    match c.language {
        Language::Nodejs => emit(files, "Dockerfile", &NodeDockerfile { c }),
        Language::Python => emit(files, "Dockerfile", &PythonDockerfile { c }),
        Language::Go => emit(files, "Dockerfile", &GoDockerfile { c }),
        Language::Rust => emit(files, "Dockerfile", &RustDockerfile { c }),
        Language::Java => emit(files, "Dockerfile", &JavaDockerfile { c }),
    }
}

fn kubernetes_base(c: &Context, files: &mut Files) -> Result<(), RenderError> {
    let base = "deploy/k8s/base";
    let mut resources = vec![
        "namespace.yaml",
        "serviceaccount.yaml",
        "deployment.yaml",
        "service.yaml",
        "hpa.yaml",
        "pdb.yaml",
    ];
    emit(files, format!("{base}/namespace.yaml"), &Namespace { c })?;
    emit(
        files,
        format!("{base}/serviceaccount.yaml"),
        &ServiceAccount { c },
    )?;
    emit(files, format!("{base}/deployment.yaml"), &Deployment { c })?;
    emit(
        files,
        format!("{base}/service.yaml"),
        &Service { c, suffix: "" },
    )?;
    emit(files, format!("{base}/hpa.yaml"), &Hpa { c })?;
    emit(files, format!("{base}/pdb.yaml"), &Pdb { c })?;
    if c.network_policies {
        resources.push("networkpolicy.yaml");
        emit(
            files,
            format!("{base}/networkpolicy.yaml"),
            &NetworkPolicy { c },
        )?;
    }
    if c.istio {
        resources.extend(["virtualservice.yaml", "destinationrule.yaml"]);
        emit(
            files,
            format!("{base}/virtualservice.yaml"),
            &VirtualService { c },
        )?;
        emit(
            files,
            format!("{base}/destinationrule.yaml"),
            &DestinationRule { c },
        )?;
    }
    if c.monitoring {
        resources.extend(["servicemonitor.yaml", "prometheusrule.yaml"]);
        emit(
            files,
            format!("{base}/servicemonitor.yaml"),
            &ServiceMonitor { c },
        )?;
        emit(
            files,
            format!("{base}/prometheusrule.yaml"),
            &PrometheusRule {
                c,
                windows: SLO_WINDOWS,
            },
        )?;
    }
    emit(
        files,
        format!("{base}/kustomization.yaml"),
        &BaseKustomization { c, resources },
    )
}

fn overlay(c: &Context, e: &EnvironmentContext, files: &mut Files) -> Result<(), RenderError> {
    let dir = format!("deploy/k8s/overlays/{}", e.name);
    let mut resources = vec![];
    if e.is_progressive() {
        resources.extend(["rollout.yaml", "analysistemplate.yaml"]);
        emit(files, format!("{dir}/rollout.yaml"), &Rollout { c, e })?;
        emit(
            files,
            format!("{dir}/analysistemplate.yaml"),
            &AnalysisTemplate { c },
        )?;
    }
    if c.chaos && e.is_canary() {
        resources.push("podchaos.yaml");
        emit(files, format!("{dir}/podchaos.yaml"), &PodChaos { c, e })?;
    }
    if e.is_blue_green() {
        resources.push("service-preview.yaml");
        emit(
            files,
            format!("{dir}/service-preview.yaml"),
            &Service {
                c,
                suffix: "-preview",
            },
        )?;
    }
    emit(
        files,
        format!("{dir}/kustomization.yaml"),
        &OverlayKustomization { c, e, resources },
    )
}

fn terraform(c: &Context, tf: &TerraformContext, files: &mut Files) -> Result<(), RenderError> {
    emit(files, "infra/versions.tf", &TerraformVersions { c, tf })?;
    emit(files, "infra/main.tf", &TerraformMain { c, tf })?;
    emit(files, "infra/variables.tf", &TerraformVariables { c, tf })?;
    emit(files, "infra/outputs.tf", &TerraformOutputs { c })?;
    for e in &c.environments {
        emit(
            files,
            format!("infra/environments/{}.tfvars", e.name),
            &TerraformVars { c, e, tf },
        )?;
    }
    Ok(())
}
