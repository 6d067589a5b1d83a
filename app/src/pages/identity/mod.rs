//! Who is signed in, and signing in: the header's account corner, and `/sign-in`, which
//! lists the ways to sign in — a link per identity provider (`/auth/{id}/start`, which
//! sends the browser on to the provider) and, with guest sign-in on (a portal on one's
//! own machine), every person of the catalog to pick from. Signing in and out are plain
//! links and form posts to the server's `/auth/…` routes, so all of it works without
//! JavaScript. Admins also find links to the admin pages there (`admin/`).

pub mod admin;

pub mod profile;

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{Deserialize, Serialize};

/// The signed-in person, as the header shows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub display_name: String,
    /// Their catalog User entity, if they have one.
    pub user_ref: Option<String>,
    /// Their teams (group refs), nearest first as the catalog lists them.
    pub teams: Vec<String>,
    /// May see the admin pages (`Action::AdminView`).
    #[serde(default)]
    pub admin: bool,
    /// What the portal's plain forms carry on this session ([`FormToken`]).
    #[serde(default)]
    pub form_token: String,
}

/// Who is signed in, fetched once per page for the header and the forms.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Result<Option<Viewer>, AppError>>);

impl ViewerResource {
    /// Fetches the viewer and puts it in context; called once, by the app.
    pub fn provide() {
        provide_context(ViewerResource(Resource::new(|| (), |_| fetch_viewer())));
    }
}

/// The hidden field every form that posts to the portal carries: the session's form
/// token, without which the server takes a form submitted while someone is signed in
/// for one made by another site (see the server's `identity/csrf.rs`). Nothing when
/// nobody is signed in. Used inside the pages' `<Suspense>` (every form is), which waits
/// for the viewer too; a `<Suspense>` of its own inside those breaks hydration.
#[component]
pub fn FormToken() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    move || {
        viewer.get().and_then(Result::ok).flatten().map(|viewer| {
            view! { <input type="hidden" name="form_token" value=viewer.form_token/> }
        })
    }
}

/// How one can sign in on this portal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInOptions {
    /// Guest sign-in: pick any person of the catalog.
    pub guest: bool,
    /// The identity providers, in the configured order.
    pub providers: Vec<ProviderChoice>,
}

/// An identity provider as the sign-in page offers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderChoice {
    /// `okta`: the link is `/auth/okta/start`.
    pub id: String,
    /// `Okta`: the link says "Sign in with Okta".
    pub title: String,
}

/// The people guest sign-in offers, and the other ways in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInPageData {
    pub options: SignInOptions,
    pub viewer: Option<Viewer>,
    /// `(user ref, display name, teams)` of every person, when guest sign-in is on.
    pub people: Vec<(String, String, String)>,
}

#[server(prefix = "/_server")]
pub async fn fetch_viewer() -> Result<Option<Viewer>, AppError> {
    Ok(ssr::viewer().await)
}

#[server(prefix = "/_server")]
pub async fn fetch_sign_in_page() -> Result<SignInPageData, AppError> {
    let options = ssr::options();
    let people = if options.guest {
        ssr::people().await?
    } else {
        Vec::new()
    };
    Ok(SignInPageData {
        viewer: ssr::viewer().await,
        options,
        people,
    })
}

