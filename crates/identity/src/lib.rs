//! Who is asking and what they may do.
//!
//! Every read and write in Portico — REST handlers and server functions alike — asks one
//! [`Authorize`] implementation (the server's authorisation seam) for a [`Grant`] before
//! it acts. This crate holds the vocabulary of that question: the [`Action`]s, the
//! [`Caller`] a grant names, and the [`Denial`] a refusal carries — and the answer: the
//! [`Policy`] read from `portico.yaml`'s `permissions:` block, whose [`Policy::decide`]
//! is the one place a caller, an action and a [`Target`] become yes or no, with the
//! reason. It does no I/O, so the browser build can use the same types.

pub mod audit;
pub mod policy;
pub mod token;

pub use audit::Outcome;
pub use policy::{Actions, Allow, EffectiveRule, Origin, Policy, PolicyError, Verdict};
pub use token::TokenRequest;

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
    /// See the admin pages: the effective permission rules, "may X do Y on Z", the audit
    /// log. Only admins may; no rule in `permissions.rules` can say otherwise.
    AdminView,
    /// Make an API token of one's own (on the profile page). Never with a token.
    TokenCreate,
    /// Revoke one of one's own API tokens. Never with a token.
    TokenRevoke,
    /// See scaffolder tasks: their steps, logs and outputs (never their secrets).
    TaskRead,
    /// Run a template (a task, or a dry run that publishes nothing).
    TaskCreate,
    /// Cancel or retry a task: the task is the target, its creator its owner.
    TaskCancel,
    /// See the platform metrics: DORA figures, adoption, delivery events.
    InsightsRead,
    /// Report delivery events (deployments, incidents, changes) through the events API,
    /// as a CI/CD or incident tool does.
    EventReport,
    /// Answer or dismiss the satisfaction survey, rate a template run, suggest a feature
    /// or vote for one.
    SurveyAnswer,
}

impl Action {
    pub const ALL: [Action; 16] = [
        Action::CatalogRead,
        Action::LocationAnalyze,
        Action::LocationCreate,
        Action::LocationChange,
        Action::EntityRefresh,
        Action::EntityUnregister,
        Action::SpecRender,
        Action::AdminView,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::TaskRead,
        Action::TaskCreate,
        Action::TaskCancel,
        Action::InsightsRead,
        Action::EventReport,
        Action::SurveyAnswer,
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
            Action::AdminView => "admin.portal.view",
            Action::TokenCreate => "identity.token.create",
            Action::TokenRevoke => "identity.token.revoke",
            Action::TaskRead => "scaffolder.task.read",
            Action::TaskCreate => "scaffolder.task.create",
            Action::TaskCancel => "scaffolder.task.cancel",
            Action::InsightsRead => "insights.metrics.read",
            Action::EventReport => "insights.event.report",
            Action::SurveyAnswer => "insights.survey.answer",
        }
    }

    /// Whether the action changes stored state (and so must come from the portal's own
    /// origin when a browser sends it, and be audited).
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            Action::CatalogRead
                | Action::LocationAnalyze
                | Action::SpecRender
                | Action::AdminView
                | Action::TaskRead
                | Action::InsightsRead
        )
    }

    /// What the action is done to: which [`Target`] the seam describes when it asks, and
    /// so what policy rules about owners and kinds can say about it.
    pub fn aim(self) -> Aim {
        match self {
            Action::CatalogRead
            | Action::LocationAnalyze
            | Action::SpecRender
            | Action::AdminView
            | Action::TokenCreate
            | Action::TokenRevoke
            | Action::TaskRead
            | Action::TaskCreate
            | Action::InsightsRead
            | Action::EventReport
            | Action::SurveyAnswer => Aim::Portal,
            Action::LocationCreate | Action::LocationChange => Aim::Location,
            Action::EntityRefresh | Action::EntityUnregister | Action::TaskCancel => Aim::Entity,
        }
    }
}

/// What an [`Action`] is done to, in the terms of [`Target`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Aim {
    /// Nothing in particular: [`Target::Portal`]. Reading is not checked per entity;
    /// analyzing and rendering store nothing.
    Portal,
    /// One entity: [`Target::Entity`].
    Entity,
    /// A location: [`Target::Location`] — for registering, what the location would
    /// provide (`registered_by` empty); for changing, what it provides now.
    Location,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A signed-in person, resolved against the catalog at sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// Who the sign-in provider says this is: `provider:subject` (`oidc:okta:00u1ab…`,
    /// `github:github.com:1234`, `guest:user:default/ada.lovelace`). Stable across
    /// sign-ins; sessions and tokens are kept under it.
    pub subject: String,
    /// The catalog User entity that matched (`user:default/ada.lovelace`), if any.
    pub user_ref: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    /// Every group the person is in: the groups their User entity names (`memberOf`) or
    /// that name them (`members`), and every parent of those, transitively. Lowercased
    /// refs (`group:default/payments`). A member of a child group counts as a member of
    /// its parents, so owning a thing as a department covers its teams.
    pub groups: Vec<String>,
}

impl Person {
    /// How messages name the person: the display name, or failing that the user ref or
    /// the subject.
    pub fn name(&self) -> &str {
        match (self.display_name.trim(), &self.user_ref) {
            ("", Some(user_ref)) => user_ref,
            ("", None) => &self.subject,
            (name, _) => name,
        }
    }

    /// The refs this person acts as: their User entity and every group they are in.
    pub fn refs(&self) -> impl Iterator<Item = &str> {
        self.user_ref
            .iter()
            .chain(self.groups.iter())
            .map(String::as_str)
    }
}

