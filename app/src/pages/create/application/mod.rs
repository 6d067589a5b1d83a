//! "Application spec": edit an Application spec (a form for the common fields and the YAML
//! itself, which is the source of truth) and preview what Portico renders from it — the
//! file tree, each file, the policy results, spec errors with their paths and the
//! differences between two environments — then download it as a zip.
//!
//! Without JavaScript the page is a plain GET form: "Apply form to YAML", "Render",
//! the file buttons and "Compare" re-render it on the server with the submitted spec.
//! With JavaScript the preview follows the YAML as it is typed (debounced) and each form
//! field patches the YAML as soon as it changes.
//!
//! Here: what the page exchanges with the server, its server functions and the page; the
//! editor (form and YAML) is in `editor`, the preview in `preview`. Editing the spec,
//! rendering it and comparing environments are `render`'s (`render::edit`,
//! `render::diff`); they run on the server.

mod editor;
mod preview;

use crate::components::LoadError;
use crate::error::AppError;
use editor::Editor;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// The fields the form edits, as the form shows them (text, so that an invalid value can
/// be shown and reported with its path instead of being lost).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CommonFields {
    pub name: String,
    pub namespace: String,
    pub language: String,
    pub framework: String,
    pub min_replicas: String,
    pub max_replicas: String,
    pub target_cpu: String,
    /// `istio`, or empty for none.
    pub service_mesh: String,
    /// `on` or `off`.
    pub monitoring: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewFile {
    pub path: String,
    pub contents: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathError {
    pub path: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PolicyResult {
    pub file: String,
    pub resource: String,
    pub policy: String,
    pub message: String,
}

/// One line of a diff: `kind` is `same`, `add`, `del` or `skip` (unchanged lines elided).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: String,
    pub text: String,
}

/// How one environment's file differs from the other's (`lines` is empty when equal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileDiff {
    pub from: String,
    pub to: String,
    pub lines: Vec<DiffLine>,
}

/// Everything the preview shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub files: Vec<PreviewFile>,
    pub errors: Vec<PathError>,
    pub violations: Vec<PolicyResult>,
    pub render_error: Option<String>,
    /// The shipped policy files, and how many manifests they judged.
    pub policies: Vec<String>,
    pub manifests_checked: usize,
    pub environments: Vec<String>,
    pub languages: Vec<String>,
    pub frameworks: Vec<String>,
    pub fields: CommonFields,
    pub diff_from: String,
    pub diff_to: String,
    pub diffs: Vec<FileDiff>,
}

/// The spec the page starts from: the submitted one (or the example), with the submitted
/// form fields applied when the form asked for it.
#[server(prefix = "/_server")]
pub async fn resolve_application_spec(
    spec: Option<String>,
    fields: Option<CommonFields>,
) -> Result<String, AppError> {
    crate::identity::require(identity::Action::SpecRender).await?;
    let yaml = spec
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| ssr::EXAMPLE.to_string());
    match fields {
        None => Ok(yaml),
        Some(fields) => Ok(render::edit::set_fields(&yaml, fields.values())?),
    }
}

/// Sets one form field in the YAML.
#[server(prefix = "/_server")]
pub async fn apply_application_field(
    yaml: String,
    field: String,
    value: String,
) -> Result<String, AppError> {
    crate::identity::require(identity::Action::SpecRender).await?;
    let field = render::edit::Field::from_key(&field)
        .ok_or_else(|| AppError::BadInput(format!("unknown form field {field:?}")))?;
    Ok(render::edit::set_field(&yaml, field, &value)?)
}

/// Renders the spec and reports files, errors, policy results and the differences
/// between environments `from` and `to`.
#[server(prefix = "/_server")]
pub async fn preview_application(
    yaml: String,
    from: Option<String>,
    to: Option<String>,
) -> Result<Preview, AppError> {
    crate::identity::require(identity::Action::SpecRender).await?;
    // The platform's `render:` configuration, as the server provides it.
    let options =
        leptos::prelude::use_context::<std::sync::Arc<render::RenderOptions>>().unwrap_or_default();
    Ok(ssr::preview(&yaml, from, to, &options))
}

