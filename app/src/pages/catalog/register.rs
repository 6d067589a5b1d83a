//! Registering entities: paste catalog YAML or enter a URL, preview what would be
//! created or updated (with every validation problem at its line and column), then
//! confirm.
//!
//! A URL naming a GitHub repository without a `catalog-info.yaml` (or a file in it that
//! does not exist) gets a proposed Component instead: its YAML fills the paste box, with
//! a note on where each field came from, and the person edits it and previews it like
//! any pasted text. A repository that has the file is read from that file.
//!
//! Previewing posts the form: pasted text is stored as a draft and the browser is
//! redirected to `/catalog/register?draft=ID` (a URL is put in the query as it is), so
//! pasted YAML never travels in a URL, and reload and back work. The confirmation is a
//! POST that redirects to the result. Both work without JavaScript. Drafts, reading and
//! storing are the server's (its limits and ingestion code), reached through the
//! [`Registrar`] it puts in context.

use super::shared::{display_kind, parse_ref, ref_href};
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::identity::FormToken;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// What to register.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterSource {
    /// Catalog YAML (or JSON) pasted into the form.
    Yaml(String),
    /// A `url` location (http or https).
    Url(String),
}

/// One validation problem, at its place in the pasted text (or the file at the URL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterIssue {
    pub source: String,
    /// 1-based; 0 when the problem concerns the whole text.
    pub line: usize,
    pub column: usize,
    pub entity: Option<String>,
    pub path: Option<String>,
    pub message: String,
}

/// What registering would do to one entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    New,
    Updated,
    Unchanged,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewEntity {
    pub entity_ref: String,
    pub change: Change,
}

/// The outcome of a preview.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterPreview {
    pub entities: Vec<PreviewEntity>,
    pub issues: Vec<RegisterIssue>,
    /// A problem that is not about one place in the text (unreachable URL, …).
    pub problem: Option<String>,
    /// The draft's text, shown again in the form.
    pub yaml: Option<String>,
    /// The URL to register when it is not the one entered: the catalog file of the
    /// repository the entered URL named.
    pub url: Option<String>,
    /// A repository without a catalog file: the entity proposed for it (its YAML is
    /// `yaml`).
    pub proposal: Option<RegisterProposal>,
}

/// The Component proposed for a repository without a catalog file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisterProposal {
    /// `HOST/OWNER/REPO`.
    pub repository: String,
    /// Where each field came from, or that it needs the person's input.
    pub fields: Vec<catalog::generate::ProposedField>,
}

/// The server's side of registration (implemented with its ingestion code), for the
/// request at hand.
#[cfg(feature = "ssr")]
pub trait Registrar: Send + Sync {
    /// Keeps pasted text as a draft for its preview page and returns the draft's id; `Err`
    /// (`User`) when the text is too large or the portal keeps too many drafts.
    fn save_draft(&self, yaml: String) -> RegistrarFuture<'_, String>;
    /// The text of a draft; `Err` (`User`) when it is gone.
    fn draft(&self, id: String) -> RegistrarFuture<'_, String>;
    /// What `source` provides, validated, with each entity's etag, or the entity proposed
    /// for a repository without a catalog file; nothing is written.
    fn preview(&self, source: RegisterSource) -> RegistrarFuture<'_, RegisterPreviewRaw>;
    /// Registers `source` and reads it into the catalog, recording `registrant` (a User
    /// entity ref or a sign-in subject) as who registered it; returns the refs it provided.
    fn register(
        &self,
        source: RegisterSource,
        registrant: Option<String>,
    ) -> RegistrarFuture<'_, Vec<String>>;
}

/// A registrar's answer: `Err` carries validation problems or one message for the user.
#[cfg(feature = "ssr")]
pub type RegistrarFuture<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, RegistrarError>> + Send + 'a>>;

