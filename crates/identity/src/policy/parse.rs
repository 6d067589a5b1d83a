//! Reading the `permissions:` block: every misfit is an error that names its path in
//! `portico.yaml`, what is there, and what to write instead.
//!
//! This walks the `serde_json::Value` by hand rather than deriving `Deserialize` with
//! `deny_unknown_fields`: serde's messages name neither the path
//! (`permissions.rules[2].allow`) nor the fix, and the fix is the point. Unknown keys are
//! refused all the same.

use super::{Actions, Allow, EffectiveRule, Origin, Policy, has_owners};
use crate::{Action, Aim};
use serde_json::{Map, Value};
use std::fmt;

/// A `permissions:` block Portico cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// Where, as in `portico.yaml`: `permissions.rules[2].allow`.
    pub path: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for PolicyError {}

fn error(path: impl Into<String>, message: impl Into<String>) -> PolicyError {
    PolicyError {
        path: path.into(),
        message: message.into(),
    }
}

const ROOT: &str = "permissions";
const SETTINGS: [&str; 3] = ["admins", "anonymous_read", "rules"];
const RULE_SETTINGS: [&str; 3] = ["actions", "kinds", "allow"];
const WORDS: [&str; 4] = ["anyone", "signed_in", "owners", "admins"];

pub(super) fn policy(value: Value) -> Result<Policy, PolicyError> {
    let map = match value {
        Value::Null => Map::new(),
        Value::Object(map) => map,
        other => {
            return Err(error(
                ROOT,
                format!(
                    "expected a mapping with admins, anonymous_read and rules, found {}",
                    describe(&other)
                ),
            ));
        }
    };
    let mut admins = Vec::new();
    let mut anonymous_read = false;
    let mut rules = Vec::new();
    for (key, value) in map {
        let path = format!("{ROOT}.{key}");
        match key.as_str() {
            _ if value.is_null() && SETTINGS.contains(&key.as_str()) => {}
            "admins" => admins = parse_admins(&path, value)?,
            "anonymous_read" => {
                anonymous_read = value.as_bool().ok_or_else(|| {
                    error(
                        &path,
                        format!("expected true or false, found {}", describe(&value)),
                    )
                })?
            }
            "rules" => {
                let Value::Array(items) = value else {
                    return Err(error(
                        &path,
                        format!(
                            "expected a list of rules (each with actions and allow), found {}",
                            describe(&value)
                        ),
                    ));
                };
                for (index, item) in items.into_iter().enumerate() {
                    rules.push(parse_rule(index, item)?);
                }
            }
            _ => {
                return Err(error(
                    &path,
                    format!(
                        "is not a setting; the settings are admins, anonymous_read and rules{}",
                        suggestion(&key, &SETTINGS, 3)
                    ),
                ));
            }
        }
    }
    check_every_rule_can_decide(&rules)?;
    if anonymous_read {
        check_reading_is_left_to_anyone(&rules)?;
    }
    Ok(Policy::with_defaults(admins, anonymous_read, rules))
}

fn parse_admins(path: &str, value: Value) -> Result<Vec<String>, PolicyError> {
    let mut admins = Vec::new();
    for (path, text) in strings(path, value, "a group or user ref, or a list of them")? {
        if WORDS.contains(&text.as_str()) {
            return Err(error(
                path,
                format!(
                    "{text:?} is a word for rules, not a group or user; list group or user refs, e.g. group:default/platform"
                ),
            ));
        }
        let entity_ref = if text.contains(':') {
            parse_ref(&path, &text)?
        } else {
            return Err(error(
                path,
                format!(
                    "{text:?} is not an entity ref; write group:{text} or user:{text}, with a kind"
                ),
            ));
        };
        if !admins.contains(&entity_ref) {
            admins.push(entity_ref);
        }
    }
    Ok(admins)
}

fn parse_rule(index: usize, value: Value) -> Result<EffectiveRule, PolicyError> {
    let path = format!("{ROOT}.rules[{index}]");
    let Value::Object(map) = value else {
        return Err(error(
            path,
            format!(
                "expected a mapping with actions, allow and optionally kinds, found {}",
                describe(&value)
            ),
        ));
    };
    let (mut actions, mut kinds, mut allow) = (None, None, None);
    for (key, value) in map {
        match key.as_str() {
            "actions" => actions = Some(value),
            "kinds" => kinds = Some(value),
            "allow" => allow = Some(value),
            _ => {
                return Err(error(
                    format!("{path}.{key}"),
                    format!(
                        "is not a rule setting; a rule has actions, kinds and allow{}",
                        suggestion(&key, &RULE_SETTINGS, 3)
                    ),
                ));
            }
        }
    }
    let actions_path = format!("{path}.actions");
    let actions = match actions {
        Some(value) if !value.is_null() => parse_actions(&actions_path, value)?,
        _ => {
            return Err(error(
                actions_path,
                "missing; name the actions the rule decides, e.g. [catalog.entity.unregister], or \"*\" (quoted) for every action",
            ));
        }
    };
    let kinds_path = format!("{path}.kinds");
    let kinds = match kinds {
        Some(value) if !value.is_null() => Some(parse_kinds(&kinds_path, value, &actions)?),
        _ => None,
    };
    let allow_path = format!("{path}.allow");
    let allow = match allow {
        Some(value) if !value.is_null() => parse_allow(&allow_path, value, &actions)?,
        _ => {
            return Err(error(
                allow_path,
                "missing; say who may, e.g. owners, signed_in or group:default/sre",
            ));
        }
    };
    Ok(EffectiveRule {
        actions,
        kinds,
        allow,
        origin: Origin::Configured { index },
    })
}