#[component]
pub fn ApplicationSpecPage() -> impl IntoView {
    let query = use_query_map().get_untracked();
    let spec = query.get("spec");
    let fields = (query.get("apply").as_deref() == Some("fields")).then(|| {
        let get = |key: &str| query.get(key).unwrap_or_default();
        CommonFields {
            name: get("name"),
            namespace: get("namespace"),
            language: get("language"),
            framework: get("framework"),
            min_replicas: get("min_replicas"),
            max_replicas: get("max_replicas"),
            target_cpu: get("target_cpu"),
            service_mesh: get("service_mesh"),
            monitoring: get("monitoring"),
        }
    });
    let file = query.get("file");
    let pair = (query.get("from"), query.get("to"));
    let initial = Resource::new(
        || (),
        move |_| resolve_application_spec(spec.clone(), fields.clone()),
    );
    view! {
        <Title text="Application spec"/>
        <h1>"Application spec"</h1>
        <p class="lead">"Describe what your service is; Portico renders how it is built, shipped, secured and watched. Edit the form or the YAML and check the preview before anything is written."</p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let file = file.clone();
                let pair = pair.clone();
                Suspend::new(async move {
                    match initial.await {
                        Ok(yaml) => view! { <Editor yaml file pair/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use render::diff::LineChange;
    use render::edit::Field;

    /// The spec the page starts from.
    pub const EXAMPLE: &str = "\
apiVersion: platform.company.com/v1
kind: Application
metadata:
  name: orders-api
  namespace: team-commerce
  description: Order intake and tracking API
spec:
  language: python
  framework: fastapi
  owner: team-commerce
  system: checkout
  # Edit here or through the form: comments and the order of keys are kept.
  scaling:
    min_replicas: 2
    max_replicas: 10
    target_cpu: 70
  monitoring:
    enabled: true
    alerts: [high_error_rate, high_latency, low_availability]
  security:
    network_policies: enabled
    pod_security_standards: restricted
    image_scanning: enabled
  environments:
    - name: development
      strategy: immediate
    - name: staging
      strategy: blue_green
    - name: production
      strategy: canary
      approval_required: true
";

    impl CommonFields {
        fn slot(&mut self, field: Field) -> &mut String {
            match field {
                Field::Name => &mut self.name,
                Field::Namespace => &mut self.namespace,
                Field::Language => &mut self.language,
                Field::Framework => &mut self.framework,
                Field::MinReplicas => &mut self.min_replicas,
                Field::MaxReplicas => &mut self.max_replicas,
                Field::TargetCpu => &mut self.target_cpu,
                Field::ServiceMesh => &mut self.service_mesh,
                Field::Monitoring => &mut self.monitoring,
            }
        }

        fn from_values(values: Vec<(Field, String)>) -> CommonFields {
            let mut fields = CommonFields::default();
            for (field, value) in values {
                *fields.slot(field) = value;
            }
            fields
        }

        /// Each field with its text, in the form's order.
        pub fn values(&self) -> Vec<(Field, &str)> {
            let text = |field| -> &str {
                match field {
                    Field::Name => &self.name,
                    Field::Namespace => &self.namespace,
                    Field::Language => &self.language,
                    Field::Framework => &self.framework,
                    Field::MinReplicas => &self.min_replicas,
                    Field::MaxReplicas => &self.max_replicas,
                    Field::TargetCpu => &self.target_cpu,
                    Field::ServiceMesh => &self.service_mesh,
                    Field::Monitoring => &self.monitoring,
                }
            };
            Field::ALL
                .into_iter()
                .map(|field| (field, text(field)))
                .collect()
        }
    }

    pub fn preview(
        yaml: &str,
        from: Option<String>,
        to: Option<String>,
        options: &render::RenderOptions,
    ) -> Preview {
        use render::spec::{Framework, Language};
        let mut p = Preview {
            policies: options
                .policies
                .iter()
                .map(|name| format!("policy/{name}.rego"))
                .collect(),
            languages: Language::ALL.iter().map(|l| l.to_string()).collect(),
            frameworks: Framework::ALL.iter().map(|f| f.to_string()).collect(),
            ..Preview::default()
        };
        let spec = match render::parse_spec(yaml) {
            Ok(spec) => spec,
            Err(errors) => {
                p.fields = CommonFields::from_values(render::edit::written_fields(yaml));
                p.errors = errors
                    .into_iter()
                    .map(|e| PathError {
                        path: e.path,
                        message: e.message,
                    })
                    .collect();
                return p;
            }
        };
        p.fields = CommonFields::from_values(render::edit::effective_fields(&spec));
        p.environments = spec
            .spec
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect();
        let mut files = Vec::new();
        match render::render(&spec, options) {
            Ok(rendered) => {
                p.manifests_checked = render::policy::manifests(&rendered)
                    .map(|m| m.len())
                    .unwrap_or(0);
                files = rendered.files;
            }
            Err(render::RenderError::PolicyViolations(violations)) => {
                p.violations = violations
                    .into_iter()
                    .map(|v| PolicyResult {
                        file: v.file,
                        resource: v.resource,
                        policy: v.policy,
                        message: v.message,
                    })
                    .collect();
            }
            Err(error) => {
                tracing::error!(%error, "render failed in the preview");
                p.render_error = Some(error.to_string());
            }
        }
        let known = |e: &Option<String>| e.clone().filter(|e| p.environments.contains(e));
        p.diff_from = known(&from)
            .or_else(|| p.environments.first().cloned())
            .unwrap_or_default();
        p.diff_to = known(&to)
            .or_else(|| p.environments.last().cloned())
            .unwrap_or_default();
        p.diffs = render::diff::environment_diffs(&files, &p.diff_from, &p.diff_to)
            .into_iter()
            .map(file_diff)
            .collect();
        p.files = files
            .into_iter()
            .map(|f| PreviewFile {
                path: f.path,
                contents: f.contents,
            })
            .collect();
        p
    }

    fn file_diff(diff: render::diff::FileDiff) -> FileDiff {
        let name = |path: Option<String>| path.unwrap_or_else(|| "(none)".into());
        FileDiff {
            from: name(diff.from),
            to: name(diff.to),
            lines: diff
                .lines
                .into_iter()
                .map(|line| {
                    let kind = match line.change {
                        LineChange::Same => "same",
                        LineChange::Added => "add",
                        LineChange::Removed => "del",
                        LineChange::Elided => "skip",
                    };
                    let text = match line.change {
                        LineChange::Elided => "⋯".to_string(),
                        _ => line.text,
                    };
                    DiffLine {
                        kind: kind.into(),
                        text,
                    }
                })
                .collect(),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_example_renders_and_passes() {
            let p = preview(EXAMPLE, None, None, &Default::default());
            assert!(p.errors.is_empty(), "{:?}", p.errors);
            assert!(p.violations.is_empty());
            assert!(p.files.iter().any(|f| f.path == "Dockerfile"));
            assert_eq!(p.fields.name, "orders-api");
            assert_eq!(p.fields.language, "python");
            assert_eq!(
                (p.diff_from.as_str(), p.diff_to.as_str()),
                ("development", "production")
            );
            assert!(p.diffs.iter().any(|d| !d.lines.is_empty()));
            let kinds: Vec<&str> = p
                .diffs
                .iter()
                .flat_map(|d| &d.lines)
                .map(|l| l.kind.as_str())
                .collect();
            for kind in ["same", "add", "del", "skip"] {
                assert!(kinds.contains(&kind), "no {kind} line");
            }
        }

        #[test]
        fn an_invalid_spec_shows_its_fields_as_written_and_its_errors_with_paths() {
            let yaml = render::edit::set_field(EXAMPLE, Field::MinReplicas, "50").unwrap();
            let p = preview(&yaml, None, None, &Default::default());
            assert!(
                p.errors
                    .iter()
                    .any(|e| e.path == "spec.scaling.min_replicas"),
                "{:?}",
                p.errors
            );
            assert_eq!(p.fields.min_replicas, "50");
            assert_eq!(p.fields.name, "orders-api");
        }

        #[test]
        fn form_fields_travel_as_values_and_back() {
            let fields = CommonFields {
                name: "a".into(),
                monitoring: "off".into(),
                ..CommonFields::default()
            };
            let values: Vec<(Field, String)> = fields
                .values()
                .into_iter()
                .map(|(f, v)| (f, v.to_string()))
                .collect();
            assert_eq!(values.len(), Field::ALL.len());
            assert_eq!(CommonFields::from_values(values), fields);
        }
    }
}
