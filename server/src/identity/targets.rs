//! What a write is done to, as the permission policy needs it: an entity with its kind
//! and owner, a location with the owners of everything it provides and who registered
//! it. Read from the store by the handlers that act on one.

use identity::{Caller, Target};
use store::{Store, StoreError};

/// The entity `entity_ref` (lowercased) as a target; `None` when it does not exist.
pub async fn entity(store: &Store, entity_ref: &str) -> Result<Option<Target>, StoreError> {
    let found = store
        .entity_summaries_by_refs(&[entity_ref.to_string()])
        .await?
        .pop()
        .flatten();
    Ok(found.map(|summary| Target::Entity {
        entity_ref: summary.entity_ref,
        kind: summary.kind,
        owner: summary.owner_ref,
    }))
}

/// The location `id` as a target; `None` when it does not exist.
pub async fn location(store: &Store, id: &str) -> Result<Option<Target>, StoreError> {
    let Some(row) = store.location(id).await? else {
        return Ok(None);
    };
    Ok(Some(Target::Location {
        target: format!("{}:{}", row.location_type, row.target),
        entity_owners: store.location_entity_owners(id).await?,
        registered_by: row.registered_by,
    }))
}

/// A location about to be registered: it provides nothing yet.
pub fn new_location(location_type: &str, target: &str) -> Target {
    Target::Location {
        target: format!("{location_type}:{target}"),
        entity_owners: Vec::new(),
        registered_by: None,
    }
}

/// How a registrant is recorded: their User entity, else their sign-in subject.
pub fn registrant(caller: &Caller) -> Option<String> {
    caller.person().map(|person| {
        person
            .user_ref
            .clone()
            .unwrap_or_else(|| person.subject.clone())
    })
}
