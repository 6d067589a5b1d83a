//! The kinds Portico knows, with the spec fields each requires and the entity
//! references each holds. One table drives validation and relations, so the
//! two never disagree.

use std::fmt;

/// A kind of entity the catalog accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Component,
    Api,
    Resource,
    System,
    Domain,
    Group,
    User,
    Location,
    Template,
    /// Portico's own kind: the spec an application is rendered from.
    Application,
}

const BACKSTAGE_VERSIONS: &[&str] = &["backstage.io/v1alpha1", "backstage.io/v1beta1"];

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Component,
        Kind::Api,
        Kind::Resource,
        Kind::System,
        Kind::Domain,
        Kind::Group,
        Kind::User,
        Kind::Location,
        Kind::Template,
        Kind::Application,
    ];

    /// The kind as written in `kind:` (Backstage's spelling).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Component => "Component",
            Kind::Api => "API",
            Kind::Resource => "Resource",
            Kind::System => "System",
            Kind::Domain => "Domain",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Location => "Location",
            Kind::Template => "Template",
            Kind::Application => "Application",
        }
    }

    /// Exact match, as Backstage's kind schemas do (`kind: component` is
    /// rejected in an entity, though refs may use any case).
    pub fn parse(kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// Case-insensitive match, for the kind part of entity refs.
    pub fn parse_ignore_case(kind: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(kind))
    }

    /// The `apiVersion` values accepted for this kind.
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            Kind::Template => &["scaffolder.backstage.io/v1beta3"],
            Kind::Application => &["platform.company.com/v1"],
            _ => BACKSTAGE_VERSIONS,
        }
    }

    pub(crate) fn spec_fields(self) -> &'static [SpecField] {
        match self {
            Kind::Component => COMPONENT_FIELDS,
            Kind::Api => API_FIELDS,
            Kind::Resource => RESOURCE_FIELDS,
            Kind::System => SYSTEM_FIELDS,
            Kind::Domain => DOMAIN_FIELDS,
            Kind::Group => GROUP_FIELDS,
            Kind::User => USER_FIELDS,
            Kind::Location => LOCATION_FIELDS,
            Kind::Template => TEMPLATE_FIELDS,
            Kind::Application => APPLICATION_FIELDS,
        }
    }

    pub(crate) fn ref_fields(self) -> &'static [RefField] {
        match self {
            Kind::Component => COMPONENT_REFS,
            Kind::Api => API_REFS,
            Kind::Resource => RESOURCE_REFS,
            Kind::System => SYSTEM_REFS,
            Kind::Domain => DOMAIN_REFS,
            Kind::Group => GROUP_REFS,
            Kind::User => USER_REFS,
            Kind::Template => TEMPLATE_REFS,
            Kind::Application => APPLICATION_REFS,
            Kind::Location => &[],
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON shape a spec field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A non-empty string.
    Text,
    /// A list of non-empty strings.
    TextList,
    /// An object.
    Object,
    /// An object or a list of objects (Template parameters).
    ObjectOrList,
    /// A list of objects, each with a non-empty string `action`.
    Steps,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SpecField {
    pub name: &'static str,
    pub shape: Shape,
    pub required: bool,
}

const fn req(name: &'static str, shape: Shape) -> SpecField {
    SpecField {
        name,
        shape,
        required: true,
    }
}

const fn opt(name: &'static str, shape: Shape) -> SpecField {
    SpecField {
        name,
        shape,
        required: false,
    }
}

/// A spec field holding entity refs, and the relation pair it produces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefField {
    pub name: &'static str,
    /// `None`: the ref must carry its kind (Backstage's `dependsOn`).
    pub default_kind: Option<&'static str>,
    /// Relation from this entity to the target.
    pub outgoing: &'static str,
    /// Relation from the target back to this entity.
    pub incoming: &'static str,
}

const fn refs(
    name: &'static str,
    default_kind: Option<&'static str>,
    outgoing: &'static str,
    incoming: &'static str,
) -> RefField {
    RefField {
        name,
        default_kind,
        outgoing,
        incoming,
    }
}

use crate::relation::{
    API_CONSUMED_BY, API_PROVIDED_BY, CHILD_OF, CONSUMES_API, DEPENDENCY_OF, DEPENDS_ON,
    HAS_MEMBER, HAS_PART, MEMBER_OF, OWNED_BY, OWNER_OF, PARENT_OF, PART_OF, PROVIDES_API,
};
use Shape::{Object, ObjectOrList, Steps, Text, TextList};

