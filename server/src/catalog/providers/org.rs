//! The GitHub org provider: the organisations' teams become Group entities and their
//! members User entities, applied as one batch on the provider's location, so a team or
//! person gone from GitHub is gone from the catalog after the next run. A run that cannot
//! read everything (rate limit, an error) applies nothing: a partial read would remove
//! the teams it did not get to.

use super::{EntityProviders, Outcome};
use crate::catalog::import::records;
use crate::integrations::github_api::{ApiError, GithubApi, json};
use catalog::Entity;
use catalog::github::{Member, OrgConfig, Organization, Team, org_entities};
use serde_json::json;
use store::{LocationRecord, Store};

#[derive(serde::Serialize, serde::Deserialize)]
struct Login {
    login: String,
}

pub(super) async fn run(providers: &EntityProviders, store: &Store, config: &OrgConfig) -> Outcome {
    let api = match providers.api(store, &config.host, config.schedule) {
        Ok(api) => api,
        Err(failed) => return failed,
    };
    let mut orgs = Vec::new();
    for org in &config.orgs {
        match read_org(&api, org).await {
            Ok(read) => orgs.push(read),
            Err(error) => {
                let error = match error {
                    ApiError::NotFound => format!(
                        "GitHub has no organisation {org} on {} (or the token cannot see it); \
                         nothing was changed",
                        config.host
                    ),
                    other => {
                        format!("{org} could not be read whole, so nothing was changed: {other}")
                    }
                };
                return Outcome::failed(error, json!({ "api": api.report() }));
            }
        }
    }
    let (entities, problems) = org_entities(&orgs);
    let target = format!("https://{}/{}", config.host, config.orgs.join("+"));
    let location_ref = format!("{}:{target}", super::ORG);
    let entities: Vec<Entity> = entities
        .into_iter()
        .map(|mut entity| {
            let annotations = &mut entity.metadata.annotations;
            annotations.insert(
                "backstage.io/managed-by-location".into(),
                location_ref.clone(),
            );
            annotations.insert(
                "backstage.io/managed-by-origin-location".into(),
                location_ref.clone(),
            );
            entity
        })
        .collect();
    let applied = async {
        store
            .add_provider_location(super::ORG, &target, &config.id, chrono::Utc::now())
            .await?;
        let (records, relations) = records(&entities);
        let record = LocationRecord {
            location_type: super::ORG.into(),
            target: target.clone(),
        };
        store
            .apply_location_batch(&record, &records, &relations)
            .await
    }
    .await;
    let teams: usize = orgs.iter().map(|o| o.teams.len()).sum();
    let members: usize = orgs.iter().map(|o| o.members.len()).sum();
    let status = |written: usize, removed: usize, conflicts: usize| {
        json!({
            "teams": teams,
            "members": members,
            "entities": entities.len(),
            "written": written,
            "removed": removed,
            "conflicts": conflicts,
            "errors": problems.iter().map(|p| json!({"error": p})).collect::<Vec<_>>(),
            "api": api.report(),
        })
    };
    match applied {
        Ok(outcome) => Outcome {
            error: None,
            status: status(outcome.written, outcome.removed, outcome.conflicts.len()),
        },
        Err(error) => Outcome::failed(
            format!("the teams and people cannot be written: {error}"),
            status(0, 0, 0),
        ),
    }
}

/// Everything the entities need from one organisation.
async fn read_org(api: &GithubApi, org: &str) -> Result<Organization, ApiError> {
    let teams: Vec<Team> = api
        .get_all(&format!("orgs/{org}/teams?per_page=100"), json)
        .await?;
    let logins: Vec<Login> = api
        .get_all(&format!("orgs/{org}/members?per_page=100"), json)
        .await?;
    let mut organization = Organization {
        login: org.to_string(),
        ..Organization::default()
    };
    for team in &teams {
        let members: Vec<Login> = api
            .get_all(
                &format!("orgs/{org}/teams/{}/members?per_page=100", team.slug),
                json,
            )
            .await?;
        organization.team_members.insert(
            team.slug.clone(),
            members.into_iter().map(|m| m.login).collect(),
        );
    }
    for login in &logins {
        let (member, _) = api
            .get_kept(&api.url(&format!("users/{}", login.login)), json::<Member>)
            .await?;
        organization.members.push(member);
    }
    organization.teams = teams;
    Ok(organization)
}
