//! Sign-in sessions, kept in the database through tower-sessions so that any replica
//! serves any request. The cookie holds only a random 128-bit id (`HttpOnly`,
//! `SameSite=Lax`, `Secure` when the portal's public URL is https); the session holds
//! the signed-in [`Person`] and when they signed in. A session ends when it has been idle
//! for `session_idle_secs`, at the latest `session_max_secs` after sign-in, at sign-out,
//! or when its person signs out everywhere.

use crate::config::SessionConfig;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use identity::Person;
use store::{SessionRow, Store};
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{self, Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// The cookie's name.
pub const COOKIE: &str = "portico_session";
/// Session keys.
const PERSON: &str = "person";
const SIGNED_IN_AT: &str = "signed_in_at";
const FORM_TOKEN: &str = "form_token";

/// tower-sessions' store, on Portico's database.
#[derive(Clone, Debug)]
pub struct DbSessions {
    store: Store,
}

impl DbSessions {
    pub fn new(store: Store) -> DbSessions {
        DbSessions { store }
    }
}

/// The session layer: every request gets a lazily loaded [`Session`].
pub fn layer(
    store: Store,
    config: &SessionConfig,
    secure: bool,
) -> SessionManagerLayer<DbSessions> {
    let idle = time::Duration::seconds(config.idle.as_secs() as i64);
    SessionManagerLayer::new(DbSessions::new(store))
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
}

fn row(record: &Record) -> session_store::Result<SessionRow> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let subject = record
        .data
        .get(PERSON)
        .and_then(|person| person.get("subject"))
        .and_then(|subject| subject.as_str())
        .map(str::to_string);
    let expires_at = DateTime::from_timestamp(record.expiry_date.unix_timestamp(), 0)
        .ok_or_else(|| session_store::Error::Encode("expiry out of range".into()))?;
    Ok(SessionRow {
        id: record.id.to_string(),
        subject,
        data,
        expires_at,
    })
}

fn backend(error: store::StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id until one is free (a clash of 128-bit random ids is theoretical).
        loop {
            if self
                .store
                .create_session(&row(record)?, Utc::now())
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store
            .save_session(&row(record)?, Utc::now())
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = self
            .store
            .load_session(&id.to_string(), Utc::now())
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(row.expires_at.timestamp())
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}

/// Signs `person` in on `session`: a new session id first, so that an id planted before
/// sign-in (session fixation) never becomes a signed-in one.
pub async fn sign_in(session: &Session, person: &Person) -> Result<(), session::Error> {
    session.cycle_id().await?;
    session.insert(PERSON, person).await?;
    session.insert(SIGNED_IN_AT, Utc::now().timestamp()).await?;
    session.insert(FORM_TOKEN, new_form_token()).await?;
    Ok(())
}

/// The token the portal's plain HTML forms carry on `session` (see `csrf.rs`), `None`
/// when nobody is signed in on it. A session signed in before form tokens existed gets
/// one now.
pub async fn form_token(session: &Session) -> Result<Option<String>, session::Error> {
    if let Some(token) = session.get::<String>(FORM_TOKEN).await? {
        return Ok(Some(token));
    }
    if session.get::<Person>(PERSON).await?.is_none() {
        return Ok(None);
    }
    let token = new_form_token();
    session.insert(FORM_TOKEN, &token).await?;
    Ok(Some(token))
}

/// 122 random bits (a version 4 UUID, from the operating system's generator).
fn new_form_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Lets `session` end after `idle` (instead of the configured idle time) unless someone is
/// signed in on it: a session made only to carry a sign-in under way is worth keeping no
/// longer than the sign-in may take, so that starting sign-ins over and over leaves no
/// pile of rows behind. Signing in saves it with the configured expiry again.
pub async fn expire_unless_signed_in(
    session: &Session,
    idle: std::time::Duration,
) -> Result<(), session::Error> {
    if session.get::<Person>(PERSON).await?.is_none() {
        let idle = time::Duration::seconds(idle.as_secs() as i64);
        session.set_expiry(Some(Expiry::OnInactivity(idle)));
    }
    Ok(())
}

/// Ends `session` (the row goes, and the cookie is cleared).
pub async fn sign_out(session: &Session) -> Result<(), session::Error> {
    session.flush().await
}

/// The person signed in on `session`, if the session is younger than `max_age`; an older
/// one is ended.
pub async fn person(
    session: &Session,
    max_age: std::time::Duration,
) -> Result<Option<Person>, session::Error> {
    let Some(person) = session.get::<Person>(PERSON).await? else {
        return Ok(None);
    };
    let signed_in_at = session.get::<i64>(SIGNED_IN_AT).await?.unwrap_or(0);
    let age = Utc::now().timestamp().saturating_sub(signed_in_at);
    if age < 0 || age as u64 > max_age.as_secs() {
        session.flush().await?;
        return Ok(None);
    }
    Ok(Some(person))
}
