//! Entity references: `[<kind>:][<namespace>/]<name>`, parsed like Backstage's
//! `parseEntityRef` and printed like its `stringifyEntityRef`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The namespace of entities that do not name one.
pub const DEFAULT_NAMESPACE: &str = "default";

/// A reference to an entity: kind, namespace and name.
///
/// Equality and hashing ignore case in all three parts, the way Backstage
/// treats entity refs as unique (it compares the lowercased ref); `key()` is
/// that lowercased form, for storage lookups. The parts keep the case they
/// were written with, for display.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntityRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// Why a string is not an entity reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefError {
    /// A part is empty, e.g. `component:` or `/foo`.
    Malformed(String),
    /// The ref has no kind and the field gives no default kind.
    MissingKind(String),
}

impl fmt::Display for RefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefError::Malformed(text) => write!(
                f,
                "{text:?} is not an entity reference; write it as [<kind>:][<namespace>/]<name>, e.g. \"group:default/team-a\""
            ),
            RefError::MissingKind(text) => write!(
                f,
                "{text:?} has no kind and this field has no default kind; write it as <kind>:[<namespace>/]<name>, e.g. \"component:{text}\""
            ),
        }
    }
}

impl std::error::Error for RefError {}

impl EntityRef {
    pub fn new(
        kind: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> Self {
        EntityRef {
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }

    /// Parses `[<kind>:][<namespace>/]<name>`, filling in the defaults for
    /// missing parts. A `/` before the first `:` means the `:` belongs to the
    /// name, as in Backstage.
    pub fn parse(
        text: &str,
        default_kind: Option<&str>,
        default_namespace: &str,
    ) -> Result<EntityRef, RefError> {
        let (kind, namespace, name) = split_ref(text)?;
        let kind = match kind.or(default_kind) {
            Some(kind) if !kind.is_empty() => kind,
            _ => return Err(RefError::MissingKind(text.to_string())),
        };
        let namespace = match namespace {
            Some(namespace) => namespace,
            None if default_namespace.is_empty() => DEFAULT_NAMESPACE,
            None => default_namespace,
        };
        Ok(EntityRef::new(kind, namespace, name))
    }

    /// The all-lowercase `kind:namespace/name`, the identity of an entity.
    pub fn key(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind.to_lowercase(),
            self.namespace.to_lowercase(),
            self.name.to_lowercase()
        )
    }

    /// True when `kind` names this ref's kind, ignoring case.
    pub fn is_kind(&self, kind: &str) -> bool {
        self.kind.eq_ignore_ascii_case(kind)
    }
}

/// Splits a ref into its optional kind, optional namespace and name.
fn split_ref(text: &str) -> Result<(Option<&str>, Option<&str>, &str), RefError> {
    let slash = text.find('/');
    let colon = match (text.find(':'), slash) {
        (Some(colon), Some(slash)) if slash < colon => None,
        (colon, _) => colon,
    };
    let kind = colon.map(|c| &text[..c]);
    let after_kind = colon.map_or(0, |c| c + 1);
    let namespace = slash.map(|s| &text[after_kind..s]);
    let name = &text[slash.map_or(after_kind, |s| s + 1)..];
    let empty = |part: Option<&str>| part.is_some_and(str::is_empty);
    if empty(kind) || empty(namespace) || name.is_empty() {
        return Err(RefError::Malformed(text.to_string()));
    }
    Ok((kind, namespace, name))
}

/// Prints `kind:namespace/name` with kind and namespace lowercased and the
/// name as written (use `key()` for the fully lowercased form).
impl fmt::Display for EntityRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}/{}",
            self.kind.to_lowercase(),
            self.namespace.to_lowercase(),
            self.name
        )
    }
}

/// Parses a full ref: the kind is required, the namespace defaults to
/// `default`.
impl FromStr for EntityRef {
    type Err = RefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EntityRef::parse(text, None, DEFAULT_NAMESPACE)
    }
}

impl PartialEq for EntityRef {
    fn eq(&self, other: &Self) -> bool {
        self.kind.to_lowercase() == other.kind.to_lowercase()
            && self.namespace.to_lowercase() == other.namespace.to_lowercase()
            && self.name.to_lowercase() == other.name.to_lowercase()
    }
}

impl Eq for EntityRef {}

impl Hash for EntityRef {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key().hash(state);
    }
}

impl PartialOrd for EntityRef {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for EntityRef {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, kind: Option<&str>) -> Result<EntityRef, RefError> {
        EntityRef::parse(text, kind, "default")
    }

    #[test]
    fn parses_all_three_parts() {
        let r = parse("Component:Prod/My-Service", None).unwrap();
        assert_eq!(r.kind, "Component");
        assert_eq!(r.namespace, "Prod");
        assert_eq!(r.name, "My-Service");
    }

    #[test]
    fn fills_default_kind_and_namespace() {
        let r = EntityRef::parse("team-a", Some("Group"), "ops").unwrap();
        assert_eq!((r.kind.as_str(), r.namespace.as_str()), ("Group", "ops"));
        let r = EntityRef::parse("other/team-a", Some("Group"), "ops").unwrap();
        assert_eq!(r.namespace, "other");
        let r = EntityRef::parse("user:jdoe", Some("Group"), "ops").unwrap();
        assert_eq!((r.kind.as_str(), r.namespace.as_str()), ("user", "ops"));
    }

    #[test]
    fn empty_default_namespace_means_default() {
        let r = EntityRef::parse("x", Some("api"), "").unwrap();
        assert_eq!(r.namespace, "default");
    }

    #[test]
    fn slash_before_colon_keeps_colon_in_name() {
        let r = parse("ns/a:b", Some("api")).unwrap();
        assert_eq!((r.namespace.as_str(), r.name.as_str()), ("ns", "a:b"));
        let r = parse("k:ns/a:b", None).unwrap();
        assert_eq!((r.kind.as_str(), r.name.as_str()), ("k", "a:b"));
    }

    #[test]
    fn rejects_empty_parts() {
        for bad in ["", ":x", "k:", "k:/x", "/x", "k:ns/", "ns/"] {
            assert!(
                matches!(parse(bad, Some("api")), Err(RefError::Malformed(_))),
                "{bad:?} should be malformed"
            );
        }
    }

    #[test]
    fn missing_kind_without_default_is_an_error() {
        let err = parse("ns/db", None).unwrap_err();
        assert_eq!(err, RefError::MissingKind("ns/db".into()));
        assert!(err.to_string().contains("\"component:ns/db\""), "{err}");
    }

    #[test]
    fn display_lowercases_kind_and_namespace_only() {
        let r = EntityRef::new("Component", "Prod", "My-Service");
        assert_eq!(r.to_string(), "component:prod/My-Service");
        assert_eq!(r.key(), "component:prod/my-service");
    }

    #[test]
    fn comparison_ignores_case() {
        let a = EntityRef::new("Group", "Default", "Team-A");
        let b = EntityRef::new("group", "default", "team-a");
        assert_eq!(a, b);
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_ne!(b, EntityRef::new("user", "default", "team-a"));
        assert_ne!(b, EntityRef::new("group", "other", "team-a"));
    }

    #[test]
    fn from_str_requires_kind() {
        let r: EntityRef = "api:petstore".parse().unwrap();
        assert_eq!(r, EntityRef::new("API", "default", "petstore"));
        assert!("petstore".parse::<EntityRef>().is_err());
    }
}
