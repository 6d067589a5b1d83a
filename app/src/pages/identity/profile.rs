//! `/profile`: who one is to the portal — their catalog user, e-mail and teams — and their
//! API tokens: make one (shown once), see when each was last used, revoke it. Only a
//! person signed in with a session manages tokens: a token cannot make or revoke tokens.

use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{ref_href, short_time};
use crate::pages::identity::FormToken;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// One of the person's tokens, as the page lists it (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The token's first characters (`pt_3f9a2c1b`).
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: String,
    pub expires_at: String,
    pub last_used_at: Option<String>,
    /// `live`, `expired` or `revoked`.
    pub state: String,
}

/// What the profile page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub display_name: String,
    pub user_ref: Option<String>,
    pub email: Option<String>,
    pub teams: Vec<String>,
    /// How they signed in (`guest:…`, `oidc:okta:…`).
    pub subject: String,
    pub tokens: Vec<TokenView>,
}

/// A token just made, to show once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub name: String,
    pub token: String,
    pub expires_at: String,
}

#[server(prefix = "/_server")]
pub async fn fetch_profile() -> Result<Profile, AppError> {
    let person = ssr::session_person().await?;
    let store = crate::context::store()?;
    let now = chrono::Utc::now();
    let tokens = store
        .tokens_of(crate::identity::holder(&person))
        .await?
        .into_iter()
        .map(|row| {
            let state = match (row.revoked_at, row.expires_at <= now) {
                (Some(_), _) => "revoked",
                (None, true) => "expired",
                (None, false) => "live",
            };
            TokenView {
                id: row.id,
                name: row.name,
                prefix: row.prefix,
                scopes: row.scopes,
                created_at: row.created_at.to_rfc3339(),
                expires_at: row.expires_at.to_rfc3339(),
                last_used_at: row.last_used_at.map(|t| t.to_rfc3339()),
                state: state.into(),
            }
        })
        .collect();
    Ok(Profile {
        display_name: person.display_name,
        user_ref: person.user_ref,
        email: person.email,
        teams: person.groups,
        subject: person.subject,
        tokens,
    })
}

/// Makes a token. The scopes arrive as checkboxes (`read`, `catalog_write`,
/// `insights_events`: present when ticked), the life in days.
#[server(prefix = "/_server")]
pub async fn create_api_token(
    name: String,
    read: Option<String>,
    catalog_write: Option<String>,
    insights_events: Option<String>,
    days: u32,
) -> Result<CreatedToken, AppError> {
    let grant = crate::identity::require(identity::Action::TokenCreate).await?;
    let person = ssr::session_person().await?;
    let scopes: Vec<String> = [
        read.map(|_| identity::Scope::Read),
        catalog_write.map(|_| identity::Scope::CatalogWrite),
        insights_events.map(|_| identity::Scope::InsightsEvents),
    ]
    .into_iter()
    .flatten()
    .map(|scope| scope.name().to_string())
    .collect();
    let request = identity::TokenRequest::new(&name, &scopes, days).map_err(AppError::BadInput)?;
    let store = crate::context::store()?;
    let made = crate::identity::create_token(&store, &person, &request, chrono::Utc::now()).await;
    let target = match &made {
        Ok(made) => format!("API token \"{}\" ({})", made.row.name, made.row.prefix),
        Err(_) => format!("API token \"{}\"", request.name),
    };
    crate::identity::record(&grant, &target, &made).await;
    let made = made?;
    Ok(CreatedToken {
        name: made.row.name,
        token: made.token,
        expires_at: made.row.expires_at.to_rfc3339(),
    })
}

#[server(prefix = "/_server")]
pub async fn revoke_api_token(id: String) -> Result<(), AppError> {
    let grant = crate::identity::require(identity::Action::TokenRevoke).await?;
    let person = ssr::session_person().await?;
    let store = crate::context::store()?;
    let holder = crate::identity::holder(&person);
    let revoked = match store.revoke_token(holder, &id, chrono::Utc::now()).await {
        Ok(Some(row)) => Ok(format!("API token \"{}\" ({})", row.name, row.prefix)),
        Ok(None) => Err(AppError::NotFound(
            "You have no live token with that id; it may already be revoked.".into(),
        )),
        Err(error) => Err(AppError::from(error)),
    };
    let target = revoked.as_deref().unwrap_or("API token (not found)");
    crate::identity::record(&grant, target, &revoked).await;
    tracing::info!(%holder, %target, "API token revocation");
    let _ = revoked?;
    Ok(())
}

#[cfg(feature = "ssr")]
mod ssr {
    use crate::error::AppError;
    use identity::{Caller, Person};

