//! The catalog page: every entity, narrowed by kind, facets and full-text search, sorted
//! by a column and paged 50 at a time.
//!
//! The URL holds all of the state (`/catalog?kind=component&type=service&q=pay&sort=owner`),
//! so a view can be shared and the back button restores it. Without JavaScript the page is
//! a GET form and links; once hydrated, the same form and links navigate client-side and
//! the page's resource refetches.

use super::shared::{EntityRow, OwnerLink, display_kind, encode_query};
use crate::components::LoadError;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use serde::{Deserialize, Serialize};

/// Entities per page.
pub const PAGE_SIZE: i64 = 50;
/// Facet values listed per facet (selected values are always listed too); the server
/// sends no more.
#[cfg(feature = "ssr")]
const FACET_VALUES_SHOWN: usize = 25;

/// A facet: its URL parameter, its heading, and the store key it counts.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "ssr"), allow(dead_code))]
pub struct Facet {
    pub param: &'static str,
    pub label: &'static str,
    pub key: &'static str,
}

/// The facets the page offers, in the order it shows them. Owner counts the `ownedBy`
/// relation (the store's search keys are lowercased), whose targets are full refs, so
/// `team-a` and `group:default/team-a` agree.
pub const FACETS: [Facet; 6] = [
    Facet {
        param: "type",
        label: "Type",
        key: "spec.type",
    },
    Facet {
        param: "owner",
        label: "Owner",
        key: "relations.ownedby",
    },
    Facet {
        param: "lifecycle",
        label: "Lifecycle",
        key: "spec.lifecycle",
    },
    Facet {
        param: "tag",
        label: "Tags",
        key: "metadata.tags",
    },
    Facet {
        param: "namespace",
        label: "Namespace",
        key: "metadata.namespace",
    },
    Facet {
        param: "system",
        label: "System",
        key: "spec.system",
    },
];

/// A sortable column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortColumn {
    #[default]
    Name,
    Kind,
    Type,
    Owner,
    Lifecycle,
}

impl SortColumn {
    pub const ALL: [SortColumn; 5] = [
        SortColumn::Name,
        SortColumn::Kind,
        SortColumn::Type,
        SortColumn::Owner,
        SortColumn::Lifecycle,
    ];

    pub fn param(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Kind => "kind",
            SortColumn::Type => "type",
            SortColumn::Owner => "owner",
            SortColumn::Lifecycle => "lifecycle",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "Name",
            SortColumn::Kind => "Kind",
            SortColumn::Type => "Type",
            SortColumn::Owner => "Owner",
            SortColumn::Lifecycle => "Lifecycle",
        }
    }

    /// The store's order key.
    #[cfg_attr(not(feature = "ssr"), allow(dead_code))]
    pub fn key(self) -> &'static str {
        match self {
            SortColumn::Name => "metadata.name",
            SortColumn::Kind => "kind",
            SortColumn::Type => "spec.type",
            SortColumn::Owner => "spec.owner",
            SortColumn::Lifecycle => "spec.lifecycle",
        }
    }

    fn parse(text: &str) -> Option<SortColumn> {
        SortColumn::ALL.into_iter().find(|c| c.param() == text)
    }
}

/// What the catalog page shows, as read from (and written to) its URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogParams {
    /// Lowercased.
    pub kind: Option<String>,
    pub q: Option<String>,
    /// Selected values per facet parameter, in [`FACETS`] order; only facets with values.
    pub selected: Vec<(String, Vec<String>)>,
    pub sort: SortColumn,
    pub descending: bool,
    pub offset: i64,
}

