//! Who may change the catalog. Every write endpoint takes a [`Writer`], so sign-in is
//! added here, in one place, when it exists.

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Proof that the caller may write to the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Writer;

impl<S: Send + Sync> FromRequestParts<S> for Writer {
    type Rejection = ApiError;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Writer, ApiError> {
        // No sign-in exists yet: everyone may write. When it does, check the session or
        // bearer token here and answer 401 AuthenticationError / 403 NotAllowedError.
        Ok(Writer)
    }
}
