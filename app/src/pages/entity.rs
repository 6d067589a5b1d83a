//! The page of one entity: about card, relations and the raw definition.

use crate::api::{EntityDetail, display_kind, entity_href, fetch_entity_detail, split_ref};
use crate::components::{ErrorPage, LoadError, OwnerLink};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EntityPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || {
        let p = params.read();
        (
            p.get("namespace").unwrap_or_default(),
            p.get("kind").unwrap_or_default(),
            p.get("name").unwrap_or_default(),
        )
    };
    let detail = Resource::new(key, |(namespace, kind, name)| {
        fetch_entity_detail(namespace, kind, name)
    });
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(Some(detail)) => view! { <EntityView detail/> }.into_any(),
                    Ok(None) => {
                        let (namespace, kind, name) = key();
                        let message = format!(
                            "The catalog has no {kind} named \"{name}\" in namespace \"{namespace}\". It may have been removed from its source, or the address is mistyped."
                        );
                        view! { <ErrorPage status=404 message/> }.into_any()
                    }
                    Err(error) => view! { <LoadError error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn EntityView(detail: EntityDetail) -> impl IntoView {
    let row = detail.row;
    let heading = row.title.clone().unwrap_or_else(|| row.name.clone());
    view! {
        <Title text=heading.clone()/>
        <p class="breadcrumb"><a href=format!("/catalog?kind={}", row.kind)>{display_kind(&row.kind)}</a></p>
        <h1>{heading}</h1>
        <section class="card" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <p>{row.description.clone().unwrap_or_else(|| "No description.".to_string())}</p>
            <dl class="facts">
                <dt>"Owner"</dt><dd><OwnerLink owner_ref=row.owner_ref.clone()/></dd>
                <dt>"Type"</dt><dd>{row.spec_type.clone().unwrap_or_default()}</dd>
                <dt>"Lifecycle"</dt><dd>{row.lifecycle.clone().unwrap_or_default()}</dd>
                <dt>"Namespace"</dt><dd>{row.namespace.clone()}</dd>
                <dt>"Tags"</dt>
                <dd>
                    <ul class="tags">{detail.tags.into_iter().map(|t| view! { <li>{t}</li> }).collect_view()}</ul>
                </dd>
            </dl>
            <Links links=detail.links/>
        </section>
        <section class="card" aria-labelledby="relations-heading">
            <h2 id="relations-heading">"Relations"</h2>
            {if detail.relations.is_empty() {
                view! { <p>"No relations."</p> }.into_any()
            } else {
                view! {
                    <ul class="relations">
                        {detail.relations.into_iter().map(|relation| {
                            let target = match split_ref(&relation.target_ref) {
                                Some((kind, namespace, name)) => view! {
                                    <a href=entity_href(namespace, kind, name)>{relation.target_ref.clone()}</a>
                                }.into_any(),
                                None => view! { <span>{relation.target_ref.clone()}</span> }.into_any(),
                            };
                            view! { <li><span class="relation-type">{relation.relation_type}</span>" "{target}</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <details class="card">
            <summary>"Definition (YAML)"</summary>
            <pre><code>{detail.yaml}</code></pre>
        </details>
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
                    view! { <li>{title}" ("{url}")"</li> }.into_any()
                }
            }).collect_view()}
        </ul>
    })
}

fn is_safe_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
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
}
