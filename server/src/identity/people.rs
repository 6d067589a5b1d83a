//! Who a signed-in person is in the catalog: their User entity, and every group they are
//! in — the groups their entity names (`memberOf`) or that name them (`members`; both give
//! a `memberOf` relation), and those groups' parents, transitively (`childOf`), so that a
//! member of a team counts as a member of its department.
//!
//! Someone an identity provider vouched for is found by their GitHub login (the
//! `github.com/user-login` annotation) or e-mail address (`spec.profile.email`), through
//! the catalog's search keys ([`resolve`]).

use catalog::relation::{CHILD_OF, MEMBER_OF};
use identity::Person;
use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
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

/// How long [`Directory`] remembers a person: a change to the catalog (someone leaving a
/// team) reaches their API tokens within this time.
pub const REMEMBER_FOR: Duration = Duration::from_secs(30);
/// Most people remembered at once (each a few hundred bytes).
const REMEMBERED: u64 = 10_000;

/// People as the catalog has them now, remembered for a short while. An API token acts
/// with its person's groups of now, and a script may use its token many times a second,
/// while resolving the groups takes a query per level of the group tree. Concurrent
/// requests for one person wait for one lookup; a failed lookup is not remembered.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    people: moka::future::Cache<String, Option<Person>>,
}

impl Directory {
    pub fn new(store: Store, remember_for: Duration) -> Directory {
        let people = moka::future::Cache::builder()
            .max_capacity(REMEMBERED)
            .time_to_live(remember_for)
            .build();
        Directory { store, people }
    }

    /// [`from_user`], at most [`REMEMBER_FOR`] old.
    pub async fn person(
        &self,
        user_ref: &str,
        subject: String,
    ) -> Result<Option<Person>, Arc<StoreError>> {
        let user_ref = user_ref.to_lowercase();
        let lookup = from_user(&self.store, &user_ref, String::new());
        let found = self.people.try_get_with(user_ref.clone(), lookup).await?;
        Ok(found.map(|person| Person { subject, ..person }))
    }
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("remembered", &self.people.entry_count())
            .finish()
    }
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

/// The search key of a User entity's e-mail address.
pub const EMAIL_KEY: &str = "spec.profile.email";
/// The search key of the GitHub login annotation Backstage's GitHub sign-in reads.
pub const GITHUB_LOGIN_KEY: &str = "metadata.annotations.github.com/user-login";

/// What an identity provider says about who signed in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Claims {
    /// `oidc:{provider}:{sub}` or `github:{host}:{id}`.
    pub subject: String,
    /// A verified e-mail address, if the provider gave one.
    pub email: Option<String>,
    /// The GitHub login, for GitHub sign-in.
    pub github_login: Option<String>,
    /// The person's name as the provider knows it.
    pub name: Option<String>,
}

/// Who signed in, as the catalog knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// Their User entity, and so their groups.
    Known(Person),
    /// No User entity matches: the person as the provider describes them (no groups),
    /// and what was looked for, as `(key, value)` pairs.
    Unknown {
        person: Person,
        looked_for: Vec<(&'static str, String)>,
    },
    /// Several User entities claim the same login or address: nobody can tell which is
    /// the person, so none is picked.
    Ambiguous {
        key: &'static str,
        value: String,
        users: Vec<String>,
    },
}

/// Finds the person a provider vouched for: by GitHub login (the `github.com/user-login`
/// annotation) first, then by e-mail (`spec.profile.email`), each compared ignoring case.
pub async fn resolve(store: &Store, claims: Claims) -> Result<Resolution, StoreError> {
    let mut looked_for = Vec::new();
    let lookups = [
        (GITHUB_LOGIN_KEY, claims.github_login.clone()),
        (EMAIL_KEY, claims.email.clone()),
    ];
    for (key, value) in lookups {
        let Some(value) = value
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
        else {
            continue;
        };
        let users = users_where(store, key, &value).await?;
        match users.as_slice() {
            [] => looked_for.push((key, value)),
            [user] => {
                let groups = groups_of(store, user).await?;
                let mut person = person(user, claims.subject, groups);
                if person.email.is_none() {
                    person.email = claims.email;
                }
                return Ok(Resolution::Known(person));
            }
            several => {
                return Ok(Resolution::Ambiguous {
                    key,
                    value,
                    users: several.iter().map(|u| u.entity_ref.clone()).collect(),
                });
            }
        }
    }
    let display_name = claims
        .name
        .clone()
        .or_else(|| claims.github_login.clone())
        .or_else(|| claims.email.clone())
        .unwrap_or_else(|| claims.subject.clone());
    Ok(Resolution::Unknown {
        person: Person {
            subject: claims.subject,
            user_ref: None,
            display_name,
            email: claims.email,
            groups: Vec::new(),
        },
        looked_for,
    })
}

/// The User entities whose search key `key` has `value` (lowercased): at most two, which
/// is enough to tell one from several.
async fn users_where(
    store: &Store,
    key: &str,
    value: &str,
) -> Result<Vec<StoredEntity>, StoreError> {
    let query = store::EntityQuery {
        filter: Some(store::EntityFilter::AllOf(vec![
            store::EntityFilter::Equals {
                key: "kind".into(),
                values: vec!["user".into()],
            },
            store::EntityFilter::Equals {
                key: key.into(),
                values: vec![value.into()],
            },
        ])),
        order: vec![store::OrderField {
            key: "metadata.name".into(),
            descending: false,
        }],
        limit: Some(2),
        ..Default::default()
    };
    store.query_entities(&query).await
}