    /// The person signed in with a session: tokens are managed by people, not by tokens.
    pub async fn session_person() -> Result<Person, AppError> {
        match crate::identity::caller().await? {
            Caller::Person(person) => Ok(person),
            Caller::Token { .. } => Err(AppError::NotAllowed(
                "API tokens cannot make or revoke tokens; sign in to the portal in a browser."
                    .into(),
            )),
            Caller::Anonymous => Err(AppError::SignInRequired(
                "Sign in to see your profile and API tokens.".into(),
            )),
        }
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let revoke = ServerAction::<RevokeApiToken>::new();
    let profile = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| fetch_profile(),
    );
    view! {
        <Title text="Your profile"/>
        <h1>"Your profile"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => view! { <ProfileView profile create revoke/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProfileView(
    profile: Profile,
    create: ServerAction<CreateApiToken>,
    revoke: ServerAction<RevokeApiToken>,
) -> impl IntoView {
    let user = profile.user_ref.clone().map(|user_ref| {
        let href = entity_href(&user_ref);
        view! { <dt>"Catalog user"</dt><dd><a href=href>{user_ref}</a></dd> }
    });
    let email = profile
        .email
        .clone()
        .map(|email| view! { <dt>"E-mail"</dt><dd>{email}</dd> });
    let teams = if profile.teams.is_empty() {
        view! { <dd>"None: you own things only as yourself."</dd> }.into_any()
    } else {
        profile
            .teams
            .iter()
            .map(|team| {
                let href = entity_href(team);
                view! { <dd><a href=href>{team.clone()}</a></dd> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="card" aria-labelledby="who-heading">
            <h2 id="who-heading">{profile.display_name.clone()}</h2>
            <dl class="facts">
                {user}
                {email}
                <dt>"Teams (with their parents)"</dt>
                {teams}
                <dt>"Signed in as"</dt><dd><code>{profile.subject.clone()}</code></dd>
            </dl>
            <form method="post" action="/auth/sign-out-everywhere" class="inline-form">
                <FormToken/>
                <button type="submit">"Sign out everywhere"</button>
                " ends your sessions in every browser."
            </form>
        </section>
        <section class="card" aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">"API tokens"</h2>
            <p>"A token lets a CI job or a script use the portal's API as you, within the scopes you give it: send it as "
                <code>"Authorization: Bearer pt_…"</code>". Backstage's "<code>"@backstage/catalog-client"</code>" takes it as its "<code>"token"</code>" option."</p>
            <NewTokenForm create/>
            <TokenTable tokens=profile.tokens revoke/>
        </section>
    }
}

#[component]
fn NewTokenForm(create: ServerAction<CreateApiToken>) -> impl IntoView {
    let outcome = move || {
        create.value().get().map(|result| match result {
            Ok(made) => view! {
                <div class="notice token-made" role="status">
                    <p>{format!("Token \"{}\" made. Copy it now: it is not shown again.", made.name)}</p>
                    <p><code class="token-secret">{made.token}</code></p>
                    <p class="hint">{format!("It expires {}.", short_time(&made.expires_at))}</p>
                </div>
            }
            .into_any(),
            Err(error) => view! { <p class="register-error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    view! {
        {outcome}
        <noscript><p class="hint">"Making a token needs JavaScript: the token is shown once, on this page."</p></noscript>
        <ActionForm action=create attr:class="token-form">
            <FormToken/>
            <div class="field">
                <label for="token-name">"Name"</label>
                <input id="token-name" name="name" required maxlength="64" placeholder="ci-deploy"/>
            </div>
            <fieldset class="field">
                <legend>"Scopes"</legend>
                <label><input type="checkbox" name="read" checked/>" read — the catalog, locations, rendering"</label>
                <label><input type="checkbox" name="catalog_write"/>" catalog.write — register, refresh, unregister, change locations (where you may)"</label>
                <label><input type="checkbox" name="insights_events"/>" insights.events — report deployments, incidents and changes from CI/CD (and nothing else)"</label>
            </fieldset>
            <div class="field">
                <label for="token-days">"Expires after"</label>
                <select id="token-days" name="days">
                    <option value="7">"7 days"</option>
                    <option value="30" selected>"30 days"</option>
                    <option value="90">"90 days"</option>
                    <option value="366">"a year"</option>
                </select>
            </div>
            <button type="submit">"Make token"</button>
        </ActionForm>
    }
}

#[component]
fn TokenTable(tokens: Vec<TokenView>, revoke: ServerAction<RevokeApiToken>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p>"You have no tokens."</p> }.into_any();
    }
    let failure =
        move || {
            revoke.value().get().and_then(|result| result.err()).map(
                |error| view! { <p class="register-error" role="alert">{error.to_string()}</p> },
            )
        };
    view! {
        {failure}
        <table class="entity-table tokens">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Token"</th>
                    <th scope="col">"Scopes"</th>
                    <th scope="col">"Made"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"State"</th>
                    <th scope="col"><span class="visually-hidden">"Revoke"</span></th>
                </tr>
            </thead>
            <tbody>
                {tokens.into_iter().map(|token| {
                    let live = token.state == "live";
                    let label = format!("Revoke {}", token.name);
                    view! {
                        <tr>
                            <th scope="row">{token.name.clone()}</th>
                            <td><code>{format!("{}…", token.prefix)}</code></td>
                            <td>{token.scopes.join(", ")}</td>
                            <td><time datetime=token.created_at.clone()>{short_time(&token.created_at)}</time></td>
                            <td><time datetime=token.expires_at.clone()>{short_time(&token.expires_at)}</time></td>
                            <td>{match token.last_used_at {
                                Some(at) => view! { <time datetime=at.clone()>{short_time(&at)}</time> }.into_any(),
                                None => view! { "never" }.into_any(),
                            }}</td>
                            <td>{token.state.clone()}</td>
                            <td>{live.then(|| view! {
                                <ActionForm action=revoke attr:class="inline-form">
                                    <FormToken/>
                                    <input type="hidden" name="id" value=token.id.clone()/>
                                    <button type="submit" aria-label=label>"Revoke"</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The entity page of `kind:namespace/name`.
fn entity_href(entity_ref: &str) -> String {
    match catalog::EntityRef::parse(entity_ref, None, catalog::DEFAULT_NAMESPACE) {
        Ok(r) => ref_href(&r),
        Err(_) => "/catalog".into(),
    }
}
