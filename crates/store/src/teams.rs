//! Reads for the team pages: the groups and how they nest, who is in them, what they
//! own, and how what they own depends on what others own. Each is one statement over
//! columns and relations (no entity JSON), so a page costs a handful of indexed queries
//! however large the catalog is.

use crate::entity_reads::SUMMARY_COLUMNS;
use crate::{EntitySummary, Store, StoreError, on_pool};
use serde::{Deserialize, Serialize};

/// The most owners one [`Store::entities_owned_by`] call takes (a team with all its child
/// teams and members is far fewer).
pub const MAX_OWNERS: usize = 5_000;

/// The relations between entities that make teams depend on each other, as stored from
/// the side of the entity they start at.
const DEPENDENCY_TYPES: [&str; 6] = [
    "dependsOn",
    "dependencyOf",
    "consumesApi",
    "apiConsumedBy",
    "providesApi",
    "apiProvidedBy",
];

/// The groups of the catalog and how the catalog says they nest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupTree {
    /// Every Group entity, by name.
    pub groups: Vec<EntitySummary>,
    /// `(child, parent)` for every `childOf` relation that starts at a group.
    pub links: Vec<(String, String)>,
}

/// How many entities of one kind one owner owns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OwnedCount {
    pub owner_ref: String,
    pub kind: String,
    pub count: i64,
}

/// An entity as a team page lists what the team owns: its summary and its system.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OwnedEntity {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub summary: EntitySummary,
    pub system_ref: Option<String>,
}

/// A relation from an owned entity to another entity, with what is known of the other:
/// its kind and owner, `None` when the catalog does not have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct DependencyEdge {
    pub source_ref: String,
    #[sqlx(rename = "type")]
    pub relation_type: String,
    pub target_ref: String,
    pub target_kind: Option<String>,
    pub target_owner: Option<String>,
}

/// What went wrong reading an entity from where it comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ProcessingProblem {
    pub entity_ref: String,
    /// `error`: its location's last read failed; `conflict`: another location also
    /// defines it; `orphan`: its location was removed (the entity was kept).
    pub problem: String,
    /// The location (`target`), or empty for an orphan.
    pub location: String,
    /// The read's error, or empty.
    pub detail: String,
}

