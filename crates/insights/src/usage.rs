//! The platform's own reliability and adoption, from what the portal sees: requests per
//! day (how many, how many failed, how long they took, in buckets) and people active per
//! day. Replicas count in memory and add their counts to the day's row in the database,
//! so the figures are the sum over every replica.

use serde::{Deserialize, Serialize};

/// Upper bounds of the latency buckets, in milliseconds; the last bucket is unbounded.
pub const BUCKETS_MS: [u64; 8] = [10, 25, 50, 100, 250, 500, 1000, 2500];

/// Requests of one day (or part of one, on one replica).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTally {
    pub requests: u64,
    /// Answered with a 5xx status: the portal failed.
    pub server_errors: u64,
    /// How many took at most each of [`BUCKETS_MS`], and (last) longer.
    pub buckets: [u64; 9],
}

impl RequestTally {
    pub fn observe(&mut self, status: u16, millis: u64) {
        self.requests += 1;
        if status >= 500 {
            self.server_errors += 1;
        }
        let bucket = BUCKETS_MS
            .iter()
            .position(|&bound| millis <= bound)
            .unwrap_or(BUCKETS_MS.len());
        self.buckets[bucket] += 1;
    }

    pub fn add(&mut self, other: &RequestTally) {
        self.requests += other.requests;
        self.server_errors += other.server_errors;
        for (mine, theirs) in self.buckets.iter_mut().zip(other.buckets) {
            *mine += theirs;
        }
    }

    /// The share of requests answered without a server error, 0–1.
    pub fn availability(&self) -> Option<f64> {
        (self.requests > 0).then(|| 1.0 - self.server_errors as f64 / self.requests as f64)
    }

    /// The share of requests answered with a server error, 0–1.
    pub fn error_rate(&self) -> Option<f64> {
        self.availability().map(|a| 1.0 - a)
    }

    /// The 95th percentile response time as the upper bound of its bucket, in ms;
    /// `None` without requests or when it lies beyond the last bound.
    pub fn p95_ms(&self) -> Option<u64> {
        if self.requests == 0 {
            return None;
        }
        // The smallest bucket by which at least 95 % of requests were answered.
        let needed = (self.requests * 95).div_ceil(100);
        let mut seen = 0;
        for (index, count) in self.buckets.iter().enumerate() {
            seen += count;
            if seen >= needed {
                return BUCKETS_MS.get(index).copied();
            }
        }
        None
    }
}

/// The share of `total` that `adopted` is, 0–1; `None` when there is nothing to adopt.
pub fn rate(adopted: usize, total: usize) -> Option<f64> {
    (total > 0).then(|| adopted as f64 / total as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_counts_errors_and_buckets_and_gives_the_p95_bucket() {
        let mut day = RequestTally::default();
        // 100 requests: 90 in 5 ms, 5 in 40 ms, 4 in 300 ms, 1 in 9 s (a 503).
        for _ in 0..90 {
            day.observe(200, 5);
        }
        for _ in 0..5 {
            day.observe(404, 40);
        }
        for _ in 0..4 {
            day.observe(200, 300);
        }
        day.observe(503, 9000);
        assert_eq!(day.requests, 100);
        assert_eq!(day.server_errors, 1, "a 404 is the client's error");
        assert_eq!(day.buckets, [90, 0, 5, 0, 0, 4, 0, 0, 1]);
        // 95 % is reached with the 50 ms bucket (90 + 5).
        assert_eq!(day.p95_ms(), Some(50));
        assert_eq!(day.availability(), Some(0.99));
        let mut both = day.clone();
        both.add(&day);
        assert_eq!((both.requests, both.buckets[0]), (200, 180));
        assert_eq!(RequestTally::default().p95_ms(), None);
    }

    #[test]
    fn rates_need_something_to_adopt() {
        assert_eq!(rate(1, 4), Some(0.25));
        assert_eq!(rate(0, 0), None);
    }
}
