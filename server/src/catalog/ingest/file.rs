//! `file` locations: local regular files under the configured roots only.
//!
//! A path that does not exist and a path outside the roots get the same answer, so that
//! registering locations cannot tell which files exist elsewhere on the machine. Only
//! regular files are opened: the type is checked before opening (a FIFO would block the
//! open until something writes to it), the open does not block, and the whole read runs
//! under the read time limit, so one stuck file cannot hold the refresh loop.

use super::ReadError;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// The one answer for a path that is missing or may not be read.
const NOT_READABLE: &str = "does not exist, or is outside the folders file locations may read \
     (catalog_file_roots; symlinks and .. are resolved before this check)";

/// Reads `path` when, after resolving `..` and every symlink, it is a regular file under
/// one of `roots`; at most `max_bytes`, within `timeout`.
pub async fn read(
    roots: &[PathBuf],
    path: &Path,
    max_bytes: u64,
    timeout: Duration,
) -> Result<Vec<u8>, ReadError> {
    if roots.is_empty() {
        return Err(ReadError::refused(
            "file locations are disabled; list the folders they may read in \
             catalog_file_roots (PORTICO_CATALOG_FILE_ROOTS)",
        ));
    }
    match tokio::time::timeout(timeout, read_under(roots, path, max_bytes)).await {
        Ok(result) => result,
        Err(_) => Err(ReadError::other(format!(
            "could not be read within {} s (catalog_read_timeout_secs)",
            timeout.as_secs()
        ))),
    }
}

async fn read_under(roots: &[PathBuf], path: &Path, max_bytes: u64) -> Result<Vec<u8>, ReadError> {
    // Any failure to resolve the path (missing, a folder on the way not searchable, …)
    // says nothing more than a path outside the roots does.
    let Ok(real) = tokio::fs::canonicalize(path).await else {
        return Err(ReadError::not_found(NOT_READABLE));
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
        return Err(ReadError::not_found(NOT_READABLE));
    }
    // `real` has no symlinks left, so this is the file's own type, read without opening it.
    let metadata = tokio::fs::metadata(&real)
        .await
        .map_err(|e| ReadError::other(format!("cannot be read: {e}")))?;
    if !metadata.is_file() {
        return Err(ReadError::other("is not a regular file"));
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.read(true);
    // Should the path be swapped for a FIFO after the check, the open still returns at
    // once, and the check below refuses it.
    #[cfg(unix)]
    options.custom_flags(libc::O_NONBLOCK);
    let file = options
        .open(&real)
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

    const LIMIT: Duration = Duration::from_secs(10);

    #[tokio::test]
    async fn only_files_under_the_roots_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("team")).unwrap();
        std::fs::write(root.join("team/catalog.yaml"), "x").unwrap();
        std::fs::write(dir.path().join("secret.yaml"), "s").unwrap();
        let roots = [root.clone()];

        assert_eq!(
            read(&roots, &root.join("team/catalog.yaml"), 100, LIMIT)
                .await
                .unwrap(),
            b"x"
        );
        let missing = read(&roots, &root.join("nope.yaml"), 100, LIMIT)
            .await
            .unwrap_err();
        assert!(matches!(missing, ReadError::NotFound(_)), "{missing}");
        // Outside the roots, an existing file answers exactly as a missing one does.
        let escape = root.join("team/../../secret.yaml");
        let outside = read(&roots, &escape, 100, LIMIT).await.unwrap_err();
        assert!(matches!(outside, ReadError::NotFound(_)), "{outside}");
        assert_eq!(outside.to_string(), missing.to_string());
        let gone = read(&roots, &root.join("../nope.yaml"), 100, LIMIT)
            .await
            .unwrap_err();
        assert_eq!(gone.to_string(), missing.to_string());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("secret.yaml"), root.join("link.yaml"))
                .unwrap();
            let error = read(&roots, &root.join("link.yaml"), 100, LIMIT)
                .await
                .unwrap_err();
            assert_eq!(error.to_string(), missing.to_string());
        }
        let error = read(&[], &root.join("team/catalog.yaml"), 100, LIMIT)
            .await
            .unwrap_err();
        assert!(
            error.to_string().contains("PORTICO_CATALOG_FILE_ROOTS"),
            "{error}"
        );
        let error = read(&roots, &root.join("team"), 100, LIMIT)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("stuck.yaml");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let roots = [dir.path().to_path_buf()];
        // Nothing writes to it: opening it for reading would wait for a writer.
        let outcome = tokio::time::timeout(
            Duration::from_secs(30),
            read(&roots, &fifo, 100, Duration::from_secs(60)),
        )
        .await;
        // Had the read opened it, it would still wait on a blocking thread, and the
        // runtime would wait for that at the end: be the writer, so the test ends.
        std::thread::spawn(move || std::fs::OpenOptions::new().write(true).open(fifo));
        let error = outcome
            .expect("the read does not wait for a writer")
            .unwrap_err();
        assert!(error.to_string().contains("not a regular file"), "{error}");
    }

    #[tokio::test]
    async fn files_over_the_size_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big.yaml"), vec![b'#'; 2048]).unwrap();
        let roots = [dir.path().to_path_buf()];
        let error = read(&roots, &dir.path().join("big.yaml"), 1024, LIMIT)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("1024 bytes"), "{error}");
        assert!(
            read(&roots, &dir.path().join("big.yaml"), 2048, LIMIT)
                .await
                .is_ok()
        );
    }
}
