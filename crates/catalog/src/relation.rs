//! Relations derived from an entity's spec, in both directions, as
//! Backstage's `BuiltinKindsEntityProcessor` emits them.

use serde::{Deserialize, Serialize};

use crate::entity::{Entity, EntityRelation};
use crate::entity_ref::EntityRef;
use crate::kind::Kind;

pub const OWNED_BY: &str = "ownedBy";
pub const OWNER_OF: &str = "ownerOf";
pub const PART_OF: &str = "partOf";
pub const HAS_PART: &str = "hasPart";
pub const DEPENDS_ON: &str = "dependsOn";
pub const DEPENDENCY_OF: &str = "dependencyOf";
pub const PROVIDES_API: &str = "providesApi";
pub const API_PROVIDED_BY: &str = "apiProvidedBy";
pub const CONSUMES_API: &str = "consumesApi";
pub const API_CONSUMED_BY: &str = "apiConsumedBy";
pub const MEMBER_OF: &str = "memberOf";
pub const HAS_MEMBER: &str = "hasMember";
pub const CHILD_OF: &str = "childOf";
pub const PARENT_OF: &str = "parentOf";
/// Portico only: an Application generates the Component of the same name
/// (the renderer turns the Application spec into that component's files).
/// Backstage has no such relation; a new pair keeps `dependsOn` and
/// `partOf` meaning what Backstage users expect.
pub const GENERATES: &str = "generates";
/// Portico only: the Component was generated from the Application of the
/// same name.
pub const GENERATED_FROM: &str = "generatedFrom";

/// A directed relation between two entities.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Relation {
    #[serde(rename = "type")]
    pub type_: String,
    pub source: EntityRef,
    pub target: EntityRef,
}

impl Relation {
    /// The form stored on the source entity's `relations`.
    pub fn to_entity_relation(&self) -> EntityRelation {
        EntityRelation {
            type_: self.type_.clone(),
            target_ref: self.target.to_string(),
        }
    }
}

/// All relations the entity's spec implies, each emitted in both directions
/// (`A ownedBy B` and `B ownerOf A`). Targets need not exist; refs that do
/// not parse are skipped (validation reports them).
pub fn relations(entity: &Entity) -> Vec<Relation> {
    let Some(kind) = entity.known_kind() else {
        return Vec::new();
    };
    let me = entity.entity_ref();
    let mut out = Vec::new();
    for field in kind.ref_fields() {
        for text in ref_texts(entity, field.name) {
            let parsed = EntityRef::parse(text, field.default_kind, &me.namespace);
            if let Ok(target) = parsed {
                push_pair(&mut out, &me, field.outgoing, field.incoming, target);
            }
        }
    }
    if kind == Kind::Application {
        application_relations(&me, &mut out);
    }
    out
}

/// An Application links to the Component of its own name.
fn application_relations(me: &EntityRef, out: &mut Vec<Relation>) {
    let component = EntityRef::new("Component", &me.namespace, &me.name);
    push_pair(out, me, GENERATES, GENERATED_FROM, component);
}

/// A ref field holds one string or a list of strings.
fn ref_texts<'a>(entity: &'a Entity, field: &str) -> Vec<&'a str> {
    match entity.spec_str(field) {
        Some(text) => vec![text],
        None => entity.spec_str_list(field),
    }
}

fn push_pair(
    out: &mut Vec<Relation>,
    me: &EntityRef,
    outgoing: &str,
    incoming: &str,
    target: EntityRef,
) {
    out.push(Relation {
        type_: outgoing.to_string(),
        source: me.clone(),
        target: target.clone(),
    });
    out.push(Relation {
        type_: incoming.to_string(),
        source: target,
        target: me.clone(),
    });
}

#[cfg(test)]
mod tests;
