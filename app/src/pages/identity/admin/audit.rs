//! `/admin/audit`: the audit log, newest first, with filters and pages; the same filters
//! export it as JSON lines (`/api/admin/audit.jsonl`, served by the server with
//! [`AuditFilter::query`]).

// `fetch_audit` takes each filter as an argument, as the page's GET form names them; the
// `server` macro generates functions an outer `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::encode_query;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// Entries per page when the filter names no limit, and the most a page shows.
pub const AUDIT_PAGE: i64 = 50;
pub const MAX_AUDIT_PAGE: i64 = 500;

/// The filters of the page and the export, as query parameters; every one optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// A User entity ref or sign-in subject; `anonymous` for anonymous callers.
    pub actor: Option<String>,
    pub action: Option<String>,
    /// `succeeded`, `refused` or `failed`.
    pub outcome: Option<String>,
    /// Part of the target's ref.
    pub target: Option<String>,
    /// From (inclusive) and until (exclusive): `2026-12-04`, `2026-12-04T17:30` (UTC) or
    /// RFC 3339.
    pub since: Option<String>,
    pub until: Option<String>,
    /// Entries older than the one with this id (the next page).
    pub before: Option<String>,
    pub limit: Option<String>,
}

/// One entry as the page and the export show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub actor: String,
    pub actor_ref: Option<String>,
    pub subject: Option<String>,
    pub token: Option<String>,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: String,
    pub client_ip: String,
    pub user_agent: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageData {
    pub rows: Vec<AuditRow>,
    /// The cursor of the next page, when there may be one.
    pub next: Option<i64>,
}

impl AuditFilter {
    /// The filter as a query string (without `before`), for links.
    pub fn to_query(&self) -> String {
        let pairs = [
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("target", &self.target),
            ("since", &self.since),
            ("until", &self.until),
            ("limit", &self.limit),
        ];
        pairs
            .iter()
            .filter_map(|(key, value)| {
                let value = value.as_deref()?.trim();
                (!value.is_empty()).then(|| format!("{key}={}", encode_query(value)))
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

    impl AuditFilter {
        /// The store query: `max_limit` bounds the page; every misfit is `BadInput` that
        /// names the parameter.
        pub fn query(
            &self,
            default_limit: i64,
            max_limit: i64,
        ) -> Result<store::AuditQuery, AppError> {
            let text = |value: &Option<String>| {
                value
                    .as_deref()
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            let number = |key: &str, value: &Option<String>| -> Result<Option<i64>, AppError> {
                text(value)
                    .map(|v| {
                        v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                            AppError::BadInput(format!(
                                "{key} must be a positive number, not {v:?}."
                            ))
                        })
                    })
                    .transpose()
            };
            let outcome = text(&self.outcome);
            if let Some(outcome) = &outcome
                && identity::Outcome::parse(outcome).is_none()
            {
                return Err(AppError::BadInput(format!(
                    "outcome must be succeeded, refused or failed, not {outcome:?}."
                )));
            }
            Ok(store::AuditQuery {
                actor: text(&self.actor),
                action: text(&self.action),
                outcome,
                target_contains: text(&self.target),
                since: text(&self.since).map(|v| time("since", &v)).transpose()?,
                until: text(&self.until).map(|v| time("until", &v)).transpose()?,
                before_id: number("before", &self.before)?,
                limit: number("limit", &self.limit)?
                    .unwrap_or(default_limit)
                    .min(max_limit),
            })
        }
    }

    /// `2026-12-04`, `2026-12-04T17:30[:00]` (UTC) or RFC 3339.
    fn time(key: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
        if let Ok(time) = DateTime::parse_from_rfc3339(text) {
            return Ok(time.with_timezone(&Utc));
        }
        for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
            if let Ok(time) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(time.and_utc());
            }
        }
        if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            return Ok(date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc());
        }
        Err(AppError::BadInput(format!(
            "{key} must be a date (2026-12-04), a UTC time (2026-12-04T17:30) or RFC 3339, not {text:?}."
        )))
    }

    impl From<store::AuditEntry> for AuditRow {
        fn from(entry: store::AuditEntry) -> AuditRow {
            AuditRow {
                id: entry.id,
                at: entry
                    .at
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                actor: entry.actor,
                actor_ref: entry.actor_ref,
                subject: entry.subject,
                token: entry.token,
                action: entry.action,
                target: entry.target,
                outcome: entry.outcome,
                detail: entry.detail,
                client_ip: entry.client_ip,
                user_agent: entry.user_agent,
            }
        }
    }
}

