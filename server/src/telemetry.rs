//! Logging through `tracing`: pretty for people, JSON for log pipelines.

use crate::config::{Config, LogFormat};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Installs the process-wide log subscriber. Call once, at start-up.
pub fn init(config: &Config) {
    // The filter was validated when the configuration was parsed.
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    match config.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).init(),
    }
}
