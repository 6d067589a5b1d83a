//! GitHub's OAuth apps, on github.com or a GitHub Enterprise host of the GitHub
//! integration: the browser goes to `{web_url}/login/oauth/authorize` (with `state` and a
//! PKCE challenge), the code comes back and is exchanged at
//! `{web_url}/login/oauth/access_token`, and the person is read from `GET {api_url}/user`
//! (and, when their profile shows no address, their primary verified one from
//! `GET {api_url}/user/emails`). The subject is `github:{host}:{numeric id}`: logins can be
//! renamed, ids cannot.

use super::{Attempt, Begun, Failure, Providers};
use crate::config::SignInProvider;
use crate::identity::people::Claims;
use openidconnect::{CsrfToken, PkceCodeChallenge};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::Deserialize;

/// Where one GitHub is.
pub struct Endpoints<'a> {
    pub host: &'a str,
    /// `https://{host}` (the OAuth endpoints).
    pub web_url: &'a str,
    /// The REST API: `https://api.github.com`, `https://{host}/api/v3`.
    pub api_url: &'a str,
}

/// Where to send the browser: GitHub's authorize page with a new `state` and PKCE
/// challenge.
pub fn begin(
    provider: &SignInProvider,
    web_url: &str,
    redirect_uri: &str,
) -> Result<Begun, Failure> {
    let state = CsrfToken::new_random().secret().clone();
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut url = url::Url::parse(&format!("{web_url}/login/oauth/authorize")).map_err(|_| {
        Failure::Internal(format!(
            "The address of {} is misconfigured; tell the portal's operators.",
            provider.title
        ))
    })?;
    url.query_pairs_mut()
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &provider.scopes.join(" "))
        .append_pair("state", &state)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", challenge.method().as_str())
        .append_pair("allow_signup", "false");
    Ok(Begun {
        url,
        state,
        nonce: None,
        pkce_verifier: verifier.secret().clone(),
    })
}

/// GitHub's answer to the code exchange: a token, or an error (with status 200).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: u64,
    login: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Deserialize)]
struct Email {
    email: String,
    primary: bool,
    verified: bool,
}

/// Who signed in: the code exchanged for a token, the token used to read the user.
pub async fn finish(
    providers: &Providers,
    provider: &SignInProvider,
    github: &Endpoints<'_>,
    redirect_uri: &str,
    code: &str,
    attempt: &Attempt,
) -> Result<Claims, Failure> {
    let title = &provider.title;
    let unreachable = |what: &str, error: &dyn std::fmt::Display| {
        tracing::warn!(provider = %provider.id, %error, "GitHub sign-in: {what}");
        Failure::Provider(format!(
            "{title} could not be asked who you are ({what}). Try again later, or sign in \
             another way."
        ))
    };
    let response = providers
        .http
        .post(format!("{}/login/oauth/access_token", github.web_url))
        .header(ACCEPT, "application/json")
        .form(&[
            ("client_id", provider.client_id.as_str()),
            ("client_secret", provider.client_secret.expose()),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", attempt.pkce_verifier.as_str()),
        ])
        .send()
        .await
        .map_err(|e| unreachable("the token exchange failed", &e))?;
    if !response.status().is_success() {
        let status = response.status();
        return Err(unreachable("the token exchange failed", &status));
    }
    let answer: TokenAnswer = response
        .json()
        .await
        .map_err(|e| unreachable("its token answer is unreadable", &e))?;
    let token = match answer {
        TokenAnswer {
            access_token: Some(token),
            error: None,
            ..
        } => token,
        TokenAnswer {
            error,
            error_description,
            ..
        } => {
            let mut detail = error.unwrap_or_else(|| "no access token".into());
            if let Some(description) = error_description {
                detail = format!("{detail}: {description}");
            }
            tracing::warn!(provider = %provider.id, error = %detail, "GitHub token exchange refused");
            return Err(Failure::Provider(format!(
                "{title} did not accept the sign-in code ({}). Start again from the sign-in \
                 page.",
                detail.chars().take(300).collect::<String>()
            )));
        }
    };
    let get = |path: &str| {
        providers
            .http
            .get(format!("{}{path}", github.api_url))
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
    };
    let response = get("/user")
        .send()
        .await
        .map_err(|e| unreachable("its user API failed", &e))?;
    if !response.status().is_success() {
        let status = response.status();
        return Err(unreachable("its user API failed", &status));
    }
    let user: User = response
        .json()
        .await
        .map_err(|e| unreachable("its user answer is unreadable", &e))?;
    let mut email = user.email.filter(|e| !e.trim().is_empty());
    if email.is_none() {
        // Needs the user:email scope; without it, the person is found by login only.
        match get("/user/emails").send().await {
            Ok(response) if response.status().is_success() => {
                if let Ok(emails) = response.json::<Vec<Email>>().await {
                    email = emails
                        .into_iter()
                        .find(|e| e.primary && e.verified)
                        .map(|e| e.email);
                }
            }
            Ok(response) => {
                tracing::debug!(status = %response.status(), "GitHub sign-in: no e-mail addresses")
            }
            Err(error) => tracing::warn!(%error, "GitHub sign-in: e-mail addresses unreadable"),
        }
    }
    Ok(Claims {
        subject: format!("github:{}:{}", github.host, user.id),
        email,
        github_login: Some(user.login),
        name: user.name.filter(|n| !n.trim().is_empty()),
    })
}
