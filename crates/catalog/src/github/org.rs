//! An organisation's teams and members as Group and User entities, named and annotated
//! as Backstage's GitHub org provider names them, so sign-in (`github.com/user-login`)
//! and ownership (`group:default/<team-slug>`) resolve the same way.

use crate::Entity;
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};
use std::collections::{BTreeMap, BTreeSet};

/// A team as `GET /orgs/{org}/teams` lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub parent: Option<TeamParent>,
    /// GitHub's REST API has no team avatars; GitHub Enterprise's GraphQL does, and a
    /// stand-in may send one.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamParent {
    pub slug: String,
}

/// A person as `GET /users/{login}` describes them; name and e-mail only where they
/// made them public (or the token may see them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub login: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub avatar_url: Option<String>,
}

/// What one run read of an organisation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Organization {
    pub login: String,
    pub teams: Vec<Team>,
    pub members: Vec<Member>,
    /// Team slug → the logins of its direct members.
    pub team_members: BTreeMap<String, Vec<String>>,
}

/// The Group and User entities of `orgs`, and a line for each team or person that
/// cannot be an entity (and is left out). With one organisation, teams are in the
/// default namespace; with several, each organisation's teams are in a namespace named
/// after it (as Backstage's multi-org provider does), so equal slugs do not collide.
/// People are in the default namespace, once however many organisations they are in.
pub fn org_entities(orgs: &[Organization]) -> (Vec<Entity>, Vec<String>) {
    let mut entities = Vec::new();
    let mut problems = Vec::new();
    let mut memberships: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut people: BTreeMap<&str, &Member> = BTreeMap::new();
    for org in orgs {
        let namespace = if orgs.len() == 1 {
            "default".to_string()
        } else {
            org.login.to_ascii_lowercase()
        };
        let group_ref = |slug: &str| {
            if namespace == "default" {
                format!("group:default/{slug}")
            } else {
                format!("group:{namespace}/{slug}")
            }
        };
        for member in &org.members {
            people.entry(member.login.as_str()).or_insert(member);
        }
        for team in &org.teams {
            let children: Vec<&str> = org
                .teams
                .iter()
                .filter(|t| t.parent.as_ref().is_some_and(|p| p.slug == team.slug))
                .map(|t| t.slug.as_str())
                .collect();
            let mut profile = Map::new();
            profile.insert("displayName".into(), json!(team.name));
            if let Some(picture) = &team.avatar_url {
                profile.insert("picture".into(), json!(picture));
            }
            let mut spec = json!({"type": "team", "profile": profile, "children": children});
            if let Some(parent) = &team.parent {
                spec["parent"] = json!(parent.slug);
            }
            let mut metadata = json!({
                "name": team.slug,
                "namespace": namespace,
                "annotations": {"github.com/team-slug": format!("{}/{}", org.login, team.slug)},
            });
            if let Some(description) = team.description.as_deref().filter(|d| !d.is_empty()) {
                metadata["description"] = json!(description);
            }
            let value = json!({
                "apiVersion": "backstage.io/v1alpha1",
                "kind": "Group",
                "metadata": metadata,
                "spec": spec,
            });
            match Entity::from_value(value) {
                Ok(entity) => entities.push(entity),
                Err(errors) => problems.push(format!(
                    "team {}/{}: {}",
                    org.login,
                    team.slug,
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )),
            }
            for login in org.team_members.get(&team.slug).into_iter().flatten() {
                memberships
                    .entry(login.as_str())
                    .or_default()
                    .insert(group_ref(&team.slug));
            }
        }
    }
    for (login, member) in people {
        let mut profile = Map::new();
        if let Some(name) = member.name.as_deref().filter(|n| !n.is_empty()) {
            profile.insert("displayName".into(), json!(name));
        }
        if let Some(email) = member.email.as_deref().filter(|e| !e.is_empty()) {
            profile.insert("email".into(), json!(email));
        }
        if let Some(picture) = &member.avatar_url {
            profile.insert("picture".into(), json!(picture));
        }
        let member_of: Vec<String> = memberships
            .remove(login)
            .map(|groups| groups.into_iter().collect())
            .unwrap_or_default();
        let value = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "User",
            "metadata": {
                "name": login,
                "annotations": {"github.com/user-login": login},
            },
            "spec": {"profile": profile, "memberOf": member_of},
        });
        match Entity::from_value(value) {
            Ok(entity) => entities.push(entity),
            Err(errors) => problems.push(format!(
                "member {login}: {}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
        }
    }
    (entities, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(slug: &str, parent: Option<&str>) -> Team {
        Team {
            slug: slug.into(),
            name: slug.to_uppercase(),
            description: Some(format!("The {slug} team")),
            parent: parent.map(|p| TeamParent { slug: p.into() }),
            avatar_url: None,
        }
    }

    fn member(login: &str) -> Member {
        Member {
            login: login.into(),
            name: Some(format!("{login} Doe")),
            email: None,
            avatar_url: Some(format!("https://avatars.example/{login}")),
        }
    }

    fn acme() -> Organization {
        Organization {
            login: "acme".into(),
            teams: vec![team("platform", None), team("payments", Some("platform"))],
            members: vec![member("ada"), member("bob")],
            team_members: BTreeMap::from([
                ("platform".into(), vec!["ada".into()]),
                ("payments".into(), vec!["ada".into(), "bob".into()]),
            ]),
        }
    }

    #[test]
    fn teams_become_groups_and_members_users_with_backstages_annotations() {
        let (entities, problems) = org_entities(&[acme()]);
        assert!(problems.is_empty(), "{problems:?}");
        let refs: Vec<String> = entities.iter().map(|e| e.entity_ref().key()).collect();
        assert_eq!(
            refs,
            [
                "group:default/platform",
                "group:default/payments",
                "user:default/ada",
                "user:default/bob"
            ]
        );
        let platform = entities[0].to_value();
        assert_eq!(platform["spec"]["children"], json!(["payments"]));
        assert_eq!(platform["spec"]["profile"]["displayName"], "PLATFORM");
        assert_eq!(platform["metadata"]["description"], "The platform team");
        assert_eq!(
            platform["metadata"]["annotations"]["github.com/team-slug"],
            "acme/platform"
        );
        assert_eq!(entities[1].to_value()["spec"]["parent"], "platform");
        let ada = entities[2].to_value();
        assert_eq!(
            ada["metadata"]["annotations"]["github.com/user-login"],
            "ada"
        );
        assert_eq!(
            ada["spec"]["memberOf"],
            json!(["group:default/payments", "group:default/platform"])
        );
        assert_eq!(ada["spec"]["profile"]["displayName"], "ada Doe");
        assert!(
            ada["spec"]["profile"].get("email").is_none(),
            "no e-mail when it is hidden"
        );
    }

    #[test]
    fn several_organisations_keep_their_teams_apart_and_people_once() {
        let mut other = acme();
        other.login = "Acme-Labs".into();
        let (entities, problems) = org_entities(&[acme(), other]);
        assert!(problems.is_empty(), "{problems:?}");
        let refs: Vec<String> = entities.iter().map(|e| e.entity_ref().key()).collect();
        assert!(
            refs.contains(&"group:acme/platform".to_string()),
            "{refs:?}"
        );
        assert!(
            refs.contains(&"group:acme-labs/platform".to_string()),
            "{refs:?}"
        );
        assert_eq!(
            refs.iter()
                .filter(|r| r.as_str() == "user:default/ada")
                .count(),
            1
        );
    }

    #[test]
    fn what_cannot_be_an_entity_is_left_out_and_said() {
        let mut org = acme();
        org.members.push(member("-bad-"));
        let (entities, problems) = org_entities(&[org]);
        assert_eq!(entities.len(), 4);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("member -bad-:"), "{problems:?}");
    }
}