impl CatalogParams {
    /// Reads the URL's query. Unknown or malformed parameters are ignored.
    pub fn from_query(query: &ParamsMap) -> CatalogParams {
        let text = |key: &str| {
            query
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let selected = FACETS
            .iter()
            .filter_map(|facet| {
                let mut values: Vec<String> = query
                    .get_all(facet.param)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                values.dedup();
                (!values.is_empty()).then(|| (facet.param.to_string(), values))
            })
            .collect();
        CatalogParams {
            kind: text("kind").map(|k| k.to_lowercase()),
            q: text("q"),
            selected,
            sort: text("sort")
                .and_then(|s| SortColumn::parse(&s))
                .unwrap_or_default(),
            descending: text("dir").as_deref() == Some("desc"),
            offset: text("offset")
                .and_then(|o| o.parse().ok())
                .unwrap_or(0)
                .max(0),
        }
    }

    pub fn selected(&self, param: &str) -> &[String] {
        self.selected
            .iter()
            .find(|(p, _)| p == param)
            .map(|(_, values)| values.as_slice())
            .unwrap_or_default()
    }

    fn is_selected(&self, param: &str, value: &str) -> bool {
        self.selected(param)
            .iter()
            .any(|v| v.eq_ignore_ascii_case(value))
    }

    /// The page's address for these parameters (defaults are left out).
    pub fn href(&self) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if let Some(kind) = &self.kind {
            pairs.push(("kind", kind.clone()));
        }
        if let Some(q) = &self.q {
            pairs.push(("q", q.clone()));
        }
        for (param, values) in &self.selected {
            for value in values {
                pairs.push((param.as_str(), value.clone()));
            }
        }
        if self.sort != SortColumn::Name {
            pairs.push(("sort", self.sort.param().to_string()));
        }
        if self.descending {
            pairs.push(("dir", "desc".to_string()));
        }
        if self.offset > 0 {
            pairs.push(("offset", self.offset.to_string()));
        }
        let query: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode_query(&v)))
            .collect();
        if query.is_empty() {
            "/catalog".to_string()
        } else {
            format!("/catalog?{}", query.join("&"))
        }
    }

    /// Sorted by `column`: ascending first, descending when it already was ascending.
    fn sorted_by(&self, column: SortColumn) -> CatalogParams {
        CatalogParams {
            sort: column,
            descending: self.sort == column && !self.descending,
            offset: 0,
            ..self.clone()
        }
    }

    fn at_offset(&self, offset: i64) -> CatalogParams {
        CatalogParams {
            offset: offset.max(0),
            ..self.clone()
        }
    }
}

/// One value of a facet with the number of entities that have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetGroup {
    pub param: String,
    pub label: String,
    /// The most common values (at most `FACET_VALUES_SHOWN`) and the selected ones.
    pub values: Vec<FacetValue>,
    /// How many less common values are not in `values`.
    pub more: usize,
}

/// One page of the catalog with the counts around it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogPageData {
    /// Entities matching the filters (all pages).
    pub total: i64,
    pub rows: Vec<EntityRow>,
    /// Kinds with counts under the other filters.
    pub kinds: Vec<FacetValue>,
    pub facets: Vec<FacetGroup>,
}

#[server(prefix = "/_server", input = leptos::server_fn::codec::Json)]
pub async fn fetch_catalog(params: CatalogParams) -> Result<CatalogPageData, AppError> {
    crate::identity::require(identity::Action::CatalogRead).await?;
    ssr::catalog_page(&params).await
}

