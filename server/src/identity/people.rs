//! Who a signed-in person is in the catalog: their User entity, and every group they are
//! in — the groups their entity names (`memberOf`) or that name them (`members`; both give
//! a `memberOf` relation), and those groups' parents, transitively (`childOf`), so that a
//! member of a team counts as a member of its department.

use catalog::relation::{CHILD_OF, MEMBER_OF};
use identity::Person;
use std::collections::{BTreeSet, VecDeque};
use store::{Store, StoreError, StoredEntity};

/// Most groups followed up from one person: group trees are shallow, but stored data is
/// never trusted to be (a cycle, or a generated tree of thousands).
const MAX_GROUPS: usize = 1_000;

/// The person whose User entity is `user_ref`, signed in as `subject`; `None` when the
/// catalog has no such user.
pub async fn from_user(
    store: &Store,
    user_ref: &str,
    subject: String,
) -> Result<Option<Person>, StoreError> {
    let Some(user) = store.entity_by_ref(&user_ref.to_lowercase()).await? else {
        return Ok(None);
    };
    if !user.entity_ref.starts_with("user:") {
        return Ok(None);
    }
    let groups = groups_of(store, &user).await?;
    Ok(Some(person(&user, subject, groups)))
}

fn person(user: &StoredEntity, subject: String, groups: Vec<String>) -> Person {
    let text = |pointer: &str| {
        user.body
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let display_name = text("/spec/profile/displayName")
        .or_else(|| text("/metadata/title"))
        .or_else(|| text("/metadata/name"))
        .unwrap_or_else(|| user.entity_ref.clone());
    Person {
        subject,
        user_ref: Some(user.entity_ref.clone()),
        display_name,
        email: text("/spec/profile/email"),
        groups,
    }
}

/// The groups `user` is in, with every ancestor of each.
async fn groups_of(store: &Store, user: &StoredEntity) -> Result<Vec<String>, StoreError> {
    let mut found = BTreeSet::new();
    let mut queue: VecDeque<String> = user
        .relations
        .iter()
        .filter(|r| r.relation_type == MEMBER_OF)
        .map(|r| r.target_ref.to_lowercase())
        .collect();
    while let Some(group) = queue.pop_front() {
        if found.len() >= MAX_GROUPS || !found.insert(group.clone()) {
            continue;
        }
        for relation in store.relations_from(&group).await? {
            if relation.relation_type == CHILD_OF {
                queue.push_back(relation.target_ref.to_lowercase());
            }
        }
    }
    Ok(found.into_iter().collect())
}
