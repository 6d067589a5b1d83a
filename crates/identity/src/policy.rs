//! Who may do what, as data: the `permissions:` block of `portico.yaml`.
//!
//! ```yaml
//! permissions:
//!   admins: [group:default/platform]   # may do anything; groups or users
//!   anonymous_read: false              # anonymous visitors may read (a public demo)
//!   rules:                             # the first rule for the action (and kind) decides
//!     - actions: [catalog.location.create]
//!       allow: signed_in
//!     - actions: [catalog.entity.unregister]
//!       kinds: [component]             # optional: only entities of these kinds
//!       allow: [owners, group:default/sre]
//!     - actions: "*"                   # every action; quoted, as YAML reads * as an alias
//!       kinds: [system]
//!       allow: admins
//! ```
//!
//! [`Policy::from_value`] reads the block once, at start-up, and refuses anything it does
//! not understand with the path, the value and the fix. The rules the policy evaluates —
//! the configured ones, then defaults for every action they leave out — are
//! [`Policy::effective_rules`]; [`Policy::decide`] answers "may this caller do this to
//! this target, and why" from them alone, so the seam, the error messages and the admin
//! page all give the same answer.

mod decide;
mod parse;

pub use decide::Verdict;
pub use parse::PolicyError;

use crate::{Action, Aim};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The permissions block, checked, with its defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Lowercased `group:` and `user:` refs whose members may do anything.
    admins: Vec<String>,
    anonymous_read: bool,
    /// The configured rules in order, then the defaults they leave in effect.
    rules: Vec<EffectiveRule>,
}

/// One rule as the policy evaluates it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveRule {
    pub actions: Actions,
    /// Lowercased kinds the rule is limited to; `None` for every kind (and for targets
    /// that are not one entity, which a rule with kinds never matches).
    pub kinds: Option<Vec<String>>,
    /// Who may; never empty.
    pub allow: Vec<Allow>,
    pub origin: Origin,
}

/// The actions a rule decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actions {
    /// `*`: every action, including ones added to Portico later — except viewing the
    /// admin pages ([`Action::AdminView`]), which only admins may.
    Every,
    /// These, in the order written, without repeats.
    Only(Vec<Action>),
}

/// Who a rule allows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Allow {
    /// Everyone, signed in or not.
    Anyone,
    /// Any signed-in person, or a token of one.
    SignedIn,
    /// The owners of the target: the entity's owner (a user, or the members of a group
    /// and its child groups); for a location, the owners of every entity it provides, or
    /// who registered it if it provides none.
    Owners,
    /// The configured admins (who may do anything anyway: `allow: admins` means "only
    /// admins").
    Admins,
    /// A user, or the members of a group: a lowercased `kind:namespace/name`.
    Ref(String),
}

/// Where an effective rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// `permissions.rules[index]`.
    Configured { index: usize },
    /// Portico's default for actions no configured rule decides for every kind.
    Default,
}

impl Actions {
    pub fn contains(&self, action: Action) -> bool {
        match self {
            Actions::Every => action != Action::AdminView,
            Actions::Only(actions) => actions.contains(&action),
        }
    }
}

impl EffectiveRule {
    /// Whether the rule decides `action` on a target of `kind` (`None`: the target is not
    /// one entity).
    pub fn applies(&self, action: Action, kind: Option<&str>) -> bool {
        self.actions.contains(action)
            && match (&self.kinds, kind) {
                (None, _) => true,
                (Some(kinds), Some(kind)) => kinds.iter().any(|k| k == &kind.to_lowercase()),
                (Some(_), None) => false,
            }
    }
}

impl Default for Policy {
    /// No admins, no anonymous reading, no rules: only the defaults.
    fn default() -> Policy {
        Policy::with_defaults(Vec::new(), false, Vec::new())
    }
}

impl Policy {
    /// Reads the `permissions:` block (`null` when it is absent). The error names the
    /// key, the value and the fix.
    pub fn from_value(value: serde_json::Value) -> Result<Policy, PolicyError> {
        parse::policy(value)
    }

