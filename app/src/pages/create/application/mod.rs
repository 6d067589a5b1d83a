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
//! editor (form and YAML) is in `editor`, the preview in `preview`.

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
        Some(fields) => ssr::apply_fields(&yaml, &fields).map_err(AppError::BadInput),
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
    ssr::apply_field(&yaml, &field, &value).map_err(AppError::BadInput)
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
    Ok(ssr::preview(&yaml, from, to))
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
    use serde_yaml_ng::{Mapping, Value};

    /// The YAML path each form field edits.
    const FIELDS: &[(&str, &str)] = &[
        ("name", "metadata.name"),
        ("namespace", "metadata.namespace"),
        ("language", "spec.language"),
        ("framework", "spec.framework"),
        ("min_replicas", "spec.scaling.min_replicas"),
        ("max_replicas", "spec.scaling.max_replicas"),
        ("target_cpu", "spec.scaling.target_cpu"),
        ("service_mesh", "spec.service_mesh"),
        ("monitoring", "spec.monitoring.enabled"),
    ];

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

    fn document(yaml: &str) -> Result<Value, String> {
        match serde_yaml_ng::from_str::<Value>(yaml) {
            Ok(value @ Value::Mapping(_)) => Ok(value),
            Ok(_) => Err("The YAML is not a mapping: fix it before using the form.".into()),
            Err(error) => Err(format!(
                "The YAML does not parse ({error}): fix it before using the form."
            )),
        }
    }

    /// Sets (or, with `None`, removes) the value at `path`, creating mappings on the way.
    fn set(doc: &mut Value, path: &str, value: Option<Value>) -> Result<(), String> {
        let keys: Vec<&str> = path.split('.').collect();
        let (last, parents) = keys.split_last().expect("non-empty path");
        let mut node = doc;
        for key in parents {
            let map = node
                .as_mapping_mut()
                .ok_or_else(|| format!("{path}: a parent is not a mapping"))?;
            if !map.contains_key(*key) {
                map.insert(
                    Value::String(key.to_string()),
                    Value::Mapping(Mapping::new()),
                );
            }
            node = map.get_mut(*key).expect("just inserted");
        }
        let map = node
            .as_mapping_mut()
            .ok_or_else(|| format!("{path}: a parent is not a mapping"))?;
        match value {
            Some(value) => {
                map.insert(Value::String(last.to_string()), value);
            }
            None => {
                map.remove(*last);
            }
        }
        Ok(())
    }

    /// The YAML value a form field's text stands for; `None` removes the key.
    fn field_value(field: &str, text: &str) -> Option<Value> {
        let text = text.trim();
        match field {
            "monitoring" => Some(Value::Bool(text != "off")),
            _ if text.is_empty() => None,
            "min_replicas" | "max_replicas" | "target_cpu" => Some(match text.parse::<i64>() {
                Ok(n) => Value::Number(n.into()),
                // Kept as text: the spec check reports it with its path.
                Err(_) => Value::String(text.to_string()),
            }),
            _ => Some(Value::String(text.to_string())),
        }
    }

    fn path_of(field: &str) -> Result<&'static str, String> {
        FIELDS
            .iter()
            .find(|(key, _)| *key == field)
            .map(|(_, path)| *path)
            .ok_or_else(|| format!("unknown form field {field:?}"))
    }

    pub fn apply_field(yaml: &str, field: &str, value: &str) -> Result<String, String> {
        let mut doc = document(yaml)?;
        set(&mut doc, path_of(field)?, field_value(field, value))?;
        serde_yaml_ng::to_string(&doc).map_err(|e| e.to_string())
    }

    pub fn apply_fields(yaml: &str, fields: &CommonFields) -> Result<String, String> {
        let mut doc = document(yaml)?;
        let values = [
            ("name", &fields.name),
            ("namespace", &fields.namespace),
            ("language", &fields.language),
            ("framework", &fields.framework),
            ("min_replicas", &fields.min_replicas),
            ("max_replicas", &fields.max_replicas),
            ("target_cpu", &fields.target_cpu),
            ("service_mesh", &fields.service_mesh),
            ("monitoring", &fields.monitoring),
        ];
        for (field, value) in values {
            set(&mut doc, path_of(field)?, field_value(field, value))?;
        }
        serde_yaml_ng::to_string(&doc).map_err(|e| e.to_string())
    }

    /// The fields as written in the YAML (used when the spec does not validate).
    fn raw_fields(yaml: &str) -> CommonFields {
        let doc = serde_yaml_ng::from_str::<Value>(yaml).unwrap_or(Value::Null);
        let get = |path: &str| {
            let mut node = &doc;
            for key in path.split('.') {
                match node.get(key) {
                    Some(next) => node = next,
                    None => return String::new(),
                }
            }
            match node {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            }
        };
        let monitoring = get("spec.monitoring.enabled");
        CommonFields {
            name: get("metadata.name"),
            namespace: get("metadata.namespace"),
            language: get("spec.language"),
            framework: get("spec.framework"),
            min_replicas: get("spec.scaling.min_replicas"),
            max_replicas: get("spec.scaling.max_replicas"),
            target_cpu: get("spec.scaling.target_cpu"),
            service_mesh: get("spec.service_mesh"),
            monitoring: if monitoring == "false" { "off" } else { "on" }.into(),
        }
    }

    /// The effective values, defaults included.
    fn fields_of(spec: &render::Spec) -> CommonFields {
        let s = &spec.spec;
        CommonFields {
            name: spec.metadata.name.clone(),
            namespace: spec.metadata.namespace.clone(),
            language: s.language.to_string(),
            framework: s.framework.to_string(),
            min_replicas: s.scaling.min_replicas.to_string(),
            max_replicas: s.scaling.max_replicas.to_string(),
            target_cpu: s.scaling.target_cpu.to_string(),
            service_mesh: s.service_mesh.map(|m| m.to_string()).unwrap_or_default(),
            monitoring: if s.monitoring.enabled { "on" } else { "off" }.into(),
        }
    }

    pub fn preview(yaml: &str, from: Option<String>, to: Option<String>) -> Preview {
        use render::spec::{Framework, Language};
        let mut p = Preview {
            policies: render::policy::POLICIES
                .iter()
                .map(|(name, _)| format!("policy/{name}"))
                .collect(),
            languages: Language::ALL.iter().map(|l| l.to_string()).collect(),
            frameworks: Framework::ALL.iter().map(|f| f.to_string()).collect(),
            ..Preview::default()
        };
        let spec = match render::parse_spec(yaml) {
            Ok(spec) => spec,
            Err(errors) => {
                p.fields = raw_fields(yaml);
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
        p.fields = fields_of(&spec);
        p.environments = spec
            .spec
            .environments
            .iter()
            .map(|e| e.name.clone())
            .collect();
        match render::render(&spec, &render::RenderOptions::default()) {
            Ok(rendered) => {
                p.manifests_checked = render::policy::manifests(&rendered)
                    .map(|m| m.len())
                    .unwrap_or(0);
                p.files = rendered
                    .files
                    .into_iter()
                    .map(|f| PreviewFile {
                        path: f.path,
                        contents: f.contents,
                    })
                    .collect();
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
        p.diffs = environment_diffs(&p.files, &p.diff_from, &p.diff_to);
        p
    }

    /// The files one environment has of its own, keyed by a name common to all
    /// environments (`overlay/rollout.yaml`, `argocd`, `tfvars`).
    fn environment_files<'a>(
        files: &'a [PreviewFile],
        env: &str,
    ) -> Vec<(String, &'a PreviewFile)> {
        let overlay = format!("deploy/k8s/overlays/{env}/");
        let argocd = format!("deploy/argocd/{env}.yaml");
        let tfvars = format!("infra/environments/{env}.tfvars");
        files
            .iter()
            .filter_map(|f| {
                if let Some(rest) = f.path.strip_prefix(&overlay) {
                    Some((format!("overlay/{rest}"), f))
                } else if f.path == argocd {
                    Some(("argocd".to_string(), f))
                } else if f.path == tfvars {
                    Some(("tfvars".to_string(), f))
                } else {
                    None
                }
            })
            .collect()
    }

    pub fn environment_diffs(files: &[PreviewFile], from: &str, to: &str) -> Vec<FileDiff> {
        if from.is_empty() || to.is_empty() {
            return vec![];
        }
        let a = environment_files(files, from);
        let b = environment_files(files, to);
        let mut keys: Vec<&String> = a.iter().chain(&b).map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .map(|key| {
                let left = a.iter().find(|(k, _)| k == key).map(|(_, f)| *f);
                let right = b.iter().find(|(k, _)| k == key).map(|(_, f)| *f);
                let name = |f: Option<&PreviewFile>| {
                    f.map(|f| f.path.clone()).unwrap_or_else(|| "(none)".into())
                };
                fn text(f: Option<&PreviewFile>) -> &str {
                    f.map(|f| f.contents.as_str()).unwrap_or("")
                }
                FileDiff {
                    from: name(left),
                    to: name(right),
                    lines: line_diff(text(left), text(right)),
                }
            })
            .collect()
    }

    /// A line diff (longest common subsequence) with three lines of context around each
    /// change; empty when the texts are equal.
    pub fn line_diff(a: &str, b: &str) -> Vec<DiffLine> {
        let a: Vec<&str> = a.lines().collect();
        let b: Vec<&str> = b.lines().collect();
        let (n, m) = (a.len(), b.len());
        let mut lcs = vec![vec![0u32; m + 1]; n + 1];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let mut all = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < n || j < m {
            if i < n && j < m && a[i] == b[j] {
                all.push(("same", a[i]));
                i += 1;
                j += 1;
            } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
                all.push(("del", a[i]));
                i += 1;
            } else {
                all.push(("add", b[j]));
                j += 1;
            }
        }
        if all.iter().all(|(kind, _)| *kind == "same") {
            return vec![];
        }
        const CONTEXT: usize = 3;
        let near_change = |k: usize| {
            let lo = k.saturating_sub(CONTEXT);
            let hi = (k + CONTEXT).min(all.len() - 1);
            (lo..=hi).any(|x| all[x].0 != "same")
        };
        let mut out: Vec<DiffLine> = Vec::new();
        for (k, (kind, text)) in all.iter().enumerate() {
            if near_change(k) {
                out.push(DiffLine {
                    kind: kind.to_string(),
                    text: text.to_string(),
                });
            } else if out.last().is_none_or(|l| l.kind != "skip") {
                out.push(DiffLine {
                    kind: "skip".into(),
                    text: "⋯".into(),
                });
            }
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_example_renders_and_passes() {
            let p = preview(EXAMPLE, None, None);
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
        }

        #[test]
        fn a_field_patches_the_yaml_and_bad_values_are_reported_with_their_path() {
            let yaml = apply_field(EXAMPLE, "min_replicas", "50").unwrap();
            let p = preview(&yaml, None, None);
            assert!(
                p.errors
                    .iter()
                    .any(|e| e.path == "spec.scaling.min_replicas"),
                "{:?}",
                p.errors
            );
            assert_eq!(p.fields.min_replicas, "50");
            let yaml = apply_field(EXAMPLE, "service_mesh", "istio").unwrap();
            assert!(
                preview(&yaml, None, None)
                    .files
                    .iter()
                    .any(|f| f.path.contains("virtualservice"))
            );
            let yaml = apply_field(&yaml, "service_mesh", "").unwrap();
            assert!(!yaml.contains("service_mesh"));
            assert!(apply_field("a: [", "name", "x").is_err());
        }

        #[test]
        fn line_diff_marks_changes_with_context() {
            assert!(line_diff("a\nb\n", "a\nb\n").is_empty());
            let d = line_diff("1\n2\n3\n4\n5\n6\n7\n8\nx\n", "1\n2\n3\n4\n5\n6\n7\n8\ny\n");
            let kinds: Vec<&str> = d.iter().map(|l| l.kind.as_str()).collect();
            assert_eq!(kinds, ["skip", "same", "same", "same", "del", "add"]);
        }
    }
}
