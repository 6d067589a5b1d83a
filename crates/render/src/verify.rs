//! Every generated file is parsed back before a render is returned: the
//! escaping in [`crate::escape`] is the defence, this is the proof. A file
//! that does not parse is blamed on the spec value that broke it, found by
//! rendering again with each free-text value made benign in turn, so the
//! user is told which field to change rather than shown an internal error.

use crate::outline;
use crate::render::Rendered;
use crate::spec::Spec;

/// A generated file that does not parse as its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unparseable {
    pub file: String,
    pub problem: String,
}

/// The first file of `rendered` that does not parse, if any. Kubernetes
/// manifests are skipped: the policies parse them anyway
/// ([`crate::policy::parse_manifests`]), and reading each file once keeps
/// a render within its time budget.
pub fn check(rendered: &Rendered) -> Result<(), Unparseable> {
    let unparsed = rendered
        .files
        .iter()
        .filter(|f| !crate::policy::is_manifest(&f.path));
    for file in unparsed {
        check_file(&file.path, &file.contents).map_err(|problem| Unparseable {
            file: file.path.clone(),
            problem,
        })?;
    }
    Ok(())
}

/// Parses one file by its format. `.dockerignore` and the shipped Rego
/// policies hold no spec text.
pub fn check_file(path: &str, contents: &str) -> Result<(), String> {
    if path.ends_with(".yaml") || path.ends_with(".yml") {
        outline::yaml_parses(contents)
    } else if path.ends_with(".json") {
        serde_json::from_str::<serde_json::Value>(contents)
            .map(drop)
            .map_err(|e| e.to_string())
    } else if path == "Dockerfile" {
        outline::dockerfile(contents).map(drop)
    } else if path.ends_with(".tf") || path.ends_with(".tfvars") {
        outline::hcl(contents).map(drop)
    } else {
        Ok(())
    }
}

/// The paths of the free-text fields that, on their own, make `failure`'s
/// file unparseable: with that one value replaced by a benign one, the
/// file `render_again` produces parses. Empty when no single value is to
/// blame (then the template itself is wrong).
pub fn blame(
    spec: &Spec,
    failure: &Unparseable,
    render_again: impl Fn(&Spec) -> Option<Rendered>,
) -> Vec<String> {
    let count = spec.clone().free_text_mut().len();
    (0..count)
        .filter_map(|i| {
            let mut candidate = spec.clone();
            let path = {
                let mut fields = candidate.free_text_mut();
                let field = &mut fields[i];
                *field.value = field.benign.to_string();
                field.path.clone()
            };
            let rendered = render_again(&candidate)?;
            let file = rendered.get(&failure.file)?;
            check_file(&file.path, &file.contents)
                .is_ok()
                .then_some(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::File;
    use crate::{RenderOptions, parse_spec};

    fn one_file(path: &str, contents: String) -> Rendered {
        Rendered {
            files: vec![File {
                path: path.into(),
                contents,
            }],
        }
    }

    /// A stand-in for a template with a broken escape: the owner is pasted
    /// into a YAML line raw.
    fn raw_owner(spec: &Spec) -> Option<Rendered> {
        Some(one_file(
            "catalog-info.yaml",
            format!("spec:\n  owner: {}\n", spec.spec.owner),
        ))
    }

    #[test]
    fn the_value_that_breaks_a_file_is_named() {
        let mut spec = parse_spec(include_str!("../tests/specs/fastapi.yaml")).unwrap();
        spec.spec.owner = "team\n evil: [".into();
        let failure = check(&raw_owner(&spec).unwrap()).unwrap_err();
        assert_eq!(failure.file, "catalog-info.yaml");
        assert_eq!(blame(&spec, &failure, raw_owner), ["spec.owner"]);
    }

    #[test]
    fn nothing_is_blamed_when_the_template_is_wrong() {
        let spec = parse_spec(include_str!("../tests/specs/fastapi.yaml")).unwrap();
        let broken = |_: &Spec| Some(one_file("Dockerfile", "FORM scratch\n".into()));
        let failure = check(&broken(&spec).unwrap()).unwrap_err();
        assert_eq!(blame(&spec, &failure, broken), Vec::<String>::new());
    }

    #[test]
    fn every_rendered_example_parses() {
        for yaml in [
            include_str!("../tests/specs/nextjs.yaml"),
            include_str!("../tests/specs/gin-istio.yaml"),
        ] {
            let spec = parse_spec(yaml).unwrap();
            let rendered = crate::render(&spec, &RenderOptions::default()).unwrap();
            assert_eq!(check(&rendered), Ok(()));
        }
    }
}
