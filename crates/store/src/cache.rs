//! Aggregates (facet counts, totals) cached per catalog version.
//!
//! Computing facets over 100k entities takes far longer than the page that shows them, and
//! the catalog changes rarely compared with how often it is read. Every write bumps
//! `catalog_version` in its transaction; a read looks the version up (one primary-key
//! read) and reuses an answer computed at that version. Replicas need no coordination:
//! a write on any of them changes the version all of them read.

use crate::{Store, StoreError, on_pool};
use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept per cache before it is emptied (simple, and bounded).
const CAPACITY: usize = 512;

#[derive(Debug, Default)]
pub(crate) struct VersionedCache<T> {
    entries: Mutex<HashMap<String, (i64, T)>>,
}

impl<T: Clone> VersionedCache<T> {
    pub(crate) fn get(&self, key: &str, version: i64) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(v, _)| *v == version)
            .map(|(_, value)| value.clone())
    }

    pub(crate) fn put(&self, key: String, version: i64, value: T) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (version, value));
    }
}

/// Bumps the catalog version inside the write's transaction.
macro_rules! bump_catalog_version {
    ($tx:expr) => {
        sqlx::query("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
            .execute(&mut *$tx)
            .await?;
    };
}
pub(crate) use bump_catalog_version;

impl Store {
    /// The current catalog version (changes with every write to the catalog).
    pub async fn catalog_version(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM catalog_version WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }
}
