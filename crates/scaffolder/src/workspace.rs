//! The workspace a task builds: the files the fetch and fs steps write and the publish
//! step pushes. It lives in memory, keyed by normalised relative paths, so no template
//! can write outside it (`../`, absolute paths, NUL) and a dry run touches no disk.
//! Its size is capped: a template cannot balloon a replica's memory.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Most files a workspace holds.
pub const MAX_FILES: usize = 5_000;
/// Most bytes of all files together.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Longest path, in bytes (GitHub's own limit is 4096).
const MAX_PATH: usize = 1024;

/// A file in the workspace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct File {
    pub content: Vec<u8>,
    /// Kept from the skeleton (mode 100755 when published).
    pub executable: bool,
}

/// What went wrong writing to the workspace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path:?} is not a path inside the workspace: {reason}")]
    Path { path: String, reason: &'static str },
    #[error("the workspace would hold more than {MAX_FILES} files")]
    TooManyFiles,
    #[error("the workspace would hold more than {} MiB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("{0:?} does not exist in the workspace")]
    Missing(String),
    #[error("{0:?} already exists in the workspace (set overwrite: true to replace it)")]
    Exists(String),
}

/// Files by path (`dir/file.txt`, no leading `./`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    files: BTreeMap<String, File>,
    bytes: usize,
}

/// Normalises a path relative to `base` (a workspace directory, `""` for the root):
/// `./a//b/../c` → `a/c`. Refuses what would leave the workspace.
pub fn resolve(base: &str, path: &str) -> Result<String, WorkspaceError> {
    let refuse = |reason| WorkspaceError::Path {
        path: path.to_string(),
        reason,
    };
    if path.contains('\0') {
        return Err(refuse("it contains a NUL byte"));
    }
    if path.starts_with('/') || path.starts_with('\\') || path.get(1..2) == Some(":") {
        return Err(refuse(
            "absolute paths are not allowed; give a path relative to the workspace",
        ));
    }
    if path.len() + base.len() > MAX_PATH {
        return Err(refuse("it is too long"));
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in base.split('/').chain(path.split(['/', '\\'])) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(refuse("it leads outside the workspace"));
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace::default()
    }

    /// Writes `path` (already resolved), replacing a file there.
    pub fn write(&mut self, path: String, file: File) -> Result<(), WorkspaceError> {
        if path.is_empty() {
            return Err(WorkspaceError::Path {
                path,
                reason: "it names the workspace itself",
            });
        }
        let replaced = self.files.get(&path).map_or(0, |old| old.content.len());
        if replaced == 0 && !self.files.contains_key(&path) && self.files.len() >= MAX_FILES {
            return Err(WorkspaceError::TooManyFiles);
        }
        let bytes = self.bytes - replaced + file.content.len();
        if bytes > MAX_BYTES {
            return Err(WorkspaceError::TooLarge);
        }
        // A file cannot also be a directory: `a` and `a/b` would not publish.
        let dir = format!("{path}/");
        if self
            .files
            .range(dir.clone()..)
            .next()
            .is_some_and(|(p, _)| p.starts_with(&dir))
        {
            return Err(WorkspaceError::Path {
                path,
                reason: "a directory of that name exists",
            });
        }
        if let Some(parent) = ancestors(&path).find(|parent| self.files.contains_key(*parent)) {
            let reason = "a file is in the way of its directory";
            return Err(WorkspaceError::Path {
                path: format!("{path} ({parent})"),
                reason,
            });
        }
        self.bytes = bytes;
        self.files.insert(path, file);
        Ok(())
    }

    pub fn get(&self, path: &str) -> Option<&File> {
        self.files.get(path)
    }

    /// Files under `dir` (everything for `""`), with their paths.
    pub fn under<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = (&'a String, &'a File)> + 'a {
        let prefix = format!("{dir}/");
        self.files
            .range(dir.to_string()..)
            .take_while(move |(path, _)| {
                dir.is_empty()
                    || *path == dir
                    || path.starts_with(&prefix)
                    || path.as_str() < prefix.as_str()
            })
            .filter(move |(path, _)| {
                dir.is_empty() || *path == dir || path.starts_with(&format!("{dir}/"))
            })
    }

    /// Removes a file or a directory with everything under it; false when nothing was there.
    pub fn remove(&mut self, path: &str) -> bool {
        let doomed: Vec<String> = self.under(path).map(|(p, _)| p.clone()).collect();
        for path in &doomed {
            if let Some(file) = self.files.remove(path) {
                self.bytes -= file.content.len();
            }
        }
        !doomed.is_empty()
    }

    /// Moves a file or a directory (`fs:rename`).
    pub fn rename(&mut self, from: &str, to: &str, overwrite: bool) -> Result<(), WorkspaceError> {
        let moving: Vec<(String, File)> = self
            .under(from)
            .map(|(p, f)| (p.clone(), f.clone()))
            .collect();
        if moving.is_empty() {
            return Err(WorkspaceError::Missing(from.to_string()));
        }
        if !overwrite && self.under(to).next().is_some() {
            return Err(WorkspaceError::Exists(to.to_string()));
        }
        self.remove(from);
        self.remove(to);
        for (path, file) in moving {
            let rest = &path[from.len()..];
            self.write(format!("{to}{rest}"), file)?;
        }
        Ok(())
    }

    /// Removes every file matching one of `patterns` (globs relative to the workspace, as
    /// `fs:delete` takes them), and directories matching as a whole; answers how many
    /// files went.
    pub fn delete_matching(&mut self, patterns: &[String]) -> Result<usize, String> {
        let mut set = globset::GlobSetBuilder::new();
        for pattern in patterns {
            let glob = globset::GlobBuilder::new(pattern.trim_start_matches("./"))
                .literal_separator(true)
                .build()
                .map_err(|e| format!("files: {pattern:?} is not a valid glob ({})", e.kind()))?;
            set.add(glob);
        }
        let set = set.build().map_err(|e| e.to_string())?;
        let doomed: Vec<String> = self
            .files
            .keys()
            .filter(|path| {
                set.is_match(path.as_str())
                    || path
                        .match_indices('/')
                        .any(|(at, _)| set.is_match(&path[..at]))
            })
            .cloned()
            .collect();
        for path in &doomed {
            self.remove(path);
        }
        Ok(doomed.len())
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn files(&self) -> &BTreeMap<String, File> {
        &self.files
    }
}

