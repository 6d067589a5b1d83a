//! The server functions' way through the authorisation seam: [`require`] asks the seam
//! the server put in context whether this request may do an action. Every server
//! function calls it first; REST handlers use the server's `Authorized` extractor, which
//! asks the same seam. A server function that writes records how the write ended in the
//! audit log with [`record`] (the seam records refusals itself).

#[cfg(feature = "ssr")]
pub use ssr::{record, require};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use identity::{Action, Authorize, Grant};
    use leptos::prelude::use_context;
    use std::sync::Arc;

    /// The caller's grant for `action`, or the refusal as a 401/403 error.
    pub async fn require(action: Action) -> Result<Grant, AppError> {
        let seam = use_context::<Arc<dyn Authorize>>()
            .ok_or_else(|| AppError::internal("no authorisation seam in context"))?;
        let request = use_context::<http::request::Parts>()
            .ok_or_else(|| AppError::internal("no request parts in context"))?;
        Ok(seam.authorize(&request, action).await?)
    }

    /// Records in the audit log how the write `grant` allowed ended, done to `target`
    /// (an entity ref or a location). Bounded in time; never fails the write.
    pub async fn record<T>(grant: &Grant, target: &str, result: &Result<T, AppError>) {
        let (Some(seam), Some(request)) = (
            use_context::<Arc<dyn Authorize>>(),
            use_context::<http::request::Parts>(),
        ) else {
            tracing::error!(action = %grant.action, %target, "no authorisation seam in context: write not recorded");
            return;
        };
        let failure = result.as_ref().err().map(AppError::message);
        seam.record(&request, grant, target, failure).await;
    }
}
