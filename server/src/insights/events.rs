//! `POST /api/insights/events`: delivery events from any CI/CD or incident tool —
//! deployments, incidents and changes — for the metrics GitHub's webhooks do not cover.
//! Callers need `insights.event.report`: a person, or a token with the `insights.events`
//! scope. Every event of a batch is checked before any is stored, so a bad batch stores
//! nothing and the error names the event and field to fix.

use crate::catalog::api::input::JsonBody;
use crate::error::ApiError;
use crate::identity::Authorized;
use crate::identity::act::EventReport;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use identity::Target;
use serde::Deserialize;
use serde_json::json;
use store::{DeploymentReport, DeploymentState, IncidentRow, Store, StoreError};

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBatch {
    events: Vec<Event>,
}

/// Times are text here and parsed in [`check`]: inside a tagged enum, serde's errors lose
/// the field's name, and the caller needs it to fix the event.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
enum Event {
    #[serde(rename_all = "camelCase")]
    Deployment {
        id: String,
        component: Option<String>,
        repository: Option<String>,
        environment: String,
        sha: Option<String>,
        status: String,
        started_at: Option<String>,
        finished_at: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Incident {
        id: String,
        component: Option<String>,
        repository: Option<String>,
        opened_at: String,
        resolved_at: Option<String>,
        caused_by: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Change {
        component: Option<String>,
        repository: Option<String>,
        sha: String,
        committed_at: String,
    },
}

/// An event checked and put in the store's terms.
enum Checked {
    Deployment {
        id: String,
        repository: Option<String>,
        component_ref: Option<String>,
        environment: String,
        sha: Option<String>,
        state: DeploymentState,
        created_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
    Incident(IncidentRow),
    Change {
        service: String,
        sha: String,
        committed_at: DateTime<Utc>,
    },
}

pub async fn report(
    auth: Authorized<EventReport>,
    State(state): State<AppState>,
    JsonBody(batch): JsonBody<EventBatch>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let write = auth.on(&Target::Portal).await?;
    let checked = check_batch(batch, Utc::now())?;
    write
        .run(async {
            let stored = checked.len();
            for event in &checked {
                store_event(&state.store, event)
                    .await
                    .map_err(ApiError::internal)?;
            }
            Ok((StatusCode::ACCEPTED, Json(json!({ "stored": stored }))))
        })
        .await
}

fn check_batch(batch: EventBatch, now: DateTime<Utc>) -> Result<Vec<Checked>, ApiError> {
    if batch.events.is_empty() || batch.events.len() > MAX_EVENTS {
        return Err(ApiError::input(format!(
            "events: send between 1 and {MAX_EVENTS} events; this request has {}.",
            batch.events.len()
        )));
    }
    batch
        .events
        .into_iter()
        .enumerate()
        .map(|(index, event)| {
            check(event, now).map_err(|e| ApiError::input(format!("events[{index}].{e}")))
        })
        .collect()
}

fn check(event: Event, now: DateTime<Utc>) -> Result<Checked, String> {
    match event {
        Event::Deployment {
            id,
            component,
            repository,
            environment,
            sha,
            status,
            started_at,
            finished_at,
        } => {
            let (repository, component_ref) = service(repository, component)?;
            let started_at = started_at
                .map(|t| parse_time("startedAt", &t))
                .transpose()?;
            let finished_at = finished_at
                .map(|t| parse_time("finishedAt", &t))
                .transpose()?;
            let state = DeploymentState::parse(&status).ok_or_else(|| {
                format!(
                    "status: \"{status}\" is not a deployment status; use pending, \
                     in_progress, succeeded, failed or rolled_back"
                )
            })?;
            let at = match (state.is_finished(), finished_at) {
                (true, Some(at)) => at,
                (true, None) => {
                    return Err(format!(
                        "finishedAt: a {status} deployment needs the time it finished (RFC 3339)"
                    ));
                }
                (false, _) => started_at.unwrap_or(now),
            };
            let created_at = started_at.unwrap_or(at);
            Ok(Checked::Deployment {
                id: format!("api:{}", text("id", &id, 200)?),
                repository,
                component_ref,
                environment: text("environment", &environment, 100)?.to_lowercase(),
                sha: sha.map(|s| commit("sha", &s)).transpose()?,
                state,
                created_at: time("startedAt", created_at, now)?,
                at: time("finishedAt", at, now)?,
            })
        }
        Event::Incident {
            id,
            component,
            repository,
            opened_at,
            resolved_at,
            caused_by,
        } => {
            let (repository, component_ref) = service(repository, component)?;
            let opened_at = time("openedAt", parse_time("openedAt", &opened_at)?, now)?;
            let resolved_at = resolved_at
                .map(|at| time("resolvedAt", parse_time("resolvedAt", &at)?, now))
                .transpose()?;
            if resolved_at.is_some_and(|at| at < opened_at) {
                return Err("resolvedAt: is before openedAt".into());
            }
            Ok(Checked::Incident(IncidentRow {
                id: format!("api:{}", text("id", &id, 200)?),
                repository,
                component_ref,
                opened_at,
                resolved_at,
                caused_by: caused_by
                    .map(|c| text("causedBy", &c, 200).map(|c| format!("api:{c}")))
                    .transpose()?,
            }))
        }
        Event::Change {
            component,
            repository,
            sha,
            committed_at,
        } => {
            let (repository, component_ref) = service(repository, component)?;
            Ok(Checked::Change {
                // Deployments reported with the same repository (or component) ship it.
                service: repository.or(component_ref).expect("one of them is set"),
                sha: commit("sha", &sha)?,
                committed_at: time(
                    "committedAt",
                    parse_time("committedAt", &committed_at)?,
                    now,
                )?,
            })
        }
    }
}

/// The repository slug and component ref an event names; at least one.
fn service(
    repository: Option<String>,
    component: Option<String>,
) -> Result<(Option<String>, Option<String>), String> {
    if repository.is_none() && component.is_none() {
        return Err(
            "component: name the component (e.g. component:default/payments) or the \
                    repository (owner/name) the event is about"
                .into(),
        );
    }
    let repository = repository
        .map(|r| {
            let slug = r.trim().to_lowercase();
            let valid = slug.split('/').count() == 2
                && slug.len() <= 200
                && slug.split('/').all(|part| {
                    // GitHub refuses names of dots only; `..` must not look like a path.
                    part.bytes().any(|b| b != b'.')
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                });
            valid.then_some(slug).ok_or_else(|| {
                format!("repository: \"{r}\" is not a GitHub owner/name slug (e.g. acme/payments)")
            })
        })
        .transpose()?;
    let component = component
        .map(|c| {
            catalog::EntityRef::parse(&c, Some("component"), "default")
                .map(|r| r.to_string().to_lowercase())
                .map_err(|e| format!("component: {e}"))
        })
        .transpose()?;
    Ok((repository, component))
}

fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(format!(
            "{field}: give 1 to {max} characters, without control characters"
        ));
    }
    Ok(value.to_string())
}

fn commit(field: &str, sha: &str) -> Result<String, String> {
    let sha = sha.trim().to_lowercase();
    if (4..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(sha)
    } else {
        Err(format!(
            "{field}: \"{sha}\" is not a commit SHA (4 to 64 hex digits)"
        ))
    }
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.to_utc())
        .map_err(|_| {
            format!("{field}: \"{text}\" is not an RFC 3339 time (e.g. 2026-12-06T10:04:00Z)")
        })
}

