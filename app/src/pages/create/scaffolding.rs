//! What the scaffolder pages need from the server: running a template (a task or a dry
//! run) and cancelling or retrying a task. The server implements [`Scaffolding`] with the
//! same code as its `/api/scaffolder/v2` handlers (authorisation, validation, the task
//! runner) and puts it in context; pages read templates and tasks from the store.

use serde::{Deserialize, Serialize};

/// A value that breaks the template's form: where (a JSON pointer: `/name`) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub path: String,
    pub message: String,
}

/// One file a dry run would publish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunFile {
    pub path: String,
    /// The text, or `None` for a binary file.
    pub text: Option<String>,
    pub bytes: usize,
    pub executable: bool,
}

/// What a dry run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DryRunView {
    /// `completed` or `failed`.
    pub status: String,
    pub files: Vec<DryRunFile>,
    /// The log, one line per event message (secrets blanked out).
    pub log: Vec<String>,
}

/// Why the server would not run a template.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScaffoldingError {
    /// Values that break the form's schema.
    Invalid(Vec<FieldProblem>),
    /// Refused or impossible, with a message for the person (status: 400, 401, 403, 404, 409).
    Refused { status: u16, message: String },
}

#[cfg(feature = "ssr")]
pub type ScaffoldingFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, ScaffoldingError>> + Send + 'a>>;

/// The server's side of the scaffolder pages, for the request at hand (`request`: whose
/// session or token decides, through the authorisation seam).
#[cfg(feature = "ssr")]
pub trait Scaffolding: Send + Sync {
    /// Starts a task; answers its id.
    fn start(
        &self,
        request: http::request::Parts,
        template_ref: String,
        values: serde_json::Map<String, serde_json::Value>,
        secrets: serde_json::Map<String, serde_json::Value>,
    ) -> ScaffoldingFuture<'_, String>;

    /// Runs the template without publishing or registering anything.
    fn dry_run(
        &self,
        request: http::request::Parts,
        template_ref: String,
        values: serde_json::Map<String, serde_json::Value>,
        secrets: serde_json::Map<String, serde_json::Value>,
    ) -> ScaffoldingFuture<'_, DryRunView>;

    /// Cancels a task (its creator or an admin); answers `cancelled` or `cancelling`.
    fn cancel(
        &self,
        request: http::request::Parts,
        task_id: String,
    ) -> ScaffoldingFuture<'_, String>;

    /// Runs a failed or cancelled task again from its first unfinished step.
    fn retry(&self, request: http::request::Parts, task_id: String) -> ScaffoldingFuture<'_, ()>;
}
