//! The catalog's pages as the server renders them (what a browser without JavaScript
//! gets), on every engine, against the demo catalog plus what each test adds.

use crate::support::{TestApp, TestPortal, each_engine, each_engine_with, strip_comments};
use reqwest::{Method, StatusCode};
use store::LocationRecord;

/// The names (labels) of the catalog table's rows, in order.
fn row_labels(html: &str) -> Vec<String> {
    let marker = "<th scope=\"row\"><a href=\"";
    html.match_indices(marker)
        .map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            let text = &rest[rest.find('>').unwrap() + 1..];
            text[..text.find("</a>").unwrap()].to_string()
        })
        .collect()
}

/// The count shown next to a facet value's label.
fn facet_count(html: &str, label: &str) -> Option<i64> {
    let needle = format!(">{label}<span class=\"count\">");
    let i = html.find(&needle)? + needle.len();
    html[i..i + html[i..].find('<')?].parse().ok()
}

fn components(prefix: &str, count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {prefix}-{i:03}\n\
                 spec:\n  type: batch\n  lifecycle: production\n  owner: bulk-team\n"
            )
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

#[tokio::test]
async fn a_facet_shows_its_most_common_values_and_the_selected_ones_and_counts_the_rest() {
    each_engine(async |app| {
        // 31 owners: "owner-top" owns two components, the others one each.
        let yaml = (0..32)
            .map(|i| {
                let owner = if i < 2 { "owner-top".to_string() } else { format!("owner-{i:02}") };
                format!(
                    "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: owned-{i:02}\n\
                     spec:\n  type: service\n  lifecycle: production\n  owner: {owner}\n"
                )
            })
            .collect::<Vec<_>>()
            .join("---\n");
        app.import_yaml("owners.yaml", &yaml).await;
        let (_, html) = app.page("/catalog?kind=component").await;
        assert_eq!(facet_count(&html, "owner-top"), Some(2), "{html}");
        assert!(
            html.contains("and 6 more; search or pick a kind to narrow"),
            "{html}"
        );
        let owners = html.matches("name=\"owner\"").count();
        assert_eq!(owners, 25, "only the most common owners are in the page");
        // The page's hydration data carries no more than the page shows.
        assert!(
            html.contains(r#"\"value\":\"group:default/owner-25\""#),
            "{html}"
        );
        assert!(!html.contains(r#"\"value\":\"group:default/owner-26\""#));

        // A selected owner is shown with its count wherever it ranks.
        let (_, html) = app.page("/catalog?kind=component&owner=group:default/owner-31").await;
        assert_eq!(facet_count(&html, "owner-31"), Some(1), "{html}");
        assert_eq!(row_labels(&html), ["owned-31"]);
    })
    .await;
}

#[tokio::test]
async fn catalog_shows_facets_with_counts_for_the_current_filter() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, html) = app.page("/catalog?kind=component").await;
        assert_eq!(status, StatusCode::OK);
        for heading in ["Type", "Owner", "Lifecycle", "Tags", "Namespace", "System"] {
            assert!(
                html.contains(&format!("<legend>{heading}</legend>")),
                "{heading}"
            );
        }
        assert_eq!(facet_count(&html, "service"), Some(5), "{html}");
        assert_eq!(facet_count(&html, "website"), Some(2));
        assert_eq!(facet_count(&html, "checkout-team"), Some(3));
        assert_eq!(facet_count(&html, "payments"), Some(1));
        assert!(
            html.contains("<option value=\"component\" selected"),
            "{html}"
        );
        assert!(html.contains("8 entities"));

        // Narrowing by type updates the other facets; the type facet keeps its own
        // other values (so more can be chosen), and the choice stays checked.
        let (_, html) = app.page("/catalog?kind=component&type=service").await;
        assert!(html.contains("5 entities"), "{html}");
        assert_eq!(facet_count(&html, "website"), Some(2));
        assert_eq!(facet_count(&html, "checkout-team"), Some(1));
        assert_eq!(facet_count(&html, "payments"), Some(1));
        assert!(
            html.contains("name=\"type\" value=\"service\" checked"),
            "{html}"
        );

        // Full-text search narrows the rows and the counts.
        let (_, html) = app.page("/catalog?q=indexer").await;
        assert_eq!(row_labels(&html), ["Search Indexer"]);
        assert_eq!(facet_count(&html, "catalog-team"), Some(1));
        assert_eq!(facet_count(&html, "checkout-team"), None);
    })
    .await;
}

