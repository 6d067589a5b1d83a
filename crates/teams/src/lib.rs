//! Teams as the catalog describes them: Group entities arranged by `spec.parent` and
//! `spec.children` into a hierarchy, and what a team is — its members, what it owns —
//! with or without its child teams.
//!
//! Stored data is never trusted to form a tree: a parent that does not exist, a group two
//! parents claim, and loops (`a` under `b` under `a`) all occur in real catalogs. The
//! [`Hierarchy`] keeps one parent per group and cuts every loop, deterministically, and
//! says what it did in [`Warning`]s that pages show; nothing here recurses, so a deep or
//! looping hierarchy can neither hang nor overflow the stack.
//!
//! Refs are compared as given: callers pass them lowercased (`group:default/payments`),
//! as the store keeps them.

pub mod dependencies;
pub mod directory;

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A parent–child link between two groups as the catalog states it (a `childOf`
/// relation): the child's `spec.parent`, or the parent's `spec.children`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub child: String,
    pub parent: String,
}

/// What the hierarchy had to decide because the catalog's groups do not form a tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Warning {
    /// `group` names a parent the catalog does not have; it is shown as a top-level team.
    MissingParent { group: String, parent: String },
    /// Several groups claim `group` as their child (its `spec.parent` and other groups'
    /// `spec.children` disagree); it is shown under `kept`, the first by name.
    SeveralParents {
        group: String,
        parents: Vec<String>,
        kept: String,
    },
    /// `groups` are each other's ancestors. The link from `cut` (the first of them by
    /// name) to its parent is ignored, so `cut` is shown as a top-level team.
    Loop { groups: Vec<String>, cut: String },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::MissingParent { group, parent } => write!(
                f,
                "{group} names {parent} as its parent, which is not in the catalog; it is shown as a top-level team"
            ),
            Warning::SeveralParents {
                group,
                parents,
                kept,
            } => write!(
                f,
                "{group} has several parents ({}); it is shown under {kept}. Make its spec.parent and the parents' spec.children agree",
                parents.join(", ")
            ),
            Warning::Loop { groups, cut } => write!(
                f,
                "{} are each other's parents; {cut} is shown as a top-level team. Fix spec.parent or spec.children so that they form a tree",
                groups.join(", ")
            ),
        }
    }
}

/// The groups of the catalog as a forest: each group has at most one parent and no group
/// is its own ancestor.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Hierarchy {
    groups: BTreeSet<String>,
    parent: BTreeMap<String, String>,
    children: BTreeMap<String, BTreeSet<String>>,
    warnings: Vec<Warning>,
}

impl Hierarchy {
    /// The hierarchy of `groups` (their refs) linked by `links`. Links of groups not in
    /// `groups` are ignored; see [`Warning`] for how the rest is made a forest.
    pub fn new(
        groups: impl IntoIterator<Item = String>,
        links: impl IntoIterator<Item = Link>,
    ) -> Hierarchy {
        let groups: BTreeSet<String> = groups.into_iter().collect();
        let mut warnings = Vec::new();
        let mut claimed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut missing: BTreeSet<(String, String)> = BTreeSet::new();
        for Link { child, parent } in links {
            if !groups.contains(&child) {
                continue;
            }
            if groups.contains(&parent) {
                claimed.entry(child).or_default().insert(parent);
            } else {
                missing.insert((child, parent));
            }
        }
        for (group, parent) in missing {
            warnings.push(Warning::MissingParent { group, parent });
        }
        let mut parent: BTreeMap<String, String> = BTreeMap::new();
        for (group, parents) in claimed {
            let kept = parents.first().expect("claimed has a parent").clone();
            if parents.len() > 1 {
                warnings.push(Warning::SeveralParents {
                    group: group.clone(),
                    parents: parents.into_iter().collect(),
                    kept: kept.clone(),
                });
            }
            parent.insert(group, kept);
        }
        cut_loops(&groups, &mut parent, &mut warnings);
        let mut children: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (child, parent) in &parent {
            children
                .entry(parent.clone())
                .or_default()
                .insert(child.clone());
        }
        Hierarchy {
            groups,
            parent,
            children,
            warnings,
        }
    }

    pub fn contains(&self, group: &str) -> bool {
        self.groups.contains(group)
    }

