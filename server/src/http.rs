//! The HTTP surface: every route in one place, and the layers around them.

use crate::catalog::register::PageRegistrar;
use crate::ops::{health, metrics};
use crate::state::AppState;
use crate::{catalog, identity, insights, render, scaffolder, teams};
use app::{App, shell};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode, header};
use axum::middleware;
use axum::routing::get;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use std::sync::Arc;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The policy for responses that are not pages (API, probes, files). Pages set their own,
/// with a per-request nonce for the hydration script (see `app::shell`).
const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The app's routes, generated once per process. Generating them renders the app with
/// resource loading suppressed through a process-wide flag (leptos_server's
/// `SuppressResourceLoad`); a page whose resource is first polled meanwhile would wait
/// forever (leptos issue #4773). Once, before any router serves, nothing can overlap it;
/// building a second router later (tests do) must not generate them again.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The portal's router with `extra` routes merged in (tests add routes this way).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let routes = route_list();
    let page_context = page_context(&state);
    let server_fns = {
        let page_context = page_context.clone();
        move |request: Request<axum::body::Body>| {
            handle_server_fns_with_context(page_context.clone(), request)
        }
    };

    let x_request_id = HeaderName::from_static("x-request-id");
    // Outermost first: every response gets a request id, a log span and the security
    // headers, whatever produced it (a page, the API, a panic, a timeout).
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            MakeRequestUuid,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(RequestBodyLimitLayer::new(state.config.max_body_bytes))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(
            header::CONTENT_SECURITY_POLICY,
            DEFAULT_CSP,
        ))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes));

    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::serve))
        .nest("/api/catalog", catalog::api::router())
        .merge(render::api::router())
        .merge(scaffolder::api::router())
        .merge(teams::api::router())
        .merge(insights::api::router())
        .merge(identity::signin::router())
        .merge(identity::admin::router())
        .merge(identity::providers::router())
        .merge(extra)
        .route(
            "/_server/{*fn_name}",
            get(server_fns.clone()).post(server_fns),
        )
        .leptos_routes_with_context(&state, routes, page_context.clone(), {
            let options = state.leptos.clone();
            move || shell(options.clone())
        })
        .route_layer(middleware::from_fn(metrics::remember_route))
        .route_layer(middleware::from_fn(server_fn_error_status))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(page_context, shell))
        .layer(middleware::map_response_with_state(
            state.leptos.hash_files,
            cache_fingerprinted,
        ))
        // Sessions for every route, and no cross-site change reaches any of them.
        .layer(middleware::from_fn_with_state(
            identity::csrf::Guard {
                origin: identity::csrf::Origin::of(&state.config.public_url),
                max_body: state.config.max_body_bytes,
            },
            identity::admit,
        ))
        .layer(identity::sessions::layer(
            state.store.clone(),
            &state.config.sessions,
            state.config.public_url.starts_with("https://"),
        ))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .layer(layers)
        .with_state(state)
}

/// Server functions answer every error with 500; an [`app::error::AppError`] knows its
/// real status (404, 400, 401, 403), so the response gets that one. A layer, because
/// leptos routes each server function itself (`leptos_routes_with_context`).
async fn server_fn_error_status(
    request: Request<axum::body::Body>,
    next: middleware::Next,
) -> axum::response::Response {
    use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Encoded errors are a message and a tag; anything larger is not one of ours.
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<app::error::AppError>(&bytes)
        && let Ok(status) = StatusCode::from_u16(error.status())
    {
        parts.status = status;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// What pages and server functions find in their context, per request: the store, the
/// authorisation seam, the admin pages' [`app::AdminDesk`] and the register page's
/// [`app::Registrar`] for the client asking (drafts are counted per client). leptos_axum puts the request's parts in context before this runs.
fn page_context(state: &AppState) -> impl Fn() + Clone + Send + Sync + use<> {
    let store = state.store.clone();
    let ingester = state.ingester.clone();
    let worker = state.worker.clone();
    let config = state.config.clone();
    let seam: Arc<dyn ::identity::Authorize> = state.seam.clone();
    let admin_desk: Arc<dyn app::AdminDesk> = Arc::new(identity::admin::Desk {
        store: state.store.clone(),
        seam: state.seam.clone(),
    });
    let sign_in = app::SignInOptions {
        guest: state.config.auth.guest,
        providers: state
            .config
            .auth
            .providers
            .iter()
            .map(|provider| app::ProviderChoice {
                id: provider.id.clone(),
                title: provider.title.clone(),
            })
            .collect(),
    };
    let scaffolding: Arc<dyn app::Scaffolding> = Arc::new(scaffolder::pages::PageScaffolding {
        state: state.clone(),
    });
    let insights = state.insights_settings.clone();
    let render_options = Arc::new(state.config.render.clone());
    move || {
        let client = use_context::<Parts>()
            .map(|parts| identity::client_key_of(&parts, config.client_address_header.as_ref()));
        let registrar: Arc<dyn app::Registrar> = Arc::new(PageRegistrar {
            store: store.clone(),
            ingester: ingester.clone(),
            worker: worker.clone(),
            drafts: config.drafts,
            github: config.github.clone(),
            client: client.unwrap_or_else(|| "unknown".to_string()),
        });
        provide_context(store.clone());
        provide_context(registrar);
        provide_context(seam.clone());
        provide_context(admin_desk.clone());
        provide_context(scaffolding.clone());
        provide_context(sign_in.clone());
        provide_context(insights.clone());
        provide_context(render_options.clone());
        leptos::nonce::provide_nonce();
    }
}

/// Bundle files named by their content (`/pkg/portico.<16 hex>.wasm`, see `cargo xtask`)
/// never change under their name: browsers may keep them for a year without asking again.
async fn cache_fingerprinted(
    axum::extract::State(hash_files): axum::extract::State<bool>,
    uri: axum::http::Uri,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if hash_files && response.status() == StatusCode::OK && is_fingerprinted(uri.path()) {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

fn is_fingerprinted(path: &str) -> bool {
    let Some(file) = path.strip_prefix("/pkg/portico.") else {
        return false;
    };
    match file.split_once('.') {
        Some((hash, extension)) => {
            hash.len() == 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && matches!(extension, "js" | "wasm" | "css")
        }
        None => false,
    }
}

fn request_span(request: &Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default();
    tracing::info_span!("request", request_id, method = %request.method(), path = %request.uri().path())
}

/// A panic becomes a plain 500: the details go to the log, never to the client.
fn panic_response(_: Box<dyn std::any::Any + Send>) -> axum::response::Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error: the portal logged the details",
    )
        .into_response()
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

use axum::response::IntoResponse;

#[cfg(test)]
mod tests {
    use super::is_fingerprinted;

    #[test]
    fn only_content_named_bundle_files_are_cached_for_good() {
        assert!(is_fingerprinted("/pkg/portico.0123456789abcdef.wasm"));
        assert!(is_fingerprinted("/pkg/portico.0123456789abcdef.css"));
        assert!(!is_fingerprinted("/pkg/portico.css"));
        assert!(!is_fingerprinted("/pkg/portico.0123456789abcdeg.js"));
        assert!(!is_fingerprinted("/pkg/portico.0123456789abcdef.html"));
        assert!(!is_fingerprinted("/favicon.svg"));
    }
}
