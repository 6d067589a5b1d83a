//! The site's frame, used by every page: navigation and error pages with their HTTP
//! status. Pieces for showing catalog entities are in `pages::catalog::shared`.

use crate::error::AppError;
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
            <crate::pages::identity::Account/>
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
        401 => "Sign in to see this",
        403 => "Not allowed",
        404 => "Not found",
        400..=499 => "That request cannot be served",
        _ => "Something went wrong",
    };
    let here = leptos_router::hooks::use_location()
        .pathname
        .get_untracked();
    let sign_in = format!(
        "/sign-in?return_to={}",
        crate::pages::catalog::shared::encode_query(&here)
    );
    view! {
        <Title text=heading/>
        <section class="error-page" role="alert">
            <p class="status">{status}</p>
            <h1>{heading}</h1>
            <p>{message}</p>
            {(status == 401 || status == 403).then(|| view! {
                <p><a class="button-link" href=sign_in>{if status == 401 { "Sign in" } else { "Sign in as someone else" }}</a></p>
            })}
            <p><a href="/">"Back to the home page"</a>" · "<a href="/catalog">"Browse the catalog"</a></p>
        </section>
    }
}

/// Shows a server function's error as an error page with the error's status.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! { <ErrorPage status=error.status() message=error.message().to_string()/> }
}
