//! Teams: the groups of the catalog and what they own.

use crate::components::LoadError;
use crate::pages::catalog::shared::{EntityTable, fetch_entities};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TeamsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| fetch_entities(Some("group".to_string()), None));
    view! {
        <Title text="Teams"/>
        <h1>"Teams"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="empty">"No teams yet. Teams are Group entities in the catalog: register them like any other entity."</p>
                    }.into_any(),
                    Ok(rows) => view! { <EntityTable rows/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
