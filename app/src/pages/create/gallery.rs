//! `/create`: the gallery of templates — Template entities from the catalog with their
//! title, description, tags, owner and type — searchable (`?q=`) and filtered by tag
//! (`?tag=`) and owner (`?owner=`) through a plain GET form and links. Golden paths
//! (tagged `recommended`) come first. A template with problems (an unknown action, a
//! schema that does not compile) is shown with them and cannot be chosen.

use super::wizard_href;
use crate::components::LoadError;
use crate::error::AppError;
use crate::pages::catalog::shared::{encode_query, short_ref};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

/// The tag that marks the portal's golden paths.
pub const RECOMMENDED: &str = "recommended";

/// Most templates the gallery reads.
#[cfg(feature = "ssr")]
const MAX_TEMPLATES: i64 = 1_000;

/// A template as the gallery (and the wizard's heading) shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateCard {
    pub entity_ref: String,
    pub namespace: String,
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    /// `spec.owner` as written.
    pub owner: Option<String>,
    pub template_type: Option<String>,
    /// Why it cannot run (`spec.steps[2].action: …`); empty when it can.
    pub problems: Vec<String>,
}

impl TemplateCard {
    pub fn recommended(&self) -> bool {
        self.tags.iter().any(|t| t == RECOMMENDED)
    }

    pub fn href(&self) -> String {
        wizard_href(&self.namespace, &self.name)
    }
}

/// What the gallery shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gallery {
    /// The templates that match, golden paths first, then by title.
    pub templates: Vec<TemplateCard>,
    /// How many templates there are in all.
    pub total: usize,
    /// Every tag and owner of the templates, for the filters.
    pub tags: Vec<String>,
    pub owners: Vec<String>,
}

/// The templates matching `q` (in the title, name, description or tags), `tag` and
/// `owner` (as written in `spec.owner`).
#[server(prefix = "/_server")]
pub async fn fetch_template_gallery(
    q: Option<String>,
    tag: Option<String>,
    owner: Option<String>,
) -> Result<Gallery, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    let filter = |text: Option<String>| {
        text.map(|t| t.trim().chars().take(200).collect::<String>())
            .filter(|t| !t.is_empty())
    };
    let all = ssr::templates().await?;
    Ok(ssr::gallery(all, filter(q), filter(tag), filter(owner)))
}

