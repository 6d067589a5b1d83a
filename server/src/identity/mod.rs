//! Who is asking and what they may do: the one authorisation seam.
//!
//! Every request that reads or changes data passes through [`Seam::authorize`]: REST
//! handlers by taking an [`Authorized`] extractor that names the action
//! (`Authorized<act::LocationChange>`), server functions by calling `app::identity::require`,
//! which reaches this seam through the `Arc<dyn Authorize>` the router puts in context.
//! Sign-in and ownership rules plug in here, and only here.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use identity::{Action, Authorize, Caller, Decision, Denial, Grant};
use std::marker::PhantomData;

/// What the seam decides. There is no sign-in yet, so the portal lets everyone do
/// everything; `NobodyMay` exists so tests can prove that every route asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    EveryoneMay,
    NobodyMay,
}

/// The authorisation seam.
#[derive(Debug)]
pub struct Seam {
    rule: Rule,
}

impl Seam {
    pub fn new(rule: Rule) -> Seam {
        Seam { rule }
    }

    /// The caller's grant for `action`, or why not.
    pub async fn authorize(&self, _request: &Parts, action: Action) -> Result<Grant, Denial> {
        match self.rule {
            Rule::EveryoneMay => Ok(Grant {
                caller: Caller::Guest,
                action,
            }),
            Rule::NobodyMay => Err(Denial::SignInRequired(format!(
                "Sign in to do this ({action})."
            ))),
        }
    }
}

impl Authorize for Seam {
    fn authorize<'a>(&'a self, request: &'a Parts, action: Action) -> Decision<'a> {
        Box::pin(Seam::authorize(self, request, action))
    }
}

impl From<Denial> for ApiError {
    fn from(denial: Denial) -> ApiError {
        match denial {
            Denial::SignInRequired(message) => ApiError::unauthenticated(message),
            Denial::NotAllowed(message) => ApiError::not_allowed(message),
        }
    }
}

/// The actions, as types, so a handler's signature names what it does.
pub mod act {
    use identity::Action;

    /// An [`Action`] named by a type.
    pub trait Act: Send + Sync + 'static {
        const ACTION: Action;
    }

    macro_rules! acts {
        ($($name:ident),* $(,)?) => {
            $(
                #[doc = concat!("[`Action::", stringify!($name), "`] as a type.")]
                pub struct $name;
                impl Act for $name {
                    const ACTION: Action = Action::$name;
                }
            )*
        };
    }

    acts!(
        CatalogRead,
        LocationAnalyze,
        LocationCreate,
        LocationChange,
        EntityRefresh,
        EntityUnregister,
        SpecRender
    );
}

/// Extractor: the request may do `A`'s action; rejects with 401/403 in Backstage's
/// error shape otherwise.
pub struct Authorized<A: act::Act> {
    pub grant: Grant,
    act: PhantomData<A>,
}

impl<A: act::Act> FromRequestParts<AppState> for Authorized<A> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let grant = state.seam.authorize(parts, A::ACTION).await?;
        Ok(Authorized {
            grant,
            act: PhantomData,
        })
    }
}
