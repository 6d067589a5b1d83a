//! YAML text → [`Spec`], collecting every problem instead of stopping at the
//! first: the document is walked as a generic YAML value, each field checked
//! against its expected shape, and unknown fields reported with their path.

use std::collections::{BTreeMap, BTreeSet};

use yaml_serde::{Mapping, Value};

use super::text;
use super::*;
use crate::stack;

/// Parse and validate an Application spec, returning all errors at once.
pub fn parse_spec(yaml: &str) -> Result<Spec, Vec<SpecError>> {
    let document: Value = match yaml_serde::from_str(yaml) {
        Ok(value) => value,
        Err(error) => {
            return Err(vec![SpecError {
                path: "<document>".into(),
                message: format!("not valid YAML: {error}"),
            }]);
        }
    };
    let mut errors = Errors::default();
    let spec = read_document(&mut errors, &document);
    match (spec, errors.0.is_empty()) {
        (Some(spec), true) => Ok(spec),
        (None, true) => Err(vec![SpecError {
            path: "<document>".into(),
            message: "could not be read (internal error: no specific problem was recorded)".into(),
        }]),
        _ => Err(errors.0),
    }
}

#[derive(Default)]
struct Errors(Vec<SpecError>);

impl Errors {
    fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(SpecError {
            path: path.to_string(),
            message: message.into(),
        });
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// A mapping whose keys are checked against the allowed field names.
struct Fields<'a> {
    map: Option<&'a Mapping>,
    path: String,
}

