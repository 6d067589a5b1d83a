//! `file` locations: local files under the configured roots only.

use super::ReadError;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

/// Reads `path` when, after resolving `..` and every symlink, it lies under one of
/// `roots`; at most `max_bytes`.
pub async fn read(roots: &[PathBuf], path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    if roots.is_empty() {
        return Err(ReadError::refused(
            "file locations are disabled; list the folders they may read in \
             catalog_file_roots (PORTICO_CATALOG_FILE_ROOTS)",
        ));
    }
    let real = match tokio::fs::canonicalize(path).await {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ReadError::not_found("no such file"));
        }
        Err(e) => return Err(ReadError::other(format!("cannot be read: {e}"))),
    };
    let mut inside = false;
    for root in roots {
        if let Ok(root) = tokio::fs::canonicalize(root).await
            && real.starts_with(&root)
        {
            inside = true;
            break;
        }
    }
    if !inside {
        return Err(ReadError::refused(
            "is outside the folders file locations may read (catalog_file_roots); \
             symlinks and .. are resolved before this check",
        ));
    }
    let file = tokio::fs::File::open(&real)
        .await
        .map_err(|e| ReadError::other(format!("cannot be opened: {e}")))?;
    let metadata = file
        .metadata()
        .await
        .map_err(|e| ReadError::other(format!("cannot be read: {e}")))?;
    if !metadata.is_file() {
        return Err(ReadError::other("is not a regular file"));
    }
    if metadata.len() > max_bytes {
        return Err(ReadError::too_large(max_bytes));
    }
    // The size can change between the check and the read: read at most one byte more.
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| ReadError::other(format!("cannot be read: {e}")))?;
    if bytes.len() as u64 > max_bytes {
        return Err(ReadError::too_large(max_bytes));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_files_under_the_roots_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("team")).unwrap();
        std::fs::write(root.join("team/catalog.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("secret.yaml"), "s").unwrap();
        let roots = [root.clone()];

        assert_eq!(
            read(&roots, &root.join("team/catalog.yaml"), 100)
                .await
                .unwrap(),
            b"x"
        );
        let escape = root.join("team/../../secret.yaml");
        assert!(matches!(
            read(&roots, &escape, 100).await,
            Err(ReadError::Refused(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.yaml"), root.join("link.yaml"))
                .unwrap();
            let error = read(&roots, &root.join("link.yaml"), 100)
                .await
                .unwrap_err();
            assert!(matches!(error, ReadError::Refused(_)), "{error}");
        }
        let error = read(&[], &root.join("team/catalog.yaml"), 100)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("PORTICO_CATALOG_FILE_ROOTS"),
            "{error}"
        );
        let error = read(&roots, &root.join("nope.yaml"), 100)
            .await
            .unwrap_err();
        assert!(matches!(error, ReadError::NotFound(_)));
        let error = read(&roots, &root.join("team"), 100).await.unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }

    #[tokio::test]
    async fn files_over_the_size_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.yaml"), vec![b'#'; 2048]).unwrap();
        let roots = [dir.path().to_path_buf()];
        let error = read(&roots, &dir.path().join("big.yaml"), 1024)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("1024 bytes"), "{error}");
        assert!(
            read(&roots, &dir.path().join("big.yaml"), 2048)
                .await
                .is_ok()
        );
    }
}
