//! The insights API: `POST /api/webhooks/github` (GitHub's deliveries, signed),
//! `POST /api/insights/events` (every other tool's events), the computed figures as JSON
//! and CSV — `GET /api/insights/dora`, `/dora.csv`, `/maturity`, `/maturity.csv`, each
//! with `?days=` (7, 30, 90) and `?team=` or `?component=` — and
//! `GET /api/insights/openapi.json`. Reading the figures needs `insights.metrics.read`.
//! Errors in Backstage's shape.

use crate::error::{ApiError, backstage_errors};
use crate::identity::Authorized;
use crate::identity::act::InsightsRead;
use crate::insights::{events, webhooks};
use crate::state::AppState;
use app::InsightsScope;
use app::insights_api::{self, DoraReport, MaturityView};
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

/// Whose figures, over how long. Unknown parameters are ignored.
#[derive(Deserialize)]
struct FigureQuery {
    days: Option<u32>,
    team: Option<String>,
    component: Option<String>,
}

impl FigureQuery {
    fn days(&self) -> Result<u32, ApiError> {
        let days = self.days.unwrap_or(30);
        if insights_api::PERIODS.contains(&days) {
            Ok(days)
        } else {
            Err(ApiError::input("days: choose 7, 30 or 90."))
        }
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
