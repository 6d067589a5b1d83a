//! The catalog page: entities by kind, with text search. The URL holds the state.

use crate::api::{display_kind, fetch_entities, fetch_kind_counts};
use crate::components::{EntityTable, LoadError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::Form, hooks::use_query_map};

#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("kind").filter(|k| !k.is_empty());
    let text = move || query.read().get("q").filter(|q| !q.is_empty());
    let entities = Resource::new(
        move || (kind(), text()),
        |(kind, text)| fetch_entities(kind, text),
    );
    let kinds = Resource::new(|| (), |_| fetch_kind_counts());
    view! {
        <Title text="Catalog"/>
        <h1>"Catalog"</h1>
        <Form method="GET" action="/catalog" attr:class="filters" attr:role="search">
            <label for="catalog-kind">"Kind"</label>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let options = kinds.await.unwrap_or_default();
                    let selected = kind().unwrap_or_default();
                    view! {
                        <select id="catalog-kind" name="kind">
                            <option value="" selected=selected.is_empty()>"All kinds"</option>
                            {options
                                .into_iter()
                                .map(|(value, count)| {
                                    let is_selected = value == selected;
                                    let label = format!("{} ({count})", display_kind(&value));
                                    view! { <option value=value selected=is_selected>{label}</option> }
                                })
                                .collect_view()}
                        </select>
                    }
                })}
            </Suspense>
            <label for="catalog-q">"Search"</label>
            <input id="catalog-q" name="q" type="search" value=text placeholder="Name, title or description"/>
            <button type="submit">"Apply"</button>
        </Form>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entities.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No entities match. Try another kind or fewer words."</p> }.into_any(),
                    Ok(rows) => view! {
                        <p class="result-count">{format!("{} shown", rows.len())}</p>
                        <EntityTable rows/>
                    }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
