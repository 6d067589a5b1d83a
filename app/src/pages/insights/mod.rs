//! Metrics: how the platform is doing (DORA four keys, adoption, reliability, satisfaction).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn InsightsPage() -> impl IntoView {
    view! {
        <Title text="Metrics"/>
        <h1>"Platform metrics"</h1>
        <p class="lead">"Deployment frequency, lead time for changes, change failure rate and time to restore, per team and service."</p>
        <p class="empty">"No deployments have been recorded yet."</p>
    }
}