#[cfg(feature = "ssr")]
#[derive(Debug)]
pub enum RegistrarError {
    Invalid(Vec<RegisterIssue>),
    /// A problem with the input, safe to show.
    User(String),
    /// The portal's own failure; logged, not shown.
    Internal(String),
}

/// What a source provides, as the registrar found it.
#[cfg(feature = "ssr")]
#[derive(Debug, Default)]
pub struct RegisterPreviewRaw {
    /// The entities it would provide: (lowercased ref, etag).
    pub entities: Vec<(String, String)>,
    /// The catalog file read instead, when the URL named its repository.
    pub file_url: Option<String>,
    /// A repository without a catalog file: the proposed entity as YAML, and its fields.
    pub proposal: Option<(String, RegisterProposal)>,
}

/// Starts a preview: stores pasted text as a draft and redirects to its preview page.
#[server(prefix = "/_server")]
pub async fn start_preview(yaml: Option<String>, url: Option<String>) -> Result<(), AppError> {
    crate::identity::require(identity::Action::LocationAnalyze).await?;
    let target = match ssr::source(yaml, url) {
        Some(RegisterSource::Yaml(yaml)) => {
            let id = ssr::save_draft(yaml).await?;
            format!("/catalog/register?draft={id}")
        }
        Some(RegisterSource::Url(url)) => format!(
            "/catalog/register?url={}",
            crate::pages::catalog::shared::encode_query(&url)
        ),
        None => "/catalog/register".to_string(),
    };
    leptos_axum::redirect(&target);
    Ok(())
}

#[server(prefix = "/_server")]
pub async fn preview_registration(
    draft: Option<String>,
    url: Option<String>,
) -> Result<RegisterPreview, AppError> {
    crate::identity::require(identity::Action::LocationAnalyze).await?;
    let (source, yaml) = match ssr::stored_source(draft, url).await? {
        Ok(Some(source)) => source,
        Ok(None) => return Ok(RegisterPreview::default()),
        Err(problem) => {
            return Ok(RegisterPreview {
                problem: Some(problem),
                ..Default::default()
            });
        }
    };
    let mut preview = ssr::preview(source).await?;
    preview.yaml = yaml.or(preview.yaml);
    Ok(preview)
}

#[server(prefix = "/_server")]
pub async fn register_entities(
    draft: Option<String>,
    url: Option<String>,
) -> Result<Vec<String>, AppError> {
    let grant = crate::identity::require(identity::Action::LocationCreate).await?;
    let registrant = grant.caller.person().map(|person| {
        person
            .user_ref
            .clone()
            .unwrap_or_else(|| person.subject.clone())
    });
    let (source, _) = ssr::stored_source(draft, url)
        .await?
        .map_err(AppError::BadInput)?
        .ok_or_else(|| AppError::BadInput("Paste catalog YAML or enter a URL first.".into()))?;
    let location = match &source {
        RegisterSource::Url(url) => format!("url:{url}"),
        RegisterSource::Yaml(_) => "inline".to_string(),
    };
    let result = ssr::register(source, registrant).await;
    let target = match &result {
        Ok(refs) if location == "inline" && !refs.is_empty() => {
            let shown: Vec<&str> = refs.iter().take(10).map(String::as_str).collect();
            format!("inline: {}", shown.join(", "))
        }
        _ => location,
    };
    crate::identity::record(&grant, &target, &result).await;
    let refs = result?;
    let query: Vec<String> = refs
        .iter()
        .take(50)
        .map(|r| {
            format!(
                "registered={}",
                crate::pages::catalog::shared::encode_query(r)
            )
        })
        .collect();
    leptos_axum::redirect(&format!("/catalog/register?done=1&{}", query.join("&")));
    Ok(refs)
}

