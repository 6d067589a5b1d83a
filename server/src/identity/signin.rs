//! Signing in and out: `/auth/…`. Plain HTML form posts (they work without JavaScript),
//! each answered with a redirect.
//!
//! - `POST /auth/guest` `user=user:default/ada&return_to=/catalog`: guest sign-in, as any
//!   person of the catalog, when it is on (`auth_guest`; by default only on loopback
//!   without a provider).
//! - `POST /auth/sign-out`: ends this session.
//! - `POST /auth/sign-out-everywhere`: ends every session of the signed-in person.
//!
//! Signing in through an identity provider (`GET /auth/{id}/start`, `…/callback`) is in
//! `providers/`.

use crate::identity::{people, sessions};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/guest", post(guest))
        .route("/auth/sign-out", post(sign_out))
        .route("/auth/sign-out-everywhere", post(sign_out_everywhere))
}

#[derive(Deserialize)]
struct GuestForm {
    user: String,
    return_to: Option<String>,
}

/// Where to go after signing in: a path on this portal, never another site.
pub fn safe_return(return_to: Option<&str>) -> &str {
    match return_to {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path
        }
        _ => "/",
    }
}

/// A page that says why signing in did not work, with the way back.
pub(crate) fn refusal(status: StatusCode, message: &str) -> Response {
    let message = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in \
         failed · Portico</title><link rel=\"stylesheet\" href=\"/pkg/portico.css\"></head>\
         <body><main class=\"error-page\" role=\"alert\"><h1>Sign-in failed</h1><p>{message}\
         </p><p><a href=\"/sign-in\">Back to sign-in</a></p></main></body></html>"
    );
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

async fn guest(
    State(state): State<AppState>,
    session: Session,
    Form(form): Form<GuestForm>,
) -> Response {
    if !state.config.auth.guest {
        return refusal(
            StatusCode::FORBIDDEN,
            "Guest sign-in is off on this portal; sign in with one of its providers.",
        );
    }
    let subject = format!("guest:{}", form.user.trim().to_lowercase());
    let person = match people::from_user(&state.store, form.user.trim(), subject).await {
        Ok(Some(person)) => person,
        Ok(None) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                &format!(
                    "The catalog has no user {}; pick one of the people listed.",
                    form.user.trim()
                ),
            );
        }
        Err(error) => {
            tracing::error!(%error, "guest sign-in: cannot read the catalog");
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The catalog could not be read; try again in a moment.",
            );
        }
    };
    if let Err(error) = sessions::sign_in(&session, &person).await {
        tracing::error!(%error, "cannot store a session");
        return refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The session could not be stored; try again in a moment.",
        );
    }
    tracing::info!(subject = %person.subject, "signed in as a guest");
    Redirect::to(safe_return(form.return_to.as_deref())).into_response()
}

async fn sign_out(session: Session) -> Response {
    if let Err(error) = sessions::sign_out(&session).await {
        tracing::error!(%error, "cannot end a session");
    }
    Redirect::to("/").into_response()
}

async fn sign_out_everywhere(State(state): State<AppState>, session: Session) -> Response {
    match sessions::person(&session, state.config.sessions.max).await {
        Ok(Some(person)) => {
            match state.store.delete_sessions_of(&person.subject).await {
                Ok(ended) => {
                    tracing::info!(subject = %person.subject, ended, "signed out everywhere")
                }
                Err(error) => tracing::error!(%error, "cannot end sessions"),
            }
            let _ = sessions::sign_out(&session).await;
        }
        Ok(None) => {}
        Err(error) => tracing::error!(%error, "cannot read a session"),
    }
    Redirect::to("/").into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn sign_in_only_returns_to_this_portal() {
        assert_eq!(safe_return(Some("/catalog?kind=api")), "/catalog?kind=api");
        assert_eq!(safe_return(Some("//evil.example/")), "/");
        assert_eq!(safe_return(Some("https://evil.example/")), "/");
        assert_eq!(safe_return(Some("/\\evil.example")), "/");
        assert_eq!(safe_return(None), "/");
    }
}
