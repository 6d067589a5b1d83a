//! Parsing catalog text off the async threads, under a deadline.
//!
//! Parsing is CPU work on text anyone can send (pasted YAML, any URL's answer). On an
//! async worker thread a slow parse stalls everything else that thread runs — probes,
//! pages, even the request timeout. So parses run on Tokio's blocking pool, at most one
//! per core at a time, and the caller stops waiting at the deadline with an error that
//! says so. A parse cannot be interrupted: one past its deadline runs to its end (the
//! parser's own limits bound it) and holds its slot until then, so abandoned parses
//! cannot pile up and take every core.

use catalog::{Limits, Parsed};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Parses catalog text with `limits`, each parse within `deadline`. Cheap to clone; clones
/// share the slots.
#[derive(Clone)]
pub struct CatalogParser {
    limits: Limits,
    deadline: Duration,
    slots: Arc<Semaphore>,
}

/// Why text was not parsed; the messages are for users.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ParseError {
    #[error(
        "took longer than {} s to parse (catalog_parse_timeout_secs); split it into smaller \
         files, with fewer documents, anchors and levels of nesting",
        .0.as_secs()
    )]
    TooSlow(Duration),
    #[error(
        "was not parsed: the portal was busy parsing other catalog text for {} s \
         (catalog_parse_timeout_secs); try again in a minute",
        .0.as_secs()
    )]
    Busy(Duration),
    #[error("could not be parsed (the parser failed; the portal's logs name the cause)")]
    Failed,
}

impl CatalogParser {
    /// A parser running as many parses at once as there are cores.
    pub fn new(limits: Limits, deadline: Duration) -> CatalogParser {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        CatalogParser::with_slots(limits, deadline, cores)
    }

    fn with_slots(limits: Limits, deadline: Duration, slots: usize) -> CatalogParser {
        CatalogParser {
            limits,
            deadline,
            slots: Arc::new(Semaphore::new(slots)),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// [`catalog::parse_bytes`] off the async threads.
    pub async fn parse_bytes(&self, source: &str, bytes: Vec<u8>) -> Result<Parsed, ParseError> {
        let source = source.to_string();
        self.run(move |limits| catalog::parse_bytes(&source, &bytes, limits))
            .await
    }

    /// [`catalog::parse_documents`] off the async threads.
    pub async fn parse_text(&self, source: &str, text: String) -> Result<Parsed, ParseError> {
        let source = source.to_string();
        self.run(move |limits| catalog::parse_documents(&source, &text, limits))
            .await
    }

    /// Runs `work` on the blocking pool once a slot is free; waiting for the slot and the
    /// work together take at most the deadline.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Limits) -> T + Send + 'static,
    ) -> Result<T, ParseError> {
        let started = Instant::now();
        let slot = tokio::time::timeout(self.deadline, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ParseError::Busy(self.deadline))?
            .map_err(|_| ParseError::Failed)?;
        let left = self.deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(ParseError::Busy(self.deadline));
        }
        let limits = self.limits;
        let parse = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            work(&limits)
        });
        match tokio::time::timeout(left, parse).await {
            Ok(Ok(parsed)) => Ok(parsed),
            Ok(Err(error)) => {
                tracing::error!(%error, "parsing catalog text failed");
                Err(ParseError::Failed)
            }
            Err(_) => {
                tracing::warn!(
                    deadline_secs = self.deadline.as_secs(),
                    "catalog text took longer than the deadline to parse; its parse goes on \
                     in the background"
                );
                Err(ParseError::TooSlow(self.deadline))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(deadline: Duration, slots: usize) -> CatalogParser {
        CatalogParser::with_slots(Limits::default(), deadline, slots)
    }

    /// A stand-in for a parse that takes long: blocks its thread as parsing does.
    fn slow(_: &Limits) {
        std::thread::sleep(Duration::from_secs(3));
    }

    // One worker thread: had the slow work run on it, nothing else could run meanwhile.
    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_parse_blocks_no_async_thread_and_ends_in_an_error_at_the_deadline() {
        let parser = parser(Duration::from_millis(300), 1);
        let ticks = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let ticker = tokio::spawn({
            let ticks = ticks.clone();
            async move {
                loop {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
        });
        let error = parser.run(slow).await.unwrap_err();
        ticker.abort();
        assert!(matches!(error, ParseError::TooSlow(_)), "{error}");
        assert!(
            error.to_string().contains("catalog_parse_timeout_secs"),
            "{error}"
        );
        assert!(
            ticks.load(std::sync::atomic::Ordering::Relaxed) > 0,
            "other tasks ran while it parsed"
        );
        // The abandoned parse keeps its slot until it ends: the next one waits, then says
        // the portal is busy.
        let error = parser.run(|_| ()).await.unwrap_err();
        assert!(matches!(error, ParseError::Busy(_)), "{error}");
    }

    #[tokio::test]
    async fn text_and_bytes_parse_as_the_catalog_crate_parses_them() {
        let parser = parser(Duration::from_secs(30), 2);
        let text = "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: a\nspec:\n  type: team\n  children: []\n";
        let parsed = parser.parse_text("t.yaml", text.to_string()).await.unwrap();
        assert_eq!(
            parsed,
            catalog::parse_documents("t.yaml", text, &Limits::default())
        );
        let parsed = parser
            .parse_bytes("b.yaml", b"\xff".to_vec())
            .await
            .unwrap();
        assert_eq!(parsed.errors[0].kind, catalog::ErrorKind::Encoding);
    }
}
