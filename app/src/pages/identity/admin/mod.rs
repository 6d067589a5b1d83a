//! The admin pages, for the configured admins only (`Action::AdminView`):
//!
//! - `/admin/permissions` (`permissions.rs`): the effective permission rules, and the
//!   answer to "may X do Y on Z, and why" — `Policy::decide` itself, asked about a person
//!   of the catalog (or an anonymous visitor), an action and an entity or location.
//! - `/admin/audit` (`audit.rs`): the audit log of writes, newest first, with filters,
//!   pages and a JSON lines export (`GET /api/admin/audit.jsonl`, served by the server).
//!
//! Both are GET forms, so they work without JavaScript. The server implements
//! [`AdminDesk`] (`server/src/identity/admin.rs`): resolving people and targets needs the
//! catalog the way the seam reads it.

pub mod audit;
pub mod permissions;

#[cfg(feature = "ssr")]
pub use ssr::{AdminDesk, AdminFuture};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use identity::{Action, Caller, Policy, Target};

    pub type AdminFuture<'a, T> =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, AppError>> + Send + 'a>>;

    /// The server's side of the admin pages.
    pub trait AdminDesk: Send + Sync {
        /// The policy the seam decides by (`None` when it refuses everything).
        fn policy(&self) -> Option<Policy>;
        /// The caller `who` names — a catalog User ref, or anonymous when empty or
        /// `anonymous` — and the target of `action` that `target` names: an entity ref
        /// for entity actions, a location (`type:target` or its id) for location
        /// actions, nothing for the others. A name that matches nothing is `BadInput`.
        fn question(
            &self,
            who: String,
            action: Action,
            target: String,
        ) -> AdminFuture<'_, (Caller, Target)>;
    }
}
