//! Policy as code: the Rego policies under `policy/` are shipped with every
//! render (as `policy/*.rego`) and evaluated here, with the embedded
//! regorus engine, on each rendered Kubernetes manifest.

use std::fmt;
use std::sync::OnceLock;

use regorus::{Engine, Value};
use serde::{Deserialize, Serialize};

use crate::render::{RenderError, Rendered};
use crate::verify::Unparseable;

/// The shipped policies: (file name, Rego source).
pub const POLICIES: &[(&str, &str)] = &[
    ("security.rego", include_str!("../policy/security.rego")),
    ("workload.rego", include_str!("../policy/workload.rego")),
];

/// The rule whose results are a policy's violations: `policy/<name>.rego` declares
/// `package portico.kubernetes.<name>` with a `deny` set.
fn deny_rule(policy: &str) -> String {
    format!("data.portico.kubernetes.{policy}.deny")
}

/// The kinds the shipped policies judge (those carrying a pod template; see
/// `workload_kinds` in the Rego). Other manifests cannot violate them, so
/// they are not sent to the engine — this halves the render time. A policy
/// on another kind must add it here.
const POLICY_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Rollout",
];

/// One denied resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Violation {
    pub file: String,
    /// `Kind/name`
    pub resource: String,
    pub policy: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): [{}] {}",
            self.file, self.resource, self.policy, self.message
        )
    }
}

/// A Kubernetes object parsed back from a rendered file.
pub struct Manifest {
    pub file: String,
    pub resource: String,
    pub value: Value,
}

#[derive(Deserialize)]
struct Denial {
    policy: String,
    message: String,
}

/// The engine with the policies compiled, built once per process.
fn engine() -> Result<Engine, RenderError> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    let built = ENGINE.get_or_init(|| {
        let mut engine = Engine::new();
        for (name, source) in POLICIES {
            engine
                .add_policy(format!("policy/{name}"), source.to_string())
                .map_err(|e| format!("policy/{name}: {e}"))?;
        }
        Ok(engine)
    });
    built.clone().map_err(RenderError::Internal)
}

/// Whether a rendered file holds Kubernetes objects to check (kustomization
/// files only hold patches and are not objects).
pub(crate) fn is_manifest(path: &str) -> bool {
    path.starts_with("deploy/") && path.ends_with(".yaml") && !path.ends_with("kustomization.yaml")
}

/// Every Kubernetes object in the rendered files, parsed from their YAML.
pub fn manifests(rendered: &Rendered) -> Result<Vec<Manifest>, RenderError> {
    parse_manifests(rendered).map_err(|failure| {
        RenderError::Internal(format!(
            "{} is not valid YAML: {}",
            failure.file, failure.problem
        ))
    })
}

/// [`manifests`], with a file that does not parse reported as such (the
/// render blames it on a spec value).
pub(crate) fn parse_manifests(rendered: &Rendered) -> Result<Vec<Manifest>, Unparseable> {
    let mut out = Vec::new();
    for file in rendered.files.iter().filter(|f| is_manifest(&f.path)) {
        for document in yaml_serde::Deserializer::from_str(&file.contents) {
            let value = Value::deserialize(document).map_err(|e| Unparseable {
                file: file.path.clone(),
                problem: e.to_string(),
            })?;
            let kind = value["kind"].as_string().map(|s| s.to_string());
            let name = value["metadata"]["name"].as_string().map(|s| s.to_string());
            if let (Ok(kind), Ok(name)) = (kind, name) {
                out.push(Manifest {
                    file: file.path.clone(),
                    resource: format!("{kind}/{name}"),
                    value,
                });
            }
        }
    }
    Ok(out)
}

/// Evaluate the `policies` (names without `.rego`) on every manifest; the violations
/// come back sorted so the report is stable.
pub fn evaluate(rendered: &Rendered, policies: &[String]) -> Result<Vec<Violation>, RenderError> {
    evaluate_manifests(manifests(rendered)?, policies)
}

/// [`evaluate`] on manifests already parsed.
pub(crate) fn evaluate_manifests(
    manifests: Vec<Manifest>,
    policies: &[String],
) -> Result<Vec<Violation>, RenderError> {
    let mut engine = engine()?;
    let mut violations = Vec::new();
    let judged = manifests.into_iter().filter(|m| {
        let kind = m.resource.split('/').next().unwrap_or_default();
        POLICY_KINDS.contains(&kind)
    });
    for manifest in judged {
        engine.set_input(manifest.value);
        for rule in policies.iter().map(|policy| deny_rule(policy)) {
            let result = engine
                .eval_rule(rule.clone())
                .map_err(|e| RenderError::Internal(format!("evaluating {rule}: {e}")))?;
            let denials: Vec<Denial> = if result == Value::Undefined {
                vec![]
            } else {
                serde_json::from_str(&result.to_string())
                    .map_err(|e| RenderError::Internal(format!("{rule} returned {result}: {e}")))?
            };
            violations.extend(denials.into_iter().map(|d| Violation {
                file: manifest.file.clone(),
                resource: manifest.resource.clone(),
                policy: d.policy,
                message: d.message,
            }));
        }
    }
    violations.sort();
    violations.dedup();
    Ok(violations)
}
