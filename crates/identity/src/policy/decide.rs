//! [`Policy::decide`]: the one place a caller, an action and a target become yes or no,
//! with the sentence that says why.

use super::parse::and_list;
use super::{Allow, EffectiveRule, Policy};
use crate::{Action, Caller, Denial, Person, Scope, Target};
use serde::{Deserialize, Serialize};

/// The answer to "may this caller do this action to this target", and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub allowed: bool,
    /// One or two sentences for the "why" page and for error messages: who may, what is
    /// missing, and the rule (numbered from 1, as the admin page lists them).
    pub reason: String,
    /// The index in [`Policy::effective_rules`] of the rule that decided; `None` when
    /// the caller is an admin, or a token without the scope the action needs.
    pub rule: Option<usize>,
    /// Refused an anonymous caller whom signing in could help.
    pub sign_in_required: bool,
}

impl Verdict {
    /// The refusal to answer with, or `None` when allowed: sign-in required (401) for an
    /// anonymous caller a signed-in person could stand in for, not allowed (403)
    /// otherwise.
    pub fn denial(&self) -> Option<Denial> {
        match (self.allowed, self.sign_in_required) {
            (true, _) => None,
            (false, true) => Some(Denial::SignInRequired(self.reason.clone())),
            (false, false) => Some(Denial::NotAllowed(self.reason.clone())),
        }
    }
}

/// Why an allow item let the caller in.
enum Fact<'a> {
    Anyone,
    SignedIn,
    /// The person acts as this ref, which owns the entity.
    OwnsEntity(&'a Person, &'a str),
    /// The person acts as these refs, which own every entity the location provides.
    OwnsLocation(&'a Person, Vec<&'a str>),
    /// The location provides no entities and the person registered it.
    Registered(&'a Person),
    /// The person acts as this ref, which the rule names.
    Named(&'a Person, &'a str),
}

impl Policy {
    /// Whether `caller` may do `action` to `target`, and why.
    ///
    /// 1. A token needs the scope the action needs ([`Scope::needed_for`]); then it acts
    ///    as its person.
    /// 2. Admins — people whose user or groups are in `admins` — may do anything.
    /// 3. The first effective rule that names the action (and, if it lists kinds, the
    ///    target entity's kind) decides: the caller may if any of its `allow` items
    ///    matches. Refs compare case-insensitively.
    pub fn decide(&self, caller: &Caller, action: Action, target: &Target) -> Verdict {
        let deed = Deed::new(action, target);
        if let Caller::Token { scopes, .. } = caller {
            let needed = Scope::needed_for(action);
            if !needed.is_some_and(|needed| scopes.contains(&needed)) {
                let has = match scopes.as_slice() {
                    [] => "no scopes".to_string(),
                    scopes => {
                        let names: Vec<String> = scopes.iter().map(|s| s.name().into()).collect();
                        format!("only {}", and_list(&names))
                    }
                };
                let why = match needed {
                    Some(needed) => format!(
                        "that needs the {} scope, and the token has {has}",
                        needed.name()
                    ),
                    None => "only a person signed in to the portal may, never a token".into(),
                };
                return Verdict {
                    allowed: false,
                    reason: format!("{} may not {deed}: {why}.", who(caller)),
                    rule: None,
                    sign_in_required: false,
                };
            }
        }
        let person = caller.person();
        if let Some((person, admin)) =
            person.and_then(|p| Some((p, self.admins.iter().find(|a| acts_as(p, a))?)))
        {
            return Verdict {
                allowed: true,
                reason: format!(
                    "{} may {deed}: {}, one of the admins (admins may do anything).",
                    who(caller),
                    membership(person, &[admin])
                ),
                rule: None,
                sign_in_required: false,
            };
        }
        let kind = match target {
            Target::Entity { kind, .. } => Some(kind.as_str()),
            Target::Portal | Target::Location { .. } => None,
        };
        let Some((index, rule)) = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, rule)| rule.applies(action, kind))
        else {
            // Unreachable through from_value and default, whose defaults cover every
            // action; kept so a policy built otherwise still refuses.
            return Verdict {
                allowed: false,
                reason: format!("No rule allows anyone to {deed}."),
                rule: None,
                sign_in_required: person.is_none() && !self.admins.is_empty(),
            };
        };
        let fact = rule
            .allow
            .iter()
            .find_map(|allow| admits(allow, person, target));
        match fact {
            Some(fact) => Verdict {
                allowed: true,
                reason: format!(
                    "{} may {deed}: {} ({}).",
                    who(caller),
                    fact_text(&fact),
                    rule_label(index, rule, action)
                ),
                rule: Some(index),
                sign_in_required: false,
            },
            None => {
                let sign_in_helps = person.is_none()
                    && (!self.admins.is_empty()
                        || rule
                            .allow
                            .iter()
                            .any(|a| matches!(a, Allow::SignedIn | Allow::Owners | Allow::Ref(_))));
                Verdict {
                    allowed: false,
                    reason: self.refusal(index, rule, person, target, &deed, sign_in_helps),
                    rule: Some(index),
                    sign_in_required: sign_in_helps,
                }
            }
        }
    }

    /// "Only the owners of X (group:…) and admins may unregister it (rule 3); Grace
    /// Hopper is in none of them."
    fn refusal(
        &self,
        index: usize,
        rule: &EffectiveRule,
        person: Option<&Person>,
        target: &Target,
        deed: &Deed,
        sign_in_helps: bool,
    ) -> String {
        let mut whom: Vec<String> = rule
            .allow
            .iter()
            .filter_map(|allow| match allow {
                Allow::Anyone => None,
                Allow::SignedIn => Some("signed-in people".into()),
                Allow::Owners => Some(owners_of(target)),
                Allow::Admins if self.admins.is_empty() => {
                    Some("admins (none are configured)".into())
                }
                Allow::Admins => Some("admins".into()),
                Allow::Ref(r) if r.starts_with("user:") => Some(r.clone()),
                Allow::Ref(r) => Some(format!("members of {r}")),
            })
            .collect();
        if !self.admins.is_empty() && !rule.allow.contains(&Allow::Admins) {
            whom.push("admins".into());
        }
        let object = if rule.allow.contains(&Allow::Owners) && *target != Target::Portal {
            "it"
        } else {
            &deed.object
        };
        let tail = match person {
            None if sign_in_helps => "sign in first".to_string(),
            None => "an anonymous visitor is none of them".to_string(),
            Some(person) => match target {
                Target::Location { entity_owners, .. }
                    if rule.allow.contains(&Allow::Owners) && !entity_owners.is_empty() =>
                {
                    let missing: Vec<&str> = distinct_owners(entity_owners)
                        .into_iter()
                        .filter(|owner| !acts_as(person, owner))
                        .collect();
                    if missing.is_empty() {
                        // The person owns every owned entity; some have no owner.
                        "not every entity it provides has an owner".to_string()
                    } else {
                        not_membership(person, &missing)
                    }
                }
                _ => format!("{} is in none of them", person.name()),
            },
        };
        format!(
            "Only {} may {} {object} (rule {}); {tail}.",
            and_list(&whom),
            deed.verb,
            index + 1
        )
    }
}

