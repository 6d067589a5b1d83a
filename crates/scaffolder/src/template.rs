//! Template entities (`scaffolder.backstage.io/v1beta3`) as Backstage defines them: the
//! parameters a person fills in (one JSON Schema object, or a list of pages), the steps
//! that run (`id`, `name`, `action`, `input`, `if`, `each`) and the output shown at the
//! end (`links`, `text`).
//!
//! A Template is read from its catalog entity once, with every problem collected — an
//! unknown action, two steps with one id, a page whose schema does not compile — so the
//! gallery can show what is wrong and a run is refused before anything happens.

use crate::actions;
use catalog::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

pub const API_VERSION: &str = "scaffolder.backstage.io/v1beta3";

/// One page of the form: a JSON Schema object with Backstage's `ui:*` keys.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The page as written, `ui:*` keys included (the form reads them; validators ignore them).
    pub schema: Value,
}

/// One step of a template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub action: String,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub input: Value,
    /// `if`: a boolean or an expression; the step is skipped when it is falsy.
    #[serde(default, rename = "if", skip_serializing_if = "Option::is_none")]
    pub condition: Option<Value>,
    /// `each`: an expression giving a list or an object; the step runs once per item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Value>,
}

/// A Template entity, read and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// `template:namespace/name`, lowercased.
    pub entity_ref: String,
    pub name: String,
    pub namespace: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// `spec.owner`, as written.
    pub owner: Option<String>,
    /// `spec.type` (service, website, library…).
    pub template_type: Option<String>,
    pub pages: Vec<Page>,
    pub steps: Vec<Step>,
    /// `spec.output` as written; rendered when the task ends.
    pub output: Value,
    pub presentation: Option<Value>,
    /// The entity's `backstage.io/managed-by-location` annotation: skeletons are fetched
    /// relative to it.
    pub location: Option<String>,
}

/// What is wrong with a template, with where: `spec.steps[2].action`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateProblem {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for TemplateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A template, or why it cannot run (with whatever could be read, for the gallery).
pub type Checked = Result<Template, (Option<Box<Template>>, Vec<TemplateProblem>)>;

impl Template {
    /// Reads a Template entity. Every problem is collected; a template with problems is
    /// still returned (when its shape allows) so the gallery can show it with them.
    pub fn from_entity(entity: &Entity) -> Checked {
        let mut problems = Vec::new();
        let problem = |path: &str, message: String| TemplateProblem {
            path: path.to_string(),
            message,
        };
        if !entity.kind.eq_ignore_ascii_case("Template") {
            return Err((
                None,
                vec![problem(
                    "kind",
                    format!("{} is not a Template", entity.kind),
                )],
            ));
        }
        if entity.api_version != API_VERSION {
            problems.push(problem(
                "apiVersion",
                format!(
                    "{} templates are not supported; write apiVersion: {API_VERSION} (Backstage's current format)",
                    entity.api_version
                ),
            ));
        }
        let spec = entity.spec.as_object().cloned().unwrap_or_default();
        let pages = read_pages(spec.get("parameters"), &mut problems);
        let steps = read_steps(spec.get("steps"), &mut problems);
        let text = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_string);
        let meta = &entity.metadata;
        let template = Template {
            entity_ref: format!("template:{}/{}", meta.namespace, meta.name).to_lowercase(),
            name: meta.name.clone(),
            namespace: meta.namespace.clone(),
            title: meta.title.clone().unwrap_or_else(|| meta.name.clone()),
            description: meta.description.clone(),
            tags: meta.tags.clone(),
            owner: text("owner"),
            template_type: text("type"),
            pages,
            steps,
            output: spec.get("output").cloned().unwrap_or(Value::Null),
            presentation: spec.get("presentation").cloned(),
            location: meta
                .annotations
                .get("backstage.io/managed-by-location")
                .cloned(),
        };
        if problems.is_empty() {
            Ok(template)
        } else {
            Err((Some(Box::new(template)), problems))
        }
    }

    /// Backstage's `parameter-schema` answer: the title, description and form pages.
    pub fn parameter_schema(&self) -> Value {
        let steps: Vec<Value> = self
            .pages
            .iter()
            .map(|page| {
                let mut step = Map::new();
                step.insert(
                    "title".into(),
                    Value::String(
                        page.title
                            .clone()
                            .unwrap_or_else(|| "Please enter the following information".into()),
                    ),
                );
                if let Some(description) = &page.description {
                    step.insert("description".into(), Value::String(description.clone()));
                }
                step.insert("schema".into(), page.schema.clone());
                Value::Object(step)
            })
            .collect();
        let mut answer = Map::new();
        answer.insert("title".into(), Value::String(self.title.clone()));
        if let Some(description) = &self.description {
            answer.insert("description".into(), Value::String(description.clone()));
        }
        if let Some(presentation) = &self.presentation {
            answer.insert("presentation".into(), presentation.clone());
        }
        answer.insert("steps".into(), Value::Array(steps));
        Value::Object(answer)
    }
}

