//! Which repositories discovery reads, and where their catalog files are.

use super::config::{DiscoveryConfig, RepositoryFilter, Visibility};
use globset::{GlobBuilder, GlobMatcher};
use serde::{Deserialize, Serialize};

/// A repository as GitHub's REST API lists it (`GET /orgs/{org}/repos`): only the fields
/// discovery needs, so a cached page stays small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repository {
    pub name: String,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    /// `public`, `private` or `internal`; older GitHub Enterprise versions only say
    /// `private: true|false`.
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub fork: bool,
    /// When anything was last pushed to any branch: while it stays the same, so does
    /// every catalog file, and discovery asks GitHub nothing about the repository.
    #[serde(default)]
    pub pushed_at: Option<String>,
}

impl Repository {
    fn visibility(&self) -> Visibility {
        match self.visibility.as_deref() {
            Some("public") => Visibility::Public,
            Some("internal") => Visibility::Internal,
            Some("private") => Visibility::Private,
            _ if self.private => Visibility::Private,
            _ => Visibility::Public,
        }
    }
}

impl RepositoryFilter {
    /// Whether discovery reads `repository`.
    pub fn admits(&self, repository: &Repository) -> bool {
        let topic = |topics: &[String]| topics.iter().any(|t| repository.topics.contains(t));
        !repository.archived
            && (self.allow_forks || !repository.fork)
            && self
                .repository
                .as_ref()
                .is_none_or(|pattern| pattern.is_match(&repository.name))
            && (self.topics_included.is_empty() || topic(&self.topics_included))
            && !topic(&self.topics_excluded)
            && (self.visibility.is_empty() || self.visibility.contains(&repository.visibility()))
    }

    /// The branch whose catalog file is read; `None` for a repository without branches.
    pub fn branch<'a>(&'a self, repository: &'a Repository) -> Option<&'a str> {
        self.branch
            .as_deref()
            .or(repository.default_branch.as_deref())
            .filter(|b| !b.is_empty())
    }
}

/// The repositories `config` reads, in the order given.
pub fn select<'a>(config: &DiscoveryConfig, repositories: &'a [Repository]) -> Vec<&'a Repository> {
    repositories
        .iter()
        .filter(|r| config.filter.admits(r))
        .collect()
}

/// `catalogPath`: one file (`catalog-info.yaml`), or a glob (`services/**/*.yaml`) that
/// `*` matches within one folder and `**` across folders. Kept without the leading `/`.
#[derive(Clone, Debug)]
pub struct CatalogPath {
    path: String,
    glob: Option<GlobMatcher>,
}

impl CatalogPath {
    pub fn parse(path: &str) -> Result<CatalogPath, String> {
        let path = path.trim().trim_start_matches('/').to_string();
        if path.is_empty() || path.ends_with('/') {
            return Err("must name a file in the repository, e.g. /catalog-info.yaml".into());
        }
        if path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(format!(
                "{path:?} must be a plain path inside the repository, without empty, . or .. parts"
            ));
        }
        let is_glob = path.contains(['*', '?', '[', '{']);
        let glob = if is_glob {
            let glob = GlobBuilder::new(&path)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("{path:?} is not a glob ({e})"))?;
            Some(glob.compile_matcher())
        } else {
            None
        };
        Ok(CatalogPath { path, glob })
    }

    pub fn as_str(&self) -> &str {
        &self.path
    }

    /// Whether finding the files needs the repository's file tree.
    pub fn is_glob(&self) -> bool {
        self.glob.is_some()
    }

    /// Whether `path` (from the repository's root, no leading `/`) is a catalog file.
    pub fn matches(&self, path: &str) -> bool {
        match &self.glob {
            Some(glob) => glob.is_match(path),
            None => self.path == path,
        }
    }
}