/// The fact that lets `person` (or an anonymous caller) in through `allow`, if any.
/// `admins` never does here: admins were let in before any rule was tried.
fn admits<'a>(
    allow: &'a Allow,
    person: Option<&'a Person>,
    target: &'a Target,
) -> Option<Fact<'a>> {
    match allow {
        Allow::Anyone => Some(Fact::Anyone),
        Allow::SignedIn => person.map(|_| Fact::SignedIn),
        Allow::Admins => None,
        Allow::Ref(r) => person.filter(|p| acts_as(p, r)).map(|p| Fact::Named(p, r)),
        Allow::Owners => {
            let person = person?;
            match target {
                Target::Portal => None,
                Target::Entity { owner, .. } => {
                    let owner = owner.as_deref()?;
                    person
                        .refs()
                        .find(|r| same_ref(r, owner))
                        .map(|r| Fact::OwnsEntity(person, r))
                }
                Target::Location {
                    entity_owners,
                    registered_by,
                    ..
                } if entity_owners.is_empty() => {
                    let registrant = registered_by.as_deref()?;
                    (registrant == person.subject || acts_as(person, registrant))
                        .then_some(Fact::Registered(person))
                }
                Target::Location { entity_owners, .. } => {
                    let mut through: Vec<&str> = Vec::new();
                    for owner in entity_owners {
                        let owner = owner.as_deref()?;
                        let r = person.refs().find(|r| same_ref(r, owner))?;
                        if !through.contains(&r) {
                            through.push(r);
                        }
                    }
                    Some(Fact::OwnsLocation(person, through))
                }
            }
        }
    }
}

fn fact_text(fact: &Fact) -> String {
    match fact {
        Fact::Anyone => "anyone may".into(),
        Fact::SignedIn => "every signed-in person may".into(),
        Fact::OwnsEntity(person, r) => format!("{}, which owns it", membership(person, &[r])),
        Fact::OwnsLocation(person, refs) => format!(
            "{}, which {} every entity it provides",
            membership(person, refs),
            if refs.len() == 1 { "owns" } else { "own" }
        ),
        Fact::Registered(person) => {
            format!(
                "it provides no entities, and {} registered it",
                person.name()
            )
        }
        Fact::Named(person, r) => membership(person, &[r]),
    }
}

/// `rule 3: owners may catalog.entity.unregister on component`.
fn rule_label(index: usize, rule: &EffectiveRule, action: Action) -> String {
    let allow: Vec<String> = rule.allow.iter().map(ToString::to_string).collect();
    let kinds = rule
        .kinds
        .as_ref()
        .map(|kinds| format!(" on {}", kinds.join(", ")))
        .unwrap_or_default();
    format!(
        "rule {}: {} may {action}{kinds}",
        index + 1,
        allow.join(", ")
    )
}

