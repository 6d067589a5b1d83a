//! Spec + options → the sorted list of generated files, policy-checked.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::context::Context;
use crate::options::RenderOptions;
use crate::policy::{self, Manifest, Violation};
use crate::spec::Spec;
use crate::verify::{self, Unparseable};
use crate::{SpecError, artifacts, parse_spec};

/// One generated file, with a path relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct File {
    pub path: String,
    pub contents: String,
}

/// The rendered artifact set, sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub files: Vec<File>,
}

impl Rendered {
    pub fn get(&self, path: &str) -> Option<&File> {
        self.files.iter().find(|f| f.path == path)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("environment \"{0}\" is not in the spec (known: {1})")]
    UnknownEnvironment(String, String),
    #[error("invalid render options: {0}")]
    InvalidOptions(String),
    #[error("{} policy violation(s):\n{}", .0.len(), list(.0))]
    PolicyViolations(Vec<Violation>),
    /// Values of the spec that a generated file could not carry: the file
    /// did not parse back with them. The parser refuses such values first,
    /// so this is reached only by a `Spec` built in code; each error names
    /// the field, for a 422 rather than a 500.
    #[error("{} value(s) of the spec cannot be written safely:\n{}", .0.len(), list(.0))]
    UnsafeValues(Vec<SpecError>),
    /// A bug in Portico (a template or policy that does not work), never
    /// the user's input.
    #[error("internal error: {0}")]
    Internal(String),
}