impl Store {
    /// Every group and every `childOf` link between groups.
    pub async fn group_tree(&self) -> Result<GroupTree, StoreError> {
        let groups_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM entities WHERE kind = 'group' ORDER BY name, entity_ref"
        );
        let links_sql = "SELECT DISTINCT source_ref, target_ref FROM relations \
                         WHERE type = 'childOf' AND source_ref LIKE 'group:%' \
                         ORDER BY source_ref, target_ref";
        let (groups, links) = on_pool!(self, pool => {
            let groups: Vec<EntitySummary> = sqlx::query_as(&groups_sql).fetch_all(pool).await?;
            let links: Vec<(String, String)> = sqlx::query_as(links_sql).fetch_all(pool).await?;
            (groups, links)
        });
        Ok(GroupTree { groups, links })
    }

    /// `(group, member)` for every `hasMember` relation of the groups `groups` (all
    /// groups when `None`), by group then member.
    pub async fn group_members(
        &self,
        groups: Option<&[String]>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let Some(groups) = groups else {
            let sql = "SELECT DISTINCT source_ref, target_ref FROM relations \
                       WHERE type = 'hasMember' ORDER BY source_ref, target_ref";
            return Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?));
        };
        let mut members = Vec::new();
        for chunk in groups.chunks(MAX_OWNERS) {
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT DISTINCT source_ref, target_ref FROM relations \
                     WHERE type = 'hasMember' AND source_ref IN ",
                );
                select.push_tuples(chunk, |mut row, group| {
                    row.push_bind(group.to_lowercase());
                });
                select.push(" ORDER BY source_ref, target_ref");
                select.build_query_as().fetch_all(pool).await?
            });
            members.extend(rows);
        }
        Ok(members)
    }

    /// How many entities of each kind each owner owns (owners as written in the
    /// entities' `spec.owner`, resolved to refs; they need not exist).
    pub async fn owned_counts(&self) -> Result<Vec<OwnedCount>, StoreError> {
        let sql = "SELECT owner_ref, kind, COUNT(*) AS count FROM entities \
                   WHERE owner_ref IS NOT NULL GROUP BY owner_ref, kind ORDER BY owner_ref, kind";
        Ok(on_pool!(self, pool => sqlx::query_as(sql).fetch_all(pool).await?))
    }

    /// The entities owned by any of `owners` (at most [`MAX_OWNERS`]), by kind and name;
    /// at most `limit`.
    pub async fn entities_owned_by(
        &self,
        owners: &[String],
        limit: i64,
    ) -> Result<Vec<OwnedEntity>, StoreError> {
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        let owners = &owners[..owners.len().min(MAX_OWNERS)];
        Ok(on_pool!(self, pool => {
            let mut select = sqlx::QueryBuilder::new(format!(
                "SELECT {SUMMARY_COLUMNS}, system_ref FROM entities WHERE owner_ref IN "
            ));
            select.push_tuples(owners, |mut row, owner| {
                row.push_bind(owner.to_lowercase());
            });
            select.push(" ORDER BY kind, LOWER(name), entity_ref LIMIT ");
            select.push_bind(limit);
            select.build_query_as().fetch_all(pool).await?
        }))
    }

    /// The dependency and API relations that start at any of `entities` (at most
    /// [`MAX_OWNERS`] per statement), with the kind and owner of the entity each points
    /// at.
    pub async fn dependency_edges(
        &self,
        entities: &[String],
    ) -> Result<Vec<DependencyEdge>, StoreError> {
        let mut edges = Vec::new();
        for chunk in entities.chunks(MAX_OWNERS) {
            let rows: Vec<DependencyEdge> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT DISTINCT r.source_ref, r.type, r.target_ref, \
                            e.kind AS target_kind, e.owner_ref AS target_owner \
                     FROM relations r LEFT JOIN entities e ON e.entity_ref = r.target_ref \
                     WHERE r.type IN ",
                );
                select.push_tuples(DEPENDENCY_TYPES, |mut row, kind| {
                    row.push_bind(kind);
                });
                select.push(" AND r.source_ref IN ");
                select.push_tuples(chunk, |mut row, entity| {
                    row.push_bind(entity.to_lowercase());
                });
                select.push(" ORDER BY r.source_ref, r.type, r.target_ref");
                select.build_query_as().fetch_all(pool).await?
            });
            edges.extend(rows);
        }
        Ok(edges)
    }

    /// The processing problems of `entities` (at most [`MAX_OWNERS`] per statement), by
    /// entity: a failed last read of their location, another location defining them too,
    /// or a location that was removed.
    pub async fn processing_problems(
        &self,
        entities: &[String],
    ) -> Result<Vec<ProcessingProblem>, StoreError> {
        let mut problems = Vec::new();
        for chunk in entities.chunks(MAX_OWNERS) {
            let rows: Vec<ProcessingProblem> = on_pool!(self, pool => {
                let mut select = sqlx::QueryBuilder::new(
                    "SELECT e.entity_ref, 'error' AS problem, l.target AS location, \
                            l.last_error AS detail \
                     FROM entities e JOIN locations l ON l.id = e.location_id \
                     WHERE l.last_error IS NOT NULL AND e.entity_ref IN ",
                );
                select.push_tuples(chunk, |mut row, entity| {
                    row.push_bind(entity.to_lowercase());
                });
                select.push(
                    " UNION ALL SELECT c.entity_ref, 'conflict', r.target, '' \
                     FROM location_conflicts c JOIN locations r ON r.id = c.location_id \
                     WHERE c.entity_ref IN ",
                );
                select.push_tuples(chunk, |mut row, entity| {
                    row.push_bind(entity.to_lowercase());
                });
                select.push(
                    " UNION ALL SELECT entity_ref, 'orphan', '', '' FROM entities \
                     WHERE location_id IS NULL AND entity_ref IN ",
                );
                select.push_tuples(chunk, |mut row, entity| {
                    row.push_bind(entity.to_lowercase());
                });
                select.push(" ORDER BY 1, 2, 3");
                select.build_query_as().fetch_all(pool).await?
            });
            problems.extend(rows);
        }
        Ok(problems)
    }
}
