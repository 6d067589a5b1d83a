//! Registered locations: registration, refresh status, and the claims through which
//! several portal replicas share refresh work.
//!
//! Every time is passed in by the caller (`now`), never read from the database clock, so
//! replicas and both engines agree and tests can move time.

use crate::cache::bump_catalog_version;
use crate::claims::ClaimQueue;
use crate::entity_reads::parse_body;
use crate::entity_writes::{delete_where_in, refs_of_location};
use crate::filters::{LocationQuery, Sql};
use crate::stitching::{relation_sources, stitch, write_search_rows};
use crate::{Store, StoreError, Tx, on_pool, on_tx};

/// The annotation Backstage puts on an entity whose location no longer provides it
/// (orphan strategy `keep`): `filter=metadata.annotations.backstage.io/orphan=true`
/// lists them.
pub const ORPHAN_ANNOTATION: &str = "backstage.io/orphan";

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A registered location with its refresh status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LocationRow {
    pub id: String,
    #[sqlx(rename = "type")]
    pub location_type: String,
    pub target: String,
    pub created_at: DateTime<Utc>,
    /// The last read, successful or not; `None` before the first.
    pub last_read_at: Option<DateTime<Utc>>,
    /// When the refresh loop reads it next; `None` means as soon as possible.
    pub next_read_at: Option<DateTime<Utc>>,
    /// Why the last read failed; `None` after a successful read. The entities of the
    /// last good read stay in the catalog meanwhile.
    pub last_error: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTime<Utc>>,
    /// Who registered it: a User entity ref, or a sign-in subject; `None` when the
    /// operator or the demo did.
    pub registered_by: Option<String>,
    /// The entity provider that manages it (`catalog.providers`); `None` when a person or
    /// the operators registered it.
    pub provider_id: Option<String>,
}

/// One entity that two locations provide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct LocationConflict {
    pub entity_ref: String,
    /// The location that owns the entity (read first); `None` if it has since gone.
    pub owner_location_id: Option<String>,
    pub owner_target: Option<String>,
    /// The location whose copy was refused.
    pub rejected_location_id: String,
    pub rejected_target: String,
}

/// What the API and UI show about one location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocationStatus {
    pub location: LocationRow,
    /// Entities the catalog holds from this location.
    pub entity_count: i64,
    /// Conflicts this location is part of, on either side.
    pub conflicts: Vec<LocationConflict>,
}

/// One page of [`Store::query_locations`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationPage {
    pub items: Vec<LocationRow>,
    /// Every location that matches the filter, on any page.
    pub total: i64,
}

/// How a read ended, to record on the location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadResult {
    /// The batch was applied; `conflicts` are the entities another location owns.
    Applied { conflicts: Vec<String> },
    /// Nothing was applied; the last good entities stay.
    Failed { error: String },
}

/// The outcome of [`Store::update_location`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocationUpdate {
    Updated(LocationRow),
    NotFound,
    /// Another location (`by`, its id) has the requested type and target.
    Taken {
        by: String,
    },
}

pub(crate) const LOCATION_COLUMNS: &str = "id, type, target, created_at, last_read_at, \
     next_read_at, last_error, claimed_by, claimed_until, registered_by, provider_id";

/// Locations as claimable work for the refresh loop: due when never read or past their
/// next read, most overdue first. Only `url` and `file` locations are read by the loop;
/// others (e.g. the built-in demo) are written once by whoever created them.
const LOCATION_QUEUE: ClaimQueue = ClaimQueue {
    table: "locations",
    due: "type IN ('url', 'file') AND (next_read_at IS NULL OR next_read_at <= $3)",
    order: "next_read_at IS NOT NULL, next_read_at, id",
};

impl Store {
    /// Registers a location. Returns it and whether it is new (`false`: it already was).
    pub async fn add_location(
        &self,
        location_type: &str,
        target: &str,
        now: DateTime<Utc>,
    ) -> Result<(LocationRow, bool), StoreError> {
        self.add_location_by(location_type, target, None, now).await
    }

