//! Several portals started and browsed at once, each on its own runtime (as the other
//! tests run). Starting a portal once rendered the app with resource loading suppressed
//! process-wide, so a page another portal was rendering at that moment hung until the
//! request timeout (leptos issue #4773). Before the fix this failed most runs.

use crate::support::{TestPortal, each_engine_with};

const PAGES: [(&str, u16); 5] = [
    ("/", 200),
    ("/catalog", 200),
    ("/catalog/default/group/checkout-team", 200),
    ("/catalog/default/api/checkout-api", 200),
    ("/catalog/default/component/nope", 404),
];

async fn start_and_browse(offset: usize) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    each_engine_with(TestPortal::new().demo_catalog(), async |app| {
        for i in 0..20 {
            let (path, expected) = PAGES[(i + offset) % PAGES.len()];
            let response = client
                .get(app.url(path))
                .send()
                .await
                .unwrap_or_else(|e| panic!("{path} (request {i}): {e}"));
            assert_eq!(response.status().as_u16(), expected, "{path} (request {i})");
        }
    })
    .await;
}

#[tokio::test]
async fn portal_0() {
    start_and_browse(0).await
}
#[tokio::test]
async fn portal_1() {
    start_and_browse(1).await
}
#[tokio::test]
async fn portal_2() {
    start_and_browse(2).await
}
#[tokio::test]
async fn portal_3() {
    start_and_browse(3).await
}
#[tokio::test]
async fn portal_4() {
    start_and_browse(4).await
}
