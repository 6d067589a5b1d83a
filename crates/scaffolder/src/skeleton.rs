//! `fetch:template` the way Backstage does it: every file of a skeleton is copied into
//! the workspace with `${{ values.x }}` rendered in its contents and in its path.
//! `copyWithoutTemplating` globs copy contents as they are (paths are still rendered);
//! `templateFileExtension` renders only files ending in `.njk` (or the given extension)
//! and drops it; binary files are copied as they are; a path that renders empty, or to
//! something with an empty segment (`${{ values.x }}/a` without x), is skipped, which is
//! how Backstage templates make files optional.

use crate::expression::{ExpressionError, Templater};
use crate::workspace::{self, File, Workspace, WorkspaceError};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value;

/// How a skeleton is rendered (fetch:template's inputs, parsed).
#[derive(Debug, Default)]
pub struct Options {
    /// Workspace directory the files go to (`targetPath`, resolved).
    pub target: String,
    pub values: Value,
    pub copy_without_templating: Vec<String>,
    /// `templateFileExtension`: `Some(".njk")` when `true`.
    pub template_extension: Option<String>,
    pub cookiecutter_compat: bool,
    /// `replace`: overwrite files already in the workspace.
    pub replace: bool,
    /// `trimBlocks` and `lstripBlocks`: Nunjucks' whitespace control for block tags.
    pub trim_blocks: bool,
    pub lstrip_blocks: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SkeletonError {
    #[error("copyWithoutTemplating: {0:?} is not a valid glob ({1})")]
    Glob(String, String),
    #[error(
        "copyWithoutTemplating cannot be combined with templateFileExtension (Backstage refuses it too)"
    )]
    Exclusive,
    #[error("{file}: {error}")]
    Expression {
        file: String,
        error: ExpressionError,
    },
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

/// Renders `files` (paths relative to the skeleton's root) into `workspace`.
pub fn render(
    files: Vec<(String, File)>,
    options: &Options,
    workspace: &mut Workspace,
) -> Result<usize, SkeletonError> {
    if options.template_extension.is_some() && !options.copy_without_templating.is_empty() {
        return Err(SkeletonError::Exclusive);
    }
    let verbatim = globs(&options.copy_without_templating)?;
    let (templater, context) = if options.cookiecutter_compat {
        (
            Templater::cookiecutter(),
            serde_json::json!({ "cookiecutter": options.values }),
        )
    } else {
        (
            Templater::new(),
            serde_json::json!({ "values": options.values }),
        )
    };
    let templater = templater.with_block_whitespace(options.trim_blocks, options.lstrip_blocks);
    let render = |text: &str, file: &str| {
        templater
            .render_text(text, &context)
            .map_err(|error| SkeletonError::Expression {
                file: file.to_string(),
                error,
            })
    };
    let mut written = 0;
    for (path, file) in files {
        let (mut output, mut render_contents) = match &options.template_extension {
            Some(extension) => match path.strip_suffix(extension.as_str()) {
                Some(stripped) => (stripped.to_string(), true),
                None => (path.clone(), false),
            },
            None => (path.clone(), !matches(&verbatim, &path)),
        };
        output = render(&output, &path)?;
        // Backstage skips these (containsSkippedContent); a trailing slash would name a
        // folder, not a file.
        if output.is_empty()
            || output.starts_with('/')
            || output.contains("//")
            || output.ends_with('/')
        {
            continue;
        }
        if is_binary(&file.content) {
            render_contents = false;
        }
        let content = if render_contents {
            let text = String::from_utf8_lossy(&file.content);
            render(&text, &path)?.into_bytes()
        } else {
            file.content
        };
        let target = workspace::resolve(&options.target, &output)?;
        if !options.replace && workspace.get(&target).is_some() {
            continue;
        }
        workspace.write(
            target,
            File {
                content,
                executable: file.executable,
            },
        )?;
        written += 1;
    }
    Ok(written)
}

fn globs(patterns: &[String]) -> Result<GlobSet, SkeletonError> {
    let mut set = GlobSetBuilder::new();
    for pattern in patterns {
        let trimmed = pattern.trim_start_matches("./");
        let glob = GlobBuilder::new(trimmed)
            .literal_separator(true)
            .build()
            .map_err(|e| SkeletonError::Glob(pattern.clone(), e.kind().to_string()))?;
        set.add(glob);
    }
    set.build()
        .map_err(|e| SkeletonError::Glob(patterns.join(", "), e.to_string()))
}