fn list(problems: &[impl std::fmt::Display]) -> String {
    problems
        .iter()
        .map(|v| format!("  {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Render every artifact for `spec`, then evaluate the policies on the
/// Kubernetes manifests; any violation refuses the whole render.
pub fn render(spec: &Spec, opts: &RenderOptions) -> Result<Rendered, RenderError> {
    let (rendered, manifests) = render_parsed(spec, opts)?;
    let violations = policy::evaluate_manifests(manifests, &opts.policies)?;
    if violations.is_empty() {
        Ok(rendered)
    } else {
        Err(RenderError::PolicyViolations(violations))
    }
}

/// Render, and parse every file back before anything is returned: the
/// Kubernetes manifests into the objects the policies judge, every other
/// file with its format's check. A file that does not parse is an error
/// naming the spec value that broke it.
fn render_parsed(
    spec: &Spec,
    opts: &RenderOptions,
) -> Result<(Rendered, Vec<Manifest>), RenderError> {
    validate_options(spec, opts)?;
    let rendered = render_files(spec, opts)?;
    let parsed = parse_back(&rendered);
    match parsed {
        Ok(manifests) => Ok((rendered, manifests)),
        Err(failure) => Err(blamed(spec, opts, failure)),
    }
}

/// Parses every rendered file back: the Kubernetes manifests into the objects the
/// policies judge, the other files with their format's check. Parsing YAML is most of a
/// render's time, so the two halves (about 60:40 by size) run on two threads.
fn parse_back(rendered: &Rendered) -> Result<Vec<Manifest>, Unparseable> {
    // wasm32 has no threads (the crate builds for the browser, where it renders nothing).
    if cfg!(target_arch = "wasm32") {
        return verify::check(rendered).and_then(|()| policy::parse_manifests(rendered));
    }
    std::thread::scope(|scope| {
        let others = scope.spawn(|| verify::check(rendered));
        let manifests = policy::parse_manifests(rendered);
        let others = others
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        others.and(manifests)
    })
}

/// The error for a file that does not parse: the spec fields to blame, or
/// an internal error when no single value is (the template is wrong).
fn blamed(spec: &Spec, opts: &RenderOptions, failure: Unparseable) -> RenderError {
    let fields = verify::blame(spec, &failure, |candidate| {
        render_files(candidate, opts).ok()
    });
    if fields.is_empty() {
        return RenderError::Internal(format!(
            "{} does not parse: {}",
            failure.file, failure.problem
        ));
    }
    RenderError::UnsafeValues(
        fields
            .into_iter()
            .map(|path| SpecError {
                path,
                message: format!(
                    "cannot be written safely into {} ({}); change the value",
                    failure.file, failure.problem
                ),
            })
            .collect(),
    )
}

fn render_files(spec: &Spec, opts: &RenderOptions) -> Result<Rendered, RenderError> {
    let context = Context::new(spec, opts);
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for (path, contents) in artifacts::render_all(&context)? {
        files.insert(path, contents);
    }
    Ok(Rendered {
        files: files
            .into_iter()
            .map(|(path, contents)| File { path, contents })
            .collect(),
    })
}

fn validate_options(spec: &Spec, opts: &RenderOptions) -> Result<(), RenderError> {
    if let Some(env) = &opts.environment
        && spec.environment(env).is_none()
    {
        let known: Vec<&str> = spec
            .spec
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        return Err(RenderError::UnknownEnvironment(
            env.clone(),
            known.join(", "),
        ));
    }
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
    };
    for (what, value) in [
        ("image_registry", &opts.image_registry),
        ("github_org", &opts.github_org),
        ("image_tag", &opts.image_tag),
        ("prometheus_url", &opts.prometheus_url),
        ("grafana_url", &opts.grafana_url),
        ("app_domain", &opts.app_domain),
    ]
    .into_iter()
    .chain(
        opts.source_template
            .as_ref()
            .map(|template| ("source_template", template)),
    ) {
        if !safe(value) {
            return Err(RenderError::InvalidOptions(format!(
                "{what} \"{value}\" has unsafe characters"
            )));
        }
    }
    Ok(())
}

/// The result of a dry run: spec errors, or the policy verdict on what
/// would be rendered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckReport {
    pub spec_errors: Vec<SpecError>,
    pub violations: Vec<Violation>,
    /// Render failures that are not policy violations (unknown environment…).
    pub render_error: Option<String>,
    /// How many files would be written.
    pub files: usize,
    /// How many Kubernetes manifests the policies evaluated.
    pub manifests_checked: usize,
    /// Custom resources their CRD's schema refuses ([`crate::crd`]) and a dashboard
    /// Grafana's schema refuses ([`crate::dashboard`]), as written and, when
    /// only the build of an overlay shows the problem, as built
    /// (`<overlay> (kustomize build)`).
    pub crd_problems: Vec<crate::crd::CrdProblem>,
    /// How many kustomize overlays were built ([`crate::kustomize`]).
    pub overlays_built: usize,
    /// Overlays that do not build: a patch that does not apply, a missing resource, a
    /// kustomization field the build does not know.
    pub overlay_problems: Vec<crate::kustomize::BuildError>,
}

impl CheckReport {
    pub fn passed(&self) -> bool {
        self.spec_errors.is_empty()
            && self.violations.is_empty()
            && self.render_error.is_none()
            && self.crd_problems.is_empty()
            && self.overlay_problems.is_empty()
    }
}

/// Validate a spec and evaluate the policies without producing files.
pub fn check(yaml: &str, opts: &RenderOptions) -> CheckReport {
    let mut report = CheckReport {
        spec_errors: vec![],
        violations: vec![],
        render_error: None,
        files: 0,
        manifests_checked: 0,
        crd_problems: vec![],
        overlays_built: 0,
        overlay_problems: vec![],
    };
    let spec = match parse_spec(yaml) {
        Ok(spec) => spec,
        Err(errors) => {
            report.spec_errors = errors;
            return report;
        }
    };
    match render_parsed(&spec, opts) {
        Ok((rendered, manifests)) => {
            report.files = rendered.files.len();
            report.manifests_checked = manifests.len();
            report.crd_problems = crate::crd::check(&rendered);
            report
                .crd_problems
                .extend(crate::dashboard::check(&rendered));
            // Each overlay built as kustomize builds it, and its custom resources checked
            // again: what a patch breaks shows only there. A problem the files already
            // show is not repeated.
            let overlays = crate::kustomize::check(&rendered);
            report.overlays_built = overlays.built;
            report.overlay_problems = overlays.problems;
            for problem in overlays.crd_problems {
                let known = report.crd_problems.iter().any(|p| {
                    p.resource == problem.resource
                        && p.path == problem.path
                        && p.message == problem.message
                });
                if !known {
                    report.crd_problems.push(problem);
                }
            }
            match policy::evaluate_manifests(manifests, &opts.policies) {
                Ok(violations) => report.violations = violations,
                Err(error) => report.render_error = Some(error.to_string()),
            }
        }
        Err(RenderError::UnsafeValues(errors)) => report.spec_errors = errors,
        Err(error) => report.render_error = Some(error.to_string()),
    }
    report
}
