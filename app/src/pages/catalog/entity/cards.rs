//! The cards of an entity's page: processing problems, about, relations, profile, API
//! definition and origin.

use super::{ApiDefinition, EntityPageData, LocationView, RelationView, UserProfile};
use crate::pages::catalog::shared::{display_kind, parse_ref, ref_href, short_ref, short_time};
use catalog::{OpenApiSummary, relation};
use leptos::prelude::*;

/// The last read of the entity's location failed, or another location defines it too:
/// said first, because the page may show an outdated version.
#[component]
pub(super) fn ProcessingErrors(location: LocationView) -> impl IntoView {
    view! {
        <section class="processing-errors" role="alert" aria-labelledby="errors-heading">
            <h2 id="errors-heading">"Processing problems"</h2>
            {location.last_error.map(|error| view! {
                <p>"The last read of "<code>{format!("{}:{}", location.location_type, location.target)}</code>
                   " failed; this page shows the last good version."</p>
                <pre class="error-text">{error}</pre>
            })}
            {(!location.conflicts.is_empty()).then(|| view! {
                <p>"Other locations also define this entity; their copies were refused:"</p>
                <ul>{location.conflicts.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
            })}
        </section>
    }
}

#[component]
pub(super) fn About(data: EntityPageData) -> impl IntoView {
    let row = data.row;
    let owner = data
        .relations
        .iter()
        .find(|r| r.relation_type == relation::OWNED_BY)
        .cloned();
    let find = |wanted: &Option<String>| {
        wanted.as_ref().map(|target| {
            data.relations
                .iter()
                .find(|r| &r.target_ref == target)
                .cloned()
                .unwrap_or(RelationView {
                    relation_type: String::new(),
                    target_ref: target.clone(),
                    resolved: false,
                    title: None,
                    spec_type: None,
                    description: None,
                })
        })
    };
    let system = find(&data.system_ref);
    let domain = find(&data.domain_ref);
    let fact = |label: &'static str, value: Option<String>| {
        value.map(|value| view! { <dt>{label}</dt><dd>{value}</dd> })
    };
    let ref_fact = |label: &'static str, target: Option<RelationView>| {
        target.map(|target| view! { <dt>{label}</dt><dd><RefLink target/></dd> })
    };
    view! {
        <section class="card about" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <p class="description">{row.description.clone().unwrap_or_else(|| "No description.".to_string())}</p>
            <dl class="facts">
                {ref_fact("Owner", owner.or_else(|| row.owner_ref.clone().map(|target_ref| RelationView {
                    relation_type: String::new(), target_ref, resolved: false, title: None, spec_type: None, description: None,
                })))}
                {ref_fact("System", system)}
                {ref_fact("Domain", domain)}
                {fact("Type", row.spec_type.clone())}
                {fact("Lifecycle", row.lifecycle.clone())}
                <dt>"Kind"</dt><dd>{display_kind(&row.kind)}</dd>
                <dt>"Namespace"</dt><dd>{row.namespace.clone()}</dd>
                {(!data.tags.is_empty()).then(|| view! {
                    <dt>"Tags"</dt>
                    <dd><ul class="tags">{data.tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul></dd>
                })}
                {(!data.labels.is_empty()).then(|| view! {
                    <dt>"Labels"</dt>
                    <dd><ul class="tags">{data.labels.into_iter().map(|(k, v)| view! { <li><code>{format!("{k}={v}")}</code></li> }).collect_view()}</ul></dd>
                })}
            </dl>
            <Links links=data.links/>
        </section>
    }
}

/// A link to an entity in the catalog, or its ref marked as not in the catalog.
#[component]
fn RefLink(target: RelationView) -> impl IntoView {
    let label = target
        .title
        .clone()
        .unwrap_or_else(|| short_ref(&target.target_ref));
    match parse_ref(&target.target_ref).filter(|_| target.resolved) {
        Some(entity_ref) => view! { <a href=ref_href(&entity_ref)>{label}</a> }.into_any(),
        None => view! {
            <span class="unresolved" title="Not in the catalog">{target.target_ref.clone()}<span class="badge">" not in the catalog"</span></span>
        }
        .into_any(),
    }
}