/// Who the owners of the target are, for a refusal.
fn owners_of(target: &Target) -> String {
    match target {
        Target::Portal => "the owners of what it is done to (there is none here)".into(),
        Target::Entity {
            entity_ref,
            owner: Some(owner),
            ..
        } => format!("the owners of {entity_ref} ({})", owner.to_lowercase()),
        Target::Entity {
            entity_ref,
            owner: None,
            ..
        } => format!("the owners of {entity_ref} (it has none)"),
        Target::Location {
            target,
            entity_owners,
            registered_by,
        } if entity_owners.is_empty() => format!(
            "whoever registered location {target} ({})",
            registered_by.as_deref().unwrap_or("not recorded")
        ),
        Target::Location {
            target,
            entity_owners,
            ..
        } => {
            let mut owners: Vec<String> = distinct_owners(entity_owners)
                .into_iter()
                .map(str::to_lowercase)
                .collect();
            match entity_owners.iter().filter(|o| o.is_none()).count() {
                0 => {}
                1 => owners.push("1 entity without an owner".into()),
                n => owners.push(format!("{n} entities without an owner")),
            }
            format!(
                "the owners of every entity location {target} provides ({})",
                owners.join(", ")
            )
        }
    }
}

fn distinct_owners(entity_owners: &[Option<String>]) -> Vec<&str> {
    let mut owners: Vec<&str> = Vec::new();
    for owner in entity_owners.iter().flatten() {
        if !owners.iter().any(|o| same_ref(o, owner)) {
            owners.push(owner);
        }
    }
    owners
}

/// What is done, in words: the verb and its object.
struct Deed {
    verb: &'static str,
    object: String,
}

impl Deed {
    fn new(action: Action, target: &Target) -> Deed {
        let verb = match action {
            Action::CatalogRead => "read",
            Action::LocationAnalyze => "analyze",
            Action::LocationCreate => "register",
            Action::LocationChange => "change",
            Action::EntityRefresh => "refresh",
            Action::EntityUnregister => "unregister",
            Action::SpecRender => "render",
            Action::AdminView => "view",
            Action::TokenCreate => "create",
            Action::TokenRevoke => "revoke",
            Action::TaskRead => "see",
            Action::TaskCreate => "run",
            Action::TaskCancel => "cancel or retry",
            Action::InsightsRead => "see",
            Action::EventReport => "report",
            Action::SurveyAnswer => "answer",
        };
        let object = match target {
            Target::Entity { entity_ref, .. } => entity_ref.clone(),
            Target::Location { target, .. } => format!("location {target}"),
            Target::Portal => match action {
                Action::CatalogRead => "the catalog",
                Action::LocationAnalyze | Action::LocationCreate | Action::LocationChange => {
                    "locations"
                }
                Action::EntityRefresh | Action::EntityUnregister => "entities",
                Action::SpecRender => "Application specs",
                Action::AdminView => "the admin pages",
                Action::TokenCreate | Action::TokenRevoke => "API tokens",
                Action::TaskRead | Action::TaskCancel => "scaffolder tasks",
                Action::TaskCreate => "templates",
                Action::InsightsRead => "the platform metrics",
                Action::EventReport => "delivery events",
                Action::SurveyAnswer => "the satisfaction survey",
            }
            .into(),
        };
        Deed { verb, object }
    }
}

impl std::fmt::Display for Deed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.object)
    }
}

/// The caller, to start a sentence. Names keep their case (`danah boyd`, a user ref).
fn who(caller: &Caller) -> String {
    match caller {
        Caller::Anonymous => "An anonymous visitor".into(),
        caller => caller.describe(),
    }
}

/// `Ada Lovelace is in group:default/payments`, `Ada Lovelace is user:default/ada`,
/// `Ada Lovelace is user:default/ada and in group:default/sre`.
fn membership(person: &Person, refs: &[&str]) -> String {
    let (users, groups) = split_users(refs);
    let mut parts = Vec::new();
    if !users.is_empty() {
        parts.push(format!("is {}", and_list(&users)));
    }
    if !groups.is_empty() {
        let is = if users.is_empty() { "is " } else { "" };
        parts.push(format!("{is}in {}", and_list(&groups)));
    }
    format!("{} {}", person.name(), parts.join(" and "))
}

/// `Grace Hopper is not in group:default/payments or group:default/sre`.
fn not_membership(person: &Person, refs: &[&str]) -> String {
    let (users, groups) = split_users(refs);
    let mut parts = Vec::new();
    if !users.is_empty() {
        parts.push(format!("not {}", users.join(" or ")));
    }
    if !groups.is_empty() {
        parts.push(format!("not in {}", groups.join(" or ")));
    }
    format!("{} is {}", person.name(), parts.join(" and "))
}

fn split_users(refs: &[&str]) -> (Vec<String>, Vec<String>) {
    refs.iter()
        .map(|r| r.to_lowercase())
        .partition(|r| r.starts_with("user:"))
}

/// Whether the person acts as `entity_ref`: it is their user or one of their groups.
fn acts_as(person: &Person, entity_ref: &str) -> bool {
    person.refs().any(|r| same_ref(r, entity_ref))
}

fn same_ref(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}
