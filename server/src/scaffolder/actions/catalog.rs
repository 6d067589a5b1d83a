//! `catalog:write` (an entity into the workspace as YAML) and `catalog:register` (a
//! location into the catalog, read at once, as the register page does).

use super::{ActionContext, Mode};
use crate::catalog::ingest::Target;
use scaffolder::workspace::{self, File};
use serde_json::{Value, json};

pub fn write(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let path = ctx
        .text("filePath")
        .unwrap_or("catalog-info.yaml")
        .to_string();
    let path = workspace::resolve("", &path).map_err(|e| format!("input.filePath: {e}"))?;
    let yaml =
        serde_yaml_ng::to_string(&ctx.input["entity"]).map_err(|e| format!("input.entity: {e}"))?;
    ctx.workspace
        .write(
            path.clone(),
            File {
                content: yaml.into_bytes(),
                executable: false,
            },
        )
        .map_err(|e| e.to_string())?;
    ctx.log(format!("Wrote {path}"));
    Ok(())
}

pub async fn register(ctx: &mut ActionContext<'_>) -> Result<Value, String> {
    let url = match (ctx.text("catalogInfoUrl"), ctx.text("repoContentsUrl")) {
        (Some(url), _) => url.to_string(),
        (None, Some(contents)) => {
            let path = ctx.text("catalogInfoPath").unwrap_or("/catalog-info.yaml");
            format!(
                "{}/{}",
                contents.trim_end_matches('/'),
                path.trim_start_matches('/')
            )
        }
        (None, None) => {
            return Err(
                "input: give catalogInfoUrl, or repoContentsUrl (and catalogInfoPath)".into(),
            );
        }
    };
    let optional = ctx.flag("optional").unwrap_or(false);
    let target = Target::parse("url", &url).map_err(|e| format!("input.catalogInfoUrl: {e}"))?;
    if ctx.mode == Mode::DryRun {
        ctx.log(format!("Dry run: would register {url} in the catalog"));
        return Ok(json!({ "catalogInfoUrl": url, "entityRef": "" }));
    }
    let scaffolder = ctx.scaffolder()?;
    let registrant = ctx.user.get("ref").and_then(Value::as_str);
    let (row, _created) = scaffolder
        .store
        .add_location_by("url", &target.target(), registrant, chrono::Utc::now())
        .await
        .map_err(|e| format!("the location cannot be stored: {e}"))?;
    let applied = scaffolder
        .ingester
        .process_now(&scaffolder.store, &row.id, &scaffolder.worker)
        .await
        .map_err(|e| format!("the location cannot be read: {e}"))?;
    let entities = match applied {
        Some(Ok(applied)) => applied.entities,
        Some(Err(error)) if optional => {
            ctx.log(format!(
                "Registered {url}, which could not be read yet ({error}); optional, so going on"
            ));
            Vec::new()
        }
        Some(Err(error)) => {
            return Err(format!("{url} was registered but cannot be read: {error}"));
        }
        None => Vec::new(),
    };
    // Backstage answers the first entity that is not a Location (the component).
    let entity_ref = entities
        .iter()
        .find(|e| !e.kind.eq_ignore_ascii_case("location"))
        .map(|e| format!("{}:{}/{}", e.kind, e.metadata.namespace, e.metadata.name).to_lowercase())
        .unwrap_or_default();
    ctx.log(format!(
        "Registered {url} in the catalog ({} entities)",
        entities.len()
    ));
    Ok(json!({ "catalogInfoUrl": url, "entityRef": entity_ref }))
}
