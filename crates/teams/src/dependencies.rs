//! How a team's entities depend on other teams' and the other way round, from the
//! dependency and API relations that start at what the team owns: the teams it depends
//! on, the teams that depend on it, the APIs it provides and consumes, and references
//! to entities the catalog does not have.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A relation from an entity the team owns, with what is known of the entity it points
/// at (`None`: the catalog does not have it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub source: String,
    /// `dependsOn`, `dependencyOf`, `consumesApi`, `apiConsumedBy`, `providesApi`, …
    pub relation: String,
    pub target: String,
    pub target_kind: Option<String>,
    pub target_owner: Option<String>,
}

/// How many examples of each list [`links`] keeps: a team of thousands of entities has
/// thousands of links, which no page shows and no one reads.
pub const EXAMPLES: usize = 100;

/// How many of the linked teams (the most linked first) keep examples of their pairs.
pub const LINKED_WITH_EXAMPLES: usize = 20;

/// Another team (or owner) and the pairs of entities that link the two.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamLink {
    /// The other owner's ref; [`UNOWNED`] for entities with no owner.
    pub owner: String,
    /// How many `(this team's entity, the other's entity)` pairs link them.
    pub count: usize,
    /// The first of those pairs (at most 5, sorted) for the [`LINKED_WITH_EXAMPLES`]
    /// teams with the most links; none for the others.
    pub through: Vec<(String, String)>,
}

/// What stands for "no owner" among the owners a team is linked to.
pub const UNOWNED: &str = "(no owner)";

/// A team's links to the rest of the catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// Owners whose entities the team's entities depend on or whose APIs they consume,
    /// the most linked first.
    pub depends_on: Vec<TeamLink>,
    /// Owners whose entities depend on the team's entities or consume its APIs, the
    /// most linked first.
    pub depended_on_by: Vec<TeamLink>,
    /// How many teams each of the two lists had before [`Links::keep_most_linked`].
    pub depends_on_total: usize,
    pub depended_on_by_total: usize,
    /// The APIs the team's components provide, and those they consume (refs, sorted;
    /// the first [`EXAMPLES`]), and how many in all.
    pub provides: Vec<String>,
    pub provides_total: usize,
    pub consumes: Vec<String>,
    pub consumes_total: usize,
    /// `(entity, ref)`: relations of the team's entities to refs the catalog lacks (the
    /// first [`EXAMPLES`]), and how many in all.
    pub dangling: Vec<(String, String)>,
    pub dangling_total: usize,
}

/// Sorts `edges` into [`Links`]; `ours` are the owners that count as this team (itself,
/// or itself and its child teams), so links among them are not links to other teams.
pub fn links(edges: &[Edge], ours: &BTreeSet<String>) -> Links {
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut inbound: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut provides = BTreeSet::new();
    let mut consumes = BTreeSet::new();
    let mut dangling = BTreeSet::new();
    for edge in edges {
        match edge.relation.as_str() {
            "providesApi" => {
                provides.insert(edge.target.clone());
            }
            "consumesApi" => {
                consumes.insert(edge.target.clone());
            }
            _ => {}
        }
        if edge.target_kind.is_none() {
            dangling.insert((edge.source.clone(), edge.target.clone()));
            continue;
        }
        let direction = match edge.relation.as_str() {
            "dependsOn" | "consumesApi" => &mut out,
            "dependencyOf" | "apiConsumedBy" => &mut inbound,
            _ => continue,
        };
        let owner = edge.target_owner.clone().unwrap_or_else(|| UNOWNED.into());
        if ours.contains(&owner) {
            continue;
        }
        direction
            .entry(owner)
            .or_default()
            .insert((edge.source.clone(), edge.target.clone()));
    }
    let collect = |map: BTreeMap<String, BTreeSet<(String, String)>>| {
        let mut linked: Vec<(String, BTreeSet<(String, String)>)> = map.into_iter().collect();
        linked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
        linked
            .into_iter()
            .enumerate()
            .map(|(rank, (owner, through))| TeamLink {
                owner,
                count: through.len(),
                through: match rank < LINKED_WITH_EXAMPLES {
                    true => through.into_iter().take(5).collect(),
                    false => Vec::new(),
                },
            })
            .collect()
    };
    let (provides_total, provides) = first(provides);
    let (consumes_total, consumes) = first(consumes);
    let (dangling_total, dangling) = first(dangling);
    let (depends_on, depended_on_by): (Vec<TeamLink>, Vec<TeamLink>) =
        (collect(out), collect(inbound));
    Links {
        depends_on_total: depends_on.len(),
        depended_on_by_total: depended_on_by.len(),
        depends_on,
        depended_on_by,
        provides,
        provides_total,
        consumes,
        consumes_total,
        dangling,
        dangling_total,
    }
}

impl Links {
    /// Keeps the `n` most linked teams in each direction (the totals stay): what a page
    /// shows of a team linked to hundreds.
    pub fn keep_most_linked(&mut self, n: usize) {
        self.depends_on.truncate(n);
        self.depended_on_by.truncate(n);
    }
}

/// How many `set` holds, and its first [`EXAMPLES`].
fn first<T: Ord>(set: BTreeSet<T>) -> (usize, Vec<T>) {
    (set.len(), set.into_iter().take(EXAMPLES).collect())
}
