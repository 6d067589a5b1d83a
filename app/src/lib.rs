//! The Portico web app: routes, pages and the server functions that feed them.
//!
//! Every page renders on the server with its data (no client-side fetching before first
//! paint) and hydrates in the browser for instant interactions.

mod components;
mod context;
pub mod error;
pub mod identity;
mod pages;

/// The admin pages' filters and rows, which the server's audit export shares.
pub use pages::identity::admin::audit::{AuditFilter, AuditRow};
#[cfg(feature = "ssr")]
pub use pages::identity::admin::{AdminDesk, AdminFuture};
/// What the server implements so the register page can read and store catalog sources.
/// How one can sign in on this portal; the server puts it in context.
pub use pages::identity::{ProviderChoice, SignInOptions};

/// The team pages' data, which the server's `/api/teams` also answers with.
pub use pages::teams::{directory::TeamDirectory, person::PersonPageData, team::TeamPageData};

/// How the server reads the team pages' data for `/api/teams`, as the pages do.
#[cfg(feature = "ssr")]
pub mod teams_api {
    pub use crate::pages::teams::directory::search;
    pub use crate::pages::teams::person::ssr::person;
    pub use crate::pages::teams::ssr::directory;
    pub use crate::pages::teams::team::ssr::team;
    pub use crate::pages::teams::team::{parse_listing, parse_scope};
}

#[cfg(feature = "ssr")]
pub use pages::catalog::browse::ssr::warm_catalog_views;
#[cfg(feature = "ssr")]
pub use pages::catalog::register::{
    RegisterIssue, RegisterPreviewRaw, RegisterProposal, RegisterSource, Registrar, RegistrarError,
    RegistrarFuture,
};
pub use pages::create::scaffolding::{DryRunFile, DryRunView, FieldProblem, ScaffoldingError};
#[cfg(feature = "ssr")]
pub use pages::create::scaffolding::{Scaffolding, ScaffoldingFuture};
pub use pages::insights::InsightsScope;
#[cfg(feature = "ssr")]
pub use pages::insights::load::InsightsSettings;

/// How the server reads the insights pages' data for `/api/insights`, as the pages do.
#[cfg(feature = "ssr")]
pub mod insights_api {
    pub use crate::pages::insights::load::{
        DoraReport, ServiceKeys, cached_dora_report, dora_report, keys_by_team, maturity, overview,
    };
    pub use crate::pages::insights::maturity::{MaturityView, ServiceMaturity, TeamMaturity};
    pub use crate::pages::insights::platform::PlatformDay;
    pub use crate::pages::insights::platform::ssr::platform_days;
    pub use crate::pages::insights::satisfaction::SurveyResults;
    pub use crate::pages::insights::satisfaction::ssr::Answers;
    pub use crate::pages::insights::{PERIODS, scope_of};
}

use components::{ErrorPage, Nav};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{Route, Router, Routes},
    path,
};

/// The HTML document around the app. Only rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    pages::identity::ViewerResource::provide();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Portico".to_string() } else { format!("{page} · Portico") }/>
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Nav/>
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <ErrorPage status=404 message="There is no page at this address.".to_string()/> }>
                    <Route path=path!("/") view=pages::home::HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/catalog") view=pages::catalog::browse::CatalogPage ssr=SsrMode::Async/>
                    <Route path=path!("/catalog/register") view=pages::catalog::register::RegisterPage ssr=SsrMode::Async/>
                    <Route path=path!("/catalog/providers") view=pages::catalog::providers::ProvidersPage ssr=SsrMode::Async/>
                    <Route path=path!("/catalog/:namespace/:kind/:name") view=pages::catalog::entity::EntityPage ssr=SsrMode::Async/>
                    <Route path=path!("/create") view=pages::create::CreatePage ssr=SsrMode::Async/>
                    <Route path=path!("/create/application") view=pages::create::application::ApplicationSpecPage ssr=SsrMode::Async/>
                    <Route path=path!("/create/templates/:namespace/:name") view=pages::create::wizard::WizardPage ssr=SsrMode::Async/>
                    <Route path=path!("/create/tasks") view=pages::create::tasks::TasksPage ssr=SsrMode::Async/>
                    <Route path=path!("/create/tasks/:id") view=pages::create::task::TaskPage ssr=SsrMode::Async/>
                    <Route path=path!("/teams") view=pages::teams::TeamsPage ssr=SsrMode::Async/>
                    <Route path=path!("/teams/:namespace/:name") view=pages::teams::team::TeamPage ssr=SsrMode::Async/>
                    <Route path=path!("/people/:namespace/:name") view=pages::teams::person::PersonPage ssr=SsrMode::Async/>
                    <Route path=path!("/insights") view=pages::insights::InsightsPage ssr=SsrMode::Async/>
                    <Route path=path!("/insights/maturity") view=pages::insights::maturity::MaturityPage ssr=SsrMode::Async/>
                    <Route path=path!("/insights/platform") view=pages::insights::platform::PlatformPage ssr=SsrMode::Async/>
                    <Route path=path!("/insights/satisfaction") view=pages::insights::satisfaction::SatisfactionPage ssr=SsrMode::Async/>
                    <Route path=path!("/sign-in") view=pages::identity::SignInPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=pages::identity::profile::ProfilePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/permissions") view=pages::identity::admin::permissions::PermissionsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=pages::identity::admin::audit::AuditPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}

/// Pages get a Content-Security-Policy that allows only this origin's files and the inline
/// hydration script carrying this response's nonce (provided per request by the server).
#[cfg(feature = "ssr")]
fn set_page_security_policy() {
    use http::{HeaderValue, header::CONTENT_SECURITY_POLICY};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data: https:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}
