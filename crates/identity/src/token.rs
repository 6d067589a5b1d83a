//! API tokens as text, and the rules for making one. A token is `pt_` followed by 64 hex
//! digits (256 random bits the server draws); only its SHA-256 is stored. With that much
//! randomness a plain hash is enough — there is nothing to guess, so no slow password hash
//! is needed, and a lookup by hash is one index probe.

use crate::Scope;
use sha2::{Digest, Sha256};

/// What every Portico token starts with, so secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "pt_";
/// Hex digits after the prefix.
const SECRET_DIGITS: usize = 64;
/// Characters of a token kept to tell tokens apart (`pt_` and 8 digits: not enough to
/// guess the rest).
const SHOWN: usize = TOKEN_PREFIX.len() + 8;

/// Longest token name.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest life of a token, in days: a forgotten token should not work for ever.
pub const MAX_DAYS: u32 = 366;
/// Most live tokens one person may hold at once.
pub const MAX_LIVE_TOKENS: usize = 50;

/// The token made of 32 random bytes.
pub fn token_from(random: [u8; 32]) -> String {
    format!("{TOKEN_PREFIX}{}", hex::encode(random))
}

/// The hash a token is stored and found under (hex SHA-256 of the whole token).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The start of a token, shown in lists (`pt_3f9a2c1b`).
pub fn token_shown(token: &str) -> String {
    token.chars().take(SHOWN).collect()
}

/// Whether `text` has the shape of a Portico token; the message says what is wrong.
pub fn check_token_shape(text: &str) -> Result<(), String> {
    let Some(secret) = text.strip_prefix(TOKEN_PREFIX) else {
        return Err(
            "The bearer token is not a Portico API token (they start with \"pt_\"); \
                    create one on your profile page."
                .into(),
        );
    };
    if secret.len() != SECRET_DIGITS || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "The bearer token is malformed: \"pt_\" must be followed by {SECRET_DIGITS} hex \
             digits; copy the whole token."
        ));
    }
    Ok(())
}

/// A person's request for a new token, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub days: u32,
}

impl TokenRequest {
    /// Checks a request as a form or the command line sends it: a name, scope names, and
    /// a life in days. The error says what to change.
    pub fn new(name: &str, scopes: &[String], days: u32) -> Result<TokenRequest, String> {
        let name = name.trim();
        if name.is_empty() {
            return Err(
                "Give the token a name that says where it is used (e.g. \"ci-deploy\").".into(),
            );
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!(
                "The token name is longer than {MAX_NAME_CHARS} characters; shorten it."
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("The token name contains control characters; use plain text.".into());
        }
        let mut chosen = Vec::new();
        for scope in scopes {
            let Some(found) = Scope::ALL.into_iter().find(|s| s.name() == scope.trim()) else {
                let known: Vec<_> = Scope::ALL.iter().map(|s| s.name()).collect();
                return Err(format!(
                    "There is no scope \"{}\"; use {}.",
                    scope.trim(),
                    known.join(" or ")
                ));
            };
            if !chosen.contains(&found) {
                chosen.push(found);
            }
        }
        if chosen.is_empty() {
            return Err(
                "Choose at least one scope (read, or catalog.write to change the catalog).".into(),
            );
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(format!(
                "A token lives from 1 to {MAX_DAYS} days; {days} is outside that."
            ));
        }
        Ok(TokenRequest {
            name: name.to_string(),
            scopes: chosen,
            days,
        })
    }
}

impl Scope {
    /// The scope called `name`, if there is one.
    pub fn named(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_prefix_and_its_random_bytes_and_is_stored_as_a_hash() {
        let token = token_from([0xab; 32]);
        assert_eq!(token.len(), 67);
        assert!(token.starts_with("pt_abab"));
        assert_eq!(check_token_shape(&token), Ok(()));
        assert_eq!(token_shown(&token), "pt_abababab");
        let hash = token_hash(&token);
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, token_hash(&token_from([0xac; 32])));
        assert!(!hash.contains("abababab"), "the hash is not the token");
    }

    #[test]
    fn other_bearer_tokens_are_refused_with_what_to_do() {
        assert!(
            check_token_shape("eyJhbGciOi")
                .unwrap_err()
                .contains("start with \"pt_\"")
        );
        assert!(
            check_token_shape("pt_abc")
                .unwrap_err()
                .contains("64 hex digits")
        );
        let not_hex = format!("pt_{}", "z".repeat(64));
        assert!(check_token_shape(&not_hex).is_err());
    }

    #[test]
    fn a_token_request_needs_a_name_a_known_scope_and_a_bounded_life() {
        let scopes = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let request =
            TokenRequest::new(" ci ", &scopes(&["read", "catalog.write", "read"]), 30).unwrap();
        assert_eq!(request.name, "ci");
        assert_eq!(request.scopes, [Scope::Read, Scope::CatalogWrite]);
        assert!(
            TokenRequest::new("", &scopes(&["read"]), 30)
                .unwrap_err()
                .contains("name")
        );
        assert!(TokenRequest::new(&"x".repeat(65), &scopes(&["read"]), 30).is_err());
        assert!(TokenRequest::new("a\u{7}", &scopes(&["read"]), 30).is_err());
        assert!(
            TokenRequest::new("ci", &scopes(&["admin"]), 30)
                .unwrap_err()
                .contains("no scope \"admin\"")
        );
        assert!(
            TokenRequest::new("ci", &[], 30)
                .unwrap_err()
                .contains("at least one scope")
        );
        assert!(TokenRequest::new("ci", &scopes(&["read"]), 0).is_err());
        assert!(TokenRequest::new("ci", &scopes(&["read"]), 367).is_err());
    }
}
