//! The portal's own Prometheus metrics, served at `/metrics`.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DurationLabels {
    method: String,
    route: String,
}

/// HTTP request counters and latency histograms, labelled by route template.
pub struct HttpMetrics {
    /// Requests and active people per day, for the platform's reliability and adoption.
    pub usage: Arc<super::usage::Usage>,
    /// The computed platform metrics (DORA, NPS, adoption), refreshed by their own loop.
    pub insights: crate::insights::gauges::InsightGauges,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<DurationLabels, Histogram>,
}

/// Buckets from 1 ms to 10 s: the portal should answer most requests in milliseconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

impl HttpMetrics {
    pub fn new() -> Arc<HttpMetrics> {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Family::<DurationLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(BUCKETS.iter().copied())
        });
        registry.register("http_requests", "HTTP requests served", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to serve an HTTP request",
            durations.clone(),
        );
        let insights = crate::insights::gauges::InsightGauges::register(&mut registry);
        Arc::new(HttpMetrics {
            usage: super::usage::Usage::new(),
            insights,
            registry,
            requests,
            durations,
        })
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_string(),
                route: route.to_string(),
                status: status.to_string(),
            })
            .inc();
        self.durations
            .get_or_create(&DurationLabels {
                method: method.to_string(),
                route: route.to_string(),
            })
            .observe(seconds);
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The route template a request matched, passed from the inner route layer to the outer
/// metrics layer through the response's extensions.
#[derive(Clone)]
struct RouteTemplate(String);

/// Route layer: remembers which route template served the request.
pub async fn remember_route(request: Request, next: Next) -> Response {
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let mut response = next.run(request).await;
    if let Some(template) = template {
        response.extensions_mut().insert(RouteTemplate(template));
    }
    response
}

/// Outer layer: counts every request and its duration. Requests no route matched (static
/// files, 404s) are labelled by a fixed name so raw paths never become label values.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = request.method().to_string();
    let static_file = request.uri().path().starts_with("/pkg/");
    // Probes and scrapes say nothing about how the platform serves people.
    let probe = matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics");
    let response = next.run(request).await;
    let route = match response.extensions().get::<RouteTemplate>() {
        Some(RouteTemplate(template)) => template.as_str(),
        None if static_file => "/pkg/{file}",
        None => "unmatched",
    };
    metrics.observe(
        &method,
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    if !static_file && !probe {
        let millis = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
        metrics.usage.request(response.status().as_u16(), millis);
    }
    response
}

/// `GET /metrics`.
pub async fn serve(State(metrics): State<Arc<HttpMetrics>>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics.encode(),
    )
}