/// `spec.parameters`: one object (a single page) or a list of pages.
fn read_pages(parameters: Option<&Value>, problems: &mut Vec<TemplateProblem>) -> Vec<Page> {
    let list = match parameters {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(pages)) => pages.clone(),
        Some(page @ Value::Object(_)) => vec![page.clone()],
        Some(_) => {
            problems.push(TemplateProblem {
                path: "spec.parameters".into(),
                message: "must be a JSON Schema object or a list of them (form pages)".into(),
            });
            return Vec::new();
        }
    };
    let mut pages = Vec::new();
    for (index, schema) in list.into_iter().enumerate() {
        let path = format!("spec.parameters[{index}]");
        let Some(object) = schema.as_object() else {
            problems.push(TemplateProblem {
                path,
                message: "a form page must be a JSON Schema object".into(),
            });
            continue;
        };
        if let Err(message) = crate::parameters::compile(&schema) {
            problems.push(TemplateProblem {
                path: path.clone(),
                message,
            });
        }
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_string);
        pages.push(Page {
            title: text("title"),
            description: text("description"),
            schema,
        });
    }
    pages
}

/// `spec.steps`: each needs an `action` Portico knows and an id unique in the template.
fn read_steps(steps: Option<&Value>, problems: &mut Vec<TemplateProblem>) -> Vec<Step> {
    let list = match steps {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(steps)) => steps.clone(),
        Some(_) => {
            problems.push(TemplateProblem {
                path: "spec.steps".into(),
                message: "must be a list of steps".into(),
            });
            return Vec::new();
        }
    };
    let mut ids = BTreeSet::new();
    let mut read = Vec::new();
    for (index, step) in list.into_iter().enumerate() {
        let path = format!("spec.steps[{index}]");
        let Some(object) = step.as_object() else {
            problems.push(TemplateProblem {
                path,
                message: "a step must be an object".into(),
            });
            continue;
        };
        let Some(action) = object.get("action").and_then(Value::as_str) else {
            problems.push(TemplateProblem {
                path: format!("{path}.action"),
                message: "every step names its action (e.g. fetch:template)".into(),
            });
            continue;
        };
        if actions::find(action).is_none() {
            problems.push(TemplateProblem {
                path: format!("{path}.action"),
                message: format!(
                    "{action} is not an action this portal has; GET /api/scaffolder/v2/actions lists them"
                ),
            });
        }
        let id = object
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| format!("step-{}", index + 1));
        if !ids.insert(id.clone()) {
            problems.push(TemplateProblem {
                path: format!("{path}.id"),
                message: format!("another step already has the id {id:?}; ids must be unique"),
            });
        }
        let name = object
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| action.to_string());
        read.push(Step {
            id,
            name,
            action: action.to_string(),
            input: object.get("input").cloned().unwrap_or(Value::Null),
            condition: object.get("if").cloned(),
            each: object.get("each").cloned(),
        });
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(spec: Value) -> Entity {
        serde_json::from_value(serde_json::json!({
            "apiVersion": API_VERSION,
            "kind": "Template",
            "metadata": {"name": "service", "title": "A service", "tags": ["rust"],
                         "annotations": {"backstage.io/managed-by-location": "file:/t/template.yaml"}},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn a_single_schema_object_is_one_page_and_steps_keep_their_fields() {
        let template = Template::from_entity(&entity(serde_json::json!({
            "owner": "group:platform", "type": "service",
            "parameters": {"title": "Name", "required": ["name"], "properties": {"name": {"type": "string"}}},
            "steps": [{"id": "fetch", "name": "Fetch", "action": "fetch:template",
                       "input": {"url": "./skeleton"}, "if": "${{ parameters.name }}"}],
            "output": {"links": [{"title": "Repository", "url": "${{ steps.publish.output.remoteUrl }}"}]}
        })))
        .unwrap();
        assert_eq!(template.entity_ref, "template:default/service");
        assert_eq!(template.pages.len(), 1);
        assert_eq!(template.pages[0].title.as_deref(), Some("Name"));
        assert_eq!(
            template.steps[0].condition,
            Some(Value::String("${{ parameters.name }}".into()))
        );
        assert_eq!(template.location.as_deref(), Some("file:/t/template.yaml"));
        let schema = template.parameter_schema();
        assert_eq!(schema["title"], "A service");
        assert_eq!(schema["steps"][0]["schema"]["required"][0], "name");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let (template, problems) = Template::from_entity(&entity(serde_json::json!({
            "parameters": [{"properties": {"name": {"type": "strang"}}}, 7],
            "steps": [
                {"id": "a", "action": "fetch:template"},
                {"id": "a", "action": "debug:log"},
                {"id": "b", "action": "shell:exec"},
                {"id": "c"}
            ]
        })))
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.parameters[0]",
                "spec.parameters[1]",
                "spec.steps[1].id",
                "spec.steps[2].action",
                "spec.steps[3].action"
            ]
        );
        assert!(
            problems[3].message.contains("shell:exec is not an action"),
            "{}",
            problems[3]
        );
        assert_eq!(template.unwrap().steps.len(), 3);
    }

    #[test]
    fn other_kinds_and_versions_are_refused() {
        let mut other = entity(serde_json::json!({}));
        other.api_version = "backstage.io/v1beta2".into();
        let (_, problems) = Template::from_entity(&other).unwrap_err();
        assert!(
            problems[0]
                .message
                .contains("scaffolder.backstage.io/v1beta3")
        );
        other.kind = "Component".into();
        assert_eq!(Template::from_entity(&other).unwrap_err().1[0].path, "kind");
    }
}