#[tokio::test]
async fn catalog_filters_sorts_and_pages_through_the_url() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        app.import_yaml("bulk.yaml", &components("bulk", 60)).await;
        let (_, html) = app
            .page("/catalog?kind=component&owner=group:default/bulk-team")
            .await;
        let first = row_labels(&html);
        assert_eq!(first.len(), 50, "{html}");
        assert_eq!(first[0], "bulk-000");
        assert!(html.contains("1–50 of 60 entities"), "{html}");
        assert!(html.contains("rel=\"next\""));
        assert!(!html.contains("rel=\"prev\""));

        let (_, html) = app
            .page("/catalog?kind=component&owner=group:default/bulk-team&offset=50")
            .await;
        let second = row_labels(&html);
        assert_eq!(second.len(), 10);
        assert_eq!(second[0], "bulk-050");
        assert!(html.contains("51–60 of 60 entities"));
        assert!(html.contains("rel=\"prev\""));

        let (_, html) = app
            .page("/catalog?kind=component&owner=group:default/bulk-team&sort=name&dir=desc")
            .await;
        assert_eq!(row_labels(&html)[0], "bulk-059");
        assert!(html.contains("aria-sort=\"descending\""), "{html}");

        // Sort by lifecycle among the demo components: deprecated < experimental < production.
        let (_, html) = app
            .page("/catalog?kind=component&type=service&sort=lifecycle")
            .await;
        let labels = row_labels(&html);
        assert_eq!(
            labels.first().map(String::as_str),
            Some("Recommendations"),
            "{labels:?}"
        );
        assert!(html.contains("aria-sort=\"ascending\""));

        // A tag facet filters too.
        let (_, html) = app.page("/catalog?kind=api&tag=rest").await;
        assert_eq!(row_labels(&html).len(), 2, "{html}");
    })
    .await;
}

const HOSTILE: &str = r#"apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: hostile
  description: "<script>alert('x')</script> & <b>bold</b>"
  labels:
    tier: "gold"
  tags: [web]
  links:
    - url: "javascript:alert(1)"
      title: Click me
    - url: https://example.com/docs
      title: Docs
spec:
  type: service
  lifecycle: production
  owner: checkout-team
  system: storefront
  dependsOn: [component:missing-thing]
  providesApis: [checkout-api]
"#;

#[tokio::test]
async fn entity_page_shows_relations_graph_yaml_and_location_and_escapes_user_text() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        app.import_yaml("hostile.yaml", HOSTILE).await;
        let (status, html) = app.page("/catalog/default/component/hostile").await;
        assert_eq!(status, StatusCode::OK);
        // User text is escaped, never markup.
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(html.contains("&lt;script&gt;alert"), "{html}");
        assert!(!html.contains("<b>bold</b>"));
        // Only web and mail links are anchors.
        assert!(!html.contains("href=\"javascript:"), "{html}");
        assert!(html.contains("Click me"));
        assert!(html.contains("<a href=\"https://example.com/docs\""));
        // About card: owner and system link to their pages; labels and tags shown.
        assert!(html.contains("href=\"/catalog/default/group/checkout-team\""));
        assert!(html.contains("href=\"/catalog/default/system/storefront\""));
        assert!(html.contains("tier=gold"));
        // Relations grouped by type; the missing target is marked, not linked.
        assert!(html.contains("Depends on"));
        assert!(html.contains("Provides API"));
        assert!(html.contains("component:default/missing-thing"));
        assert!(html.contains("not in the catalog"));
        assert!(!html.contains("href=\"/catalog/default/component/missing-thing\""));
        // The graph: an SVG with the relations as labelled edges and linked nodes.
        let svg = &html[html.find("<svg").expect("svg graph")..html.find("</svg>").unwrap()];
        assert!(svg.contains("dependsOn"), "{svg}");
        assert!(
            svg.contains("<a href=\"/catalog/default/api/checkout-api\""),
            "{svg}"
        );
        assert!(svg.contains("unresolved"));
        // Raw YAML and origin.
        assert!(html.contains("Definition (YAML)"));
        assert!(html.contains("apiVersion: backstage.io/v1alpha1"));
        assert!(html.contains("hostile.yaml"));
        assert!(!html.contains("Processing problems"));

        let (status, _) = app.page("/catalog/default/component/nope").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn entity_page_puts_the_last_processing_error_first() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let now = chrono::Utc::now();
        let (location, _) = app
            .store
            .add_location("file", "/srv/catalog/broken.yaml", now)
            .await
            .unwrap();
        let record = LocationRecord {
            location_type: "file".into(),
            target: "/srv/catalog/broken.yaml".into(),
        };
        server::catalog::import::import_text(
            &app.store,
            &record,
            "broken.yaml",
            &components("kept", 1),
        )
        .await
        .unwrap();
        app.store
            .claim_location(
                &location.id,
                "test",
                now,
                std::time::Duration::from_secs(60),
            )
            .await
            .unwrap()
            .unwrap();
        let failed = store::ReadResult::Failed {
            error: "broken.yaml:3:7: metadata.name <must> match".into(),
        };
        app.store
            .finish_location_read(&location.id, "test", now, now, &failed)
            .await
            .unwrap();
        let (_, html) = app.page("/catalog/default/component/kept-000").await;
        let problems = html.find("Processing problems").expect("errors shown");
        assert!(problems < html.find("About").unwrap(), "errors come first");
        assert!(html.contains("broken.yaml:3:7: metadata.name &lt;must&gt; match"));
        assert!(html.contains("Last read failed"));
    })
    .await;
}

