//! Create: starting something new from a template.
//!
//! - `/create` — the gallery of Template entities, searchable and filterable by tag and
//!   owner, golden paths (tagged `recommended`) first (`gallery`).
//! - `/create/templates/:namespace/:name` — the wizard: a form generated from the
//!   template's JSON Schema pages, a dry run that shows every file that would be
//!   published, and Create (`wizard`, its inputs in `fields`, the dry run in `preview`).
//! - `/create/tasks/:id` — a task's steps, log and output, live while it runs, with
//!   Cancel and Retry (`task`); `/create/tasks` — my tasks, and all tasks for admins
//!   (`tasks`).
//! - `/create/application` — the Application spec editor (`application`).
//!
//! Templates and tasks are read from the store; running, cancelling and retrying go
//! through the [`scaffolding::Scaffolding`] the server puts in context (the same code as
//! its `/api/scaffolder/v2`). Every page and form works without JavaScript: forms post
//! and redirect, a running task's page reloads itself; with JavaScript the wizard shows
//! its answers in place and the task page updates every second.

pub mod application;
pub mod fields;
pub mod gallery;
pub mod preview;
pub mod scaffolding;
pub mod task;
pub mod tasks;
pub mod wizard;

pub use gallery::CreatePage;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is encoded in a path segment.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The wizard of the template `namespace/name`.
pub fn wizard_href(namespace: &str, name: &str) -> String {
    format!(
        "/create/templates/{}/{}",
        utf8_percent_encode(namespace, PATH_SEGMENT),
        utf8_percent_encode(name, PATH_SEGMENT)
    )
}

/// The page of the task `id`.
pub fn task_href(id: &str) -> String {
    format!("/create/tasks/{}", utf8_percent_encode(id, PATH_SEGMENT))
}

/// The wizard of a template ref (`template:default/service`); `None` for text that is not
/// one.
pub fn template_ref_href(template_ref: &str) -> Option<String> {
    let parsed = crate::pages::catalog::shared::parse_ref(template_ref)?;
    Some(wizard_href(&parsed.namespace, &parsed.name))
}

/// `1234` ms → `1.2 s`; `75_000` → `1 min 15 s`.
#[cfg(any(feature = "ssr", test))]
pub fn duration_text(ms: i64) -> String {
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1_000.0)
    } else {
        let seconds = ms / 1_000;
        format!("{} min {} s", seconds / 60, seconds % 60)
    }
}

/// A task or step status as a badge (`status status-completed`).
pub fn status_class(status: &str) -> String {
    let known = [
        "open",
        "processing",
        "completed",
        "failed",
        "cancelled",
        "skipped",
        "pending",
    ];
    let status = if known.contains(&status) {
        status
    } else {
        "unknown"
    };
    format!("status status-{status}")
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::scaffolding::{Scaffolding, ScaffoldingError};
    use crate::error::AppError;
    use leptos::prelude::use_context;
    use std::sync::Arc;

    /// The scaffolding the server put in context.
    pub fn scaffolding() -> Result<Arc<dyn Scaffolding>, AppError> {
        use_context::<Arc<dyn Scaffolding>>()
            .ok_or_else(|| AppError::internal("no scaffolding in context"))
    }

    /// The request at hand: whose session or token decides what the scaffolding may do.
    pub fn request() -> Result<http::request::Parts, AppError> {
        use_context::<http::request::Parts>()
            .ok_or_else(|| AppError::internal("no request parts in context"))
    }

    /// A refusal of the scaffolding as the error of a server function, with its status.
    pub fn refused(error: ScaffoldingError) -> AppError {
        match error {
            ScaffoldingError::Invalid(problems) => AppError::BadInput(
                problems
                    .into_iter()
                    .map(|p| format!("{}: {}", p.path, p.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            ScaffoldingError::Refused { status, message } => match status {
                401 => AppError::SignInRequired(message),
                403 => AppError::NotAllowed(message),
                404 => AppError::NotFound(message),
                400..=499 => AppError::BadInput(message),
                _ => AppError::Internal(message),
            },
        }
    }

    /// Whether the request is a plain HTML form post (a browser without JavaScript), as
    /// leptos decides it: its answer is a redirect, never data.
    pub fn plain_form_post(request: &http::request::Parts) -> bool {
        request
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// Checks a path part from the address (a namespace, a name, a task id): at most
    /// `max` characters, none of them control characters.
    pub fn path_part(what: &str, text: &str, max: usize) -> Result<String, AppError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
            return Err(AppError::BadInput(format!(
                "The {what} in the address is empty, too long or not text; check the link."
            )));
        }
        Ok(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_encoded() {
        assert_eq!(
            wizard_href("default", "a b/c"),
            "/create/templates/default/a%20b%2Fc"
        );
        assert_eq!(
            template_ref_href("template:default/service").as_deref(),
            Some("/create/templates/default/service")
        );
        assert_eq!(task_href("1-2"), "/create/tasks/1-2");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_text(250), "250 ms");
        assert_eq!(duration_text(1_250), "1.2 s");
        assert_eq!(duration_text(75_000), "1 min 15 s");
        assert_eq!(status_class("failed"), "status status-failed");
        assert_eq!(status_class("<x>"), "status status-unknown");
    }
}
