//! Aggregates (facet counts, totals) cached per catalog version.
//!
//! Computing facets over 100k entities takes far longer than the page that shows them, and
//! the catalog changes rarely compared with how often it is read. Every write bumps
//! `catalog_version` in its transaction; a read looks the version up (one primary-key
//! read) and reuses an answer computed at that version. Replicas need no coordination:
//! a write on any of them changes the version all of them read.

use crate::{Store, StoreError, Tx, on_pool, on_tx};
use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A caller's answer, of whatever type it is ([`Store::cached`]).
pub(crate) type Aggregate = Arc<dyn Any + Send + Sync>;

/// Entries kept per cache before it is emptied (simple, and bounded).
const CAPACITY: usize = 512;

#[derive(Debug)]
pub(crate) struct VersionedCache<T> {
    entries: Mutex<HashMap<String, (i64, T)>>,
    /// Held while an answer is computed, so that many requests missing the cache at once
    /// (right after a write, under load) compute it once instead of all together.
    computing: tokio::sync::Mutex<()>,
    /// How many answers were computed rather than found ([`Store::aggregates_computed`]).
    computed: AtomicU64,
}

// Not derived: that would ask `T: Default`, which `dyn Any` is not.
impl<T> Default for VersionedCache<T> {
    fn default() -> Self {
        VersionedCache {
            entries: Mutex::default(),
            computing: tokio::sync::Mutex::default(),
            computed: AtomicU64::new(0),
        }
    }
}

impl<T: Clone> VersionedCache<T> {
    /// The answer for `key` at `version`: cached, or computed by `compute` once while
    /// concurrent callers for the same catalog version wait for it.
    pub(crate) async fn get_or_compute<F, Fut>(
        &self,
        key: String,
        version: i64,
        compute: F,
    ) -> Result<T, StoreError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        if let Some(value) = self.get(&key, version) {
            return Ok(value);
        }
        let _computing = self.computing.lock().await;
        if let Some(value) = self.get(&key, version) {
            return Ok(value);
        }
        let value = compute().await?;
        self.computed.fetch_add(1, Ordering::Relaxed);
        self.put(key, version, value.clone());
        Ok(value)
    }

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

/// Bumps the catalog version inside the write's transaction. Every write to entities or
/// relations does this first: the version row is then also the lock that serializes
/// catalog writes, across replicas on PostgreSQL. A write rebuilds the stored JSON of
/// entities other locations own (their relations change), so two writes running side by
/// side could each wait for rows the other holds; queued on one row first, they cannot.
pub(crate) async fn bump_catalog_version(tx: &mut Tx<'_>) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("UPDATE catalog_version SET version = version + 1 WHERE id = 1")
            .execute(conn)
            .await?;
    });
    Ok(())
}

impl Store {
    /// The answer `compute` gives from the catalog as it is now, kept under `key` until
    /// the catalog next changes (any replica's write): for aggregates a page computes
    /// from several reads, such as a team's belongings rolled up through its child teams.
    /// Concurrent misses compute once. `key` must name the answer's type and inputs, and
    /// `compute` must not call `cached` itself (it would wait for itself).
    pub async fn cached<T, E, F, Fut>(&self, key: String, compute: F) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        let cache = &self.aggregates;
        let version = self.catalog_version().await?;
        let hit = |cache: &VersionedCache<Aggregate>| {
            cache
                .get(&key, version)
                .and_then(|value| value.downcast::<T>().ok())
        };
        if let Some(value) = hit(cache) {
            return Ok(value);
        }
        let _computing = cache.computing.lock().await;
        if let Some(value) = hit(cache) {
            return Ok(value);
        }
        let value = Arc::new(compute().await?);
        cache.computed.fetch_add(1, Ordering::Relaxed);
        cache.put(key, version, value.clone());
        Ok(value)
    }

    /// How many counts, facets and aggregates this process has computed since it started
    /// (the rest were answered from the caches): what keeping views warm saves readers.
    pub fn aggregates_computed(&self) -> u64 {
        [
            self.count_cache.computed.load(Ordering::Relaxed),
            self.facet_cache.computed.load(Ordering::Relaxed),
            self.aggregates.computed.load(Ordering::Relaxed),
        ]
        .iter()
        .sum()
    }

    /// The current catalog version (changes with every write to the catalog).
    pub async fn catalog_version(&self) -> Result<i64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT version FROM catalog_version WHERE id = 1")
                .fetch_one(pool)
                .await?
        }))
    }
}
