//! Create: the golden-path templates a developer can start a new service from (`/create`),
//! and the Application spec editor (`/create/application`).

pub mod application;
pub mod scaffolding;

use crate::components::LoadError;
use crate::pages::catalog::shared::{EntityTable, fetch_entities};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CreatePage() -> impl IntoView {
    let templates = Resource::new(
        || (),
        |_| fetch_entities(Some("template".to_string()), None),
    );
    view! {
        <Title text="Create"/>
        <h1>"Create a new service"</h1>
        <p class="lead">"Start from a golden-path template: a repository with its pipeline, container, Kubernetes and Terraform files already right."</p>
        <p><a href="/create/application">"Describe an application spec and preview its delivery files →"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match templates.await {
                    Ok(rows) if rows.is_empty() => view! {
                        <p class="empty">"No templates are registered yet. Templates are Template entities (scaffolder.backstage.io/v1beta3) in the catalog."</p>
                    }.into_any(),
                    Ok(rows) => view! { <EntityTable rows/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
