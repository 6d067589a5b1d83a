//! The insights API: `POST /api/webhooks/github` (GitHub's deliveries, signed),
//! `POST /api/insights/events` (every other tool's events), the computed figures as JSON
//! and every table of the insights pages as CSV —
//! - `GET /api/insights/dora`, `/dora.csv`, `/maturity`, `/maturity.csv`,
//!   `/maturity-teams.csv`, with `?days=` (7, 30, 90) and `?team=` or `?component=`;
//! - `/satisfaction`, `/satisfaction-teams.csv`, `/docs-ratings.csv`,
//!   `/feature-requests.csv`;
//! - `/platform`, `/platform.csv`, with `?days=`;
//!
//! and `GET /api/insights/openapi.json`. Reading the figures needs
//! `insights.metrics.read`. Errors in Backstage's shape.

use crate::error::{ApiError, backstage_errors};
use crate::identity::Authorized;
use crate::identity::act::InsightsRead;
use crate::insights::{events, webhooks};
use crate::state::AppState;
use app::InsightsScope;
use app::insights_api::{self, DoraReport, MaturityView, PlatformDay, SurveyResults};
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router, middleware};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    let insights = Router::new()
        .route("/events", post(events::report))
        .route("/dora", get(dora))
        .route("/dora.csv", get(dora_csv))
        .route("/maturity", get(maturity))
        .route("/maturity.csv", get(maturity_csv))
        .route("/maturity-teams.csv", get(maturity_teams_csv))
        .route("/satisfaction", get(satisfaction))
        .route("/satisfaction-teams.csv", get(satisfaction_teams_csv))
        .route("/docs-ratings.csv", get(docs_ratings_csv))
        .route("/feature-requests.csv", get(feature_requests_csv))
        .route("/platform", get(platform))
        .route("/platform.csv", get(platform_csv))
        .route("/openapi.json", get(openapi))
        .fallback(not_found);
    Router::new()
        .route("/api/webhooks/github", post(webhooks::receive))
        .nest("/api/insights", insights)
        .layer(middleware::from_fn(
            crate::catalog::api::input::refuse_nul_in_url,
        ))
        .layer(middleware::from_fn(backstage_errors))
}

async fn not_found() -> ApiError {
    ApiError::not_found(
        "There is no such address in the insights API; /api/insights/openapi.json lists them.",
    )
}

async fn openapi() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

/// `?days=`: 7, 30 (without it) or 90.
fn period(days: Option<u32>) -> Result<u32, ApiError> {
    let days = days.unwrap_or(30);
    if insights_api::PERIODS.contains(&days) {
        Ok(days)
    } else {
        Err(ApiError::input("days: choose 7, 30 or 90."))
    }
}

/// Whose figures, over how long. Unknown parameters are ignored.
#[derive(Deserialize)]
struct FigureQuery {
    days: Option<u32>,
    team: Option<String>,
    component: Option<String>,
}

impl FigureQuery {
    fn days(&self) -> Result<u32, ApiError> {
        period(self.days)
    }

    fn scope(&self) -> Result<InsightsScope, ApiError> {
        insights_api::scope_of(self.team.clone(), self.component.clone())
            .map_err(|e| ApiError::input(e.message().to_string()))
    }
}

async fn dora_report(state: &AppState, query: &FigureQuery) -> Result<DoraReport, ApiError> {
    let settings = &state.insights_settings;
    let (days, scope) = (query.days()?, query.scope()?);
    Ok(insights_api::cached_dora_report(&state.store, settings, days, &scope).await?)
}

async fn maturity_view(state: &AppState, query: &FigureQuery) -> Result<MaturityView, ApiError> {
    Ok(insights_api::maturity(&state.store, &state.insights_settings, &query.scope()?).await?)
}

async fn dora(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<FigureQuery>,
) -> Result<Json<DoraReport>, ApiError> {
    Ok(Json(dora_report(&state, &query).await?))
}

async fn maturity(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<FigureQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let view = maturity_view(&state, &query).await?;
    Ok(Json(serde_json::json!({
        "teams": view.teams,
        "services": view.services,
        "notAssessed": view.not_assessed,
    })))
}

/// One row per service: the four keys in the period, as numbers.
async fn dora_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let report = dora_report(&state, &query).await?;
    let mut table = Table::new(&[
        "service",
        "owner",
        "deployments",
        "successful",
        "failed_changes",
        "deployments_per_day",
        "lead_time_seconds",
        "change_failure_rate",
        "recovery_time_seconds",
        "frequency_tier",
    ]);
    for s in report.services {
        let figure = |f: &Option<insights::dora::Figure>| {
            f.as_ref().map(|f| f.value.to_string()).unwrap_or_default()
        };
        table.row(&[
            s.service,
            s.owner.unwrap_or_default(),
            s.keys.deployments.to_string(),
            s.keys.successful.to_string(),
            s.keys.failed_changes.to_string(),
            s.keys.deployment_frequency.value.to_string(),
            figure(&s.keys.lead_time),
            figure(&s.keys.change_failure_rate),
            figure(&s.keys.recovery_time),
            s.keys.deployment_frequency.tier.name().to_string(),
        ])?;
    }
    table.response("dora.csv")
}

/// One row per service: its level and what it misses.
async fn maturity_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let view = maturity_view(&state, &query).await?;
    let mut table = Table::new(&["service", "owner", "level", "level_name", "missing"]);
    for s in view.services {
        let missing: Vec<String> = s.missing.into_iter().map(|c| c.text).collect();
        table.row(&[
            s.service,
            s.owner.unwrap_or_default(),
            s.level.to_string(),
            s.level_name,
            missing.join("; "),
        ])?;
    }
    table.response("maturity.csv")
}

