//! OpenID Connect (Okta, Entra ID, Keycloak, Google, Dex, …) through the `openidconnect`
//! crate: the provider's endpoints and keys come from its discovery document
//! (`{issuer}/.well-known/openid-configuration`), read when someone first signs in with it
//! and kept for [`FRESH_FOR`] — a provider that is down does not keep the portal from
//! starting, and signing in with it then says so. The authorization code flow with PKCE;
//! the ID token's signature, issuer, audience, expiry and nonce are checked by the crate,
//! its `at_hash` here. The e-mail address comes from the ID token, else from the userinfo
//! endpoint; one the provider marks unverified is not used.

use super::{Attempt, Begun, Failure, Providers};
use crate::config::SignInProvider;
use crate::identity::people::Claims;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndUserEmail,
    EndUserName, EndUserUsername, IssuerUrl, LocalizedClaim, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a discovery document (and the signing keys it points to) is used before it is
/// read again. A stale one is still used when the provider cannot be reached.
const FRESH_FOR: Duration = Duration::from_secs(10 * 60);

type Discovered = Option<(Instant, CoreProviderMetadata)>;

/// The discovery documents read so far, per issuer. Concurrent misses for one issuer read
/// it once; a provider that is slow does not hold up the others.
#[derive(Default)]
pub struct DiscoveryCache {
    issuers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Discovered>>>>,
}

impl DiscoveryCache {
    async fn metadata(
        &self,
        http: &reqwest::Client,
        provider: &SignInProvider,
        issuer: &str,
    ) -> Result<CoreProviderMetadata, Failure> {
        let slot = {
            let mut issuers = self.issuers.lock().unwrap_or_else(|e| e.into_inner());
            issuers.entry(issuer.to_string()).or_default().clone()
        };
        let mut slot = slot.lock().await;
        if let Some((read_at, metadata)) = slot.as_ref()
            && read_at.elapsed() < FRESH_FOR
        {
            return Ok(metadata.clone());
        }
        let unreachable = || {
            Failure::Provider(format!(
                "{} cannot be reached to sign you in right now (its discovery document \
                 {issuer}/.well-known/openid-configuration could not be read). Try again \
                 later, or sign in another way.",
                provider.title
            ))
        };
        let issuer_url = IssuerUrl::new(issuer.to_string()).map_err(|error| {
            tracing::error!(provider = %provider.id, %error, "issuer URL unusable");
            unreachable()
        })?;
        match CoreProviderMetadata::discover_async(issuer_url, http).await {
            Ok(metadata) => {
                *slot = Some((Instant::now(), metadata.clone()));
                Ok(metadata)
            }
            Err(error) => {
                let error = error_chain(&error);
                match slot.as_ref() {
                    Some((_, stale)) => {
                        tracing::warn!(provider = %provider.id, %error, "OpenID Connect discovery failed; using the last document read");
                        Ok(stale.clone())
                    }
                    None => {
                        tracing::error!(provider = %provider.id, %error, "OpenID Connect discovery failed");
                        Err(unreachable())
                    }
                }
            }
        }
    }
}

/// The client for `provider`, with the endpoints and keys of its discovery document.
async fn client(
    providers: &Providers,
    provider: &SignInProvider,
    issuer: &str,
    redirect_uri: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Failure,
> {
    let metadata = providers
        .discovery
        .metadata(&providers.http, provider, issuer)
        .await?;
    let redirect = RedirectUrl::new(redirect_uri.to_string()).map_err(|error| {
        tracing::error!(%error, redirect_uri, "the redirect URI is not a URL");
        Failure::Internal(
            "The portal's public URL is misconfigured, so no provider can send you back; \
             tell its operators."
                .into(),
        )
    })?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(
            provider.client_secret.expose().to_string(),
        )),
    )
    .set_redirect_uri(redirect))
}