#[server(prefix = "/_server")]
pub async fn fetch_audit(
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    target: Option<String>,
    since: Option<String>,
    until: Option<String>,
    before: Option<String>,
    limit: Option<String>,
) -> Result<AuditPageData, AppError> {
    crate::identity::require(identity::Action::AdminView).await?;
    let filter = AuditFilter {
        actor,
        action,
        outcome,
        target,
        since,
        until,
        before,
        limit,
    };
    let query = filter.query(AUDIT_PAGE, MAX_AUDIT_PAGE)?;
    let store = crate::context::store()?;
    let rows: Vec<AuditRow> = store
        .audit_entries(&query)
        .await?
        .into_iter()
        .map(AuditRow::from)
        .collect();
    let next = (rows.len() as i64 == query.limit)
        .then(|| rows.last().map(|row| row.id))
        .flatten();
    Ok(AuditPageData { rows, next })
}

fn filter_from(query: &leptos_router::params::ParamsMap) -> AuditFilter {
    let get = |key: &str| query.get(key).filter(|v| !v.trim().is_empty());
    AuditFilter {
        actor: get("actor"),
        action: get("action"),
        outcome: get("outcome"),
        target: get("target"),
        since: get("since"),
        until: get("until"),
        before: get("before"),
        limit: get("limit"),
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| filter_from(&query.read()));
    let data = Resource::new(
        move || filter.get(),
        |f| {
            fetch_audit(
                f.actor, f.action, f.outcome, f.target, f.since, f.until, f.before, f.limit,
            )
        },
    );
    view! {
        <Title text="Audit log"/>
        <p class="breadcrumb"><a href="/admin/permissions">"Permissions"</a></p>
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let filter = filter.get_untracked();
                match data.await {
                    Ok(data) => view! { <AuditLog data filter/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AuditLog(data: AuditPageData, filter: AuditFilter) -> impl IntoView {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let query = filter.to_query();
    let export = format!("/api/admin/audit.jsonl?{query}");
    let first = format!("/admin/audit?{query}");
    let next = data.next.map(|id| {
        let separator = if query.is_empty() { "" } else { "&" };
        format!("/admin/audit?{query}{separator}before={id}")
    });
    let outcome = value(&filter.outcome);
    let empty = data.rows.is_empty();
    view! {
        <form method="get" action="/admin/audit" class="filters" aria-label="Filter the audit log">
            <label>"Actor "<input type="text" name="actor" value=value(&filter.actor) placeholder="user:default/ada.lovelace or anonymous"/></label>
            <label>"Action "<input type="text" name="action" value=value(&filter.action) placeholder="catalog.entity.unregister"/></label>
            <label>"Outcome "
                <select name="outcome">
                    <option value="" selected=outcome.is_empty()>"any"</option>
                    {identity::Outcome::ALL.into_iter().map(|o| {
                        let selected = o.name() == outcome;
                        view! { <option value=o.name() selected=selected>{o.name()}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Target contains "<input type="text" name="target" value=value(&filter.target)/></label>
            <label>"From (UTC) "<input type="text" name="since" value=value(&filter.since) placeholder="2026-12-01"/></label>
            <label>"Until (UTC) "<input type="text" name="until" value=value(&filter.until) placeholder="2026-12-04T18:00"/></label>
            <label>"Per page "<input type="number" name="limit" min="1" max=MAX_AUDIT_PAGE value=value(&filter.limit) placeholder=AUDIT_PAGE.to_string()/></label>
            <button type="submit">"Filter"</button>
            <a href="/admin/audit">"Clear"</a>
        </form>
        <p><a href=export download="audit.jsonl">"Export these entries as JSON lines"</a></p>
        {if empty {
            view! { <p class="notice">"No entries match."</p> }.into_any()
        } else {
            view! {
                <table class="entity-table audit-table">
                    <thead>
                        <tr>
                            <th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                            <th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {data.rows.into_iter().map(|row| {
                            let who = match &row.actor_ref {
                                Some(r) => format!("{} ({r})", row.actor),
                                None => row.actor.clone(),
                            };
                            let class = format!("outcome-{}", row.outcome);
                            view! {
                                <tr class=class>
                                    <td><time datetime=row.at.clone()>{row.at.replace('T', " ")}</time></td>
                                    <td>{who}</td>
                                    <td>{row.action}</td>
                                    <td>{row.target}</td>
                                    <td>{row.outcome}{(!row.detail.is_empty()).then(|| view! { <div class="description">{row.detail}</div> })}</td>
                                    <td>{row.client_ip}<div class="description">{row.user_agent}</div></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            <a href=first>"Newest"</a>
            {match next {
                Some(href) => view! { <a href=href rel="next">"Older →"</a> }.into_any(),
                None => view! { <span aria-disabled="true">"Older →"</span> }.into_any(),
            }}
        </nav>
    }
}