    /// Every group, by ref.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().map(String::as_str)
    }

    /// The groups without a parent, by ref.
    pub fn roots(&self) -> impl Iterator<Item = &str> {
        self.groups().filter(|g| !self.parent.contains_key(*g))
    }

    pub fn parent(&self, group: &str) -> Option<&str> {
        self.parent.get(group).map(String::as_str)
    }

    /// The group's child teams, by ref.
    pub fn children(&self, group: &str) -> impl Iterator<Item = &str> {
        self.children
            .get(group)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// The group's parent, its parent's parent, … up to a top-level team.
    pub fn ancestors(&self, group: &str) -> Vec<&str> {
        let mut chain = Vec::new();
        let mut at = group;
        while let Some(parent) = self.parent(at) {
            chain.push(parent);
            at = parent;
        }
        chain
    }

    /// The group and every group under it, each once, the group first, then level by
    /// level. Empty for a group not in the hierarchy.
    pub fn subtree<'a>(&'a self, group: &str) -> Vec<&'a str> {
        let Some(root) = self.groups.get(group) else {
            return Vec::new();
        };
        let mut found = vec![root.as_str()];
        let mut queue = VecDeque::from([root.as_str()]);
        while let Some(at) = queue.pop_front() {
            for child in self.children(at) {
                found.push(child);
                queue.push_back(child);
            }
        }
        found
    }

    /// Every group with its depth (0 for top-level teams), in the order a tree is read:
    /// each group followed by its children, siblings by ref.
    pub fn depth_first(&self) -> Vec<(usize, &str)> {
        let mut order = Vec::with_capacity(self.groups.len());
        let mut stack: Vec<(usize, &str)> = self.roots().map(|g| (0, g)).collect();
        stack.reverse();
        while let Some((depth, group)) = stack.pop() {
            order.push((depth, group));
            let mut children: Vec<&str> = self.children(group).collect();
            children.reverse();
            stack.extend(children.into_iter().map(|c| (depth + 1, c)));
        }
        order
    }

    /// What the hierarchy decided because the groups do not form a tree.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The warnings that concern `group`.
    pub fn warnings_about<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Warning> {
        self.warnings.iter().filter(move |w| match w {
            Warning::MissingParent { group: g, .. } | Warning::SeveralParents { group: g, .. } => {
                g == group
            }
            Warning::Loop { groups, .. } => groups.iter().any(|g| g == group),
        })
    }

    /// The union of `direct` over the groups [`Hierarchy::scope`] names: the members of a
    /// team with its child teams, each person once.
    pub fn union_over(
        &self,
        direct: &BTreeMap<String, BTreeSet<String>>,
        group: &str,
        scope: Scope,
    ) -> BTreeSet<String> {
        self.scope(group, scope)
            .into_iter()
            .filter_map(|g| direct.get(g))
            .flatten()
            .cloned()
            .collect()
    }

    /// The sums of `direct` (counts by key, such as entities by kind) over the groups
    /// [`Hierarchy::scope`] names.
    pub fn sum_over(
        &self,
        direct: &BTreeMap<String, BTreeMap<String, u64>>,
        group: &str,
        scope: Scope,
    ) -> BTreeMap<String, u64> {
        let mut sums: BTreeMap<String, u64> = BTreeMap::new();
        for counts in self
            .scope(group, scope)
            .into_iter()
            .filter_map(|g| direct.get(g))
        {
            for (key, count) in counts {
                *sums.entry(key.clone()).or_default() += count;
            }
        }
        sums
    }

    /// The groups a team stands for: itself, or itself and every team under it.
    pub fn scope<'a>(&'a self, group: &'a str, scope: Scope) -> Vec<&'a str> {
        match scope {
            Scope::Team => self
                .groups
                .get(group)
                .map(|g| vec![g.as_str()])
                .unwrap_or_default(),
            Scope::WithChildTeams => self.subtree(group),
        }
    }
}

/// Whether a team's members and belongings include its child teams'.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// The team alone.
    #[default]
    Team,
    /// The team and every team under it.
    WithChildTeams,
}

/// Removes one link from every loop of `parent` (each group has at most one parent, so
/// each loop is a simple cycle): the link from the loop's first group by ref.
fn cut_loops(
    groups: &BTreeSet<String>,
    parent: &mut BTreeMap<String, String>,
    warnings: &mut Vec<Warning>,
) {
    // Each group is walked once: `done` holds groups known to reach a top-level team or
    // a loop already cut.
    let mut done: BTreeSet<String> = BTreeSet::new();
    for start in groups {
        let mut path: Vec<String> = Vec::new();
        let mut on_path: BTreeSet<String> = BTreeSet::new();
        let mut at = Some(start.clone());
        while let Some(group) = at {
            if done.contains(&group) {
                break;
            }
            if on_path.contains(&group) {
                let from = path.iter().position(|g| *g == group).expect("on the path");
                let mut members: Vec<String> = path[from..].to_vec();
                members.sort();
                let cut = members[0].clone();
                parent.remove(&cut);
                warnings.push(Warning::Loop {
                    groups: members,
                    cut,
                });
                break;
            }
            on_path.insert(group.clone());
            path.push(group.clone());
            at = parent.get(&group).cloned();
        }
        done.extend(path);
    }
}

#[cfg(test)]
mod tests;