impl<'a> Fields<'a> {
    /// Read `value` as a mapping with only `allowed` keys. A missing value
    /// (`None`/null) is an empty mapping, so every field takes its default.
    fn new(errors: &mut Errors, value: Option<&'a Value>, path: &str, allowed: &[&str]) -> Self {
        let map = match value {
            None | Some(Value::Null) => None,
            Some(Value::Mapping(map)) => Some(map),
            Some(other) => {
                errors.push(path, format!("expected a mapping, found {}", kind(other)));
                None
            }
        };
        for key in map.into_iter().flat_map(|m| m.keys()) {
            match key.as_str() {
                Some(name) if allowed.contains(&name) => {}
                Some(name) => errors.push(
                    &join(path, name),
                    format!("unknown field; expected one of: {}", allowed.join(", ")),
                ),
                None => errors.push(
                    path,
                    format!("field names must be strings, found {}", kind(key)),
                ),
            }
        }
        Fields {
            map,
            path: path.to_string(),
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    fn path(&self, key: &str) -> String {
        join(&self.path, key)
    }

    fn string(&self, errors: &mut Errors, key: &str) -> Option<String> {
        let value = self.get(key)?;
        match value.as_str() {
            Some(text) => Some(text.to_string()),
            None => {
                errors.push(
                    &self.path(key),
                    format!("expected a string, found {}", kind(value)),
                );
                None
            }
        }
    }

    /// A string that must also pass `rule`, which says why when it does not.
    fn checked(
        &self,
        errors: &mut Errors,
        key: &str,
        rule: fn(&str) -> Result<(), String>,
    ) -> Option<String> {
        let text = self.string(errors, key)?;
        match rule(&text) {
            Ok(()) => Some(text),
            Err(message) => {
                errors.push(&self.path(key), message);
                None
            }
        }
    }

    fn boolean(&self, errors: &mut Errors, key: &str) -> Option<bool> {
        let value = self.get(key)?;
        match value.as_bool() {
            Some(flag) => Some(flag),
            None => {
                errors.push(
                    &self.path(key),
                    format!("expected true or false, found {}", kind(value)),
                );
                None
            }
        }
    }

    /// An integer within `min..=max`.
    fn integer(&self, errors: &mut Errors, key: &str, min: u64, max: u64) -> Option<u64> {
        let value = self.get(key)?;
        integer(errors, value, &self.path(key), min, max)
    }

    fn number(&self, errors: &mut Errors, key: &str) -> Option<f64> {
        let value = self.get(key)?;
        number(errors, value, &self.path(key))
    }

    fn named<T: Named>(&self, errors: &mut Errors, key: &str) -> Option<T> {
        let value = self.get(key)?;
        named(errors, value, &self.path(key))
    }

    fn list(&self, errors: &mut Errors, key: &str) -> Option<&'a Vec<Value>> {
        let value = self.get(key)?;
        match value.as_sequence() {
            Some(items) => Some(items),
            None => {
                errors.push(
                    &self.path(key),
                    format!("expected a list, found {}", kind(value)),
                );
                None
            }
        }
    }
}

/// The enums that are spelled by name in a spec.
trait Named: Sized + Copy {
    fn from_text(text: &str) -> Option<Self>;
    fn expected_names() -> String;
    const WHAT: &'static str;
}

macro_rules! impl_named {
    ($($ty:ident => $what:literal),+) => {$(
        impl Named for $ty {
            fn from_text(text: &str) -> Option<Self> { $ty::from_name(text) }
            fn expected_names() -> String { $ty::expected() }
            const WHAT: &'static str = $what;
        }
    )+};
}

impl_named!(
    Language => "language", Framework => "framework", Alert => "alert",
    Toggle => "value", PodSecurityStandard => "pod security standard",
    Strategy => "strategy", Lifecycle => "lifecycle", ServiceMesh => "service mesh",
    TestSuite => "test suite"
);

fn named<T: Named>(errors: &mut Errors, value: &Value, path: &str) -> Option<T> {
    let Some(text) = value.as_str() else {
        errors.push(path, format!("expected a string, found {}", kind(value)));
        return None;
    };
    let parsed = T::from_text(text);
    if parsed.is_none() {
        errors.push(
            path,
            format!(
                "unknown {} \"{text}\"; expected one of: {}",
                T::WHAT,
                T::expected_names()
            ),
        );
    }
    parsed
}

fn integer(errors: &mut Errors, value: &Value, path: &str, min: u64, max: u64) -> Option<u64> {
    match value.as_u64() {
        Some(n) if (min..=max).contains(&n) => Some(n),
        Some(_) => {
            errors.push(path, format!("must be between {min} and {max}"));
            None
        }
        None if value.as_i64().is_some() => {
            errors.push(path, format!("must be between {min} and {max}"));
            None
        }
        None => {
            errors.push(path, format!("expected an integer, found {}", kind(value)));
            None
        }
    }
}

fn number(errors: &mut Errors, value: &Value, path: &str) -> Option<f64> {
    match value.as_f64() {
        Some(n) if n.is_finite() => Some(n),
        _ => {
            errors.push(path, format!("expected a number, found {}", kind(value)));
            None
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// DNS-1123 label of at most `max` characters (Kubernetes names, env names).
fn check_dns_label(errors: &mut Errors, path: &str, text: &str, max: usize) -> bool {
    let valid = !text.is_empty()
        && text.len() <= max
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
        && text.as_bytes()[0].is_ascii_lowercase();
    if !valid {
        errors.push(
            path,
            format!(
                "\"{text}\" must be a DNS label: 1-{max} lowercase letters, digits or '-', starting with a letter"
            ),
        );
    }
    valid
}

fn read_document(errors: &mut Errors, document: &Value) -> Option<Spec> {
    let root = Fields::new(
        errors,
        Some(document),
        "",
        &["apiVersion", "kind", "metadata", "spec"],
    );
    match root.string(errors, "apiVersion") {
        Some(v) if v == API_VERSION => {}
        Some(v) => errors.push(
            "apiVersion",
            format!("\"{v}\" is not supported; expected {API_VERSION}"),
        ),
        None => errors.push("apiVersion", format!("required; expected {API_VERSION}")),
    }
    match root.string(errors, "kind") {
        Some(k) if k == KIND => {}
        Some(k) => errors.push("kind", format!("\"{k}\" is not supported; expected {KIND}")),
        None => errors.push("kind", format!("required; expected {KIND}")),
    }
    let metadata = read_metadata(errors, root.get("metadata"));
    if root.get("spec").is_none() {
        errors.push("spec", "required");
        return None;
    }
    let spec = read_application(errors, root.get("spec"), metadata.as_ref());
    Some(Spec {
        api_version: API_VERSION.into(),
        kind: KIND.into(),
        metadata: metadata?,
        spec: spec?,
    })
}

fn read_metadata(errors: &mut Errors, value: Option<&Value>) -> Option<Metadata> {
    let fields = Fields::new(
        errors,
        value,
        "metadata",
        &["name", "namespace", "description"],
    );
    let name = fields.string(errors, "name");
    if name.is_none() && fields.get("name").is_none() {
        errors.push("metadata.name", "required");
    }
    // Derived names such as `<name>-preview` and `<name>-error-budget` must
    // stay within Kubernetes' 63 characters.
    let name = name.filter(|n| check_dns_label(errors, "metadata.name", n, 40));
    let namespace = fields.string(errors, "namespace");
    let namespace_ok = namespace
        .as_deref()
        .is_none_or(|ns| check_dns_label(errors, "metadata.namespace", ns, 63));
    let description = fields.checked(errors, "description", text::multi_line);
    let description_ok = description.is_some() || fields.get("description").is_none();
    let name = name?;
    (namespace_ok && description_ok).then(|| Metadata {
        namespace: namespace.unwrap_or_else(|| name.clone()),
        name,
        description,
    })
}

const SPEC_FIELDS: &[&str] = &[
    "language",
    "framework",
    "build",
    "scaling",
    "monitoring",
    "security",
    "environments",
    "resources",
    "service_mesh",
    "chaos",
    "infrastructure",
    "ports",
    "env",
    "owner",
    "system",
    "lifecycle",
];

fn read_application(
    errors: &mut Errors,
    value: Option<&Value>,
    metadata: Option<&Metadata>,
) -> Option<ApplicationSpec> {
    let fields = Fields::new(errors, value, "spec", SPEC_FIELDS);
    let language = fields.named::<Language>(errors, "language");
    if fields.get("language").is_none() {
        errors.push(
            "spec.language",
            format!("required; expected one of: {}", Language::expected()),
        );
    }
    let framework = read_framework(errors, &fields, language);
    let build = framework.and_then(|f| read_build(errors, fields.get("build"), f));
    let scaling = read_scaling(errors, fields.get("scaling"));
    let monitoring = read_monitoring(errors, fields.get("monitoring"));
    let security = read_security(errors, fields.get("security"));
    let environments = read_environments(errors, &fields);
    let resources = environments
        .as_ref()
        .and_then(|envs| read_resources(errors, fields.get("resources"), envs));
    let service_mesh = fields.named::<ServiceMesh>(errors, "service_mesh");
    let chaos = fields.named::<Toggle>(errors, "chaos");
    let infrastructure = read_infrastructure(errors, fields.get("infrastructure"));
    let ports = read_ports(errors, &fields, build.as_ref());
    let env = read_env(errors, fields.get("env"));
    let owner = fields.checked(errors, "owner", text::owner);
    let system = fields.checked(errors, "system", text::system);
    let lifecycle = fields.named::<Lifecycle>(errors, "lifecycle");
    let lifecycle_given = fields.get("lifecycle").is_some();
    // A refused owner or system must not fall back to its default.
    let given = |key| fields.get(key).is_some();
    if (given("owner") && owner.is_none()) || (given("system") && system.is_none()) {
        return None;
    }
    Some(ApplicationSpec {
        language: language?,
        framework: framework?,
        build: build?,
        scaling: scaling?,
        monitoring: monitoring?,
        security: security?,
        environments: environments?,
        resources: resources?,
        service_mesh,
        // A bad value is reported above; the spec is refused with it.
        chaos: chaos.unwrap_or(Toggle::Disabled),
        infrastructure: infrastructure?,
        ports: ports?,
        env: env?,
        owner: owner.unwrap_or_else(|| metadata.map(|m| m.namespace.clone()).unwrap_or_default()),
        system,
        lifecycle: if lifecycle_given {
            lifecycle?
        } else {
            Lifecycle::Production
        },
    })
}

fn read_framework(
    errors: &mut Errors,
    fields: &Fields,
    language: Option<Language>,
) -> Option<Framework> {
    if fields.get("framework").is_none() {
        return language.map(Language::default_framework);
    }
    let framework = fields.named::<Framework>(errors, "framework")?;
    let language = language?;
    if framework.language() != language {
        errors.push(
            "spec.framework",
            format!(
                "\"{framework}\" is a {} framework, not a {language} one; for {language} use one of: {}",
                framework.language(),
                Framework::ALL
                    .iter()
                    .filter(|f| f.language() == language)
                    .map(|f| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        return None;
    }
    Some(framework)
}

fn read_build(errors: &mut Errors, value: Option<&Value>, framework: Framework) -> Option<Build> {
    let fields = Fields::new(
        errors,
        value,
        "spec.build",
        &[
            "auto_detect",
            "port",
            "build_command",
            "test_command",
            "liveness_path",
            "readiness_path",
        ],
    );
    let auto_detect = fields.boolean(errors, "auto_detect").unwrap_or(true);
    let defaults = stack::framework(framework);
    let port = fields
        .integer(errors, "port", 1024, 65535)
        .map(|p| p as u16);
    let mut field = |key: &str, default: &str, rule: fn(&str) -> Result<(), String>| {
        let given = fields.string(errors, key);
        match given {
            Some(t) if t.trim().is_empty() => {
                errors.push(&fields.path(key), "must not be empty");
                None
            }
            Some(t) => match rule(&t) {
                Ok(()) => Some(t),
                Err(message) => {
                    errors.push(&fields.path(key), message);
                    None
                }
            },
            None if fields.get(key).is_some() => None,
            None if auto_detect => Some(default.to_string()),
            None => {
                errors.push(&fields.path(key), "required when auto_detect is false");
                None
            }
        }
    };
    // Commands may span lines (each stays inside its one workflow step or
    // Dockerfile RUN); the test command runs in a workflow, where `${{`
    // would be evaluated.
    let build_command = field("build_command", defaults.build_command, text::multi_line);
    let test_command = field(
        "test_command",
        defaults.test_command,
        text::workflow_command,
    );
    let liveness_path = field("liveness_path", defaults.liveness_path, text::url_path);
    let readiness_path = field("readiness_path", defaults.readiness_path, text::url_path);
    let port = match port {
        Some(port) => port,
        None if fields.get("port").is_some() => return None,
        None if auto_detect => defaults.port,
        None => {
            errors.push(&fields.path("port"), "required when auto_detect is false");
            return None;
        }
    };
    Some(Build {
        auto_detect,
        port,
        build_command: build_command?,
        test_command: test_command?,
        liveness_path: liveness_path?,
        readiness_path: readiness_path?,
    })
}

fn read_scaling(errors: &mut Errors, value: Option<&Value>) -> Option<Scaling> {
    let fields = Fields::new(
        errors,
        value,
        "spec.scaling",
        &["min_replicas", "max_replicas", "target_cpu"],
    );
    let given = |key| fields.get(key).is_some();
    let min = fields.integer(errors, "min_replicas", 1, 1000);
    let max = fields.integer(errors, "max_replicas", 1, 1000);
    let target_cpu = fields.integer(errors, "target_cpu", 1, 100);
    let min = if given("min_replicas") { min } else { Some(2) };
    let max = if given("max_replicas") {
        max
    } else {
        Some(10.max(min.unwrap_or(2)))
    };
    // Checked before any `?` so it is reported alongside other errors.
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        errors.push(
            "spec.scaling.min_replicas",
            format!("must be ≤ max_replicas ({max})"),
        );
        return None;
    }
    let (min, max) = (min?, max?);
    let target_cpu = if given("target_cpu") { target_cpu? } else { 70 };
    Some(Scaling {
        min_replicas: min as u32,
        max_replicas: max as u32,
        target_cpu: target_cpu as u32,
    })
}

fn read_monitoring(errors: &mut Errors, value: Option<&Value>) -> Option<Monitoring> {
    let fields = Fields::new(
        errors,
        value,
        "spec.monitoring",
        &["enabled", "alerts", "slo"],
    );
    let enabled = fields.boolean(errors, "enabled");
    let alerts = match fields.list(errors, "alerts") {
        None if fields.get("alerts").is_some() => None,
        None => Some(Alert::ALL.to_vec()),
        Some(items) => unique_named::<Alert>(errors, items, &fields.path("alerts")),
    };
    let slo = read_slo(errors, fields.get("slo"));
    Some(Monitoring {
        enabled: if fields.get("enabled").is_some() {
            enabled?
        } else {
            true
        },
        alerts: alerts?,
        slo: slo?,
    })
}

/// A list of names, each known and listed once, kept in the spec's order.
fn unique_named<T: Named + Ord>(
    errors: &mut Errors,
    items: &[Value],
    path: &str,
) -> Option<Vec<T>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let item_path = format!("{path}[{i}]");
        match named::<T>(errors, item, &item_path) {
            Some(v) if !seen.insert(v) => {
                errors.push(&item_path, "listed twice");
                ok = false;
            }
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_slo(errors: &mut Errors, value: Option<&Value>) -> Option<Slo> {
    let fields = Fields::new(
        errors,
        value,
        "spec.monitoring.slo",
        &[
            "availability",
            "latency_p95_ms",
            "error_rate",
            "window_days",
        ],
    );
    let mut percent = |key: &str, default: f64| -> Option<f64> {
        if fields.get(key).is_none() {
            return Some(default);
        }
        let n = fields.number(errors, key)?;
        if n <= 0.0 || n >= 100.0 {
            errors.push(
                &fields.path(key),
                "must be a percentage strictly between 0 and 100",
            );
            return None;
        }
        Some(n)
    };
    let availability = percent("availability", 99.9);
    let error_rate = percent("error_rate", 0.1);
    let latency = fields.integer(errors, "latency_p95_ms", 1, 60_000);
    let window = fields.integer(errors, "window_days", 1, 90);
    let given = |key| fields.get(key).is_some();
    Some(Slo {
        availability: availability?,
        latency_p95_ms: if given("latency_p95_ms") {
            latency? as u32
        } else {
            500
        },
        error_rate: error_rate?,
        window_days: if given("window_days") {
            window? as u32
        } else {
            30
        },
    })
}

fn read_security(errors: &mut Errors, value: Option<&Value>) -> Option<Security> {
    let fields = Fields::new(
        errors,
        value,
        "spec.security",
        &[
            "network_policies",
            "pod_security_standards",
            "image_scanning",
        ],
    );
    fn or_default<T>(fields: &Fields, parsed: Option<T>, key: &str, default: T) -> Option<T> {
        if fields.get(key).is_some() {
            parsed
        } else {
            Some(default)
        }
    }
    let network = fields.named::<Toggle>(errors, "network_policies");
    let pss = fields.named::<PodSecurityStandard>(errors, "pod_security_standards");
    let scanning = fields.named::<Toggle>(errors, "image_scanning");
    Some(Security {
        network_policies: or_default(&fields, network, "network_policies", Toggle::Enabled)?,
        pod_security_standards: or_default(
            &fields,
            pss,
            "pod_security_standards",
            PodSecurityStandard::Restricted,
        )?,
        image_scanning: or_default(&fields, scanning, "image_scanning", Toggle::Enabled)?,
    })
}

/// The seed's promotion path, used when a spec lists no environments.
fn default_environments() -> Vec<Environment> {
    ["development", "staging", "production"]
        .iter()
        .map(|name| environment_defaults(name))
        .collect()
}

/// Defaults by environment name: development deploys immediately from
/// `develop`, staging blue-green from `main`, production canary
/// 10 → 50 → 100 % behind a manual approval.
fn environment_defaults(name: &str) -> Environment {
    let (branch, strategy, approval, tests): (&str, Strategy, bool, &[TestSuite]) = match name {
        "development" => ("develop", Strategy::Immediate, false, &[]),
        "staging" => (
            "main",
            Strategy::BlueGreen,
            false,
            &[TestSuite::Integration, TestSuite::Smoke],
        ),
        "production" => ("main", Strategy::Canary, true, &[TestSuite::Smoke]),
        _ => ("main", Strategy::Immediate, false, &[]),
    };
    Environment {
        name: name.to_string(),
        auto_deploy: !approval,
        branch: branch.to_string(),
        tests: tests.to_vec(),
        approval_required: approval,
        strategy,
        canary_steps: if strategy == Strategy::Canary {
            vec![10, 50, 100]
        } else {
            vec![]
        },
    }
}

fn read_environments(errors: &mut Errors, fields: &Fields) -> Option<Vec<Environment>> {
    let items = match fields.list(errors, "environments") {
        None if fields.get("environments").is_some() => return None,
        None => return Some(default_environments()),
        Some(items) => items,
    };
    if items.is_empty() {
        errors.push("spec.environments", "must list at least one environment");
        return None;
    }
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("spec.environments[{i}]");
        // Duplicates are found on the raw names, so they are reported even
        // when another field of the same environment is invalid.
        if let Some(name) = item.get("name").and_then(Value::as_str)
            && !names.insert(name.to_string())
        {
            errors.push(
                &join(&path, "name"),
                format!("duplicate environment name \"{name}\""),
            );
            ok = false;
        }
        match read_environment(errors, item, &path) {
            Some(env) => out.push(env),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_environment(errors: &mut Errors, value: &Value, path: &str) -> Option<Environment> {
    let fields = Fields::new(
        errors,
        Some(value),
        path,
        &[
            "name",
            "auto_deploy",
            "branch",
            "tests",
            "approval_required",
            "strategy",
            "canary_steps",
        ],
    );
    let name = fields.string(errors, "name");
    if fields.get("name").is_none() {
        errors.push(&fields.path("name"), "required");
    }
    let name = name.filter(|n| check_dns_label(errors, &fields.path("name"), n, 20))?;
    let defaults = environment_defaults(&name);
    let auto_deploy = fields.boolean(errors, "auto_deploy");
    let approval = fields.boolean(errors, "approval_required");
    let branch = fields.string(errors, "branch");
    if let Some(b) = branch.as_deref().filter(|b| !valid_branch(b)) {
        errors.push(
            &fields.path("branch"),
            format!("\"{b}\" is not a valid branch name"),
        );
    }
    let tests = fields
        .list(errors, "tests")
        .map(|items| unique_named::<TestSuite>(errors, items, &fields.path("tests")));
    let strategy = fields.named::<Strategy>(errors, "strategy");
    let given = |key| fields.get(key).is_some();
    let strategy = if given("strategy") {
        strategy?
    } else {
        defaults.strategy
    };
    let canary_steps = read_canary_steps(errors, &fields, strategy)?;
    let approval_required = if given("approval_required") {
        approval?
    } else {
        defaults.approval_required
    };
    Some(Environment {
        auto_deploy: if given("auto_deploy") {
            auto_deploy?
        } else {
            !approval_required && defaults.auto_deploy
        },
        branch: if given("branch") {
            branch.filter(|b| valid_branch(b))?
        } else {
            defaults.branch
        },
        tests: match tests {
            Some(list) => list?,
            None if given("tests") => return None,
            None => defaults.tests,
        },
        approval_required,
        strategy,
        canary_steps,
        name,
    })
}

/// Branch names go into workflow triggers and into the deploy jobs' `if:`
/// expressions (`'refs/heads/<branch>'`), where only this alphabet — no
/// quote, no space, no `#` — is known to be inert.
fn valid_branch(branch: &str) -> bool {
    !branch.is_empty()
        && branch.len() <= 100
        && branch
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        && !branch.starts_with(['-', '/', '.'])
        && !branch.contains("..")
}

fn read_canary_steps(errors: &mut Errors, fields: &Fields, strategy: Strategy) -> Option<Vec<u32>> {
    let path = fields.path("canary_steps");
    let Some(items) = fields.list(errors, "canary_steps") else {
        if fields.get("canary_steps").is_some() {
            return None;
        }
        return Some(if strategy == Strategy::Canary {
            vec![10, 50, 100]
        } else {
            vec![]
        });
    };
    if strategy != Strategy::Canary {
        errors.push(
            &path,
            format!("only allowed with strategy canary, not {strategy}"),
        );
        return None;
    }
    let steps: Vec<Option<u64>> = items
        .iter()
        .enumerate()
        .map(|(i, v)| integer(errors, v, &format!("{path}[{i}]"), 1, 100))
        .collect();
    let steps: Vec<u32> = steps
        .into_iter()
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .map(|s| s as u32)
        .collect();
    let increasing = steps.windows(2).all(|w| w[0] < w[1]);
    if steps.last() != Some(&100) || !increasing {
        errors.push(
            &path,
            "must be strictly increasing percentages ending at 100, e.g. [10, 50, 100]",
        );
        return None;
    }
    Some(steps)
}

fn read_resources(
    errors: &mut Errors,
    value: Option<&Value>,
    environments: &[Environment],
) -> Option<Resources> {
    let fields = Fields::new(
        errors,
        value,
        "spec.resources",
        &["auto_size", "environment_factor"],
    );
    let auto_size = fields.boolean(errors, "auto_size");
    let mut factors: BTreeMap<String, f64> = environments
        .iter()
        .map(|e| (e.name.clone(), default_factor(&e.name)))
        .collect();
    let given = Fields::new(
        errors,
        fields.get("environment_factor"),
        "spec.resources.environment_factor",
        &environments
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
    );
    let mut ok = true;
    for env in environments {
        if given.get(&env.name).is_none() {
            continue;
        }
        match given.number(errors, &env.name) {
            Some(f) if f > 0.0 && f <= 4.0 => {
                factors.insert(env.name.clone(), f);
            }
            Some(_) => {
                errors.push(&given.path(&env.name), "must be > 0 and ≤ 4");
                ok = false;
            }
            None => ok = false,
        }
    }
    let auto_size = if fields.get("auto_size").is_some() {
        auto_size?
    } else {
        true
    };
    ok.then_some(Resources {
        auto_size,
        environment_factor: factors,
    })
}

/// The seed's environment factors: development 0.5, staging 0.8, others 1.0.
fn default_factor(environment: &str) -> f64 {
    match environment {
        "development" => 0.5,
        "staging" => 0.8,
        _ => 1.0,
    }
}

fn read_infrastructure(
    errors: &mut Errors,
    value: Option<&Value>,
) -> Option<Option<Infrastructure>> {
    if value.is_none_or(Value::is_null) {
        return Some(None);
    }
    let fields = Fields::new(errors, value, "spec.infrastructure", &["terraform"]);
    let Some(terraform) = fields.get("terraform") else {
        return Some(Some(Infrastructure { terraform: None }));
    };
    let tf = Fields::new(
        errors,
        Some(terraform),
        "spec.infrastructure.terraform",
        &["module", "region", "log_retention_days"],
    );
    let module = tf.checked(errors, "module", text::module_source);
    let region = tf.string(errors, "region");
    if let Some(r) = region.as_deref().filter(|r| {
        r.is_empty()
            || !r
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    }) {
        errors.push(&tf.path("region"), format!("\"{r}\" is not a region name"));
    }
    // CloudWatch accepts only specific retention periods; a year is the
    // usual floor for audit (checkov CKV_AWS_338).
    let retention = tf.integer(errors, "log_retention_days", 1, 3653);
    if let Some(days) = retention.filter(|d| !LOG_RETENTION_DAYS.contains(d)) {
        errors.push(
            &tf.path("log_retention_days"),
            format!("{days} is not a supported retention; use one of {LOG_RETENTION_DAYS:?}"),
        );
    }
    let given = |key| tf.get(key).is_some();
    Some(Some(Infrastructure {
        terraform: Some(Terraform {
            module: if given("module") { Some(module?) } else { None },
            region: if given("region") {
                region.filter(|r| !r.is_empty())?
            } else {
                "eu-west-1".into()
            },
            log_retention_days: if given("log_retention_days") {
                retention.filter(|d| LOG_RETENTION_DAYS.contains(d))? as u32
            } else {
                365
            },
        }),
    }))
}

const LOG_RETENTION_DAYS: &[u64] = &[365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

fn read_ports(errors: &mut Errors, fields: &Fields, build: Option<&Build>) -> Option<Vec<Port>> {
    let Some(items) = fields.list(errors, "ports") else {
        return if fields.get("ports").is_some() {
            None
        } else {
            Some(vec![])
        };
    };
    let mut out = Vec::new();
    let mut ok = true;
    let mut names = BTreeSet::from(["http".to_string()]);
    let mut numbers: BTreeSet<u16> = build.map(|b| b.port).into_iter().collect();
    for (i, item) in items.iter().enumerate() {
        let path = format!("spec.ports[{i}]");
        let port = Fields::new(errors, Some(item), &path, &["name", "port"]);
        let name = port.string(errors, "name");
        if port.get("name").is_none() {
            errors.push(&port.path("name"), "required");
        }
        let number = port.integer(errors, "port", 1024, 65535).map(|p| p as u16);
        if port.get("port").is_none() {
            errors.push(&port.path("port"), "required");
        }
        let name = name.filter(|n| check_dns_label(errors, &port.path("name"), n, 15));
        match (name, number) {
            (Some(name), _) if !names.insert(name.clone()) => {
                errors.push(
                    &port.path("name"),
                    format!("port name \"{name}\" is already used (http is the build port)"),
                );
                ok = false;
            }
            (_, Some(number)) if !numbers.insert(number) => {
                errors.push(&port.path("port"), format!("port {number} is already used"));
                ok = false;
            }
            (Some(name), Some(port)) => out.push(Port { name, port }),
            _ => ok = false,
        }
    }
    ok.then_some(out)
}

fn read_env(errors: &mut Errors, value: Option<&Value>) -> Option<BTreeMap<String, String>> {
    let map = match value {
        None | Some(Value::Null) => return Some(BTreeMap::new()),
        Some(Value::Mapping(map)) => map,
        Some(other) => {
            errors.push(
                "spec.env",
                format!("expected a mapping of NAME: value, found {}", kind(other)),
            );
            return None;
        }
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (key, value) in map {
        let Some(name) = key.as_str() else {
            errors.push(
                "spec.env",
                format!("variable names must be strings, found {}", kind(key)),
            );
            ok = false;
            continue;
        };
        let path = format!("spec.env.{name}");
        if !valid_env_name(name) {
            errors.push(&path, "variable names must match [A-Z_][A-Z0-9_]*");
            ok = false;
        }
        match value {
            Value::String(s) => match text::multi_line(s) {
                Ok(()) => {
                    out.insert(name.to_string(), s.clone());
                }
                Err(message) => {
                    errors.push(&path, message);
                    ok = false;
                }
            },
            Value::Number(n) => {
                out.insert(name.to_string(), n.to_string());
            }
            Value::Bool(b) => {
                out.insert(name.to_string(), b.to_string());
            }
            other => {
                errors.push(
                    &path,
                    format!(
                        "expected a string, number or boolean, found {}",
                        kind(other)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn valid_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_uppercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}
