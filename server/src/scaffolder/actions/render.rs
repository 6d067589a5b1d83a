//! `portico:render`: an Application spec becomes its delivery files in the workspace —
//! the same renderer and policies as `portico render` and `/create/application`; a spec
//! with errors or a failing policy refuses the step, naming each problem.

use super::ActionContext;
use scaffolder::workspace::{self, File};
use serde_json::{Value, json};

pub fn render(ctx: &mut ActionContext<'_>) -> Result<Value, String> {
    let text = match (ctx.input.get("spec"), ctx.text("specPath")) {
        (Some(Value::String(yaml)), _) => yaml.clone(),
        (Some(spec @ Value::Object(_)), _) => {
            serde_yaml_ng::to_string(spec).map_err(|e| format!("input.spec: {e}"))?
        }
        (_, Some(path)) => {
            let path = workspace::resolve("", path).map_err(|e| format!("input.specPath: {e}"))?;
            let file = ctx
                .workspace
                .get(&path)
                .ok_or_else(|| format!("input.specPath: {path} is not in the workspace"))?;
            String::from_utf8_lossy(&file.content).into_owned()
        }
        _ => {
            return Err(
                "input: give spec (the Application spec) or specPath (a file in the workspace)"
                    .into(),
            );
        }
    };
    let spec = render::parse_spec(&text).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "the Application spec has {} error(s): {}",
            list.len(),
            list.join("; ")
        )
    })?;
    // The platform's `render:` configuration; a dry run without a scaffolder uses the defaults.
    let mut options = ctx
        .scaffolder
        .map(|scaffolder| scaffolder.render.clone())
        .unwrap_or_default();
    if let Some(org) = ctx.text("githubOrg").filter(|o| !o.is_empty()) {
        options.github_org = org.to_string();
    }
    if let Some(template) = ctx.text("sourceTemplate").filter(|t| !t.is_empty()) {
        options.source_template = Some(template.to_string());
    }
    let rendered = render::render(&spec, &options).map_err(|e| e.to_string())?;
    let target = ctx.text("targetPath").unwrap_or("").to_string();
    let mut paths = Vec::new();
    for file in rendered.files {
        let path = workspace::resolve(&target, &file.path)
            .map_err(|e| format!("input.targetPath: {e}"))?;
        let executable = file.path.ends_with(".sh");
        ctx.workspace
            .write(
                path.clone(),
                File {
                    content: file.contents.into_bytes(),
                    executable,
                },
            )
            .map_err(|e| e.to_string())?;
        paths.push(path);
    }
    ctx.log(format!(
        "Rendered {} delivery files for {}; every policy passed",
        paths.len(),
        spec.metadata.name
    ));
    Ok(json!({ "files": paths, "policies": [] }))
}