/// A file matches when it or one of its directories does (`docs` keeps all of docs/).
fn matches(globs: &GlobSet, path: &str) -> bool {
    globs.is_match(path)
        || path
            .match_indices('/')
            .any(|(at, _)| globs.is_match(&path[..at]))
}

/// The heuristic Backstage's `isbinaryfile` uses, simplified: a NUL byte in the first
/// 8 KiB, or text that is not UTF-8.
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(8192)].contains(&0) || std::str::from_utf8(content).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn files(list: &[(&str, &str)]) -> Vec<(String, File)> {
        list.iter()
            .map(|(p, c)| {
                (
                    p.to_string(),
                    File {
                        content: c.as_bytes().to_vec(),
                        executable: false,
                    },
                )
            })
            .collect()
    }

    fn text(ws: &Workspace, path: &str) -> String {
        String::from_utf8(
            ws.get(path)
                .unwrap_or_else(|| panic!("{path} missing: {:?}", ws.files().keys()))
                .content
                .clone(),
        )
        .unwrap()
    }

    #[test]
    fn contents_and_paths_are_rendered_and_empty_paths_skipped() {
        let mut ws = Workspace::new();
        let options = Options {
            target: "app".into(),
            values: json!({"name": "payments", "docs": false}),
            ..Options::default()
        };
        let written = render(
            files(&[
                ("${{ values.name }}/README.md", "# ${{ values.name }}\n"),
                ("${{ 'docs' if values.docs }}/index.md", "x"),
                (".github/workflows/ci.yaml", "run: ${{ github.sha }}"),
            ]),
            &options,
            &mut ws,
        )
        .unwrap();
        assert_eq!(written, 2);
        assert_eq!(text(&ws, "app/payments/README.md"), "# payments\n");
        assert_eq!(text(&ws, "app/.github/workflows/ci.yaml"), "run: ");
    }

    #[test]
    fn copy_without_templating_keeps_contents_but_renders_paths() {
        let mut ws = Workspace::new();
        let options = Options {
            values: json!({"name": "svc"}),
            copy_without_templating: vec!["./.github/workflows/*".into(), "static".into()],
            ..Options::default()
        };
        render(
            files(&[
                (
                    ".github/workflows/${{ values.name }}.yaml",
                    "run: ${{ github.sha }}",
                ),
                ("static/deep/x.txt", "${{ values.name }}"),
                ("other.txt", "${{ values.name }}"),
            ]),
            &options,
            &mut ws,
        )
        .unwrap();
        assert_eq!(
            text(&ws, ".github/workflows/svc.yaml"),
            "run: ${{ github.sha }}"
        );
        assert_eq!(text(&ws, "static/deep/x.txt"), "${{ values.name }}");
        assert_eq!(text(&ws, "other.txt"), "svc");
    }

    #[test]
    fn template_extension_renders_only_those_files_and_drops_the_extension() {
        let mut ws = Workspace::new();
        let options = Options {
            values: json!({"name": "svc"}),
            template_extension: Some(".njk".into()),
            ..Options::default()
        };
        render(
            files(&[
                ("a.txt.njk", "${{ values.name }}"),
                ("b.txt", "${{ values.name }}"),
            ]),
            &options,
            &mut ws,
        )
        .unwrap();
        assert_eq!(text(&ws, "a.txt"), "svc");
        assert_eq!(text(&ws, "b.txt"), "${{ values.name }}");
    }

    #[test]
    fn binary_files_are_copied_as_they_are_and_paths_cannot_escape() {
        let mut ws = Workspace::new();
        let png = vec![0x89, b'P', b'N', b'G', 0, 0, b'$', b'{', b'{'];
        let options = Options {
            values: json!({"up": "../.."}),
            ..Options::default()
        };
        render(
            vec![(
                "logo.png".into(),
                File {
                    content: png.clone(),
                    executable: false,
                },
            )],
            &options,
            &mut ws,
        )
        .unwrap();
        assert_eq!(ws.get("logo.png").unwrap().content, png);
        let escape = render(files(&[("${{ values.up }}/x", "")]), &options, &mut ws);
        assert!(
            matches!(
                escape,
                Err(SkeletonError::Workspace(WorkspaceError::Path { .. }))
            ),
            "{escape:?}"
        );
    }

    #[test]
    fn an_expression_error_names_the_file() {
        let mut ws = Workspace::new();
        let error = render(
            files(&[("a.txt", "line\n${{ values.name | }}")]),
            &Options::default(),
            &mut ws,
        )
        .unwrap_err();
        assert!(error.to_string().starts_with("a.txt: "), "{error}");
    }
}
