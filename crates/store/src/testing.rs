//! A fresh, migrated database per test, on every engine the environment offers.
//!
//! SQLite always runs (a temporary file). PostgreSQL runs when `TEST_DATABASE_URL` names a
//! server (e.g. `postgres://postgres@127.0.0.1:5432/postgres`); each test gets a schema of
//! its own there. Under CI (`CI` set) a missing `TEST_DATABASE_URL` is an error, so
//! PostgreSQL tests are never skipped silently.

use crate::{Pool, Store};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// A store for one test; keeps its temporary files alive.
pub struct TestStore {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A migrated store on each available engine: SQLite first, then PostgreSQL.
pub async fn test_stores() -> Vec<TestStore> {
    let mut stores = vec![sqlite().await];
    if let Some(store) = postgres().await {
        stores.push(store);
    }
    stores
}

pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!("sqlite://{}", dir.path().join("portico.db").display());
    let store = Store::connect(&url).await.expect("open SQLite");
    store.migrate().await.expect("migrate SQLite");
    TestStore {
        store,
        _dir: Some(dir),
    }
}

/// The `TEST_DATABASE_URL` server, or `None` without one (an error under CI).
pub fn postgres_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok();
    assert!(
        url.is_some() || std::env::var_os("CI").is_none(),
        "TEST_DATABASE_URL is not set under CI: PostgreSQL tests would be skipped"
    );
    url
}

/// A store in a new schema of the `TEST_DATABASE_URL` server, or `None` without one.
pub async fn postgres() -> Option<TestStore> {
    let url = postgres_url()?;
    let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={url} is not reachable: {e}"));
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .expect("create schema");
    admin.close().await;
    let options = PgConnectOptions::from_str(&url)
        .expect("TEST_DATABASE_URL is a PostgreSQL URL")
        .options([("search_path", schema.as_str())])
        .options(crate::POSTGRES_SESSION);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("connect");
    let store = Store::from_pool(Pool::Postgres(pool));
    store.migrate().await.expect("migrate PostgreSQL");
    Some(TestStore { store, _dir: None })
}
