//! Starting and stopping the portal.

use crate::catalog::refresh::RefreshLoop;
use crate::config::Config;
use crate::http;
use crate::state::AppState;
use std::future::Future;
use store::Store;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot load the demo catalog: {0}")]
    Demo(#[from] crate::catalog::import::ImportError),
    #[error("cannot listen on {addr}: {source} (set PORTICO_LISTEN to a free address)")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Connects to the database and applies pending migrations.
pub async fn open_store(config: &Config) -> Result<Store, ServeError> {
    let store = Store::connect_with_pool(
        config.database_url.expose(),
        config.database_max_connections,
    )
    .await?;
    store.migrate().await?;
    Ok(store)
}

/// [`open_store`] for `portico catalog import` (see [`Store::connect_for_bulk_load`]).
pub async fn open_store_for_bulk_load(config: &Config) -> Result<Store, ServeError> {
    let store = Store::connect_for_bulk_load(config.database_url.expose()).await?;
    store.migrate().await?;
    Ok(store)
}

pub async fn migrate_only(config: Config) -> Result<(), ServeError> {
    let store = open_store(&config).await?;
    store.close().await;
    tracing::info!("migrations applied");
    Ok(())
}

/// Runs the portal until SIGTERM or Ctrl-C, then finishes in-flight requests.
pub async fn run(config: Config) -> Result<(), ServeError> {
    let store = open_store(&config).await?;
    if config.demo {
        let written = crate::catalog::demo::load(&store).await?;
        tracing::info!(entities = written, "demo catalog loaded");
    }
    let warm = crate::catalog::warm::WarmLoop::start(store.clone(), config.work.poll).await;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: config.listen,
            source,
        })?;
    tracing::info!(address = %config.public_url, engine = ?store.engine(), "portal ready");
    let grace = config.shutdown_grace;
    let state = AppState::new(config, store.clone());
    let refresh = RefreshLoop::start(
        store.clone(),
        state.ingester.clone(),
        state.worker.to_string(),
        state.config.work.poll,
    );
    let providers = crate::catalog::providers::ProviderLoop::start(
        store.clone(),
        state.entity_providers.clone(),
        state.worker.to_string(),
        state.config.work.poll,
    );
    let pruning =
        crate::identity::audit::Pruning::start(store.clone(), state.config.audit_retention);
    let tasks = crate::scaffolder::TaskLoop::start(state.scaffolder.clone());
    let deliveries = crate::insights::DeliveryLoop::start(state.insights.clone());
    let usage = crate::ops::usage::UsageLoop::start(state.metrics.usage.clone(), store.clone());
    let gauges = crate::insights::gauges::GaugeLoop::start(
        state.metrics.insights.clone(),
        store.clone(),
        state.insights_settings.clone(),
    );
    let served = serve_with_grace(listener, http::router(state), shutdown_signal(), grace).await;
    refresh.stop().await;
    providers.stop().await;
    warm.stop().await;
    tasks.stop().await;
    deliveries.stop().await;
    usage.stop().await;
    gauges.stop().await;
    pruning.stop();
    served?;
    store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` completes; requests already in flight
/// are finished before this returns. Handlers can read the peer's address
/// (`ConnectInfo<SocketAddr>`), which per-client limits use.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Like [`serve`], but once `shutdown` completes, in-flight requests get at most `grace`
/// to finish (PORTICO_SHUTDOWN_GRACE_SECS; keep it below Kubernetes'
/// terminationGracePeriodSeconds) before the server stops anyway.
pub async fn serve_with_grace(
    listener: TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: std::time::Duration,
) -> std::io::Result<()> {
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = signalled_tx.send(());
    };
    let server = tokio::spawn(serve(listener, router, shutdown));
    let deadline = async move {
        if signalled_rx.await.is_ok() {
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        joined = server => joined.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        () = deadline => {
            tracing::warn!(?grace, "shutdown grace period over: dropping requests still in flight");
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