/// What an API token may be used for, whoever created it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Reading: the catalog, locations, rendering specs.
    Read,
    /// Registering, refreshing, changing and removing catalog entities and locations.
    CatalogWrite,
    /// Reporting delivery events (deployments, incidents, changes) for the metrics: what
    /// a CI/CD or incident tool's token needs, and all it needs.
    InsightsEvents,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::CatalogWrite, Scope::InsightsEvents];

    pub fn name(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::CatalogWrite => "catalog.write",
            Scope::InsightsEvents => "insights.events",
        }
    }

    /// The scope a token needs for `action`; `None`: no token may (tokens are made and
    /// revoked by people, so a leaked token cannot make itself more).
    pub fn needed_for(action: Action) -> Option<Scope> {
        match action {
            // Surveys are for people, not scripts.
            Action::TokenCreate | Action::TokenRevoke | Action::SurveyAnswer => None,
            Action::EventReport => Some(Scope::InsightsEvents),
            action if action.is_write() => Some(Scope::CatalogWrite),
            _ => Some(Scope::Read),
        }
    }
}

/// Who is asking.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Caller {
    /// Nobody signed in.
    Anonymous,
    /// A person with a session.
    Person(Person),
    /// A script or CI job with an API token a person created; it acts as that person,
    /// within the token's scopes.
    Token {
        name: String,
        scopes: Vec<Scope>,
        person: Person,
    },
}

impl Caller {
    /// The person behind the caller, if any.
    pub fn person(&self) -> Option<&Person> {
        match self {
            Caller::Anonymous => None,
            Caller::Person(person) | Caller::Token { person, .. } => Some(person),
        }
    }

    /// How audit logs and messages name the caller.
    pub fn describe(&self) -> String {
        match self {
            Caller::Anonymous => "an anonymous visitor".into(),
            Caller::Person(person) => person.name().into(),
            Caller::Token { name, person, .. } => {
                format!("{}'s token \"{name}\"", person.name())
            }
        }
    }
}

/// What an action is done to, for rules about owners. Refs are lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Nothing in particular (reading, registering something new, rendering).
    Portal,
    /// One entity, with its kind and its owner (`spec.owner`), if it has one.
    Entity {
        entity_ref: String,
        kind: String,
        owner: Option<String>,
    },
    /// A registered location: the owners of every entity it provides, and who registered
    /// it. Changing it changes all of them.
    Location {
        target: String,
        entity_owners: Vec<Option<String>>,
        registered_by: Option<String>,
    },
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
pub type Identified<'a> = Pin<Box<dyn Future<Output = Result<Caller, Denial>> + Send + 'a>>;
pub type Recorded<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
pub type FormToken<'a> = Pin<Box<dyn Future<Output = Option<String>> + Send + 'a>>;

/// The authorisation seam: decides whether the request described by `request` may do
/// `action`. The server implements it once; handlers reach it through an extractor and
/// server functions through `require`.
pub trait Authorize: Send + Sync {
    /// Who is asking (for showing who is signed in; no permission is checked), or why
    /// the credentials sent are refused (an unknown, revoked or expired API token).
    fn authenticate<'a>(&'a self, request: &'a http::request::Parts) -> Identified<'a>;

    fn authorize<'a>(&'a self, request: &'a http::request::Parts, action: Action) -> Decision<'a>;

    /// Records in the audit log how the write `grant` allowed ended, done to `target` (an
    /// entity ref or a location): `failure` is the error the caller got, `None` when it
    /// succeeded. (Refusals are recorded by `authorize` itself.) Bounded in time; it never
    /// fails the write.
    fn record<'a>(
        &'a self,
        request: &'a http::request::Parts,
        grant: &'a Grant,
        target: &'a str,
        failure: Option<&'a str>,
    ) -> Recorded<'a>;

    /// The token the portal's plain HTML forms carry on this request's session (a hidden
    /// `form_token` field), so that a form posted from elsewhere is told apart; `None`
    /// when nobody is signed in on it.
    fn form_token<'a>(&'a self, request: &'a http::request::Parts) -> FormToken<'a>;
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
    fn only_reading_rendering_and_admin_pages_are_not_writes() {
        let writes: Vec<_> = Action::ALL.into_iter().filter(|a| a.is_write()).collect();
        assert_eq!(
            writes,
            [
                Action::LocationCreate,
                Action::LocationChange,
                Action::EntityRefresh,
                Action::EntityUnregister,
                Action::TokenCreate,
                Action::TokenRevoke,
                Action::TaskCreate,
                Action::TaskCancel,
                Action::EventReport,
                Action::SurveyAnswer
            ]
        );
    }

    #[test]
    fn only_entity_actions_aim_at_one_entity_and_only_location_writes_at_a_location() {
        let aimed = |aim| -> Vec<_> {
            Action::ALL
                .into_iter()
                .filter(|a| a.aim() == aim)
                .map(Action::name)
                .collect()
        };
        assert_eq!(
            aimed(Aim::Entity),
            [
                "catalog.entity.refresh",
                "catalog.entity.unregister",
                "scaffolder.task.cancel"
            ]
        );
        assert_eq!(
            aimed(Aim::Location),
            ["catalog.location.create", "catalog.location.change"]
        );
        assert_eq!(
            aimed(Aim::Portal),
            [
                "catalog.entity.read",
                "catalog.location.analyze",
                "render.spec.render",
                "admin.portal.view",
                "identity.token.create",
                "identity.token.revoke",
                "scaffolder.task.read",
                "scaffolder.task.create",
                "insights.metrics.read",
                "insights.event.report",
                "insights.survey.answer"
            ]
        );
    }

    #[test]
    fn denials_map_to_401_and_403() {
        assert_eq!(Denial::SignInRequired("sign in".into()).status(), 401);
        assert_eq!(Denial::NotAllowed("no".into()).status(), 403);
    }
}
