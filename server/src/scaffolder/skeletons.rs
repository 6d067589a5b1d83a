//! Reading the files a template fetches (`fetch:*` actions' `url`), relative to the
//! template's own location as Backstage resolves them: a folder under the file roots
//! (`catalog_file_roots`, the same rule as file locations), or a folder of a GitHub
//! repository (`https://HOST/OWNER/REPO/tree/REF/PATH`, read through the integration's
//! API with its token). Reads are capped like the workspace they fill.

use super::Scaffolder;
use crate::catalog::ingest::normalize;
use base64::Engine;
use scaffolder::workspace::{File, MAX_BYTES, MAX_FILES};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where a fetch reads from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Folder(PathBuf),
    /// A folder of the golden paths built into the binary (`templates/…`).
    Builtin(String),
    Github {
        host: String,
        owner: String,
        repo: String,
        reference: String,
        path: String,
    },
}

/// Resolves a fetch `url` against the template's location (`file:/…`, `url:…`).
pub fn resolve(base: Option<&str>, url: &str) -> Result<Source, String> {
    if let Ok(absolute) = url::Url::parse(url) {
        return github_source(&absolute);
    }
    let base = base.ok_or_else(|| {
        format!(
            "input.url: {url:?} is relative, but the template has no location to resolve it against"
        )
    })?;
    if let Some(path) = base.strip_prefix("builtin:") {
        let dir = Path::new(path).parent().unwrap_or(Path::new(""));
        let joined = normalize(&dir.join(url));
        return Ok(Source::Builtin(joined.display().to_string()));
    }
    if let Some(path) = base.strip_prefix("file:") {
        let dir = Path::new(path).parent().unwrap_or(Path::new("/"));
        return Ok(Source::Folder(normalize(&dir.join(url))));
    }
    if let Some(base_url) = base.strip_prefix("url:") {
        let base_url = url::Url::parse(base_url)
            .map_err(|e| format!("the template's location is not a URL ({e})"))?;
        let joined = base_url
            .join(url)
            .map_err(|e| format!("input.url: {url:?} ({e})"))?;
        return github_source(&joined);
    }
    Err(format!(
        "the template's location {base:?} is neither a file nor a URL"
    ))
}

/// `https://HOST/OWNER/REPO/(tree|blob)/REF/PATH…`.
fn github_source(url: &url::Url) -> Result<Source, String> {
    let segments: Vec<&str> = url
        .path_segments()
        .map(Iterator::collect)
        .unwrap_or_default();
    match segments.as_slice() {
        [owner, repo, "tree" | "blob", reference, path @ ..] => Ok(Source::Github {
            host: url.host_str().unwrap_or_default().to_string(),
            owner: owner.to_string(),
            repo: repo.to_string(),
            reference: reference.to_string(),
            path: path
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/"),
        }),
        _ => Err(format!(
            "input.url: {url} is not a folder Portico can read; use a path relative to the template, \
             or a GitHub URL like https://github.com/OWNER/REPO/tree/REF/PATH"
        )),
    }
}

/// Every file under `source`, with paths relative to it (or the one file it names, when
/// `single`, under its own name).
pub async fn read(
    scaffolder: &Scaffolder,
    source: &Source,
    single: bool,
) -> Result<Vec<(String, File)>, String> {
    match source {
        Source::Folder(path) => {
            let roots = scaffolder.ingest.file_roots.clone();
            let path = path.clone();
            tokio::task::spawn_blocking(move || read_folder(&roots, &path, single))
                .await
                .map_err(|e| format!("reading the skeleton stopped: {e}"))?
        }
        Source::Builtin(path) => super::golden_paths::read(path, single),
        Source::Github {
            host,
            owner,
            repo,
            reference,
            path,
        } => read_github(scaffolder, host, owner, repo, reference, path, single).await,
    }
}

const NOT_READABLE: &str =
    "does not exist, or is outside the folders templates may read (catalog_file_roots)";

