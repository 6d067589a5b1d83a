//! Every custom resource the renderer writes, checked against the schema its project
//! publishes in its CRD (`crates/render/crds/`, with their sources in `SOURCES.md`):
//! what `kubectl apply` would refuse in a real cluster is found at render time instead.
//!
//! The API server prunes fields a structural schema does not name; for generated files a
//! pruned field is a lost setting, so here every object schema that names its properties
//! refuses the others, unless it says `x-kubernetes-preserve-unknown-fields`.

use crate::render::Rendered;
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::sync::LazyLock;

/// A custom resource kind with its vendored schema.
struct Crd {
    api_version: &'static str,
    kind: &'static str,
    schema: &'static str,
}

const CRDS: [Crd; 8] = [
    Crd {
        api_version: "argoproj.io/v1alpha1",
        kind: "Rollout",
        schema: include_str!("../crds/rollout.argoproj.io.v1alpha1.json"),
    },
    Crd {
        api_version: "argoproj.io/v1alpha1",
        kind: "AnalysisTemplate",
        schema: include_str!("../crds/analysistemplate.argoproj.io.v1alpha1.json"),
    },
    Crd {
        api_version: "argoproj.io/v1alpha1",
        kind: "Application",
        schema: include_str!("../crds/application.argoproj.io.v1alpha1.json"),
    },
    Crd {
        api_version: "networking.istio.io/v1",
        kind: "VirtualService",
        schema: include_str!("../crds/virtualservice.networking.istio.io.v1.json"),
    },
    Crd {
        api_version: "networking.istio.io/v1",
        kind: "DestinationRule",
        schema: include_str!("../crds/destinationrule.networking.istio.io.v1.json"),
    },
    Crd {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        schema: include_str!("../crds/prometheusrule.monitoring.coreos.com.v1.json"),
    },
    Crd {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        schema: include_str!("../crds/servicemonitor.monitoring.coreos.com.v1.json"),
    },
    Crd {
        api_version: "chaos-mesh.org/v1alpha1",
        kind: "PodChaos",
        schema: include_str!("../crds/podchaos.chaos-mesh.org.v1alpha1.json"),
    },
];

/// The API groups whose resources must have a vendored schema.
const CUSTOM_GROUPS: [&str; 4] = [
    "argoproj.io",
    "networking.istio.io",
    "monitoring.coreos.com",
    "chaos-mesh.org",
];

/// A custom resource its CRD's schema refuses.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CrdProblem {
    pub file: String,
    /// `Kind/name`.
    pub resource: String,
    /// Where in the document, as a JSON pointer (`/spec/strategy/canary`).
    pub path: String,
    /// The schema's words.
    pub message: String,
}

impl fmt::Display for CrdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(
            f,
            "{}: {}: {}: {}",
            self.file, self.resource, path, self.message
        )
    }
}

/// The compiled schemas, once per process: compiling them takes milliseconds, far more
/// than a render.
static VALIDATORS: LazyLock<Vec<(&'static Crd, jsonschema::Validator)>> = LazyLock::new(|| {
    CRDS.iter()
        .map(|crd| {
            let mut schema: Value =
                serde_json::from_str(crd.schema).expect("a vendored CRD schema is JSON");
            every_object_has_its_header(&mut schema);
            strict(&mut schema);
            // OpenAPI 3.0 schemas are closest to draft 4 (boolean exclusiveMaximum).
            let validator = jsonschema::draft4::new(&schema)
                .unwrap_or_else(|e| panic!("{} {}: {e}", crd.api_version, crd.kind));
            (crd, validator)
        })
        .collect()
});

/// Every custom resource in `rendered`'s YAML files checked against its schema. A file
/// that is not YAML is left to the parse check ([`crate::verify`]).
pub fn check(rendered: &Rendered) -> Vec<CrdProblem> {
    let yaml = rendered.files.iter().filter(|f| {
        (f.path.ends_with(".yaml") || f.path.ends_with(".yml")) && !f.path.starts_with(".github/")
    });
    let mut problems = Vec::new();
    for file in yaml {
        for document in yaml_serde::Deserializer::from_str(&file.contents) {
            let Ok(value) = Value::deserialize(document) else {
                break;
            };
            problems.extend(check_resource(&file.path, &value));
        }
    }
    problems
}

