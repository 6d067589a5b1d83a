//! Pieces shared by several pages.

use crate::error::AppError;
use crate::pages::catalog::shared::{EntityRow, display_kind, entity_href};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The site header with the main navigation.
#[component]
pub fn Nav() -> impl IntoView {
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Portico"</a>
            <nav aria-label="Main">
                <ul>
                    <li><A href="/catalog">"Catalog"</A></li>
                    <li><A href="/create">"Create"</A></li>
                    <li><A href="/teams">"Teams"</A></li>
                    <li><A href="/insights">"Metrics"</A></li>
                </ul>
            </nav>
        </header>
    }
}

/// Sets the HTTP status of the server-rendered response; a no-op in the browser.
pub fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// A page that says what went wrong, with the matching HTTP status.
#[component]
pub fn ErrorPage(status: u16, message: String) -> impl IntoView {
    set_status(status);
    let heading = match status {
        404 => "Not found",
        400..=499 => "That request cannot be served",
        _ => "Something went wrong",
    };
    view! {
        <Title text=heading/>
        <section class="error-page" role="alert">
            <p class="status">{status}</p>
            <h1>{heading}</h1>
            <p>{message}</p>
            <p><a href="/">"Back to the home page"</a>" · "<a href="/catalog">"Browse the catalog"</a></p>
        </section>
    }
}

/// Shows a server function's error as an error page with the error's status.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! { <ErrorPage status=error.status() message=error.message().to_string()/> }
}

/// A table of entities, one row each, linked to their pages.
#[component]
pub fn EntityTable(rows: Vec<EntityRow>) -> impl IntoView {
    view! {
        <table class="entity-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"Owner"</th>
                    <th scope="col">"Lifecycle"</th>
                    <th scope="col">"Description"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! { <EntityTableRow row/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn EntityTableRow(row: EntityRow) -> impl IntoView {
    let href = entity_href(&row.namespace, &row.kind, &row.name);
    let label = row.title.clone().unwrap_or_else(|| row.name.clone());
    view! {
        <tr>
            <td><a href=href>{label}</a></td>
            <td>{display_kind(&row.kind)}</td>
            <td>{row.spec_type.unwrap_or_default()}</td>
            <td><OwnerLink owner_ref=row.owner_ref/></td>
            <td>{row.lifecycle.unwrap_or_default()}</td>
            <td class="description">{row.description.unwrap_or_default()}</td>
        </tr>
    }
}

/// A link to an owner's page from its entity reference (`group:default/team-a`).
#[component]
pub fn OwnerLink(owner_ref: Option<String>) -> impl IntoView {
    owner_ref.map(
        |owner| match crate::pages::catalog::shared::split_ref(&owner) {
            Some((kind, namespace, name)) => {
                let href = entity_href(namespace, kind, name);
                view! { <a href=href>{name.to_string()}</a> }.into_any()
            }
            None => view! { <span>{owner.clone()}</span> }.into_any(),
        },
    )
}
