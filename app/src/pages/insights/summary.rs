//! A team's or a component's delivery figures where people look at them: on the team page
//! and the entity page. The last 30 days' four keys and the maturity level, linking to the
//! insights pages for the rest. Shows nothing to whoever may not see the metrics.

use super::{InsightsScope, KeyFigure};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliverySummary {
    pub scope: InsightsScope,
    pub deployments: usize,
    pub figures: Vec<KeyFigure>,
    /// "3 · Platform engineering"
    pub maturity: Option<String>,
    /// What holds it back, in a sentence.
    pub maturity_summary: Option<String>,
}

#[server(prefix = "/_server")]
pub async fn fetch_delivery_summary(
    team: Option<String>,
    component: Option<String>,
) -> Result<DeliverySummary, AppError> {
    crate::identity::require(identity::Action::InsightsRead).await?;
    let store = crate::context::store()?;
    let scope = super::scope_of(team, component)?;
    let settings =
        use_context::<std::sync::Arc<super::load::InsightsSettings>>().unwrap_or_default();
    let delivery = super::load::overview(&store, &settings, 30, &scope).await?;
    let maturity = super::load::maturity(&store, &settings, &scope).await?;
    let (level, summary) = match &scope {
        InsightsScope::Team(team) => (
            maturity
                .teams
                .iter()
                .find(|t| &t.team == team)
                .and_then(|t| Some(format!("{} · {}", t.level?, t.level_name.clone()?))),
            None,
        ),
        _ => match maturity.services.first() {
            Some(s) => (
                Some(format!("{} · {}", s.level, s.level_name)),
                Some(s.summary.clone()),
            ),
            None => (None, None),
        },
    };
    Ok(DeliverySummary {
        scope,
        deployments: delivery.deployments,
        figures: delivery.figures,
        maturity: level,
        maturity_summary: summary,
    })
}

/// The summary for `team` (a group ref) or `component` (a component ref).
#[component]
pub fn DeliverySummaryCard(
    #[prop(optional)] team: Option<String>,
    #[prop(optional)] component: Option<String>,
) -> impl IntoView {
    let data = Resource::new(
        move || (team.clone(), component.clone()),
        |(team, component)| fetch_delivery_summary(team, component),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                data.await.ok().map(|summary| view! { <Summary summary/> })
            })}
        </Suspense>
    }
}

#[component]
fn Summary(summary: DeliverySummary) -> impl IntoView {
    let query = super::scope_query(&summary.scope, 30);
    let maturity_href = format!("/insights/maturity?{query}");
    view! {
        <section class="card delivery-summary" aria-labelledby="delivery-heading">
            <h2 id="delivery-heading">"Delivery, last 30 days"</h2>
            {if summary.deployments == 0 {
                view! { <p class="empty">"No production deployments recorded in 30 days."</p> }.into_any()
            } else {
                view! {
                    <dl class="facts">
                        {summary.figures.into_iter().map(|f| view! {
                            <dt>{f.name}</dt>
                            <dd>{f.value.unwrap_or_else(|| "—".into())}
                                {f.tier.map(|t| view! { " " <span class=format!("tier {t}")>{t.clone()}</span> })}
                            </dd>
                        }).collect_view()}
                    </dl>
                }.into_any()
            }}
            {summary.maturity.map(|level| view! {
                <p>"Maturity level " <a href=maturity_href.clone()>{level}</a></p>
            })}
            {summary.maturity_summary.map(|s| view! { <p class="muted">{s}</p> })}
            <p><a href=format!("/insights?{query}")>"All delivery figures"</a></p>
        </section>
    }
}
