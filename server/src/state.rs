//! The one state every handler and page shares.

use crate::catalog::ingest::Ingester;
use crate::config::Config;
use crate::identity::audit::Auditor;
use crate::identity::providers::Providers;
use crate::identity::{Rule, Seam};
use crate::insights::Insights;
use crate::ops::metrics::HttpMetrics;
use crate::scaffolder::Scaffolder;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use store::Store;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub leptos: LeptosOptions,
    pub metrics: Arc<HttpMetrics>,
    /// Reads catalog locations; shared by the API and the refresh loop.
    pub ingester: Arc<Ingester>,
    /// GitHub discovery and org providers (`catalog.providers`).
    pub entity_providers: Arc<crate::catalog::providers::EntityProviders>,
    /// This replica's name in location claims.
    pub worker: Arc<str>,
    /// The one authorisation seam every read and write passes through.
    pub seam: Arc<Seam>,
    /// What sign-in through identity providers keeps (discovery documents, its client).
    pub providers: Arc<Providers>,
    /// Runs templates: task secrets held here, the slots of this replica.
    pub scaffolder: Arc<Scaffolder>,
    /// Receives and processes delivery events for the metrics.
    pub insights: Arc<Insights>,
    /// How the metrics are computed, and the figures computed lately (pages, API, gauges).
    pub insights_settings: Arc<app::InsightsSettings>,
}

impl AppState {
    pub fn new(config: Config, store: Store) -> AppState {
        // `cargo xtask` names the bundle's files by their content and lists the names in
        // the site's hash.txt; Leptos reads that file (a path relative to the executable,
        // unless absolute) each time it writes a page's <head>.
        let hash_file = config.site_root.join("hash.txt");
        let leptos = LeptosOptions::builder()
            .output_name("portico")
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(config.listen)
            .hash_files(hash_file.is_file())
            .hash_file(
                std::path::absolute(&hash_file)
                    .unwrap_or(hash_file)
                    .display()
                    .to_string()
                    .into(),
            )
            .build();
        let ingester = Arc::new(Ingester::new(
            &config.ingest,
            &config.github,
            config.work.lease,
        ));
        let entity_providers = Arc::new(crate::catalog::providers::EntityProviders::new(
            &config.catalog_providers,
            &config.github,
            &config.ingest,
            config.work.lease,
        ));
        let metrics = HttpMetrics::new();
        let seam = Arc::new(
            Seam::new(
                Rule::Policy(Box::new(config.policy.clone())),
                config.sessions.max,
                store.clone(),
            )
            .with_audit(Auditor {
                store: store.clone(),
                client_header: config.client_address_header.clone(),
            })
            .with_usage(metrics.usage.clone()),
        );
        let providers = Arc::new(Providers::new(config.auth.ca_pem.as_deref()));
        let worker: Arc<str> = format!("portico-{}", uuid::Uuid::new_v4().simple()).into();
        let scaffolder = Arc::new(Scaffolder::new(
            &config,
            store.clone(),
            ingester.clone(),
            worker.clone(),
        ));
        let insights = Arc::new(Insights::new(&config, store.clone(), worker.clone()));
        AppState {
            insights_settings: Arc::new(crate::insights::settings(&config)),
            insights,
            ingester,
            entity_providers,
            worker,
            scaffolder,
            config: Arc::new(config),
            store,
            leptos,
            metrics,
            seam,
            providers,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for Store {
    fn from_ref(state: &AppState) -> Store {
        state.store.clone()
    }
}

impl FromRef<AppState> for Arc<HttpMetrics> {
    fn from_ref(state: &AppState) -> Arc<HttpMetrics> {
        state.metrics.clone()
    }
}
