//! Teams: the directory of the catalog's groups (`directory.rs`, `/teams`) and each
//! team's page (`team.rs`, `/teams/{namespace}/{name}`): who the team is and what it owns,
//! alone or with its child teams — and each person's page (`person.rs`,
//! `/people/{namespace}/{name}`). The hierarchy, the roll-ups and the links between teams
//! are worked out by the `teams` crate; the store reads are in `store/src/teams.rs`.

pub mod directory;
pub mod person;
pub mod team;

pub use crate::pages::catalog::shared::team_href;
pub use directory::TeamsPage;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::directory::TeamDirectory;
    use crate::error::AppError;
    use std::collections::BTreeMap;
    use store::Store;
    use teams::directory::{self, Facts, Group, Search};
    use teams::{Hierarchy, Link};

    /// The catalog's groups and how they nest.
    pub struct Groups {
        pub groups: Vec<Group>,
        pub hierarchy: Hierarchy,
    }

    impl Groups {
        pub async fn read(store: &Store) -> Result<Groups, AppError> {
            let tree = store.group_tree().await?;
            let hierarchy = Hierarchy::new(
                tree.groups.iter().map(|g| g.entity_ref.clone()),
                tree.links
                    .into_iter()
                    .map(|(child, parent)| Link { child, parent }),
            );
            let groups = tree
                .groups
                .into_iter()
                .map(|g| Group {
                    entity_ref: g.entity_ref,
                    name: g.name,
                    title: g.title,
                    spec_type: g.spec_type,
                    description: g.description,
                })
                .collect();
            Ok(Groups { groups, hierarchy })
        }

        /// What a team is called on pages: its title or name; a ref that is not a group
        /// of the catalog (a user, an owner that does not exist) as its short form.
        pub fn name_of(&self, entity_ref: &str) -> String {
            self.groups
                .iter()
                .find(|g| g.entity_ref == entity_ref)
                .map(|g| g.display_name().to_string())
                .unwrap_or_else(|| crate::pages::catalog::shared::short_ref(entity_ref))
        }
    }

    /// The text at `pointer` in an entity's body (`/spec/profile/email`), trimmed; `None`
    /// when it is missing, empty or not text.
    pub fn profile_text(body: &serde_json::Value, pointer: &str) -> Option<String> {
        body.pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The directory, narrowed by `search`. The whole directory is computed once per
    /// catalog version.
    pub async fn directory(store: &Store, search: &Search) -> Result<TeamDirectory, AppError> {
        let all = store
            .cached("teams:directory".into(), || whole_directory(store))
            .await?;
        let rows = if search.is_empty() {
            all.rows.clone()
        } else {
            all.rows
                .iter()
                .filter(|r| search.matches(&r.group))
                .cloned()
                .collect()
        };
        Ok(TeamDirectory {
            rows,
            total: all.total,
            types: all.types.clone(),
            warnings: all.warnings.clone(),
            missing_owners: all.missing_owners.clone(),
        })
    }

    async fn whole_directory(store: &Store) -> Result<TeamDirectory, AppError> {
        let Groups { groups, hierarchy } = Groups::read(store).await?;
        let mut facts = Facts::default();
        for (group, member) in store.group_members(None).await? {
            facts.members.entry(group).or_default().insert(member);
        }
        for count in store.owned_counts().await? {
            let kinds: &mut BTreeMap<String, u64> = facts.owned.entry(count.owner_ref).or_default();
            kinds.insert(count.kind, count.count.max(0) as u64);
        }
        let missing_owners = missing_owners(store, &hierarchy, &facts).await?;
        let rows = directory::rows(&hierarchy, &groups, &facts);
        let total = rows.len();
        Ok(TeamDirectory {
            rows,
            total,
            types: directory::types(&groups),
            warnings: hierarchy
                .warnings()
                .iter()
                .map(ToString::to_string)
                .collect(),
            missing_owners,
        })
    }

    /// The owners entities name that are neither groups nor any other entity of the
    /// catalog, with how many entities name each (one lookup for all of them).
    async fn missing_owners(
        store: &Store,
        hierarchy: &Hierarchy,
        facts: &Facts,
    ) -> Result<Vec<(String, u64)>, AppError> {
        let others: Vec<String> = facts
            .owned
            .keys()
            .filter(|owner| !hierarchy.contains(owner))
            .cloned()
            .collect();
        let found = store.entity_summaries_by_refs(&others).await?;
        Ok(others
            .into_iter()
            .zip(found)
            .filter(|(_, found)| found.is_none())
            .map(|(owner, _)| {
                let count = facts.owned[&owner].values().sum();
                (owner, count)
            })
            .collect())
    }
}
