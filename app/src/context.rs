//! What the server puts in context for server functions. The authorisation seam is
//! reached through [`crate::identity::require`], the registrar through the register page.

#[cfg(feature = "ssr")]
pub use ssr::store;

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use leptos::prelude::use_context;

    /// The store the server put in context.
    pub fn store() -> Result<store::Store, AppError> {
        use_context::<store::Store>().ok_or_else(|| AppError::internal("no store in context"))
    }
}
