//! What steps do. Each action reads its input (already rendered and checked against its
//! schema), works on the task's workspace or the world, and returns its output. In a dry
//! run the actions that change the world (publish, register, dispatch) only say what
//! they would do and return outputs of the same shape.

mod catalog;
mod fetch;
mod fs;
mod github;
mod render;

pub use github::github_error;

use super::Scaffolder;
use scaffolder::workspace::Workspace;
use serde_json::{Map, Value};

/// A real run, or a dry run that changes nothing outside the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Real,
    DryRun,
}

/// What an action gets.
pub struct ActionContext<'a> {
    pub scaffolder: Option<&'a Scaffolder>,
    pub task_id: &'a str,
    pub step_id: &'a str,
    pub input: Value,
    pub workspace: &'a mut Workspace,
    /// `user` of the task: `{ref, entity}`.
    pub user: &'a Value,
    /// The template's location (`file:/…/template.yaml`, `url:https://…`).
    pub template_base: Option<&'a str>,
    /// For a dry run: the template's folder as sent; relative fetches read it.
    pub template_files: Option<&'a Workspace>,
    pub mode: Mode,
    /// What finished steps returned, and checkpoints within a step (keys `<step>#…`).
    pub state: &'a mut Map<String, Value>,
    /// Log lines for the step.
    pub logs: &'a mut Vec<String>,
}

impl ActionContext<'_> {
    pub fn log(&mut self, message: impl Into<String>) {
        self.logs.push(message.into());
    }

    /// A string input, if given.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.input.get(key).and_then(Value::as_str)
    }

    pub fn flag(&self, key: &str) -> Option<bool> {
        self.input.get(key).and_then(Value::as_bool)
    }

    pub fn scaffolder(&self) -> Result<&Scaffolder, String> {
        self.scaffolder
            .ok_or_else(|| "this action needs the portal's services".to_string())
    }

    /// Refuses a `token` input: tokens come from the GitHub integration's configuration,
    /// never from a template or its form (where they would be stored and logged).
    pub fn refuse_token(&self) -> Result<(), String> {
        if self.input.get("token").is_some() {
            return Err(
                "input.token is not accepted: Portico uses the token of the GitHub integration \
                        configured for the host (integrations.github in portico.yaml)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Whether a finished step of this action must not run again when a task resumes.
pub fn changes_the_world(action: &str) -> bool {
    matches!(
        action,
        "publish:github" | "catalog:register" | "github:actions:dispatch"
    )
}

/// Runs the action `id`; `Err` is the message the task shows for the step.
pub async fn run(id: &str, ctx: &mut ActionContext<'_>) -> Result<Value, String> {
    let empty = || Ok(Value::Object(Map::new()));
    match id {
        "debug:log" => {
            fs::debug_log(ctx);
            empty()
        }
        "fetch:plain" => fetch::plain(ctx).await.and_then(|()| empty()),
        "fetch:plain:file" => fetch::plain_file(ctx).await.and_then(|()| empty()),
        "fetch:template" => fetch::template(ctx).await.and_then(|()| empty()),
        "fetch:template:file" => fetch::template_file(ctx).await.and_then(|()| empty()),
        "fs:rename" => fs::rename(ctx).and_then(|()| empty()),
        "fs:delete" => fs::delete(ctx).and_then(|()| empty()),
        "catalog:write" => catalog::write(ctx).and_then(|()| empty()),
        "catalog:register" => catalog::register(ctx).await,
        "publish:github" => github::publish(ctx).await,
        "github:actions:dispatch" => github::dispatch(ctx).await.and_then(|()| empty()),
        "portico:render" => render::render(ctx),
        other => Err(format!("{other} is not an action this portal has")),
    }
}