/// One row per team: the median level of its services and what they miss most.
async fn maturity_teams_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<FigureQuery>,
) -> Result<Response, ApiError> {
    let view = maturity_view(&state, &query).await?;
    let mut table = Table::new(&["team", "level", "level_name", "services", "most_missing"]);
    for t in view.teams {
        let missing: Vec<String> = t
            .most_missing
            .into_iter()
            .map(|(what, services)| format!("{what} ({services})"))
            .collect();
        table.row(&[
            t.team,
            t.level.map(|l| l.to_string()).unwrap_or_default(),
            t.level_name.unwrap_or_default(),
            t.services.to_string(),
            missing.join("; "),
        ])?;
    }
    table.response("maturity-teams.csv")
}

async fn survey_results(state: &AppState) -> Result<SurveyResults, ApiError> {
    Ok(insights_api::Answers::read(&state.store).await?.results())
}

/// The survey results anyone who reads the metrics sees on the page: no comments, no names.
async fn satisfaction(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
) -> Result<Json<SurveyResults>, ApiError> {
    Ok(Json(survey_results(&state).await?))
}

/// One row per team with enough NPS answers to show.
async fn satisfaction_teams_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&["team", "answers", "nps"]);
    for t in survey_results(&state).await?.teams {
        table.row(&[
            t.team,
            t.answers.to_string(),
            t.nps.map(|n| format!("{n:.1}")).unwrap_or_default(),
        ])?;
    }
    table.response("satisfaction-teams.csv")
}

/// One row per entity whose documentation was rated, the lowest average first.
async fn docs_ratings_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&["entity", "ratings", "average"]);
    for d in survey_results(&state).await?.docs {
        table.row(&[d.entity, d.answers.to_string(), format!("{:.2}", d.average)])?;
    }
    table.response("docs-ratings.csv")
}

/// The most feature requests one export lists, the most voted first: enough for any
/// organisation (each person may make ten a day), bounded so one request stays cheap.
const EXPORTED_REQUESTS: i64 = 10_000;

/// One row per feature request, the most voted first; who made it is left out, as on
/// the page.
async fn feature_requests_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
) -> Result<Response, ApiError> {
    let requests = state
        .store
        .feature_requests(None, EXPORTED_REQUESTS)
        .await?;
    let mut table = Table::new(&["id", "title", "description", "votes", "created_at"]);
    for r in requests {
        table.row(&[
            r.id,
            r.title,
            r.description.unwrap_or_default(),
            r.votes.to_string(),
            r.created_at.to_rfc3339(),
        ])?;
    }
    table.response("feature-requests.csv")
}

/// Over how many days the platform's series run: `?days=`, 7, 30 (default) or 90.
#[derive(Deserialize)]
struct PeriodQuery {
    days: Option<u32>,
}

async fn platform_days(
    state: &AppState,
    query: &PeriodQuery,
) -> Result<Vec<PlatformDay>, ApiError> {
    Ok(insights_api::platform_days(&state.store, period(query.days)?).await?)
}

/// The portal's use and reliability per day.
async fn platform(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<PeriodQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let days = platform_days(&state, &query).await?;
    Ok(Json(serde_json::json!({ "days": days })))
}

/// One row per day: active people, requests, server errors, availability, p95.
async fn platform_csv(
    _auth: Authorized<InsightsRead>,
    State(state): State<AppState>,
    Query(query): Query<PeriodQuery>,
) -> Result<Response, ApiError> {
    let mut table = Table::new(&[
        "day",
        "active_people",
        "requests",
        "server_errors",
        "availability",
        "p95_ms",
    ]);
    for d in platform_days(&state, &query).await? {
        table.row(&[
            d.day,
            d.active_people.to_string(),
            d.requests.to_string(),
            d.server_errors.to_string(),
            d.availability
                .map(|a| format!("{a:.6}"))
                .unwrap_or_default(),
            d.p95_ms.map(|ms| ms.to_string()).unwrap_or_default(),
        ])?;
    }
    table.response("platform.csv")
}

/// A CSV table being written.
struct Table(csv::Writer<Vec<u8>>);

impl Table {
    fn new(header: &[&str]) -> Table {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(header)
            .expect("writing to memory cannot fail");
        Table(writer)
    }

    /// Writes a row. A cell a spreadsheet would run as a formula (starting with `=`,
    /// `+`, `-` or `@`, from a name in the catalog) is prefixed with `'`.
    fn row(&mut self, cells: &[String]) -> Result<(), ApiError> {
        let safe: Vec<String> = cells
            .iter()
            .map(|cell| match cell.chars().next() {
                Some('=' | '+' | '-' | '@') if cell.parse::<f64>().is_err() => format!("'{cell}"),
                _ => cell.clone(),
            })
            .collect();
        self.0.write_record(&safe).map_err(ApiError::internal)
    }

    fn response(self, name: &str) -> Result<Response, ApiError> {
        let bytes = self.0.into_inner().map_err(ApiError::internal)?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            bytes,
        )
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_defused_and_quotes_are_kept() {
        let mut table = Table::new(&["a", "b", "c"]);
        table
            .row(&["=HYPERLINK(\"x\")".into(), "-0.5".into(), "a,b".into()])
            .unwrap();
        let text = String::from_utf8(table.0.into_inner().unwrap()).unwrap();
        assert_eq!(text, "a,b,c\n\"'=HYPERLINK(\"\"x\"\")\",-0.5,\"a,b\"\n");
    }
}