    /// [`Store::add_location`], recording who registered it in the same statement, so that
    /// no read of the new location sees it without its registrant.
    pub async fn add_location_by(
        &self,
        location_type: &str,
        target: &str,
        registered_by: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(LocationRow, bool), StoreError> {
        let insert = format!(
            "INSERT INTO locations (id, type, target, created_at, registered_by) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (type, target) DO NOTHING RETURNING {LOCATION_COLUMNS}"
        );
        let select =
            format!("SELECT {LOCATION_COLUMNS} FROM locations WHERE type = $1 AND target = $2");
        on_pool!(self, pool => {
            let created: Option<LocationRow> = sqlx::query_as(&insert)
                .bind(uuid::Uuid::new_v4().to_string())
                .bind(location_type)
                .bind(target)
                .bind(now)
                .bind(registered_by)
                .fetch_optional(pool)
                .await?;
            match created {
                Some(row) => Ok((row, true)),
                None => {
                    let row = sqlx::query_as(&select)
                        .bind(location_type)
                        .bind(target)
                        .fetch_one(pool)
                        .await?;
                    Ok((row, false))
                }
            }
        })
    }

    /// Records who registered the location `id`.
    pub async fn set_location_registrant(&self, id: &str, who: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE locations SET registered_by = $1 WHERE id = $2")
                .bind(who)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The owners (`spec.owner` as full, lowercased refs) of every entity the location
    /// `id` provides, `None` for an entity without one.
    pub async fn location_entity_owners(
        &self,
        id: &str,
    ) -> Result<Vec<Option<String>>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar("SELECT owner_ref FROM entities WHERE location_id = $1 ORDER BY entity_ref")
                .bind(id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Points the location `id` at a new type and target, due to be read at once; its
    /// entities stay until that read replaces them. `Taken` when another location already
    /// has that type and target.
    pub async fn update_location(
        &self,
        id: &str,
        location_type: &str,
        target: &str,
    ) -> Result<LocationUpdate, StoreError> {
        let update = format!(
            "UPDATE locations SET type = $1, target = $2, next_read_at = NULL, last_error = NULL \
             WHERE id = $3 RETURNING {LOCATION_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let other: Option<String> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(
                "SELECT id FROM locations WHERE type = $1 AND target = $2 AND id <> $3",
            )
            .bind(location_type)
            .bind(target)
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        if let Some(other) = other {
            return Ok(LocationUpdate::Taken { by: other });
        }
        let row: Option<LocationRow> = on_tx!(&mut tx, conn => {
            sqlx::query_as(&update)
                .bind(location_type)
                .bind(target)
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        tx.commit().await?;
        Ok(row.map_or(LocationUpdate::NotFound, LocationUpdate::Updated))
    }

    /// The location registered with this type and target, if any.
    pub async fn location_by_target(
        &self,
        location_type: &str,
        target: &str,
    ) -> Result<Option<LocationRow>, StoreError> {
        let sql =
            format!("SELECT {LOCATION_COLUMNS} FROM locations WHERE type = $1 AND target = $2");
        Ok(on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(location_type).bind(target).fetch_optional(pool).await?
        }))
    }

    pub async fn location(&self, id: &str) -> Result<Option<LocationRow>, StoreError> {
        let sql = format!("SELECT {LOCATION_COLUMNS} FROM locations WHERE id = $1");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Every location, oldest first.
    pub async fn locations(&self) -> Result<Vec<LocationRow>, StoreError> {
        let sql = format!("SELECT {LOCATION_COLUMNS} FROM locations ORDER BY created_at, id");
        Ok(on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// The page of locations that `query` asks for, oldest first, and how many match in
    /// all. The filter becomes SQL in `filters.rs` (`Sql::location_condition`).
    pub async fn query_locations(&self, query: &LocationQuery) -> Result<LocationPage, StoreError> {
        let mut sql = Sql::new(self.engine());
        let condition = match &query.filter {
            Some(filter) => format!(" WHERE {}", sql.location_condition(filter)),
            None => String::new(),
        };
        let count = format!("SELECT COUNT(*) FROM locations l{condition}");
        let page = format!(
            "SELECT {} FROM locations l{condition} ORDER BY l.created_at, l.id LIMIT {} OFFSET {}",
            prefixed("l."),
            query.limit.max(0),
            query.offset.max(0)
        );
        let (total, items) = on_pool!(self, pool => {
            let mut counting = sqlx::query_scalar(&count);
            let mut listing = sqlx::query_as(&page);
            for arg in &sql.args {
                counting = counting.bind(arg);
                listing = listing.bind(arg);
            }
            let total: i64 = counting.fetch_one(pool).await?;
            let items: Vec<LocationRow> = listing.fetch_all(pool).await?;
            (total, items)
        });
        Ok(LocationPage { items, total })
    }

    /// The location that provides `entity_ref` (lowercased `kind:namespace/name`).
    pub async fn location_of_entity(
        &self,
        entity_ref: &str,
    ) -> Result<Option<LocationRow>, StoreError> {
        let sql = location_of_entity_sql();
        Ok(
            on_pool!(self, pool => sqlx::query_as(&sql).bind(entity_ref).fetch_optional(pool).await?),
        )
    }

    /// The location with its entity count and conflicts (both sides).
    pub async fn location_status(&self, id: &str) -> Result<Option<LocationStatus>, StoreError> {
        let Some(location) = self.location(id).await? else {
            return Ok(None);
        };
        let conflicts_sql = "SELECT c.entity_ref, e.location_id AS owner_location_id, \
               o.target AS owner_target, c.location_id AS rejected_location_id, \
               r.target AS rejected_target \
             FROM location_conflicts c \
             JOIN locations r ON r.id = c.location_id \
             LEFT JOIN entities e ON e.entity_ref = c.entity_ref \
             LEFT JOIN locations o ON o.id = e.location_id \
             WHERE c.location_id = $1 OR e.location_id = $1 \
             ORDER BY c.entity_ref, r.target";
        let (entity_count, conflicts) = on_pool!(self, pool => {
            let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM entities WHERE location_id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?;
            let conflicts: Vec<LocationConflict> =
                sqlx::query_as(conflicts_sql).bind(id).fetch_all(pool).await?;
            (count, conflicts)
        });
        Ok(Some(LocationStatus {
            location,
            entity_count,
            conflicts,
        }))
    }

    /// Removes a location. Its entities are removed too when `remove_entities` (orphan
    /// strategy `delete`); otherwise they stay, owned by no location. Returns whether the
    /// location existed.
    pub async fn delete_location(
        &self,
        id: &str,
        remove_entities: bool,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin().await?;
        bump_catalog_version(&mut tx).await?;
        let owned = refs_of_location(&mut tx, id).await?;
        if remove_entities {
            let sources = relation_sources(&mut tx, &owned).await?;
            let owned: Vec<&str> = owned.iter().map(String::as_str).collect();
            delete_where_in(
                &mut tx,
                "DELETE FROM relations WHERE origin_ref IN ",
                &owned,
            )
            .await?;
            delete_where_in(&mut tx, "DELETE FROM entities WHERE entity_ref IN ", &owned).await?;
            stitch(&mut tx, &sources).await?;
        } else {
            mark_orphans(&mut tx, &owned).await?;
        }
        let deleted = on_tx!(&mut tx, conn => {
            sqlx::query("DELETE FROM location_conflicts WHERE location_id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM locations WHERE id = $1")
                .bind(id)
                .execute(conn)
                .await?
                .rows_affected()
        });
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Claims the location that is most overdue for a read, for `lease`, and returns it;
    /// `None` when nothing is due (see `claims.rs`).
    pub async fn claim_due_location(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<LocationRow>, StoreError> {
        self.claim_next(&LOCATION_QUEUE, LOCATION_COLUMNS, worker, now, lease)
            .await
    }

    /// Claims one location for `lease` unless another worker holds it (e.g. to read a
    /// location right after it was registered). `None` when it is taken or unknown.
    pub async fn claim_location(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<Option<LocationRow>, StoreError> {
        self.claim_row(&LOCATION_QUEUE, id, LOCATION_COLUMNS, worker, now, lease)
            .await
    }

    /// Extends `worker`'s claim on a location while it is still reading it. False when
    /// the claim lapsed and another worker took the location over.
    pub async fn extend_location_claim(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<bool, StoreError> {
        self.extend_claim(&LOCATION_QUEUE, id, worker, now, lease)
            .await
    }

    /// Records how `worker`'s read of a location ended, schedules the next read and
    /// releases the claim. Returns `false` (and records nothing) when the claim was no
    /// longer `worker`'s, e.g. because it lapsed and another worker took over.
    pub async fn finish_location_read(
        &self,
        id: &str,
        worker: &str,
        now: DateTime<Utc>,
        next_read_at: DateTime<Utc>,
        result: &ReadResult,
    ) -> Result<bool, StoreError> {
        let error = match result {
            ReadResult::Applied { .. } => None,
            ReadResult::Failed { error } => Some(error.as_str()),
        };
        let mut tx = self.begin().await?;
        let updated = on_tx!(&mut tx, conn => {
            sqlx::query(
                "UPDATE locations SET last_read_at = $1, next_read_at = $2, last_error = $3, \
                   claimed_by = NULL, claimed_until = NULL \
                 WHERE id = $4 AND claimed_by = $5",
            )
            .bind(now)
            .bind(next_read_at)
            .bind(error)
            .bind(id)
            .bind(worker)
            .execute(conn)
            .await?
            .rows_affected()
        });
        if updated == 0 {
            return Ok(false);
        }
        if let ReadResult::Applied { conflicts } = result {
            record_conflicts(&mut tx, id, conflicts).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Makes a location due now, so the next free worker reads it.
    pub async fn request_location_read(&self, id: &str) -> Result<bool, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query("UPDATE locations SET next_read_at = NULL WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        }) > 0)
    }

    /// Detaches the entities `location_id` owns but no longer provides, so they stay in
    /// the catalog, owned by no location (orphan strategy `keep`). Returns their refs.
    pub async fn detach_orphans(
        &self,
        location_id: &str,
        provided: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let provided: std::collections::HashSet<&str> =
            provided.iter().map(String::as_str).collect();
        let mut tx = self.begin().await?;
        bump_catalog_version(&mut tx).await?;
        let orphans: Vec<String> = refs_of_location(&mut tx, location_id)
            .await?
            .into_iter()
            .filter(|r| !provided.contains(r.as_str()))
            .collect();
        mark_orphans(&mut tx, &orphans).await?;
        tx.commit().await?;
        Ok(orphans)
    }
}

/// Replaces the conflicts recorded for location `id` with `conflicts`.
async fn record_conflicts(
    tx: &mut Tx<'_>,
    id: &str,
    conflicts: &[String],
) -> Result<(), StoreError> {
    on_tx!(tx, conn => {
        sqlx::query("DELETE FROM location_conflicts WHERE location_id = $1")
            .bind(id)
            .execute(conn)
            .await?;
    });
    for entity_ref in conflicts {
        on_tx!(tx, conn => {
            sqlx::query(
                "INSERT INTO location_conflicts (location_id, entity_ref) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(entity_ref)
            .execute(conn)
            .await?;
        });
    }
    Ok(())
}

/// Detaches the entities `refs` from their location and marks them as orphans as
/// Backstage does: the annotation above, a changed etag (the last content hash with
/// `.orphan`: clients that cache by etag see the change) and their search rows rebuilt.
/// If a location provides one again, it is written afresh.
async fn mark_orphans(tx: &mut Tx<'_>, refs: &[String]) -> Result<(), StoreError> {
    for entity_ref in refs {
        let row: Option<(String, String)> = on_tx!(tx, conn => {
            sqlx::query_as("SELECT body, etag FROM entities WHERE entity_ref = $1")
                .bind(entity_ref)
                .fetch_optional(conn)
                .await?
        });
        let Some((body, etag)) = row else { continue };
        let mut body = parse_body(entity_ref, &body)?;
        if let Some(metadata) = body.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            let annotations = metadata
                .entry("annotations")
                .or_insert_with(|| serde_json::json!({}));
            if let Some(annotations) = annotations.as_object_mut() {
                annotations.insert(ORPHAN_ANNOTATION.into(), "true".into());
            }
        }
        on_tx!(tx, conn => {
            sqlx::query(
                "UPDATE entities SET body = $1, etag = $2, location_id = NULL WHERE entity_ref = $3",
            )
            .bind(body.to_string())
            .bind(format!("{etag}.orphan"))
            .bind(entity_ref)
            .execute(conn)
            .await?;
        });
        write_search_rows(tx, entity_ref, &body).await?;
    }
    stitch(tx, refs).await
}

/// The location that provides the entity `$1`.
pub(crate) fn location_of_entity_sql() -> String {
    format!(
        "SELECT {} FROM locations l JOIN entities e ON e.location_id = l.id \
         WHERE e.entity_ref = $1",
        prefixed("l.")
    )
}

fn prefixed(prefix: &str) -> String {
    LOCATION_COLUMNS
        .split(", ")
        .map(|c| format!("{prefix}{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use crate::testing::test_stores;
    use crate::{EntityFilter, EntityRecord, LocationQuery, LocationRecord, ReadResult};
    use chrono::{TimeDelta, Utc};
    use std::time::Duration;

    const LEASE: Duration = Duration::from_secs(60);

    fn entity(name: &str) -> EntityRecord {
        EntityRecord {
            entity_ref: format!("component:default/{name}"),
            kind: "component".into(),
            namespace: "default".into(),
            name: name.into(),
            title: None,
            description: None,
            spec_type: None,
            lifecycle: None,
            owner_ref: None,
            system_ref: None,
            body: serde_json::json!({ "metadata": { "name": name } }),
            etag: name.into(),
        }
    }

    fn file(target: &str) -> LocationRecord {
        LocationRecord {
            location_type: "file".into(),
            target: target.into(),
        }
    }

    #[tokio::test]
    async fn registering_twice_returns_the_same_location() {
        for store in test_stores().await {
            let now = Utc::now();
            let (first, created) = store
                .add_location("url", "https://x/a.yaml", now)
                .await
                .unwrap();
            assert!(created, "{:?}", store.engine());
            let (again, created) = store
                .add_location("url", "https://x/a.yaml", now)
                .await
                .unwrap();
            assert!(!created);
            assert_eq!(again.id, first.id);
            assert_eq!(store.locations().await.unwrap(), vec![first.clone()]);
            assert_eq!(
                store.location(&first.id).await.unwrap(),
                Some(first.clone())
            );
            assert_eq!(
                store
                    .location_by_target("url", "https://x/a.yaml")
                    .await
                    .unwrap(),
                Some(first)
            );
            assert!(store.location("nope").await.unwrap().is_none());
        }
    }

    fn eq(key: &str, values: &[&str]) -> EntityFilter {
        EntityFilter::Equals {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn locations_are_queried_in_sql_with_pages_and_a_total() {
        for store in test_stores().await {
            let engine = store.engine();
            let start = Utc::now();
            let mut ids = Vec::new();
            for (i, (kind, target)) in [
                ("url", "https://x/A.yaml"),
                ("file", "/srv/b.yaml"),
                ("url", "https://x/Ünïcode.yaml"),
                ("file", "/srv/d.yaml"),
            ]
            .into_iter()
            .enumerate()
            {
                let at = start + TimeDelta::seconds(i as i64);
                ids.push(store.add_location(kind, target, at).await.unwrap().0.id);
            }
            let query = async |filter: Option<EntityFilter>, offset: i64, limit: i64| {
                let page = store
                    .query_locations(&LocationQuery {
                        filter,
                        offset,
                        limit,
                    })
                    .await
                    .unwrap();
                let ids: Vec<String> = page.items.into_iter().map(|l| l.id).collect();
                (ids, page.total)
            };

            // Everything, oldest first, in pages; the total counts every page.
            assert_eq!(query(None, 0, 10).await, (ids.clone(), 4), "{engine:?}");
            assert_eq!(query(None, 1, 2).await, (ids[1..3].to_vec(), 4));
            assert_eq!(query(None, 4, 2).await, (vec![], 4));
            assert_eq!(query(None, 0, 0).await, (vec![], 4));

            // Keys and values ignore ASCII case; a non-ASCII value matches itself.
            let files = eq("TYPE", &["FILE"]);
            assert_eq!(
                query(Some(files.clone()), 0, 10).await,
                (vec![ids[1].clone(), ids[3].clone()], 2)
            );
            let unicode = eq("target", &["https://x/Ünïcode.yaml"]);
            assert_eq!(query(Some(unicode), 0, 10).await, (vec![ids[2].clone()], 1));
            assert_eq!(
                query(
                    Some(eq("target", &["HTTPS://X/a.yaml", "/srv/d.yaml"])),
                    0,
                    10
                )
                .await,
                (vec![ids[0].clone(), ids[3].clone()], 2)
            );
            assert_eq!(
                query(Some(eq("id", &[&ids[2].to_uppercase()])), 0, 10).await,
                (vec![ids[2].clone()], 1)
            );

            // $not, $any, $all, $exists; unknown keys match nothing; empty lists.
            let not_files = EntityFilter::Not(Box::new(files.clone()));
            assert_eq!(
                query(Some(not_files), 0, 10).await,
                (vec![ids[0].clone(), ids[2].clone()], 2)
            );
            let any = EntityFilter::AnyOf(vec![eq("id", &[&ids[0]]), eq("id", &[&ids[3]])]);
            assert_eq!(query(Some(any), 0, 1).await, (vec![ids[0].clone()], 2));
            let all = EntityFilter::AllOf(vec![files, eq("target", &["/srv/d.yaml"])]);
            assert_eq!(query(Some(all), 0, 10).await, (vec![ids[3].clone()], 1));
            let exists = EntityFilter::Exists {
                key: "Target".into(),
            };
            assert_eq!(query(Some(exists), 0, 10).await.1, 4);
            let unknown = EntityFilter::Exists {
                key: "spec.owner".into(),
            };
            assert_eq!(query(Some(unknown.clone()), 0, 10).await.1, 0);
            let not_unknown = EntityFilter::Not(Box::new(unknown));
            assert_eq!(query(Some(not_unknown), 0, 10).await.1, 4);
            assert_eq!(query(Some(eq("kind", &["url"])), 0, 10).await.1, 0);
            assert_eq!(query(Some(eq("type", &[])), 0, 10).await.1, 0);
            assert_eq!(query(Some(EntityFilter::AllOf(vec![])), 0, 10).await.1, 4);
            assert_eq!(query(Some(EntityFilter::AnyOf(vec![])), 0, 10).await.1, 0);
            // Values are bound, never spliced into the statement.
            let quote = eq("target", &["' OR 1 = 1 --"]);
            assert_eq!(query(Some(quote), 0, 10).await.1, 0);
        }
    }

    #[tokio::test]
    async fn a_claimed_location_is_not_claimed_again_until_released_or_lapsed() {
        for store in test_stores().await {
            let now = Utc::now();
            let (row, _) = store.add_location("file", "/a.yaml", now).await.unwrap();
            // Types the loop does not read are never claimed by it.
            store
                .add_location("demo", "demo/a.yaml", now)
                .await
                .unwrap();
            let claimed = store
                .claim_due_location("a", now, LEASE)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(claimed.id, row.id, "{:?}", store.engine());
            assert!(
                store
                    .claim_due_location("b", now, LEASE)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(
                store
                    .claim_location(&row.id, "b", now, LEASE)
                    .await
                    .unwrap()
                    .is_none()
            );

            // Only the holder can finish; finishing schedules the next read.
            let next = now + TimeDelta::seconds(300);
            let applied = ReadResult::Applied { conflicts: vec![] };
            assert!(
                !store
                    .finish_location_read(&row.id, "b", now, next, &applied)
                    .await
                    .unwrap()
            );
            assert!(
                store
                    .finish_location_read(&row.id, "a", now, next, &applied)
                    .await
                    .unwrap()
            );
            let row = store.location(&row.id).await.unwrap().unwrap();
            assert!(row.claimed_by.is_none());
            assert!(row.last_read_at.is_some());
            assert!(
                store
                    .claim_due_location("b", now, LEASE)
                    .await
                    .unwrap()
                    .is_none()
            );
            // Due again after the interval, or at once when asked.
            let later = now + TimeDelta::seconds(301);
            assert!(
                store
                    .claim_due_location("b", later, LEASE)
                    .await
                    .unwrap()
                    .is_some()
            );
            let lapsed = later + TimeDelta::seconds(61);
            assert!(
                store
                    .claim_location(&row.id, "c", lapsed, LEASE)
                    .await
                    .unwrap()
                    .is_some()
            );
            let failed = ReadResult::Failed {
                error: "boom".into(),
            };
            store
                .finish_location_read(&row.id, "c", lapsed, next, &failed)
                .await
                .unwrap();
            assert!(store.request_location_read(&row.id).await.unwrap());
            let row = store
                .claim_due_location("d", now, LEASE)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.last_error.as_deref(), Some("boom"));
        }
    }

    /// Location `b` (`/b.yaml`) reads `web`, which another location provides: a read
    /// that records the conflict.
    async fn read_web_refused(store: &crate::Store, b: &str, now: chrono::DateTime<Utc>) {
        let outcome = store
            .apply_location_batch(&file("/b.yaml"), &[entity("web")], &[])
            .await
            .unwrap();
        store
            .claim_location(b, "w", now, LEASE)
            .await
            .unwrap()
            .unwrap();
        let result = ReadResult::Applied {
            conflicts: outcome.conflicts,
        };
        store
            .finish_location_read(b, "w", now, now, &result)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn status_reports_conflicts_on_both_locations() {
        for store in test_stores().await {
            let now = Utc::now();
            let (a, _) = store.add_location("file", "/a.yaml", now).await.unwrap();
            let (b, _) = store.add_location("file", "/b.yaml", now).await.unwrap();
            store
                .apply_location_batch(&file("/a.yaml"), &[entity("web")], &[])
                .await
                .unwrap();
            read_web_refused(&store, &b.id, now).await;
            for id in [&a.id, &b.id] {
                let status = store.location_status(id).await.unwrap().unwrap();
                assert_eq!(status.conflicts.len(), 1, "{:?}", store.engine());
                let conflict = &status.conflicts[0];
                assert_eq!(conflict.entity_ref, "component:default/web");
                assert_eq!(conflict.owner_location_id.as_deref(), Some(a.id.as_str()));
                assert_eq!(conflict.rejected_location_id, b.id);
            }
            assert_eq!(
                store
                    .location_status(&a.id)
                    .await
                    .unwrap()
                    .unwrap()
                    .entity_count,
                1
            );
            assert_eq!(
                store
                    .location_status(&b.id)
                    .await
                    .unwrap()
                    .unwrap()
                    .entity_count,
                0
            );
            let owner = store
                .location_of_entity("component:default/web")
                .await
                .unwrap();
            assert_eq!(owner.map(|l| l.id), Some(a.id));
        }
    }

    #[tokio::test]
    async fn an_entity_in_context_has_its_targets_location_and_refusing_locations() {
        for store in test_stores().await {
            let now = Utc::now();
            let (a, _) = store.add_location("file", "/a.yaml", now).await.unwrap();
            let (b, _) = store.add_location("file", "/b.yaml", now).await.unwrap();
            let depends_on = |target: &str| crate::RelationRecord {
                origin_ref: "component:default/web".into(),
                source_ref: "component:default/web".into(),
                relation_type: "dependsOn".into(),
                target_ref: format!("component:default/{target}"),
            };
            store
                .apply_location_batch(
                    &file("/a.yaml"),
                    &[entity("web"), entity("api")],
                    &[depends_on("missing"), depends_on("api")],
                )
                .await
                .unwrap();
            read_web_refused(&store, &b.id, now).await;

            let web = store
                .entity_in_context("component:default/web")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(web.entity.entity_ref, "component:default/web");
            let targets: Vec<(&str, Option<&str>)> = web
                .entity
                .relations
                .iter()
                .zip(&web.related)
                .map(|(r, t)| (r.target_ref.as_str(), t.as_ref().map(|t| t.name.as_str())))
                .collect();
            assert_eq!(
                targets,
                [
                    ("component:default/api", Some("api")),
                    ("component:default/missing", None)
                ],
                "{:?}",
                store.engine()
            );
            assert_eq!(web.location.map(|l| l.id), Some(a.id.clone()));
            assert_eq!(web.refused_by, ["/b.yaml"]);

            let api = store
                .entity_in_context("component:default/api")
                .await
                .unwrap()
                .unwrap();
            assert!(api.related.is_empty() && api.refused_by.is_empty());
            assert!(
                store
                    .entity_in_context("component:default/none")
                    .await
                    .unwrap()
                    .is_none()
            );
        }
    }

    #[tokio::test]
    async fn orphans_are_detached_or_deleted_with_their_location() {
        for store in test_stores().await {
            let now = Utc::now();
            let (a, _) = store.add_location("file", "/a.yaml", now).await.unwrap();
            let both = [entity("web"), entity("api")];
            store
                .apply_location_batch(&file("/a.yaml"), &both, &[])
                .await
                .unwrap();
            let kept = store
                .detach_orphans(&a.id, &["component:default/web".into()])
                .await
                .unwrap();
            assert_eq!(kept, vec!["component:default/api".to_string()]);
            store
                .apply_location_batch(&file("/a.yaml"), &both[..1], &[])
                .await
                .unwrap();
            assert_eq!(
                store.entity_count().await.unwrap(),
                2,
                "{:?}",
                store.engine()
            );
            assert!(
                store
                    .location_of_entity("component:default/api")
                    .await
                    .unwrap()
                    .is_none()
            );

            assert!(store.delete_location(&a.id, true).await.unwrap());
            assert_eq!(
                store.entity_count().await.unwrap(),
                1,
                "only the detached orphan stays"
            );
            assert!(!store.delete_location(&a.id, true).await.unwrap());

            let (b, _) = store.add_location("file", "/b.yaml", now).await.unwrap();
            store
                .apply_location_batch(&file("/b.yaml"), &[entity("db")], &[])
                .await
                .unwrap();
            assert!(store.delete_location(&b.id, false).await.unwrap());
            assert!(
                store
                    .entity_body("component:default/db")
                    .await
                    .unwrap()
                    .is_some()
            );
        }
    }
}