/// `a/b/c` → `a/b`, `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(at, _)| &path[..at])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(content: &str) -> File {
        File {
            content: content.as_bytes().to_vec(),
            executable: false,
        }
    }

    #[test]
    fn paths_stay_inside_the_workspace() {
        assert_eq!(resolve("", "./a//b/../c").unwrap(), "a/c");
        assert_eq!(resolve("sub", "x.txt").unwrap(), "sub/x.txt");
        assert_eq!(resolve("sub", "../x").unwrap(), "x");
        assert_eq!(resolve("", "./").unwrap(), "");
        for bad in ["../x", "a/../../x", "/etc/passwd", "\\x", "C:/x", "a\0b"] {
            assert!(resolve("", bad).is_err(), "{bad}");
        }
        assert!(resolve("sub", "../../x").is_err());
    }

    #[test]
    fn files_rename_and_remove_as_directories() {
        let mut ws = Workspace::new();
        ws.write("src/main.rs".into(), text("fn main() {}"))
            .unwrap();
        ws.write("src/lib/a.rs".into(), text("a")).unwrap();
        ws.write("README.md".into(), text("# x")).unwrap();
        assert!(ws.write("src".into(), text("x")).is_err());
        assert!(ws.write("README.md/x".into(), text("x")).is_err());
        ws.rename("src", "code", false).unwrap();
        assert_eq!(
            ws.files().keys().collect::<Vec<_>>(),
            ["README.md", "code/lib/a.rs", "code/main.rs"]
        );
        assert_eq!(
            ws.rename("README.md", "code/main.rs", false),
            Err(WorkspaceError::Exists("code/main.rs".into()))
        );
        ws.rename("README.md", "code/main.rs", true).unwrap();
        assert_eq!(ws.get("code/main.rs").unwrap().content, b"# x");
        assert!(ws.remove("code"));
        assert!(ws.is_empty());
        assert_eq!(ws.bytes(), 0);
        assert!(!ws.remove("code"));
    }

    #[test]
    fn globs_delete_files_and_whole_directories() {
        let mut ws = Workspace::new();
        for path in ["a.md", "b.txt", "docs/x.md", "docs/y/z.png", "src/main.rs"] {
            ws.write(path.into(), text("x")).unwrap();
        }
        assert_eq!(
            ws.delete_matching(&["*.md".into(), "./docs".into()])
                .unwrap(),
            3
        );
        assert_eq!(
            ws.files().keys().collect::<Vec<_>>(),
            ["b.txt", "src/main.rs"]
        );
        assert!(
            ws.delete_matching(&["[".into()])
                .unwrap_err()
                .contains("not a valid glob")
        );
    }

    #[test]
    fn size_is_capped() {
        let mut ws = Workspace::new();
        let big = File {
            content: vec![b'x'; MAX_BYTES / 2 + 1],
            executable: false,
        };
        ws.write("a".into(), big.clone()).unwrap();
        ws.write("a".into(), big.clone()).unwrap();
        assert_eq!(ws.write("b".into(), big), Err(WorkspaceError::TooLarge));
        let mut many = Workspace::new();
        for i in 0..MAX_FILES {
            many.write(format!("f{i}"), text("")).unwrap();
        }
        assert_eq!(
            many.write("one-more".into(), text("")),
            Err(WorkspaceError::TooManyFiles)
        );
    }
}
