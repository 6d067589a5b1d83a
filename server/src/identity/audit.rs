//! The audit log of writes: who, what, to what, when, from where, and how it ended.
//!
//! One place writes entries: [`Seam::record`](super::Seam::record). The seam calls it
//! itself for every refused write (in the `Authorized` extractor, `Authorized::on` and
//! `Seam::authorize`, which server functions reach); an allowed write is recorded once
//! it has run, with its outcome — by REST handlers through [`Audited::run`], by server
//! functions through `app::identity::record`. Reads are not recorded.
//!
//! Writing an entry is bounded by [`WRITE_TIMEOUT`]; an entry that cannot be written is
//! logged as an error with all its fields (so it is not lost silently) and the write
//! itself goes on: the audit log never turns a done write into a failed one.

use super::{Seam, client_ip};
use crate::error::ApiError;
use axum::extract::ConnectInfo;
use axum::http::HeaderName;
use axum::http::request::Parts;
use chrono::Utc;
use identity::{Action, Caller, Grant, Outcome, Target};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use store::{AuditEntry, Store};

/// How long recording one entry may take before it is given up (and logged instead).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The longest user agent kept, in characters.
pub const MAX_USER_AGENT: usize = 256;

/// Where audit entries go.
#[derive(Clone, Debug)]
pub struct Auditor {
    pub store: Store,
    /// `client_address_header`: where the client's address is behind a proxy.
    pub client_header: Option<HeaderName>,
}

/// Where a request came from: the client's address (the TCP peer, or the address the
/// proxy added, as for per-client limits — but the whole address, not its /64) and its
/// user agent, cut to [`MAX_USER_AGENT`] characters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Client {
    pub ip: String,
    pub user_agent: String,
}

impl Client {
    pub fn of(request: &Parts, header: Option<&HeaderName>) -> Client {
        let peer = request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        let ip = client_ip(&request.headers, peer, header)
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        let user_agent = request
            .headers
            .get(axum::http::header::USER_AGENT)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        Client {
            ip,
            user_agent: user_agent.chars().take(MAX_USER_AGENT).collect(),
        }
    }
}

/// What the audit log calls a target: the entity ref or the location (`type:target`);
/// empty for the portal as a whole.
pub fn target_ref(target: &Target) -> String {
    match target {
        Target::Portal => String::new(),
        Target::Entity { entity_ref, .. } => entity_ref.clone(),
        Target::Location { target, .. } => target.clone(),
    }
}

impl Auditor {
    /// Writes one entry, within [`WRITE_TIMEOUT`]; logs it instead when that fails.
    pub(super) async fn record(&self, entry: AuditEntry) {
        let written = tokio::time::timeout(WRITE_TIMEOUT, self.store.record_audit(&entry)).await;
        let problem = match written {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.to_string(),
            Err(_) => format!("not written within {} s", WRITE_TIMEOUT.as_secs()),
        };
        tracing::error!(
            %problem, at = %entry.at, actor = %entry.actor, actor_ref = ?entry.actor_ref,
            token = ?entry.token, action = %entry.action, target = %entry.target,
            outcome = %entry.outcome, detail = %entry.detail, client_ip = %entry.client_ip,
            user_agent = %entry.user_agent, "audit entry not recorded"
        );
    }
}

/// The entry for `caller` doing `action` to `target`.
pub(super) fn entry(
    client: &Client,
    caller: &Caller,
    action: Action,
    target: &str,
    outcome: Outcome,
    detail: &str,
) -> AuditEntry {
    let person = caller.person();
    AuditEntry {
        id: 0,
        at: Utc::now(),
        actor: caller.describe(),
        actor_ref: super::targets::registrant(caller),
        subject: person.map(|p| p.subject.clone()),
        token: match caller {
            Caller::Token { name, .. } => Some(name.clone()),
            _ => None,
        },
        action: action.name().into(),
        target: target.into(),
        outcome: outcome.name().into(),
        detail: detail.into(),
        client_ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    }
}

/// An allowed write, not yet done: [`Audited::run`] does it and records how it ended.
/// Dropping it records nothing (a dry run writes nothing).
#[must_use = "run the write through Audited::run, so that it is recorded"]
pub struct Audited {
    pub(super) seam: Arc<Seam>,
    pub(super) client: Client,
    pub(super) target: String,
    pub grant: Grant,
}

impl Audited {
    /// Runs `write` and records it as succeeded, or failed with the error the caller
    /// gets; returns its result.
    pub async fn run<T>(
        self,
        write: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let result = write.await;
        let (outcome, detail) = match &result {
            Ok(_) => (Outcome::Succeeded, String::new()),
            Err(error) => (
                Outcome::Failed,
                format!("{} ({})", error.message, error.status.as_u16()),
            ),
        };
        self.seam
            .record(
                &self.client,
                &self.grant.caller,
                self.grant.action,
                &self.target,
                outcome,
                &detail,
            )
            .await;
        result
    }
}

/// Pruning the audit log: every hour, entries older than `audit_retention_days` are
/// removed. A plain `DELETE` by age is idempotent, so every replica may run it without a
/// claim.
pub struct Pruning(tokio::task::JoinHandle<()>);

/// How often the audit log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

impl Pruning {
    pub fn start(store: Store, retention: Duration) -> Pruning {
        Pruning(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(PRUNE_EVERY);
            loop {
                ticks.tick().await;
                prune(&store, retention).await;
            }
        }))
    }

    pub fn stop(self) {
        self.0.abort();
    }
}

/// Removes the entries older than `retention`; errors are logged (the next hour tries
/// again).
pub async fn prune(store: &Store, retention: Duration) {
    let Ok(retention) = chrono::Duration::from_std(retention) else {
        return;
    };
    // Who was active on which day is kept as long as the audit log, no longer.
    let cutoff_day = (Utc::now() - retention).format("%Y-%m-%d").to_string();
    if let Err(error) = store.prune_activity(&cutoff_day).await {
        tracing::error!(%error, "cannot prune the activity days");
    }
    match store.prune_audit(Utc::now() - retention).await {
        Ok(0) => {}
        Ok(removed) => tracing::info!(removed, "audit log pruned"),
        Err(error) => tracing::error!(%error, "cannot prune the audit log"),
    }
}
