//! The golden paths Portico ships: templates for a service (from an Application spec), a
//! library and a documentation site, with their skeletons, built into the binary from
//! `templates/` so they work on the first start without any file or network access.
//! They are loaded with the demo data; their `backstage.io/managed-by-location` is
//! `builtin:templates/<name>/template.yaml`, which the skeleton fetches resolve here.

use crate::catalog::import::{ImportError, import_text};
use scaffolder::workspace::File;
use store::{LocationRecord, Store};

/// Every file under `templates/`, by its path in the repository. A test checks that
/// none is missing.
pub const FILES: &[(&str, &[u8])] = &[
    (
        "templates/docs-site/skeleton/.github/workflows/docs.yml",
        include_bytes!("../../../templates/docs-site/skeleton/.github/workflows/docs.yml"),
    ),
    (
        "templates/docs-site/skeleton/README.md",
        include_bytes!("../../../templates/docs-site/skeleton/README.md"),
    ),
    (
        "templates/docs-site/skeleton/catalog-info.yaml",
        include_bytes!("../../../templates/docs-site/skeleton/catalog-info.yaml"),
    ),
    (
        "templates/docs-site/skeleton/docs/getting-started.md",
        include_bytes!("../../../templates/docs-site/skeleton/docs/getting-started.md"),
    ),
    (
        "templates/docs-site/skeleton/docs/index.md",
        include_bytes!("../../../templates/docs-site/skeleton/docs/index.md"),
    ),
    (
        "templates/docs-site/skeleton/mkdocs.yml",
        include_bytes!("../../../templates/docs-site/skeleton/mkdocs.yml"),
    ),
    (
        "templates/docs-site/template.yaml",
        include_bytes!("../../../templates/docs-site/template.yaml"),
    ),
    (
        "templates/library/skeleton/${{ 'Cargo.toml' if values.language == 'rust' }}",
        include_bytes!(
            "../../../templates/library/skeleton/${{ 'Cargo.toml' if values.language == 'rust' }}"
        ),
    ),
    (
        "templates/library/skeleton/${{ 'package.json' if values.language == 'typescript' }}",
        include_bytes!(
            "../../../templates/library/skeleton/${{ 'package.json' if values.language == 'typescript' }}"
        ),
    ),
    (
        "templates/library/skeleton/${{ 'pyproject.toml' if values.language == 'python' }}",
        include_bytes!(
            "../../../templates/library/skeleton/${{ 'pyproject.toml' if values.language == 'python' }}"
        ),
    ),
    (
        "templates/library/skeleton/${{ 'src' if values.language == 'rust' }}/lib.rs",
        include_bytes!(
            "../../../templates/library/skeleton/${{ 'src' if values.language == 'rust' }}/lib.rs"
        ),
    ),
    (
        "templates/library/skeleton/${{ 'tests' if values.language == 'python' }}/test_package.py",
        include_bytes!(
            "../../../templates/library/skeleton/${{ 'tests' if values.language == 'python' }}/test_package.py"
        ),
    ),
    (
        "templates/library/skeleton/.github/workflows/ci.yml",
        include_bytes!("../../../templates/library/skeleton/.github/workflows/ci.yml"),
    ),
    (
        "templates/library/skeleton/README.md",
        include_bytes!("../../../templates/library/skeleton/README.md"),
    ),
    (
        "templates/library/skeleton/catalog-info.yaml",
        include_bytes!("../../../templates/library/skeleton/catalog-info.yaml"),
    ),
    (
        "templates/library/template.yaml",
        include_bytes!("../../../templates/library/template.yaml"),
    ),
    (
        "templates/service/skeleton/README.md",
        include_bytes!("../../../templates/service/skeleton/README.md"),
    ),
    (
        "templates/service/skeleton/app.yaml",
        include_bytes!("../../../templates/service/skeleton/app.yaml"),
    ),
    (
        "templates/service/template.yaml",
        include_bytes!("../../../templates/service/template.yaml"),
    ),
];

/// The golden paths' Template entities (`templates/*/template.yaml`).
pub fn templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    FILES
        .iter()
        .filter(|(path, _)| path.ends_with("/template.yaml"))
        .map(|(path, bytes)| {
            (
                *path,
                std::str::from_utf8(bytes).expect("the golden paths are UTF-8"),
            )
        })
}

/// Loads (or refreshes) the golden paths into the catalog, each file its own location.
pub async fn load(store: &Store) -> Result<usize, ImportError> {
    let mut written = 0;
    for (path, text) in templates() {
        let location = LocationRecord {
            location_type: "builtin".into(),
            target: path.into(),
        };
        written += import_text(store, &location, path, text).await?.written;
    }
    Ok(written)
}

/// The files under `folder` (a path like `templates/service/skeleton`), relative to it;
/// with `single`, the one file `folder` names.
pub fn read(folder: &str, single: bool) -> Result<Vec<(String, File)>, String> {
    let folder = folder.trim_end_matches('/');
    let executable = |path: &str| path.ends_with(".sh");
    if single {
        return FILES
            .iter()
            .find(|(path, _)| *path == folder)
            .map(|(path, bytes)| {
                let name = path.rsplit('/').next().unwrap_or(path).to_string();
                vec![(
                    name,
                    File {
                        content: bytes.to_vec(),
                        executable: executable(path),
                    },
                )]
            })
            .ok_or_else(|| format!("{folder} is not a file of the built-in templates"));
    }
    let prefix = format!("{folder}/");
    let files: Vec<(String, File)> = FILES
        .iter()
        .filter_map(|(path, bytes)| {
            let relative = path.strip_prefix(&prefix)?;
            Some((
                relative.to_string(),
                File {
                    content: bytes.to_vec(),
                    executable: executable(path),
                },
            ))
        })
        .collect();
    if files.is_empty() {
        return Err(format!(
            "{folder} is not a folder of the built-in templates"
        ));
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `templates/` is built in (a new skeleton file must be listed).
    #[test]
    fn every_file_of_the_golden_paths_is_built_in() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut on_disk = Vec::new();
        let mut pending = vec![root.join("templates")];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    on_disk.push(path.strip_prefix(&root).unwrap().display().to_string());
                }
            }
        }
        on_disk.sort();
        let built_in: Vec<String> = FILES.iter().map(|(path, _)| path.to_string()).collect();
        assert_eq!(
            on_disk, built_in,
            "list new files of templates/ in golden_paths.rs FILES"
        );
    }

    #[test]
    fn every_golden_path_is_a_valid_template() {
        let mut names = Vec::new();
        for (path, text) in templates() {
            let entity: catalog::Entity =
                serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{path}: {e}"));
            let template = scaffolder::template::Template::from_entity(&entity)
                .unwrap_or_else(|(_, problems)| panic!("{path}: {problems:?}"));
            assert_eq!(
                template.location.as_deref(),
                Some(format!("builtin:{path}").as_str())
            );
            names.push(template.name);
        }
        assert_eq!(names, ["docs-site", "library", "service"]);
    }
}