/// Links from the entity's metadata. Only http(s) and mailto links become anchors: anything
/// else (such as `javascript:`) is shown as text.
#[component]
fn Links(links: Vec<(String, String)>) -> impl IntoView {
    (!links.is_empty()).then(|| view! {
        <h3>"Links"</h3>
        <ul class="links">
            {links.into_iter().map(|(title, url)| {
                if is_safe_link(&url) {
                    view! { <li><a href=url rel="noopener noreferrer">{title}</a></li> }.into_any()
                } else {
                    view! { <li>{title}" ("<code>{url}</code>")"</li> }.into_any()
                }
            }).collect_view()}
        </ul>
    })
}

fn is_safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// How a relation type is read aloud; a group's and a user's relations get the names
/// the team pages use.
fn relation_heading(kind: &str, relation_type: &str) -> String {
    let text = match (kind, relation_type) {
        ("group", relation::HAS_MEMBER) => "Members",
        ("group", relation::CHILD_OF) => "Parent group",
        ("group", relation::PARENT_OF) => "Child groups",
        ("group" | "user", relation::OWNER_OF) => "Owned entities",
        ("user", relation::MEMBER_OF) => "Groups",
        (_, relation::OWNED_BY) => "Owned by",
        (_, relation::OWNER_OF) => "Owns",
        (_, relation::PART_OF) => "Part of",
        (_, relation::HAS_PART) => "Has part",
        (_, relation::DEPENDS_ON) => "Depends on",
        (_, relation::DEPENDENCY_OF) => "Dependency of",
        (_, relation::PROVIDES_API) => "Provides API",
        (_, relation::API_PROVIDED_BY) => "API provided by",
        (_, relation::CONSUMES_API) => "Consumes API",
        (_, relation::API_CONSUMED_BY) => "API consumed by",
        (_, relation::MEMBER_OF) => "Member of",
        (_, relation::HAS_MEMBER) => "Has member",
        (_, relation::CHILD_OF) => "Child of",
        (_, relation::PARENT_OF) => "Parent of",
        (_, relation::GENERATES) => "Generates",
        (_, relation::GENERATED_FROM) => "Generated from",
        (_, other) => other,
    };
    text.to_string()
}

#[component]
pub(super) fn Relations(kind: String, relations: Vec<RelationView>) -> impl IntoView {
    let mut groups: Vec<(String, Vec<RelationView>)> = Vec::new();
    for relation in relations {
        match groups
            .iter_mut()
            .find(|(t, _)| *t == relation.relation_type)
        {
            Some((_, list)) => list.push(relation),
            None => groups.push((relation.relation_type.clone(), vec![relation])),
        }
    }
    view! {
        <section class="card" aria-labelledby="relations-heading">
            <h2 id="relations-heading">"Relations"</h2>
            {if groups.is_empty() {
                view! { <p class="empty">"No relations."</p> }.into_any()
            } else {
                groups.into_iter().map(|(relation_type, list)| {
                    let heading = relation_heading(&kind, &relation_type);
                    view! {
                        <h3>{heading}" "<span class="relation-type">{relation_type}</span></h3>
                        <table class="entity-table relation-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Kind"</th>
                                    <th scope="col">"Type"</th>
                                    <th scope="col">"Description"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|relation| {
                                    let kind = parse_ref(&relation.target_ref).map(|r| display_kind(&r.kind)).unwrap_or_default();
                                    view! {
                                        <tr>
                                            <th scope="row"><RefLink target=relation.clone()/></th>
                                            <td>{kind}</td>
                                            <td>{relation.spec_type.unwrap_or_default()}</td>
                                            <td class="description">{relation.description.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                }).collect_view().into_any()
            }}
        </section>
    }
}

#[component]
pub(super) fn Profile(profile: UserProfile) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <dl class="facts">
                {profile.display_name.map(|name| view! { <dt>"Name"</dt><dd>{name}</dd> })}
                {profile.email.map(|email| {
                    let href = format!("mailto:{email}");
                    let anchor = is_plain_email(&email);
                    view! {
                        <dt>"Email"</dt>
                        <dd>{if anchor { view! { <a href=href>{email}</a> }.into_any() } else { view! { <span>{email}</span> }.into_any() }}</dd>
                    }
                })}
            </dl>
        </section>
    }
}

/// An address that is safe in a mailto link (no scheme tricks, no extra headers).
fn is_plain_email(email: &str) -> bool {
    email.contains('@')
        && !email
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '?' | '&' | ':' | '<' | '>' | '"' | '/'))
}