#[component]
pub fn CatalogPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| CatalogParams::from_query(&query.read()));
    let data = Resource::new(move || params.get(), fetch_catalog);
    let navigate = use_navigate();
    // Typing in the search box replaces the current history entry, so one back press
    // returns to the view before the search rather than one letter earlier.
    let on_search = move |ev: leptos::ev::Event| {
        let q = event_target_value(&ev);
        let next = CatalogParams {
            q: Some(q.trim().to_string()).filter(|q| !q.is_empty()),
            offset: 0,
            ..params.get_untracked()
        };
        navigate(
            &next.href(),
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    };
    let initial_q = params.get_untracked().q.unwrap_or_default();
    view! {
        <Title text="Catalog"/>
        <div class="page-heading">
            <h1>"Catalog"</h1>
            <A href="/catalog/register" attr:class="button-link">"Register entities"</A>
        </div>
        <Form method="GET" action="/catalog" noscroll=true attr:class="catalog-filters" attr:role="search" attr:aria-label="Filter the catalog">
            <div class="catalog-search">
                <label for="catalog-q">"Search"</label>
                <input
                    id="catalog-q"
                    name="q"
                    type="search"
                    autocomplete="off"
                    placeholder="Name, title or description"
                    value=initial_q
                    prop:value=move || params.get().q.unwrap_or_default()
                    on:input=on_search
                />
                {move || {
                    let p = params.get();
                    view! {
                        {(p.sort != SortColumn::Name).then(|| view! { <input type="hidden" name="sort" value=p.sort.param()/> })}
                        {p.descending.then(|| view! { <input type="hidden" name="dir" value="desc"/> })}
                    }
                }}
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let p = params.get();
                    match data.await {
                        Ok(data) => view! { <Filters params=p.clone() data=data.clone()/> <Results params=p data/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Transition>
        </Form>
    }
}

/// Submits the form a changed control belongs to (after hydration: a client-side
/// navigation through the router's `Form`).
fn submit_own_form(ev: leptos::ev::Event) {
    use leptos::wasm_bindgen::JsCast;
    let form = ev
        .target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .and_then(|el| el.closest("form").ok().flatten())
        .and_then(|form| form.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
    if let Some(form) = form {
        let _ = form.request_submit();
    }
}

#[component]
fn Filters(params: CatalogParams, data: CatalogPageData) -> impl IntoView {
    let selected_kind = params.kind.clone().unwrap_or_default();
    let mut kinds = data.kinds.clone();
    if !selected_kind.is_empty() && !kinds.iter().any(|k| k.value == selected_kind) {
        kinds.push(FacetValue {
            value: selected_kind.clone(),
            label: display_kind(&selected_kind),
            count: 0,
        });
    }
    view! {
        <div class="catalog-facets">
            <div class="facet">
                <label for="catalog-kind">"Kind"</label>
                <select id="catalog-kind" name="kind" on:change=submit_own_form>
                    <option value="" selected=selected_kind.is_empty() prop:selected=selected_kind.is_empty()>"All kinds"</option>
                    {kinds.into_iter().map(|kind| {
                        let is_selected = kind.value == selected_kind;
                        let label = format!("{} ({})", kind.label, kind.count);
                        view! { <option value=kind.value selected=is_selected prop:selected=is_selected>{label}</option> }
                    }).collect_view()}
                </select>
            </div>
            {data.facets.into_iter().enumerate().map(|(index, group)| {
                let more = group.more;
                let mut values = group.values;
                for chosen in params.selected(&group.param) {
                    if !values.iter().any(|v| v.value.eq_ignore_ascii_case(chosen)) {
                        values.push(FacetValue { value: chosen.clone(), label: chosen.clone(), count: 0 });
                    }
                }
                let param = group.param.clone();
                let params = params.clone();
                view! {
                    <fieldset class="facet" data-facet=param.clone()>
                        <legend>{group.label}</legend>
                        {if values.is_empty() {
                            view! { <p class="empty">"None"</p> }.into_any()
                        } else {
                            view! {
                                <ul>
                                    {values.into_iter().enumerate().map(|(i, value)| {
                                        let id = format!("facet-{index}-{i}");
                                        let checked = params.is_selected(&param, &value.value);
                                        view! {
                                            <li>
                                                <input type="checkbox" id=id.clone() name=param.clone() value=value.value checked=checked prop:checked=checked on:change=submit_own_form/>
                                                <label for=id>{value.label}<span class="count">{value.count}</span></label>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                        {(more > 0).then(|| view! {
                            <p class="facet-more">{format!("and {more} more; search or pick a kind to narrow")}</p>
                        })}
                    </fieldset>
                }
            }).collect_view()}
            <div class="facet-actions">
                <button type="submit">"Apply filters"</button>
                <a href="/catalog">"Clear all"</a>
            </div>
        </div>
    }
}

#[component]
fn Results(params: CatalogParams, data: CatalogPageData) -> impl IntoView {
    let shown = data.rows.len() as i64;
    let first = if shown == 0 { 0 } else { params.offset + 1 };
    let last = params.offset + shown;
    let summary = if data.total == 1 {
        "1 entity".to_string()
    } else if shown == data.total {
        format!("{} entities", data.total)
    } else {
        format!("{first}–{last} of {} entities", data.total)
    };
    let previous = (params.offset > 0).then(|| params.at_offset(params.offset - PAGE_SIZE).href());
    let next = (last < data.total).then(|| params.at_offset(params.offset + PAGE_SIZE).href());
    view! {
        <section class="catalog-results" aria-labelledby="results-heading">
            <h2 id="results-heading" class="visually-hidden">"Results"</h2>
            <p class="result-count" role="status" data-testid="result-count">{summary}</p>
            {if data.rows.is_empty() {
                view! { <p class="empty">"No entities match. Remove a filter or try fewer words."</p> }.into_any()
            } else {
                view! { <CatalogTable params=params.clone() rows=data.rows/> }.into_any()
            }}
            {(previous.is_some() || next.is_some()).then(|| view! {
                <nav class="pager" aria-label="Pages">
                    {match previous {
                        Some(href) => view! { <a href=href rel="prev">"← Previous"</a> }.into_any(),
                        None => view! { <span aria-disabled="true">"← Previous"</span> }.into_any(),
                    }}
                    {match next {
                        Some(href) => view! { <a href=href rel="next">"Next →"</a> }.into_any(),
                        None => view! { <span aria-disabled="true">"Next →"</span> }.into_any(),
                    }}
                </nav>
            })}
        </section>
    }
}

#[component]
fn CatalogTable(params: CatalogParams, rows: Vec<EntityRow>) -> impl IntoView {
    view! {
        <table class="entity-table catalog-table">
            <caption class="visually-hidden">"Entities; column headers sort the table"</caption>
            <thead>
                <tr>
                    {SortColumn::ALL.into_iter().map(|column| {
                        let active = params.sort == column;
                        let aria_sort = active.then_some(if params.descending { "descending" } else { "ascending" });
                        let arrow = match (active, params.descending) {
                            (false, _) => "",
                            (true, false) => " ▲",
                            (true, true) => " ▼",
                        };
                        let href = params.sorted_by(column).href();
                        view! {
                            <th scope="col" aria-sort=aria_sort>
                                <a href=href>{column.label()}<span aria-hidden="true">{arrow}</span></a>
                            </th>
                        }
                    }).collect_view()}
                    <th scope="col">"Description"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    view! {
                        <tr>
                            <th scope="row"><a href=row.href()>{row.label()}</a></th>
                            <td>{display_kind(&row.kind)}</td>
                            <td>{row.spec_type.unwrap_or_default()}</td>
                            <td><OwnerLink owner_ref=row.owner_ref/></td>
                            <td>{row.lifecycle.unwrap_or_default()}</td>
                            <td class="description">{row.description.unwrap_or_default()}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::*;
    use crate::context::store;
    use crate::pages::catalog::shared::{short_ref, ssr::row};
    use std::collections::BTreeMap;
    use store::{EntityFilter, EntityQuery, OrderField, TextFilter};

    /// The filter for `params`, leaving out the facet `skip` (`"kind"` or a facet param):
    /// a facet's counts ignore its own selection, so its other values stay choosable.
    fn filter(params: &CatalogParams, skip: Option<&str>) -> Option<EntityFilter> {
        let mut all = Vec::new();
        if let Some(kind) = params.kind.as_ref().filter(|_| skip != Some("kind")) {
            all.push(EntityFilter::Equals {
                key: "kind".into(),
                values: vec![kind.clone()],
            });
        }
        for facet in FACETS.iter().filter(|f| skip != Some(f.param)) {
            let values = params.selected(facet.param);
            if !values.is_empty() {
                all.push(EntityFilter::Equals {
                    key: facet.key.into(),
                    values: values.to_vec(),
                });
            }
        }
        (!all.is_empty()).then_some(EntityFilter::AllOf(all))
    }

    fn text(params: &CatalogParams) -> Option<TextFilter> {
        params.q.as_ref().map(|term| TextFilter {
            term: term.clone(),
            keys: vec![
                "metadata.name".into(),
                "metadata.title".into(),
                "metadata.description".into(),
            ],
        })
    }

    /// The values a facet shows — the most common ones, and the selected ones wherever
    /// they rank — and how many it leaves out. Only these travel in the page's data (a
    /// catalog has hundreds of owners and systems).
    fn most_common<'a>(
        counts: &'a [store::FacetCount],
        selected: &[String],
    ) -> (Vec<&'a store::FacetCount>, usize) {
        let shown: Vec<&store::FacetCount> = counts
            .iter()
            .enumerate()
            .filter(|(rank, c)| {
                *rank < FACET_VALUES_SHOWN
                    || selected.iter().any(|s| s.eq_ignore_ascii_case(&c.value))
            })
            .map(|(_, c)| c)
            .collect();
        let more = counts.len() - shown.len();
        (shown, more)
    }

    /// How many entities a view selects, and the counts of every facet it shows.
    type Aggregates = (i64, BTreeMap<String, Vec<store::FacetCount>>);

    /// The [`Aggregates`] of the view `params` selects (its page and order aside), kept
    /// until the catalog changes: one read of the catalog version when they are cached,
    /// instead of one for the count and one for each facet query (round trips to
    /// PostgreSQL are most of a catalog page's time).
    async fn aggregates(
        store: &store::Store,
        params: &CatalogParams,
    ) -> Result<std::sync::Arc<Aggregates>, store::StoreError> {
        let view = CatalogParams {
            sort: SortColumn::default(),
            descending: false,
            offset: 0,
            ..params.clone()
        };
        store
            .cached(format!("catalog-aggregates|{view:?}"), || {
                compute_aggregates(store, params)
            })
            .await
    }

    /// [`aggregates`] computed: the count and each facet query are cached on their own
    /// too (`Store::count_entities`, `entity_facets_matching`), so views share them.
    async fn compute_aggregates(
        store: &store::Store,
        params: &CatalogParams,
    ) -> Result<Aggregates, store::StoreError> {
        let full = filter(params, None);
        let text = text(params);
        let total = store.count_entities(full.as_ref(), text.as_ref()).await?;
        // Facets without a selection share the full filter: one query for all of them.
        let mut unselected: Vec<String> = Vec::new();
        let mut separate: Vec<(&str, &str)> = Vec::new();
        if params.kind.is_none() {
            unselected.push("kind".into());
        } else {
            separate.push(("kind", "kind"));
        }
        for facet in &FACETS {
            if params.selected(facet.param).is_empty() {
                unselected.push(facet.key.into());
            } else {
                separate.push((facet.param, facet.key));
            }
        }
        let mut counts = store
            .entity_facets_matching(&unselected, full.as_ref(), text.as_ref())
            .await?;
        for (param, key) in separate {
            let own = store
                .entity_facets_matching(
                    &[key.to_string()],
                    filter(params, Some(param)).as_ref(),
                    text.as_ref(),
                )
                .await?;
            counts.extend(own);
        }
        Ok((total, counts))
    }

    /// Computes the aggregates of the catalog's landing views — every entity, and each
    /// kind's tab — into the store's caches, so that the first person to open them after a
    /// start or a catalog change does not wait for them (seconds at 100k entities).
    /// Returns how many views it computed.
    pub async fn warm_catalog_views(store: &store::Store) -> Result<usize, store::StoreError> {
        let all = CatalogParams::default();
        let aggregates_of_all = aggregates(store, &all).await?;
        let kinds = aggregates_of_all.1.get("kind").cloned().unwrap_or_default();
        for kind in &kinds {
            let tab = CatalogParams {
                kind: Some(kind.value.to_lowercase()),
                ..CatalogParams::default()
            };
            aggregates(store, &tab).await?;
        }
        Ok(1 + kinds.len())
    }

    pub async fn catalog_page(params: &CatalogParams) -> Result<CatalogPageData, AppError> {
        let store = store()?;
        let full = filter(params, None);
        let text = text(params);
        let query = EntityQuery {
            filter: full.clone(),
            text: text.clone(),
            order: vec![OrderField {
                key: params.sort.key().into(),
                descending: params.descending,
            }],
            offset: params.offset,
            limit: Some(PAGE_SIZE),
        };
        let entities = store.query_entity_summaries(&query).await?;
        // Read from the cached answer: only the values shown are copied.
        let aggregates = aggregates(&store, params).await?;
        let (total, counts) = aggregates.as_ref();
        let take = |key: &str| counts.get(key).map(Vec::as_slice).unwrap_or_default();
        let kinds = take("kind")
            .iter()
            .map(|c| FacetValue {
                label: display_kind(&c.value.to_lowercase()),
                value: c.value.to_lowercase(),
                count: c.count,
            })
            .collect();
        let facets = FACETS
            .iter()
            .map(|facet| {
                let (values, more) = most_common(take(facet.key), params.selected(facet.param));
                FacetGroup {
                    param: facet.param.into(),
                    label: facet.label.into(),
                    values: values
                        .into_iter()
                        .map(|c| FacetValue {
                            label: facet_label(facet, &c.value),
                            value: c.value.clone(),
                            count: c.count,
                        })
                        .collect(),
                    more,
                }
            })
            .collect();
        Ok(CatalogPageData {
            total: *total,
            rows: entities.into_iter().map(row).collect(),
            kinds,
            facets,
        })
    }

    /// Owners are refs (`group:default/team-a`); show the name, with the namespace when
    /// it is not the default one.
    fn facet_label(facet: &Facet, value: &str) -> String {
        if facet.param == "owner" {
            short_ref(value)
        } else {
            value.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_round_trip_through_the_url() {
        let mut map = ParamsMap::new();
        map.insert("kind", "Component".to_string());
        map.insert("q", " pay ".to_string());
        map.insert("type", "service".to_string());
        map.insert("type", "website".to_string());
        map.insert("owner", "group:default/team a".to_string());
        map.insert("sort", "owner".to_string());
        map.insert("dir", "desc".to_string());
        map.insert("offset", "50".to_string());
        let params = CatalogParams::from_query(&map);
        assert_eq!(params.kind.as_deref(), Some("component"));
        assert_eq!(params.q.as_deref(), Some("pay"));
        assert_eq!(params.selected("type"), ["service", "website"]);
        assert_eq!(params.sort, SortColumn::Owner);
        assert!(params.descending);
        assert_eq!(
            params.href(),
            "/catalog?kind=component&q=pay&type=service&type=website&owner=group:default/team+a&sort=owner&dir=desc&offset=50"
        );
        let resorted = params.sorted_by(SortColumn::Owner);
        assert!(!resorted.descending);
        assert_eq!(resorted.offset, 0);
    }

    #[test]
    fn malformed_parameters_fall_back_to_defaults() {
        let mut map = ParamsMap::new();
        map.insert("sort", "'; drop".to_string());
        map.insert("offset", "-5".to_string());
        let params = CatalogParams::from_query(&map);
        assert_eq!(params, CatalogParams::default());
        assert_eq!(params.href(), "/catalog");
    }
}
