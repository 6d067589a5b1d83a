//! Who is asking and what they may do.
//!
//! Every read and write in Portico — REST handlers and server functions alike — asks one
//! [`Authorize`] implementation (the server's authorisation seam) for a [`Grant`] before
//! it acts. This crate holds the vocabulary of that question: the [`Action`]s, the
//! [`Caller`] a grant names, and the [`Denial`] a refusal carries. It does no I/O, so the
//! browser build can use the same types.

use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;

/// Something a caller may be allowed to do. The names are what policies and audit logs
/// use (`catalog.entity.read`), so they never change once published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// Read entities, locations and facets (pages and the catalog API).
    CatalogRead,
    /// Read a location's source and preview what registering it would do, storing nothing
    /// (the portal fetches the URL, so this is not the same as reading the catalog).
    LocationAnalyze,
    /// Register a new location (and the entities it holds).
    LocationCreate,
    /// Change or delete a registered location.
    LocationChange,
    /// Ask for an entity's location to be read again now.
    EntityRefresh,
    /// Remove an entity from the catalog until its location is read again.
    EntityUnregister,
    /// Render an Application spec into delivery files (reads nothing, stores nothing).
    SpecRender,
}

impl Action {
    pub const ALL: [Action; 7] = [
        Action::CatalogRead,
        Action::LocationAnalyze,
        Action::LocationCreate,
        Action::LocationChange,
        Action::EntityRefresh,
        Action::EntityUnregister,
        Action::SpecRender,
    ];

    /// The action's stable name.
    pub fn name(self) -> &'static str {
        match self {
            Action::CatalogRead => "catalog.entity.read",
            Action::LocationAnalyze => "catalog.location.analyze",
            Action::LocationCreate => "catalog.location.create",
            Action::LocationChange => "catalog.location.change",
            Action::EntityRefresh => "catalog.entity.refresh",
            Action::EntityUnregister => "catalog.entity.unregister",
            Action::SpecRender => "render.spec.render",
        }
    }

    /// Whether the action changes stored state (and so must come from the portal's own
    /// origin when a browser sends it, and be audited).
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            Action::CatalogRead | Action::LocationAnalyze | Action::SpecRender
        )
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Who is asking. Sign-in adds people and API tokens; until then every caller is a guest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Caller {
    /// Nobody signed in.
    Guest,
}

/// Proof that `caller` may do `action`: what a handler gets back from the seam.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub caller: Caller,
    pub action: Action,
}

/// Why the seam refused, with a message that says what is missing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Denial {
    /// The caller must sign in first (HTTP 401, Backstage's `AuthenticationError`).
    SignInRequired(String),
    /// The caller is known but may not do this (HTTP 403, `NotAllowedError`).
    NotAllowed(String),
}

impl Denial {
    pub fn message(&self) -> &str {
        match self {
            Denial::SignInRequired(message) | Denial::NotAllowed(message) => message,
        }
    }

    /// The HTTP status this refusal answers with.
    pub fn status(&self) -> u16 {
        match self {
            Denial::SignInRequired(_) => 401,
            Denial::NotAllowed(_) => 403,
        }
    }
}

impl std::fmt::Display for Denial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

pub type Decision<'a> = Pin<Box<dyn Future<Output = Result<Grant, Denial>> + Send + 'a>>;

/// The authorisation seam: decides whether the request described by `request` may do
/// `action`. The server implements it once; handlers reach it through an extractor and
/// server functions through `require`.
pub trait Authorize: Send + Sync {
    fn authorize<'a>(&'a self, request: &'a http::request::Parts, action: Action) -> Decision<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_dotted() {
        let names: std::collections::HashSet<_> = Action::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(names.len(), Action::ALL.len());
        assert!(Action::ALL.iter().all(|a| a.name().split('.').count() == 3));
    }

    #[test]
    fn only_reading_and_rendering_are_not_writes() {
        let writes: Vec<_> = Action::ALL.into_iter().filter(|a| a.is_write()).collect();
        assert_eq!(
            writes,
            [
                Action::LocationCreate,
                Action::LocationChange,
                Action::EntityRefresh,
                Action::EntityUnregister
            ]
        );
    }

    #[test]
    fn denials_map_to_401_and_403() {
        assert_eq!(Denial::SignInRequired("sign in".into()).status(), 401);
        assert_eq!(Denial::NotAllowed("no".into()).status(), 403);
    }
}
