//! How two environments' rendered files differ. Each environment has files of its own —
//! its kustomize overlay, its Argo CD application, its Terraform variables — and the
//! files of two environments are paired by what they are, then compared line by line.

use serde::Serialize;

use crate::render::File;

/// Unchanged lines kept before and after each change.
const CONTEXT: usize = 3;

/// What a line of a diff says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LineChange {
    /// In both texts.
    Same,
    /// Only in the second text.
    Added,
    /// Only in the first text.
    Removed,
    /// Unchanged lines left out (the line's text is empty).
    Elided,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub change: LineChange,
    pub text: String,
}

/// One file of the first environment against its counterpart in the second.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileDiff {
    /// The first environment's file; `None` when only the second has one.
    pub from: Option<String>,
    /// The second environment's file; `None` when only the first has one.
    pub to: Option<String>,
    /// Empty when the two files are equal.
    pub lines: Vec<DiffLine>,
}

/// Every file of environment `from` or `to` paired with its counterpart, sorted by what
/// the files are (`argocd`, `overlay/…`, `tfvars`). Nothing when either is empty.
pub fn environment_diffs(files: &[File], from: &str, to: &str) -> Vec<FileDiff> {
    if from.is_empty() || to.is_empty() {
        return vec![];
    }
    let a = environment_files(files, from);
    let b = environment_files(files, to);
    let mut keys: Vec<&String> = a.iter().chain(&b).map(|(key, _)| key).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let (left, right) = (find(&a, key), find(&b, key));
            fn text(file: Option<&File>) -> &str {
                file.map(|f| f.contents.as_str()).unwrap_or("")
            }
            FileDiff {
                from: left.map(|f| f.path.clone()),
                to: right.map(|f| f.path.clone()),
                lines: line_diff(text(left), text(right)),
            }
        })
        .collect()
}

fn find<'a>(files: &[(String, &'a File)], key: &str) -> Option<&'a File> {
    files.iter().find(|(k, _)| k == key).map(|(_, file)| *file)
}

/// The files one environment has of its own, each under a name common to all
/// environments (`overlay/rollout.yaml`, `argocd`, `tfvars`).
fn environment_files<'a>(files: &'a [File], env: &str) -> Vec<(String, &'a File)> {
    let overlay = format!("deploy/k8s/overlays/{env}/");
    let argocd = format!("deploy/argocd/{env}.yaml");
    let tfvars = format!("infra/environments/{env}.tfvars");
    files
        .iter()
        .filter_map(|file| {
            if let Some(rest) = file.path.strip_prefix(&overlay) {
                Some((format!("overlay/{rest}"), file))
            } else if file.path == argocd {
                Some(("argocd".to_string(), file))
            } else if file.path == tfvars {
                Some(("tfvars".to_string(), file))
            } else {
                None
            }
        })
        .collect()
}

/// A line diff (longest common subsequence) keeping [`CONTEXT`] unchanged lines around
/// each change and one [`LineChange::Elided`] line for each run left out; empty when the
/// texts are equal. Quadratic in the number of lines, which suits rendered files.
pub fn line_diff(a: &str, b: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    let (n, m) = (a.len(), b.len());
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut all = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            all.push((LineChange::Same, a[i]));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            all.push((LineChange::Removed, a[i]));
            i += 1;
        } else {
            all.push((LineChange::Added, b[j]));
            j += 1;
        }
    }
    if all.iter().all(|(change, _)| *change == LineChange::Same) {
        return vec![];
    }
    let near_change = |k: usize| {
        let lo = k.saturating_sub(CONTEXT);
        let hi = (k + CONTEXT).min(all.len() - 1);
        (lo..=hi).any(|x| all[x].0 != LineChange::Same)
    };
    let mut out: Vec<DiffLine> = Vec::new();
    for (k, (change, text)) in all.iter().enumerate() {
        if near_change(k) {
            out.push(DiffLine {
                change: *change,
                text: text.to_string(),
            });
        } else if out.last().is_none_or(|l| l.change != LineChange::Elided) {
            out.push(DiffLine {
                change: LineChange::Elided,
                text: String::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