// Field lists follow Backstage's kind JSON schemas (catalog-model
// src/schema/kinds/*.schema.json and scaffolder's Template.v1beta3).
const COMPONENT_FIELDS: &[SpecField] = &[
    req("type", Text),
    req("lifecycle", Text),
    req("owner", Text),
    opt("system", Text),
    opt("subcomponentOf", Text),
    opt("providesApis", TextList),
    opt("consumesApis", TextList),
    opt("dependsOn", TextList),
    opt("dependencyOf", TextList),
];
const API_FIELDS: &[SpecField] = &[
    req("type", Text),
    req("lifecycle", Text),
    req("owner", Text),
    req("definition", Text),
    opt("system", Text),
];
const RESOURCE_FIELDS: &[SpecField] = &[
    req("type", Text),
    req("owner", Text),
    opt("system", Text),
    opt("dependsOn", TextList),
    opt("dependencyOf", TextList),
];
const SYSTEM_FIELDS: &[SpecField] = &[req("owner", Text), opt("domain", Text)];
const DOMAIN_FIELDS: &[SpecField] = &[req("owner", Text), opt("subdomainOf", Text)];
const GROUP_FIELDS: &[SpecField] = &[
    req("type", Text),
    req("children", TextList),
    opt("profile", Object),
    opt("parent", Text),
    opt("members", TextList),
];
const USER_FIELDS: &[SpecField] = &[req("memberOf", TextList), opt("profile", Object)];
const LOCATION_FIELDS: &[SpecField] = &[
    opt("type", Text),
    opt("target", Text),
    opt("targets", TextList),
    opt("presence", Text),
];
const TEMPLATE_FIELDS: &[SpecField] = &[
    req("type", Text),
    req("steps", Steps),
    opt("owner", Text),
    opt("lifecycle", Text),
    opt("parameters", ObjectOrList),
    opt("output", Object),
];
/// Portico's Application: `language` is what the renderer needs first; the
/// rest of the spec belongs to the renderer and is not checked here.
const APPLICATION_FIELDS: &[SpecField] = &[
    req("language", Text),
    opt("owner", Text),
    opt("system", Text),
    opt("type", Text),
    opt("lifecycle", Text),
];

// Ref fields and relations follow Backstage's BuiltinKindsEntityProcessor.
const OWNER: RefField = refs("owner", Some("Group"), OWNED_BY, OWNER_OF);
const SYSTEM: RefField = refs("system", Some("System"), PART_OF, HAS_PART);
const DEPENDS: RefField = refs("dependsOn", None, DEPENDS_ON, DEPENDENCY_OF);
const DEPENDENCY: RefField = refs("dependencyOf", None, DEPENDENCY_OF, DEPENDS_ON);

const COMPONENT_REFS: &[RefField] = &[
    OWNER,
    refs("subcomponentOf", Some("Component"), PART_OF, HAS_PART),
    refs("providesApis", Some("API"), PROVIDES_API, API_PROVIDED_BY),
    refs("consumesApis", Some("API"), CONSUMES_API, API_CONSUMED_BY),
    DEPENDS,
    DEPENDENCY,
    SYSTEM,
];
const API_REFS: &[RefField] = &[OWNER, SYSTEM];
const RESOURCE_REFS: &[RefField] = &[OWNER, DEPENDS, DEPENDENCY, SYSTEM];
const SYSTEM_REFS: &[RefField] = &[OWNER, refs("domain", Some("Domain"), PART_OF, HAS_PART)];
const DOMAIN_REFS: &[RefField] = &[
    OWNER,
    refs("subdomainOf", Some("Domain"), PART_OF, HAS_PART),
];
const GROUP_REFS: &[RefField] = &[
    refs("parent", Some("Group"), CHILD_OF, PARENT_OF),
    refs("children", Some("Group"), PARENT_OF, CHILD_OF),
    refs("members", Some("User"), HAS_MEMBER, MEMBER_OF),
];
const USER_REFS: &[RefField] = &[refs("memberOf", Some("Group"), MEMBER_OF, HAS_MEMBER)];
/// As scaffolder's ScaffolderEntitiesProcessor: `owner` only.
const TEMPLATE_REFS: &[RefField] = &[OWNER];
/// Like a Component's; the link to the Component of the same name is added
/// in `relation`.
const APPLICATION_REFS: &[RefField] = &[OWNER, SYSTEM];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                Kind::parse_ignore_case(&kind.as_str().to_lowercase()),
                Some(kind)
            );
        }
    }

    #[test]
    fn exact_parse_is_case_sensitive() {
        assert_eq!(Kind::parse("component"), None);
        assert_eq!(Kind::parse("Api"), None);
        assert_eq!(Kind::parse("API"), Some(Kind::Api));
    }

    #[test]
    fn every_ref_field_is_a_declared_spec_field() {
        for kind in Kind::ALL {
            for r in kind.ref_fields() {
                let declared = kind.spec_fields().iter().find(|f| f.name == r.name);
                assert!(declared.is_some(), "{kind}: {} undeclared", r.name);
            }
        }
    }
}