/// Where to send the browser: the provider's authorization endpoint, with a new `state`,
/// `nonce` and PKCE challenge.
pub async fn begin(
    providers: &Providers,
    provider: &SignInProvider,
    issuer: &str,
    redirect_uri: &str,
) -> Result<Begun, Failure> {
    let client = client(providers, provider, issuer, redirect_uri).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client.authorize_url(
        CoreAuthenticationFlow::AuthorizationCode,
        CsrfToken::new_random,
        Nonce::new_random,
    );
    // The crate always asks for `openid`.
    for scope in provider.scopes.iter().filter(|scope| *scope != "openid") {
        request = request.add_scope(Scope::new(scope.clone()));
    }
    let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
    Ok(Begun {
        url,
        state: state.secret().clone(),
        nonce: Some(nonce.secret().clone()),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Who signed in: the code exchanged (with the PKCE verifier) for tokens, the ID token
/// verified against the attempt's nonce.
pub async fn finish(
    providers: &Providers,
    provider: &SignInProvider,
    issuer: &str,
    redirect_uri: &str,
    code: &str,
    attempt: &Attempt,
) -> Result<Claims, Failure> {
    let title = &provider.title;
    let client = client(providers, provider, issuer, redirect_uri).await?;
    let request = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|_| {
            Failure::Provider(format!(
                "{title}'s discovery document names no token endpoint, so the portal cannot \
                 finish signing you in; tell the portal's operators."
            ))
        })?
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()));
    let tokens = request
        .request_async(&providers.http)
        .await
        .map_err(|error| {
            let detail = match &error {
                RequestTokenError::ServerResponse(response) => {
                    let mut text = response.error().to_string();
                    if let Some(description) = response.error_description() {
                        text = format!("{text}: {description}");
                    }
                    text
                }
                other => error_chain(other),
            };
            tracing::warn!(provider = %provider.id, error = %detail, "token exchange failed");
            Failure::Provider(format!(
                "{title} did not accept the sign-in code ({}). Start again from the sign-in \
                 page.",
                detail.chars().take(300).collect::<String>()
            ))
        })?;
    let Some(id_token) = tokens.id_token() else {
        return Err(Failure::Provider(format!(
            "{title} answered without an ID token, so the portal cannot tell who signed in; \
             is it configured as an OpenID Connect provider with the openid scope?"
        )));
    };
    let invalid = |reason: String| {
        tracing::warn!(provider = %provider.id, %reason, "ID token refused");
        Failure::Provider(format!(
            "{title}'s ID token could not be verified ({reason}), so the portal does not \
             trust it. Start again; if this goes on, tell the portal's operators."
        ))
    };
    let verifier = client.id_token_verifier();
    let nonce = Nonce::new(attempt.nonce.clone().unwrap_or_default());
    let claims: &CoreIdTokenClaims = id_token
        .claims(&verifier, &nonce)
        .map_err(|error| invalid(error_chain(&error)))?;
    if let Some(expected) = claims.access_token_hash() {
        let algorithm = id_token
            .signing_alg()
            .map_err(|error| invalid(error_chain(&error)))?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|error| invalid(error_chain(&error)))?;
        let actual = AccessTokenHash::from_token(tokens.access_token(), algorithm, key)
            .map_err(|error| invalid(error_chain(&error)))?;
        if actual != *expected {
            return Err(invalid(
                "its at_hash does not match the access token".into(),
            ));
        }
    }
    let subject = claims.subject().as_str();
    let mut found = about(
        subject,
        provider,
        claims.email(),
        claims.email_verified(),
        claims.name(),
        claims.preferred_username(),
    );
    if found.email.is_none()
        && let Ok(request) = client.user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
    {
        let answer: Result<CoreUserInfoClaims, _> = request.request_async(&providers.http).await;
        match answer {
            Ok(info) => {
                let more = about(
                    subject,
                    provider,
                    info.email(),
                    info.email_verified(),
                    info.name(),
                    info.preferred_username(),
                );
                found.email = more.email;
                found.name = found.name.or(more.name);
            }
            Err(error) => {
                tracing::warn!(provider = %provider.id, error = %error_chain(&error), "userinfo could not be read");
            }
        }
    }
    Ok(found)
}

/// What the standard claims of an ID token or a userinfo answer say about the person.
fn about(
    subject: &str,
    provider: &SignInProvider,
    email: Option<&EndUserEmail>,
    email_verified: Option<bool>,
    name: Option<&LocalizedClaim<EndUserName>>,
    username: Option<&EndUserUsername>,
) -> Claims {
    Claims {
        subject: format!("oidc:{}:{subject}", provider.id),
        email: email
            .filter(|_| email_verified != Some(false))
            .map(|email| email.as_str().to_string()),
        github_login: None,
        name: name
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_string())
            .or_else(|| username.map(|name| name.as_str().to_string())),
    }
}

/// An error with its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