/// One document: nothing to say unless it is a resource of a custom group.
pub fn check_resource(file: &str, resource: &Value) -> Vec<CrdProblem> {
    let (Some(api_version), Some(kind)) =
        (resource["apiVersion"].as_str(), resource["kind"].as_str())
    else {
        return vec![];
    };
    let group = api_version.split('/').next().unwrap_or_default();
    if !CUSTOM_GROUPS.contains(&group) {
        return vec![];
    }
    let name = resource["metadata"]["name"].as_str().unwrap_or("?");
    let problem = |path: String, message: String| CrdProblem {
        file: file.to_string(),
        resource: format!("{kind}/{name}"),
        path,
        message,
    };
    let Some((_, validator)) = VALIDATORS
        .iter()
        .find(|(crd, _)| crd.api_version == api_version && crd.kind == kind)
    else {
        return vec![problem(
            String::new(),
            format!(
                "Portico has no schema for {api_version} {kind}; add it to scripts/refresh-crds.sh"
            ),
        )];
    };
    validator
        .iter_errors(resource)
        .map(|error| problem(error.instance_path().to_string(), error.to_string()))
        .collect()
}

/// Declares `apiVersion`, `kind` and `metadata` at the root where a schema leaves them
/// out (Istio's do): the API server accepts them on every object.
fn every_object_has_its_header(schema: &mut Value) {
    let header = [
        ("apiVersion", serde_json::json!({"type": "string"})),
        ("kind", serde_json::json!({"type": "string"})),
        ("metadata", serde_json::json!({"type": "object"})),
    ];
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        for (name, field) in header {
            properties.entry(name).or_insert(field);
        }
    }
}

/// Makes `schema` refuse what the API server would prune or read differently: object
/// schemas that name their properties refuse others (unless they preserve unknown
/// fields), and `nullable: true` admits null.
fn strict(schema: &mut Value) {
    let Value::Object(map) = schema else {
        return;
    };
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.contains_key("properties") && !preserves && !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    if map.get("nullable") == Some(&Value::Bool(true))
        && let Some(Value::String(single)) = map.get("type").cloned()
    {
        map.insert("type".into(), serde_json::json!([single, "null"]));
    }
    // Only where schemas sit, not into `properties` maps themselves: a field may be
    // called `properties` or `type`.
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(strict);
    }
    for keyword in ["items", "additionalProperties", "not"] {
        if let Some(inner) = map.get_mut(keyword) {
            strict(inner);
        }
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(schemas)) = map.get_mut(keyword) {
            schemas.iter_mut().for_each(strict);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_vendored_schema_compiles() {
        assert_eq!(VALIDATORS.len(), CRDS.len());
    }

    #[test]
    fn an_unknown_field_and_a_wrong_type_are_named_with_their_path() {
        let rollout = json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": "three",
                "strategy": {"canary": {"stepz": []}},
            }
        });
        let problems = check_resource("deploy/base/rollout.yaml", &rollout);
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(
            lines.iter().any(|l| l
                .starts_with("deploy/base/rollout.yaml: Rollout/web: /spec/replicas: ")
                && l.contains("\"three\" is not of type \"integer\"")),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("/spec/strategy/canary: ")
                    && l.contains("'stepz' was unexpected")),
            "{lines:#?}"
        );
    }

    #[test]
    fn a_kind_without_a_schema_is_a_problem_and_core_kinds_are_not_ours() {
        let experiment = json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Experiment", "metadata": {"name": "x"}});
        assert_eq!(check_resource("x.yaml", &experiment).len(), 1);
        let deployment =
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"nonsense": 1}});
        assert!(check_resource("x.yaml", &deployment).is_empty());
    }

    #[test]
    fn strictness_stops_where_the_schema_preserves_unknown_fields() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "kept": {"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"a": {}}},
                "properties": {"type": "object", "properties": {"b": {"type": "string", "nullable": true}}},
            }
        });
        strict(&mut schema);
        let validator = jsonschema::draft4::new(&schema).unwrap();
        assert!(validator.is_valid(&json!({"kept": {"z": 1}, "properties": {"b": null}})));
        assert!(!validator.is_valid(&json!({"other": 1})));
        assert!(!validator.is_valid(&json!({"properties": {"c": 1}})));
    }
}
