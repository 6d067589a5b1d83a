//! `portico catalog validate|import`: the catalog from the command line.

use crate::catalog::ingest::{IngestError, Ingester, Target};
use crate::config::Config;
use catalog::Limits;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Checks catalog files; prints one `file:line:column: entity …: …` line per problem.
/// Returns whether every file is valid.
pub fn validate(files: &[PathBuf], out: &mut impl std::io::Write) -> std::io::Result<bool> {
    let limits = Limits::default();
    let mut valid = true;
    let mut entities = 0;
    for file in files {
        let source = file.display().to_string();
        let bytes = match read_capped(file, limits.max_bytes as u64) {
            Ok(bytes) => bytes,
            Err(message) => {
                writeln!(out, "{source}: {message}")?;
                valid = false;
                continue;
            }
        };
        let parsed = catalog::parse_bytes(&source, &bytes, &limits);
        for error in &parsed.errors {
            writeln!(out, "{error}")?;
        }
        valid &= parsed.errors.is_empty();
        entities += parsed.entities.len();
    }
    if valid {
        eprintln!("{entities} entities in {} file(s): valid", files.len());
    }
    Ok(valid)
}

/// Reads at most `max + 1` bytes, so the parser can report the size limit.
fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    Ok(bytes)
}

/// Registers each file or URL as a location in the configured database and reads it now.
/// Files named here may be read wherever they are (the operator named them); the
/// locations they point at follow the configured rules. Returns whether all succeeded.
pub async fn import(config: &Config, sources: &[String]) -> Result<bool, crate::serve::ServeError> {
    let mut ingest = config.ingest.clone();
    let mut targets = Vec::new();
    for source in sources {
        let target = if source.starts_with("http://") || source.starts_with("https://") {
            Target::parse("url", source)
        } else {
            match std::fs::canonicalize(source) {
                Ok(path) => {
                    if let Some(dir) = path.parent() {
                        ingest.file_roots.push(dir.to_path_buf());
                    }
                    Target::parse("file", &path.display().to_string())
                }
                Err(e) => Err(IngestError::Target(format!(
                    "{source}: cannot be read: {e}"
                ))),
            }
        };
        targets.push((source, target));
    }
    let store = crate::serve::open_store_for_bulk_load(config).await?;
    if store.begin_bulk_load().await? {
        println!("the catalog is empty: its read indexes are built once the import is done");
    }
    let ingester = Ingester::new(&ingest, &config.github, config.work.lease);
    let worker = format!("portico-cli-{}", uuid::Uuid::new_v4().simple());
    let mut ok = true;
    for (done, (source, target)) in targets.into_iter().enumerate() {
        store.bulk_load_grew(done).await?;
        let target = match target {
            Ok(target) => target,
            Err(error) => {
                println!("{error}");
                ok = false;
                continue;
            }
        };
        let (row, _) = store
            .add_location(target.location_type(), &target.target(), chrono::Utc::now())
            .await?;
        match ingester.process_now(&store, &row.id, &worker).await? {
            Some(Ok(applied)) => {
                println!(
                    "{source}: {} entities imported, {} removed",
                    applied.outcome.written, applied.outcome.removed
                );
                for conflict in &applied.outcome.conflicts {
                    println!(
                        "{source}: conflict: {conflict} is provided by another location; kept as it was"
                    );
                    ok = false;
                }
            }
            Some(Err(error)) => {
                println!("{error}");
                ok = false;
            }
            None => {
                println!(
                    "{source}: another portal replica is reading this location; it will be imported shortly"
                );
            }
        }
    }
    store.finish_bulk_load().await?;
    store.analyze_after_bulk_load().await?;
    store.close().await;
    Ok(ok)
}
