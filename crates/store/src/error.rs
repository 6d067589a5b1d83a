use thiserror::Error;

/// Errors of the store. Their `Display` is safe to log; never show them raw to users.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("DATABASE_URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot create the database folder {dir}: {source}")]
    CreateDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database is not migrated: {applied} of {expected} migrations applied")]
    NotMigrated { applied: i64, expected: i64 },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("too many {what} in one read (at most {limit})")]
    TooMany { what: &'static str, limit: usize },
    #[error("stored entity {entity_ref} is not valid JSON: {source}")]
    CorruptBody {
        entity_ref: String,
        #[source]
        source: serde_json::Error,
    },
}

impl StoreError {
    pub(crate) fn connect(error: sqlx::Error) -> StoreError {
        StoreError::Connect(error)
    }
}