#[component]
pub(super) fn ApiDefinitionView(api: ApiDefinition) -> impl IntoView {
    match api {
        ApiDefinition::OpenApi { summary, source } => {
            let OpenApiSummary {
                title,
                version,
                operations,
            } = summary;
            let caption = match (title, version) {
                (Some(t), Some(v)) => format!("{t} {v}"),
                (Some(t), None) => t,
                (None, Some(v)) => format!("Version {v}"),
                (None, None) => "OpenAPI".to_string(),
            };
            view! {
                <section class="card" aria-labelledby="api-heading">
                    <h2 id="api-heading">"API definition"</h2>
                    {if operations.is_empty() {
                        view! { <p class="empty">"The OpenAPI document defines no operations."</p> }.into_any()
                    } else {
                        view! {
                            <table class="entity-table operations">
                                <caption>{caption}</caption>
                                <thead>
                                    <tr>
                                        <th scope="col">"Method"</th>
                                        <th scope="col">"Path"</th>
                                        <th scope="col">"Summary"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {operations.into_iter().map(|op| {
                                        let class = format!("method method-{}", op.method.to_lowercase());
                                        view! {
                                            <tr>
                                                <td><span class=class>{op.method}</span></td>
                                                <th scope="row"><code>{op.path}</code></th>
                                                <td>{op.summary}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any()
                    }}
                    <details>
                        <summary>"Show the OpenAPI document"</summary>
                        <pre><code>{source}</code></pre>
                    </details>
                </section>
            }
            .into_any()
        }
        ApiDefinition::Source {
            spec_type,
            source,
            note,
        } => view! {
            <section class="card" aria-labelledby="api-heading">
                <h2 id="api-heading">"API definition"<span class="relation-type">" "{spec_type}</span></h2>
                {note.map(|note| view! { <p class="note">{note}</p> })}
                <pre class="api-source"><code>{source}</code></pre>
            </section>
        }
        .into_any(),
    }
}

#[component]
pub(super) fn Origin(location: Option<LocationView>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="origin-heading">
            <h2 id="origin-heading">"Where it comes from"</h2>
            {match location {
                None => view! { <p class="empty">"No location: the entity was kept after its location stopped providing it, or was added directly."</p> }.into_any(),
                Some(location) => {
                    let status = match &location.last_error {
                        Some(_) => "Last read failed",
                        None if location.last_read_at.is_some() => "Read successfully",
                        None => "Imported",
                    };
                    view! {
                        <dl class="facts">
                            <dt>"Location type"</dt><dd>{location.location_type.clone()}</dd>
                            <dt>"Target"</dt><dd><code class="location-target">{location.target.clone()}</code></dd>
                            <dt>"Status"</dt><dd>{status}</dd>
                            {location.registered_by.clone().map(|who| {
                                let user = catalog::EntityRef::parse(&who, Some("user"), catalog::DEFAULT_NAMESPACE)
                                    .ok()
                                    .filter(|_| who.starts_with("user:"));
                                view! {
                                    <dt>"Registered by"</dt>
                                    <dd>{match user {
                                        Some(user) => {
                                            let href = crate::pages::catalog::shared::ref_href(&user);
                                            view! { <a href=href>{user.name.clone()}</a> }.into_any()
                                        }
                                        None => view! { <span>{who.clone()}</span> }.into_any(),
                                    }}</dd>
                                }
                            })}
                            {location.last_read_at.map(|at| view! { <dt>"Last read"</dt><dd><time datetime=at.clone()>{short_time(&at)}</time></dd> })}
                            {location.next_read_at.map(|at| view! { <dt>"Next read"</dt><dd><time datetime=at.clone()>{short_time(&at)}</time></dd> })}
                        </dl>
                    }.into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_web_and_mail_links_are_safe() {
        assert!(super::is_safe_link("https://example.com"));
        assert!(super::is_safe_link("mailto:team@example.com"));
        assert!(!super::is_safe_link("javascript:alert(1)"));
        assert!(!super::is_safe_link(" JavaScript:alert(1)"));
    }

    #[test]
    fn only_plain_addresses_become_mailto_links() {
        assert!(super::is_plain_email("ada@example.com"));
        assert!(!super::is_plain_email("ada@example.com?bcc=x@y"));
        assert!(!super::is_plain_email("javascript:alert(1)"));
    }
}
