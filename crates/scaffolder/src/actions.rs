//! The actions a template's steps may name, with the JSON Schemas of their inputs and
//! outputs (Backstage's names and inputs, plus `portico:render`). The list is data
//! (`actions/actions.json`), served as it is at `GET /api/scaffolder/v2/actions`; the
//! runner checks every step's rendered input against its action's schema before running it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::LazyLock;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub id: String,
    pub description: String,
    /// `{input, output}`: JSON Schemas.
    pub schema: Value,
}

static ACTIONS: LazyLock<Vec<Action>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("actions/actions.json"))
        .expect("actions.json is a list of actions")
});

/// Every action, in the order they are documented.
pub fn all() -> &'static [Action] {
    &ACTIONS
}

pub fn find(id: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|action| action.id == id)
}

/// Checks a step's rendered input against its action's input schema; the messages name
/// the field (`input.repoUrl: …`).
pub fn check_input(action: &Action, input: &Value) -> Result<(), Vec<String>> {
    let validator =
        jsonschema::draft7::new(&action.schema["input"]).map_err(|e| vec![e.to_string()])?;
    let errors: Vec<String> = validator
        .iter_errors(input)
        .map(|error| {
            let path = error.instance_path().to_string().replace('/', ".");
            format!("input{path}: {error}")
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_action_has_compiling_schemas_and_a_unique_id() {
        let mut ids = std::collections::BTreeSet::new();
        for action in all() {
            assert!(ids.insert(&action.id), "{} twice", action.id);
            for part in ["input", "output"] {
                jsonschema::draft7::new(&action.schema[part])
                    .unwrap_or_else(|e| panic!("{} {part}: {e}", action.id));
            }
        }
        assert_eq!(ids.len(), 12);
    }

    #[test]
    fn inputs_are_checked_with_field_names() {
        let publish = find("publish:github").unwrap();
        assert!(check_input(publish, &json!({"repoUrl": "github.com?owner=a&repo=b"})).is_ok());
        let errors = check_input(publish, &json!({"repoVisibility": "secret"})).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("repoUrl")), "{errors:?}");
        assert!(
            errors.iter().any(|e| e.starts_with("input.repoVisibility")),
            "{errors:?}"
        );
    }
}