/// The account corner of the header: who is signed in and a way out, or a way in.
#[component]
pub fn Account() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    let location = use_location();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(viewer)) => view! { <SignedIn viewer/> }.into_any(),
                    _ => {
                        // Back to wherever the visitor is when they click it.
                        let href = move || {
                            let here = location.pathname.get();
                            if here == "/sign-in" {
                                "/sign-in".to_string()
                            } else {
                                format!("/sign-in?return_to={}", crate::pages::catalog::shared::encode_query(&here))
                            }
                        };
                        view! { <a class="sign-in-link" href=href>"Sign in"</a> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedIn(viewer: Viewer) -> impl IntoView {
    let teams = viewer
        .teams
        .iter()
        .take(3)
        .map(|team| short_ref(team))
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <div class="account">
            <a class="account-name" href="/profile" title="Your profile and API tokens">{viewer.display_name}</a>
            {(!teams.is_empty()).then(|| view! { <span class="account-teams">{teams}</span> })}
            {viewer.admin.then(|| view! {
                <a class="account-admin" href="/admin/permissions">"Permissions"</a>
                <a class="account-admin" href="/admin/audit">"Audit log"</a>
            })}
            <form method="post" action="/auth/sign-out" class="inline-form">
                <FormToken/>
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </div>
    }
}

/// `group:default/payments` → `payments`.
fn short_ref(entity_ref: &str) -> String {
    entity_ref
        .rsplit_once('/')
        .map(|(_, name)| name)
        .unwrap_or(entity_ref)
        .to_string()
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| fetch_sign_in_page());
    let query = use_query_map();
    let return_to = move || query.read().get("return_to").unwrap_or_else(|| "/".into());
    view! {
        <Title text="Sign in"/>
        <h1>"Sign in"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <SignInChoices data return_to=return_to()/> }.into_any(),
                    Err(error) => view! { <crate::components::LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignInChoices(data: SignInPageData, return_to: String) -> impl IntoView {
    let signed_in = data.viewer.map(|viewer| {
        view! {
            <p class="notice">
                {format!("You are signed in as {}. ", viewer.display_name)}
                <a href="/">"Go to the portal"</a>
            </p>
            <form method="post" action="/auth/sign-out-everywhere" class="inline-form">
                <FormToken/>
                <button type="submit">"Sign out everywhere"</button>
                " ends your sessions in every browser."
            </form>
        }
    });
    let nothing = !data.options.guest && data.options.providers.is_empty();
    let providers = (!data.options.providers.is_empty()).then(|| {
        let return_to = crate::pages::catalog::shared::encode_query(&return_to);
        view! {
            <section aria-labelledby="providers-heading">
                <h2 id="providers-heading">"Sign in with your account"</h2>
                <ul class="provider-list">
                    {data.options.providers.iter().map(|provider| {
                        // `rel="external"`: a full page load (the server redirects to the
                        // provider), not a route of the hydrated router.
                        let href = format!("/auth/{}/start?return_to={return_to}", provider.id);
                        view! {
                            <li>
                                <a class="button-link" href=href rel="external">
                                    {format!("Sign in with {}", provider.title)}
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    let guest = data.options.guest.then(|| {
        let people = data.people.clone();
        view! {
            <section aria-labelledby="guest-heading">
                <h2 id="guest-heading">"Sign in as someone from the catalog"</h2>
                <p>"Guest sign-in is on: pick anyone to see the portal as they do. Nobody is asked for a password."</p>
                {if people.is_empty() {
                    view! { <p>"The catalog has no people yet. Register a User entity first."</p> }.into_any()
                } else {
                    view! {
                        <ul class="people-list">
                            {people.into_iter().map(|(user_ref, name, teams)| {
                                let return_to = return_to.clone();
                                view! {
                                    <li>
                                        <form method="post" action="/auth/guest">
                                            <FormToken/>
                                            <input type="hidden" name="user" value=user_ref/>
                                            <input type="hidden" name="return_to" value=return_to/>
                                            <button type="submit">{format!("Sign in as {name}")}</button>
                                            {(!teams.is_empty()).then(|| view! { <span class="account-teams">{teams}</span> })}
                                        </form>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        }
    });
    view! {
        {signed_in}
        {providers}
        {guest}
        {nothing.then(|| view! { <p>"No way to sign in is configured on this portal; ask its operators."</p> })}
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use std::sync::Arc;

    /// The signed-in person, if any (no permission needed to know who one is).
    pub async fn viewer() -> Option<Viewer> {
        let seam = use_context::<Arc<dyn identity::Authorize>>()?;
        let request = use_context::<http::request::Parts>()?;
        let person = seam.authenticate(&request).await.ok()?.person().cloned()?;
        let admin = seam
            .authorize(&request, identity::Action::AdminView)
            .await
            .is_ok();
        let form_token = seam.form_token(&request).await.unwrap_or_default();
        Some(Viewer {
            display_name: person.display_name,
            user_ref: person.user_ref,
            teams: person.groups,
            admin,
            form_token,
        })
    }

    pub fn options() -> SignInOptions {
        use_context::<SignInOptions>().unwrap_or_default()
    }

    /// Everyone guest sign-in can be, and the admin page's "who" field offers: every User
    /// entity (the first 500 by name), with their display name and teams.
    pub async fn people() -> Result<Vec<(String, String, String)>, AppError> {
        let store = crate::context::store()?;
        let query = store::EntityQuery {
            filter: Some(store::EntityFilter::Equals {
                key: "kind".into(),
                values: vec!["user".into()],
            }),
            order: vec![store::OrderField {
                key: "metadata.name".into(),
                descending: false,
            }],
            limit: Some(500),
            ..Default::default()
        };
        let users = store.query_entities(&query).await?;
        Ok(users
            .into_iter()
            .map(|user| {
                let text = |pointer: &str| {
                    user.body
                        .pointer(pointer)
                        .and_then(|v| v.as_str())
                        .filter(|v| !v.trim().is_empty())
                        .map(str::to_string)
                };
                let name = text("/spec/profile/displayName")
                    .or_else(|| text("/metadata/title"))
                    .or_else(|| text("/metadata/name"))
                    .unwrap_or_else(|| user.entity_ref.clone());
                let teams = user
                    .relations
                    .iter()
                    .filter(|r| r.relation_type == catalog::relation::MEMBER_OF)
                    .map(|r| short_ref(&r.target_ref))
                    .collect::<Vec<_>>()
                    .join(", ");
                (user.entity_ref, name, teams)
            })
            .collect())
    }
}
