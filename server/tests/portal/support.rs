//! Test harness: the whole portal on an ephemeral port, against a fresh database.

#![allow(dead_code)]

use server::config::Config;
use server::state::AppState;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use store::testing::TestStore;
use tokio::sync::oneshot;

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    pub store: TestStore,
    pub state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.address, path)
    }

    /// Asks the server to stop; in-flight requests are finished first.
    pub fn shut_down(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The configuration tests run with: defaults, no file, no environment.
pub fn test_config() -> Config {
    let mut env = BTreeMap::new();
    env.insert("PORTICO_CONFIG".to_string(), "/dev/null".to_string());
    env.insert("PORTICO_LISTEN".to_string(), "127.0.0.1:0".to_string());
    Config::load(&env).expect("test configuration")
}

/// Starts the portal on `store` with `router_extra` merged in (for test-only routes).
pub async fn spawn_with(store: TestStore, extra: axum::Router<AppState>) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let state = AppState::new(test_config(), store.store.clone());
    let router = server::http::router_with(state.clone(), extra);
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(server::serve::serve(listener, router, async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        store,
        state,
        shutdown: Some(tx),
        server,
    }
}

pub async fn spawn(store: TestStore) -> TestApp {
    spawn_with(store, axum::Router::new()).await
}

/// One running portal per available engine (SQLite, and PostgreSQL when configured).
pub async fn spawn_each() -> Vec<TestApp> {
    let mut apps = Vec::new();
    for store in store::testing::test_stores().await {
        apps.push(spawn(store).await);
    }
    apps
}