#[tokio::test]
async fn api_group_and_user_pages_show_what_their_kind_adds() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (_, html) = app.page("/catalog/default/api/checkout-api").await;
        assert!(
            html.contains("<table class=\"entity-table operations\">"),
            "{html}"
        );
        assert!(html.contains("<span class=\"method method-get\">GET</span>"));
        assert!(html.contains("<code>/baskets/{id}</code>"));
        assert!(html.contains("Place an order"));

        let (_, html) = app.page("/catalog/default/group/checkout-team").await;
        for heading in ["Members", "Parent group", "Owned entities"] {
            assert!(
                html.contains(&format!("<h3>{heading} ")),
                "{heading}: {html}"
            );
        }
        assert!(html.contains("href=\"/catalog/default/user/grace.hopper\""));
        assert!(html.contains("href=\"/catalog/default/group/acme\""));
        assert!(html.contains("href=\"/catalog/default/component/basket-service\""));

        let (_, html) = app.page("/catalog/default/user/grace.hopper").await;
        assert!(html.contains("<h3>Groups "));
        assert!(html.contains("Grace Hopper"));
        assert!(html.contains("<a href=\"mailto:grace@acme.example\">"));
    })
    .await;
}

const PASTED: &str = "apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: pasted-thing
  description: Registered from the register page.
spec:
  type: service
  lifecycle: experimental
  owner: checkout-team
";

/// The `action` of the form with `class` in `html`.
fn form_action(html: &str, class: &str) -> String {
    let at = html
        .find(class)
        .unwrap_or_else(|| panic!("no {class} in {html}"));
    let form = &html[html[..at].rfind("<form").unwrap()..];
    let start = form.find("action=\"").unwrap() + 8;
    form[start..start + form[start..].find('"').unwrap()].to_string()
}

/// Posts a form as a browser without JavaScript does; returns the final URL and page.
async fn submit(app: &TestApp, action: &str, fields: &[(&str, &str)]) -> (String, String) {
    let request = app
        .request(Method::POST, action)
        .header("accept", "text/html")
        .header("referer", app.url("/catalog/register"))
        .form(fields);
    let response = app.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    let url = response.url.to_string();
    (url, strip_comments(&response.text()))
}

