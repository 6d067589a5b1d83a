//! The server's side of the admin pages (`app/src/pages/identity/admin/`): people and
//! targets for "may X do Y on Z" ([`Desk`]), and the audit log's JSON lines export,
//! `GET /api/admin/audit.jsonl` — admins only, refusals in Backstage's error shape.

use super::act::AdminView;
use super::{Authorized, people, targets};
use crate::error::{ApiError, backstage_errors};
use crate::state::AppState;
use app::error::AppError;
use app::{AdminFuture, AuditFilter, AuditRow};
use axum::Router;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use identity::{Action, Aim, Caller, Policy, Target};
use std::sync::Arc;
use store::Store;

/// Lines the export writes when the request names no `limit`, and the most it writes.
pub const EXPORT_DEFAULT: i64 = 10_000;
pub const EXPORT_MAX: i64 = 100_000;
/// Entries read from the store per batch while exporting.
const EXPORT_BATCH: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/audit.jsonl", get(export_audit))
        .layer(middleware::from_fn(backstage_errors))
}

/// What the admin pages ask the server.
pub struct Desk {
    pub store: Store,
    pub seam: Arc<super::Seam>,
}

impl app::AdminDesk for Desk {
    fn policy(&self) -> Option<Policy> {
        self.seam.policy().cloned()
    }

    fn question(
        &self,
        who: String,
        action: Action,
        target: String,
    ) -> AdminFuture<'_, (Caller, Target)> {
        Box::pin(async move {
            let caller = self.caller(who.trim()).await?;
            let target = self.target(action, target.trim()).await?;
            Ok((caller, target))
        })
    }
}

impl Desk {
    /// The person whose User entity `who` names (`ada.lovelace` means
    /// `user:default/ada.lovelace`), resolved as at sign-in; anonymous for nobody.
    async fn caller(&self, who: &str) -> Result<Caller, AppError> {
        if who.is_empty() || who.eq_ignore_ascii_case("anonymous") {
            return Ok(Caller::Anonymous);
        }
        let user_ref = match who.split_once(':') {
            Some(_) if who.contains('/') => who.to_lowercase(),
            Some((kind, name)) => format!("{}:default/{}", kind, name).to_lowercase(),
            None if who.contains('/') => format!("user:{who}").to_lowercase(),
            None => format!("user:default/{who}").to_lowercase(),
        };
        let person = people::from_user(&self.store, &user_ref, format!("admin-page:{user_ref}"))
            .await?
            .ok_or_else(|| {
                AppError::BadInput(format!(
                    "The catalog has no User entity {user_ref}; name a person as user:namespace/name, or leave it empty for an anonymous visitor."
                ))
            })?;
        Ok(Caller::Person(person))
    }

    /// What `action` would be done to: the entity `text` names, the location it names
    /// (`type:target`, or a location's id; a location not registered yet for
    /// registering), or the portal.
    async fn target(&self, action: Action, text: &str) -> Result<Target, AppError> {
        match action.aim() {
            Aim::Portal => Ok(Target::Portal),
            Aim::Entity => {
                let entity_ref = text.to_lowercase();
                targets::entity(&self.store, &entity_ref)
                    .await?
                    .ok_or_else(|| {
                        AppError::BadInput(format!(
                            "The catalog has no entity {text:?}; name one as kind:namespace/name, e.g. component:default/checkout."
                        ))
                    })
            }
            Aim::Location => {
                if let Some(found) = targets::location(&self.store, text).await? {
                    return Ok(found);
                }
                let Some((kind, target)) = text.split_once(':') else {
                    return Err(AppError::BadInput(format!(
                        "{text:?} is not a location; name one as type:target, e.g. url:https://git.example/catalog-info.yaml, or by its id."
                    )));
                };
                match self.store.location_by_target(kind, target).await? {
                    Some(row) => Ok(targets::location(&self.store, &row.id)
                        .await?
                        .unwrap_or_else(|| targets::new_location(kind, target))),
                    None if action == Action::LocationCreate => {
                        Ok(targets::new_location(kind, target))
                    }
                    None => Err(AppError::BadInput(format!(
                        "No location {text} is registered."
                    ))),
                }
            }
        }
    }
}

/// `GET /api/admin/audit.jsonl?actor&action&outcome&target&since&until&before&limit`:
/// the entries the audit page's filters select, newest first, one JSON object per line
/// (`limit` lines at most: 10,000 unless asked, 100,000 at most), read in batches while
/// the response streams.
async fn export_audit(
    _auth: Authorized<AdminView>,
    State(store): State<Store>,
    Query(filter): Query<AuditFilter>,
) -> Result<Response, ApiError> {
    let query = filter
        .query(EXPORT_DEFAULT, EXPORT_MAX)
        .map_err(|error| ApiError::input(error.message()))?;
    let remaining = query.limit;
    // (query, lines still allowed, done)
    let start = (query, remaining, false);
    let lines = futures_util::stream::unfold(start, move |(mut query, remaining, done)| {
        let store = store.clone();
        async move {
            if done || remaining <= 0 {
                return None;
            }
            query.limit = remaining.min(EXPORT_BATCH);
            let batch = match store.audit_entries(&query).await {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::error!(%error, "audit export stopped");
                    return Some((
                        Err(std::io::Error::other("audit export failed")),
                        (query, 0, true),
                    ));
                }
            };
            let full = batch.len() as i64 == query.limit;
            let mut text = String::new();
            let count = batch.len() as i64;
            if let Some(last) = batch.last() {
                query.before_id = Some(last.id);
            }
            for entry in batch {
                let row = AuditRow::from(entry);
                text.push_str(&serde_json::to_string(&row).unwrap_or_default());
                text.push('\n');
            }
            Some((Ok(text), (query, remaining - count, !full)))
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.jsonl\"",
            ),
        ],
        Body::from_stream(lines),
    )
        .into_response())
}
