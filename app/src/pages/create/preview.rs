//! The wizard's dry run: the values that would be used, every file that would be
//! published — a file tree, and each file's contents in a `<details>` — and the log
//! (where `portico:render` reports its policy results).

use super::scaffolding::DryRunView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the wizard shows after a dry run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewData {
    /// The values given, labelled as the form labels them (secrets hidden).
    pub review: Vec<(String, String)>,
    pub dry_run: DryRunView,
}

/// One row of a file tree: a directory or a file (its index in the dry run's files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRow {
    pub depth: usize,
    pub name: String,
    pub file: Option<usize>,
}

/// The tree of `paths` (sorted, as the workspace keeps them): each directory once, before
/// what it holds.
pub fn tree_rows(paths: &[&str]) -> Vec<TreeRow> {
    let mut sorted: Vec<(usize, &str)> = paths.iter().copied().enumerate().collect();
    sorted.sort_by(|a, b| a.1.cmp(b.1));
    let mut rows = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for (index, path) in sorted {
        let parts: Vec<&str> = path.split('/').collect();
        let (name, dirs) = parts.split_last().expect("split gives at least one part");
        let same = open.iter().zip(dirs).take_while(|(a, b)| a == b).count();
        open.truncate(same);
        for dir in &dirs[same..] {
            rows.push(TreeRow {
                depth: open.len(),
                name: format!("{dir}/"),
                file: None,
            });
            open.push(dir);
        }
        rows.push(TreeRow {
            depth: open.len(),
            name: name.to_string(),
            file: Some(index),
        });
    }
    rows
}

fn size_text(bytes: usize) -> String {
    if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    }
}

#[component]
pub fn PreviewView(preview: PreviewData) -> impl IntoView {
    let PreviewData { review, dry_run } = preview;
    let completed = dry_run.status == "completed";
    let paths: Vec<&str> = dry_run.files.iter().map(|f| f.path.as_str()).collect();
    let rows = tree_rows(&paths);
    let status = if completed {
        format!(
            "The dry run completed: {} files would be published (with what the publish step adds, such as CODEOWNERS: see the log). Nothing was published or registered.",
            dry_run.files.len()
        )
    } else {
        "The dry run failed: the log below says which step and why. Nothing was published or registered.".to_string()
    };
    view! {
        <section class="card wizard-preview" aria-labelledby="preview-heading" tabindex="-1" id="preview">
            <h2 id="preview-heading">"Preview (dry run)"</h2>
            <p class=if completed { "preview-status" } else { "preview-status failed" } role="status">{status}</p>
            {(!review.is_empty()).then(|| view! {
                <h3>"Values"</h3>
                <dl class="facts review">
                    {review.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                </dl>
            })}
            {(!rows.is_empty()).then(|| view! {
                <h3>{format!("Files ({})", dry_run.files.len())}</h3>
                <ul class="file-tree" aria-label="Files that would be published">
                    {rows.into_iter().map(|row| {
                        let class = format!("depth-{}", row.depth.min(8));
                        match row.file {
                            Some(index) => view! {
                                <li class=class><a href=format!("#preview-file-{index}")>{row.name}</a></li>
                            }.into_any(),
                            None => view! { <li class=format!("{class} directory")>{row.name}</li> }.into_any(),
                        }
                    }).collect_view()}
                </ul>
                <div class="preview-files">
                    {dry_run.files.into_iter().enumerate().map(|(index, file)| {
                        let about = format!(
                            "{}{}",
                            size_text(file.bytes),
                            if file.executable { ", executable" } else { "" }
                        );
                        view! {
                            <details id=format!("preview-file-{index}")>
                                <summary><code>{file.path}</code>" "<span class="hint">{about}</span></summary>
                                {match file.text {
                                    Some(text) => view! { <pre class="file-content">{text}</pre> }.into_any(),
                                    None => view! { <p class="hint">"A binary file; its contents are not shown."</p> }.into_any(),
                                }}
                            </details>
                        }
                    }).collect_view()}
                </div>
            })}
            <h3>"Log"</h3>
            <ol class="task-log">
                {dry_run.log.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ol>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_come_once_before_their_files() {
        let rows = tree_rows(&[
            "README.md",
            "src/main.rs",
            "src/lib/a.rs",
            ".github/CODEOWNERS",
        ]);
        let shown: Vec<(usize, &str, Option<usize>)> = rows
            .iter()
            .map(|r| (r.depth, r.name.as_str(), r.file))
            .collect();
        assert_eq!(
            shown,
            [
                (0, ".github/", None),
                (1, "CODEOWNERS", Some(3)),
                (0, "README.md", Some(0)),
                (0, "src/", None),
                (1, "lib/", None),
                (2, "a.rs", Some(2)),
                (1, "main.rs", Some(1)),
            ]
        );
    }
}