#[tokio::test]
async fn register_page_previews_problems_and_changes_then_registers() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let (status, html) = app.page("/catalog/register").await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("<label for=\"register-yaml\">"));
        assert!(!html.contains("Preview</h2>"));
        let preview = form_action(&html, "register-form");

        // Invalid YAML: every problem with its line and column, nothing to confirm. The
        // text is posted and kept as a draft; it is never in the URL.
        let invalid = "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: bad name!\nspec:\n  type: service\n  owner: x\n  lifecycle: production\n---\nkind: [\n";
        let (url, html) = submit(&app, &preview, &[("yaml", invalid), ("url", "")]).await;
        assert!(url.contains("/catalog/register?draft="), "{url}");
        // Only the draft id travels: no part of the pasted text (the id itself is a random
        // UUID, which may well contain "bad", so check for the text's own words).
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        assert!(query.starts_with("draft=") && !query.contains('&'), "{url}");
        assert!(!url.contains("name") && !url.contains("apiVersion"), "{url}");
        assert!(html.contains("Line:column"), "{html}");
        assert!(html.contains("<code>metadata.name</code>"), "{html}");
        assert!(
            html.contains("name: bad name!"),
            "the form shows the pasted text again"
        );
        let places: Vec<&str> = html
            .match_indices("<th scope=\"row\" class=\"issue-place\">")
            .map(|(i, m)| {
                let rest = &html[i + m.len()..];
                &rest[..rest.find('<').unwrap()]
            })
            .collect();
        assert!(places.len() >= 2, "{places:?}");
        assert!(
            places.iter().all(|p| p
                .split(':')
                .all(|n| n.parse::<usize>().is_ok_and(|n| n > 0))),
            "{places:?}"
        );
        assert!(!html.contains(">Register</button>"));

        // Valid YAML: what would change, and a form to confirm; the draft's page can be
        // loaded again.
        let (path, html) = submit(&app, &preview, &[("yaml", PASTED), ("url", "")]).await;
        assert!(html.contains("component:default/pasted-thing"), "{html}");
        assert!(html.contains("change-new"));
        let draft = path.split("draft=").nth(1).unwrap().to_string();
        assert!(
            html.contains(&format!("name=\"draft\" value=\"{draft}\"")),
            "{html}"
        );
        let (_, again) = app.page(&format!("/catalog/register?draft={draft}")).await;
        assert!(again.contains("change-new"));

        // Confirming without JavaScript: a form POST that redirects to the result.
        let action = form_action(&html, "register-confirm");
        let (url, html) = submit(&app, &action, &[("draft", draft.as_str())]).await;
        assert!(url.contains("done=1"), "{url}");
        assert!(html.contains("Registered 1 entities"), "{html}");
        assert!(html.contains("href=\"/catalog/default/component/pasted-thing\""));

        let (_, html) = app.page("/catalog?q=pasted").await;
        assert_eq!(row_labels(&html), ["pasted-thing"]);
        let (_, html) = app.page("/catalog/default/component/pasted-thing").await;
        assert!(html.contains("inline:"), "the origin is an inline location");
        let (_, html) = app.page(&format!("/catalog/register?draft={draft}")).await;
        assert!(html.contains("change-unchanged"), "{html}");

        // A draft that is gone says so and how to go on.
        let (_, html) = app.page("/catalog/register?draft=no-such-draft").await;
        assert!(html.contains("paste the YAML again"), "{html}");
        let (url, _) = submit(&app, &action, &[("draft", "no-such-draft")]).await;
        assert!(!url.contains("done=1"), "{url}");

        // A URL is previewed from the query, where it can be shared.
        let (url, html) = submit(
            &app,
            &preview,
            &[("yaml", ""), ("url", "http://127.0.0.1:9/x.yaml")],
        )
        .await;
        assert!(url.contains("/catalog/register?url=http"), "{url}");
        assert!(html.contains("class=\"register-error\""), "{html}");
    })
    .await;
}

#[tokio::test]
async fn the_catalog_views_are_warmed_at_start_and_after_each_change() {
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        let store = app.store.store.clone();
        let poll = std::time::Duration::from_millis(20);
        let warm = server::catalog::warm::WarmLoop::start(store.clone(), poll).await;
        let version = store.catalog_version().await.unwrap();
        assert_eq!(warm.warmed_version(), Some(version));

        // Every entity, and each kind's tab, come from the caches: nothing is computed.
        let opened = async || {
            let computed = store.aggregates_computed();
            for path in ["/catalog", "/catalog?kind=component", "/catalog?kind=group"] {
                let (status, html) = app.page(path).await;
                assert_eq!(status, StatusCode::OK, "{path}: {html}");
            }
            store.aggregates_computed() - computed
        };
        assert_eq!(opened().await, 0);
        // A view that is not a landing view is computed when it is opened.
        let (status, _) = app.page("/catalog?kind=component&type=service").await;
        assert_eq!(status, StatusCode::OK);
        assert!(store.aggregates_computed() > 0);

        // A change is warmed once the version holds still, and the views show it.
        app.import_yaml("warm.yaml", &components("warm", 3)).await;
        let changed = store.catalog_version().await.unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while warm.warmed_version() != Some(changed) {
            assert!(
                std::time::Instant::now() < deadline,
                "the change was not warmed"
            );
            tokio::time::sleep(poll).await;
        }
        assert_eq!(opened().await, 0);
        let (_, html) = app.page("/catalog?kind=component").await;
        assert_eq!(facet_count(&html, "batch"), Some(3), "{html}");
        warm.stop().await;
    })
    .await;
}