    /// The admin refs, lowercased.
    pub fn admins(&self) -> &[String] {
        &self.admins
    }

    pub fn anonymous_read(&self) -> bool {
        self.anonymous_read
    }

    /// Every rule in the order they are tried: the configured ones, then Portico's
    /// defaults for what they leave out. Admins are not a rule: they may do anything,
    /// before any rule is tried.
    pub fn effective_rules(&self) -> &[EffectiveRule] {
        &self.rules
    }

    /// The policy with `configured` rules (already checked) followed by the defaults for
    /// every action none of them decides for every kind:
    /// reading and rendering → signed in (anyone with `anonymous_read`), analyzing and
    /// registering locations, running templates and managing one's own API tokens → signed in, every other
    /// write → owners, the admin pages →
    /// admins (always: no configured rule can decide them).
    fn with_defaults(
        admins: Vec<String>,
        anonymous_read: bool,
        configured: Vec<EffectiveRule>,
    ) -> Policy {
        let reader = if anonymous_read {
            Allow::Anyone
        } else {
            Allow::SignedIn
        };
        let by_anyone_signed_in = [
            Action::LocationAnalyze,
            Action::LocationCreate,
            Action::TokenCreate,
            Action::TokenRevoke,
            Action::TaskCreate,
            Action::EventReport,
            Action::SurveyAnswer,
        ];
        let defaults = [
            (
                Action::ALL
                    .into_iter()
                    .filter(|a| {
                        !a.is_write() && !by_anyone_signed_in.contains(a) && *a != Action::AdminView
                    })
                    .collect::<Vec<_>>(),
                reader,
            ),
            (by_anyone_signed_in.to_vec(), Allow::SignedIn),
            (
                Action::ALL
                    .into_iter()
                    .filter(|a| a.is_write() && !by_anyone_signed_in.contains(a))
                    .collect(),
                Allow::Owners,
            ),
            (vec![Action::AdminView], Allow::Admins),
        ];
        let decided_for_every_kind = |action: Action| {
            configured
                .iter()
                .any(|r| r.kinds.is_none() && r.actions.contains(action))
        };
        let defaults: Vec<EffectiveRule> = defaults
            .into_iter()
            .filter_map(|(actions, allow)| {
                let actions: Vec<Action> = actions
                    .into_iter()
                    .filter(|a| !decided_for_every_kind(*a))
                    .collect();
                (!actions.is_empty()).then(|| EffectiveRule {
                    actions: Actions::Only(actions),
                    kinds: None,
                    allow: vec![allow],
                    origin: Origin::Default,
                })
            })
            .collect();
        let mut rules = configured;
        rules.extend(defaults);
        Policy {
            admins,
            anonymous_read,
            rules,
        }
    }
}

impl<'de> Deserialize<'de> for Policy {
    /// Through [`Policy::from_value`], so a config struct can hold a `Policy` and get the
    /// same checks and messages.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Policy, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Policy::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Allow {
    /// As written in `portico.yaml`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Allow::Anyone => "anyone",
            Allow::SignedIn => "signed_in",
            Allow::Owners => "owners",
            Allow::Admins => "admins",
            Allow::Ref(entity_ref) => entity_ref,
        })
    }
}

impl fmt::Display for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actions::Every => f.write_str("do anything"),
            Actions::Only(actions) => f.write_str(&list(actions, ", ")),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Configured { index } => write!(f, "permissions.rules[{index}]"),
            Origin::Default => f.write_str("default"),
        }
    }
}

impl fmt::Display for EffectiveRule {
    /// `owners, group:default/sre may catalog.entity.unregister on component`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} may {}", list(&self.allow, ", "), self.actions)?;
        if let Some(kinds) = &self.kinds {
            write!(f, " on {}", kinds.join(", "))?;
        }
        Ok(())
    }
}

/// Whether a rule about `action` can say anything about owners (it is done to an entity
/// or a location) or kinds (it is done to one entity).
fn has_owners(action: Action) -> bool {
    action.aim() != Aim::Portal
}

fn list<T: fmt::Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests;
