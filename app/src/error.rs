//! The one error every server function returns, and the HTTP status it stands for.
//!
//! Pages show it with [`crate::components::LoadError`], which sets the response status;
//! a server function called over HTTP gets the same status from the server's handler
//! (`server/src/http.rs` reads [`AppError::status`] from the encoded error).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// What was asked for does not exist (404).
    NotFound(String),
    /// The request itself is wrong; the message says how to fix it (400).
    BadInput(String),
    /// Sign in first (401).
    SignInRequired(String),
    /// Signed in, but not allowed (403).
    NotAllowed(String),
    /// The portal failed; the details are in its log, the message is safe to show (500).
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> u16 {
        match self {
            AppError::NotFound(_) => 404,
            AppError::BadInput(_) => 400,
            AppError::SignInRequired(_) => 401,
            AppError::NotAllowed(_) => 403,
            AppError::Internal(_) => 500,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            AppError::NotFound(message)
            | AppError::BadInput(message)
            | AppError::SignInRequired(message)
            | AppError::NotAllowed(message)
            | AppError::Internal(message) => message,
        }
    }

    /// Logs `cause` once and returns an error that does not reveal it.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(%cause, "server function failed");
        AppError::Internal(
            "The portal could not answer. Try again in a moment; if it persists, the \
             portal's logs name the cause."
                .into(),
        )
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for AppError {}

impl From<identity::Denial> for AppError {
    fn from(denial: identity::Denial) -> AppError {
        match denial {
            identity::Denial::SignInRequired(message) => AppError::SignInRequired(message),
            identity::Denial::NotAllowed(message) => AppError::NotAllowed(message),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<store::StoreError> for AppError {
    fn from(error: store::StoreError) -> AppError {
        AppError::internal(error)
    }
}

/// An edit of an Application spec that cannot be made: the message says how to go on.
#[cfg(feature = "ssr")]
impl From<render::edit::EditError> for AppError {
    fn from(error: render::edit::EditError) -> AppError {
        AppError::BadInput(error.to_string())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Failures of the call itself: bad or missing arguments are the caller's to fix;
    /// everything else (network, encoding) is not.
    fn from_server_fn_error(error: ServerFnErrorErr) -> AppError {
        match error {
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::BadInput(format!("The request was not understood: {error}"))
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        assert_eq!(AppError::NotFound("x".into()).status(), 404);
        assert_eq!(AppError::BadInput("x".into()).status(), 400);
        assert_eq!(AppError::SignInRequired("x".into()).status(), 401);
        assert_eq!(AppError::NotAllowed("x".into()).status(), 403);
        assert_eq!(AppError::Internal("x".into()).status(), 500);
    }

    #[test]
    fn bad_arguments_are_bad_input() {
        let error = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("name".into()));
        assert_eq!(error.status(), 400);
    }
}