#[component]
pub fn CreatePage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.read().get(key).filter(|v| !v.trim().is_empty());
    let gallery = Resource::new(
        move || (param("q"), param("tag"), param("owner")),
        |(q, tag, owner)| fetch_template_gallery(q, tag, owner),
    );
    view! {
        <Title text="Create"/>
        <div class="page-heading">
            <h1>"Create a new service"</h1>
            <a class="button-link" href="/create/tasks">"My tasks"</a>
        </div>
        <p class="lead">"Start from a golden-path template: a repository with its pipeline, container, Kubernetes and Terraform files already right, registered in the catalog."</p>
        <p><a href="/create/application">"Describe an application spec and preview its delivery files →"</a></p>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (q, tag, owner) = (param("q"), param("tag"), param("owner"));
                match gallery.await {
                    Ok(gallery) => view! { <GalleryView gallery q tag owner/> }.into_any(),
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn GalleryView(
    gallery: Gallery,
    q: Option<String>,
    tag: Option<String>,
    owner: Option<String>,
) -> impl IntoView {
    if gallery.total == 0 {
        return view! {
            <p class="empty">"No templates are registered yet. Templates are Template entities (scaffolder.backstage.io/v1beta3) in the catalog; register one on the "<a href="/catalog/register">"register page"</a>"."</p>
        }
        .into_any();
    }
    let filtered = q.is_some() || tag.is_some() || owner.is_some();
    let shown = gallery.templates.len();
    let count = if filtered {
        format!("{shown} of {} templates match.", gallery.total)
    } else {
        format!("{} templates.", gallery.total)
    };
    view! {
        <form class="filters gallery-filters" method="get" action="/create" role="search" aria-label="Find a template">
            <label for="gallery-q">"Find"</label>
            <input id="gallery-q" name="q" type="search" value=q.unwrap_or_default() placeholder="Title, description or tag"/>
            <label for="gallery-tag">"Tag"</label>
            <select id="gallery-tag" name="tag">
                <option value="">"Any tag"</option>
                {gallery.tags.into_iter().map(|t| {
                    let selected = tag.as_deref() == Some(t.as_str());
                    view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                }).collect_view()}
            </select>
            <label for="gallery-owner">"Owner"</label>
            <select id="gallery-owner" name="owner">
                <option value="">"Any owner"</option>
                {gallery.owners.into_iter().map(|o| {
                    let selected = owner.as_deref() == Some(o.as_str());
                    view! { <option value=o.clone() selected=selected>{short_ref(&o)}</option> }
                }).collect_view()}
            </select>
            <button type="submit">"Search"</button>
            {filtered.then(|| view! { <a href="/create">"Show all"</a> })}
        </form>
        <p class="result-count" role="status">{count}</p>
        {if gallery.templates.is_empty() {
            view! { <p class="empty">"No template matches; try fewer words or another tag."</p> }.into_any()
        } else {
            view! {
                <ul class="template-gallery">
                    {gallery.templates.into_iter().map(|card| view! { <li><Card card/></li> }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
    .into_any()
}

#[component]
fn Card(card: TemplateCard) -> impl IntoView {
    let heading_id = format!("template-{}-{}", card.namespace, card.name);
    let labelled_by = heading_id.clone();
    let href = card.href();
    let recommended = card.recommended();
    let broken = !card.problems.is_empty();
    let class = if broken {
        "card template-card template-broken"
    } else {
        "card template-card"
    };
    view! {
        <article class=class aria-labelledby=labelled_by>
            <h2 id=heading_id>{card.title.clone()}</h2>
            <p class="template-meta">
                {recommended.then(|| view! { <span class="badge badge-recommended">"Golden path"</span> " " })}
                {card.template_type.clone().map(|t| view! { <span class="badge">{t}</span> " " })}
                {card.owner.clone().map(|o| {
                    let filter = format!("/create?owner={}", encode_query(&o));
                    view! { "Owner: " <a href=filter>{short_ref(&o)}</a> }
                })}
            </p>
            {card.description.clone().map(|d| view! { <p class="description">{d}</p> })}
            {(!card.tags.is_empty()).then(|| view! {
                <ul class="tags" aria-label="Tags">
                    {card.tags.iter().map(|t| {
                        let filter = format!("/create?tag={}", encode_query(t));
                        view! { <li><a href=filter>{t.clone()}</a></li> }
                    }).collect_view()}
                </ul>
            })}
            {if broken {
                view! {
                    <div class="template-problems" role="note">
                        <p><strong>"This template cannot run:"</strong></p>
                        <ul>{card.problems.into_iter().map(|p| view! { <li><code>{p}</code></li> }).collect_view()}</ul>
                        <p class="hint">"Ask its owner to fix it; the catalog shows where it comes from."</p>
                    </div>
                }.into_any()
            } else {
                view! {
                    <p><a class="button-link" href=href aria-label=format!("Choose {}", card.title)>"Choose"</a></p>
                }.into_any()
            }}
        </article>
    }
    .into_any()
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use scaffolder::template::Template;

    /// Every Template entity of the catalog (at most [`MAX_TEMPLATES`]), read and checked.
    pub async fn templates() -> Result<Vec<TemplateCard>, AppError> {
        let store = crate::context::store()?;
        let query = store::EntityQuery {
            filter: Some(store::EntityFilter::Equals {
                key: "kind".into(),
                values: vec!["template".into()],
            }),
            limit: Some(MAX_TEMPLATES),
            ..Default::default()
        };
        let entities = store.query_entities(&query).await?;
        Ok(entities
            .into_iter()
            .map(|stored| card(&stored.entity_ref, stored.body))
            .collect())
    }

    /// The card of a stored Template entity.
    pub fn card(entity_ref: &str, body: serde_json::Value) -> TemplateCard {
        let parsed = crate::pages::catalog::shared::parse_ref(entity_ref);
        let (namespace, name) = parsed
            .map(|r| (r.namespace, r.name))
            .unwrap_or_else(|| ("default".into(), entity_ref.to_string()));
        let entity: catalog::Entity = match serde_json::from_value(body) {
            Ok(entity) => entity,
            Err(error) => {
                return TemplateCard {
                    entity_ref: entity_ref.to_string(),
                    title: name.clone(),
                    namespace,
                    name,
                    description: None,
                    tags: Vec::new(),
                    owner: None,
                    template_type: None,
                    problems: vec![format!("the entity cannot be read: {error}")],
                };
            }
        };
        let (template, problems) = match Template::from_entity(&entity) {
            Ok(template) => (Some(template), Vec::new()),
            Err((template, problems)) => (template.map(|t| *t), problems),
        };
        let meta = &entity.metadata;
        TemplateCard {
            entity_ref: entity_ref.to_string(),
            namespace: meta.namespace.clone(),
            name: meta.name.clone(),
            title: meta.title.clone().unwrap_or_else(|| meta.name.clone()),
            description: meta.description.clone(),
            tags: meta.tags.clone(),
            owner: template.as_ref().and_then(|t| t.owner.clone()),
            template_type: template.as_ref().and_then(|t| t.template_type.clone()),
            problems: problems.iter().map(ToString::to_string).collect(),
        }
    }

    /// The gallery of `all` narrowed by the filters: golden paths first, then by title.
    pub fn gallery(
        all: Vec<TemplateCard>,
        q: Option<String>,
        tag: Option<String>,
        owner: Option<String>,
    ) -> Gallery {
        let total = all.len();
        let mut tags: Vec<String> = all.iter().flat_map(|c| c.tags.clone()).collect();
        tags.sort();
        tags.dedup();
        let mut owners: Vec<String> = all.iter().filter_map(|c| c.owner.clone()).collect();
        owners.sort();
        owners.dedup();
        let words: Vec<String> = q
            .map(|q| {
                q.to_lowercase()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let mut templates: Vec<TemplateCard> = all
            .into_iter()
            .filter(|card| {
                let text = format!(
                    "{} {} {} {}",
                    card.title,
                    card.name,
                    card.description.as_deref().unwrap_or_default(),
                    card.tags.join(" ")
                )
                .to_lowercase();
                words.iter().all(|w| text.contains(w.as_str()))
                    && tag
                        .as_ref()
                        .is_none_or(|tag| card.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)))
                    && owner.as_ref().is_none_or(|owner| {
                        card.owner
                            .as_ref()
                            .is_some_and(|o| o.eq_ignore_ascii_case(owner))
                    })
            })
            .collect();
        templates.sort_by(|a, b| {
            (!a.recommended(), a.title.to_lowercase(), &a.entity_ref).cmp(&(
                !b.recommended(),
                b.title.to_lowercase(),
                &b.entity_ref,
            ))
        });
        Gallery {
            templates,
            total,
            tags,
            owners,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn card(name: &str, tags: &[&str], owner: &str) -> TemplateCard {
            TemplateCard {
                entity_ref: format!("template:default/{name}"),
                namespace: "default".into(),
                name: name.into(),
                title: name.to_uppercase(),
                description: Some(format!("about {name}")),
                tags: tags.iter().map(|t| t.to_string()).collect(),
                owner: Some(owner.into()),
                template_type: None,
                problems: Vec::new(),
            }
        }

        #[test]
        fn golden_paths_come_first_and_filters_narrow() {
            let all = vec![
                card("alpha", &["python"], "group:default/a"),
                card("zulu", &["recommended", "rust"], "group:default/b"),
                card("beta", &["rust"], "group:default/a"),
            ];
            let names = |g: &Gallery| {
                g.templates
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
            };
            let everything = gallery(all.clone(), None, None, None);
            assert_eq!(names(&everything), ["zulu", "alpha", "beta"]);
            assert_eq!(everything.tags, ["python", "recommended", "rust"]);
            let rust = gallery(all.clone(), None, Some("rust".into()), None);
            assert_eq!(names(&rust), ["zulu", "beta"]);
            let owned = gallery(all.clone(), None, None, Some("group:default/a".into()));
            assert_eq!(names(&owned), ["alpha", "beta"]);
            let found = gallery(all, Some("ABOUT be".into()), None, None);
            assert_eq!(names(&found), ["beta"]);
            assert_eq!(found.total, 3);
        }
    }
}
