//! `/admin/permissions`: the effective rules, and "may X do Y on Z, and why".

use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// One effective rule, as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    /// From 1, as verdicts name rules.
    pub number: usize,
    pub actions: String,
    pub kinds: String,
    pub allow: String,
    /// `default`, or `permissions.rules[i]` in portico.yaml.
    pub origin: String,
}

/// The answer to "may X do Y on Z".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub allowed: bool,
    pub reason: String,
    /// The deciding rule's number (from 1); `None` for admins and token scopes.
    pub rule: Option<usize>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionsPageData {
    pub admins: Vec<String>,
    pub anonymous_read: bool,
    pub rules: Vec<RuleRow>,
    /// Every action's stable name, for the form.
    pub actions: Vec<String>,
    /// `(user ref, display name)` of the catalog's people, offered in the "who" field.
    pub people: Vec<(String, String)>,
    pub answer: Option<Answer>,
}

/// The effective rules and, when `action` is given, the policy's answer for `who` doing
/// it to `target`.
#[server(prefix = "/_server")]
pub async fn fetch_permissions(
    who: Option<String>,
    action: Option<String>,
    target: Option<String>,
) -> Result<PermissionsPageData, AppError> {
    crate::identity::require(identity::Action::AdminView).await?;
    let desk = use_context::<std::sync::Arc<dyn super::AdminDesk>>()
        .ok_or_else(|| AppError::internal("no admin desk in context"))?;
    let policy = desk.policy().ok_or_else(|| {
        AppError::NotAllowed(
            "The portal refuses everything; it has no permission policy to show.".into(),
        )
    })?;
    let rules = policy
        .effective_rules()
        .iter()
        .enumerate()
        .map(|(index, rule)| RuleRow {
            number: index + 1,
            actions: rule.actions.to_string(),
            kinds: rule
                .kinds
                .as_ref()
                .map(|k| k.join(", "))
                .unwrap_or_default(),
            allow: rule
                .allow
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            origin: match rule.origin {
                identity::Origin::Default => "default".into(),
                origin => format!("portico.yaml {origin}"),
            },
        })
        .collect();
    let answer = match action.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(name) => {
            let action = identity::Action::ALL
                .into_iter()
                .find(|a| a.name() == name)
                .ok_or_else(|| AppError::BadInput(format!("{name:?} is not an action.")))?;
            let (caller, target) = desk
                .question(who.unwrap_or_default(), action, target.unwrap_or_default())
                .await?;
            let verdict = policy.decide(&caller, action, &target);
            Some(Answer {
                allowed: verdict.allowed,
                reason: verdict.reason,
                rule: verdict.rule.map(|index| index + 1),
            })
        }
    };
    let people = crate::pages::identity::ssr::people()
        .await?
        .into_iter()
        .map(|(user_ref, name, _)| (user_ref, name))
        .collect();
    Ok(PermissionsPageData {
        people,
        admins: policy.admins().to_vec(),
        anonymous_read: policy.anonymous_read(),
        rules,
        actions: identity::Action::ALL
            .iter()
            .map(|a| a.name().to_string())
            .collect(),
        answer,
    })
}

#[component]
pub fn PermissionsPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let data = Resource::new(
        move || (field("who"), field("action"), field("target")),
        |(who, action, target)| fetch_permissions(who, action, target),
    );
    view! {
        <Title text="Permissions"/>
        <p class="breadcrumb"><a href="/admin/audit">"Audit log"</a></p>
        <h1>"Permissions"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (who, action, target) = (field("who"), field("action"), field("target"));
                match data.await {
                    Ok(data) => view! { <Permissions data who action target/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Permissions(
    data: PermissionsPageData,
    who: Option<String>,
    action: Option<String>,
    target: Option<String>,
) -> impl IntoView {
    let admins = if data.admins.is_empty() {
        "none configured".to_string()
    } else {
        data.admins.join(", ")
    };
    let chosen = action.clone().unwrap_or_default();
    view! {
        <section class="card" aria-labelledby="ask-heading">
            <h2 id="ask-heading">"May someone do something?"</h2>
            <form method="get" action="/admin/permissions" class="filters">
                <label>"Who "
                    <input type="text" name="who" list="permission-people" value=who.unwrap_or_default() placeholder="user:default/ada.lovelace, or empty for anonymous"/>
                </label>
                <datalist id="permission-people">
                    {data.people.into_iter().map(|(user_ref, name)| view! {
                        <option value=user_ref>{name}</option>
                    }).collect_view()}
                </datalist>
                <label>"Action "
                    <select name="action">
                        {data.actions.into_iter().map(|name| {
                            let selected = name == chosen;
                            view! { <option value=name.clone() selected=selected>{name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"On "
                    <input type="text" name="target" value=target.unwrap_or_default() placeholder="component:default/checkout or url:https://…"/>
                </label>
                <button type="submit">"Ask"</button>
            </form>
            {data.answer.map(|answer| {
                let verdict = if answer.allowed { "Allowed" } else { "Refused" };
                let rule = answer.rule.map(|n| format!(" (rule {n})")).unwrap_or_default();
                view! {
                    <p class="notice answer" role="status">
                        <strong>{format!("{verdict}{rule}. ")}</strong>
                        {answer.reason}
                    </p>
                }
            })}
        </section>
        <h2>"Effective rules"</h2>
        <p>{format!("Admins (may do anything): {admins}. Anonymous reading: {}.", if data.anonymous_read { "on" } else { "off" })}
            " The first rule that names the action (and the entity's kind) decides."</p>
        <table class="entity-table rules-table">
            <thead>
                <tr><th scope="col">"#"</th><th scope="col">"Who may"</th><th scope="col">"Actions"</th><th scope="col">"Kinds"</th><th scope="col">"From"</th></tr>
            </thead>
            <tbody>
                {data.rules.into_iter().map(|rule| view! {
                    <tr>
                        <td>{rule.number}</td>
                        <td>{rule.allow}</td>
                        <td>{rule.actions}</td>
                        <td>{if rule.kinds.is_empty() { "every kind".to_string() } else { rule.kinds }}</td>
                        <td>{rule.origin}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
