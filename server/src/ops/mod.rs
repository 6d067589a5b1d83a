//! Operating the portal: health probes and Prometheus metrics.

pub mod health;
pub mod metrics;
pub mod usage;