fn read_folder(
    roots: &[PathBuf],
    path: &Path,
    single: bool,
) -> Result<Vec<(String, File)>, String> {
    let real =
        std::fs::canonicalize(path).map_err(|_| format!("{} {NOT_READABLE}", path.display()))?;
    let root = roots
        .iter()
        .filter_map(|root| std::fs::canonicalize(root).ok())
        .find(|root| real.starts_with(root))
        .ok_or_else(|| format!("{} {NOT_READABLE}", path.display()))?;
    if single {
        let name = real
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        return Ok(vec![(name, read_file(&real)?)]);
    }
    let mut files = Vec::new();
    let mut bytes = 0usize;
    let mut pending = vec![real.clone()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            // Symlinks are followed only to where the file roots allow.
            let Ok(target) = std::fs::canonicalize(entry.path()) else {
                continue;
            };
            if !target.starts_with(&root) {
                continue;
            }
            let metadata =
                std::fs::metadata(&target).map_err(|e| format!("{}: {e}", target.display()))?;
            if metadata.is_dir() {
                pending.push(entry.path());
            } else if metadata.is_file() {
                let relative = entry
                    .path()
                    .strip_prefix(&real)
                    .unwrap_or(&entry.path())
                    .to_string_lossy()
                    .replace('\\', "/");
                let file = read_file(&target)?;
                bytes += file.content.len();
                files.push((relative, file));
                if files.len() > MAX_FILES || bytes > MAX_BYTES {
                    return Err(format!(
                        "{} holds more than {MAX_FILES} files or {} MiB",
                        path.display(),
                        MAX_BYTES >> 20
                    ));
                }
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

fn read_file(path: &Path) -> Result<File, String> {
    let content = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    #[cfg(unix)]
    let executable = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    #[cfg(not(unix))]
    let executable = false;
    Ok(File {
        content,
        executable,
    })
}

/// A folder (or file) of a GitHub repository: the tree of `reference`, then each blob.
async fn read_github(
    scaffolder: &Scaffolder,
    host: &str,
    owner: &str,
    repo: &str,
    reference: &str,
    path: &str,
    single: bool,
) -> Result<Vec<(String, File)>, String> {
    let entry = scaffolder.github.host(host).ok_or_else(|| {
        format!(
            "{host} is not a GitHub host of the integration (integrations.github in portico.yaml)"
        )
    })?;
    let client = entry.client(scaffolder.ingest.read_timeout)?;
    let tree: Value = client
        .get(
            format!("/repos/{owner}/{repo}/git/trees/{reference}?recursive=1"),
            None::<&()>,
        )
        .await
        .map_err(|e| {
            format!(
                "{host}/{owner}/{repo} at {reference}: {}",
                super::actions::github_error(&e)
            )
        })?;
    if tree["truncated"].as_bool() == Some(true) {
        return Err(format!(
            "{owner}/{repo} is too large for GitHub to list in one answer; put the skeleton in a smaller repository"
        ));
    }
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut files = Vec::new();
    let mut bytes = 0usize;
    for item in tree["tree"].as_array().into_iter().flatten() {
        let item_path = item["path"].as_str().unwrap_or_default();
        let relative = if single {
            if item_path != path {
                continue;
            }
            item_path
                .rsplit('/')
                .next()
                .unwrap_or(item_path)
                .to_string()
        } else {
            match item_path.strip_prefix(&prefix) {
                Some(relative) if item["type"] == "blob" => relative.to_string(),
                _ => continue,
            }
        };
        let sha = item["sha"].as_str().unwrap_or_default();
        let blob: Value = client
            .get(
                format!("/repos/{owner}/{repo}/git/blobs/{sha}"),
                None::<&()>,
            )
            .await
            .map_err(|e| {
                format!(
                    "{owner}/{repo}/{item_path}: {}",
                    super::actions::github_error(&e)
                )
            })?;
        let encoded: String = blob["content"]
            .as_str()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let content = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| {
                format!("{owner}/{repo}/{item_path}: GitHub's answer is not base64 ({e})")
            })?;
        bytes += content.len();
        files.push((
            relative,
            File {
                content,
                executable: item["mode"] == "100755",
            },
        ));
        if files.len() > MAX_FILES || bytes > MAX_BYTES {
            return Err(format!(
                "{owner}/{repo}/{path} holds more than {MAX_FILES} files or {} MiB",
                MAX_BYTES >> 20
            ));
        }
    }
    if files.is_empty() {
        return Err(format!(
            "{host}/{owner}/{repo} has no files under {path:?} at {reference}"
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_resolve_against_the_template_location() {
        assert_eq!(
            resolve(Some("file:/srv/templates/svc/template.yaml"), "./skeleton").unwrap(),
            Source::Folder("/srv/templates/svc/skeleton".into())
        );
        assert_eq!(
            resolve(Some("file:/srv/templates/svc/template.yaml"), "../shared/x").unwrap(),
            Source::Folder("/srv/templates/shared/x".into())
        );
        assert_eq!(
            resolve(
                Some("url:https://github.com/acme/templates/blob/main/svc/template.yaml"),
                "./skeleton"
            )
            .unwrap(),
            Source::Github {
                host: "github.com".into(),
                owner: "acme".into(),
                repo: "templates".into(),
                reference: "main".into(),
                path: "svc/skeleton".into()
            }
        );
        assert!(resolve(None, "./skeleton").is_err());
        assert!(
            resolve(
                Some("file:/t/template.yaml"),
                "https://example.com/skeleton.zip"
            )
            .is_err()
        );
    }
}