/// Times from the year 2000 up to a day ahead (clocks drift; a year 3000 typo should not
/// count as a deployment forever).
fn time(field: &str, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let earliest = DateTime::parse_from_rfc3339("2000-01-01T00:00:00Z")
        .expect("a valid time")
        .to_utc();
    if at < earliest || at > now + TimeDelta::days(1) {
        return Err(format!(
            "{field}: {} is not a plausible time (from 2000 up to a day from now)",
            at.to_rfc3339()
        ));
    }
    Ok(at)
}

async fn store_event(store: &Store, event: &Checked) -> Result<(), StoreError> {
    match event {
        Checked::Deployment {
            id,
            repository,
            component_ref,
            environment,
            sha,
            state,
            created_at,
            at,
        } => {
            store
                .report_deployment(&DeploymentReport {
                    id,
                    repository: repository.as_deref(),
                    component_ref: component_ref.as_deref(),
                    environment,
                    sha: sha.as_deref(),
                    created_at: *created_at,
                    state: Some(*state),
                    at: *at,
                })
                .await
        }
        Checked::Incident(incident) => store.report_incident(incident).await,
        Checked::Change {
            service,
            sha,
            committed_at,
        } => {
            store
                .record_changes(service, sha, &[(sha.clone(), *committed_at)])
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(json: serde_json::Value) -> EventBatch {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn errors_name_the_event_and_field() {
        let now = Utc::now();
        let cases = [
            (json!({"events": []}), "events: send between 1 and 500"),
            (
                json!({"events": [{"type":"deployment","id":"d","repository":"acme/pay","environment":"production","status":"done"}]}),
                "events[0].status: \"done\" is not a deployment status",
            ),
            (
                json!({"events": [{"type":"change","repository":"acme/pay","sha":"abc1","committedAt":"2026-01-01T00:00:00Z"},
                                  {"type":"deployment","id":"d","environment":"production","status":"succeeded","finishedAt":"2026-01-01T00:00:00Z"}]}),
                "events[1].component: name the component",
            ),
            (
                json!({"events": [{"type":"deployment","id":"d","repository":"acme/pay","environment":"production","status":"failed"}]}),
                "events[0].finishedAt: a failed deployment needs the time it finished",
            ),
            (
                json!({"events": [{"type":"change","repository":"../etc","sha":"abc1","committedAt":"2026-01-01T00:00:00Z"}]}),
                "events[0].repository: \"../etc\" is not a GitHub owner/name slug",
            ),
            (
                json!({"events": [{"type":"change","repository":"a/b","sha":"xyz!","committedAt":"2026-01-01T00:00:00Z"}]}),
                "events[0].sha: \"xyz!\" is not a commit SHA",
            ),
            (
                json!({"events": [{"type":"incident","id":"i","repository":"a/b","openedAt":"3026-01-01T00:00:00Z"}]}),
                "events[0].openedAt: 3026-01-01T00:00:00+00:00 is not a plausible time",
            ),
            (
                json!({"events": [{"type":"incident","id":"i","repository":"a/b","openedAt":"2026-01-02T00:00:00Z","resolvedAt":"2026-01-01T00:00:00Z"}]}),
                "events[0].resolvedAt: is before openedAt",
            ),
        ];
        for (body, expected) in cases {
            let Err(error) = check_batch(batch(body), now) else {
                panic!("accepted: {expected}")
            };
            let message = error.message;
            assert!(message.contains(expected), "{message} / {expected}");
        }
    }

    #[test]
    fn a_good_batch_is_put_in_the_stores_terms() {
        let events = check_batch(
            batch(json!({"events": [
                {"type":"deployment","id":"d-1","component":"Payments","environment":"Production",
                 "sha":"ABC123","status":"succeeded","finishedAt":"2026-01-01T00:00:00Z"},
                {"type":"incident","id":"INC-1","component":"payments","openedAt":"2026-01-01T01:00:00Z","causedBy":"d-1"}
            ]})),
            Utc::now(),
        )
        .unwrap();
        let Checked::Deployment {
            id,
            component_ref,
            environment,
            sha,
            state,
            ..
        } = &events[0]
        else {
            panic!("not a deployment")
        };
        assert_eq!(id, "api:d-1");
        assert_eq!(component_ref.as_deref(), Some("component:default/payments"));
        assert_eq!(environment, "production");
        assert_eq!(sha.as_deref(), Some("abc123"));
        assert_eq!(*state, DeploymentState::Succeeded);
        let Checked::Incident(incident) = &events[1] else {
            panic!("not an incident")
        };
        assert_eq!(incident.caused_by.as_deref(), Some("api:d-1"));
    }
}