/// The location discovery registers for a catalog file: the blob URL Backstage uses.
pub fn blob_url(
    host: &str,
    organization: &str,
    repository: &str,
    branch: &str,
    path: &str,
) -> String {
    let segment = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let path: Vec<String> = path.split('/').map(segment).collect();
    format!(
        "https://{host}/{}/{}/blob/{}/{}",
        segment(organization),
        segment(repository),
        segment(branch),
        path.join("/")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::parse_providers;
    use serde_json::json;

    fn repo(name: &str) -> Repository {
        Repository {
            name: name.into(),
            default_branch: Some("main".into()),
            topics: Vec::new(),
            visibility: Some("private".into()),
            private: true,
            archived: false,
            fork: false,
            pushed_at: Some("2026-12-01T10:00:00Z".into()),
        }
    }

    fn config(filters: serde_json::Value) -> DiscoveryConfig {
        parse_providers(
            &json!({"providers": {"github": {"organization": "acme", "filters": filters}}}),
        )
        .unwrap()
        .discovery
        .remove(0)
    }

    #[test]
    fn filters_admit_by_name_topic_visibility_fork_and_never_archived() {
        let all = config(json!({}));
        assert!(all.filter.admits(&repo("web")));
        assert!(!all.filter.admits(&Repository {
            archived: true,
            ..repo("old")
        }));
        assert!(!all.filter.admits(&Repository {
            fork: true,
            ..repo("fork")
        }));
        let forks = config(json!({"allowForks": true}));
        assert!(forks.filter.admits(&Repository {
            fork: true,
            ..repo("fork")
        }));

        let named = config(json!({"repository": "svc-.*"}));
        assert!(named.filter.admits(&repo("svc-a")));
        assert!(!named.filter.admits(&repo("legacy-svc-a")));

        let topics = config(json!({"topic": {"include": ["backstage"], "exclude": ["wip"]}}));
        let tagged = |t: &[&str]| Repository {
            topics: t.iter().map(|s| s.to_string()).collect(),
            ..repo("t")
        };
        assert!(topics.filter.admits(&tagged(&["backstage", "go"])));
        assert!(!topics.filter.admits(&tagged(&["go"])));
        assert!(
            !topics.filter.admits(&tagged(&["backstage", "wip"])),
            "exclusion wins"
        );

        let public = config(json!({"visibility": ["public"]}));
        assert!(!public.filter.admits(&repo("private")));
        assert!(public.filter.admits(&Repository {
            visibility: Some("public".into()),
            private: false,
            ..repo("open")
        }));
        assert!(
            public.filter.admits(&Repository {
                visibility: None,
                private: false,
                ..repo("old-ghe")
            }),
            "without a visibility field, private: false is public"
        );
    }

    #[test]
    fn the_branch_is_the_configured_one_or_the_default() {
        let default = config(json!({}));
        assert_eq!(default.filter.branch(&repo("a")), Some("main"));
        assert_eq!(
            default.filter.branch(&Repository {
                default_branch: None,
                ..repo("empty")
            }),
            None
        );
        let develop = config(json!({"branch": "develop"}));
        assert_eq!(develop.filter.branch(&repo("a")), Some("develop"));
    }

    #[test]
    fn catalog_paths_are_files_or_globs() {
        let plain = CatalogPath::parse("/catalog-info.yaml").unwrap();
        assert!(!plain.is_glob());
        assert!(plain.matches("catalog-info.yaml"));
        assert!(!plain.matches("x/catalog-info.yaml"));
        let one_level = CatalogPath::parse("/services/*/catalog-info.yaml").unwrap();
        assert!(one_level.matches("services/web/catalog-info.yaml"));
        assert!(
            !one_level.matches("services/a/b/catalog-info.yaml"),
            "* stays in one folder"
        );
        let any = CatalogPath::parse("/**/catalog-info.yaml").unwrap();
        assert!(any.matches("catalog-info.yaml"));
        assert!(any.matches("a/b/catalog-info.yaml"));
        assert!(!any.matches("a/b/other.yaml"));
        assert!(CatalogPath::parse("/").is_err());
        assert!(CatalogPath::parse("/a/../b.yaml").is_err());
        assert!(CatalogPath::parse("/a/[.yaml").is_err());
    }

    #[test]
    fn blob_urls_encode_each_segment() {
        assert_eq!(
            blob_url("github.com", "acme", "web", "main", "catalog-info.yaml"),
            "https://github.com/acme/web/blob/main/catalog-info.yaml"
        );
        assert_eq!(
            blob_url("ghe.example.com", "acme", "web", "main", "a b/c#d.yaml"),
            "https://ghe.example.com/acme/web/blob/main/a%20b/c%23d.yaml"
        );
    }
}