#[component]
pub fn RegisterPage() -> impl IntoView {
    let query = use_query_map();
    let text = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let draft = move || text("draft");
    let url = move || text("url");
    let preview = Resource::new(
        move || (draft(), url()),
        |(draft, url)| preview_registration(draft, url),
    );
    let registered = move || query.read().get_all("registered").unwrap_or_default();
    let done = move || query.read().get("done").is_some();
    let start = ServerAction::<StartPreview>::new();
    let register = ServerAction::<RegisterEntities>::new();
    view! {
        <Title text="Register entities"/>
        <p class="breadcrumb"><a href="/catalog">"Catalog"</a></p>
        <h1>"Register entities"</h1>
        {move || done().then(|| {
            let refs = registered();
            view! {
                <section class="card register-done" role="status" aria-labelledby="done-heading">
                    <h2 id="done-heading">{format!("Registered {} entities", refs.len())}</h2>
                    <ul>{refs.into_iter().map(|r| view! { <li><EntityRefLink entity_ref=r/></li> }).collect_view()}</ul>
                    <p><a href="/catalog">"Back to the catalog"</a></p>
                </section>
            }
        })}
        <p class="lead">"Paste Backstage catalog YAML (one or more documents), or enter the URL of a catalog-info.yaml file or of a GitHub repository (without a catalog file, the portal proposes an entity for it). Preview first: nothing is stored until you register."</p>
        <Transition fallback=|| view! { <p>"Checking…"</p> }>
            {move || Suspend::new(async move {
                let (draft, url) = (draft(), url());
                match preview.await {
                    Ok(preview) => {
                        // A proposal is registered as pasted text: the URL box stays
                        // empty, as the pasted text would win over it anyway.
                        let shown_url = if preview.proposal.is_some() {
                            None
                        } else {
                            preview.url.clone().or(url.clone())
                        };
                        let register_url = preview.url.clone().or(url);
                        view! {
                            {preview.proposal.clone().map(|proposal| view! { <ProposalView proposal/> })}
                            <SourceForm start yaml=preview.yaml.clone() url=shown_url/>
                            <PreviewView preview draft url=register_url register/>
                        }.into_any()
                    }
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The paste-or-URL form; it posts, so pasted text never ends up in a URL.
#[component]
fn SourceForm(
    start: ServerAction<StartPreview>,
    yaml: Option<String>,
    url: Option<String>,
) -> impl IntoView {
    let refused =
        move || {
            start.value().get().and_then(|result| result.err()).map(
                |error| view! { <p class="register-error" role="alert">{error.to_string()}</p> },
            )
        };
    view! {
        {refused}
        <ActionForm action=start attr:class="register-form">
            <FormToken/>
            <div class="field">
                <label for="register-yaml">"Catalog YAML"</label>
                <textarea id="register-yaml" name="yaml" rows="14" spellcheck="false" aria-describedby="register-yaml-hint">
                    {yaml.unwrap_or_default()}
                </textarea>
                <p id="register-yaml-hint" class="hint">"Documents separated by "<code>"---"</code>"."</p>
            </div>
            <p class="or">"or"</p>
            <div class="field">
                <label for="register-url">"URL"</label>
                <input id="register-url" name="url" type="url" placeholder="https://github.com/org/repo/blob/main/catalog-info.yaml"
                    aria-describedby="register-url-hint" value=url.unwrap_or_default()/>
                <p id="register-url-hint" class="hint">"A catalog file, or a GitHub repository such as https://github.com/org/repo."</p>
            </div>
            <button type="submit">"Preview"</button>
        </ActionForm>
    }
}

/// What the portal proposes for a repository without a catalog file, field by field.
#[component]
fn ProposalView(proposal: RegisterProposal) -> impl IntoView {
    use catalog::generate::FieldState;
    view! {
        <section class="card register-proposal" aria-labelledby="proposal-heading">
            <h2 id="proposal-heading">{format!("Proposed entity for {}", proposal.repository)}</h2>
            <p>
                "The repository has no catalog-info.yaml, so the portal proposes the Component in the "
                <a href="#register-yaml">"Catalog YAML"</a>
                " box below. Check each field, edit the YAML, then preview and register it (it is stored as pasted YAML). To keep it with the code instead, commit it to the repository as catalog-info.yaml and register that file's URL."
            </p>
            <dl class="proposal-fields">
                {proposal.fields.into_iter().map(|field| {
                    let (label, class) = match field.state {
                        FieldState::AnalysisSuggestedValue => ("suggested", "change change-new"),
                        FieldState::AnalysisSuggestedNoValue => ("no value found", "change change-unchanged"),
                        FieldState::NeedsUserInput => ("needs your input", "change change-updated"),
                    };
                    view! {
                        <dt>
                            <code>{field.field}</code>" "<span class=class>{label}</span>
                            {field.value.map(|value| view! { " "<code>{value}</code> })}
                        </dt>
                        <dd>{field.description}</dd>
                    }
                }).collect_view()}
            </dl>
        </section>
    }
}

#[component]
fn PreviewView(
    preview: RegisterPreview,
    draft: Option<String>,
    url: Option<String>,
    register: ServerAction<RegisterEntities>,
) -> impl IntoView {
    if preview.entities.is_empty() && preview.issues.is_empty() && preview.problem.is_none() {
        return ().into_any();
    }
    let can_register =
        preview.issues.is_empty() && preview.problem.is_none() && !preview.entities.is_empty();
    let failure =
        move || {
            register.value().get().and_then(|result| result.err()).map(
                |error| view! { <p class="register-error" role="alert">{error.to_string()}</p> },
            )
        };
    view! {
        <section class="card register-preview" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            {preview.problem.map(|problem| view! { <p class="register-error" role="alert">{problem}</p> })}
            {(!preview.issues.is_empty()).then(|| view! {
                <div class="register-issues" role="alert">
                    <h3>{format!("{} problems; nothing can be registered until they are fixed", preview.issues.len())}</h3>
                    <table class="entity-table">
                        <thead>
                            <tr>
                                <th scope="col">"Line:column"</th>
                                <th scope="col">"Entity"</th>
                                <th scope="col">"Field"</th>
                                <th scope="col">"Problem"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {preview.issues.into_iter().map(|issue| {
                                let at = if issue.line == 0 { "—".to_string() } else { format!("{}:{}", issue.line, issue.column) };
                                view! {
                                    <tr>
                                        <th scope="row" class="issue-place">{at}</th>
                                        <td>{issue.entity.unwrap_or_default()}</td>
                                        <td><code>{issue.path.unwrap_or_default()}</code></td>
                                        <td>{issue.message}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            {(!preview.entities.is_empty()).then(|| view! {
                <table class="entity-table register-entities">
                    <caption>"What registering would do"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Entity"</th>
                            <th scope="col">"Kind"</th>
                            <th scope="col">"Change"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {preview.entities.into_iter().map(|entity| {
                            let kind = parse_ref(&entity.entity_ref).map(|r| display_kind(&r.kind)).unwrap_or_default();
                            let (label, class) = match entity.change {
                                Change::New => ("new", "change change-new"),
                                Change::Updated => ("updated", "change change-updated"),
                                Change::Unchanged => ("unchanged", "change change-unchanged"),
                            };
                            view! {
                                <tr>
                                    <th scope="row"><code>{entity.entity_ref}</code></th>
                                    <td>{kind}</td>
                                    <td><span class=class>{label}</span></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            {can_register.then(|| view! {
                <ActionForm action=register attr:class="register-confirm">
                    <FormToken/>
                    {draft.map(|draft| view! { <input type="hidden" name="draft" value=draft/> })}
                    {url.map(|url| view! { <input type="hidden" name="url" value=url/> })}
                    <button type="submit">"Register"</button>
                </ActionForm>
            })}
            {failure}
        </section>
    }
    .into_any()
}

/// A link to the page of the entity `entity_ref` names, labelled with the ref.
#[component]
fn EntityRefLink(entity_ref: String) -> impl IntoView {
    match parse_ref(&entity_ref) {
        Some(parsed) => view! { <a href=ref_href(&parsed)>{entity_ref}</a> }.into_any(),
        None => view! { <span>{entity_ref}</span> }.into_any(),
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use std::sync::Arc;

    /// The pasted YAML wins over the URL when both are given.
    pub fn source(yaml: Option<String>, url: Option<String>) -> Option<RegisterSource> {
        match (
            yaml.filter(|y| !y.trim().is_empty()),
            url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()),
        ) {
            (Some(yaml), _) => Some(RegisterSource::Yaml(yaml)),
            (None, Some(url)) => Some(RegisterSource::Url(url)),
            (None, None) => None,
        }
    }

    /// What a draft id or a URL names, with the draft's text: `Err` (for the user) when
    /// the draft is gone, `None` when neither is given. A draft wins over a URL.
    pub async fn stored_source(
        draft: Option<String>,
        url: Option<String>,
    ) -> Result<Result<Option<(RegisterSource, Option<String>)>, String>, AppError> {
        let Some(id) = draft.filter(|d| !d.trim().is_empty()) else {
            return Ok(Ok(source(None, url).map(|source| (source, None))));
        };
        match registrar()?.draft(id.trim().to_string()).await {
            Ok(yaml) => Ok(Ok(Some((RegisterSource::Yaml(yaml.clone()), Some(yaml))))),
            Err(RegistrarError::User(problem)) => Ok(Err(problem)),
            Err(other) => Err(failure(other)),
        }
    }

    /// Stores pasted text as a draft; a refusal says why and what to do.
    pub async fn save_draft(yaml: String) -> Result<String, AppError> {
        registrar()?.save_draft(yaml).await.map_err(failure)
    }

    fn registrar() -> Result<Arc<dyn Registrar>, AppError> {
        use_context::<Arc<dyn Registrar>>()
            .ok_or_else(|| AppError::internal("no registrar in context"))
    }

    pub async fn preview(source: RegisterSource) -> Result<RegisterPreview, AppError> {
        let store = crate::context::store()?;
        let raw = match registrar()?.preview(source).await {
            Ok(found) => found,
            Err(RegistrarError::Invalid(issues)) => {
                return Ok(RegisterPreview {
                    issues,
                    ..Default::default()
                });
            }
            Err(RegistrarError::User(problem)) => {
                return Ok(RegisterPreview {
                    problem: Some(problem),
                    ..Default::default()
                });
            }
            Err(RegistrarError::Internal(error)) => return Err(AppError::internal(error)),
        };
        if let Some((yaml, proposal)) = raw.proposal {
            return Ok(RegisterPreview {
                yaml: Some(yaml),
                proposal: Some(proposal),
                ..Default::default()
            });
        }
        let found = raw.entities;
        let refs: Vec<String> = found.iter().map(|(r, _)| r.clone()).collect();
        let existing = store.entities_by_refs(&refs).await?;
        let entities = found
            .into_iter()
            .zip(existing)
            .map(|((entity_ref, etag), existing)| PreviewEntity {
                change: match existing {
                    None => Change::New,
                    Some(stored) if stored.etag == etag => Change::Unchanged,
                    Some(_) => Change::Updated,
                },
                entity_ref,
            })
            .collect();
        Ok(RegisterPreview {
            entities,
            url: raw.file_url,
            ..Default::default()
        })
    }

    pub async fn register(
        source: RegisterSource,
        registrant: Option<String>,
    ) -> Result<Vec<String>, AppError> {
        registrar()?
            .register(source, registrant)
            .await
            .map_err(failure)
    }

    fn failure(error: RegistrarError) -> AppError {
        match error {
            RegistrarError::Invalid(issues) => AppError::BadInput(format!(
                "{} problems in the catalog YAML; preview it to see where.",
                issues.len()
            )),
            RegistrarError::User(message) => AppError::BadInput(message),
            RegistrarError::Internal(error) => AppError::internal(error),
        }
    }
}
