//! `fetch:plain`, `fetch:plain:file`, `fetch:template` and `fetch:template:file`: files
//! from the template's location (or a GitHub URL) into the workspace.

use super::ActionContext;
use crate::scaffolder::skeletons;
use scaffolder::skeleton::{self, Options};
use scaffolder::workspace::{self, File};
use serde_json::Value;

async fn fetch(ctx: &ActionContext<'_>, single: bool) -> Result<Vec<(String, File)>, String> {
    ctx.refuse_token()?;
    let url = ctx.text("url").unwrap_or_default();
    if let (Some(folder), Err(_)) = (ctx.template_files, url::Url::parse(url)) {
        return sent_files(folder, url, single);
    }
    let source = skeletons::resolve(ctx.template_base, url)?;
    skeletons::read(ctx.scaffolder()?, &source, single).await
}

/// Files under `url` in the template folder a dry run was sent.
fn sent_files(
    folder: &scaffolder::workspace::Workspace,
    url: &str,
    single: bool,
) -> Result<Vec<(String, File)>, String> {
    let path = workspace::resolve("", url).map_err(|e| format!("input.url: {e}"))?;
    if single {
        let file = folder
            .get(&path)
            .ok_or_else(|| format!("input.url: {path} is not among the template's files"))?;
        let name = path.rsplit('/').next().unwrap_or(&path).to_string();
        return Ok(vec![(name, file.clone())]);
    }
    let files: Vec<(String, File)> = folder
        .under(&path)
        .map(|(p, f)| {
            (
                if path.is_empty() {
                    p.clone()
                } else {
                    p[path.len() + 1..].to_string()
                },
                f.clone(),
            )
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "input.url: {path} is not a folder among the template's files"
        ));
    }
    Ok(files)
}

fn target(ctx: &ActionContext<'_>) -> Result<String, String> {
    workspace::resolve("", ctx.text("targetPath").unwrap_or("./"))
        .map_err(|e| format!("input.targetPath: {e}"))
}

pub async fn plain(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let files = fetch(ctx, false).await?;
    let target = target(ctx)?;
    let count = files.len();
    for (path, file) in files {
        let path = workspace::resolve(&target, &path).map_err(|e| e.to_string())?;
        ctx.workspace.write(path, file).map_err(|e| e.to_string())?;
    }
    ctx.log(format!("Fetched {count} files into {}", shown(&target)));
    Ok(())
}

pub async fn plain_file(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let mut files = fetch(ctx, true).await?;
    let target = target(ctx)?;
    let (_, file) = files.pop().ok_or("the file is empty")?;
    ctx.workspace
        .write(target.clone(), file)
        .map_err(|e| e.to_string())?;
    ctx.log(format!("Fetched {target}"));
    Ok(())
}

fn options(ctx: &ActionContext<'_>, target: String) -> Result<Options, String> {
    let globs = |key: &str| -> Vec<String> {
        ctx.input[key]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    if !globs("copyWithoutRender").is_empty() {
        return Err("input.copyWithoutRender is deprecated in Backstage and not supported; use copyWithoutTemplating".into());
    }
    let template_extension = match ctx.input.get("templateFileExtension") {
        Some(Value::Bool(true)) => Some(".njk".to_string()),
        Some(Value::String(extension)) if !extension.is_empty() => {
            Some(if extension.starts_with('.') {
                extension.clone()
            } else {
                format!(".{extension}")
            })
        }
        _ => None,
    };
    Ok(Options {
        target,
        values: ctx
            .input
            .get("values")
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
        copy_without_templating: globs("copyWithoutTemplating"),
        template_extension,
        cookiecutter_compat: ctx.flag("cookiecutterCompat").unwrap_or(false),
        replace: ctx.flag("replace").unwrap_or(false),
        trim_blocks: ctx.flag("trimBlocks").unwrap_or(false),
        lstrip_blocks: ctx.flag("lstripBlocks").unwrap_or(false),
    })
}

pub async fn template(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let files = fetch(ctx, false).await?;
    let options = options(ctx, target(ctx)?)?;
    let written = skeleton::render(files, &options, ctx.workspace).map_err(|e| e.to_string())?;
    ctx.log(format!(
        "Rendered {written} files into {}",
        shown(&options.target)
    ));
    Ok(())
}

pub async fn template_file(ctx: &mut ActionContext<'_>) -> Result<(), String> {
    let mut files = fetch(ctx, true).await?;
    let target = target(ctx)?;
    let (_, file) = files.pop().ok_or("the file is empty")?;
    // Rendered as a one-file skeleton named after its target, at the workspace root.
    let options = options(ctx, String::new())?;
    let written = skeleton::render(
        vec![(target.clone(), file)],
        &Options {
            replace: true,
            ..options
        },
        ctx.workspace,
    )
    .map_err(|e| e.to_string())?;
    ctx.log(format!("Rendered {written} file into {target}"));
    Ok(())
}

fn shown(target: &str) -> &str {
    if target.is_empty() {
        "the workspace"
    } else {
        target
    }
}
