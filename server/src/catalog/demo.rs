//! The demo organisation loaded by `PORTICO_DEMO=true`: a small but realistic catalog,
//! built into the binary from the YAML files under `demo/`.

use crate::catalog::import::{ImportError, import_text};
use store::{LocationRecord, Store};

const FILES: &[(&str, &str)] = &[
    ("demo/org.yaml", include_str!("../../../demo/org.yaml")),
    (
        "demo/systems.yaml",
        include_str!("../../../demo/systems.yaml"),
    ),
    (
        "demo/components.yaml",
        include_str!("../../../demo/components.yaml"),
    ),
    ("demo/apis.yaml", include_str!("../../../demo/apis.yaml")),
    (
        "demo/resources.yaml",
        include_str!("../../../demo/resources.yaml"),
    ),
    (
        "demo/applications.yaml",
        include_str!("../../../demo/applications.yaml"),
    ),
];

/// Loads (or refreshes) the demo entities; each file is its own location.
pub async fn load(store: &Store) -> Result<usize, ImportError> {
    let mut written = 0;
    for (path, text) in FILES {
        let location = LocationRecord {
            location_type: "demo".into(),
            target: (*path).into(),
        };
        written += import_text(store, &location, path, text).await?.written;
    }
    written += crate::scaffolder::golden_paths::load(store).await?;
    crate::insights::demo::load(store, chrono::Utc::now())
        .await
        .map_err(ImportError::from)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn the_demo_catalog_loads_on_every_engine() {
        for store in store::testing::test_stores().await {
            let written = super::load(&store).await.unwrap();
            assert!(written >= 25, "only {written} demo entities");
            assert_eq!(store.entity_count().await.unwrap() as usize, written);
            // Loading twice changes nothing: demo start-ups are idempotent.
            assert_eq!(super::load(&store).await.unwrap(), written);
            assert_eq!(store.entity_count().await.unwrap() as usize, written);
            let owned = store
                .relations_from("group:default/checkout-team")
                .await
                .unwrap();
            assert!(
                owned.iter().any(|r| r.relation_type == "ownerOf"
                    && r.target_ref == "component:default/web-shop")
            );
        }
    }
}
