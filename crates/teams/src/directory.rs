//! The team directory: every group as a row of the tree, with its members and what it
//! owns counted for the team alone and with its child teams.

use crate::{Hierarchy, Scope};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A group as the catalog describes it (the columns the directory shows).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub entity_ref: String,
    pub name: String,
    pub title: Option<String>,
    /// `spec.type`: team, department, organization, …
    pub spec_type: Option<String>,
    pub description: Option<String>,
}

impl Group {
    /// The title, or else the name.
    pub fn display_name(&self) -> &str {
        self.title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

/// One team of the directory, where it stands in the tree and its counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    pub group: Group,
    /// 0 for a top-level team.
    pub depth: usize,
    /// The display names of its ancestors, the top-level team first.
    pub path: Vec<String>,
    pub child_teams: usize,
    /// People in the team itself, and in it or any team under it (each once).
    pub members: usize,
    pub members_with_child_teams: usize,
    /// What the team owns by kind, itself and with the teams under it.
    pub owned: BTreeMap<String, u64>,
    pub owned_with_child_teams: BTreeMap<String, u64>,
}

/// Members and ownership of every group, as the store lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Group ref → its members' refs.
    pub members: BTreeMap<String, BTreeSet<String>>,
    /// Owner ref → kind → how many entities of that kind it owns.
    pub owned: BTreeMap<String, BTreeMap<String, u64>>,
}

/// The directory's rows in tree order (each team followed by its child teams). Groups
/// the hierarchy does not know are left out.
pub fn rows(hierarchy: &Hierarchy, groups: &[Group], facts: &Facts) -> Vec<Row> {
    let by_ref: BTreeMap<&str, &Group> =
        groups.iter().map(|g| (g.entity_ref.as_str(), g)).collect();
    let name_of = |r: &str| {
        by_ref
            .get(r)
            .map(|g| g.display_name().to_string())
            .unwrap_or_else(|| r.to_string())
    };
    hierarchy
        .depth_first()
        .into_iter()
        .filter_map(|(depth, entity_ref)| {
            let group = (*by_ref.get(entity_ref)?).clone();
            let mut path: Vec<String> = hierarchy
                .ancestors(entity_ref)
                .into_iter()
                .map(name_of)
                .collect();
            path.reverse();
            let direct = |scope| {
                hierarchy
                    .union_over(&facts.members, entity_ref, scope)
                    .len()
            };
            Some(Row {
                depth,
                path,
                child_teams: hierarchy.children(entity_ref).count(),
                members: direct(Scope::Team),
                members_with_child_teams: direct(Scope::WithChildTeams),
                owned: hierarchy.sum_over(&facts.owned, entity_ref, Scope::Team),
                owned_with_child_teams: hierarchy.sum_over(
                    &facts.owned,
                    entity_ref,
                    Scope::WithChildTeams,
                ),
                group,
            })
        })
        .collect()
}

/// What a visitor narrows the directory to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Search {
    /// Words that must all appear in the name, title or description (any case).
    pub text: String,
    /// `spec.type`, any case; empty for every type.
    pub spec_type: String,
}

impl Search {
    pub fn is_empty(&self) -> bool {
        self.text.trim().is_empty() && self.spec_type.trim().is_empty()
    }

    pub fn matches(&self, group: &Group) -> bool {
        let spec_type = self.spec_type.trim();
        if !spec_type.is_empty()
            && !group
                .spec_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(spec_type))
        {
            return false;
        }
        let haystack = [
            group.name.as_str(),
            group.title.as_deref().unwrap_or_default(),
            group.description.as_deref().unwrap_or_default(),
        ]
        .join(" ")
        .to_lowercase();
        self.text
            .to_lowercase()
            .split_whitespace()
            .all(|word| haystack.contains(word))
    }
}

/// The types the groups have (`team`, `department`, …), each once, sorted, for a filter.
pub fn types(groups: &[Group]) -> Vec<String> {
    groups
        .iter()
        .filter_map(|g| g.spec_type.as_deref())
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}
