//! `debug:log`, `fs:rename` and `fs:delete`: the workspace only.

use super::ActionContext;
use scaffolder::workspace;
use serde_json::Value;

pub fn debug_log(ctx: &mut ActionContext<'_>) {
    if let Some(message) = ctx.text("message").map(str::to_string) {
        ctx.log(message);
    }
    let listing = match ctx.input.get("listWorkspace") {
        Some(Value::Bool(true)) => Some(false),
        Some(Value::String(how)) if how == "with-filenames" => Some(false),
        Some(Value::String(how)) if how == "with-contents" => Some(true),
        _ => None,
    };
    if let Some(contents) = listing {
        let lines: Vec<String> = ctx
            .workspace
            .files()
            .iter()
            .map(|(path, file)| match contents {
                true => format!("{path}:\n{}", String::from_utf8_lossy(&file.content)),
                false => path.clone(),
            })
            .collect();
        ctx.log(format!("Workspace:\n{}", lines.join("\n")));
    }
}

pub fn rename(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let files = ctx.input["files"].as_array().cloned().unwrap_or_default();
    for (index, file) in files.iter().enumerate() {
        let text = |key: &str| file.get(key).and_then(Value::as_str).unwrap_or_default();
        let from = workspace::resolve("", text("from"))
            .map_err(|e| format!("files[{index}].from: {e}"))?;
        let to =
            workspace::resolve("", text("to")).map_err(|e| format!("files[{index}].to: {e}"))?;
        let overwrite = file
            .get("overwrite")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        ctx.workspace
            .rename(&from, &to, overwrite)
            .map_err(|e| format!("files[{index}]: {e}"))?;
        ctx.log(format!("Renamed {from} to {to}"));
    }
    Ok(())
}

pub fn delete(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let patterns: Vec<String> = ctx.input["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    for pattern in &patterns {
        workspace::resolve("", pattern).map_err(|e| format!("files: {e}"))?;
    }
    let removed = ctx.workspace.delete_matching(&patterns)?;
    ctx.log(format!("Deleted {removed} files"));
    Ok(())
}