fn parse_actions(path: &str, value: Value) -> Result<Actions, PolicyError> {
    let items = strings(path, value, "an action name, a list of them, or \"*\"")?;
    if items.is_empty() {
        return Err(error(
            path,
            "an empty list decides nothing; name at least one action, or \"*\" (quoted) for every action",
        ));
    }
    if items.iter().any(|(_, name)| name == "*") {
        if items.len() > 1 {
            return Err(error(
                path,
                "\"*\" already means every action; write it alone, or list the actions",
            ));
        }
        return Ok(Actions::Every);
    }
    let mut actions = Vec::new();
    for (path, name) in items {
        let Some(action) = Action::ALL.into_iter().find(|a| a.name() == name) else {
            let names: Vec<&str> = Action::ALL
                .iter()
                .filter(|a| **a != Action::AdminView)
                .map(|a| a.name())
                .collect();
            return Err(error(
                path,
                format!(
                    "{name:?} is not an action; the actions are {}, or \"*\" (quoted) for every action{}",
                    names.join(", "),
                    suggestion(&name, &names, 4)
                ),
            ));
        };
        if action == Action::AdminView {
            return Err(error(
                path,
                format!(
                    "{name} is for admins only and no rule can change that; list the people who may see the admin pages in permissions.admins"
                ),
            ));
        }
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    Ok(Actions::Only(actions))
}

fn parse_kinds(path: &str, value: Value, actions: &Actions) -> Result<Vec<String>, PolicyError> {
    let items = strings(
        path,
        value,
        "a kind or a list of kinds, e.g. [component, api]",
    )?;
    if items.is_empty() {
        return Err(error(
            path,
            "an empty list matches no kind; remove kinds to apply the rule to every kind",
        ));
    }
    if let Actions::Only(actions) = actions
        && let Some(action) = actions.iter().find(|a| a.aim() != Aim::Entity)
    {
        return Err(error(
            path,
            format!(
                "{action} is not done to one entity, so kinds never apply to it; give it a rule of its own, without kinds"
            ),
        ));
    }
    let mut kinds = Vec::new();
    for (path, kind) in items {
        let valid = !kind.is_empty()
            && kind
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid {
            return Err(error(
                path,
                format!("{kind:?} is not a kind; write a kind such as component, api or system"),
            ));
        }
        let kind = kind.to_lowercase();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

fn parse_allow(path: &str, value: Value, actions: &Actions) -> Result<Vec<Allow>, PolicyError> {
    let items = strings(
        path,
        value,
        "one of anyone, signed_in, owners, admins or a group or user ref, or a list of them",
    )?;
    if items.is_empty() {
        return Err(error(
            path,
            "an empty list allows nobody but admins; write admins to say so",
        ));
    }
    let mut allow = Vec::new();
    for (item_path, text) in items {
        let item = match text.as_str() {
            "anyone" => Allow::Anyone,
            "signed_in" => Allow::SignedIn,
            "owners" => Allow::Owners,
            "admins" => Allow::Admins,
            _ if text.contains(':') => Allow::Ref(parse_ref(&item_path, &text)?),
            _ => {
                let fix = match suggestion(&text, &WORDS, 3) {
                    fix if !fix.is_empty() => fix,
                    _ => format!("; write group:{text} or user:{text}"),
                };
                return Err(error(
                    item_path,
                    format!(
                        "{text:?} is not one of anyone, signed_in, owners, admins or an entity ref like group:default/sre{fix}"
                    ),
                ));
            }
        };
        if !allow.contains(&item) {
            allow.push(item);
        }
    }
    if allow.contains(&Allow::Owners)
        && let Actions::Only(actions) = actions
        && let Some(action) = actions.iter().find(|a| !has_owners(**a))
    {
        return Err(error(
            path,
            format!(
                "owners never applies to {action}, which is not done to an entity or a location; give {action} a rule of its own"
            ),
        ));
    }
    Ok(allow)
}

/// A `group:` or `user:` ref with Backstage's defaults (`group:sre` is
/// `group:default/sre`), lowercased.
fn parse_ref(path: &str, text: &str) -> Result<String, PolicyError> {
    let malformed = || {
        error(
            path,
            format!(
                "{text:?} is not an entity ref; write it as group:[namespace/]name or user:[namespace/]name, e.g. group:default/sre"
            ),
        )
    };
    let (kind, rest) = text.split_once(':').ok_or_else(malformed)?;
    let (namespace, name) = rest.split_once('/').unwrap_or(("default", rest));
    let part = |part: &str| {
        !part.is_empty()
            && !part
                .chars()
                .any(|c| c.is_whitespace() || c == ':' || c == '/')
    };
    if !(part(kind) && part(namespace) && part(name)) {
        return Err(malformed());
    }
    let kind = kind.to_lowercase();
    if kind != "group" && kind != "user" {
        return Err(error(
            path,
            format!(
                "{text:?} is a {kind}; only groups and users have members, e.g. group:default/sre or user:default/ada"
            ),
        ));
    }
    Ok(format!(
        "{kind}:{}/{}",
        namespace.to_lowercase(),
        name.to_lowercase()
    ))
}

/// A string or a list of strings, each with its path (`path` itself for a lone string,
/// `path[i]` for a list item).
fn strings(path: &str, value: Value, expected: &str) -> Result<Vec<(String, String)>, PolicyError> {
    let wrong = |value: &Value| {
        error(
            path,
            format!("expected {expected}, found {}", describe(value)),
        )
    };
    match value {
        Value::String(text) => Ok(vec![(path.to_string(), text)]),
        Value::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(text) => Ok((format!("{path}[{index}]"), text)),
                other => Err(error(
                    format!("{path}[{index}]"),
                    format!("expected a string, found {}", describe(&other)),
                )),
            })
            .collect(),
        other => Err(wrong(&other)),
    }
}

/// A rule is refused when earlier rules decide everything it names, so it could never
/// decide anything: usually a broad rule written above a narrow one.
fn check_every_rule_can_decide(rules: &[EffectiveRule]) -> Result<(), PolicyError> {
    for (index, rule) in rules.iter().enumerate() {
        let earlier = &rules[..index];
        // The (action, kind) pairs the rule could decide; `None` for every kind.
        let mut pairs: Vec<(Action, Option<&str>)> = Vec::new();
        for action in Action::ALL
            .into_iter()
            .filter(|a| rule.actions.contains(*a))
        {
            match &rule.kinds {
                None => pairs.push((action, None)),
                Some(_) if action.aim() != Aim::Entity => {}
                Some(kinds) => pairs.extend(kinds.iter().map(|k| (action, Some(k.as_str())))),
            }
        }
        let decided_before = |(action, kind): (Action, Option<&str>)| {
            earlier.iter().enumerate().find_map(|(j, other)| {
                let covers = other.actions.contains(action)
                    && match (&other.kinds, kind) {
                        (None, _) => true,
                        (Some(kinds), Some(kind)) => kinds.iter().any(|k| k == kind),
                        (Some(_), None) => false,
                    };
                covers.then_some(j)
            })
        };
        let mut shadows: Vec<usize> = Vec::new();
        let mut live = false;
        for pair in pairs {
            match decided_before(pair) {
                Some(j) if !shadows.contains(&j) => shadows.push(j),
                Some(_) => {}
                None => live = true,
            }
        }
        if !live {
            shadows.sort_unstable();
            let names: Vec<String> = shadows.iter().map(|j| format!("rules[{j}]")).collect();
            let (them, come, decide) = if names.len() == 1 {
                (names[0].clone(), "comes", "decides")
            } else {
                (and_list(&names), "come", "decide")
            };
            return Err(error(
                format!("{ROOT}.rules[{index}]"),
                format!(
                    "never decides anything: {them} {come} first and {decide} everything it names; move it above {them}, or remove it"
                ),
            ));
        }
    }
    Ok(())
}

/// With `anonymous_read: true`, a configured rule that decides reading must allow anyone,
/// or the setting would silently do nothing.
fn check_reading_is_left_to_anyone(rules: &[EffectiveRule]) -> Result<(), PolicyError> {
    let reads = Action::ALL
        .into_iter()
        .filter(|a| !a.is_write() && *a != Action::LocationAnalyze && *a != Action::AdminView);
    for action in reads {
        let first = rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.kinds.is_none() && r.actions.contains(action));
        if let Some((index, rule)) = first
            && !rule.allow.contains(&Allow::Anyone)
        {
            return Err(error(
                format!("{ROOT}.anonymous_read"),
                format!(
                    "is true, but rules[{index}] decides {action} first and does not allow anyone; add anyone to rules[{index}].allow, or set anonymous_read: false"
                ),
            ));
        }
    }
    Ok(())
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

/// `"; write owners"` when `text` is within `distance` edits of one of `known`.
fn suggestion(text: &str, known: &[&str], distance: usize) -> String {
    known
        .iter()
        .map(|k| (edits(&text.to_lowercase(), k), k))
        .filter(|(d, _)| *d <= distance)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!("; write {k}"))
        .unwrap_or_default()
}

/// Levenshtein distance.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

pub(super) fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
