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

/// Another team (or owner) and the pairs of entities that link the two.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamLink {
    /// The other owner's ref; [`UNOWNED`] for entities with no owner.
    pub owner: String,
    /// `(this team's entity, the other's entity)`, each pair once, sorted.
    pub through: Vec<(String, String)>,
}

/// What stands for "no owner" among the owners a team is linked to.
pub const UNOWNED: &str = "(no owner)";

/// A team's links to the rest of the catalog.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    /// Owners whose entities the team's entities depend on or whose APIs they consume.
    pub depends_on: Vec<TeamLink>,
    /// Owners whose entities depend on the team's entities or consume its APIs.
    pub depended_on_by: Vec<TeamLink>,
    /// The APIs the team's components provide, and those they consume (refs, sorted).
    pub provides: BTreeSet<String>,
    pub consumes: BTreeSet<String>,
    /// `(entity, ref)`: relations of the team's entities to refs the catalog lacks.
    pub dangling: Vec<(String, String)>,
}

/// Sorts `edges` into [`Links`]; `ours` are the owners that count as this team (itself,
/// or itself and its child teams), so links among them are not links to other teams.
pub fn links(edges: &[Edge], ours: &BTreeSet<String>) -> Links {
    let mut out: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut inbound: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let mut links = Links::default();
    let mut dangling = BTreeSet::new();
    for edge in edges {
        match edge.relation.as_str() {
            "providesApi" => {
                links.provides.insert(edge.target.clone());
            }
            "consumesApi" => {
                links.consumes.insert(edge.target.clone());
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
        map.into_iter()
            .map(|(owner, through)| TeamLink {
                owner,
                through: through.into_iter().collect(),
            })
            .collect()
    };
    links.depends_on = collect(out);
    links.depended_on_by = collect(inbound);
    links.dangling = dangling.into_iter().collect();
    links
}
