//! Background work shared by replicas: each unit is claimed through the database for a
//! lease (`store`'s claims), and kept while it runs by extending the lease — a
//! heartbeat — so work longer than one lease is not taken over by another replica,
//! while a replica that dies loses its claim one lease later.

use std::future::Future;
use std::time::Duration;

/// Runs `work`, calling `extend` every third of `lease` until it finishes. When `extend`
/// answers false (the claim lapsed and another worker took it) or fails, the heartbeat
/// stops; the work runs on, and whoever records its result checks the claim is still
/// its own.
pub async fn with_heartbeat<T, E: std::fmt::Display, X>(
    work: impl Future<Output = T>,
    lease: Duration,
    extend: impl Fn() -> X,
) -> T
where
    X: Future<Output = Result<bool, E>>,
{
    let heartbeat = async {
        let mut ticks = tokio::time::interval(lease / 3);
        ticks.tick().await; // the first tick is immediate; the claim is fresh
        loop {
            ticks.tick().await;
            match extend().await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("claim lapsed and was taken over; its result will not count");
                    break;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot extend a claim");
                    break;
                }
            }
        }
        std::future::pending::<()>().await
    };
    tokio::select! {
        result = work => result,
        () = heartbeat => unreachable!("the heartbeat never ends on its own"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn long_work_extends_its_claim_every_third_of_the_lease() {
        let extended = AtomicUsize::new(0);
        let result = with_heartbeat(
            async {
                tokio::time::sleep(Duration::from_secs(100)).await;
                7
            },
            Duration::from_secs(30),
            || async {
                extended.fetch_add(1, Ordering::SeqCst);
                Ok::<bool, String>(true)
            },
        )
        .await;
        assert_eq!(result, 7);
        // At 10 s, 20 s, … 100 s: ten extensions (the last may race the end).
        let count = extended.load(Ordering::SeqCst);
        assert!((9..=10).contains(&count), "{count}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_claim_stops_the_heartbeat_but_not_the_work() {
        let extended = AtomicUsize::new(0);
        let result = with_heartbeat(
            async {
                tokio::time::sleep(Duration::from_secs(100)).await;
                "done"
            },
            Duration::from_secs(30),
            || async {
                extended.fetch_add(1, Ordering::SeqCst);
                Ok::<bool, String>(false)
            },
        )
        .await;
        assert_eq!(result, "done");
        assert_eq!(extended.load(Ordering::SeqCst), 1);
    }
}
